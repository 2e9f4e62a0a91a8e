package dev.cardinal.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CodeVersionTest {

  @Test
  void theBuildRecordsTheProjectVersionAndCommit() {
    // The tests run from a git checkout, so the build wrote both.
    assertThat(CodeVersion.get())
        .matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\+[0-9a-f]{7,}(\\.dirty)?");
  }

  @Test
  void missingPartsAreSaidPlainly() {
    assertThat(CodeVersion.format("0.1.0", "abc1234", false)).isEqualTo("0.1.0+abc1234");
    assertThat(CodeVersion.format("0.1.0", "abc1234", true)).isEqualTo("0.1.0+abc1234.dirty");
    assertThat(CodeVersion.format("0.1.0", null, false)).isEqualTo("0.1.0");
    assertThat(CodeVersion.format(null, null, false)).isEqualTo("unknown");
  }
}

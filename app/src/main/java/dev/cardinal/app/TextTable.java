package dev.cardinal.app;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A table for a terminal: text columns left-aligned, numbers (and percentages) right-aligned so
 * their digits line up, two spaces between columns.
 */
final class TextTable {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  TextTable(String... header) {
    columns = header.length;
    rows.add(header);
  }

  void add(String... cells) {
    rows.add(cells);
  }

  /** The table with {@code prefix} before every line, to nest it under a heading. */
  String indent(String prefix) {
    StringBuilder out = new StringBuilder();
    Iterator<String> lines = toString().lines().iterator();
    while (lines.hasNext()) {
      out.append(prefix).append(lines.next()).append('\n');
    }
    return out.toString();
  }

  @Override
  public String toString() {
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        width[i] = Math.max(width[i], row[i] == null ? 0 : row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        String cell = row[i] == null ? "" : row[i];
        boolean numeric = row != rows.get(0) && cell.matches("-?[0-9.,]+%?");
        String pad = " ".repeat(width[i] - cell.length());
        line.append(numeric ? pad + cell : cell + pad);
        if (i < columns - 1) {
          line.append("  ");
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }
}

package dev.cardinal.registry;

import java.util.regex.Pattern;

/**
 * Hides credentials in text that may reach a log, a terminal or an HTTP answer: database URLs and
 * error messages that quote them. The one place that knows what a credential in a URL looks like.
 */
public final class Redact {
  static final String MASK = "***";

  /** {@code scheme://user:password@host}: the password between the colon and the at sign. */
  private static final Pattern USER_INFO_PASSWORD =
      Pattern.compile("(//[^/?#@\\s:]*:)[^/?#@\\s]*@");

  /**
   * {@code ?password=...}, {@code &sslpassword=...}, {@code ;password=...} and the like, as JDBC
   * drivers take them in the query or as {@code ;key=value} properties.
   */
  private static final Pattern SECRET_PROPERTY =
      Pattern.compile(
          "(?i)(\\b(?:password|passwd|pwd|sslpassword|sslkey|secret|token|access[_-]?key"
              + "|secret[_-]?key|api[_-]?key)=)[^&;\\s]*");

  private Redact() {}

  /** The text with every password or secret it carries replaced by {@value #MASK}. */
  public static String credentials(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = USER_INFO_PASSWORD.matcher(text).replaceAll("$1" + MASK + "@");
    return SECRET_PROPERTY.matcher(out).replaceAll("$1" + MASK);
  }
}

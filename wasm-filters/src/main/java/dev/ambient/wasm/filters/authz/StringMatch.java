package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;

/**
 * Istio's string forms in AuthorizationPolicy fields: {@code abc} exact, {@code abc*} prefix,
 * {@code *abc} suffix, {@code *} presence (any non-empty value). Matching is exact byte-for-byte
 * text comparison, never normalised, except where Istio itself ignores case (hosts).
 */
final class StringMatch {
  private static final int EXACT = 0;
  private static final int PREFIX = 1;
  private static final int SUFFIX = 2;
  private static final int PRESENCE = 3;

  private final int kind;
  private final String text;
  private final boolean ignoreCase;

  private StringMatch(int kind, String text, boolean ignoreCase) {
    this.kind = kind;
    this.text = ignoreCase ? lower(text) : text;
    this.ignoreCase = ignoreCase;
  }

  static StringMatch parse(String value, String where, boolean ignoreCase) throws ConfigException {
    if (value.isEmpty()) {
      throw new ConfigException(where + ": empty value (use \"*\" for presence)");
    }
    if (value.equals("*")) {
      return new StringMatch(PRESENCE, "", ignoreCase);
    }
    boolean lead = value.startsWith("*");
    boolean trail = value.endsWith("*");
    String inner = value.substring(lead ? 1 : 0, value.length() - (trail ? 1 : 0));
    if ((lead && trail) || inner.indexOf('*') >= 0) {
      throw new ConfigException(
          where + ": \"" + value + "\" (only one leading or trailing '*' is allowed)");
    }
    return new StringMatch(lead ? SUFFIX : trail ? PREFIX : EXACT, inner, ignoreCase);
  }

  boolean matches(String value) {
    if (value == null) {
      return false;
    }
    String v = ignoreCase ? lower(value) : value;
    switch (kind) {
      case EXACT:
        return v.equals(text);
      case PREFIX:
        return v.startsWith(text);
      case SUFFIX:
        return v.endsWith(text);
      default:
        return !v.isEmpty();
    }
  }

  /** ASCII lower case: host names; avoids locale-dependent case mapping. */
  static String lower(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        if (sb == null) {
          sb = new StringBuilder(s);
        }
        sb.setCharAt(i, (char) (c + 32));
      }
    }
    return sb == null ? s : sb.toString();
  }
}

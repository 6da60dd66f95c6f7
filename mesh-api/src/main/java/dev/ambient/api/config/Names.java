package dev.ambient.api.config;

/** Kubernetes name rules; each check answers {@code null} when fine, else what is wrong. */
final class Names {
  private Names() {}

  /** RFC 1123 label: namespaces and service names (at most 63). */
  static String dnsLabel(String value) {
    return check(value, 63, false);
  }

  /** RFC 1123 subdomain: pod, policy and service account names (at most 253). */
  static String dnsSubdomain(String value) {
    return check(value, 253, true);
  }

  private static String check(String value, int max, boolean dots) {
    if (value.isEmpty() || value.length() > max) {
      return Text.quote(value) + " must be 1 to " + max + " characters";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!(isAlnum(c) || c == '-' || (dots && c == '.'))) {
        return Text.quote(value)
            + " may hold only lower-case letters, digits, '-'"
            + (dots ? ", '.'" : "");
      }
    }
    if (!isAlnum(value.charAt(0)) || !isAlnum(value.charAt(value.length() - 1))) {
      return Text.quote(value) + " must start and end with a lower-case letter or digit";
    }
    if (dots && (value.contains("..") || value.contains(".-") || value.contains("-."))) {
      return Text.quote(value) + " has an empty or malformed label";
    }
    return null;
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  /** Free-form identifiers (node names, uids, label keys): non-empty, no whitespace or controls. */
  static String token(String value) {
    if (value.isEmpty()) {
      return "must not be empty";
    }
    if (value.length() > 1024) {
      return "longer than 1024 characters";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        return Text.quote(value) + " contains whitespace or a control character";
      }
    }
    return null;
  }
}

package dev.ambient.api.wds;

/** Syntax checks for names received over WDS; each returns an explanation or null when valid. */
final class Names {
  private Names() {}

  /** A Kubernetes namespace or service name: RFC 1123 label, lower case, at most 63 characters. */
  static String checkDnsLabel(String value) {
    if (value.isEmpty()) {
      return "must not be empty";
    }
    if (value.length() > 63) {
      return "longer than 63 characters";
    }
    return isLabel(value, 0, value.length())
        ? null
        : "not a DNS label (lower-case letters, digits and '-', starting and ending alphanumeric): "
            + Problems.printable(value);
  }

  /** A pod name or host name: RFC 1123 subdomain, lower case, at most 253 characters. */
  static String checkDnsSubdomain(String value) {
    if (value.isEmpty()) {
      return "must not be empty";
    }
    if (value.length() > 253) {
      return "longer than 253 characters";
    }
    int start = 0;
    while (true) {
      int dot = value.indexOf('.', start);
      int end = dot < 0 ? value.length() : dot;
      if (end - start > 63 || !isLabel(value, start, end)) {
        return "not a DNS name (dot-separated lower-case labels): " + Problems.printable(value);
      }
      if (dot < 0) {
        return null;
      }
      start = dot + 1;
    }
  }

  /**
   * An authorization policy name. Istio's control plane generates names such as {@code
   * istio_converted_static_strict}, so underscores and upper case are accepted besides DNS names.
   */
  static String checkPolicyName(String value) {
    if (value.isEmpty()) {
      return "must not be empty";
    }
    if (value.length() > 253) {
      return "longer than 253 characters";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '.';
      if (!ok) {
        return "contains a character other than letters, digits, '-', '_' and '.': "
            + Problems.printable(value);
      }
    }
    return null;
  }

  /** A workload uid: opaque, but printable ASCII without spaces and of bounded length. */
  static String checkUid(String value) {
    if (value.isEmpty()) {
      return "must not be empty";
    }
    if (value.length() > 512) {
      return "longer than 512 characters";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return "contains a space, control or non-ASCII character: " + Problems.printable(value);
      }
    }
    return null;
  }

  private static boolean isLabel(String s, int start, int end) {
    if (end <= start) {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && !(c == '-' && i != start && i != end - 1)) {
        return false;
      }
    }
    return true;
  }
}

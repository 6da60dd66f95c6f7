package dev.ambient.api.spiffe;

import java.util.Objects;

/**
 * A workload identity of the form {@code
 * spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}.
 *
 * <p>Parsing is strict on purpose: identities are compared byte for byte in authorization, so
 * anything that could be read two ways (upper case, percent-encoding, dots in odd places, control
 * characters such as NUL, extra path segments) is rejected rather than normalised.
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {

  public static final String SCHEME = "spiffe://";
  private static final int MAX_LENGTH = 2048;
  private static final int MAX_TRUST_DOMAIN = 255;
  private static final int MAX_NAMESPACE = 63;
  private static final int MAX_SERVICE_ACCOUNT = 253;

  public SpiffeId {
    requireValid(trustDomain, namespace, serviceAccount);
  }

  /** Parses a SPIFFE ID, throwing {@link InvalidSpiffeIdException} saying what is wrong. */
  public static SpiffeId parse(String uri) {
    if (uri == null) {
      throw new InvalidSpiffeIdException("SPIFFE ID is missing");
    }
    if (uri.length() > MAX_LENGTH) {
      throw new InvalidSpiffeIdException("SPIFFE ID longer than " + MAX_LENGTH + " characters");
    }
    if (!uri.startsWith(SCHEME)) {
      throw new InvalidSpiffeIdException(
          "SPIFFE ID must start with " + SCHEME + ": " + printable(uri));
    }
    String rest = uri.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new InvalidSpiffeIdException("SPIFFE ID has no path: " + printable(uri));
    }
    String trustDomain = rest.substring(0, slash);
    String[] segments = rest.substring(slash + 1).split("/", -1);
    if (segments.length != 4 || !segments[0].equals("ns") || !segments[2].equals("sa")) {
      throw new InvalidSpiffeIdException(
          "SPIFFE ID path must be /ns/<namespace>/sa/<service-account>: " + printable(uri));
    }
    return new SpiffeId(trustDomain, segments[1], segments[3]);
  }

  /** Like {@link #parse} but answers {@code null} for anything that is not a valid SPIFFE ID. */
  public static SpiffeId parseOrNull(String uri) {
    try {
      return parse(uri);
    } catch (InvalidSpiffeIdException e) {
      return null;
    }
  }

  public static SpiffeId of(String trustDomain, String namespace, String serviceAccount) {
    return new SpiffeId(trustDomain, namespace, serviceAccount);
  }

  public String uri() {
    return SCHEME + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  @Override
  public String toString() {
    return uri();
  }

  private static void requireValid(String trustDomain, String namespace, String serviceAccount) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    if (trustDomain.isEmpty() || trustDomain.length() > MAX_TRUST_DOMAIN) {
      throw new InvalidSpiffeIdException("trust domain must be 1 to 255 characters");
    }
    for (int i = 0; i < trustDomain.length(); i++) {
      char c = trustDomain.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
      if (!ok) {
        throw new InvalidSpiffeIdException(
            "trust domain may hold only a-z, 0-9, '.', '-', '_': " + printable(trustDomain));
      }
    }
    if (trustDomain.startsWith(".") || trustDomain.endsWith(".") || trustDomain.contains("..")) {
      throw new InvalidSpiffeIdException("trust domain has an empty label: " + trustDomain);
    }
    requireDnsName("namespace", namespace, MAX_NAMESPACE, false);
    requireDnsName("service account", serviceAccount, MAX_SERVICE_ACCOUNT, true);
  }

  /** Kubernetes DNS-1123 label (namespace) or subdomain (service account) rules. */
  private static void requireDnsName(String what, String value, int max, boolean dotsAllowed) {
    if (value.isEmpty() || value.length() > max) {
      throw new InvalidSpiffeIdException(what + " must be 1 to " + max + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      boolean ok = alnum || c == '-' || (dotsAllowed && c == '.');
      if (!ok) {
        throw new InvalidSpiffeIdException(
            what
                + " may hold only lower-case letters, digits, '-'"
                + (dotsAllowed ? ", '.'" : "")
                + ": "
                + printable(value));
      }
    }
    if (!isAlnum(value.charAt(0)) || !isAlnum(value.charAt(value.length() - 1))) {
      throw new InvalidSpiffeIdException(
          what + " must start and end with a letter or digit: " + printable(value));
    }
    if (dotsAllowed && (value.contains("..") || value.contains(".-") || value.contains("-."))) {
      throw new InvalidSpiffeIdException(what + " has an empty or malformed label: " + value);
    }
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  /** Renders untrusted input for an error message without control characters. */
  static String printable(String s) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), 120) + 2).append('"');
    for (int i = 0; i < s.length() && i < 120; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (s.length() > 120) {
      out.append("...");
    }
    return out.append('"').toString();
  }
}

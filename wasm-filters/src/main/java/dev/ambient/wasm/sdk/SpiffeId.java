package dev.ambient.wasm.sdk;

/**
 * Parts of a workload SPIFFE ID {@code spiffe://<trust-domain>/ns/<namespace>/sa/<account>}. Parsed
 * by hand: {@code String.split} would pull TeaVM's regex engine (~400 KB) into the module.
 */
public final class SpiffeId {
  private final String trustDomain;
  private final String namespace;
  private final String serviceAccount;

  private SpiffeId(String trustDomain, String namespace, String serviceAccount) {
    this.trustDomain = trustDomain;
    this.namespace = namespace;
    this.serviceAccount = serviceAccount;
  }

  /**
   * Parses {@code spiffe://td/ns/n/sa/s} or Istio's scheme-less {@code td/ns/n/sa/s}; else null.
   */
  public static SpiffeId parse(String id) {
    if (id == null) {
      return null;
    }
    String p = id.startsWith("spiffe://") ? id.substring(9) : id;
    int a = p.indexOf('/');
    if (a <= 0 || !p.startsWith("/ns/", a)) {
      return null;
    }
    int nsStart = a + 4;
    int b = p.indexOf('/', nsStart);
    if (b <= nsStart || !p.startsWith("/sa/", b)) {
      return null;
    }
    int saStart = b + 4;
    if (saStart >= p.length() || p.indexOf('/', saStart) >= 0) {
      return null;
    }
    return new SpiffeId(p.substring(0, a), p.substring(nsStart, b), p.substring(saStart));
  }

  public String trustDomain() {
    return trustDomain;
  }

  public String namespace() {
    return namespace;
  }

  public String serviceAccount() {
    return serviceAccount;
  }
}

package dev.ambient.ztunnel.identity;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Reads subject alternative names of one type out of a certificate. */
public final class CertificateNames {
  public static final int DNS = 2;
  public static final int URI = 6;
  public static final int IP = 7;

  private CertificateNames() {}

  /** All SANs of the given GeneralName tag, as the JDK renders them (strings). */
  public static List<String> of(X509Certificate cert, int type) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return out;
      }
      for (List<?> san : sans) {
        if (san.size() >= 2 && ((Integer) san.get(0)) == type && san.get(1) instanceof String s) {
          out.add(s);
        }
      }
    } catch (CertificateParsingException e) {
      // Unparseable SANs count as none: callers then reject the certificate.
    }
    return out;
  }
}

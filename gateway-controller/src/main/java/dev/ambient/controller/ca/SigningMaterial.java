package dev.ambient.controller.ca;

import java.security.cert.X509Certificate;
import java.util.List;

/** Where the CA's signer and trust bundle come from: its own root store or configured files. */
public interface SigningMaterial {

  /** The signer to use now (may change after a root rotation). */
  Signer signer();

  /** Every root currently trusted, the signing root first. */
  List<X509Certificate> trustBundle();

  /** A line for operators saying where the material lives; no secrets. */
  String describe();
}

package dev.ambient.ztunnel.hbone;

import dev.ambient.api.spiffe.SpiffeId;
import java.util.Set;

/** The HBONE server proved an identity other than the ones the client expected. */
public final class PeerIdentityMismatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PeerIdentityMismatchException(Object server, SpiffeId actual, Set<SpiffeId> expected) {
    super(
        "HBONE server "
            + server
            + " presented identity "
            + actual
            + ", expected one of "
            + expected);
  }
}

package dev.ambient.controller.ca;

import dev.ambient.api.spiffe.SpiffeId;
import java.security.PublicKey;

/** What the CA takes from a request that passed {@link CsrValidator}: the identity and the key. */
public record ValidatedCsr(SpiffeId identity, PublicKey publicKey) {}

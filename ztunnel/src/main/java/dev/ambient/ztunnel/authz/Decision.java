package dev.ambient.ztunnel.authz;

/**
 * The outcome of L4 authorization.
 *
 * @param reason why, naming the policy that decided, e.g. {@code "denied by policy ns/name"} or
 *     {@code "allowed: no ALLOW policy selects the workload"}
 */
public record Decision(boolean allowed, String reason) {
  public static Decision allow(String reason) {
    return new Decision(true, reason);
  }

  public static Decision deny(String reason) {
    return new Decision(false, reason);
  }
}

package dev.ambient.controller.waypoint.authz;

/**
 * What a waypoint does with a request an AuthorizationPolicy matches. CUSTOM (external
 * authorization) has no provider here, so it never becomes an action: such a policy turns into a
 * DENY that matches everything (fail closed) and a reported problem.
 */
public enum L7Action {
  ALLOW,
  DENY,
  /** Only marks the request for audit logging; never changes the decision. */
  AUDIT
}

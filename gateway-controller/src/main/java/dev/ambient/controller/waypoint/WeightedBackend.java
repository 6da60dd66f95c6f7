package dev.ambient.controller.waypoint;

/**
 * A backendRef with its Gateway API weight (0 = receives nothing) and its own header filters.
 *
 * @param ref the service port, or {@code null} for a backendRef that does not resolve (service or
 *     port missing, wrong kind, unsupported filter): its share of the requests gets HTTP 500, as
 *     Gateway API requires, instead of shifting to the other backends
 */
public record WeightedBackend(
    BackendRef ref, int weight, HeaderModifier requestHeaders, HeaderModifier responseHeaders) {
  public WeightedBackend {
    if (weight < 0) {
      throw new IllegalArgumentException(
          "backend " + (ref == null ? "(invalid)" : ref.service()) + ": negative weight " + weight);
    }
    requestHeaders = requestHeaders == null ? HeaderModifier.NONE : requestHeaders;
    responseHeaders = responseHeaders == null ? HeaderModifier.NONE : responseHeaders;
  }

  public WeightedBackend(BackendRef ref, int weight) {
    this(java.util.Objects.requireNonNull(ref, "ref"), weight, null, null);
  }

  /** A backendRef that does not resolve: its share of the requests is answered 500. */
  public static WeightedBackend invalid(int weight) {
    return new WeightedBackend(null, weight, null, null);
  }

  public boolean isValid() {
    return ref != null;
  }

  /** Whether this backend has header filters of its own. */
  public boolean hasFilters() {
    return !requestHeaders.isEmpty() || !responseHeaders.isEmpty();
  }
}

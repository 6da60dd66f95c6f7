package dev.ambient.controller.ca;

import io.grpc.Metadata;
import java.util.Optional;

/**
 * Says which node a CA caller is, from its request headers. Bootstrap tokens today; a Kubernetes
 * TokenReview-based implementation can be added beside it.
 */
@FunctionalInterface
public interface CallerAuthenticator {

  /** The authenticated node name, or empty if the caller could not be authenticated. */
  Optional<String> nodeFor(Metadata headers);

  /**
   * The authenticated caller: a node, or (for authenticators that accept them) a workload's service
   * account. The default knows only nodes.
   */
  default Optional<Caller> callerFor(Metadata headers) {
    return nodeFor(headers).map(Caller::node);
  }
}

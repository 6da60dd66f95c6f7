package dev.ambient.controller.waypoint;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.utils.Serialization;

/** HTTPRoutes for tests, written as YAML the way users write them. */
final class TestRoutes {
  private TestRoutes() {}

  /**
   * An HTTPRoute {@code name} in {@code namespace} whose parent is Service {@code echo} (all its
   * ports), with these rules (a YAML list).
   */
  static HTTPRoute onEcho(String namespace, String name, String rulesYaml) {
    return Serialization.unmarshal(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: %s, namespace: %s, creationTimestamp: "2026-11-01T00:00:00Z"}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo}]
          rules:
        """
                .formatted(name, namespace)
            + rulesYaml.indent(4),
        HTTPRoute.class);
  }

  /**
   * Route {@code r} in {@code default}: every request to echo:80 with {@code header: value} set.
   */
  static HTTPRoute echoSettingHeader(String header, String value) {
    return onEcho(
        "default",
        "r",
        """
        - filters:
          - type: RequestHeaderModifier
            requestHeaderModifier: {set: [{name: %s, value: %s}]}
          backendRefs: [{name: echo, port: 80}]
        """
            .formatted(header, value));
  }
}

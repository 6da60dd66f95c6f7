package dev.ambient.controller.demo;

import java.net.InetSocketAddress;

/**
 * The demo's addresses. Everything lives in 127.0.0.0/8, which Linux routes to loopback, so each
 * node and workload gets an address of its own without root or network namespaces.
 */
final class DemoTopology {
  static final String TRUST_DOMAIN = "cluster.local";
  static final InetSocketAddress CA = new InetSocketAddress("127.0.0.10", 15012);
  static final String NODE_A_IP = "127.0.0.11";
  static final String NODE_B_IP = "127.0.0.12";

  static final String SLEEP_IP = "127.0.1.1";
  static final String INTRUDER_IP = "127.0.1.2";
  static final String ECHO_V1_IP = "127.0.2.1";
  static final String ECHO_V2_IP = "127.0.2.2";
  static final String LEGACY_IP = "127.0.9.1";
  static final String ECHO_VIP = "127.0.10.1";
  static final int ECHO_PORT = 80;
  static final int APP_PORT = 8080;

  private DemoTopology() {}

  static InetSocketAddress socks(String nodeIp) {
    return new InetSocketAddress(nodeIp, 15080);
  }

  /** The mesh as the CA and both ztunnels read it; {@code withDeny} adds the demo's policy. */
  static String meshYaml(boolean withDeny) {
    String yaml =
        """
        trustDomain: cluster.local
        workloads:
        - name: sleep
          namespace: default
          serviceAccount: sleep
          node: node-a
          addresses: [%s]
          labels: {app: sleep}
        - name: intruder
          namespace: other
          serviceAccount: intruder
          node: node-a
          addresses: [%s]
          labels: {app: intruder}
        - name: echo-v1
          namespace: default
          serviceAccount: echo
          node: node-b
          addresses: [%s]
          labels: {app: echo, version: v1}
        - name: echo-v2
          namespace: default
          serviceAccount: echo
          node: node-b
          addresses: [%s]
          labels: {app: echo, version: v2}
        services:
        - name: echo
          namespace: default
          vips: [%s]
          ports: [{port: %d, targetPort: %d}]
          endpoints: [Kubernetes//Pod/default/echo-v1, Kubernetes//Pod/default/echo-v2]
        """
            .formatted(
                SLEEP_IP, INTRUDER_IP, ECHO_V1_IP, ECHO_V2_IP, ECHO_VIP, ECHO_PORT, APP_PORT);
    if (withDeny) {
      yaml +=
          """
          authorizationPolicies:
          - metadata: {name: deny-other-namespace, namespace: default}
            spec:
              selector: {matchLabels: {app: echo}}
              action: DENY
              rules:
              - from:
                - source: {namespaces: [other]}
          """;
    }
    return yaml;
  }
}

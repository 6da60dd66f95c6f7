package dev.ambient.api.wds;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import java.util.List;
import java.util.Map;

/** A small mesh that exercises every convertible model feature. */
final class MeshFixture {
  private MeshFixture() {}

  static final Workload WEB =
      new Workload(
          "Kubernetes//Pod/shop/web-1",
          "web-1",
          "shop",
          "web",
          "node-a",
          "cluster.local",
          List.of(IpLiteral.parse("10.0.0.1")),
          TunnelProtocol.HBONE,
          GatewayAddress.ofHostname("shop", "waypoint.shop.svc.cluster.local"),
          "web",
          "v1",
          Map.of("app", "web", "version", "v1"));

  static final Workload WEB_V6 =
      new Workload(
          "Kubernetes//Pod/shop/web-2",
          "web-2",
          "shop",
          "default",
          "node-b",
          "example.org",
          List.of(IpLiteral.parse("fd00::2"), IpLiteral.parse("10.0.0.2")),
          TunnelProtocol.NONE,
          new GatewayAddress(null, IpLiteral.parse("10.0.9.9"), 15009),
          null,
          null,
          Map.of("app", "legacy"));

  static final Workload DB =
      new Workload(
          "Kubernetes//Pod/data/db-0",
          "db-0",
          "data",
          "db",
          "node-a",
          "cluster.local",
          List.of(IpLiteral.parse("10.0.1.5")),
          TunnelProtocol.HBONE,
          null,
          "db",
          "latest",
          Map.of());

  static final Service WEB_SERVICE =
      new Service(
          "web",
          "shop",
          "web.shop.svc.cluster.local",
          List.of(IpLiteral.parse("10.96.0.10"), IpLiteral.parse("fd00:96::10")),
          List.of(new ServicePort(80, 8080), new ServicePort(443, 0)),
          List.of(WEB.uid(), WEB_V6.uid()),
          LoadBalancing.LEAST_REQUESTS,
          GatewayAddress.ofHostname("shop", "waypoint.shop.svc.cluster.local"),
          List.of("spiffe://cluster.local/ns/shop/sa/web"));

  static final Service DB_SERVICE =
      new Service(
          "db",
          "data",
          "db.data.svc.cluster.local",
          List.of(IpLiteral.parse("10.96.1.1")),
          List.of(new ServicePort(5432, 5432)),
          List.of(DB.uid()),
          LoadBalancing.ROUND_ROBIN,
          null,
          List.of());

  static final AuthorizationPolicy ALLOW_WEB =
      new AuthorizationPolicy(
          "allow-web",
          "shop",
          AuthorizationPolicy.Scope.WORKLOAD_SELECTOR,
          AuthorizationPolicy.Action.ALLOW,
          Map.of("app", "web"),
          List.of(
              new Rule(
                  List.of(
                      new Clause(
                          List.of(
                              new Match(
                                  List.of(new StringMatch.Exact("shop")),
                                  List.of(new StringMatch.Prefix("kube-")),
                                  List.of(
                                      new StringMatch.Suffix("/sa/frontend"),
                                      new StringMatch.Presence()),
                                  List.of(new StringMatch.Exact("cluster.local/ns/shop/sa/evil")),
                                  List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/16")),
                                  List.of(Cidr.parse("10.9.9.9")),
                                  List.of(Cidr.parse("10.0.0.1/32")),
                                  List.of(Cidr.parse("0.0.0.0/0")),
                                  List.of(8080, 443),
                                  List.of(9090)),
                              Match.any())),
                      new Clause(List.of(Match.any())))),
              Rule.never()),
          false);

  static final AuthorizationPolicy DENY_SHOP =
      new AuthorizationPolicy(
          "deny-plaintext",
          "shop",
          AuthorizationPolicy.Scope.NAMESPACE,
          AuthorizationPolicy.Action.DENY,
          Map.of(),
          List.of(
              new Rule(
                  List.of(
                      new Clause(
                          List.of(
                              new Match(
                                  List.of(),
                                  List.of(),
                                  List.of(),
                                  List.of(new StringMatch.Presence()),
                                  List.of(),
                                  List.of(),
                                  List.of(),
                                  List.of(),
                                  List.of(),
                                  List.of())))))),
          false);

  static final AuthorizationPolicy GLOBAL_DRY_RUN =
      new AuthorizationPolicy(
          "istio_converted_static_strict",
          "istio-system",
          AuthorizationPolicy.Scope.GLOBAL,
          AuthorizationPolicy.Action.DENY,
          Map.of(),
          List.of(),
          true);

  static MeshConfig config() {
    return new MeshConfig(
        List.of(WEB, WEB_V6, DB),
        List.of(WEB_SERVICE, DB_SERVICE),
        List.of(ALLOW_WEB, DENY_SHOP, GLOBAL_DRY_RUN));
  }
}

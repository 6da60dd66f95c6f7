package dev.ambient.api.wds;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.Workload;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.workload.v1.Address;
import dev.ambient.api.workload.v1.Port;
import dev.ambient.api.workload.v1.PortList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure conversions between the mesh model and Istio's workload-discovery protos ({@code
 * istio.workload.Address}, {@code istio.security.Authorization}), in both directions.
 *
 * <p><b>Selector policies.</b> The model selects workloads for a {@code WORKLOAD_SELECTOR} policy
 * by labels; Istio's wire format instead lists, on each workload, the policies that select it
 * ({@code authorization_policies}), and carries no labels at all. Encoding resolves the selection
 * with {@link MeshState#policiesFor}. Decoding cannot recover the original labels, so it reproduces
 * the same selection with one synthetic label per policy: the policy gets the selector {@code
 * ambient.dev/policy.<namespace>.<name>=true} and every workload that lists it carries that label.
 * {@code policiesFor} therefore selects exactly the listed workloads; workloads carry only these
 * synthetic labels after decoding. A workload may list only selector policies of its own namespace
 * (the model's selector never reaches across namespaces), and only policies present in the same
 * snapshot: an unresolvable reference is refused rather than ignored, since ignoring a DENY policy
 * would fail open.
 *
 * <p><b>Endpoints.</b> Service endpoints are rebuilt from each workload's {@code services} map, in
 * workload order; UNHEALTHY workloads are not endpoints. Per-workload port overrides cannot be
 * represented, so a workload's ports for a service must equal the service's own.
 *
 * <p><b>Errors.</b> Decoding validates everything (address lengths, names, enum values, ranges,
 * references) and throws one {@link InvalidMeshConfigException} naming each bad resource and field;
 * no other exception type escapes. Fields the model cannot represent and that would change where or
 * how traffic flows (another network, DNS-resolved or host-network workloads, legacy Istio mTLS,
 * application tunnels, STRICT/PASSTHROUGH locality) are refused; informational ones (locality,
 * cluster id, capacity, canonical, foreign extensions) are ignored.
 */
public final class WorkloadProtos {
  public static final String ADDRESS_TYPE_URL = "type.googleapis.com/istio.workload.Address";
  public static final String AUTHORIZATION_TYPE_URL =
      "type.googleapis.com/istio.security.Authorization";

  /** Istio's cluster id for a single Kubernetes cluster. */
  public static final String CLUSTER_ID = "Kubernetes";

  /** Prefix of the synthetic label that marks a workload as selected by a decoded policy. */
  public static final String POLICY_LABEL_PREFIX = "ambient.dev/policy.";

  /** Name of the service extension carrying the model's load-balancing algorithm. */
  public static final String LOAD_BALANCING_EXTENSION = "ambient.dev/load-balancing";

  private WorkloadProtos() {}

  // ---- model -> proto ----------------------------------------------------------------------

  /** Every WDS resource for a snapshot: workloads, then services, then policies, in model order. */
  public static WdsResources toProtos(MeshState state) {
    List<Address> addresses = new ArrayList<>();
    for (Workload w : state.workloads()) {
      addresses.add(Address.newBuilder().setWorkload(toProto(w, state)).build());
    }
    for (Service s : state.services()) {
      addresses.add(Address.newBuilder().setService(toProto(s)).build());
    }
    List<Authorization> authorizations = new ArrayList<>();
    for (AuthorizationPolicy p : state.policies()) {
      authorizations.add(toProto(p));
    }
    return new WdsResources(addresses, authorizations);
  }

  /**
   * A workload as WDS describes it; {@code state} supplies the services it serves and the
   * selector-scoped policies that select it.
   */
  public static dev.ambient.api.workload.v1.Workload toProto(Workload workload, MeshState state) {
    Map<String, PortList> services = new LinkedHashMap<>();
    for (Service s : state.services()) {
      if (s.endpoints().contains(workload.uid())) {
        services.put(s.resourceName(), portList(s));
      }
    }
    List<String> selectorPolicies = new ArrayList<>();
    for (AuthorizationPolicy p : state.policiesFor(workload)) {
      if (p.scope() == AuthorizationPolicy.Scope.WORKLOAD_SELECTOR) {
        selectorPolicies.add(p.resourceName());
      }
    }
    return WorkloadConversion.toProto(workload, services, selectorPolicies);
  }

  public static dev.ambient.api.workload.v1.Service toProto(Service service) {
    return ServiceConversion.toProto(service);
  }

  /** A policy as WDS describes it; its selector is expressed on the workloads instead. */
  public static Authorization toProto(AuthorizationPolicy policy) {
    return AuthorizationConversion.toProto(policy);
  }

  /** The xDS resource name of an address: a workload's uid, a service's namespace/hostname. */
  public static String resourceName(Address address) {
    return switch (address.getTypeCase()) {
      case WORKLOAD -> address.getWorkload().getUid();
      case SERVICE ->
          address.getService().getNamespace() + "/" + address.getService().getHostname();
      case TYPE_NOT_SET -> "";
    };
  }

  public static String resourceName(Authorization authorization) {
    return authorization.getNamespace() + "/" + authorization.getName();
  }

  /** The label a decoded selector policy uses to select the workloads that list it. */
  public static String policyLabel(String namespace, String name) {
    return POLICY_LABEL_PREFIX + namespace + "." + name;
  }

  private static PortList portList(Service s) {
    PortList.Builder out = PortList.newBuilder();
    for (ServicePort p : s.ports()) {
      out.addPorts(ServiceConversion.toProto(p));
    }
    return out.build();
  }

  // ---- proto -> model ----------------------------------------------------------------------

  /**
   * Rebuilds the model from a complete set of WDS resources (see the class comment for how
   * selection and endpoints are reconstructed). The result still has to pass {@link MeshState#of},
   * which checks model-level consistency such as address clashes.
   *
   * @throws InvalidMeshConfigException naming every bad resource and field
   */
  public static MeshConfig toMeshConfig(
      Collection<Address> addresses, Collection<Authorization> authorizations)
      throws InvalidMeshConfigException {
    try {
      return decode(addresses, authorizations);
    } catch (InvalidMeshConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      // Validation should have caught everything a model constructor refuses; this keeps the
      // promise that only InvalidMeshConfigException leaves even if it did not.
      throw new InvalidMeshConfigException("WDS resources: unexpected problem: " + e);
    }
  }

  private static MeshConfig decode(
      Collection<Address> addresses, Collection<Authorization> authorizations)
      throws InvalidMeshConfigException {
    Problems problems = new Problems();

    // Index policies and services by resource name first: workloads refer to both.
    Map<String, Authorization> policyByName = new LinkedHashMap<>();
    int index = 0;
    for (Authorization a : authorizations) {
      String name = resourceName(a);
      if (policyByName.putIfAbsent(name, a) != null) {
        problems.add(policyResource(a, index), "name", "duplicate policy");
      }
      index++;
    }
    List<dev.ambient.api.workload.v1.Workload> workloadProtos = new ArrayList<>();
    Map<String, dev.ambient.api.workload.v1.Service> serviceByName = new LinkedHashMap<>();
    index = 0;
    for (Address a : addresses) {
      switch (a.getTypeCase()) {
        case WORKLOAD -> workloadProtos.add(a.getWorkload());
        case SERVICE -> {
          dev.ambient.api.workload.v1.Service s = a.getService();
          if (serviceByName.putIfAbsent(resourceName(a), s) != null) {
            problems.add(serviceResource(s), "hostname", "duplicate service");
          }
        }
        case TYPE_NOT_SET ->
            problems.add("address #" + index, "type", "neither workload nor service is set");
      }
      index++;
    }

    // Workloads, with their service and policy references.
    Map<String, List<String>> endpointsByService = new HashMap<>();
    List<Workload> workloads = new ArrayList<>();
    Map<String, Boolean> seenUids = new HashMap<>();
    index = 0;
    for (dev.ambient.api.workload.v1.Workload w : workloadProtos) {
      String resource = workloadResource(w, index++);
      Map<String, String> labels = new LinkedHashMap<>();
      checkPolicyReferences(w, policyByName, labels, problems, resource);
      checkServiceReferences(w, serviceByName, problems, resource);
      WorkloadConversion.Decoded decoded =
          WorkloadConversion.fromProto(w, labels, problems, resource);
      if (decoded == null) {
        continue;
      }
      if (seenUids.putIfAbsent(w.getUid(), Boolean.TRUE) != null) {
        problems.add(resource, "uid", "duplicate uid");
        continue;
      }
      workloads.add(decoded.workload());
      if (decoded.healthy()) {
        for (String key : decoded.serviceKeys()) {
          endpointsByService.computeIfAbsent(key, k -> new ArrayList<>()).add(w.getUid());
        }
      }
    }

    List<Service> services = new ArrayList<>();
    for (Map.Entry<String, dev.ambient.api.workload.v1.Service> e : serviceByName.entrySet()) {
      Service s =
          ServiceConversion.fromProto(
              e.getValue(),
              endpointsByService.getOrDefault(e.getKey(), List.of()),
              problems,
              serviceResource(e.getValue()));
      if (s != null) {
        services.add(s);
      }
    }

    List<AuthorizationPolicy> policies = new ArrayList<>();
    index = 0;
    for (Authorization a : policyByName.values()) {
      Map<String, String> selector =
          a.getScope() == dev.ambient.api.security.v1.Scope.WORKLOAD_SELECTOR
              ? Map.of(policyLabel(a.getNamespace(), a.getName()), "true")
              : Map.of();
      AuthorizationPolicy p =
          AuthorizationConversion.fromProto(a, selector, problems, policyResource(a, index++));
      if (p != null) {
        policies.add(p);
      }
    }
    problems.throwIfAny();
    return new MeshConfig(workloads, services, policies);
  }

  private static void checkPolicyReferences(
      dev.ambient.api.workload.v1.Workload w,
      Map<String, Authorization> policyByName,
      Map<String, String> labels,
      Problems problems,
      String resource) {
    for (int i = 0; i < w.getAuthorizationPoliciesCount(); i++) {
      String ref = w.getAuthorizationPolicies(i);
      String field = "authorization_policies[" + i + "]";
      Authorization policy = policyByName.get(ref);
      if (policy == null) {
        problems.add(resource, field, "unknown authorization policy " + Problems.printable(ref));
        continue;
      }
      if (policy.getScope() != dev.ambient.api.security.v1.Scope.WORKLOAD_SELECTOR) {
        continue; // namespace- and mesh-wide policies select the workload anyway
      }
      if (!policy.getNamespace().equals(w.getNamespace())) {
        problems.add(
            resource,
            field,
            "selector policy "
                + Problems.printable(ref)
                + " is in another namespace; the model cannot select across namespaces");
        continue;
      }
      labels.put(policyLabel(policy.getNamespace(), policy.getName()), "true");
    }
  }

  private static void checkServiceReferences(
      dev.ambient.api.workload.v1.Workload w,
      Map<String, dev.ambient.api.workload.v1.Service> serviceByName,
      Problems problems,
      String resource) {
    for (Map.Entry<String, PortList> e : w.getServicesMap().entrySet()) {
      String field = "services[" + Problems.printable(e.getKey()) + "]";
      dev.ambient.api.workload.v1.Service service = serviceByName.get(e.getKey());
      if (service == null) {
        problems.add(resource, field, "unknown service");
        continue;
      }
      List<Port> ports = e.getValue().getPortsList();
      for (int i = 0; i < ports.size(); i++) {
        Port port = ports.get(i);
        boolean matches =
            service.getPortsList().stream()
                .anyMatch(
                    sp ->
                        sp.getServicePort() == port.getServicePort()
                            && sp.getTargetPort() == port.getTargetPort());
        if (!matches) {
          problems.add(
              resource,
              field + ".ports[" + i + "]",
              "port "
                  + Integer.toUnsignedString(port.getServicePort())
                  + "->"
                  + Integer.toUnsignedString(port.getTargetPort())
                  + " differs from the service's ports (per-workload ports are not supported)");
        }
      }
    }
  }

  private static String workloadResource(dev.ambient.api.workload.v1.Workload w, int index) {
    return Names.checkUid(w.getUid()) == null ? "workload " + w.getUid() : "workload #" + index;
  }

  private static String serviceResource(dev.ambient.api.workload.v1.Service s) {
    return "service " + Problems.printable(s.getNamespace() + "/" + s.getHostname());
  }

  private static String policyResource(Authorization a, int index) {
    boolean printable =
        Names.checkPolicyName(a.getName()) == null && Names.checkDnsLabel(a.getNamespace()) == null;
    return printable
        ? "authorization policy " + resourceName(a)
        : "authorization policy #" + index + " " + Problems.printable(resourceName(a));
  }
}

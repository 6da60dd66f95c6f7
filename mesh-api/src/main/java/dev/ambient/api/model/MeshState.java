package dev.ambient.api.model;

import dev.ambient.api.authz.AuthorizationPolicy;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable, indexed view of a {@link MeshConfig}: what the data path looks up per connection.
 * Built whole or not at all: {@link #of} checks the cross references and refuses inconsistent
 * configuration, so a half-valid snapshot can never be applied.
 */
public final class MeshState {

  public static final MeshState EMPTY =
      new MeshState(MeshConfig.EMPTY, 0, Map.of(), Map.of(), Map.of(), Map.of());

  private final MeshConfig config;
  private final long version;
  private final Map<String, Workload> workloadsByUid;
  private final Map<InetAddress, Workload> workloadsByAddress;
  private final Map<InetAddress, Service> servicesByVip;
  private final Map<String, Service> servicesByName;

  private MeshState(
      MeshConfig config,
      long version,
      Map<String, Workload> workloadsByUid,
      Map<InetAddress, Workload> workloadsByAddress,
      Map<InetAddress, Service> servicesByVip,
      Map<String, Service> servicesByName) {
    this.config = config;
    this.version = version;
    this.workloadsByUid = workloadsByUid;
    this.workloadsByAddress = workloadsByAddress;
    this.servicesByVip = servicesByVip;
    this.servicesByName = servicesByName;
  }

  /** Indexes a configuration, or explains every reason it cannot be applied. */
  public static MeshState of(MeshConfig config, long version) throws InvalidMeshConfigException {
    List<String> problems = new ArrayList<>();
    Map<String, Workload> byUid = new LinkedHashMap<>();
    Map<InetAddress, Workload> byAddress = new HashMap<>();
    for (Workload w : config.workloads()) {
      if (byUid.putIfAbsent(w.uid(), w) != null) {
        problems.add("workload " + w.uid() + ": field uid: duplicate uid");
      }
      for (InetAddress a : w.addresses()) {
        Workload other = byAddress.putIfAbsent(a, w);
        if (other != null && other != w) {
          problems.add(
              "workload "
                  + w.uid()
                  + ": field addresses: "
                  + a.getHostAddress()
                  + " already belongs to workload "
                  + other.uid());
        }
      }
    }
    Map<InetAddress, Service> byVip = new HashMap<>();
    Map<String, Service> byName = new LinkedHashMap<>();
    for (Service s : config.services()) {
      if (byName.putIfAbsent(s.resourceName(), s) != null) {
        problems.add("service " + s.resourceName() + ": field hostname: duplicate service");
      }
      for (InetAddress vip : s.vips()) {
        Service other = byVip.putIfAbsent(vip, s);
        if (other != null && other != s) {
          problems.add(
              "service "
                  + s.resourceName()
                  + ": field vips: "
                  + vip.getHostAddress()
                  + " already belongs to service "
                  + other.resourceName());
        }
        if (byAddress.containsKey(vip)) {
          problems.add(
              "service "
                  + s.resourceName()
                  + ": field vips: "
                  + vip.getHostAddress()
                  + " is also the address of workload "
                  + byAddress.get(vip).uid());
        }
      }
      for (String uid : s.endpoints()) {
        if (!byUid.containsKey(uid)) {
          problems.add(
              "service " + s.resourceName() + ": field endpoints: unknown workload " + uid);
        }
      }
    }
    Map<String, AuthorizationPolicy> policies = new HashMap<>();
    for (AuthorizationPolicy p : config.policies()) {
      if (policies.putIfAbsent(p.resourceName(), p) != null) {
        problems.add("authorization policy " + p.resourceName() + ": field name: duplicate policy");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidMeshConfigException(problems);
    }
    return new MeshState(
        config,
        version,
        Map.copyOf(byUid),
        Map.copyOf(byAddress),
        Map.copyOf(byVip),
        Map.copyOf(byName));
  }

  public MeshConfig config() {
    return config;
  }

  public long version() {
    return version;
  }

  public Workload workloadByUid(String uid) {
    return workloadsByUid.get(uid);
  }

  public Workload workloadByAddress(InetAddress address) {
    return workloadsByAddress.get(address);
  }

  public Service serviceByVip(InetAddress vip) {
    return servicesByVip.get(vip);
  }

  /** Looks a service up by {@code <namespace>/<hostname>}. */
  public Service serviceByName(String namespacedHostname) {
    return servicesByName.get(namespacedHostname);
  }

  public List<Workload> workloads() {
    return config.workloads();
  }

  public List<Service> services() {
    return config.services();
  }

  public List<AuthorizationPolicy> policies() {
    return config.policies();
  }

  public List<Workload> workloadsOnNode(String node) {
    List<Workload> out = new ArrayList<>();
    for (Workload w : config.workloads()) {
      if (w.node().equals(node)) {
        out.add(w);
      }
    }
    return out;
  }

  /** The workloads behind a service, in configuration order. */
  public List<Workload> endpoints(Service service) {
    List<Workload> out = new ArrayList<>(service.endpoints().size());
    for (String uid : service.endpoints()) {
      Workload w = workloadsByUid.get(uid);
      if (w != null) {
        out.add(w);
      }
    }
    return out;
  }

  /**
   * The policies that select a workload: global ones, its namespace's, and those whose selector its
   * labels satisfy.
   */
  public List<AuthorizationPolicy> policiesFor(Workload workload) {
    List<AuthorizationPolicy> out = new ArrayList<>();
    for (AuthorizationPolicy p : config.policies()) {
      boolean selected =
          switch (p.scope()) {
            case GLOBAL -> true;
            case NAMESPACE -> p.namespace().equals(workload.namespace());
            case WORKLOAD_SELECTOR ->
                p.namespace().equals(workload.namespace())
                    && workload.labels().entrySet().containsAll(p.selector().entrySet());
          };
      if (selected) {
        out.add(p);
      }
    }
    return out;
  }
}

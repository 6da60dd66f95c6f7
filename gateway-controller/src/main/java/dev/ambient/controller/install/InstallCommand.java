package dev.ambient.controller.install;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh install}: applies the manifests of deploy/ (carried in this jar) to a cluster with
 * server-side apply, field manager {@code ambient-install}, and waits until the controller is
 * ready. {@code mesh uninstall} deletes what install applied, in reverse order.
 */
@Command(
    name = "install",
    mixinStandardHelpOptions = true,
    description = "Install the mesh into a Kubernetes cluster and wait until it is ready.")
public final class InstallCommand implements Callable<Integer> {
  /** The manifests, in the order they are applied. */
  static final List<String> MANIFESTS =
      List.of(
          "00-namespace.yaml",
          "10-controller-rbac.yaml",
          "20-controller.yaml",
          "30-ztunnel.yaml",
          "40-cni.yaml",
          "50-waypoint-classes.yaml");

  /** The node DaemonSets, in the order they become ready (ztunnel needs the controller). */
  static final List<String> DAEMONSETS = List.of("ztunnel", "ambient-cni");

  static final String FIELD_MANAGER = "ambient-install";
  static final String NAMESPACE = "istio-system";
  static final String CONTROLLER = "ambient-controller";

  @Spec CommandSpec spec;

  @Option(
      names = "--kubeconfig",
      description = "The cluster's kubeconfig (default: $KUBECONFIG, then ~/.kube/config).")
  Path kubeconfig;

  @Option(
      names = "--timeout",
      defaultValue = "300",
      description = "Seconds to wait for the mesh to be ready. Default: ${DEFAULT-VALUE}")
  int timeoutSeconds;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (KubernetesClient client = connect(kubeconfig)) {
      boolean gatewayApi = servesGatewayApi(client);
      for (HasMetadata object : manifests(client)) {
        if (!gatewayApi && isGatewayApi(object)) {
          out.println(
              "skipped "
                  + describe(object)
                  + ": the Gateway API CRDs are not installed (install them, then run mesh"
                  + " install again to get waypoints)");
          continue;
        }
        client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        out.println("applied " + describe(object));
        out.flush();
      }
      out.println("waiting for " + NAMESPACE + "/" + CONTROLLER + " to be ready ...");
      out.flush();
      Deployment ready =
          client
              .apps()
              .deployments()
              .inNamespace(NAMESPACE)
              .withName(CONTROLLER)
              .waitUntilReady(timeoutSeconds, TimeUnit.SECONDS);
      out.println(CONTROLLER + " ready (" + ready.getStatus().getReadyReplicas() + " replica)");
      for (String name : DAEMONSETS) {
        out.println(
            "waiting for DaemonSet " + NAMESPACE + "/" + name + " to be ready on every node ...");
        out.flush();
        DaemonSet ds =
            client
                .apps()
                .daemonSets()
                .inNamespace(NAMESPACE)
                .withName(name)
                .waitUntilCondition(
                    InstallCommand::daemonSetReady, timeoutSeconds, TimeUnit.SECONDS);
        out.println(name + " ready on " + ds.getStatus().getNumberReady() + " nodes");
      }
      out.println("mesh installed; label a namespace istio.io/dataplane-mode=ambient to add it");
      return 0;
    } catch (KubernetesClientException | IOException | IllegalStateException e) {
      err.println("mesh install: " + e.getMessage());
      return 1;
    }
  }

  static boolean isGatewayApi(HasMetadata o) {
    return o.getApiVersion() != null && o.getApiVersion().startsWith("gateway.networking.k8s.io/");
  }

  static boolean servesGatewayApi(KubernetesClient client) {
    return client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName("gatewayclasses.gateway.networking.k8s.io")
            .get()
        != null;
  }

  /**
   * Every node runs the current pod template and it is ready (what kubectl rollout status checks).
   */
  static boolean daemonSetReady(DaemonSet ds) {
    if (ds == null || ds.getStatus() == null) {
      return false;
    }
    var st = ds.getStatus();
    Long generation = ds.getMetadata().getGeneration();
    int desired = st.getDesiredNumberScheduled() == null ? 0 : st.getDesiredNumberScheduled();
    return generation != null
        && generation.equals(st.getObservedGeneration())
        && desired > 0
        && desired == (st.getUpdatedNumberScheduled() == null ? 0 : st.getUpdatedNumberScheduled())
        && desired == (st.getNumberReady() == null ? 0 : st.getNumberReady());
  }

  static KubernetesClient connect(Path kubeconfig) throws IOException {
    if (kubeconfig == null) {
      return new KubernetesClientBuilder().build();
    }
    if (!Files.isReadable(kubeconfig)) {
      throw new IOException("--kubeconfig " + kubeconfig + ": not readable");
    }
    Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  static List<HasMetadata> manifests(KubernetesClient client) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    for (String name : MANIFESTS) {
      try (InputStream in = InstallCommand.class.getResourceAsStream("/deploy/" + name)) {
        if (in == null) {
          throw new IllegalStateException("manifest deploy/" + name + " is missing from the jar");
        }
        objects.addAll(client.load(in).items());
      }
    }
    return objects;
  }

  static String describe(HasMetadata o) {
    String ns = o.getMetadata().getNamespace();
    return o.getKind() + " " + (ns == null ? "" : ns + "/") + o.getMetadata().getName();
  }

  /** {@code mesh uninstall}. */
  @Command(
      name = "uninstall",
      mixinStandardHelpOptions = true,
      description = "Remove what mesh install applied (the namespace stays unless --purge).")
  public static final class Uninstall implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--kubeconfig", description = "The cluster's kubeconfig.")
    Path kubeconfig;

    @Option(
        names = "--purge",
        description = "Also delete the istio-system namespace, and everything users put in it.")
    boolean purge;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (KubernetesClient client = connect(kubeconfig)) {
        List<HasMetadata> objects = manifests(client);
        for (int i = objects.size() - 1; i >= 0; i--) {
          HasMetadata o = objects.get(i);
          if (o instanceof Namespace && !purge) {
            continue; // users' objects (root-namespace policies) live there
          }
          if (isGatewayApi(o) && !servesGatewayApi(client)) {
            continue;
          }
          // Foreground: the DaemonSets' pods are gone (and the CNI agent has taken its plugin out
          // of the nodes' configuration) before uninstall reports done.
          client
              .resource(o)
              .withPropagationPolicy(DeletionPropagation.FOREGROUND)
              .withTimeout(120, TimeUnit.SECONDS)
              .delete();
          out.println("deleted " + describe(o));
          out.flush();
        }
        out.println("mesh uninstalled" + (purge ? " (namespace " + NAMESPACE + " too)" : ""));
        return 0;
      } catch (KubernetesClientException | IOException | IllegalStateException e) {
        err.println("mesh uninstall: " + e.getMessage());
        return 1;
      }
    }
  }
}

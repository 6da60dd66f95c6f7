package dev.ambient.controller.wasm;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mesh wasm deploy}: a compiled module to a WasmPlugin manifest (url and sha256 filled in,
 * the module checked as the controller will check it), applied to a cluster with {@code
 * --kubeconfig}. ({@code ./mesh wasm deploy --main-class} builds the module first with {@code wasm
 * build}.)
 */
@Command(
    name = "deploy",
    mixinStandardHelpOptions = true,
    description = "Write (and with --kubeconfig apply) a WasmPlugin for a compiled module.")
public final class WasmDeployCommand implements Callable<Integer> {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  @Parameters(index = "0", description = "The WasmPlugin's name.")
  String name;

  @Option(names = "--module", required = true, description = "The compiled module (.wasm).")
  Path module;

  @Option(
      names = "--namespace",
      defaultValue = "default",
      description = "Default: ${DEFAULT-VALUE}.")
  String namespace;

  @Option(names = "--gateway", description = "A waypoint Gateway to run in (repeatable).")
  List<String> gateways = new ArrayList<>();

  @Option(names = "--service", description = "A Service whose traffic it runs for (repeatable).")
  List<String> services = new ArrayList<>();

  @Option(
      names = "--url",
      description =
          "Where the controller fetches the module (default: file://<absolute --module path>, which"
              + " works when the controller runs on this machine, as in the lab).")
  String url;

  @Option(names = "--phase", description = "AUTHN, AUTHZ, STATS (default: unspecified).")
  String phase;

  @Option(names = "--priority", description = "Higher runs first within a phase.")
  Integer priority;

  @Option(names = "--plugin-name", description = "The root id the module registers.")
  String pluginName;

  @Option(names = "--config", description = "The plugin configuration: a JSON object, or @file.")
  String config;

  @Option(names = "--fail-open", description = "failStrategy FAIL_OPEN (default FAIL_CLOSE).")
  boolean failOpen;

  @Option(names = "--out", description = "Where to write the manifest (default: <name>.yaml).")
  Path out;

  @Option(names = "--kubeconfig", description = "Apply the manifest to this cluster.")
  Path kubeconfig;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    try {
      return deploy(spec.commandLine().getOut());
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("mesh wasm deploy: " + e.getMessage());
      return 2;
    }
  }

  private int deploy(PrintWriter stdout) throws Exception {
    if (gateways.isEmpty() && services.isEmpty()) {
      throw new IllegalArgumentException("say where it runs: --gateway NAME and/or --service NAME");
    }
    Path abs = module.toAbsolutePath().normalize();
    ModuleResolution checked = new WasmModules().resolve(abs.toString(), null);
    if (!checked.isOk()) {
      throw new IllegalArgumentException(
          "--module " + module + ": " + checked.reason() + ": " + checked.message());
    }
    GenericKubernetesResource plugin =
        manifest(url == null ? abs.toUri().toString() : url, checked.module().sha256());
    String yaml = YAML.asYaml(plugin);
    Path target = out == null ? Path.of(name + ".yaml") : out;
    Files.writeString(target, yaml);
    stdout.println(
        "wrote "
            + target
            + " (WasmPlugin "
            + namespace
            + "/"
            + name
            + ", sha256 "
            + checked.module().sha256()
            + ")");
    if (kubeconfig != null) {
      try (KubernetesClient client =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build()) {
        client.resource(plugin).fieldManager("mesh-wasm-deploy").forceConflicts().serverSideApply();
        stdout.println("applied WasmPlugin " + namespace + "/" + name);
      } catch (KubernetesClientException e) {
        throw new IllegalArgumentException(
            "applying WasmPlugin " + namespace + "/" + name + ": " + e.getMessage());
      }
    }
    return 0;
  }

  GenericKubernetesResource manifest(String moduleUrl, String sha256) throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    List<Map<String, Object>> refs = new ArrayList<>();
    for (String g : gateways) {
      refs.add(ref("gateway.networking.k8s.io", "Gateway", g));
    }
    for (String s : services) {
      refs.add(ref("", "Service", s));
    }
    spec.put("targetRefs", refs);
    spec.put("url", moduleUrl);
    spec.put("sha256", sha256);
    if (phase != null) {
      try {
        WasmPhase.parse(phase.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--phase: " + phase + " is not AUTHN, AUTHZ or STATS");
      }
      spec.put("phase", phase.toUpperCase(java.util.Locale.ROOT));
    }
    if (priority != null) {
      spec.put("priority", priority);
    }
    if (pluginName != null) {
      spec.put("pluginName", pluginName);
    }
    spec.put("failStrategy", failOpen ? "FAIL_OPEN" : "FAIL_CLOSE");
    if (config != null) {
      String json =
          config.startsWith("@") ? Files.readString(Path.of(config.substring(1))) : config;
      Object parsed;
      try {
        parsed = YAML.unmarshal(json, Object.class);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--config: not JSON: " + e.getMessage());
      }
      if (!(parsed instanceof Map)) {
        throw new IllegalArgumentException("--config: must be a JSON object");
      }
      spec.put("pluginConfig", parsed);
    }
    GenericKubernetesResource p = new GenericKubernetesResource();
    p.setApiVersion(WasmPluginController.API_VERSION);
    p.setKind("WasmPlugin");
    p.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    p.setAdditionalProperty("spec", spec);
    return p;
  }

  private static Map<String, Object> ref(String group, String kind, String name) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("group", group);
    r.put("kind", kind);
    r.put("name", name);
    return r;
  }
}

package dev.ambient.controller.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code mesh demo --mode waypoint}: L7 in the mesh as a platform team uses it, on the lab cluster
 * (a real Kubernetes control plane, pods as processes in network namespaces). The mesh is installed
 * with {@code mesh install}; the user's manifests ({@code deploy/examples/waypoint-demo.yaml})
 * enrol a namespace, ask for a waypoint Gateway, split {@code echo} between two versions with an
 * HTTPRoute and deny {@code /admin} with an AuthorizationPolicy. Every request is made by {@code
 * curl} in an ordinary client pod, and what it experienced is read from the answers of the echo
 * servers (which pod answered, which headers the application saw), not assumed.
 */
final class WaypointDemo {
  static final String NAMESPACE = "ambient-demo";
  private static final Pattern POD = Pattern.compile("\"pod\":\\s*\"([^\"]+)\"");
  private static final Pattern ROUTE_HEADER =
      Pattern.compile("\"X-Mesh-Route\":\\s*\\[\\s*\"([^\"]+)\"", Pattern.CASE_INSENSITIVE);

  private final Path repo;
  private final PrintStream out;
  private final List<String> results = new ArrayList<>();
  private boolean failed;

  WaypointDemo(Path repo, PrintStream out) {
    this.repo = repo;
    this.out = out;
  }

  int run() throws Exception {
    step("The lab cluster (first run: builds Kubernetes and friends from source, ~15 min)");
    live(Duration.ofMinutes(60), "lab", "up");
    live(Duration.ofMinutes(5), "lab", "crds");
    Path kubeconfig = Path.of("/run/ambient-lab/admin.kubeconfig");

    step("mesh install: controller, ztunnel and CNI DaemonSets, waypoint GatewayClasses");
    live(Duration.ofMinutes(8), "install", "--kubeconfig", kubeconfig.toString());

    Path example = repo.resolve("deploy/examples/waypoint-demo.yaml");
    step("The user's manifests: " + repo.relativize(example));
    out.println(
        "  namespace " + NAMESPACE + ": istio.io/dataplane-mode=ambient, use-waypoint=waypoint");
    out.println("  Gateway waypoint (class istio-waypoint, HBONE :15008)");
    out.println("  echo-v1, echo-v2 (echo-basic) behind Services echo, echo-v1, echo-v2");
    out.println("  HTTPRoute echo-split: x-version: v2 -> echo-v2; else 70/30, sets x-mesh-route");
    out.println("  AuthorizationPolicy deny-admin: DENY /admin on Service echo (in the waypoint)");
    kubectl("apply", "-f", example.toString());

    step("Waiting for the waypoint the controller provisions (its pod gets its own identity)");
    String programmed = "";
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (System.nanoTime() < deadline && !programmed.equals("True")) {
      programmed =
          kubectl(
              "-n",
              NAMESPACE,
              "get",
              "gateway",
              "waypoint",
              "-o",
              "jsonpath={.status.conditions[?(@.type==\"Programmed\")].status}");
      if (!programmed.equals("True")) {
        Thread.sleep(1000);
      }
    }
    out.println(
        "  Gateway waypoint: Programmed="
            + programmed
            + ", address "
            + kubectl(
                "-n",
                NAMESPACE,
                "get",
                "gateway",
                "waypoint",
                "-o",
                "jsonpath={.status.addresses[0].value}"));
    for (String d : List.of("deployment/echo-v1", "deployment/echo-v2")) {
      kubectl("-n", NAMESPACE, "wait", "--for=condition=Available", d, "--timeout=180s");
    }
    kubectl("-n", NAMESPACE, "wait", "--for=condition=Ready", "pod/client", "--timeout=180s");
    out.println(kubectl("-n", NAMESPACE, "get", "pods", "-o", "wide").stripTrailing());

    String url = "http://echo." + NAMESPACE + ".svc.cluster.local";
    step("curl in pod client -> ztunnel -> waypoint (Envoy) -> ztunnel -> echo");
    for (int i = 0; i < 3; i++) {
      Answer a = curl(url + "/", "x-version: v2");
      out.println("  GET /  x-version: v2       -> " + a);
      check(a.code() == 200 && a.pod().startsWith("echo-v2-"), "header match: v2 answered");
    }
    Map<String, Integer> split = new TreeMap<>();
    for (int i = 0; i < 20; i++) {
      Answer a = curl(url + "/", null);
      if (i < 5) {
        out.println("  GET /                      -> " + a);
      }
      split.merge(a.pod().replaceAll("-[a-z0-9]+-[a-z0-9]+$", ""), 1, Integer::sum);
      check("split-70-30".equals(a.routeHeader()), "the route's header reached the app");
    }
    out.println("  20 x GET / answered by " + split + " (weights 70/30)");
    check(split.keySet().equals(java.util.Set.of("echo-v1", "echo-v2")), "both versions served");
    Answer admin = curl(url + "/admin", null);
    out.println("  GET /admin                 -> " + admin);
    check(admin.code() == 403 && admin.body().contains("RBAC: access denied"), "/admin denied");

    step("Status the controller wrote");
    out.println(
        "  HTTPRoute echo-split parent echo: Accepted="
            + kubectl(
                "-n",
                NAMESPACE,
                "get",
                "httproute",
                "echo-split",
                "-o",
                "jsonpath={.status.parents[0].conditions[?(@.type==\"Accepted\")].status}"));

    step("Result");
    results.forEach(out::println);
    out.println(failed ? "FAIL  something above did not happen" : "PASS  all of the above");
    out.println(
        "The lab stays up: ./mesh lab kubectl -n "
            + NAMESPACE
            + " get all,gateway,httproute; ./mesh lab down removes it.");
    return failed ? 1 : 0;
  }

  /** What one request experienced. */
  record Answer(int code, String pod, String routeHeader, String body) {
    @Override
    public String toString() {
      if (code != 200) {
        return code + " " + body.strip();
      }
      return code
          + " from "
          + pod
          + (routeHeader == null ? "" : ", app saw x-mesh-route: " + routeHeader);
    }
  }

  private Answer curl(String url, String header) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-n",
                NAMESPACE,
                "exec",
                "client",
                "--",
                "curl",
                "-sS",
                "-m",
                "10",
                "-w",
                "\n%{http_code}"));
    if (header != null) {
      args.addAll(List.of("-H", header));
    }
    args.add(url);
    String raw = kubectl(args.toArray(new String[0]));
    int nl = raw.lastIndexOf('\n');
    String body = nl < 0 ? "" : raw.substring(0, nl);
    int code = Integer.parseInt(raw.substring(nl + 1).strip());
    Matcher pod = POD.matcher(body);
    Matcher route = ROUTE_HEADER.matcher(body);
    return new Answer(
        code, pod.find() ? pod.group(1) : "", route.find() ? route.group(1) : null, body);
  }

  private void check(boolean ok, String what) {
    String line = (ok ? "PASS  " : "FAIL  ") + what;
    if (!results.contains(line)) {
      results.add(line);
    }
    failed |= !ok;
  }

  private void step(String text) {
    out.println();
    out.println("== " + text);
    out.flush();
  }

  /** A mesh command whose output the user watches (it may build for a while). */
  private void live(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(repo.resolve("mesh").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (var in = p.getInputStream()) {
      in.transferTo(out);
    }
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("mesh " + String.join(" ", args) + ": no answer within " + timeout);
    }
    if (p.exitValue() != 0) {
      throw new IOException("mesh " + String.join(" ", args) + ": exit " + p.exitValue());
    }
  }

  private String kubectl(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", repo.resolve("lab/lab.sh").toString()));
    cmd.add("kubectl");
    cmd.addAll(List.of(args));
    return dev.ambient.netlab.Exec.run(cmd, null);
  }
}

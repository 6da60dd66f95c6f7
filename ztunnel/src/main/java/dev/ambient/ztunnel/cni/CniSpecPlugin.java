package dev.ambient.ztunnel.cni;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The mesh's CNI plugin as the CNI specification (1.0) defines a plugin: the container runtime runs
 * it with {@code CNI_COMMAND} and friends in the environment and the network configuration on
 * stdin; it answers on stdout with a result, or with the spec's error object and a non-zero exit.
 *
 * <p>It is a chained plugin: ADD passes the main plugin's {@code prevResult} through unchanged
 * after the node's CNI agent captured the pod (or decided it is not in the mesh). If the agent
 * cannot be asked or fails, ADD fails, so a mesh pod never starts uncaptured (fail closed). DEL
 * never fails: a pod must always be removable, and the rules vanish with its namespace.
 *
 * <p>Its own configuration keys: {@code agent_socket} (default {@value #DEFAULT_AGENT_SOCKET}),
 * {@code exclude_namespaces} (pods there pass without asking the agent, so the mesh's own and the
 * system's pods start even while the agent does not run), {@code timeout_seconds}.
 */
public final class CniSpecPlugin {
  public static final String DEFAULT_AGENT_SOCKET = "/var/run/ambient-cni/plugin.sock";
  public static final List<String> SUPPORTED_VERSIONS = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0");

  // Error codes of the CNI specification; 100 and up are the plugin's own.
  static final int INCOMPATIBLE_VERSION = 1;
  static final int INVALID_ENVIRONMENT = 4;
  static final int DECODE_FAILURE = 6;
  static final int INVALID_CONFIG = 7;
  static final int TRY_AGAIN_LATER = 11;
  static final int CAPTURE_FAILED = 100;

  /** What the process prints and how it exits. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /** One agent exchange; a seam for tests. */
  public interface Agent {
    PluginEvent.Reply send(Path socket, Duration timeout, PluginEvent.Request request)
        throws CniClientException;
  }

  private final Agent agent;

  public CniSpecPlugin(Agent agent) {
    this.agent = Objects.requireNonNull(agent, "agent");
  }

  /** The plugin talking to the real agent socket. */
  public static CniSpecPlugin standard() {
    return new CniSpecPlugin(PluginEventClient::send);
  }

  public Result run(Map<String, String> env, String stdin) {
    String command = env.getOrDefault("CNI_COMMAND", "");
    if (command.equals("VERSION")) {
      return new Result(0, versionJson(), "");
    }
    if (!List.of("ADD", "DEL", "CHECK").contains(command)) {
      return error(
          "1.0.0",
          INVALID_ENVIRONMENT,
          "CNI_COMMAND " + (command.isEmpty() ? "is not set" : command + " is not supported"),
          "want ADD, DEL, CHECK or VERSION");
    }
    JsonObject conf;
    try {
      JsonElement e = JsonParser.parseString(stdin);
      if (!e.isJsonObject()) {
        return error("1.0.0", DECODE_FAILURE, "network configuration is not a JSON object", "");
      }
      conf = e.getAsJsonObject();
    } catch (JsonParseException e) {
      return error("1.0.0", DECODE_FAILURE, "network configuration is not JSON", e.getMessage());
    }
    String version = string(conf, "cniVersion", "");
    if (!SUPPORTED_VERSIONS.contains(version)) {
      return error(
          "1.0.0",
          INCOMPATIBLE_VERSION,
          "cniVersion " + (version.isEmpty() ? "missing" : version) + " is not supported",
          "supported: " + SUPPORTED_VERSIONS);
    }
    Map<String, String> args = cniArgs(env.getOrDefault("CNI_ARGS", ""));
    String namespace = args.getOrDefault("K8S_POD_NAMESPACE", "");
    String name = args.getOrDefault("K8S_POD_NAME", "");
    if (namespace.isEmpty() || name.isEmpty()) {
      if (command.equals("DEL")) {
        return new Result(
            0, "", "not a Kubernetes pod (no K8S_POD_NAMESPACE/K8S_POD_NAME): nothing to do\n");
      }
      return error(
          version,
          INVALID_ENVIRONMENT,
          "CNI_ARGS has no K8S_POD_NAMESPACE and K8S_POD_NAME",
          "CNI_ARGS=" + env.getOrDefault("CNI_ARGS", ""));
    }
    JsonElement prev = conf.get("prevResult");
    if (!command.equals("DEL") && (prev == null || !prev.isJsonObject())) {
      return error(
          version,
          INVALID_CONFIG,
          "no prevResult: this plugin only chains after the node's main network plugin",
          "");
    }
    String passThrough = command.equals("ADD") ? withVersion(prev.getAsJsonObject(), version) : "";
    if (stringList(conf, "exclude_namespaces").contains(namespace)) {
      return new Result(0, passThrough, "");
    }
    Path socket = Path.of(string(conf, "agent_socket", DEFAULT_AGENT_SOCKET));
    JsonElement t = conf.get("timeout_seconds");
    long seconds = 30;
    if (t != null) {
      if (!t.isJsonPrimitive() || !t.getAsJsonPrimitive().isNumber() || t.getAsLong() <= 0) {
        return error(
            version, INVALID_CONFIG, "timeout_seconds: not a positive number", t.toString());
      }
      seconds = t.getAsLong();
    }
    Duration timeout = Duration.ofSeconds(seconds);
    List<String> ips =
        prev != null && prev.isJsonObject() ? ips(prev.getAsJsonObject()) : List.of();
    PluginEvent.Request request =
        new PluginEvent.Request(
            command,
            env.get("CNI_CONTAINERID"),
            env.get("CNI_NETNS"),
            namespace,
            name,
            args.get("K8S_POD_UID"),
            ips);
    PluginEvent.Reply reply;
    try {
      reply = agent.send(socket, timeout, request);
    } catch (CniClientException e) {
      if (command.equals("DEL")) {
        return new Result(0, "", "warning: " + e.getMessage() + "\n");
      }
      return error(
          version, TRY_AGAIN_LATER, "pod " + namespace + "/" + name + ": " + e.getMessage(), "");
    }
    if (!reply.ok()) {
      if (command.equals("DEL")) {
        return new Result(0, "", "warning: " + reply.message() + "\n");
      }
      return error(
          version, CAPTURE_FAILED, "pod " + namespace + "/" + name + ": " + reply.message(), "");
    }
    return new Result(0, passThrough, reply.message().isEmpty() ? "" : reply.message() + "\n");
  }

  static String versionJson() {
    JsonObject o = new JsonObject();
    o.addProperty("cniVersion", "1.0.0");
    JsonArray a = new JsonArray();
    SUPPORTED_VERSIONS.forEach(a::add);
    o.add("supportedVersions", a);
    return o.toString();
  }

  private static String withVersion(JsonObject prev, String version) {
    JsonObject out = prev.deepCopy();
    out.addProperty("cniVersion", version);
    return out.toString();
  }

  private static Result error(String version, int code, String msg, String details) {
    JsonObject o = new JsonObject();
    o.addProperty("cniVersion", version);
    o.addProperty("code", code);
    o.addProperty("msg", msg);
    if (!details.isEmpty()) {
      o.addProperty("details", details);
    }
    return new Result(code == 0 ? 1 : Math.min(code, 255), o.toString(), msg + "\n");
  }

  /** {@code K1=v1;K2=v2}, as the runtime passes CNI_ARGS. */
  static Map<String, String> cniArgs(String text) {
    Map<String, String> out = new HashMap<>();
    for (String part : text.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
      }
    }
    return out;
  }

  private static List<String> ips(JsonObject prev) {
    List<String> out = new ArrayList<>();
    JsonElement ips = prev.get("ips");
    if (ips == null || !ips.isJsonArray()) {
      return out;
    }
    for (JsonElement e : ips.getAsJsonArray()) {
      if (e.isJsonObject() && e.getAsJsonObject().has("address")) {
        String address = e.getAsJsonObject().get("address").getAsString();
        int slash = address.indexOf('/');
        out.add(slash < 0 ? address : address.substring(0, slash));
      }
    }
    return out;
  }

  private static String string(JsonObject o, String field, String fallback) {
    JsonElement e = o.get(field);
    return e != null && e.isJsonPrimitive() ? e.getAsString() : fallback;
  }

  private static List<String> stringList(JsonObject o, String field) {
    List<String> out = new ArrayList<>();
    JsonElement e = o.get(field);
    if (e != null && e.isJsonArray()) {
      for (JsonElement x : e.getAsJsonArray()) {
        if (x.isJsonPrimitive()) {
          out.add(x.getAsString());
        }
      }
    }
    return out;
  }
}

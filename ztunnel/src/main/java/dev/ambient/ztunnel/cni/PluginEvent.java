package dev.ambient.ztunnel.cni;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the CNI plugin ({@code mesh cni plugin}, run by the container runtime per pod) tells the
 * node's CNI agent, and the answer: one JSON line each way over the agent's unix socket. The plugin
 * knows only what the runtime gave it; the agent asks the API server whether the pod is in the mesh
 * and does the capture, so the plugin needs no cluster credentials (Istio's plugin reads a
 * kubeconfig install-cni wrote; one credential on the node less here).
 */
public final class PluginEvent {
  private PluginEvent() {}

  /**
   * @param command ADD, DEL or CHECK
   * @param ips the pod's addresses from the main plugin's result (ADD, CHECK), without prefix
   */
  public record Request(
      String command,
      String containerId,
      String netns,
      String namespace,
      String name,
      String podUid,
      List<String> ips) {
    public Request {
      Objects.requireNonNull(command, "command");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      containerId = containerId == null ? "" : containerId;
      netns = netns == null ? "" : netns;
      podUid = podUid == null ? "" : podUid;
      ips = List.copyOf(ips);
    }

    public String toJson() {
      JsonObject o = new JsonObject();
      o.addProperty("command", command);
      o.addProperty("containerId", containerId);
      o.addProperty("netns", netns);
      o.addProperty("namespace", namespace);
      o.addProperty("name", name);
      o.addProperty("podUid", podUid);
      JsonArray a = new JsonArray();
      ips.forEach(a::add);
      o.add("ips", a);
      return o.toString();
    }

    /**
     * @throws IllegalArgumentException naming the field that is missing or wrong
     */
    public static Request fromJson(String line) {
      JsonObject o = object(line, "request");
      List<String> ips = new ArrayList<>();
      JsonElement a = o.get("ips");
      if (a != null && !a.isJsonNull()) {
        if (!a.isJsonArray()) {
          throw new IllegalArgumentException("request: field ips: not a list");
        }
        for (JsonElement e : a.getAsJsonArray()) {
          if (!e.isJsonPrimitive()) {
            throw new IllegalArgumentException("request: field ips: not a list of strings");
          }
          ips.add(e.getAsString());
        }
      }
      String command = text(o, "command", true);
      if (!List.of("ADD", "DEL", "CHECK").contains(command)) {
        throw new IllegalArgumentException(
            "request: field command: " + command + " is not ADD, DEL or CHECK");
      }
      return new Request(
          command,
          text(o, "containerId", false),
          text(o, "netns", false),
          text(o, "namespace", true),
          text(o, "name", true),
          text(o, "podUid", false),
          ips);
    }
  }

  /**
   * @param ok whether the plugin succeeds
   * @param captured whether the pod's traffic now goes through ztunnel
   * @param message what happened (or why not), for the runtime's error and the logs
   */
  public record Reply(boolean ok, boolean captured, String message) {
    public Reply {
      message = message == null ? "" : message;
    }

    public static Reply ok(boolean captured, String message) {
      return new Reply(true, captured, message);
    }

    public static Reply failure(String message) {
      return new Reply(false, false, message);
    }

    public String toJson() {
      JsonObject o = new JsonObject();
      o.addProperty("ok", ok);
      o.addProperty("captured", captured);
      o.addProperty("message", message);
      return o.toString();
    }

    public static Reply fromJson(String line) {
      JsonObject o = object(line, "reply");
      JsonElement ok = o.get("ok");
      if (ok == null || !ok.isJsonPrimitive() || !ok.getAsJsonPrimitive().isBoolean()) {
        throw new IllegalArgumentException("reply: field ok: missing or not a boolean");
      }
      JsonElement captured = o.get("captured");
      return new Reply(
          ok.getAsBoolean(),
          captured != null && captured.isJsonPrimitive() && captured.getAsBoolean(),
          text(o, "message", false));
    }
  }

  private static JsonObject object(String line, String what) {
    try {
      JsonElement e = JsonParser.parseString(line);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException(what + ": not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(what + ": not JSON: " + e.getMessage(), e);
    }
  }

  private static String text(JsonObject o, String field, boolean required) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      if (required) {
        throw new IllegalArgumentException("field " + field + ": missing");
      }
      return null;
    }
    if (!e.isJsonPrimitive()) {
      throw new IllegalArgumentException("field " + field + ": not a string");
    }
    String s = e.getAsString();
    if (required && s.isEmpty()) {
      throw new IllegalArgumentException("field " + field + ": empty");
    }
    return s;
  }
}

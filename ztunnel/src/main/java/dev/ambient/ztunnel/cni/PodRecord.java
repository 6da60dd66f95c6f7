package dev.ambient.ztunnel.cni;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the CNI step remembers about a captured pod, so that {@code del} and {@code resync} work
 * without the mesh config: exactly the facts of its {@link CniMessage.AddPod}, plus the node.
 */
public record PodRecord(
    String uid,
    String namespace,
    String name,
    String serviceAccount,
    String netns,
    List<String> ips,
    String node) {

  public PodRecord {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    Objects.requireNonNull(netns, "netns");
    Objects.requireNonNull(node, "node");
    ips = List.copyOf(ips);
  }

  public CniMessage.AddPod addMessage() {
    return new CniMessage.AddPod(uid, namespace, name, serviceAccount, netns, ips);
  }

  String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("uid", uid);
    o.addProperty("namespace", namespace);
    o.addProperty("name", name);
    o.addProperty("serviceAccount", serviceAccount);
    o.addProperty("netns", netns);
    JsonArray a = new JsonArray();
    ips.forEach(a::add);
    o.add("ips", a);
    o.addProperty("node", node);
    return o.toString();
  }

  /** Parses a record file; {@code source} names it in the error. */
  static PodRecord fromJson(String json, String source) {
    try {
      JsonObject o = JsonParser.parseString(json).getAsJsonObject();
      List<String> ips = new ArrayList<>();
      for (JsonElement e : field(o, "ips", source).getAsJsonArray()) {
        ips.add(e.getAsString());
      }
      return new PodRecord(
          text(o, "uid", source),
          text(o, "namespace", source),
          text(o, "name", source),
          text(o, "serviceAccount", source),
          text(o, "netns", source),
          ips,
          text(o, "node", source));
    } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
      throw new IllegalArgumentException(source + ": not a pod record: " + e.getMessage(), e);
    }
  }

  private static JsonElement field(JsonObject o, String name, String source) {
    JsonElement e = o.get(name);
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException(source + ": field " + name + ": missing");
    }
    return e;
  }

  private static String text(JsonObject o, String name, String source) {
    return field(o, name, source).getAsString();
  }
}

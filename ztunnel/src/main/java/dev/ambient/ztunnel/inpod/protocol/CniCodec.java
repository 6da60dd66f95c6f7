package dev.ambient.ztunnel.inpod.protocol;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The wire form of {@link CniMessage}: one JSON object per line, UTF-8, at most {@link #MAX_LINE}
 * bytes. Decoding is strict (unknown type, missing or mistyped field, unknown field: refused with
 * the field named), since a half-understood message could serve the wrong netns.
 *
 * <pre>
 * {"type":"add","uid":"...","namespace":"ns","name":"pod","serviceAccount":"sa","netns":"/var/run/netns/x","ips":["10.0.0.5"]}
 * {"type":"del","uid":"..."}
 * {"type":"snapshot-sent"}
 * {"ok":true}   {"ok":false,"error":"..."}
 * </pre>
 */
public final class CniCodec {
  public static final int MAX_LINE = 64 * 1024;

  private CniCodec() {}

  public static String encode(CniMessage message) {
    JsonObject o = new JsonObject();
    // Java 17: no pattern switch; the interface is sealed, so these three are all there is.
    if (message instanceof CniMessage.AddPod a) {
      o.addProperty("type", "add");
      o.addProperty("uid", a.uid());
      o.addProperty("namespace", a.namespace());
      o.addProperty("name", a.name());
      o.addProperty("serviceAccount", a.serviceAccount());
      o.addProperty("netns", a.netns());
      JsonArray ips = new JsonArray();
      a.ips().forEach(ips::add);
      o.add("ips", ips);
    } else if (message instanceof CniMessage.DelPod d) {
      o.addProperty("type", "del");
      o.addProperty("uid", d.uid());
    } else {
      o.addProperty("type", "snapshot-sent");
    }
    return o.toString();
  }

  public static CniMessage decode(String line) throws CniProtocolException {
    JsonObject o = object(line);
    String type = string(o, "type");
    return switch (type) {
      case "add" -> {
        only(o, Set.of("type", "uid", "namespace", "name", "serviceAccount", "netns", "ips"));
        yield new CniMessage.AddPod(
            string(o, "uid"),
            string(o, "namespace"),
            string(o, "name"),
            string(o, "serviceAccount"),
            string(o, "netns"),
            strings(o, "ips"));
      }
      case "del" -> {
        only(o, Set.of("type", "uid"));
        yield new CniMessage.DelPod(string(o, "uid"));
      }
      case "snapshot-sent" -> {
        only(o, Set.of("type"));
        yield new CniMessage.SnapshotSent();
      }
      default ->
          throw new CniProtocolException("field type: unknown message type \"" + type + "\"");
    };
  }

  public static String encode(CniMessage.Ack ack) {
    JsonObject o = new JsonObject();
    o.addProperty("ok", ack.ok());
    if (ack.error() != null) {
      o.addProperty("error", ack.error());
    }
    return o.toString();
  }

  public static CniMessage.Ack decodeAck(String line) throws CniProtocolException {
    JsonObject o = object(line);
    only(o, Set.of("ok", "error"));
    JsonElement ok = o.get("ok");
    if (ok == null || !ok.isJsonPrimitive() || !ok.getAsJsonPrimitive().isBoolean()) {
      throw new CniProtocolException("field ok: missing or not a boolean");
    }
    if (ok.getAsBoolean()) {
      return CniMessage.Ack.success();
    }
    return CniMessage.Ack.failure(o.has("error") ? string(o, "error") : "refused without a reason");
  }

  private static JsonObject object(String line) throws CniProtocolException {
    if (line == null || line.isEmpty()) {
      throw new CniProtocolException("empty message");
    }
    if (line.length() > MAX_LINE) {
      throw new CniProtocolException("message longer than " + MAX_LINE + " bytes");
    }
    try {
      JsonElement e = JsonParser.parseString(line);
      if (!e.isJsonObject()) {
        throw new CniProtocolException("message is not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new CniProtocolException("message is not valid JSON: " + e.getMessage());
    }
  }

  private static void only(JsonObject o, Set<String> allowed) throws CniProtocolException {
    for (String key : o.keySet()) {
      if (!allowed.contains(key)) {
        throw new CniProtocolException("field " + key + ": unknown field");
      }
    }
  }

  private static String string(JsonObject o, String field) throws CniProtocolException {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      throw new CniProtocolException("field " + field + ": missing");
    }
    if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isString()) {
      throw new CniProtocolException("field " + field + ": not a string");
    }
    String s = e.getAsString();
    if (s.isEmpty()) {
      throw new CniProtocolException("field " + field + ": empty");
    }
    return s;
  }

  private static List<String> strings(JsonObject o, String field) throws CniProtocolException {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonArray()) {
      throw new CniProtocolException("field " + field + ": missing or not a list");
    }
    List<String> out = new ArrayList<>();
    int i = 0;
    for (JsonElement item : e.getAsJsonArray()) {
      if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isString()) {
        throw new CniProtocolException("field " + field + "[" + i + "]: not a string");
      }
      out.add(item.getAsString());
      i++;
    }
    return out;
  }
}

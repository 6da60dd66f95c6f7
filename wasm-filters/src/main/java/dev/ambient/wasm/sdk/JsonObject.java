package dev.ambient.wasm.sdk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A JSON object with strict, path-naming accessors for configuration parsing. */
public final class JsonObject extends JsonValue {
  private final Map<String, JsonValue> fields = new LinkedHashMap<>();

  JsonObject(String path) {
    super(OBJECT, path, null, false);
  }

  boolean put(String key, JsonValue v) {
    return fields.put(key, v) == null;
  }

  /** The field, or null when absent. */
  public JsonValue get(String key) {
    return fields.get(key);
  }

  public boolean has(String key) {
    return fields.containsKey(key);
  }

  public Set<String> keys() {
    return fields.keySet();
  }

  /** A copy without {@code key}; used to hand a filter its part of a shared document. */
  public JsonObject without(String key) {
    JsonObject copy = new JsonObject(path());
    for (Map.Entry<String, JsonValue> e : fields.entrySet()) {
      if (!e.getKey().equals(key)) {
        copy.put(e.getKey(), e.getValue());
      }
    }
    return copy;
  }

  /** Rejects any field not in {@code known}: a misspelt field must not silently mean "absent". */
  public void requireOnly(String... known) throws ConfigException {
    for (String k : fields.keySet()) {
      boolean ok = false;
      for (String n : known) {
        if (n.equals(k)) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        StringBuilder sb = new StringBuilder();
        for (String n : known) {
          sb.append(sb.length() == 0 ? "" : ", ").append(n);
        }
        throw new ConfigException(
            child(k) + ": unknown field (known: " + (sb.length() == 0 ? "none" : sb) + ")");
      }
    }
  }

  public String string(String key) throws ConfigException {
    JsonValue v = fields.get(key);
    return v == null || v.isNull() ? null : v.asString();
  }

  public String string(String key, String dflt) throws ConfigException {
    String s = string(key);
    return s == null ? dflt : s;
  }

  public boolean bool(String key, boolean dflt) throws ConfigException {
    JsonValue v = fields.get(key);
    return v == null || v.isNull() ? dflt : v.asBoolean();
  }

  public long longValue(String key, long dflt) throws ConfigException {
    JsonValue v = fields.get(key);
    return v == null || v.isNull() ? dflt : v.asLong();
  }

  public JsonObject object(String key) throws ConfigException {
    JsonValue v = fields.get(key);
    return v == null || v.isNull() ? null : v.asObject();
  }

  public JsonArray array(String key) throws ConfigException {
    JsonValue v = fields.get(key);
    return v == null || v.isNull() ? null : v.asArray();
  }

  /** A string array, empty when absent. */
  public List<String> strings(String key) throws ConfigException {
    JsonArray a = array(key);
    return a == null ? new ArrayList<>() : a.strings();
  }

  String child(String key) {
    return path().isEmpty() ? key : path() + "." + key;
  }
}

package dev.ambient.wasm.sdk;

import java.util.ArrayList;
import java.util.List;

/** A JSON array. */
public final class JsonArray extends JsonValue {
  private final List<JsonValue> items = new ArrayList<>();

  JsonArray(String path) {
    super(ARRAY, path, null, false);
  }

  void add(JsonValue v) {
    items.add(v);
  }

  public int size() {
    return items.size();
  }

  public JsonValue get(int i) {
    return items.get(i);
  }

  public List<JsonValue> items() {
    return items;
  }

  /** Every element as a string; any other element is an error naming it. */
  public List<String> strings() throws ConfigException {
    List<String> out = new ArrayList<>();
    for (JsonValue v : items) {
      out.add(v.asString());
    }
    return out;
  }
}

package dev.ambient.wasm.sdk;

/**
 * A parsed JSON value. Every value knows its path in the document ({@code spec.rules[0].to}), so
 * typed accessors fail with a {@link ConfigException} naming the offending field.
 */
public class JsonValue {
  static final int NULL = 0;
  static final int BOOLEAN = 1;
  static final int NUMBER = 2;
  static final int STRING = 3;
  static final int ARRAY = 4;
  static final int OBJECT = 5;

  private final int kind;
  private final String path;
  private final String text;
  private final boolean bool;

  JsonValue(int kind, String path, String text, boolean bool) {
    this.kind = kind;
    this.path = path;
    this.text = text;
    this.bool = bool;
  }

  /** Where this value sits in the document, e.g. {@code rules[2].when[0].key}. */
  public String path() {
    return path;
  }

  public boolean isNull() {
    return kind == NULL;
  }

  public boolean isString() {
    return kind == STRING;
  }

  public boolean isObject() {
    return kind == OBJECT;
  }

  public boolean isArray() {
    return kind == ARRAY;
  }

  public String asString() throws ConfigException {
    expect(STRING);
    return text;
  }

  public boolean asBoolean() throws ConfigException {
    expect(BOOLEAN);
    return bool;
  }

  /** An integer; fractions, exponents and values beyond 64 bits are rejected. */
  public long asLong() throws ConfigException {
    expect(NUMBER);
    long v = 0;
    int i = text.startsWith("-") ? 1 : 0;
    if (i == text.length() || text.length() - i > 18) {
      throw new ConfigException(path + ": expected an integer, got " + text);
    }
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new ConfigException(path + ": expected an integer, got " + text);
      }
      v = v * 10 + (c - '0');
    }
    return text.startsWith("-") ? -v : v;
  }

  public JsonObject asObject() throws ConfigException {
    expect(OBJECT);
    return (JsonObject) this;
  }

  public JsonArray asArray() throws ConfigException {
    expect(ARRAY);
    return (JsonArray) this;
  }

  String kindName() {
    return kindName(kind);
  }

  static String kindName(int kind) {
    switch (kind) {
      case NULL:
        return "null";
      case BOOLEAN:
        return "a boolean";
      case NUMBER:
        return "a number";
      case STRING:
        return "a string";
      case ARRAY:
        return "an array";
      default:
        return "an object";
    }
  }

  private void expect(int wanted) throws ConfigException {
    if (kind != wanted) {
      throw new ConfigException(
          path + ": expected " + kindName(wanted) + ", got " + kindName(kind));
    }
  }

  /** The number's literal text, or the string's value; null for other kinds. */
  String text() {
    return text;
  }
}

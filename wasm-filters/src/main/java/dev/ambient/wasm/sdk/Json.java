package dev.ambient.wasm.sdk;

/**
 * A small strict JSON parser (RFC 8259) that compiles under TeaVM without pulling in number
 * formatting or reflection. Numbers are kept as their literal text. Duplicate keys, trailing data,
 * control characters in strings and nesting deeper than 64 are errors.
 */
public final class Json {
  private static final int MAX_DEPTH = 64;

  private final String s;
  private int pos;

  private Json(String s) {
    this.s = s;
  }

  /** Parses a whole document; errors name the character offset. */
  public static JsonValue parse(String text) throws ConfigException {
    Json p = new Json(text);
    p.skipSpace();
    JsonValue v = p.value("", 0);
    p.skipSpace();
    if (p.pos != text.length()) {
      throw p.error("unexpected data after the document");
    }
    return v;
  }

  private JsonValue value(String path, int depth) throws ConfigException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
    if (pos >= s.length()) {
      throw error("unexpected end of input");
    }
    char c = s.charAt(pos);
    if (c == '{') {
      return object(path, depth);
    }
    if (c == '[') {
      return array(path, depth);
    }
    if (c == '"') {
      return new JsonValue(JsonValue.STRING, path, string(), false);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return new JsonValue(JsonValue.NUMBER, path, number(), false);
    }
    if (s.startsWith("true", pos)) {
      pos += 4;
      return new JsonValue(JsonValue.BOOLEAN, path, null, true);
    }
    if (s.startsWith("false", pos)) {
      pos += 5;
      return new JsonValue(JsonValue.BOOLEAN, path, null, false);
    }
    if (s.startsWith("null", pos)) {
      pos += 4;
      return new JsonValue(JsonValue.NULL, path, null, false);
    }
    throw error("unexpected character '" + c + "'");
  }

  private JsonObject object(String path, int depth) throws ConfigException {
    JsonObject o = new JsonObject(path);
    pos++;
    skipSpace();
    if (peek() == '}') {
      pos++;
      return o;
    }
    while (true) {
      skipSpace();
      if (peek() != '"') {
        throw error("expected a field name");
      }
      String key = string();
      skipSpace();
      if (peek() != ':') {
        throw error("expected ':' after field \"" + key + "\"");
      }
      pos++;
      skipSpace();
      if (!o.put(key, value(o.child(key), depth + 1))) {
        throw error("duplicate field \"" + key + "\"");
      }
      skipSpace();
      char c = peek();
      pos++;
      if (c == '}') {
        return o;
      }
      if (c != ',') {
        pos--;
        throw error("expected ',' or '}'");
      }
    }
  }

  private JsonArray array(String path, int depth) throws ConfigException {
    JsonArray a = new JsonArray(path);
    pos++;
    skipSpace();
    if (peek() == ']') {
      pos++;
      return a;
    }
    while (true) {
      skipSpace();
      a.add(value(path + "[" + a.size() + "]", depth + 1));
      skipSpace();
      char c = peek();
      pos++;
      if (c == ']') {
        return a;
      }
      if (c != ',') {
        pos--;
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() throws ConfigException {
    pos++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(pos++);
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        pos--;
        throw error("control character in string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char e = s.charAt(pos++);
      switch (e) {
        case '"':
        case '\\':
        case '/':
          sb.append(e);
          break;
        case 'b':
          sb.append('\b');
          break;
        case 'f':
          sb.append('\f');
          break;
        case 'n':
          sb.append('\n');
          break;
        case 'r':
          sb.append('\r');
          break;
        case 't':
          sb.append('\t');
          break;
        case 'u':
          sb.append((char) hex4());
          break;
        default:
          pos--;
          throw error("invalid escape '\\" + e + "'");
      }
    }
  }

  private int hex4() throws ConfigException {
    if (pos + 4 > s.length()) {
      throw error("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      char c = s.charAt(pos++);
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        pos--;
        throw error("invalid hex digit in \\u escape");
      }
      v = v << 4 | d;
    }
    return v;
  }

  private String number() throws ConfigException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("invalid number");
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("invalid number");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("invalid number");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    return s.substring(start, pos);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\0';
  }

  private void skipSpace() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private ConfigException error(String what) {
    return new ConfigException("invalid JSON at offset " + pos + ": " + what);
  }
}

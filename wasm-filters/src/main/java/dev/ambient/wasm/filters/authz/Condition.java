package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.JsonObject;
import java.util.List;

/** A {@code when} condition: {@code key} with {@code values} and/or {@code notValues}. */
final class Condition {
  private static final int HEADER = 0;
  private static final int SOURCE_PRINCIPAL = 1;
  private static final int SOURCE_NAMESPACE = 2;
  private static final int REQUEST_PRINCIPAL = 3;
  private static final int DESTINATION_PORT = 4;

  private final int key;
  private final String header;
  private final ValueSet values;

  private Condition(int key, String header, ValueSet values) {
    this.key = key;
    this.header = header;
    this.values = values;
  }

  static Condition parse(JsonObject o) throws ConfigException {
    o.requireOnly("key", "values", "notValues");
    String k = o.string("key");
    if (k == null) {
      throw new ConfigException(o.path() + ".key: required");
    }
    int key;
    String header = null;
    ValueSet.Validator validator = null;
    if (k.startsWith("request.headers[") && k.endsWith("]") && k.length() > 17) {
      key = HEADER;
      header = k.substring("request.headers[".length(), k.length() - 1);
    } else if (k.equals("source.principal")) {
      key = SOURCE_PRINCIPAL;
    } else if (k.equals("source.namespace")) {
      key = SOURCE_NAMESPACE;
    } else if (k.equals("request.auth.principal")) {
      key = REQUEST_PRINCIPAL;
    } else if (k.equals("destination.port")) {
      key = DESTINATION_PORT;
      validator = Rule::checkPort;
    } else {
      throw new ConfigException(
          o.path()
              + ".key: \""
              + k
              + "\" is not supported (request.headers[...], source.principal, source.namespace,"
              + " request.auth.principal, destination.port)");
    }
    ValueSet values = ValueSet.parse(o, "values", "notValues", false, validator);
    if (values.isEmpty()) {
      throw new ConfigException(o.path() + ": one of values or notValues is required");
    }
    return new Condition(key, header, values);
  }

  boolean matches(RequestAttributes r) {
    switch (key) {
      case HEADER:
        List<String> fieldValues = r.headerValues(header);
        return values.matches(fieldValues);
      case SOURCE_PRINCIPAL:
        return values.matches(r.principal());
      case SOURCE_NAMESPACE:
        return values.matches(r.namespace());
      case REQUEST_PRINCIPAL:
        return values.matches(r.requestPrincipal);
      default:
        return values.matches(r.port > 0 ? Integer.toString(r.port) : null);
    }
  }
}

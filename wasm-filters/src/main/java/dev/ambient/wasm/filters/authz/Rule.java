package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.JsonArray;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * One AuthorizationPolicy rule: it matches when every present part matches ({@code from}: any
 * source; {@code to}: any operation; {@code when}: all conditions). Within a source or operation
 * every present field must match.
 */
final class Rule {
  private final List<ValueSet[]> sources;
  private final List<ValueSet[]> operations;
  private final List<Condition> conditions;

  private Rule(List<ValueSet[]> sources, List<ValueSet[]> operations, List<Condition> conditions) {
    this.sources = sources;
    this.operations = operations;
    this.conditions = conditions;
  }

  // Source fields, in ValueSet[] order.
  private static final int PRINCIPALS = 0;
  private static final int NAMESPACES = 1;
  private static final int REQUEST_PRINCIPALS = 2;
  // Operation fields.
  private static final int HOSTS = 0;
  private static final int PORTS = 1;
  private static final int METHODS = 2;
  private static final int PATHS = 3;

  static Rule parse(JsonObject rule) throws ConfigException {
    rule.requireOnly("from", "to", "when");
    List<ValueSet[]> sources = null;
    JsonArray from = rule.array("from");
    if (from != null) {
      sources = new ArrayList<>();
      for (JsonValue v : from.items()) {
        JsonObject entry = v.asObject();
        entry.requireOnly("source");
        JsonObject s = entry.object("source");
        if (s == null) {
          throw new ConfigException(entry.path() + ".source: required");
        }
        for (String unsupported :
            new String[] {"ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"}) {
          if (s.has(unsupported)) {
            throw new ConfigException(
                s.path() + "." + unsupported + ": IP blocks are not supported by this filter");
          }
        }
        s.requireOnly(
            "principals",
            "notPrincipals",
            "namespaces",
            "notNamespaces",
            "requestPrincipals",
            "notRequestPrincipals");
        ValueSet[] sets = {
          ValueSet.parse(s, "principals", "notPrincipals", false, null),
          ValueSet.parse(s, "namespaces", "notNamespaces", false, null),
          ValueSet.parse(s, "requestPrincipals", "notRequestPrincipals", false, null)
        };
        requireSome(sets, s.path());
        sources.add(sets);
      }
    }
    List<ValueSet[]> operations = null;
    JsonArray to = rule.array("to");
    if (to != null) {
      operations = new ArrayList<>();
      for (JsonValue v : to.items()) {
        JsonObject entry = v.asObject();
        entry.requireOnly("operation");
        JsonObject o = entry.object("operation");
        if (o == null) {
          throw new ConfigException(entry.path() + ".operation: required");
        }
        o.requireOnly(
            "hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths");
        ValueSet[] sets = {
          ValueSet.parse(o, "hosts", "notHosts", true, null),
          ValueSet.parse(o, "ports", "notPorts", false, Rule::checkPort),
          ValueSet.parse(o, "methods", "notMethods", false, null),
          ValueSet.parse(o, "paths", "notPaths", false, Rule::checkPath)
        };
        requireSome(sets, o.path());
        operations.add(sets);
      }
    }
    List<Condition> conditions = new ArrayList<>();
    JsonArray when = rule.array("when");
    if (when != null) {
      for (JsonValue v : when.items()) {
        conditions.add(Condition.parse(v.asObject()));
      }
    }
    return new Rule(sources, operations, conditions);
  }

  boolean matches(RequestAttributes r) {
    if (sources != null && !anySource(r)) {
      return false;
    }
    if (operations != null && !anyOperation(r)) {
      return false;
    }
    for (Condition c : conditions) {
      if (!c.matches(r)) {
        return false;
      }
    }
    return true;
  }

  private boolean anySource(RequestAttributes r) {
    for (ValueSet[] s : sources) {
      if (s[PRINCIPALS].matches(r.principal())
          && s[NAMESPACES].matches(r.namespace())
          && s[REQUEST_PRINCIPALS].matches(r.requestPrincipal)) {
        return true;
      }
    }
    return false;
  }

  private boolean anyOperation(RequestAttributes r) {
    for (ValueSet[] o : operations) {
      if (o[HOSTS].matches(r.hosts())
          && o[PORTS].matches(r.port > 0 ? Integer.toString(r.port) : null)
          && o[METHODS].matches(r.method)
          && o[PATHS].matches(r.pathWithoutQuery())) {
        return true;
      }
    }
    return false;
  }

  private static void requireSome(ValueSet[] sets, String where) throws ConfigException {
    for (ValueSet s : sets) {
      if (!s.isEmpty()) {
        return;
      }
    }
    throw new ConfigException(where + ": empty (set at least one field)");
  }

  static void checkPort(String value, String where) throws ConfigException {
    boolean digits = !value.isEmpty() && value.length() <= 5;
    for (int i = 0; digits && i < value.length(); i++) {
      digits = value.charAt(i) >= '0' && value.charAt(i) <= '9';
    }
    if (!digits || Integer.parseInt(value) < 1 || Integer.parseInt(value) > 65535) {
      throw new ConfigException(where + ": \"" + value + "\" is not a port number (1-65535)");
    }
  }

  private static void checkPath(String value, String where) throws ConfigException {
    if (value.indexOf('{') >= 0) {
      throw new ConfigException(
          where + ": \"" + value + "\": path templates ({*}, {**}) are not supported");
    }
  }
}

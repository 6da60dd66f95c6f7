package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A field and its {@code not} form ({@code principals}/{@code notPrincipals}): the positive list
 * matches when any pattern matches any of the request's values; the negative list when none does.
 * An absent field matches everything. An attribute with several values (repeated header fields) is
 * tested value by value, never joined.
 */
final class ValueSet {
  private final List<StringMatch> values;
  private final List<StringMatch> notValues;

  private ValueSet(List<StringMatch> values, List<StringMatch> notValues) {
    this.values = values;
    this.notValues = notValues;
  }

  static ValueSet parse(
      JsonObject o, String field, String notField, boolean ignoreCase, Validator validator)
      throws ConfigException {
    return new ValueSet(
        patterns(o, field, ignoreCase, validator), patterns(o, notField, ignoreCase, validator));
  }

  /** Checks each raw value of a field beyond the string forms (e.g. ports are numbers). */
  interface Validator {
    void check(String value, String where) throws ConfigException;
  }

  private static List<StringMatch> patterns(
      JsonObject o, String field, boolean ignoreCase, Validator validator) throws ConfigException {
    if (o == null || !o.has(field)) {
      return null;
    }
    List<String> raw = o.strings(field);
    if (raw.isEmpty()) {
      throw new ConfigException(o.path() + "." + field + ": empty list");
    }
    List<StringMatch> out = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      String where = o.path() + "." + field + "[" + i + "]";
      if (validator != null) {
        validator.check(raw.get(i), where);
      }
      out.add(StringMatch.parse(raw.get(i), where, ignoreCase));
    }
    return out;
  }

  boolean isEmpty() {
    return values == null && notValues == null;
  }

  boolean matches(String value) {
    List<String> one = new ArrayList<>();
    if (value != null) {
      one.add(value);
    }
    return matches(one);
  }

  boolean matches(List<String> candidates) {
    if (values != null && !any(values, candidates)) {
      return false;
    }
    return notValues == null || !any(notValues, candidates);
  }

  private static boolean any(List<StringMatch> patterns, List<String> candidates) {
    for (String c : candidates) {
      for (StringMatch p : patterns) {
        if (p.matches(c)) {
          return true;
        }
      }
    }
    return false;
  }
}

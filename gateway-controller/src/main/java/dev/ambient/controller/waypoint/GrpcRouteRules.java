package dev.ambient.controller.waypoint;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCMethodMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRefBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatchBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathMatchBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilterBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatchBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRuleBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A GRPCRoute rule (GEP-1016) as the HTTPRoute rule it means on the wire, so both kinds share one
 * translation: a gRPC call is an HTTP/2 POST to {@code /<service>/<method>}, so a method match is a
 * path match and the rest (headers, the filters GRPCRoute allows, weighted backendRefs) has the
 * same shape in both APIs. Only what is particular to GRPCRoute is checked here, naming the
 * GRPCRoute's own fields; the shared checks then name the same fields as they are spelled alike.
 */
final class GrpcRouteRules {
  /** Gateway API's pattern for an Exact service name (a dotted protobuf package and service). */
  private static final Pattern SERVICE =
      Pattern.compile("\\.?[A-Za-z_][A-Za-z_0-9]*(\\.[A-Za-z_][A-Za-z_0-9]*)*");

  /** Gateway API's pattern for an Exact method name. */
  private static final Pattern METHOD = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*");

  /** The filter types GRPCRoute has (no redirects or rewrites). */
  private static final Set<String> FILTERS =
      Set.of("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef");

  private GrpcRouteRules() {}

  /** A match's precedence keys: the characters of its service and of its method (0 for any). */
  record Specificity(int service, int method, int headers) {}

  /**
   * @param field the rule's path, e.g. {@code spec.rules[1]}
   * @throws InvalidField for what GRPCRoute does not allow; the rule is then left out whole
   */
  static HTTPRouteRule toHttp(GRPCRouteRule rule, String field) throws InvalidField {
    HTTPRouteRuleBuilder b = new HTTPRouteRuleBuilder();
    List<GRPCRouteMatch> matches = rule.getMatches() == null ? List.of() : rule.getMatches();
    for (int m = 0; m < matches.size(); m++) {
      b.addToMatches(match(matches.get(m), field + ".matches[" + m + "]"));
    }
    b.withFilters(filters(rule.getFilters(), field + ".filters"));
    List<GRPCBackendRef> refs = rule.getBackendRefs() == null ? List.of() : rule.getBackendRefs();
    for (int i = 0; i < refs.size(); i++) {
      GRPCBackendRef r = refs.get(i);
      HTTPBackendRef converted =
          new HTTPBackendRefBuilder()
              .withGroup(r.getGroup())
              .withKind(r.getKind())
              .withName(r.getName())
              .withNamespace(r.getNamespace())
              .withPort(r.getPort())
              .withWeight(r.getWeight())
              .withFilters(filters(r.getFilters(), field + ".backendRefs[" + i + "].filters"))
              .build();
      b.addToBackendRefs(converted);
    }
    return b.build();
  }

  /** The precedence keys of each match of a rule (one "any" match for a rule without matches). */
  static List<Specificity> specificity(GRPCRouteRule rule) {
    List<GRPCRouteMatch> matches = rule.getMatches() == null ? List.of() : rule.getMatches();
    if (matches.isEmpty()) {
      return List.of(new Specificity(0, 0, 0));
    }
    List<Specificity> out = new ArrayList<>();
    for (GRPCRouteMatch m : matches) {
      GRPCMethodMatch method = m.getMethod();
      out.add(
          new Specificity(
              method == null ? 0 : length(method.getService()),
              method == null ? 0 : length(method.getMethod()),
              m.getHeaders() == null ? 0 : m.getHeaders().size()));
    }
    return out;
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  private static HTTPRouteMatch match(GRPCRouteMatch match, String field) throws InvalidField {
    HTTPRouteMatchBuilder b = new HTTPRouteMatchBuilder();
    b.withPath(path(match.getMethod(), field + ".method"));
    List<GRPCHeaderMatch> headers = match.getHeaders() == null ? List.of() : match.getHeaders();
    List<HTTPHeaderMatch> converted = new ArrayList<>();
    for (GRPCHeaderMatch h : headers) {
      converted.add(
          new HTTPHeaderMatchBuilder()
              .withName(h.getName())
              .withValue(h.getValue())
              .withType(h.getType())
              .build());
    }
    return b.withHeaders(converted).build();
  }

  /** The path match of a method match; {@code null} (any path) without one. */
  private static HTTPPathMatch path(GRPCMethodMatch method, String field) throws InvalidField {
    if (method == null) {
      return null;
    }
    String service = empty(method.getService()) ? null : method.getService();
    String name = empty(method.getMethod()) ? null : method.getMethod();
    if (service == null && name == null) {
      throw new InvalidField(field, "at least one of service and method must be set");
    }
    String type = method.getType() == null ? "Exact" : method.getType();
    if (type.equals("RegularExpression")) {
      if (service != null) {
        regex(service, field + ".service");
      }
      if (name != null) {
        regex(name, field + ".method");
      }
      return regexPath(
          "/"
              + (service == null ? "[^/]+" : group(service))
              + "/"
              + (name == null ? "[^/]+" : group(name)));
    }
    if (!type.equals("Exact")) {
      throw new InvalidField(field + ".type", "must be Exact or RegularExpression: " + type);
    }
    if (service != null && !SERVICE.matcher(service).matches()) {
      throw new InvalidField(field + ".service", "not a valid gRPC service name: " + service);
    }
    if (name != null && !METHOD.matcher(name).matches()) {
      throw new InvalidField(field + ".method", "not a valid gRPC method name: " + name);
    }
    if (name == null) {
      return new HTTPPathMatchBuilder()
          .withType("PathPrefix")
          .withValue("/" + service + "/")
          .build();
    }
    if (service == null) {
      // The method name is an identifier: nothing in it needs quoting.
      return regexPath("/[^/]+/" + name);
    }
    return new HTTPPathMatchBuilder()
        .withType("Exact")
        .withValue("/" + service + "/" + name)
        .build();
  }

  private static HTTPPathMatch regexPath(String regex) {
    return new HTTPPathMatchBuilder().withType("RegularExpression").withValue(regex).build();
  }

  /** A user's regex as one path segment's pattern: alternations stay inside it. */
  private static String group(String regex) {
    return "(?:" + regex + ")";
  }

  private static void regex(String regex, String field) throws InvalidField {
    String problem = Re2Syntax.problem(regex);
    if (problem != null) {
      throw new InvalidField(field, problem);
    }
  }

  private static boolean empty(String s) {
    return s == null || s.isEmpty();
  }

  private static List<HTTPRouteFilter> filters(List<GRPCRouteFilter> filters, String field)
      throws InvalidField {
    List<HTTPRouteFilter> out = new ArrayList<>();
    List<GRPCRouteFilter> list = filters == null ? List.of() : filters;
    for (int i = 0; i < list.size(); i++) {
      GRPCRouteFilter f = list.get(i);
      if (f.getType() != null && !FILTERS.contains(f.getType())) {
        throw new InvalidField(
            field + "[" + i + "].type", "not a GRPCRoute filter type: " + f.getType());
      }
      out.add(
          new HTTPRouteFilterBuilder()
              .withType(f.getType())
              .withRequestHeaderModifier(f.getRequestHeaderModifier())
              .withResponseHeaderModifier(f.getResponseHeaderModifier())
              .withRequestMirror(f.getRequestMirror())
              .withExtensionRef(f.getExtensionRef())
              .build());
    }
    return out;
  }
}

package dev.ambient.controller.waypoint;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.BackendObjectReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeader;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathModifier;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRequestMirrorFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRequestRedirectFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPURLRewriteFilter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The filters of one HTTPRoute rule (or one backendRef), checked as a whole: either every filter
 * can be applied, or {@link #parse} throws naming the field and nothing of them is used. Redirect
 * and rewrite paths stay unresolved here because ReplacePrefixMatch depends on each match's path.
 */
final class RouteFilters {
  /** RFC 9110 token: what Gateway API allows as a header name. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+\\-.^_`|~]+");

  /** Filter types that may appear at most once per rule (Gateway API). */
  private static final Set<String> ONCE =
      Set.of("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite");

  final HeaderModifier requestHeaders;
  final HeaderModifier responseHeaders;
  final HTTPRequestRedirectFilter redirect;
  final String redirectField;
  final HTTPURLRewriteFilter rewrite;
  final String rewriteField;
  final List<Mirror> mirrors;

  /** Mirrors that do not resolve: left out (the mirror is a copy; the request still works). */
  final List<InvalidField> droppedMirrors;

  /**
   * A filter the waypoint cannot apply (ExtensionRef, CORS, ExternalAuth...): skipping it could let
   * requests through that the filter would have stopped, so the requests get 500 instead.
   */
  final InvalidField unsupported;

  private RouteFilters(
      HeaderModifier requestHeaders,
      HeaderModifier responseHeaders,
      HTTPRequestRedirectFilter redirect,
      String redirectField,
      HTTPURLRewriteFilter rewrite,
      String rewriteField,
      List<Mirror> mirrors,
      List<InvalidField> droppedMirrors,
      InvalidField unsupported) {
    this.requestHeaders = requestHeaders;
    this.responseHeaders = responseHeaders;
    this.redirect = redirect;
    this.redirectField = redirectField;
    this.rewrite = rewrite;
    this.rewriteField = rewriteField;
    this.mirrors = List.copyOf(mirrors);
    this.droppedMirrors = List.copyOf(droppedMirrors);
    this.unsupported = unsupported;
  }

  /**
   * @param field the path of the filter list, e.g. {@code spec.rules[1].filters}
   * @param backendLevel filters of a backendRef: only the header modifiers apply there
   * @throws InvalidField for a combination Gateway API forbids or a filter without its settings
   */
  static RouteFilters parse(
      List<HTTPRouteFilter> filters,
      String field,
      boolean backendLevel,
      BackendResolver resolver,
      String routeNamespace)
      throws InvalidField {
    HeaderModifier request = HeaderModifier.NONE;
    HeaderModifier response = HeaderModifier.NONE;
    HTTPRequestRedirectFilter redirect = null;
    String redirectField = null;
    HTTPURLRewriteFilter rewrite = null;
    String rewriteField = null;
    List<Mirror> mirrors = new ArrayList<>();
    List<InvalidField> dropped = new ArrayList<>();
    InvalidField unsupported = null;
    Set<String> seen = new HashSet<>();
    List<HTTPRouteFilter> list = filters == null ? List.of() : filters;
    for (int i = 0; i < list.size(); i++) {
      HTTPRouteFilter f = list.get(i);
      String at = field + "[" + i + "]";
      String type = f.getType();
      if (type == null) {
        throw new InvalidField(at + ".type", "is required");
      }
      if (ONCE.contains(type) && !seen.add(type)) {
        throw new InvalidField(at, "a second " + type + " filter (at most one is allowed)");
      }
      boolean supported =
          backendLevel
              ? type.equals("RequestHeaderModifier") || type.equals("ResponseHeaderModifier")
              : type.equals("RequestHeaderModifier")
                  || type.equals("ResponseHeaderModifier")
                  || type.equals("RequestRedirect")
                  || type.equals("URLRewrite")
                  || type.equals("RequestMirror");
      if (!supported) {
        if (unsupported == null) {
          unsupported =
              new InvalidField(
                  at,
                  "filter type "
                      + type
                      + " is not supported"
                      + (backendLevel ? " on a backendRef" : "")
                      + " by the waypoint");
        }
        continue;
      }
      switch (type) {
        case "RequestHeaderModifier" ->
            request = headers(f.getRequestHeaderModifier(), at + ".requestHeaderModifier", true);
        case "ResponseHeaderModifier" ->
            response =
                headers(f.getResponseHeaderModifier(), at + ".responseHeaderModifier", false);
        case "RequestRedirect" -> {
          redirect = required(f.getRequestRedirect(), at + ".requestRedirect");
          redirectField = at + ".requestRedirect";
        }
        case "URLRewrite" -> {
          rewrite = required(f.getUrlRewrite(), at + ".urlRewrite");
          rewriteField = at + ".urlRewrite";
        }
        default -> {
          String mf = at + ".requestMirror";
          HTTPRequestMirrorFilter m = required(f.getRequestMirror(), mf);
          int[] fraction = fraction(m, mf);
          BackendObjectReference ref = required(m.getBackendRef(), mf + ".backendRef");
          try {
            BackendRef target =
                resolver.resolve(
                    mf + ".backendRef",
                    ref.getGroup(),
                    ref.getKind(),
                    ref.getName(),
                    ref.getNamespace(),
                    ref.getPort(),
                    routeNamespace);
            mirrors.add(new Mirror(target, fraction[0], fraction[1]));
          } catch (InvalidField e) {
            dropped.add(e);
          }
        }
      }
    }
    if (redirect != null && rewrite != null) {
      throw new InvalidField(field, "RequestRedirect and URLRewrite cannot be combined");
    }
    if (redirect != null && (!mirrors.isEmpty() || !dropped.isEmpty())) {
      throw new InvalidField(field, "RequestRedirect and RequestMirror cannot be combined");
    }
    return new RouteFilters(
        request,
        response,
        redirect,
        redirectField,
        rewrite,
        rewriteField,
        mirrors,
        dropped,
        unsupported);
  }

  private static <T> T required(T value, String field) throws InvalidField {
    if (value == null) {
      throw new InvalidField(field, "is required for this filter type");
    }
    return value;
  }

  private static HeaderModifier headers(HTTPHeaderFilter h, String field, boolean request)
      throws InvalidField {
    required(h, field);
    Map<String, String> set = new LinkedHashMap<>();
    Map<String, String> add = new LinkedHashMap<>();
    List<String> remove = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<HTTPHeader> sets = h.getSet() == null ? List.of() : h.getSet();
    for (int i = 0; i < sets.size(); i++) {
      String at = field + ".set[" + i + "]";
      set.put(name(sets.get(i).getName(), at, request, names), value(sets.get(i), at));
    }
    List<HTTPHeader> adds = h.getAdd() == null ? List.of() : h.getAdd();
    for (int i = 0; i < adds.size(); i++) {
      String at = field + ".add[" + i + "]";
      add.put(name(adds.get(i).getName(), at, request, names), value(adds.get(i), at));
    }
    List<String> removes = h.getRemove() == null ? List.of() : h.getRemove();
    for (int i = 0; i < removes.size(); i++) {
      remove.add(name(removes.get(i), field + ".remove[" + i + "]", request, names));
    }
    return new HeaderModifier(set, add, remove);
  }

  /** A header name Envoy lets a route modify; names compare case-insensitively. */
  private static String name(String name, String field, boolean request, Set<String> seen)
      throws InvalidField {
    if (name == null || !TOKEN.matcher(name).matches()) {
      throw new InvalidField(field + ".name", "\"" + name + "\" is not a valid header name");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (request && lower.equals("host")) {
      throw new InvalidField(
          field + ".name", "Host cannot be modified by a header filter (use URLRewrite hostname)");
    }
    if (!seen.add(lower)) {
      throw new InvalidField(field + ".name", "header " + name + " appears twice in the filter");
    }
    return lower;
  }

  private static String value(HTTPHeader h, String field) throws InvalidField {
    String v = h.getValue() == null ? "" : h.getValue();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw new InvalidField(field + ".value", "control characters are not allowed");
      }
    }
    return v;
  }

  /** The mirrored share as numerator and denominator (all requests by default). */
  private static int[] fraction(HTTPRequestMirrorFilter m, String field) throws InvalidField {
    if (m.getPercent() != null && m.getFraction() != null) {
      throw new InvalidField(field, "percent and fraction cannot both be set");
    }
    if (m.getPercent() != null) {
      int percent = m.getPercent();
      if (percent < 0 || percent > 100) {
        throw new InvalidField(field + ".percent", "must be between 0 and 100");
      }
      return new int[] {percent, 100};
    }
    if (m.getFraction() != null) {
      int numerator = m.getFraction().getNumerator() == null ? 0 : m.getFraction().getNumerator();
      int denominator =
          m.getFraction().getDenominator() == null ? 100 : m.getFraction().getDenominator();
      if (denominator < 1 || numerator < 0 || numerator > denominator) {
        throw new InvalidField(
            field + ".fraction", "must be a fraction between 0 and 1 with a positive denominator");
      }
      return new int[] {numerator, denominator};
    }
    return new int[] {100, 100};
  }

  /** The redirect for one match (ReplacePrefixMatch replaces that match's prefix). */
  Redirect redirectFor(PathMatch match) throws InvalidField {
    HTTPRequestRedirectFilter r = redirect;
    String scheme = r.getScheme();
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      throw new InvalidField(redirectField + ".scheme", "must be http or https: " + scheme);
    }
    int status = r.getStatusCode() == null ? 302 : r.getStatusCode();
    if (!Redirect.STATUS_CODES.contains(status)) {
      throw new InvalidField(
          redirectField + ".statusCode", status + " is not one of 301, 302, 303, 307, 308");
    }
    if (r.getPort() != null && (r.getPort() < 1 || r.getPort() > 65535)) {
      throw new InvalidField(redirectField + ".port", "out of range: " + r.getPort());
    }
    String host = r.getHostname();
    if (host != null && (host.isEmpty() || host.contains("*") || host.contains(":"))) {
      throw new InvalidField(redirectField + ".hostname", "not a precise hostname: " + host);
    }
    return new Redirect(
        scheme, host, path(r.getPath(), redirectField + ".path", match), r.getPort(), status);
  }

  /** The URL rewrite for one match, or {@code null} without one. */
  UrlRewrite rewriteFor(PathMatch match) throws InvalidField {
    if (rewrite == null) {
      return null;
    }
    String host = rewrite.getHostname();
    if (host != null && (host.isEmpty() || host.contains("*") || host.contains(":"))) {
      throw new InvalidField(rewriteField + ".hostname", "not a precise hostname: " + host);
    }
    PathModifier path = path(rewrite.getPath(), rewriteField + ".path", match);
    if (host == null && path == null) {
      return null; // an empty URLRewrite changes nothing
    }
    return new UrlRewrite(host, path);
  }

  private static PathModifier path(HTTPPathModifier p, String field, PathMatch match)
      throws InvalidField {
    if (p == null) {
      return null;
    }
    String type = p.getType();
    if ("ReplaceFullPath".equals(type)) {
      return PathModifier.full(absolute(p.getReplaceFullPath(), field + ".replaceFullPath"));
    }
    if ("ReplacePrefixMatch".equals(type)) {
      if (match.kind() != PathMatch.Kind.PREFIX) {
        throw new InvalidField(
            field, "ReplacePrefixMatch needs a PathPrefix match; this match is " + match.kind());
      }
      return PathModifier.prefix(
          match.value(), absolute(p.getReplacePrefixMatch(), field + ".replacePrefixMatch"));
    }
    throw new InvalidField(field + ".type", "must be ReplaceFullPath or ReplacePrefixMatch");
  }

  private static String absolute(String path, String field) throws InvalidField {
    if (path == null || !path.startsWith("/")) {
      throw new InvalidField(field, "must be a path starting with /: " + path);
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= ' ' || c == '?' || c == '#' || c == 0x7f) {
        throw new InvalidField(field, "not a plain path: " + path);
      }
    }
    return path;
  }
}

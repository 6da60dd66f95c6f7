package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.Header;
import dev.ambient.wasm.sdk.SpiffeId;
import java.util.ArrayList;
import java.util.List;

/** What a policy is evaluated against, gathered once per request. Plain data: JVM-testable. */
final class RequestAttributes {
  /** The peer's SPIFFE ID ({@code spiffe://td/ns/n/sa/s}), or null for an unauthenticated peer. */
  String peerPrincipal;

  /** The JWT principal ({@code iss/sub}) if a JWT filter ran, else null. */
  String requestPrincipal;

  String method;
  String path;
  String authority;
  int port;
  List<Header> headers = new ArrayList<>();

  /** Istio's principal form: the SPIFFE ID without the {@code spiffe://} scheme. */
  String principal() {
    if (peerPrincipal == null) {
      return null;
    }
    return peerPrincipal.startsWith("spiffe://")
        ? peerPrincipal.substring("spiffe://".length())
        : peerPrincipal;
  }

  /** The namespace segment of {@code <td>/ns/<ns>/sa/<sa>}, or null. */
  String namespace() {
    SpiffeId id = SpiffeId.parse(principal());
    return id == null ? null : id.namespace();
  }

  /** The path without its query string or fragment, as Istio matches it. */
  String pathWithoutQuery() {
    if (path == null) {
      return null;
    }
    int q = path.indexOf('?');
    int h = path.indexOf('#');
    int end = path.length();
    if (q >= 0) {
      end = q;
    }
    if (h >= 0 && h < end) {
      end = h;
    }
    return path.substring(0, end);
  }

  /** Every field value of a header, in order, each kept separate. */
  List<String> headerValues(String name) {
    List<String> out = new ArrayList<>();
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        out.add(h.value());
      }
    }
    return out;
  }

  /** The authority and, when it carries a port, the host without it. */
  List<String> hosts() {
    List<String> out = new ArrayList<>();
    if (authority == null) {
      return out;
    }
    out.add(authority);
    int colon = authority.lastIndexOf(':');
    if (colon > 0 && authority.indexOf(']') < colon) {
      out.add(authority.substring(0, colon));
    }
    return out;
  }
}

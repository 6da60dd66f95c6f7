package dev.ambient.wasm.sdk;

import java.util.ArrayList;
import java.util.List;

/**
 * One of the stream's header maps (request/response headers or trailers). Names are matched
 * case-insensitively by the host (Envoy keeps them lower case).
 *
 * <p>{@link #get(String)} returns what the host returns for a name, which for a repeated header is
 * the values <em>joined with commas</em>. Policy decisions must use {@link #values(String)}, which
 * keeps every field separate (matching a joined value lets {@code a, b} satisfy a rule for {@code
 * a}; see CVE-2026-26308).
 */
public final class HeaderMap {
  private final int mapType;

  HeaderMap(int mapType) {
    this.mapType = mapType;
  }

  public static final HeaderMap REQUEST_HEADERS = new HeaderMap(0);
  public static final HeaderMap REQUEST_TRAILERS = new HeaderMap(1);
  public static final HeaderMap RESPONSE_HEADERS = new HeaderMap(2);
  public static final HeaderMap RESPONSE_TRAILERS = new HeaderMap(3);

  /** The host's value for {@code name} (repeated fields joined), or null. */
  public String get(String name) {
    byte[] v = HostCalls.getHeaderValue(mapType, Utf8.encode(name));
    return v == null ? null : Utf8.decode(v);
  }

  /** Every field of the map, in order, repeated names kept separate. */
  public List<Header> pairs() {
    return HeaderPairs.decode(HostCalls.getHeaderPairs(mapType));
  }

  /** Every value of {@code name} (case-insensitive), one entry per field, never joined. */
  public List<String> values(String name) {
    List<String> out = new ArrayList<>();
    for (Header h : pairs()) {
      if (h.name().equalsIgnoreCase(name)) {
        out.add(h.value());
      }
    }
    return out;
  }

  /** Replaces the whole map. */
  public void setPairs(List<Header> headers) {
    HostCalls.setHeaderPairs(mapType, HeaderPairs.encode(headers));
  }

  public void add(String name, String value) {
    HostCalls.addHeader(mapType, Utf8.encode(name), Utf8.encode(value));
  }

  /** Sets {@code name} to a single value, replacing every existing field of that name. */
  public void replace(String name, String value) {
    HostCalls.replaceHeader(mapType, Utf8.encode(name), Utf8.encode(value));
  }

  public void remove(String name) {
    HostCalls.removeHeader(mapType, Utf8.encode(name));
  }
}

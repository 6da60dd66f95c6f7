package dev.ambient.wasm.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The host side of one HTTP stream: its header maps, bodies, properties and local reply. */
public final class HttpStream {
  final int contextId;
  final List<String[]> requestHeaders = new ArrayList<>();
  final List<String[]> responseHeaders = new ArrayList<>();
  byte[] requestBody = new byte[0];
  byte[] responseBody = new byte[0];
  final Map<String, byte[]> properties = new HashMap<>();
  LocalResponse localResponse;
  boolean continued;

  HttpStream(int contextId) {
    this.contextId = contextId;
  }

  /** A reply sent by {@code proxy_send_local_response}. */
  public static final class LocalResponse {
    public final int status;
    public final String details;
    public final String body;
    public final List<String[]> headers;

    LocalResponse(int status, String details, String body, List<String[]> headers) {
      this.status = status;
      this.details = details;
      this.body = body;
      this.headers = headers;
    }
  }

  public int contextId() {
    return contextId;
  }

  public List<String[]> requestHeaders() {
    return requestHeaders;
  }

  public List<String[]> responseHeaders() {
    return responseHeaders;
  }

  public byte[] responseBody() {
    return responseBody;
  }

  public LocalResponse localResponse() {
    return localResponse;
  }

  /** All values of a header in a map, in order. */
  public static List<String> values(List<String[]> map, String name) {
    List<String> out = new ArrayList<>();
    for (String[] h : map) {
      if (h[0].equalsIgnoreCase(name)) {
        out.add(h[1]);
      }
    }
    return out;
  }

  List<String[]> map(int type) {
    switch (type) {
      case 0:
        return requestHeaders;
      case 2:
        return responseHeaders;
      default:
        return null;
    }
  }
}

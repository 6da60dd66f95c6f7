package dev.ambient.wasm.filters.example;

import dev.ambient.wasm.sdk.Action;
import dev.ambient.wasm.sdk.Header;
import dev.ambient.wasm.sdk.Labels;
import dev.ambient.wasm.sdk.Log;
import dev.ambient.wasm.sdk.Metrics;
import dev.ambient.wasm.sdk.Properties;
import dev.ambient.wasm.sdk.SharedData;
import dev.ambient.wasm.sdk.Utf8;
import java.util.ArrayList;
import java.util.List;

/**
 * Per request: echoes path, peer and the values of {@code x-multi} into response headers, counts
 * requests in shared data and a labelled counter; {@code x-throw} throws (fail-strategy tests),
 * {@code x-teapot} answers 418 locally, a request body containing {@code forbidden} gets 400, and
 * {@code x-big: N} allocates N KiB of garbage (GC tests).
 */
final class ExampleStream extends dev.ambient.wasm.sdk.HttpContext {
  private final String greeting;
  private String path;
  private String peer;
  private String multi;

  ExampleStream(String greeting) {
    this.greeting = greeting;
  }

  @Override
  public Action onRequestHeaders(int headerCount, boolean endOfStream) {
    if (requestHeaders().get("x-throw") != null) {
      throw new IllegalStateException("asked to throw");
    }
    if (requestHeaders().get("x-npe") != null) {
      // A null dereference in filter code: must become an exception, not a trap or garbage.
      String absent = requestHeaders().get("x-absent");
      Log.info("length " + absent.length());
    }
    if (requestHeaders().get("x-oob") != null) {
      int[] small = new int[headerCount];
      small[headerCount + 3] = 1;
      Log.info("wrote " + small.length);
    }
    if (requestHeaders().get("x-teapot") != null) {
      List<Header> h = new ArrayList<>();
      h.add(new Header("x-teapot", "yes"));
      sendLocalResponse(418, "teapot", "short and stout", h);
      return Action.PAUSE;
    }
    String big = requestHeaders().get("x-big");
    if (big != null) {
      churn(Integer.parseInt(big));
    }
    path = Properties.requestPath();
    peer = Properties.peerPrincipal();
    multi = String.join("|", requestHeaders().values("x-multi"));
    requestHeaders().add("x-greeting", greeting);
    requestHeaders().replace("x-replaced", "new");
    requestHeaders().remove("x-remove-me");
    bumpSharedCounter();
    Metrics.counter("example_requests_total", Labels.of("method", Properties.requestMethod()))
        .increment(1);
    Log.debug("example request " + path);
    return Action.CONTINUE;
  }

  @Override
  public Action onRequestBody(int bodySize, boolean endOfStream) {
    if (!endOfStream) {
      return Action.PAUSE;
    }
    String body = Utf8.decode(requestBody().read(0, bodySize));
    if (body.contains("forbidden")) {
      sendLocalResponse(400, "body_rejected", "forbidden body", null);
      return Action.PAUSE;
    }
    return Action.CONTINUE;
  }

  @Override
  public Action onResponseHeaders(int headerCount, boolean endOfStream) {
    responseHeaders().add("x-path", path == null ? "" : path);
    responseHeaders().add("x-peer", peer == null ? "none" : peer);
    responseHeaders().add("x-multi-seen", multi == null ? "" : multi);
    return Action.CONTINUE;
  }

  @Override
  public Action onResponseBody(int bodySize, boolean endOfStream) {
    if (endOfStream && bodySize > 0) {
      byte[] b = responseBody().read(0, bodySize);
      responseBody().replace(0, bodySize, Utf8.encode(Utf8.decode(b).toUpperCase()));
    }
    return Action.CONTINUE;
  }

  private static void bumpSharedCounter() {
    for (int attempt = 0; attempt < 8; attempt++) {
      SharedData.Entry e = SharedData.get("example.requests");
      long n = e == null ? 0 : Long.parseLong(Utf8.decode(e.value()));
      if (SharedData.set(
          "example.requests", Utf8.encode(Long.toString(n + 1)), e == null ? 0 : e.cas())) {
        return;
      }
    }
  }

  private static void churn(int kib) {
    List<byte[]> keep = new ArrayList<>();
    for (int i = 0; i < kib; i++) {
      keep.add(new byte[1024]);
      if (keep.size() > 16) {
        keep.remove(0);
      }
    }
  }
}

package dev.ambient.wasm.sdk;

import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP stream. Override the callbacks you need; each returns {@link Action#CONTINUE} by
 * default. An exception thrown from a callback never traps the VM: the SDK logs it and applies the
 * plugin's {@link FailStrategy}.
 */
public abstract class HttpContext {
  private int id;
  private boolean answeredLocally;
  // Set when the SDK answered 503 after an exception (FAIL_CLOSE). Envoy runs a local reply
  // through the encoder callbacks of the filter that sent it, so without this the filter's
  // response code would run again on a stream it already failed, and could rewrite the error.
  boolean failedClosed;

  void attach(int id) {
    this.id = id;
  }

  public final int id() {
    return id;
  }

  public Action onRequestHeaders(int headerCount, boolean endOfStream) {
    return Action.CONTINUE;
  }

  public Action onRequestBody(int bodySize, boolean endOfStream) {
    return Action.CONTINUE;
  }

  public Action onResponseHeaders(int headerCount, boolean endOfStream) {
    return Action.CONTINUE;
  }

  public Action onResponseBody(int bodySize, boolean endOfStream) {
    return Action.CONTINUE;
  }

  /** The stream is complete; access-log time (response code and sizes are final). */
  public void onLog() {}

  /** The host is done with the stream; release anything held for it. */
  public void onDone() {}

  public final HeaderMap requestHeaders() {
    return HeaderMap.REQUEST_HEADERS;
  }

  public final HeaderMap responseHeaders() {
    return HeaderMap.RESPONSE_HEADERS;
  }

  public final Body requestBody() {
    return Body.REQUEST;
  }

  public final Body responseBody() {
    return Body.RESPONSE;
  }

  /** Whether this stream was answered by {@link #sendLocalResponse}. */
  public final boolean answeredLocally() {
    return answeredLocally;
  }

  /**
   * Answers the request from the proxy without reaching the upstream. Return {@link Action#PAUSE}
   * from the current callback afterwards.
   *
   * @param details Envoy's response code details (shown in access logs), e.g. {@code rbac_denied}
   */
  public final void sendLocalResponse(
      int status, String details, String body, List<Header> headers) {
    answeredLocally = true;
    HostCalls.sendLocalResponse(
        status,
        Utf8.encode(details == null ? "" : details),
        Utf8.encode(body == null ? "" : body),
        HeaderPairs.encode(headers == null ? new ArrayList<>() : headers),
        -1);
  }

  /** For the SDK's fail-closed path: ignores the host's status instead of throwing. */
  final void sendLocalResponseQuietly(int status, String details, String body) {
    answeredLocally = true;
    failedClosed = true;
    HostCalls.sendLocalResponseStatus(
        status, Utf8.encode(details), Utf8.encode(body), HeaderPairs.encode(new ArrayList<>()), -1);
  }

  /** Resumes a request paused by returning {@link Action#PAUSE}. */
  public final void resumeRequest() {
    HostCalls.continueStream(0);
  }

  /** Resumes a response paused by returning {@link Action#PAUSE}. */
  public final void resumeResponse() {
    HostCalls.continueStream(1);
  }
}

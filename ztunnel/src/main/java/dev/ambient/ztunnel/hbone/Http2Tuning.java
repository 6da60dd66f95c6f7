package dev.ambient.ztunnel.hbone;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 settings of the HBONE data path, as Istio's ztunnel uses them, plus Netty's flood defences
 * set explicitly so that a Netty upgrade cannot silently loosen them.
 */
public final class Http2Tuning {
  public static final int STREAM_WINDOW = 4 * 1024 * 1024;
  public static final int CONNECTION_WINDOW = 16 * 1024 * 1024;
  public static final int MAX_FRAME_SIZE = 1024 * 1024;
  public static final int MAX_HEADER_LIST_SIZE = 64 * 1024;
  public static final int SERVER_MAX_CONCURRENT_STREAMS = 200;
  public static final int CLIENT_MAX_STREAMS_PER_CONNECTION = 100;

  // Rapid reset (CVE-2023-44487): at most 200 streams reset before we answered them, per 30 s
  // (PrematureResetGuard). Netty's own counter takes every RST_STREAM, and a waypoint Envoy ends
  // one answered tunnel per request with a reset: it would tear down busy, healthy connections.
  static final int MAX_PREMATURE_RESETS = 200;
  // RST_STREAM we send ("MadeYouReset", CVE-2025-55163) stay capped, but higher: once a stream is
  // reset because its destination aborted, the peer's DATA already in flight (up to a 4 MiB window
  // per stream) is answered frame by frame with RST_STREAM. At 200 the shared connection was torn
  // down, and every other tunnel on it with it (ResetStreamIsolationTest).
  private static final int MAX_SENT_RST_FRAMES = 10_000;
  private static final int RST_WINDOW_SECONDS = 30;
  private static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;
  private static final int MAX_CONSECUTIVE_EMPTY_DATA_FRAMES = 2;
  // CONTINUATION flood: header bytes are capped by SETTINGS, this caps tiny-frame counts.
  private static final int MAX_SMALL_CONTINUATION_FRAMES = 16;

  private Http2Tuning() {}

  public static Http2FrameCodec serverCodec() {
    Http2Settings settings =
        new Http2Settings()
            .maxConcurrentStreams(SERVER_MAX_CONCURRENT_STREAMS)
            .initialWindowSize(STREAM_WINDOW)
            .maxFrameSize(MAX_FRAME_SIZE)
            .maxHeaderListSize(MAX_HEADER_LIST_SIZE);
    // ENABLE_PUSH is a client-only setting; a server sending it is a protocol error.
    return harden(Http2FrameCodecBuilder.forServer().initialSettings(settings)).build();
  }

  /** Goes between {@link #serverCodec} and the stream multiplexer. */
  static PrematureResetGuard serverResetGuard(Http2FrameCodec codec) {
    return new PrematureResetGuard(
        codec.connection(), MAX_PREMATURE_RESETS, RST_WINDOW_SECONDS, TimeUnit.SECONDS);
  }

  public static Http2FrameCodec clientCodec() {
    Http2Settings settings =
        new Http2Settings()
            // The server never opens streams towards us.
            .maxConcurrentStreams(0)
            .initialWindowSize(STREAM_WINDOW)
            .maxFrameSize(MAX_FRAME_SIZE)
            .maxHeaderListSize(MAX_HEADER_LIST_SIZE)
            .pushEnabled(false);
    // Resets from the server end streams we opened and cost us nothing: no rapid-reset limit.
    return harden(Http2FrameCodecBuilder.forClient().initialSettings(settings)).build();
  }

  private static Http2FrameCodecBuilder harden(Http2FrameCodecBuilder b) {
    return b.decoderEnforceMaxRstFramesPerWindow(0, 0)
        .encoderEnforceMaxRstFramesPerWindow(MAX_SENT_RST_FRAMES, RST_WINDOW_SECONDS)
        .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
        .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_CONSECUTIVE_EMPTY_DATA_FRAMES)
        .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES)
        .validateHeaders(true);
  }

  /** Raises the connection-level receive window from the RFC default to 16 MiB. */
  public static void openConnectionWindow(Channel parent) {
    int delta = CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    parent.writeAndFlush(new DefaultHttp2WindowUpdateFrame(delta));
  }
}

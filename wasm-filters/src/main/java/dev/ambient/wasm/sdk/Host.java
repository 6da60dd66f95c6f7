package dev.ambient.wasm.sdk;

import org.teavm.interop.Import;

/**
 * The proxy-wasm ABI 0.2.1 host functions (module {@code env}). Every pointer argument is an offset
 * in this module's linear memory, obtained by {@link Memory} immediately before the call: TeaVM's
 * collector moves objects, so no pointer may outlive an allocation.
 *
 * <p>Only functions that are actually called end up as imports of a compiled module; the build's
 * allow-list check ({@code WasmImports}) accepts exactly this list.
 */
final class Host {
  private Host() {}

  @Import(module = "env", name = "proxy_log")
  static native int proxyLog(int level, int messagePtr, int messageSize);

  @Import(module = "env", name = "proxy_get_log_level")
  static native int proxyGetLogLevel(int returnLevelPtr);

  @Import(module = "env", name = "proxy_get_current_time_nanoseconds")
  static native int proxyGetCurrentTimeNanoseconds(int returnTimePtr);

  @Import(module = "env", name = "proxy_set_tick_period_milliseconds")
  static native int proxySetTickPeriodMilliseconds(int periodMillis);

  @Import(module = "env", name = "proxy_get_buffer_bytes")
  static native int proxyGetBufferBytes(
      int bufferType, int start, int maxSize, int returnDataPtr, int returnSizePtr);

  @Import(module = "env", name = "proxy_set_buffer_bytes")
  static native int proxySetBufferBytes(
      int bufferType, int start, int size, int dataPtr, int dataSize);

  @Import(module = "env", name = "proxy_get_header_map_pairs")
  static native int proxyGetHeaderMapPairs(int mapType, int returnDataPtr, int returnSizePtr);

  @Import(module = "env", name = "proxy_set_header_map_pairs")
  static native int proxySetHeaderMapPairs(int mapType, int dataPtr, int dataSize);

  @Import(module = "env", name = "proxy_get_header_map_value")
  static native int proxyGetHeaderMapValue(
      int mapType, int keyPtr, int keySize, int returnValuePtr, int returnSizePtr);

  @Import(module = "env", name = "proxy_add_header_map_value")
  static native int proxyAddHeaderMapValue(
      int mapType, int keyPtr, int keySize, int valuePtr, int valueSize);

  @Import(module = "env", name = "proxy_replace_header_map_value")
  static native int proxyReplaceHeaderMapValue(
      int mapType, int keyPtr, int keySize, int valuePtr, int valueSize);

  @Import(module = "env", name = "proxy_remove_header_map_value")
  static native int proxyRemoveHeaderMapValue(int mapType, int keyPtr, int keySize);

  @Import(module = "env", name = "proxy_get_property")
  static native int proxyGetProperty(
      int pathPtr, int pathSize, int returnValuePtr, int returnSizePtr);

  @Import(module = "env", name = "proxy_set_property")
  static native int proxySetProperty(int pathPtr, int pathSize, int valuePtr, int valueSize);

  @Import(module = "env", name = "proxy_send_local_response")
  static native int proxySendLocalResponse(
      int statusCode,
      int detailsPtr,
      int detailsSize,
      int bodyPtr,
      int bodySize,
      int headersPtr,
      int headersSize,
      int grpcStatus);

  @Import(module = "env", name = "proxy_continue_stream")
  static native int proxyContinueStream(int streamType);

  @Import(module = "env", name = "proxy_get_shared_data")
  static native int proxyGetSharedData(
      int keyPtr, int keySize, int returnValuePtr, int returnSizePtr, int returnCasPtr);

  @Import(module = "env", name = "proxy_set_shared_data")
  static native int proxySetSharedData(
      int keyPtr, int keySize, int valuePtr, int valueSize, int cas);

  @Import(module = "env", name = "proxy_define_metric")
  static native int proxyDefineMetric(
      int metricType, int namePtr, int nameSize, int returnMetricIdPtr);

  @Import(module = "env", name = "proxy_increment_metric")
  static native int proxyIncrementMetric(int metricId, long offset);

  @Import(module = "env", name = "proxy_record_metric")
  static native int proxyRecordMetric(int metricId, long value);

  @Import(module = "env", name = "proxy_get_metric")
  static native int proxyGetMetric(int metricId, int returnValuePtr);
}

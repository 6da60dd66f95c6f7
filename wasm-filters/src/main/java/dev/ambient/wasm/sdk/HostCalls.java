package dev.ambient.wasm.sdk;

/**
 * Typed wrappers over {@link Host}. Each call that returns data follows the same shape: encode
 * inputs first (allocation allowed), then {@link Memory#open()} and the host call in one expression
 * sequence with no allocation, then copy results out.
 */
final class HostCalls {
  private static final int ATTEMPTS = 4;

  private HostCalls() {}

  static void log(int level, byte[] message) {
    Memory.beforeCall();
    Host.proxyLog(level, Memory.addressOf(message), message.length);
  }

  static int logLevel() {
    int base = Memory.open();
    int status = Host.proxyGetLogLevel(base);
    Memory.closeAndGrowIfRefused();
    return status == Status.OK ? Memory.slotInt(0) : 0;
  }

  static long nowNanos() {
    int base = Memory.open();
    int status = Host.proxyGetCurrentTimeNanoseconds(base);
    Memory.closeAndGrowIfRefused();
    check("proxy_get_current_time_nanoseconds", status);
    return Memory.slotLong(0);
  }

  static void setTickPeriodMillis(int millis) {
    check("proxy_set_tick_period_milliseconds", Host.proxySetTickPeriodMilliseconds(millis));
  }

  /** Returns null when the buffer does not exist (NotFound) or is empty. */
  static byte[] getBuffer(int bufferType, int start, int maxSize) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int base = Memory.open();
      int status = Host.proxyGetBufferBytes(bufferType, start, maxSize, base, base + 4);
      if (Memory.closeAndGrowIfRefused()) {
        continue;
      }
      if (status == Status.NOT_FOUND || status == Status.EMPTY) {
        return null;
      }
      check("proxy_get_buffer_bytes", status);
      return Memory.copyOut(Memory.slotInt(0), Memory.slotInt(1));
    }
    throw new HostCallException("proxy_get_buffer_bytes", Status.INVALID_MEMORY_ACCESS);
  }

  static void setBuffer(int bufferType, int start, int size, byte[] data) {
    Memory.beforeCall();
    check(
        "proxy_set_buffer_bytes",
        Host.proxySetBufferBytes(bufferType, start, size, Memory.addressOf(data), data.length));
  }

  static byte[] getHeaderPairs(int mapType) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int base = Memory.open();
      int status = Host.proxyGetHeaderMapPairs(mapType, base, base + 4);
      if (Memory.closeAndGrowIfRefused()) {
        continue;
      }
      if (status == Status.NOT_FOUND) {
        return null;
      }
      check("proxy_get_header_map_pairs", status);
      return Memory.copyOut(Memory.slotInt(0), Memory.slotInt(1));
    }
    throw new HostCallException("proxy_get_header_map_pairs", Status.INVALID_MEMORY_ACCESS);
  }

  static void setHeaderPairs(int mapType, byte[] pairs) {
    Memory.beforeCall();
    check(
        "proxy_set_header_map_pairs",
        Host.proxySetHeaderMapPairs(mapType, Memory.addressOf(pairs), pairs.length));
  }

  /** Returns null when the header is absent. */
  static byte[] getHeaderValue(int mapType, byte[] key) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int base = Memory.open();
      int status =
          Host.proxyGetHeaderMapValue(mapType, Memory.addressOf(key), key.length, base, base + 4);
      if (Memory.closeAndGrowIfRefused()) {
        continue;
      }
      if (status == Status.NOT_FOUND) {
        return null;
      }
      check("proxy_get_header_map_value", status);
      return Memory.copyOut(Memory.slotInt(0), Memory.slotInt(1));
    }
    throw new HostCallException("proxy_get_header_map_value", Status.INVALID_MEMORY_ACCESS);
  }

  static void addHeader(int mapType, byte[] key, byte[] value) {
    Memory.beforeCall();
    check(
        "proxy_add_header_map_value",
        Host.proxyAddHeaderMapValue(
            mapType, Memory.addressOf(key), key.length, Memory.addressOf(value), value.length));
  }

  static void replaceHeader(int mapType, byte[] key, byte[] value) {
    Memory.beforeCall();
    check(
        "proxy_replace_header_map_value",
        Host.proxyReplaceHeaderMapValue(
            mapType, Memory.addressOf(key), key.length, Memory.addressOf(value), value.length));
  }

  static void removeHeader(int mapType, byte[] key) {
    Memory.beforeCall();
    int status = Host.proxyRemoveHeaderMapValue(mapType, Memory.addressOf(key), key.length);
    if (status != Status.NOT_FOUND) {
      check("proxy_remove_header_map_value", status);
    }
  }

  /** Returns null when the property does not exist. */
  static byte[] getProperty(byte[] path) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int base = Memory.open();
      int status = Host.proxyGetProperty(Memory.addressOf(path), path.length, base, base + 4);
      if (Memory.closeAndGrowIfRefused()) {
        continue;
      }
      if (status == Status.NOT_FOUND) {
        return null;
      }
      check("proxy_get_property", status);
      return Memory.copyOut(Memory.slotInt(0), Memory.slotInt(1));
    }
    throw new HostCallException("proxy_get_property", Status.INVALID_MEMORY_ACCESS);
  }

  static void setProperty(byte[] path, byte[] value) {
    Memory.beforeCall();
    check(
        "proxy_set_property",
        Host.proxySetProperty(
            Memory.addressOf(path), path.length, Memory.addressOf(value), value.length));
  }

  static void sendLocalResponse(
      int statusCode, byte[] details, byte[] body, byte[] headerPairs, int grpcStatus) {
    Memory.beforeCall();
    check(
        "proxy_send_local_response",
        Host.proxySendLocalResponse(
            statusCode,
            Memory.addressOf(details),
            details.length,
            Memory.addressOf(body),
            body.length,
            Memory.addressOf(headerPairs),
            headerPairs.length,
            grpcStatus));
  }

  static int sendLocalResponseStatus(
      int statusCode, byte[] details, byte[] body, byte[] headerPairs, int grpcStatus) {
    Memory.beforeCall();
    return Host.proxySendLocalResponse(
        statusCode,
        Memory.addressOf(details),
        details.length,
        Memory.addressOf(body),
        body.length,
        Memory.addressOf(headerPairs),
        headerPairs.length,
        grpcStatus);
  }

  static void continueStream(int streamType) {
    check("proxy_continue_stream", Host.proxyContinueStream(streamType));
  }

  /** Returns null when the key is absent; otherwise the value and its CAS token. */
  static SharedData.Entry getSharedData(byte[] key) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int base = Memory.open();
      int status =
          Host.proxyGetSharedData(Memory.addressOf(key), key.length, base, base + 4, base + 8);
      if (Memory.closeAndGrowIfRefused()) {
        continue;
      }
      if (status == Status.NOT_FOUND) {
        return null;
      }
      check("proxy_get_shared_data", status);
      int cas = Memory.slotInt(2);
      byte[] value = Memory.copyOut(Memory.slotInt(0), Memory.slotInt(1));
      return new SharedData.Entry(value, cas);
    }
    throw new HostCallException("proxy_get_shared_data", Status.INVALID_MEMORY_ACCESS);
  }

  /** Returns false on a CAS mismatch. */
  static boolean setSharedData(byte[] key, byte[] value, int cas) {
    Memory.beforeCall();
    int status =
        Host.proxySetSharedData(
            Memory.addressOf(key), key.length, Memory.addressOf(value), value.length, cas);
    if (status == Status.CAS_MISMATCH) {
      return false;
    }
    check("proxy_set_shared_data", status);
    return true;
  }

  static int defineMetric(int type, byte[] name) {
    int base = Memory.open();
    int status = Host.proxyDefineMetric(type, Memory.addressOf(name), name.length, base);
    Memory.closeAndGrowIfRefused();
    check("proxy_define_metric", status);
    return Memory.slotInt(0);
  }

  static void incrementMetric(int id, long offset) {
    check("proxy_increment_metric", Host.proxyIncrementMetric(id, offset));
  }

  static void recordMetric(int id, long value) {
    check("proxy_record_metric", Host.proxyRecordMetric(id, value));
  }

  static long getMetric(int id) {
    int base = Memory.open();
    int status = Host.proxyGetMetric(id, base);
    Memory.closeAndGrowIfRefused();
    check("proxy_get_metric", status);
    return Memory.slotLong(0);
  }

  private static void check(String function, int status) {
    if (status != Status.OK) {
      throw new HostCallException(function, status);
    }
  }
}

package dev.ambient.wasm.host;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.ambient.wasm.build.ImportAllowList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A proxy-wasm ABI 0.2.1 host on Chicory, for testing compiled filters without Envoy. It offers
 * exactly the imports Envoy offers (the proxy-wasm functions below and the allow-listed WASI
 * functions), follows proxy-wasm-cpp-host's start sequence ({@code _initialize}, root context,
 * {@code proxy_on_vm_start}, {@code proxy_on_configure}) and its memory protocol (results copied
 * into buffers from {@code proxy_on_memory_allocate}; a 0 answer is InvalidMemoryAccess).
 */
public final class ProxyWasmHost {
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int BAD_ARGUMENT = 2;
  static final int INVALID_MEMORY_ACCESS = 6;
  static final int CAS_MISMATCH = 8;
  static final int ROOT_ID = 1;

  private static final Map<Path, WasmModule> MODULES = new ConcurrentHashMap<>();

  private final HostState state = new HostState();
  private final Instance instance;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final Map<Integer, HttpStream> streams = new HashMap<>();
  private HttpStream current;
  private int nextContextId = ROOT_ID + 1;
  private String vmConfiguration = "";
  private String pluginConfiguration = "";

  private ProxyWasmHost(WasmModule module) {
    List<HostFunction> functions = new ArrayList<>(proxyFunctions());
    WasiPreview1 wasi =
        WasiPreview1.builder()
            .withOptions(WasiOptions.builder().withStdout(stdout).withStderr(stdout).build())
            .build();
    for (HostFunction f : wasi.toHostFunctions()) {
      if (ImportAllowList.WASI.contains(f.name())) {
        functions.add(f);
      }
    }
    instance =
        Instance.builder(module)
            .withImportValues(
                ImportValues.builder().withFunctions(new ArrayList<>(functions)).build())
            .withStart(false)
            .build();
  }

  /** The directory the build writes modules to ({@code -Dwasm.dir}, else target/wasm). */
  public static Path wasmDir() {
    return Paths.get(System.getProperty("wasm.dir", "target/wasm"));
  }

  /** Instantiates a compiled filter ({@code authz}, {@code telemetry}, ...) from the build. */
  public static ProxyWasmHost load(String filter) {
    return load(wasmDir().resolve(filter + ".wasm"));
  }

  public static ProxyWasmHost load(Path wasm) {
    WasmModule module =
        MODULES.computeIfAbsent(
            wasm.toAbsolutePath(),
            p -> {
              try {
                return Parser.parse(Files.readAllBytes(p));
              } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot read " + p + " (run the build first)", e);
              }
            });
    return new ProxyWasmHost(module);
  }

  /** Runs cpp-host's start sequence; returns proxy_on_vm_start's answer. */
  public boolean start(String vmConfig) {
    instance.export("_initialize").apply();
    call("proxy_on_context_create", ROOT_ID, 0);
    vmConfiguration = vmConfig == null ? "" : vmConfig;
    long r = call("proxy_on_vm_start", ROOT_ID, utf8(vmConfiguration).length);
    return r != 0;
  }

  /** Delivers a plugin configuration; returns proxy_on_configure's answer. */
  public boolean configure(String config) {
    pluginConfiguration = config == null ? "" : config;
    return call("proxy_on_configure", ROOT_ID, utf8(pluginConfiguration).length) != 0;
  }

  public void tick() {
    call("proxy_on_tick", ROOT_ID);
  }

  public HostState.SharedStore sharedStore() {
    return state.shared;
  }

  public void useSharedStore(HostState.SharedStore store) {
    state.shared = store;
  }

  /** Sets a VM-wide attribute, e.g. {@code property("node.metadata.NAME", "wp")}. */
  public void property(String dottedPath, String value) {
    state.properties.put(dottedPath, utf8(value));
  }

  public void advanceNanos(long nanos) {
    state.nowNanos += nanos;
  }

  public int tickPeriodMillis() {
    return state.tickPeriodMillis;
  }

  public List<HostState.LogLine> logs() {
    return Collections.unmodifiableList(state.logs);
  }

  public boolean logged(int level, String fragment) {
    for (HostState.LogLine l : state.logs) {
      if (l.level == level && l.message.contains(fragment)) {
        return true;
      }
    }
    return false;
  }

  /** A metric by full name (labels included), or null. */
  public HostState.Metric metric(String fullName) {
    return state.metricsByName.get(fullName);
  }

  public Map<String, HostState.Metric> metrics() {
    return Collections.unmodifiableMap(state.metricsByName);
  }

  public int memoryPages() {
    return instance.memory().pages();
  }

  public String stdout() {
    return stdout.toString(StandardCharsets.UTF_8);
  }

  /** Creates a stream context ({@code proxy_on_context_create}). */
  public HttpStream newStream() {
    HttpStream s = new HttpStream(nextContextId++);
    streams.put(s.contextId, s);
    call("proxy_on_context_create", s.contextId, ROOT_ID);
    return s;
  }

  public int requestHeaders(HttpStream s, boolean endOfStream) {
    return (int)
        on(s, "proxy_on_request_headers", s.contextId, s.requestHeaders.size(), eos(endOfStream));
  }

  public int requestBody(HttpStream s, byte[] body, boolean endOfStream) {
    s.requestBody = body;
    return (int) on(s, "proxy_on_request_body", s.contextId, body.length, eos(endOfStream));
  }

  public int responseHeaders(HttpStream s, boolean endOfStream) {
    return (int)
        on(s, "proxy_on_response_headers", s.contextId, s.responseHeaders.size(), eos(endOfStream));
  }

  public int responseBody(HttpStream s, byte[] body, boolean endOfStream) {
    s.responseBody = body;
    return (int) on(s, "proxy_on_response_body", s.contextId, body.length, eos(endOfStream));
  }

  /** Access-log time, then the end of the stream. */
  public void finish(HttpStream s) {
    on(s, "proxy_on_log", s.contextId);
    on(s, "proxy_on_done", s.contextId);
    on(s, "proxy_on_delete", s.contextId);
    streams.remove(s.contextId);
  }

  /** Sets a per-stream attribute (overrides VM-wide ones). */
  public static void property(HttpStream s, String dottedPath, String value) {
    s.properties.put(dottedPath, utf8(value));
  }

  public static void property(HttpStream s, String dottedPath, long value) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (value >>> (8 * i));
    }
    s.properties.put(dottedPath, b);
  }

  private long on(HttpStream s, String export, long... args) {
    HttpStream previous = current;
    current = s;
    try {
      return call(export, args);
    } finally {
      current = previous;
    }
  }

  private long call(String export, long... args) {
    ExportFunction f = instance.export(export);
    long[] r = f.apply(args);
    return r == null || r.length == 0 ? 0 : r[0];
  }

  private static int eos(boolean b) {
    return b ? 1 : 0;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---- memory protocol ----

  private Memory memory() {
    return instance.memory();
  }

  private String readString(int ptr, int len) {
    return new String(memory().readBytes(ptr, len), StandardCharsets.UTF_8);
  }

  /** Copies {@code data} into a guest buffer and stores its address and size; cpp-host style. */
  private int copyOut(byte[] data, int ptrPtr, int sizePtr) {
    int ptr = 0;
    if (data.length > 0) {
      ptr = (int) instance.export("proxy_on_memory_allocate").apply(data.length)[0];
      if (ptr == 0) {
        return INVALID_MEMORY_ACCESS;
      }
      memory().write(ptr, data);
    }
    memory().writeI32(ptrPtr, ptr);
    memory().writeI32(sizePtr, data.length);
    return OK;
  }

  private byte[] property(String[] segments) {
    String key = String.join(".", segments);
    if (current != null && current.properties.containsKey(key)) {
      return current.properties.get(key);
    }
    return state.properties.get(key);
  }

  static byte[] pairs(List<String[]> headers) {
    int size = 4;
    List<byte[]> parts = new ArrayList<>();
    for (String[] h : headers) {
      byte[] k = utf8(h[0]);
      byte[] v = utf8(h[1]);
      parts.add(k);
      parts.add(v);
      size += 8 + k.length + v.length + 2;
    }
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(headers.size());
    for (int i = 0; i < parts.size(); i += 2) {
      b.putInt(parts.get(i).length);
      b.putInt(parts.get(i + 1).length);
    }
    for (byte[] p : parts) {
      b.put(p);
      b.put((byte) 0);
    }
    return b.array();
  }

  static List<String[]> parsePairs(byte[] data) {
    List<String[]> out = new ArrayList<>();
    if (data.length == 0) {
      return out;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int n = b.getInt();
    int[] lens = new int[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      lens[i] = b.getInt();
    }
    int o = 4 + 8 * n;
    for (int i = 0; i < n; i++) {
      String k = new String(data, o, lens[2 * i], StandardCharsets.UTF_8);
      o += lens[2 * i] + 1;
      String v = new String(data, o, lens[2 * i + 1], StandardCharsets.UTF_8);
      o += lens[2 * i + 1] + 1;
      out.add(new String[] {k, v});
    }
    return out;
  }

  // ---- imports ----

  private static HostFunction fn(String name, int params, WasmFunctionHandle handle) {
    return fn(name, Collections.nCopies(params, ValType.I32), handle);
  }

  private static HostFunction fn(String name, List<ValType> params, WasmFunctionHandle handle) {
    return new HostFunction("env", name, FunctionType.of(params, List.of(ValType.I32)), handle);
  }

  private static long[] ret(int status) {
    return new long[] {status};
  }

  private List<HostFunction> proxyFunctions() {
    List<HostFunction> f = new ArrayList<>();
    f.add(
        fn(
            "proxy_log",
            3,
            (inst, a) -> {
              state.logs.add(new HostState.LogLine((int) a[0], readString((int) a[1], (int) a[2])));
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_get_log_level",
            1,
            (inst, a) -> {
              memory().writeI32((int) a[0], 0);
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_get_current_time_nanoseconds",
            1,
            (inst, a) -> {
              memory().writeLong((int) a[0], state.nowNanos);
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_set_tick_period_milliseconds",
            1,
            (inst, a) -> {
              state.tickPeriodMillis = (int) a[0];
              return ret(OK);
            }));
    f.add(fn("proxy_get_buffer_bytes", 5, (inst, a) -> ret(getBuffer(a))));
    f.add(fn("proxy_set_buffer_bytes", 5, (inst, a) -> ret(setBuffer(a))));
    f.add(
        fn(
            "proxy_get_header_map_pairs",
            3,
            (inst, a) -> {
              List<String[]> map = current == null ? null : current.map((int) a[0]);
              if (map == null) {
                return ret(NOT_FOUND);
              }
              return ret(copyOut(pairs(map), (int) a[1], (int) a[2]));
            }));
    f.add(
        fn(
            "proxy_set_header_map_pairs",
            3,
            (inst, a) -> {
              List<String[]> map = current == null ? null : current.map((int) a[0]);
              if (map == null) {
                return ret(NOT_FOUND);
              }
              List<String[]> fresh = parsePairs(memory().readBytes((int) a[1], (int) a[2]));
              map.clear();
              map.addAll(fresh);
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_get_header_map_value",
            5,
            (inst, a) -> {
              List<String[]> map = current == null ? null : current.map((int) a[0]);
              if (map == null) {
                return ret(NOT_FOUND);
              }
              List<String> values = HttpStream.values(map, readString((int) a[1], (int) a[2]));
              if (values.isEmpty()) {
                return ret(NOT_FOUND);
              }
              // Envoy joins repeated headers with commas here.
              return ret(copyOut(utf8(String.join(",", values)), (int) a[3], (int) a[4]));
            }));
    f.add(
        fn(
            "proxy_add_header_map_value",
            5,
            (inst, a) -> {
              List<String[]> map = current == null ? null : current.map((int) a[0]);
              if (map == null) {
                return ret(NOT_FOUND);
              }
              map.add(
                  new String[] {
                    readString((int) a[1], (int) a[2]).toLowerCase(java.util.Locale.ROOT),
                    readString((int) a[3], (int) a[4])
                  });
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_replace_header_map_value",
            5,
            (inst, a) -> {
              List<String[]> map = current == null ? null : current.map((int) a[0]);
              if (map == null) {
                return ret(NOT_FOUND);
              }
              String k = readString((int) a[1], (int) a[2]).toLowerCase(java.util.Locale.ROOT);
              map.removeIf(h -> h[0].equalsIgnoreCase(k));
              map.add(new String[] {k, readString((int) a[3], (int) a[4])});
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_remove_header_map_value",
            3,
            (inst, a) -> {
              List<String[]> map = current == null ? null : current.map((int) a[0]);
              if (map == null) {
                return ret(NOT_FOUND);
              }
              String k = readString((int) a[1], (int) a[2]);
              map.removeIf(h -> h[0].equalsIgnoreCase(k));
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_get_property",
            4,
            (inst, a) -> {
              String[] path = readString((int) a[0], (int) a[1]).split("\0", -1);
              byte[] v = property(path);
              if (v == null) {
                return ret(NOT_FOUND);
              }
              return ret(copyOut(v, (int) a[2], (int) a[3]));
            }));
    f.add(
        fn(
            "proxy_set_property",
            4,
            (inst, a) -> {
              String key = String.join(".", readString((int) a[0], (int) a[1]).split("\0", -1));
              byte[] v = memory().readBytes((int) a[2], (int) a[3]);
              (current != null ? current.properties : state.properties).put(key, v);
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_send_local_response",
            8,
            (inst, a) -> {
              if (current == null) {
                return ret(BAD_ARGUMENT);
              }
              current.localResponse =
                  new HttpStream.LocalResponse(
                      (int) a[0],
                      readString((int) a[1], (int) a[2]),
                      readString((int) a[3], (int) a[4]),
                      parsePairs(memory().readBytes((int) a[5], (int) a[6])));
              property(current, "response.code", (int) a[0]);
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_continue_stream",
            1,
            (inst, a) -> {
              if (current != null) {
                current.continued = true;
              }
              return ret(OK);
            }));
    f.add(fn("proxy_get_shared_data", 5, (inst, a) -> ret(getShared(a))));
    f.add(fn("proxy_set_shared_data", 5, (inst, a) -> ret(setShared(a))));
    f.add(
        fn(
            "proxy_define_metric",
            4,
            (inst, a) -> {
              String name = readString((int) a[1], (int) a[2]);
              HostState.Metric m = state.metricsByName.get(name);
              if (m == null) {
                m = new HostState.Metric((int) a[0], name);
                state.metrics.add(m);
                state.metricsByName.put(name, m);
              }
              memory().writeI32((int) a[3], state.metrics.indexOf(m) + 1);
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_increment_metric",
            List.of(ValType.I32, ValType.I64),
            (inst, a) -> {
              HostState.Metric m = metricById((int) a[0]);
              if (m == null || m.type == 2) {
                return ret(BAD_ARGUMENT);
              }
              m.value += a[1];
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_record_metric",
            List.of(ValType.I32, ValType.I64),
            (inst, a) -> {
              HostState.Metric m = metricById((int) a[0]);
              if (m == null) {
                return ret(BAD_ARGUMENT);
              }
              if (m.type == 2) {
                m.samples.add(a[1]);
              } else {
                m.value = a[1];
              }
              return ret(OK);
            }));
    f.add(
        fn(
            "proxy_get_metric",
            2,
            (inst, a) -> {
              HostState.Metric m = metricById((int) a[0]);
              if (m == null) {
                return ret(NOT_FOUND);
              }
              memory().writeLong((int) a[1], m.value);
              return ret(OK);
            }));
    return f;
  }

  private HostState.Metric metricById(int id) {
    return id >= 1 && id <= state.metrics.size() ? state.metrics.get(id - 1) : null;
  }

  private int getBuffer(long[] a) {
    byte[] buffer;
    switch ((int) a[0]) {
      case 0:
        buffer = current == null ? null : current.requestBody;
        break;
      case 1:
        buffer = current == null ? null : current.responseBody;
        break;
      case 6:
        buffer = utf8(vmConfiguration);
        break;
      case 7:
        buffer = utf8(pluginConfiguration);
        break;
      default:
        buffer = null;
    }
    if (buffer == null) {
      return NOT_FOUND;
    }
    int start = (int) a[1];
    int max = (int) a[2];
    if (start < 0 || start > buffer.length || max < 0) {
      return BAD_ARGUMENT;
    }
    int end = (int) Math.min(buffer.length, (long) start + max);
    return copyOut(java.util.Arrays.copyOfRange(buffer, start, end), (int) a[3], (int) a[4]);
  }

  private int setBuffer(long[] a) {
    if (current == null) {
      return NOT_FOUND;
    }
    int type = (int) a[0];
    byte[] buffer = type == 0 ? current.requestBody : type == 1 ? current.responseBody : null;
    if (buffer == null) {
      return NOT_FOUND;
    }
    int start = (int) a[1];
    int size = (int) a[2];
    if (start < 0 || size < 0 || start + size > buffer.length) {
      return BAD_ARGUMENT;
    }
    byte[] data = memory().readBytes((int) a[3], (int) a[4]);
    byte[] out = new byte[buffer.length - size + data.length];
    System.arraycopy(buffer, 0, out, 0, start);
    System.arraycopy(data, 0, out, start, data.length);
    System.arraycopy(buffer, start + size, out, start + data.length, buffer.length - start - size);
    if (type == 0) {
      current.requestBody = out;
    } else {
      current.responseBody = out;
    }
    return OK;
  }

  private int getShared(long[] a) {
    String key = readString((int) a[0], (int) a[1]);
    byte[] v = state.shared.values.get(key);
    if (v == null) {
      return NOT_FOUND;
    }
    int status = copyOut(v, (int) a[2], (int) a[3]);
    if (status == OK) {
      memory().writeI32((int) a[4], state.shared.cas.get(key));
    }
    return status;
  }

  private int setShared(long[] a) {
    String key = readString((int) a[0], (int) a[1]);
    int cas = (int) a[4];
    Integer existing = state.shared.cas.get(key);
    if (cas != 0 && (existing == null || existing != cas)) {
      return CAS_MISMATCH;
    }
    state.shared.values.put(key, memory().readBytes((int) a[2], (int) a[3]));
    state.shared.cas.put(key, state.shared.nextCas++);
    return OK;
  }
}

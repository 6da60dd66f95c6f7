package dev.ambient.wasm.sdk;

import java.util.HashMap;
import java.util.Map;
import org.teavm.interop.Export;

/**
 * The proxy-wasm ABI 0.2.1 callbacks this module exports. Every export catches {@link Throwable}:
 * an uncaught exception in TeaVM code is an {@code unreachable} trap, which kills the VM and every
 * stream on it. Instead the error is logged and the outcome is defined: stream callbacks apply the
 * root's {@link FailStrategy}, configuration callbacks report failure, the rest do nothing.
 */
final class Exports {
  private static final int CONTINUE = 0;
  private static final int PAUSE = 1;

  private static RootContextFactory factory;
  private static final Map<Integer, RootContext> roots = new HashMap<>();
  private static final Map<Integer, HttpContext> streams = new HashMap<>();
  private static final Map<Integer, RootContext> streamRoots = new HashMap<>();

  private Exports() {}

  static void install(RootContextFactory f) {
    factory = f;
  }

  @Export(name = "proxy_abi_version_0_2_1")
  public static void abiVersion() {}

  @Export(name = "proxy_on_memory_allocate")
  public static int onMemoryAllocate(int size) {
    // Memory.allocate cannot throw for a non-negative size short of running out of memory; the
    // host may not be called from here (Envoy restricts callbacks during malloc).
    return Memory.allocate(size);
  }

  // TeaVM 0.13.1 emits invalid Wasm for some nested or multi-clause try/catch shapes (V8:
  // "not enough arguments on the stack"), so every export has exactly one try with a single
  // catch (Throwable) that only records the failure; handling happens after it.

  @Export(name = "proxy_on_context_create")
  public static void onContextCreate(int contextId, int parentId) {
    Throwable failure = null;
    try {
      createContext(contextId, parentId);
    } catch (Throwable t) {
      failure = t;
    }
    if (failure != null) {
      report("proxy_on_context_create", failure);
    }
  }

  private static void createContext(int contextId, int parentId) {
    if (parentId == 0) {
      if (factory == null) {
        Log.quietly(Log.CRITICAL, "no filter registered: call ProxyWasm.register in _initialize");
        return;
      }
      RootContext root = factory.create(contextId);
      root.attach(contextId);
      roots.put(contextId, root);
      return;
    }
    RootContext root = roots.get(parentId);
    if (root == null) {
      Log.quietly(Log.ERROR, "stream " + contextId + " has unknown root context " + parentId);
      return;
    }
    HttpContext stream =
        root.configured
            ? root.newHttpContext(contextId)
            : new UnconfiguredContext(root.failStrategy);
    stream.attach(contextId);
    streams.put(contextId, stream);
    streamRoots.put(contextId, root);
  }

  @Export(name = "proxy_on_vm_start")
  public static int onVmStart(int rootId, int vmConfigSize) {
    Throwable failure = null;
    try {
      startVm(rootId, vmConfigSize);
    } catch (Throwable t) {
      failure = t;
    }
    if (failure == null) {
      return 1;
    }
    if (failure instanceof ConfigException) {
      Log.quietly(Log.ERROR, "vm start rejected: " + failure.getMessage());
    } else {
      report("proxy_on_vm_start", failure);
    }
    return 0;
  }

  private static void startVm(int rootId, int vmConfigSize) throws ConfigException {
    JsonObject vmConfig = readJsonBuffer(Body.VM_CONFIGURATION, vmConfigSize, "vm configuration");
    vmConfig.requireOnly("gcStress");
    Memory.setGcStress(vmConfig.bool("gcStress", false));
    RootContext root = roots.get(rootId);
    if (root != null) {
      root.onVmStart(vmConfig.without("gcStress"));
    }
  }

  @Export(name = "proxy_on_configure")
  public static int onConfigure(int rootId, int configSize) {
    RootContext root = roots.get(rootId);
    if (root == null) {
      Log.quietly(Log.ERROR, "configure for unknown root context " + rootId);
      return 0;
    }
    Throwable failure = null;
    try {
      configure(root, configSize);
    } catch (Throwable t) {
      failure = t;
    }
    if (failure == null) {
      return 1;
    }
    if (failure instanceof ConfigException) {
      Log.quietly(
          Log.ERROR,
          "plugin configuration rejected, keeping the previous one: " + failure.getMessage());
    } else {
      report("proxy_on_configure", failure);
    }
    return 0;
  }

  private static void configure(RootContext root, int configSize) throws ConfigException {
    JsonObject config =
        readJsonBuffer(Body.PLUGIN_CONFIGURATION, configSize, "plugin configuration");
    FailStrategy strategy = FailStrategy.FAIL_CLOSE;
    String s = config.string("failStrategy");
    if (s != null) {
      strategy = FailStrategy.parse(s, "failStrategy");
    }
    if (!root.configured) {
      // Until a configuration is accepted, the requested strategy is the only instruction.
      root.failStrategy = strategy;
    }
    root.onConfigure(config.without("failStrategy"));
    root.failStrategy = strategy;
    root.configured = true;
  }

  @Export(name = "proxy_on_tick")
  public static void onTick(int rootId) {
    RootContext root = roots.get(rootId);
    if (root == null) {
      return;
    }
    Throwable failure = null;
    try {
      root.onTick();
    } catch (Throwable t) {
      failure = t;
    }
    if (failure != null) {
      report("proxy_on_tick", failure);
    }
  }

  private static final int REQUEST_HEADERS = 0;
  private static final int REQUEST_BODY = 1;
  private static final int RESPONSE_HEADERS = 2;
  private static final int RESPONSE_BODY = 3;
  private static final String[] STREAM_EXPORTS = {
    "proxy_on_request_headers",
    "proxy_on_request_body",
    "proxy_on_response_headers",
    "proxy_on_response_body"
  };

  @Export(name = "proxy_on_request_headers")
  public static int onRequestHeaders(int contextId, int headers, int endOfStream) {
    return streamCallback(REQUEST_HEADERS, contextId, headers, endOfStream != 0);
  }

  @Export(name = "proxy_on_request_body")
  public static int onRequestBody(int contextId, int bodySize, int endOfStream) {
    return streamCallback(REQUEST_BODY, contextId, bodySize, endOfStream != 0);
  }

  @Export(name = "proxy_on_response_headers")
  public static int onResponseHeaders(int contextId, int headers, int endOfStream) {
    return streamCallback(RESPONSE_HEADERS, contextId, headers, endOfStream != 0);
  }

  @Export(name = "proxy_on_response_body")
  public static int onResponseBody(int contextId, int bodySize, int endOfStream) {
    return streamCallback(RESPONSE_BODY, contextId, bodySize, endOfStream != 0);
  }

  private static int streamCallback(int which, int contextId, int size, boolean endOfStream) {
    HttpContext stream = streams.get(contextId);
    if (stream == null) {
      return CONTINUE;
    }
    if (stream.failedClosed) {
      // The SDK's own 503 is on its way out: let it pass untouched, and never resume the request.
      return which >= RESPONSE_HEADERS ? CONTINUE : PAUSE;
    }
    int result = CONTINUE;
    Throwable failure = null;
    try {
      result = dispatch(stream, which, size, endOfStream).code;
    } catch (Throwable t) {
      failure = t;
    }
    if (failure == null) {
      return result;
    }
    return failStream(contextId, stream, STREAM_EXPORTS[which], failure);
  }

  private static Action dispatch(HttpContext stream, int which, int size, boolean endOfStream) {
    switch (which) {
      case REQUEST_HEADERS:
        return stream.onRequestHeaders(size, endOfStream);
      case REQUEST_BODY:
        return stream.onRequestBody(size, endOfStream);
      case RESPONSE_HEADERS:
        return stream.onResponseHeaders(size, endOfStream);
      default:
        return stream.onResponseBody(size, endOfStream);
    }
  }

  @Export(name = "proxy_on_log")
  public static void onLog(int contextId) {
    HttpContext stream = streams.get(contextId);
    if (stream == null) {
      return;
    }
    Throwable failure = null;
    try {
      stream.onLog();
    } catch (Throwable t) {
      failure = t;
    }
    if (failure != null) {
      report("proxy_on_log", failure);
    }
  }

  @Export(name = "proxy_on_done")
  public static int onDone(int contextId) {
    Throwable failure = null;
    try {
      done(contextId);
    } catch (Throwable t) {
      failure = t;
    }
    if (failure != null) {
      report("proxy_on_done", failure);
    }
    return 1;
  }

  private static void done(int contextId) {
    HttpContext stream = streams.get(contextId);
    if (stream != null) {
      stream.onDone();
      return;
    }
    RootContext root = roots.get(contextId);
    if (root != null) {
      root.onDone();
    }
  }

  @Export(name = "proxy_on_delete")
  public static void onDelete(int contextId) {
    // Map removals of boxed keys: nothing here can throw.
    streams.remove(contextId);
    streamRoots.remove(contextId);
    roots.remove(contextId);
  }

  private static JsonObject readJsonBuffer(int bufferType, int size, String what)
      throws ConfigException {
    if (size <= 0) {
      return Json.parse("{}").asObject();
    }
    byte[] data = HostCalls.getBuffer(bufferType, 0, size);
    String text = data == null ? "" : Utf8.decode(data).trim();
    if (text.isEmpty()) {
      return Json.parse("{}").asObject();
    }
    JsonValue v = Json.parse(text);
    if (!v.isObject()) {
      throw new ConfigException(what + ": expected a JSON object, got " + v.kindName());
    }
    return v.asObject();
  }

  private static int failStream(int contextId, HttpContext stream, String where, Throwable t) {
    report(where, t);
    RootContext root = streamRoots.get(contextId);
    FailStrategy strategy = root == null ? FailStrategy.FAIL_CLOSE : root.failStrategy;
    if (strategy == FailStrategy.FAIL_OPEN) {
      return CONTINUE;
    }
    if (!stream.answeredLocally()) {
      stream.sendLocalResponseQuietly(503, "wasm_fail_closed", "wasm filter error");
    }
    return PAUSE;
  }

  private static void report(String where, Throwable t) {
    // TeaVM keeps no class name for some runtime-raised exceptions (array bounds): say so.
    String type = t.getClass().getName();
    Log.quietly(
        Log.ERROR,
        where + ": " + (type == null ? "exception of unnamed type" : type) + ": " + t.getMessage());
  }
}

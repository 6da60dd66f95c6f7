package dev.ambient.wasm.build;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a filter module may import: the proxy-wasm ABI 0.2.1 host functions and the WASI functions
 * Envoy's proxy-wasm-cpp-host has provided in every release since before the 1.36 line. Envoy (V8)
 * refuses to load a module with any other import ("missing import"); TeaVM adds some silently (e.g.
 * {@code teavmMath.*} for {@code Math.sin}), so the build checks the compiled binary.
 */
public final class ImportAllowList {
  public static final Set<String> PROXY_WASM_0_2_1 =
      new HashSet<>(
          Arrays.asList(
              "proxy_log",
              "proxy_get_log_level",
              "proxy_get_status",
              "proxy_set_tick_period_milliseconds",
              "proxy_get_current_time_nanoseconds",
              "proxy_get_buffer_bytes",
              "proxy_set_buffer_bytes",
              "proxy_get_header_map_pairs",
              "proxy_set_header_map_pairs",
              "proxy_get_header_map_value",
              "proxy_add_header_map_value",
              "proxy_replace_header_map_value",
              "proxy_remove_header_map_value",
              "proxy_get_header_map_size",
              "proxy_get_property",
              "proxy_set_property",
              "proxy_send_local_response",
              "proxy_continue_stream",
              "proxy_close_stream",
              "proxy_get_shared_data",
              "proxy_set_shared_data",
              "proxy_register_shared_queue",
              "proxy_resolve_shared_queue",
              "proxy_dequeue_shared_queue",
              "proxy_enqueue_shared_queue",
              "proxy_http_call",
              "proxy_grpc_call",
              "proxy_grpc_stream",
              "proxy_grpc_send",
              "proxy_grpc_cancel",
              "proxy_grpc_close",
              "proxy_define_metric",
              "proxy_increment_metric",
              "proxy_record_metric",
              "proxy_get_metric",
              "proxy_set_effective_context",
              "proxy_done",
              "proxy_call_foreign_function"));

  public static final Set<String> WASI =
      new HashSet<>(
          Arrays.asList(
              "fd_write",
              "fd_read",
              "fd_close",
              "fd_seek",
              "fd_fdstat_get",
              "environ_get",
              "environ_sizes_get",
              "args_get",
              "args_sizes_get",
              "clock_time_get",
              "random_get",
              "proc_exit",
              "sched_yield",
              "poll_oneoff"));

  /** Exports the host needs for our SDK's start sequence. */
  public static final List<String> REQUIRED_EXPORTS =
      Arrays.asList(
          "_initialize",
          "proxy_abi_version_0_2_1",
          "proxy_on_memory_allocate",
          "proxy_on_context_create",
          "proxy_on_vm_start",
          "proxy_on_configure");

  private ImportAllowList() {}

  /** Every problem with the module, one line each; empty when it may be loaded into Envoy. */
  public static List<String> violations(WasmModuleInfo module) {
    List<String> out = new ArrayList<>();
    for (WasmModuleInfo.Import i : module.imports()) {
      boolean ok =
          i.kind.equals("func")
              && (("env".equals(i.module) && PROXY_WASM_0_2_1.contains(i.name))
                  || ("wasi_snapshot_preview1".equals(i.module) && WASI.contains(i.name)));
      if (!ok) {
        out.add("import not provided by Envoy: " + i);
      }
    }
    for (String e : REQUIRED_EXPORTS) {
      if (!module.exportsFunction(e)) {
        out.add("missing export: " + e);
      }
    }
    boolean memory = false;
    for (WasmModuleInfo.Export e : module.exports()) {
      memory |= e.kind.equals("memory") && e.name.equals("memory");
    }
    if (!memory) {
      out.add("missing export: memory");
    }
    return out;
  }
}

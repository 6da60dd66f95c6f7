package dev.ambient.controller.wasm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Hand-made Wasm binaries with just the import and export sections the controller's check reads.
 */
final class TestModules {
  private TestModules() {}

  static final List<String> EXPORTS =
      List.of(
          "_initialize",
          "proxy_abi_version_0_2_1",
          "proxy_on_memory_allocate",
          "proxy_on_context_create",
          "proxy_on_vm_start",
          "proxy_on_configure");

  /** A module Envoy's host would accept, importing {@code env.proxy_log}. */
  static byte[] good() {
    return module(List.of("env.proxy_log"), EXPORTS);
  }

  /** A module importing {@code module.name} entries and exporting these functions and memory. */
  static byte[] module(List<String> imports, List<String> functions) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    ByteArrayOutputStream imp = new ByteArrayOutputStream();
    uleb(imp, imports.size());
    for (String i : imports) {
      int dot = i.indexOf('.');
      name(imp, i.substring(0, dot));
      name(imp, i.substring(dot + 1));
      imp.write(0); // func
      uleb(imp, 0);
    }
    section(out, 2, imp.toByteArray());
    ByteArrayOutputStream exp = new ByteArrayOutputStream();
    uleb(exp, functions.size() + 1);
    for (int i = 0; i < functions.size(); i++) {
      name(exp, functions.get(i));
      exp.write(0);
      uleb(exp, i);
    }
    name(exp, "memory");
    exp.write(2);
    uleb(exp, 0);
    section(out, 7, exp.toByteArray());
    return out.toByteArray();
  }

  private static void section(ByteArrayOutputStream out, int id, byte[] content) {
    out.write(id);
    uleb(out, content.length);
    out.writeBytes(content);
  }

  private static void name(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    uleb(out, b.length);
    out.writeBytes(b);
  }

  private static void uleb(ByteArrayOutputStream out, int v) {
    do {
      int b = v & 0x7f;
      v >>>= 7;
      out.write(v == 0 ? b : b | 0x80);
    } while (v != 0);
  }
}

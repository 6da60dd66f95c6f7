package dev.ambient.wasm.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.wasm.host.ProxyWasmHost;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's import allow-list check, on hand-made modules and on the compiled filters. */
class ImportAllowListTest {

  /** A module with one function type () -> () and the given function imports and exports. */
  static byte[] module(String[][] imports, String... exportedFunctions) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    section(out, 1, new byte[] {1, 0x60, 0, 0});
    ByteArrayOutputStream imp = new ByteArrayOutputStream();
    imp.write(imports.length);
    for (String[] i : imports) {
      name(imp, i[0]);
      name(imp, i[1]);
      imp.write(0);
      imp.write(0);
    }
    section(out, 2, imp.toByteArray());
    if (exportedFunctions.length > 0) {
      // One local function per export, all of type 0 with an empty body.
      ByteArrayOutputStream funcs = new ByteArrayOutputStream();
      funcs.write(exportedFunctions.length);
      for (int i = 0; i < exportedFunctions.length; i++) {
        funcs.write(0);
      }
      section(out, 3, funcs.toByteArray());
      section(out, 5, new byte[] {1, 0, 1});
      ByteArrayOutputStream exp = new ByteArrayOutputStream();
      exp.write(exportedFunctions.length + 1);
      for (int i = 0; i < exportedFunctions.length; i++) {
        name(exp, exportedFunctions[i]);
        exp.write(0);
        exp.write(imports.length + i);
      }
      name(exp, "memory");
      exp.write(2);
      exp.write(0);
      section(out, 7, exp.toByteArray());
      ByteArrayOutputStream code = new ByteArrayOutputStream();
      code.write(exportedFunctions.length);
      for (int i = 0; i < exportedFunctions.length; i++) {
        code.writeBytes(new byte[] {2, 0, 0x0b});
      }
      section(out, 10, code.toByteArray());
    }
    return out.toByteArray();
  }

  private static void section(ByteArrayOutputStream out, int id, byte[] payload) {
    out.write(id);
    int n = payload.length;
    do {
      int b = n & 0x7f;
      n >>>= 7;
      out.write(n == 0 ? b : b | 0x80);
    } while (n != 0);
    out.writeBytes(payload);
  }

  private static void name(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(b.length);
    out.writeBytes(b);
  }

  static final String[] EXPORTS = ImportAllowList.REQUIRED_EXPORTS.toArray(new String[0]);

  @Test
  void acceptsProxyWasmAndEnvoysWasiImports() {
    byte[] wasm =
        module(
            new String[][] {
              {"env", "proxy_log"}, {"wasi_snapshot_preview1", "fd_write"},
            },
            EXPORTS);
    WasmModuleInfo info = WasmModuleInfo.read(wasm);
    assertThat(info.imports())
        .extracting(Object::toString)
        .containsExactly("env.proxy_log (func)", "wasi_snapshot_preview1.fd_write (func)");
    assertThat(ImportAllowList.violations(info)).isEmpty();
  }

  @Test
  void rejectsHiddenTeavmImportsAndUnknownFunctions() {
    byte[] wasm =
        module(
            new String[][] {
              {"teavmMath", "sin"},
              {"env", "proxy_not_in_the_abi"},
              {"wasi_snapshot_preview1", "path_open"},
              {"env", "proxy_log"}
            },
            EXPORTS);
    assertThat(ImportAllowList.violations(WasmModuleInfo.read(wasm)))
        .containsExactly(
            "import not provided by Envoy: teavmMath.sin (func)",
            "import not provided by Envoy: env.proxy_not_in_the_abi (func)",
            "import not provided by Envoy: wasi_snapshot_preview1.path_open (func)");
  }

  @Test
  void reportsMissingExports() {
    byte[] wasm = module(new String[][] {{"env", "proxy_log"}});
    assertThat(ImportAllowList.violations(WasmModuleInfo.read(wasm)))
        .contains("missing export: _initialize", "missing export: memory");
  }

  @Test
  void theBuildCheckFailsOnABadModule(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.wasm");
    Files.write(bad, module(new String[][] {{"teavmMath", "sin"}}, EXPORTS));
    assertThatThrownBy(() -> WasmBuild.check("bad", bad))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bad: module cannot be loaded by Envoy")
        .hasMessageContaining("teavmMath.sin");
    Path garbage = dir.resolve("garbage.wasm");
    Files.write(garbage, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1});
    assertThatThrownBy(() -> WasmBuild.check("garbage", garbage))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("garbage: invalid Wasm");
  }

  @Test
  void truncatedInputIsAPreciseError() {
    assertThatThrownBy(() -> WasmModuleInfo.read(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 2, 9}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("runs past the end");
    assertThatThrownBy(() -> WasmModuleInfo.read("not wasm".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("bad magic");
  }

  @Test
  void everyCompiledFilterPasses() throws Exception {
    for (String filter : new String[] {"authz", "telemetry", "example"}) {
      Path wasm = ProxyWasmHost.wasmDir().resolve(filter + ".wasm");
      WasmModuleInfo info = WasmModuleInfo.read(Files.readAllBytes(wasm));
      assertThat(ImportAllowList.violations(info)).as(filter).isEmpty();
      assertThat(info.imports()).as(filter).allMatch(i -> !i.module.startsWith("teavm"));
    }
  }
}

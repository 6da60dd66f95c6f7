package dev.ambient.controller.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WasmModulesTest {
  @TempDir Path tmp;

  @Test
  void aFileIsVerifiedHashedAndReadOnceWhileUnchanged() throws Exception {
    Path f = Files.write(tmp.resolve("m.wasm"), TestModules.good());
    WasmModules modules = new WasmModules();

    ModuleResolution byUrl = modules.resolve(f.toUri().toString(), null);
    ModuleResolution byPath = modules.resolve(f.toString(), null);

    assertThat(byUrl.isOk()).as("%s", byUrl).isTrue();
    assertThat(byUrl.module().sha256()).isEqualTo(WasmModules.sha256(TestModules.good()));
    assertThat(byPath.module()).isEqualTo(byUrl.module());
    assertThat(modules.fetches()).isEqualTo(1);
    assertThat(modules.resolve(f.toString(), byUrl.module().sha256()).isOk()).isTrue();
    assertThat(modules.fetches()).isEqualTo(1);

    modules.retainOnly(java.util.Set.of());
    assertThat(modules.cached()).isZero();
    assertThat(modules.resolve(f.toString(), null).isOk()).isTrue();
    assertThat(modules.fetches()).as("forgotten, so read again").isEqualTo(2);
  }

  @Test
  void aWrongSha256IsAMismatchNamingTheField() throws Exception {
    Path f = Files.write(tmp.resolve("m.wasm"), TestModules.good());
    ModuleResolution r = new WasmModules().resolve(f.toString(), "0".repeat(64));
    assertThat(r.isOk()).isFalse();
    assertThat(r.reason()).isEqualTo("Sha256Mismatch");
    assertThat(r.message()).startsWith("spec.sha256: ").contains(f.toString());
  }

  @Test
  void importsOutsideEnvoysHostAreRefused() throws Exception {
    Path f =
        Files.write(
            tmp.resolve("math.wasm"),
            TestModules.module(List.of("env.proxy_log", "teavmMath.sin"), TestModules.EXPORTS));
    ModuleResolution r = new WasmModules().resolve(f.toString(), null);
    assertThat(r.reason()).isEqualTo("DisallowedImport");
    assertThat(r.message()).contains("teavmMath.sin");

    Path junk = Files.writeString(tmp.resolve("junk.wasm"), "not wasm");
    assertThat(new WasmModules().resolve(junk.toString(), null).reason())
        .isEqualTo("InvalidModule");
  }

  @Test
  void badUrlsAndOciAreRefusedWithReasons() {
    WasmModules m = new WasmModules();
    assertThat(m.resolve("oci://ghcr.io/x/y:1", null).reason()).isEqualTo("UnsupportedUrl");
    assertThat(m.resolve("relative/x.wasm", null).reason()).isEqualTo("InvalidUrl");
    assertThat(m.resolve(null, null).reason()).isEqualTo("InvalidUrl");
    assertThat(m.resolve("/x.wasm", "abc").reason()).isEqualTo("InvalidSha256");
    assertThat(m.resolve(tmp.resolve("missing.wasm").toString(), null).reason())
        .isEqualTo("FetchFailed");
    assertThat(m.resolve("https://127.0.0.1:1/x.wasm", null).reason()).isEqualTo("Sha256Required");
  }

  @Test
  void httpModulesNeedTheirSha256AndAreFetchedOnce() throws Exception {
    byte[] good = TestModules.good();
    AtomicInteger gets = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/m.wasm",
        ex -> {
          gets.incrementAndGet();
          ex.sendResponseHeaders(200, good.length);
          ex.getResponseBody().write(good);
          ex.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/m.wasm";
      String missing = "http://127.0.0.1:" + server.getAddress().getPort() + "/none.wasm";
      WasmModules m = new WasmModules();
      String sha = WasmModules.sha256(good);

      assertThat(m.resolve(url, sha).isOk()).isTrue();
      assertThat(m.resolve(url, sha.toUpperCase()).isOk()).isTrue();
      assertThat(gets.get()).as("cached by sha256").isEqualTo(1);

      ModuleResolution wrong = m.resolve(url, "1".repeat(64));
      assertThat(wrong.reason()).isEqualTo("Sha256Mismatch");
      m.resolve(url, "1".repeat(64));
      assertThat(gets.get()).as("a failure is remembered for a while").isEqualTo(2);

      assertThat(m.resolve(missing, "2".repeat(64)).reason()).isEqualTo("FetchFailed");
    } finally {
      server.stop(0);
    }
  }
}

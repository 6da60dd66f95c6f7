package dev.ambient.wasm.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.wasm.host.HttpStream;
import dev.ambient.wasm.host.ProxyWasmHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A filter written outside this module, as a user would (`./mesh wasm build --classpath ...`):
 * compiled against the SDK, built into a module with the same checks, run in the host.
 */
class UserFilterBuildTest {
  private static final String SOURCE =
      """
      package com.example;

      import dev.ambient.wasm.sdk.Action;
      import dev.ambient.wasm.sdk.ConfigException;
      import dev.ambient.wasm.sdk.HeaderMap;
      import dev.ambient.wasm.sdk.HttpContext;
      import dev.ambient.wasm.sdk.JsonObject;
      import dev.ambient.wasm.sdk.ProxyWasm;
      import dev.ambient.wasm.sdk.RootContext;
      import org.teavm.interop.Export;

      public final class HelloFilter {
        public static void main(String[] args) {}

        @Export(name = "_initialize")
        public static void initialize() {
          ProxyWasm.register(HelloRoot::new);
        }

        static final class HelloRoot extends RootContext {
          HelloRoot(int id) {}

          @Override
          public void onConfigure(JsonObject configuration) throws ConfigException {
            configuration.requireOnly();
          }

          @Override
          public HttpContext newHttpContext(int contextId) {
            return new HttpContext() {
              @Override
              public Action onResponseHeaders(int headerCount, boolean endOfStream) {
                HeaderMap.RESPONSE_HEADERS.add("x-hello", "from-java");
                return Action.CONTINUE;
              }
            };
          }
        }
      }
      """;

  @Test
  void aUsersFilterBuildsAndRuns(@TempDir Path dir) throws Exception {
    Path src = dir.resolve("src/com/example/HelloFilter.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, SOURCE);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc =
        javac.run(
            null,
            null,
            null,
            "-cp",
            System.getProperty("java.class.path"),
            "-d",
            classes.toString(),
            src.toString());
    assertThat(rc).as("javac").isZero();

    Path out = dir.resolve("out");
    WasmBuild.main(
        new String[] {
          "--classpath", classes.toString(), out.toString(), "hello=com.example.HelloFilter"
        });
    Path wasm = out.resolve("hello.wasm");
    assertThat(wasm).exists();

    ProxyWasmHost host = ProxyWasmHost.load(wasm);
    assertThat(host.start("")).isTrue();
    assertThat(host.configure("{}")).as("configure: %s", host.logs()).isTrue();
    HttpStream s = host.newStream();
    s.requestHeaders().add(new String[] {":method", "GET"});
    assertThat(host.requestHeaders(s, true)).isZero();
    assertThat(host.responseHeaders(s, true)).isZero();
    assertThat(HttpStream.values(s.responseHeaders(), "x-hello")).containsExactly("from-java");
  }

  @Test
  void aMissingClassOrClasspathIsNamed(@TempDir Path dir) {
    assertThatThrownBy(
            () ->
                WasmBuild.main(
                    new String[] {
                      "--classpath", dir.resolve("nope").toString(), dir.toString(), "x=a.B"
                    }))
        .hasMessageContaining("--classpath")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(
            () ->
                WasmBuild.build(
                    dir.toFile(), "x", "com.example.Missing", getClass().getClassLoader()))
        .hasMessageContaining("com.example.Missing is not on the classpath");
    assertThat(List.of(dir.toFile().list())).isEmpty();
  }
}

package dev.ambient.wasm.envoy;

import static dev.ambient.wasm.envoy.EnvoyTests.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures in a real Envoy: a plugin configuration the filter rejects, and exceptions thrown while
 * serving a request (the example filter throws on request headers {@code x-throw}, {@code x-npe},
 * {@code x-oob}).
 */
@Tag("envoy")
class FailureEnvoyTest {
  static final String BAD_AUTHZ =
      "{\"policies\": [{\"name\": \"p\", \"spec\": {\"action\": \"CUSTOM\", \"provider\": {\"name\": \"x\"}}}]}";

  /**
   * Envoy 1.40 treats a plugin whose {@code proxy_on_configure} returns false as a plugin that
   * failed to load: with a static bootstrap it refuses to start (over xDS the listener is
   * rejected), so no request ever passes an unconfigured authz filter. The filter's log names the
   * bad field.
   */
  @Test
  void aRejectedPluginConfigurationStopsEnvoyFromServing(@TempDir Path dir) throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    try (TestHttpBackend backend = new TestHttpBackend()) {
      String bootstrap =
          new EnvoyConfig(backend.port())
              .filter(EnvoyConfig.wasm("authz", EnvoyTests.module("authz"), BAD_AUTHZ))
              .bootstrap();
      EnvoyProcess.Exit exit = EnvoyProcess.runExpectingExit(bin, dir, bootstrap);
      assertThat(exit.code).as(exit.log).isEqualTo(1);
      assertThat(exit.log)
          .contains("plugin configuration rejected")
          .contains("policies[0].spec.action: CUSTOM is not supported")
          .contains("Unable to create Wasm plugin authz");
      assertThat(backend.received()).isEmpty();
    }
  }

  /** The same with Envoy's {@code failure_policy: FAIL_OPEN}: Envoy still refuses the plugin. */
  @Test
  void envoysFailOpenPolicyDoesNotAdmitARejectedConfiguration(@TempDir Path dir) throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    try (TestHttpBackend backend = new TestHttpBackend()) {
      String wasm =
          EnvoyConfig.wasm("authz", EnvoyTests.module("authz"), BAD_AUTHZ)
              .replace(
                  "\"root_id\": \"\",", "\"root_id\": \"\", \"failure_policy\": \"FAIL_OPEN\",");
      assertThat(wasm).contains("FAIL_OPEN");
      EnvoyProcess.Exit exit =
          EnvoyProcess.runExpectingExit(
              bin, dir, new EnvoyConfig(backend.port()).filter(wasm).bootstrap());
      assertThat(exit.code).as(exit.log).isEqualTo(1);
      assertThat(exit.log).contains("Unable to create Wasm plugin authz");
    }
  }

  @Test
  void failCloseAnswers503OnAnExceptionAndTheVmKeepsServing(@TempDir Path dir) throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    try (TestHttpBackend backend = new TestHttpBackend();
        EnvoyProcess envoy =
            EnvoyProcess.start(
                bin,
                dir,
                new EnvoyConfig(backend.port())
                    .filter(
                        EnvoyConfig.wasm(
                            "example",
                            EnvoyTests.module("example"),
                            "{\"failStrategy\": \"FAIL_CLOSE\", \"greeting\": \"hi\"}"))
                    .bootstrap())) {
      int port = envoy.listenerPort(EnvoyConfig.LISTENER);
      for (String trigger : new String[] {"x-throw", "x-npe", "x-oob"}) {
        HttpResponse<String> r = send(port, "GET", "/" + trigger, null, trigger, "1");
        assertThat(r.statusCode()).as(trigger).isEqualTo(503);
        assertThat(r.body()).isEqualTo("wasm filter error");
        assertThat(backend.received()).doesNotContain("GET /" + trigger);
      }
      // The exceptions were caught in the module: the same VM answers the next request.
      HttpResponse<String> ok = send(port, "GET", "/fine", null);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("x-path")).hasValue("/fine");
      assertThat(backend.received()).contains("GET /fine");
      assertThat(envoy.adminGet("/stats").body()).contains("wasm.example.vm_reload: 0");
    }
  }

  @Test
  void failOpenLetsTheRequestThroughOnAnException(@TempDir Path dir) throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    try (TestHttpBackend backend = new TestHttpBackend();
        EnvoyProcess envoy =
            EnvoyProcess.start(
                bin,
                dir,
                new EnvoyConfig(backend.port())
                    .filter(
                        EnvoyConfig.wasm(
                            "example",
                            EnvoyTests.module("example"),
                            "{\"failStrategy\": \"FAIL_OPEN\"}"))
                    .bootstrap())) {
      int port = envoy.listenerPort(EnvoyConfig.LISTENER);
      assertThat(send(port, "GET", "/open", null, "x-throw", "1").statusCode()).isEqualTo(200);
      assertThat(backend.received()).contains("GET /open");
      assertThat(Files.exists(dir.resolve("envoy.log"))).isTrue();
    }
  }
}

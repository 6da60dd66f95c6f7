package dev.ambient.wasm.envoy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;

/** What the Envoy tests share: finding Envoy and the modules, and a plain HTTP/1.1 client. */
final class EnvoyTests {
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private EnvoyTests() {}

  /** The Envoy binary, or the test is skipped with a printed reason. */
  static Path envoyOrSkip() {
    Path envoy = EnvoyBinary.find().orElse(null);
    if (envoy == null) {
      System.out.println(EnvoyBinary.skipReason());
    }
    Assumptions.assumeTrue(envoy != null, EnvoyBinary.skipReason());
    return envoy;
  }

  /** A compiled filter, {@code target/wasm/<name>.wasm}. */
  static Path module(String name) {
    Path p =
        Paths.get(System.getProperty("wasm.dir", "target/wasm"), name + ".wasm").toAbsolutePath();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException(
          "missing " + p + ": build the module first (mvn process-classes)");
    }
    return p;
  }

  /** Sends a request through Envoy's listener; header pairs as name, value, name, value... */
  static HttpResponse<String> send(
      int port, String method, String pathAndQuery, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}

package dev.ambient.controller.wasm;

import dev.ambient.wasm.build.ImportAllowList;
import dev.ambient.wasm.build.WasmModuleInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Fetches plugin modules ({@code file://}, a local path, {@code http(s)://}), verifies them and
 * keeps them by sha256, so a translation pass never fetches a module it already has. A module is
 * verified when its digest matches the plugin's {@code sha256} (required for http(s); computed for
 * files), it is a Wasm binary, and its imports are what Envoy's proxy-wasm host provides ({@link
 * ImportAllowList}): a module that would fail to instantiate in V8 never reaches a waypoint.
 *
 * <p>A failed http(s) fetch is remembered for {@link #RETRY_AFTER}, so a pass does not block on the
 * same unreachable server again and again. A file is re-read only when its size or modification
 * time changed.
 */
public final class WasmModules implements ModuleSource {
  static final Duration RETRY_AFTER = Duration.ofSeconds(30);
  static final int MAX_BYTES = 64 << 20;
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final HttpClient http;
  private final Duration timeout;
  private final Clock clock;
  private final Map<String, WasmModule> bySha = new HashMap<>();
  private final Map<String, FileStamp> files = new HashMap<>();
  private final Map<String, Failure> failures = new HashMap<>();
  private int fetches;

  private record FileStamp(long size, long modified, String sha256) {}

  private record Failure(ModuleResolution resolution, Instant until) {}

  public WasmModules() {
    this(Duration.ofSeconds(10), Clock.systemUTC());
  }

  public WasmModules(Duration timeout, Clock clock) {
    this.timeout = timeout;
    this.clock = clock;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  /** How many times a module's bytes were read or downloaded (tests: the cache works). */
  public synchronized int fetches() {
    return fetches;
  }

  /** Keeps only these modules (and what leads to them), so old versions do not pile up. */
  @Override
  public synchronized void retainOnly(java.util.Set<String> sha256s) {
    bySha.keySet().retainAll(sha256s);
    files.values().removeIf(stamp -> !sha256s.contains(stamp.sha256()));
    failures.entrySet().removeIf(e -> !clock.instant().isBefore(e.getValue().until()));
  }

  /** How many verified modules are cached. */
  public synchronized int cached() {
    return bySha.size();
  }

  @Override
  public synchronized ModuleResolution resolve(String url, String sha256) {
    if (url == null || url.isBlank()) {
      return ModuleResolution.failed("InvalidUrl", "spec.url: required");
    }
    if (sha256 != null) {
      sha256 = sha256.toLowerCase(java.util.Locale.ROOT);
      if (!SHA256.matcher(sha256).matches()) {
        return ModuleResolution.failed(
            "InvalidSha256", "spec.sha256: " + sha256 + " is not 64 hexadecimal digits");
      }
    }
    if (url.startsWith("oci://")) {
      return ModuleResolution.failed(
          "UnsupportedUrl",
          "spec.url: oci:// images are not supported; use file://, a local path or http(s)://");
    }
    if (url.startsWith("http://") || url.startsWith("https://")) {
      return remote(url, sha256);
    }
    Path path;
    if (url.startsWith("file://")) {
      try {
        path = Path.of(new URI(url));
      } catch (URISyntaxException | IllegalArgumentException e) {
        return ModuleResolution.failed(
            "InvalidUrl", "spec.url: " + url + " is not a file URL: " + e.getMessage());
      }
    } else if (url.startsWith("/")) {
      path = Path.of(url);
    } else {
      return ModuleResolution.failed(
          "InvalidUrl",
          "spec.url: "
              + url
              + " is not file://, an absolute local path, http(s):// or oci:// (unsupported)");
    }
    return file(path, sha256);
  }

  private ModuleResolution remote(String url, String sha256) {
    if (sha256 == null) {
      return ModuleResolution.failed(
          "Sha256Required", "spec.sha256: required for an http(s) url (" + url + ")");
    }
    WasmModule known = bySha.get(sha256);
    if (known != null) {
      return ModuleResolution.ok(known);
    }
    String key = url + "@" + sha256;
    Failure failed = failures.get(key);
    if (failed != null && clock.instant().isBefore(failed.until())) {
      return failed.resolution();
    }
    ModuleResolution r;
    try {
      fetches++;
      HttpResponse<InputStream> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        if (response.statusCode() != 200) {
          r =
              ModuleResolution.failed(
                  "FetchFailed", "spec.url: GET " + url + " answered " + response.statusCode());
        } else {
          byte[] bytes = body.readNBytes(MAX_BYTES + 1);
          r = verify(url, bytes, sha256);
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      r = ModuleResolution.failed("FetchFailed", "spec.url: GET " + url + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ModuleResolution.failed("FetchFailed", "spec.url: GET " + url + " interrupted");
    }
    if (!r.isOk()) {
      failures.put(key, new Failure(r, clock.instant().plus(RETRY_AFTER)));
    }
    return r;
  }

  private ModuleResolution file(Path path, String sha256) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return ModuleResolution.failed(
          "FetchFailed", "spec.url: " + path + " does not exist on the controller's filesystem");
    } catch (IOException e) {
      return ModuleResolution.failed("FetchFailed", "spec.url: " + path + ": " + e);
    }
    if (!attrs.isRegularFile()) {
      return ModuleResolution.failed("FetchFailed", "spec.url: " + path + " is not a file");
    }
    String key = path.toAbsolutePath().toString();
    FileStamp stamp = files.get(key);
    long modified = attrs.lastModifiedTime().toMillis();
    if (stamp != null && stamp.size() == attrs.size() && stamp.modified() == modified) {
      WasmModule known = bySha.get(stamp.sha256());
      if (known != null) {
        return matches(path.toString(), known, sha256);
      }
    }
    byte[] bytes;
    try {
      fetches++;
      if (attrs.size() > MAX_BYTES) {
        return ModuleResolution.failed(
            "InvalidModule", "spec.url: " + path + " is larger than " + MAX_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      return ModuleResolution.failed("FetchFailed", "spec.url: " + path + ": " + e);
    }
    ModuleResolution r = verify(path.toString(), bytes, sha256);
    if (r.isOk()) {
      files.put(key, new FileStamp(attrs.size(), modified, r.module().sha256()));
    } else if (r.reason().equals("Sha256Mismatch") || r.reason().equals("InvalidModule")) {
      files.remove(key);
    }
    return r;
  }

  private static ModuleResolution matches(String where, WasmModule module, String sha256) {
    if (sha256 != null && !sha256.equals(module.sha256())) {
      return mismatch(where, sha256, module.sha256());
    }
    return ModuleResolution.ok(module);
  }

  private static ModuleResolution mismatch(String where, String wanted, String actual) {
    return ModuleResolution.failed(
        "Sha256Mismatch",
        "spec.sha256: "
            + wanted
            + " does not match the module at "
            + where
            + " (sha256 "
            + actual
            + ")");
  }

  private ModuleResolution verify(String where, byte[] bytes, String sha256) {
    if (bytes.length > MAX_BYTES) {
      return ModuleResolution.failed(
          "InvalidModule", "spec.url: " + where + " is larger than " + MAX_BYTES + " bytes");
    }
    String actual = sha256(bytes);
    if (sha256 != null && !sha256.equals(actual)) {
      return mismatch(where, sha256, actual);
    }
    WasmModule known = bySha.get(actual);
    if (known != null) {
      return ModuleResolution.ok(known);
    }
    List<String> problems = check(bytes);
    if (!problems.isEmpty()) {
      boolean imports = problems.stream().anyMatch(p -> p.startsWith("import"));
      return ModuleResolution.failed(
          imports ? "DisallowedImport" : "InvalidModule",
          "spec.url: the module at " + where + ": " + String.join("; ", problems));
    }
    WasmModule module = new WasmModule(actual, bytes);
    bySha.put(actual, module);
    return ModuleResolution.ok(module);
  }

  /**
   * Problems that would keep the module from loading in Envoy: not a Wasm binary, an import Envoy's
   * host does not provide, a missing proxy-wasm export. A module built by another SDK may start
   * through {@code _start} instead of TeaVM's {@code _initialize}.
   */
  static List<String> check(byte[] bytes) {
    WasmModuleInfo info;
    try {
      info = WasmModuleInfo.read(bytes);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      return List.of("not a valid Wasm module: " + e.getMessage());
    }
    boolean start = info.exportsFunction("_start");
    return ImportAllowList.violations(info).stream()
        .filter(p -> !(start && p.equals("missing export: _initialize")))
        .toList();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JRE", e);
    }
  }
}

package dev.ambient.controller.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Scrapes a Prometheus text endpoint into series -> value, for before/after comparisons. */
final class PrometheusText {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private PrometheusText() {}

  static Map<String, Double> scrape(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(uri + " answered " + r.statusCode());
    }
    return parse(r.body());
  }

  static Map<String, Double> parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      if (space <= 0) {
        continue;
      }
      try {
        out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      } catch (NumberFormatException ignored) {
        // Not a sample line.
      }
    }
    return out;
  }

  /** Picks one label's value out of a series name such as {@code m{a="x",b="y"}}. */
  static String label(String series, String name) {
    String key = name + "=\"";
    int i = series.indexOf(key);
    if (i < 0) {
      return "";
    }
    int start = i + key.length();
    int end = series.indexOf('"', start);
    return end < 0 ? "" : series.substring(start, end);
  }
}

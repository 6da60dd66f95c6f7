package dev.ambient.wasm.sdk;

import java.util.ArrayList;
import java.util.List;

/**
 * Ordered metric labels. proxy-wasm metrics have only a name, so labels travel inside it in Istio's
 * stat-tag form: {@code tag=.=value;.;} per label, then the metric name, e.g. {@code
 * reporter=.=waypoint;.;response_code=.=200;.;istio_requests_total}. Envoy turns them back into
 * Prometheus labels with one {@code stats_config.stats_tags} rule per tag, leaving {@code
 * istio_requests_total}. Use the bounded regex {@code [.;](tag=\.=(.*?);\.;)}: Istio's {@code
 * (tag=\.=(.*?);\.;)} also matches inside a longer label ending in the same name (a {@code policy}
 * rule took {@code connection_security_policy}'s value in Envoy 1.40).
 *
 * <p>A value containing {@code ;} would end the tag early, so {@code ;} is replaced by {@code _};
 * an empty value becomes {@code unknown}, Istio's placeholder.
 */
public final class Labels {
  private final List<String> names = new ArrayList<>();
  private final List<String> values = new ArrayList<>();

  private Labels() {}

  public static Labels empty() {
    return new Labels();
  }

  public static Labels of(String name, String value) {
    return new Labels().and(name, value);
  }

  public Labels and(String name, String value) {
    names.add(name);
    values.add(value);
    return this;
  }

  public int size() {
    return names.size();
  }

  /** The full stat name carrying these labels. */
  public String encode(String metricName) {
    // Sized up front: growing a builder copies every char again, and this runs per request.
    int size = metricName.length();
    for (int i = 0; i < names.size(); i++) {
      String v = values.get(i);
      size += names.get(i).length() + (v == null || v.isEmpty() ? 7 : v.length()) + 6;
    }
    StringBuilder sb = new StringBuilder(size);
    for (int i = 0; i < names.size(); i++) {
      sb.append(names.get(i)).append("=.=").append(sanitize(values.get(i))).append(";.;");
    }
    return sb.append(metricName).toString();
  }

  static String sanitize(String value) {
    if (value == null || value.isEmpty()) {
      return "unknown";
    }
    return value.indexOf(';') < 0 ? value : value.replace(';', '_');
  }
}

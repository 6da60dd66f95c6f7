package dev.ambient.ztunnel.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter with labels. {@link #child} resolves one label set to its {@link LongAdder} once, so
 * the hot path only adds.
 */
public final class CounterFamily implements Collector {
  private final String name;
  private final String help;
  private final String[] labelNames;
  private final Map<LabelValues, LongAdder> children = new ConcurrentHashMap<>();

  public CounterFamily(String name, String help, String... labelNames) {
    if (!Exposition.validName(name)) {
      throw new IllegalArgumentException("invalid metric name: " + name);
    }
    for (String l : labelNames) {
      if (!Exposition.validName(l) || l.contains(":")) {
        throw new IllegalArgumentException("invalid label name: " + l);
      }
    }
    this.name = name;
    this.help = Objects.requireNonNull(help);
    this.labelNames = labelNames.clone();
  }

  public String name() {
    return name;
  }

  public List<String> labelNames() {
    return List.of(labelNames);
  }

  /** The counter for these label values (in {@link #labelNames} order). */
  public LongAdder child(String... values) {
    if (values.length != labelNames.length) {
      throw new IllegalArgumentException(
          name + " takes " + labelNames.length + " label values, got " + values.length);
    }
    return children.computeIfAbsent(new LabelValues(values.clone()), k -> new LongAdder());
  }

  @Override
  public void writeTo(StringBuilder out) {
    Exposition.header(out, name, help, "counter");
    List<Map.Entry<LabelValues, LongAdder>> entries = new ArrayList<>(children.entrySet());
    // Stable order makes scrapes diffable and tests deterministic.
    entries.sort(Comparator.comparing(e -> String.join("\u0000", e.getKey().values)));
    for (Map.Entry<LabelValues, LongAdder> e : entries) {
      Exposition.sample(
          out, name, labelNames, e.getKey().values, Long.toString(e.getValue().sum()));
    }
  }

  private record LabelValues(String[] values) {
    @Override
    public boolean equals(Object o) {
      return o instanceof LabelValues other && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }
  }
}

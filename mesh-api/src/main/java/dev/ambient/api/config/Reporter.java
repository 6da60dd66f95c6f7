package dev.ambient.api.config;

import java.util.List;

/**
 * Collects the problems of one object of the document (e.g. {@code workloads[1] (default/client)})
 * so that every message names the object and the field.
 */
final class Reporter {
  private final String object;
  private final List<String> sink;

  Reporter(String object, List<String> sink) {
    this.object = object;
    this.sink = sink;
  }

  String object() {
    return object;
  }

  void field(String path, String message) {
    sink.add(object + ": field " + path + ": " + message);
  }

  void object(String message) {
    sink.add(object + ": " + message);
  }

  /** Problems reported so far, to tell whether this object added any. */
  int count() {
    return sink.size();
  }
}

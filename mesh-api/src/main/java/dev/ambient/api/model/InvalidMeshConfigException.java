package dev.ambient.api.model;

import java.util.List;

/** Configuration that cannot be applied; each problem names the object and the field. */
public final class InvalidMeshConfigException extends Exception {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public InvalidMeshConfigException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public InvalidMeshConfigException(String problem) {
    this(List.of(problem));
  }

  public List<String> problems() {
    return problems;
  }
}

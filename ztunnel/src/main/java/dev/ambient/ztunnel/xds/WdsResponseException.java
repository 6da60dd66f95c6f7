package dev.ambient.ztunnel.xds;

import java.util.List;

/** A discovery response that cannot be applied; the message is what the NACK reports. */
public final class WdsResponseException extends Exception {
  private final List<String> problems;

  public WdsResponseException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}

package dev.ambient.wasm.sdk;

/** One header field as the host holds it. Repeated headers are separate instances. */
public final class Header {
  private final String name;
  private final String value;

  public Header(String name, String value) {
    this.name = name;
    this.value = value;
  }

  public String name() {
    return name;
  }

  public String value() {
    return value;
  }

  @Override
  public String toString() {
    return name + ": " + value;
  }
}

package dev.ambient.controller.xds;

import com.google.protobuf.Any;
import java.util.Objects;

/**
 * One resource as the discovery server hands it out: its xDS name, a version that changes exactly
 * when its content does, and its body packed as {@code Any}.
 */
public record WdsResource(String name, String version, Any body) {
  public WdsResource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(body, "body");
  }
}

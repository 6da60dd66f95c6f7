package dev.ambient.controller.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/** One object of the local store, with the kind it was read as. */
public record StoreObject(StoreKind kind, HasMetadata object) {
  public StoreObject {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(object, "object");
  }

  public String name() {
    return object.getMetadata().getName();
  }

  /** The namespace, or null for cluster-scoped kinds. */
  public String namespace() {
    return kind.namespaced() ? object.getMetadata().getNamespace() : null;
  }

  /** Identifies the object within the store: kind, namespace and name. */
  public String key() {
    return kind.kind() + "/" + (namespace() == null ? "" : namespace() + "/") + name();
  }

  /**
   * The object's file in the store. Kubernetes names never contain {@code _}, so the parts cannot
   * run into each other.
   */
  public String fileName() {
    String lower = kind.kind().toLowerCase(java.util.Locale.ROOT);
    return lower + "_" + (namespace() == null ? "" : namespace() + "_") + name() + ".yaml";
  }

  /** As kubectl prints it: {@code pod/client}, {@code httproute.gateway.networking.k8s.io/r}. */
  public String display() {
    return kind.resource() + "/" + name();
  }

  /** For error messages: {@code Pod default/client}. */
  public String describe() {
    return kind.kind() + " " + (namespace() == null ? "" : namespace() + "/") + name();
  }
}

package dev.ambient.controller.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Reads Kubernetes-kind YAML manifests ({@code -f FILE|DIR}, a directory's {@code .yaml}, {@code
 * .yml} and {@code .json} files in name order, not recursive, as kubectl reads them) into store
 * objects. Every problem is collected, each naming the file, the document, the object and the
 * field, so one run shows them all.
 */
public final class ManifestReader {
  /** Kubernetes names: RFC 1123 subdomains (Namespaces and Services: labels, 63 at most). */
  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private final KubernetesSerialization serialization;

  public ManifestReader(KubernetesSerialization serialization) {
    this.serialization = serialization;
  }

  /** What a read found: the objects, and the problems (none when everything was read). */
  public record Result(List<StoreObject> objects, List<String> problems) {
    public Result {
      objects = List.copyOf(objects);
      problems = List.copyOf(problems);
    }
  }

  /** The manifest files of {@code -f path}: the file itself, or a directory's manifests. */
  public static List<Path> files(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      if (!Files.isRegularFile(path)) {
        throw new IOException(path + ": no such file or directory");
      }
      return List.of(path);
    }
    try (Stream<Path> s = Files.list(path)) {
      return s.filter(Files::isRegularFile)
          .filter(
              p -> {
                String n = p.getFileName().toString();
                return !n.startsWith(".")
                    && (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"));
              })
          .sorted()
          .toList();
    }
  }

  public Result read(Path path) throws IOException {
    List<StoreObject> objects = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Path file : files(path)) {
      Result r = parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
      objects.addAll(r.objects());
      problems.addAll(r.problems());
    }
    return new Result(objects, problems);
  }

  /** Parses the documents of one file's text; {@code source} names it in problems. */
  public Result parse(String text, String source) {
    List<StoreObject> objects = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Iterable<Object> docs;
    List<Object> loaded = new ArrayList<>();
    try {
      docs = new Load(LoadSettings.builder().setLabel(source).build()).loadAllFromString(text);
      for (Object doc : docs) {
        loaded.add(doc);
      }
    } catch (RuntimeException e) {
      problems.add(source + ": not valid YAML: " + firstLine(e.getMessage()));
      return new Result(objects, problems);
    }
    for (int i = 0; i < loaded.size(); i++) {
      Object doc = loaded.get(i);
      if (doc == null) {
        continue; // an empty document, as between two "---"
      }
      String where = source + " document " + (i + 1);
      try {
        objects.add(object(doc, where));
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    return new Result(objects, problems);
  }

  private StoreObject object(Object doc, String where) {
    if (!(doc instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(where + ": not a Kubernetes object (a YAML mapping)");
    }
    Object kindValue = map.get("kind");
    Object apiVersion = map.get("apiVersion");
    if (!(kindValue instanceof String kindName) || kindName.isEmpty()) {
      throw new IllegalArgumentException(where + ": kind: required");
    }
    StoreKind kind = StoreKind.of(kindName);
    if (kind == null) {
      throw new IllegalArgumentException(
          where
              + ": kind "
              + kindName
              + " is not supported by the local store (supported: "
              + StoreKind.supported()
              + ")");
    }
    if (!(apiVersion instanceof String version) || !kind.apiVersions().contains(version)) {
      throw new IllegalArgumentException(
          where
              + " ("
              + kindName
              + "): apiVersion: "
              + (apiVersion == null ? "required" : apiVersion + " is not supported")
              + " (expected "
              + String.join(" or ", new java.util.TreeSet<>(kind.apiVersions()))
              + ")");
    }
    Object meta = map.get("metadata");
    Object nameValue = meta instanceof Map<?, ?> m ? m.get("name") : null;
    String label = kindName + (nameValue instanceof String n ? " " + n : "");
    HasMetadata object;
    try {
      object = serialization.convertValue(doc, kind.type());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          where + " (" + label + "): " + firstLine(e.getMessage()), e);
    }
    if (object.getMetadata() == null
        || object.getMetadata().getName() == null
        || object.getMetadata().getName().isEmpty()) {
      throw new IllegalArgumentException(where + " (" + kindName + "): metadata.name: required");
    }
    String name = object.getMetadata().getName();
    boolean labelOnly = kind == StoreKind.NAMESPACE || kind == StoreKind.SERVICE;
    if (labelOnly
        ? !(name.length() <= 63 && LABEL.matcher(name).matches())
        : !(name.length() <= 253 && SUBDOMAIN.matcher(name).matches())) {
      throw new IllegalArgumentException(
          where
              + " ("
              + label
              + "): metadata.name: "
              + name
              + " is not a valid name (lower-case letters, digits"
              + (labelOnly ? " and '-', at most 63" : ", '-' and '.', at most 253")
              + ")");
    }
    String ns = object.getMetadata().getNamespace();
    if (!kind.namespaced()) {
      if (ns != null && !ns.isEmpty()) {
        throw new IllegalArgumentException(
            where + " (" + label + "): metadata.namespace: " + kindName + " is cluster-scoped");
      }
      object.getMetadata().setNamespace(null);
    } else if (ns == null || ns.isEmpty()) {
      object.getMetadata().setNamespace("default");
    } else if (!(ns.length() <= 63 && LABEL.matcher(ns).matches())) {
      throw new IllegalArgumentException(
          where + " (" + label + "): metadata.namespace: " + ns + " is not a valid namespace name");
    }
    return new StoreObject(kind, object);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}

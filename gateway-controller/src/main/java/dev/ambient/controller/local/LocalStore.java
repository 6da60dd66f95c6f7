package dev.ambient.controller.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The local object store: a directory with one YAML file per object ({@link
 * StoreObject#fileName()}), what a cluster's API server is to the cluster mode. Every change takes
 * the store's lock file (so {@code mesh apply} and the controller writing status never interleave),
 * and every file is replaced by an atomic rename, so a reader never sees half an object.
 */
public final class LocalStore {
  static final String LOCK_FILE = ".lock";
  private static final String TMP_PREFIX = ".tmp-";

  private final Path dir;
  private final KubernetesSerialization serialization;
  private final ManifestReader reader;

  public LocalStore(Path dir, KubernetesSerialization serialization) {
    this.dir = dir.toAbsolutePath();
    this.serialization = serialization;
    this.reader = new ManifestReader(serialization);
  }

  public Path dir() {
    return dir;
  }

  public KubernetesSerialization serialization() {
    return serialization;
  }

  /** What a read of the store found. Unreadable files are problems, the rest still counts. */
  public record Snapshot(Map<String, StoreObject> objects, List<String> problems) {
    public Snapshot {
      objects = java.util.Collections.unmodifiableMap(new TreeMap<>(objects));
      problems = List.copyOf(problems);
    }
  }

  /** The outcome of an apply or a delete: kubectl-style lines, or the problems that stopped it. */
  public record Outcome(List<String> lines, List<String> problems) {
    public Outcome {
      lines = List.copyOf(lines);
      problems = List.copyOf(problems);
    }

    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** The store's manifest files, hidden and temporary files left out, in name order. */
  List<Path> files() throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(
              p ->
                  Files.isRegularFile(p)
                      && !p.getFileName().toString().startsWith(".")
                      && p.getFileName().toString().endsWith(".yaml"))
          .sorted()
          .toList();
    }
  }

  /** Reads every object. A file that does not hold exactly its one object is a problem. */
  public Snapshot read() throws IOException {
    Map<String, StoreObject> objects = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (Path file : files()) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (java.nio.file.NoSuchFileException gone) {
        continue; // deleted while listing
      }
      ManifestReader.Result r = reader.parse(text, file.toString());
      problems.addAll(r.problems());
      if (!r.problems().isEmpty()) {
        continue;
      }
      if (r.objects().size() != 1
          || !r.objects().get(0).fileName().equals(file.getFileName().toString())) {
        problems.add(file + ": a store file holds exactly the one object its name names");
        continue;
      }
      StoreObject o = r.objects().get(0);
      objects.put(o.key(), o);
    }
    return new Snapshot(objects, problems);
  }

  /**
   * Validates the objects together with the rest of the store, then writes them all or none. An
   * object that changes nothing is left as it is ("unchanged"); a changed spec bumps {@code
   * metadata.generation}. Status the controller owns (Gateway, HTTPRoute) is kept from the store,
   * never taken from the manifest.
   */
  public Outcome apply(List<StoreObject> incoming, StoreValidator validator) throws IOException {
    Files.createDirectories(dir);
    try (Locked ignored = lock()) {
      Snapshot current = read();
      List<String> problems = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (StoreObject o : incoming) {
        if (!seen.add(o.key())) {
          problems.add(o.describe() + ": defined more than once in the input");
        }
        problems.addAll(StoreValidator.ownProblems(o));
      }
      if (!problems.isEmpty()) {
        return new Outcome(List.of(), problems);
      }
      Map<String, StoreObject> next = new LinkedHashMap<>(current.objects());
      List<String> lines = new ArrayList<>();
      Map<StoreObject, String> writes = new LinkedHashMap<>();
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      for (StoreObject o : incoming) {
        StoreObject old = current.objects().get(o.key());
        StoreObject merged = merge(o, old, now);
        next.put(o.key(), merged);
        if (old == null) {
          lines.add(o.display() + " created");
          writes.put(merged, serialization.asYaml(merged.object()));
        } else if (asTree(old).equals(asTree(merged))) {
          lines.add(o.display() + " unchanged");
        } else {
          lines.add(o.display() + " configured");
          writes.put(merged, serialization.asYaml(merged.object()));
        }
      }
      // Only what this change brings in counts against it: a problem the store already had (a
      // hand-edited file, say) is the controller's to report, not a reason to refuse a fix.
      Set<String> before = new HashSet<>(validator.problems(current.objects().values()));
      for (String p : validator.problems(next.values())) {
        if (!before.contains(p)) {
          problems.add(p);
        }
      }
      if (!problems.isEmpty()) {
        return new Outcome(List.of(), problems);
      }
      writeAll(writes);
      return new Outcome(lines, List.of());
    }
  }

  /** Deletes the named objects; one that is not in the store is reported, the rest deleted. */
  public Outcome delete(List<StoreObject> named) throws IOException {
    if (!Files.isDirectory(dir)) {
      List<String> problems = new ArrayList<>();
      for (StoreObject o : named) {
        problems.add(o.describe() + ": not found");
      }
      return new Outcome(List.of(), problems);
    }
    try (Locked ignored = lock()) {
      List<String> lines = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (StoreObject o : named) {
        if (Files.deleteIfExists(dir.resolve(o.fileName()))) {
          lines.add(o.display() + " deleted");
        } else {
          problems.add(o.describe() + ": not found");
        }
      }
      return new Outcome(lines, problems);
    }
  }

  /**
   * Replaces an object's {@code status} (the controller's write-back), if the object is still the
   * one the status was computed for (same uid) and the status differs.
   *
   * @return whether the file was written
   */
  public boolean writeStatus(StoreObject of, Object status) throws IOException {
    try (Locked ignored = lock()) {
      Path file = dir.resolve(of.fileName());
      if (!Files.exists(file)) {
        return false;
      }
      ManifestReader.Result r =
          reader.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
      if (!r.problems().isEmpty() || r.objects().size() != 1) {
        return false;
      }
      StoreObject stored = r.objects().get(0);
      if (!Objects.equals(
          stored.object().getMetadata().getUid(), of.object().getMetadata().getUid())) {
        return false;
      }
      Map<String, Object> tree = asTree(stored);
      Object statusTree = status == null ? null : serialization.convertValue(status, Map.class);
      if (Objects.equals(tree.get("status"), statusTree)) {
        return false;
      }
      if (statusTree == null) {
        tree.remove("status");
      } else {
        tree.put("status", statusTree);
      }
      HasMetadata updated = serialization.convertValue(tree, stored.kind().type());
      writeAll(Map.of(new StoreObject(stored.kind(), updated), serialization.asYaml(updated)));
      return true;
    }
  }

  private StoreObject merge(StoreObject in, StoreObject old, Instant now) {
    Map<String, Object> tree = asTree(in);
    @SuppressWarnings("unchecked")
    Map<String, Object> meta = (Map<String, Object>) tree.get("metadata");
    // What an API server fills in and a manifest must not set.
    meta.remove("resourceVersion");
    meta.remove("managedFields");
    meta.remove("selfLink");
    meta.remove("deletionTimestamp");
    if (in.kind().controllerOwnsStatus() || in.kind() != StoreKind.POD) {
      tree.remove("status");
    }
    if (old == null) {
      meta.put("uid", UUID.randomUUID().toString());
      meta.put("creationTimestamp", now.toString());
      meta.put("generation", 1);
    } else {
      Map<String, Object> oldTree = asTree(old);
      @SuppressWarnings("unchecked")
      Map<String, Object> oldMeta = (Map<String, Object>) oldTree.get("metadata");
      meta.put("uid", oldMeta.get("uid"));
      meta.put("creationTimestamp", oldMeta.get("creationTimestamp"));
      Object gen = oldMeta.get("generation");
      long generation = gen instanceof Number n ? n.longValue() : 1;
      if (!Objects.equals(specOf(tree), specOf(oldTree))) {
        generation++;
      }
      meta.put("generation", generation);
      if (in.kind().controllerOwnsStatus() && oldTree.get("status") != null) {
        tree.put("status", oldTree.get("status"));
      }
    }
    return new StoreObject(in.kind(), serialization.convertValue(tree, in.kind().type()));
  }

  /** Everything but metadata and status: what a change of bumps the generation. */
  private static Map<String, Object> specOf(Map<String, Object> tree) {
    Map<String, Object> copy = new TreeMap<>(tree);
    copy.remove("metadata");
    copy.remove("status");
    return copy;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> asTree(StoreObject o) {
    return serialization.convertValue(o.object(), LinkedHashMap.class);
  }

  /** Writes every file to a temporary name first, then renames them into place. */
  private void writeAll(Map<StoreObject, String> writes) throws IOException {
    Map<Path, Path> renames = new LinkedHashMap<>();
    try {
      for (Map.Entry<StoreObject, String> w : writes.entrySet()) {
        Path tmp = dir.resolve(TMP_PREFIX + UUID.randomUUID());
        try (FileChannel ch =
            FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ch.write(java.nio.ByteBuffer.wrap(w.getValue().getBytes(StandardCharsets.UTF_8)));
          ch.force(true);
        }
        renames.put(tmp, dir.resolve(w.getKey().fileName()));
      }
      for (var it = renames.entrySet().iterator(); it.hasNext(); ) {
        var r = it.next();
        try {
          Files.move(r.getKey(), r.getValue(), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(r.getKey(), r.getValue(), StandardCopyOption.REPLACE_EXISTING);
        }
        it.remove();
      }
    } finally {
      for (Path tmp : renames.keySet()) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** The store's lock, across processes (a file lock) and within this one. */
  private Locked lock() throws IOException {
    Files.createDirectories(dir);
    FileChannel ch =
        FileChannel.open(
            dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      while (true) {
        try {
          FileLock lock = ch.lock();
          return new Locked(ch, lock);
        } catch (OverlappingFileLockException heldInThisJvm) {
          // Another store object of this JVM (a test's controller and its apply) holds it.
          Thread.sleep(10);
        }
      }
    } catch (InterruptedException e) {
      ch.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for the store lock " + dir.resolve(LOCK_FILE));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private record Locked(FileChannel channel, FileLock lock) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }
}

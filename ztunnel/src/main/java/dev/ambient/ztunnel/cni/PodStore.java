package dev.ambient.ztunnel.cni;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CNI step's record of captured pods: {@code <state-dir>/pods/<uid>.json}, one per pod, mode
 * 0600 in a 0700 directory (it names namespaces that a local user could otherwise misuse). The uid
 * ({@code Kubernetes//Pod/ns/name}) is URL-encoded into the file name. Writes are atomic (temp
 * file, then rename), so a crash never leaves half a record.
 */
public final class PodStore {
  private final Path dir;

  public PodStore(Path stateDir) {
    this.dir = stateDir.resolve("pods");
  }

  public Path dir() {
    return dir;
  }

  public Path file(String uid) {
    return dir.resolve(URLEncoder.encode(uid, StandardCharsets.UTF_8) + ".json");
  }

  public void save(PodRecord record) throws IOException {
    Files.createDirectories(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path tmp =
        Files.createTempFile(
            dir,
            ".pod",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, record.toJson() + "\n", StandardCharsets.UTF_8);
      Files.move(
          tmp,
          file(record.uid()),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public void delete(String uid) throws IOException {
    Files.deleteIfExists(file(uid));
  }

  public Optional<PodRecord> find(String uid) throws IOException {
    Path f = file(uid);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(
        PodRecord.fromJson(Files.readString(f, StandardCharsets.UTF_8), f.toString()));
  }

  /** The record of pod {@code namespace/name}, whatever its uid. */
  public Optional<PodRecord> find(String namespace, String name) throws IOException {
    for (PodRecord r : all()) {
      if (r.namespace().equals(namespace) && r.name().equals(name)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** Every record, in file-name order. A corrupt file is an error naming it. */
  public List<PodRecord> all() throws IOException {
    List<PodRecord> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
      ds.forEach(files::add);
    }
    files.sort(null);
    for (Path f : files) {
      out.add(PodRecord.fromJson(Files.readString(f, StandardCharsets.UTF_8), f.toString()));
    }
    return out;
  }
}

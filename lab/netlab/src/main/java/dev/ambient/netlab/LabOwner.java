package dev.ambient.netlab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who owns a lab prefix: a file {@code /run/netlab/<prefix>} holding the owner JVM's pid and start
 * time, or {@code kept} for a topology left in place on purpose. It lets concurrent test runs pick
 * distinct prefixes and lets a later run remove only the labs of dead owners. /run is a tmpfs, so a
 * reboot clears it together with the namespaces.
 */
final class LabOwner {
  static final String KEPT = "kept";

  private LabOwner() {}

  /** Atomically claims {@code prefix} for this JVM; false if someone already holds it. */
  static boolean claim(String prefix) throws IOException {
    Files.createDirectories(NetLab.RUN_DIR);
    try {
      Files.writeString(
          file(prefix),
          self(),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  static void markKept(String prefix) throws IOException {
    Path tmp = NetLab.RUN_DIR.resolve("." + prefix + ".tmp");
    Files.writeString(tmp, KEPT + "\n", StandardCharsets.UTF_8);
    Files.move(
        tmp, file(prefix), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static void release(String prefix) {
    try {
      Files.deleteIfExists(file(prefix));
    } catch (IOException e) {
      System.err.println(
          "netlab: cannot remove owner file " + file(prefix) + ": " + e.getMessage());
    }
  }

  /** The owner line ("pid 123 start 2026-...", "kept"), if the prefix is claimed. */
  static Optional<String> describe(String prefix) {
    try {
      return Optional.of(Files.readString(file(prefix), StandardCharsets.UTF_8).strip());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("unreadable: " + e.getMessage());
    }
  }

  static List<String> claimedPrefixes() throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(NetLab.RUN_DIR)) {
      return out;
    }
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(NetLab.RUN_DIR)) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        if (!name.startsWith(".")) {
          out.add(name);
        }
      }
    }
    return out;
  }

  /**
   * True when nobody live owns the prefix: no owner file, or its JVM is gone (a pid that now
   * belongs to another process does not count: the start time must match too). Kept labs are never
   * abandoned.
   */
  static boolean isAbandoned(String prefix) {
    Optional<String> owner = describe(prefix);
    if (owner.isEmpty()) {
      return true;
    }
    String[] f = owner.get().split("\\s+");
    if (f.length == 1 && f[0].equals(KEPT)) {
      return false;
    }
    if (f.length != 4 || !f[0].equals("pid") || !f[2].equals("start")) {
      return true;
    }
    long pid;
    try {
      pid = Long.parseLong(f[1]);
    } catch (NumberFormatException e) {
      return true;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return true;
    }
    Optional<Instant> start = handle.get().info().startInstant();
    return start.isPresent() && !start.get().toString().equals(f[3]);
  }

  private static String self() {
    ProcessHandle me = ProcessHandle.current();
    String start = me.info().startInstant().map(Instant::toString).orElse("unknown");
    return "pid " + me.pid() + " start " + start + "\n";
  }

  private static Path file(String prefix) {
    return NetLab.RUN_DIR.resolve(prefix);
  }
}

package dev.ambient.controller.ca;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** File writes for key material: permissions set at creation, then an atomic rename. */
final class SecureFiles {
  static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> GROUP_OR_OTHER =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private SecureFiles() {}

  static boolean posix(Path dir) {
    return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
  }

  /**
   * Writes {@code bytes} to {@code target} through a temporary file created with {@code perms}
   * before any byte is written (no window where a secret sits in a world-readable file), then
   * renamed over the target.
   */
  static void write(Path target, byte[] bytes, Set<PosixFilePermission> perms) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp;
    if (posix(dir)) {
      FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(perms);
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", attr);
      // The umask may have cleared bits we asked for; it never adds any, so this only widens a
      // public file back to 0644.
      Files.setPosixFilePermissions(tmp, perms);
    } else {
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    }
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Creates a directory only its owner can enter, if it does not exist yet. */
  static void createPrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      if (posix(parent == null ? dir : parent)) {
        Files.createDirectory(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectory(dir);
      }
    } catch (FileAlreadyExistsException e) {
      // Raced with another process: fine, it is there now.
    }
  }

  /** Refuses a secret file that group or others may read or write. */
  static void requirePrivate(Path file, String what) throws CaStateException {
    try {
      if (!posix(file)) {
        return;
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      Set<PosixFilePermission> extra = EnumSet.noneOf(PosixFilePermission.class);
      extra.addAll(perms);
      extra.retainAll(GROUP_OR_OTHER);
      if (!extra.isEmpty()) {
        throw new CaStateException(
            what
                + " "
                + file
                + " is accessible by group or others (mode "
                + PosixFilePermissions.toString(perms)
                + "); refusing to use it: run chmod 600 "
                + file);
      }
    } catch (IOException e) {
      throw new CaStateException(what + " " + file + ": cannot read permissions: " + e, e);
    }
  }
}

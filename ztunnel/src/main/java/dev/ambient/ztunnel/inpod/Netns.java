package dev.ambient.ztunnel.inpod;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open network namespace (a file descriptor on {@code /var/run/netns/x} or {@code
 * /proc/<pid>/ns/net}). Holding the fd keeps the namespace alive even if its bind mount goes away,
 * so the sockets opened in it stay usable until {@link #close}.
 *
 * <p>{@code setns(CLONE_NEWNET)} changes only the calling thread's namespace: {@link #run} enters,
 * runs the task (which creates sockets, which then belong to this namespace forever) and always
 * returns to the thread's previous namespace, so event-loop and pool threads are never left inside
 * a pod.
 */
public final class Netns implements AutoCloseable {
  private static final String CURRENT_THREAD_NETNS = "/proc/thread-self/ns/net";

  private final Path path;
  private final int fd;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * 1 for the owner plus one per {@link #run} in progress; the fd is closed when it reaches 0, so a
   * {@link #close} racing a socket creation on an event loop can never let the fd number be reused
   * (say, by another pod's namespace) while a thread is about to {@code setns} with it.
   */
  private final AtomicInteger users = new AtomicInteger(1);

  private Netns(Path path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens the namespace at {@code path}; a missing or non-namespace path fails here. */
  public static Netns open(Path path) throws IOException {
    int fd = openFd(path.toString());
    Netns ns = new Netns(path, fd);
    // A regular file opens fine but setns refuses it: find out now, not at the first socket.
    try {
      ns.run(() -> null);
    } catch (IOException e) {
      ns.close();
      throw new IOException("not a network namespace: " + path + ": " + e.getMessage(), e);
    } catch (Exception e) {
      ns.close();
      throw new IOException("cannot enter " + path, e);
    }
    return ns;
  }

  /** Runs {@code task} on this thread inside the namespace at {@code path}, then returns. */
  public static <T> T runIn(Path path, Callable<T> task) throws Exception {
    try (Netns ns = open(path)) {
      return ns.run(task);
    }
  }

  public Path path() {
    return path;
  }

  /**
   * A second, independently closable handle on the same namespace (through {@code /proc/self/fd}),
   * which works even after the original path is gone.
   */
  public Netns duplicate() throws IOException {
    if (!acquire()) {
      throw new IOException("netns " + path + " is closed");
    }
    try {
      return new Netns(path, openFd("/proc/self/fd/" + fd));
    } finally {
      release();
    }
  }

  /**
   * Runs {@code task} on the current thread inside this namespace, and switches the thread back to
   * the namespace it was in before, whatever the task did.
   */
  public <T> T run(Callable<T> task) throws Exception {
    if (!acquire()) {
      throw new IOException("netns " + path + " is closed");
    }
    try {
      return enterAndRun(task);
    } finally {
      release();
    }
  }

  private <T> T enterAndRun(Callable<T> task) throws Exception {
    int original = openFd(CURRENT_THREAD_NETNS);
    try {
      setns(fd, path.toString());
      try {
        return task.call();
      } finally {
        try {
          setns(original, CURRENT_THREAD_NETNS);
        } catch (IOException e) {
          // The thread would keep running inside a pod: nothing it does afterwards is trustworthy.
          throw new IllegalStateException(
              "cannot return thread " + Thread.currentThread().getName() + " to its netns", e);
        }
      }
    } finally {
      closeFd(original);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      release();
    }
  }

  private boolean acquire() {
    while (true) {
      int n = users.get();
      if (n <= 0 || closed.get()) {
        return false;
      }
      if (users.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  private void release() {
    if (users.decrementAndGet() == 0) {
      closeFd(fd);
    }
  }

  private static int openFd(String path) throws IOException {
    try {
      return LibC.INSTANCE.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
    } catch (LastErrorException e) {
      throw NativeErrors.of("open(" + path + ")", e);
    }
  }

  private static void setns(int fd, String what) throws IOException {
    try {
      LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET);
    } catch (LastErrorException e) {
      throw NativeErrors.of("setns(" + what + ", CLONE_NEWNET)", e);
    }
  }

  private static void closeFd(int fd) {
    try {
      LibC.INSTANCE.close(fd);
    } catch (LastErrorException e) {
      // Nothing to recover: the fd is gone either way (close never retries on Linux).
    }
  }
}

package dev.ambient.lab;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A lab cluster for one test class: skipped with the reason printed where the lab cannot run, else
 * torn down (leftovers of an aborted run), brought up, and torn down again after the class. Test
 * methods and lifecycle methods get the {@link LabCluster} as a parameter.
 *
 * <pre>
 * {@code @ExtendWith(LabClusterExtension.class) class MyLabTest { @Test void t(LabCluster lab) {} }}
 * </pre>
 */
public final class LabClusterExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(LabClusterExtension.class);
  static final String LOCK_FILE = "/run/ambient-lab.lock";

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    var reason = LabCluster.unavailableReason();
    reason.ifPresent(System.out::println);
    Assumptions.assumeTrue(reason.isEmpty(), reason.orElse(""));
    FileChannel lockFile =
        FileChannel.open(Path.of(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    System.out.println("waiting for the lab lock " + LOCK_FILE);
    FileLock lock = lockFile.lock();
    context.getStore(NS).put(FileLock.class, lock);
    LabCluster lab = new LabCluster(LabCluster.findRepo());
    lab.mesh(Duration.ofMinutes(2), "down");
    context.getStore(NS).put(LabCluster.class, lab); // afterAll tears down even a failed up
    // The first run on a machine builds Kubernetes and the rest from the Go module proxy.
    lab.mesh(Duration.ofMinutes(60), "up").orThrow("mesh lab up");
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    LabCluster lab = context.getStore(NS).remove(LabCluster.class, LabCluster.class);
    FileLock lock = context.getStore(NS).remove(FileLock.class, FileLock.class);
    try {
      if (lab != null) {
        lab.mesh(Duration.ofMinutes(2), "down").orThrow("mesh lab down");
      }
    } finally {
      if (lock != null) {
        lock.channel().close(); // releases the lock
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LabCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(NS).get(LabCluster.class, LabCluster.class);
  }
}

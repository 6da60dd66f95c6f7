package dev.ambient.ztunnel.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out distinct loopback addresses (127.a.b.c, all bindable without root) so tests in this JVM
 * and in other JVMs on the machine do not collide on fixed ports such as 15008.
 */
public final class TestAddresses {
  private static final int SECOND = 64 + ThreadLocalRandom.current().nextInt(160);
  private static final AtomicInteger NEXT =
      new AtomicInteger(256 + ThreadLocalRandom.current().nextInt(4096));

  private TestAddresses() {}

  public static InetAddress next() {
    int n = NEXT.getAndIncrement();
    int third = (n / 250) % 256;
    int fourth = 2 + n % 250;
    try {
      return InetAddress.getByAddress(new byte[] {127, (byte) SECOND, (byte) third, (byte) fourth});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}

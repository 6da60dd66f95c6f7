package dev.ambient.wasm.sdk;

import org.teavm.interop.Address;

/**
 * Linear-memory marshalling that survives TeaVM's moving garbage collector.
 *
 * <p>The danger: the host writes results (a pointer and a size) into guest memory and asks the
 * guest for a buffer through {@code proxy_on_memory_allocate} <em>during</em> a host call. If that
 * allocation ran the collector, every array whose address the guest had passed to the host could
 * move, and the host would then write into freed memory. So this class makes a host call an
 * allocation-free window:
 *
 * <ul>
 *   <li>{@link #open()} returns the address of a static arena whose first {@link #SLOT_BYTES} bytes
 *       are the result slots; the caller passes it straight into the host call, with no allocation
 *       in between (addresses of input arrays are taken in the argument list).
 *   <li>While the window is open, {@link #allocate(int)} carves the host's buffers out of the same
 *       arena and never allocates a Java object. If the arena is too small it answers 0, the host
 *       reports InvalidMemoryAccess, and the caller grows the arena and repeats the (read-only)
 *       call.
 *   <li>After the call, results are read by offset into the arena object, never by the raw pointer,
 *       so a collection while copying them out is harmless.
 * </ul>
 *
 * <p>In GC-stress mode (VM configuration {@code {"gcStress": true}}) every window starts with a
 * full collection, which moves objects as often as possible and exposes any pointer kept across an
 * allocation.
 */
final class Memory {
  static final int SLOT_BYTES = 16;
  private static final int DEFAULT_ARENA = 16 * 1024;
  // Arenas grown for one large body or header block are dropped afterwards: memory stays bounded.
  private static final int KEEP_LIMIT = 256 * 1024;

  private static byte[] arena = new byte[DEFAULT_ARENA];
  private static boolean window;
  private static int bump;
  private static int refused;
  private static byte[] stray;
  private static boolean gcStress;

  private Memory() {}

  static void setGcStress(boolean enabled) {
    gcStress = enabled;
  }

  static boolean gcStress() {
    return gcStress;
  }

  /** Before a host call that only reads guest memory: in stress mode, move everything first. */
  static void beforeCall() {
    if (gcStress) {
      System.gc();
    }
  }

  /**
   * Opens an allocation-free window and returns the address of the result slots. Nothing may be
   * allocated between this call and the host call that uses the address.
   */
  static int open() {
    if (gcStress) {
      System.gc();
    }
    byte[] a = arena;
    for (int i = 0; i < SLOT_BYTES; i++) {
      a[i] = 0;
    }
    window = true;
    bump = SLOT_BYTES;
    refused = 0;
    return Address.ofData(a).toInt();
  }

  /**
   * Closes the window after the host call. Returns true when the host call failed only because the
   * arena was too small; the arena has then been grown and the caller should repeat the call.
   */
  static boolean closeAndGrowIfRefused() {
    window = false;
    if (refused == 0) {
      return false;
    }
    int needed = refused + 64;
    refused = 0;
    int size = arena.length * 2;
    while (size < needed) {
      size *= 2;
    }
    arena = new byte[size];
    return true;
  }

  static int slotInt(int slot) {
    byte[] a = arena;
    int o = slot * 4;
    return (a[o] & 0xff)
        | (a[o + 1] & 0xff) << 8
        | (a[o + 2] & 0xff) << 16
        | (a[o + 3] & 0xff) << 24;
  }

  static long slotLong(int slot) {
    return (slotInt(slot) & 0xffffffffL) | ((long) slotInt(slot + 1)) << 32;
  }

  /**
   * Copies {@code size} bytes the host placed at {@code ptr} (returned in a slot) out of memory.
   */
  static byte[] copyOut(int ptr, int size) {
    if (size <= 0) {
      return new byte[0];
    }
    // Resolve the pointer to an object and an offset before allocating anything.
    byte[] source = arena;
    int offset = ptr - Address.ofData(source).toInt();
    if (offset < SLOT_BYTES || offset + size > source.length || offset + size < 0) {
      byte[] s = stray;
      if (s == null || ptr != Address.ofData(s).toInt() || size > s.length) {
        throw new IllegalStateException("host returned a buffer outside guest allocations");
      }
      source = s;
      offset = 0;
      stray = null;
    }
    byte[] out = new byte[size];
    System.arraycopy(source, offset, out, 0, size);
    if (arena.length > KEEP_LIMIT) {
      arena = new byte[DEFAULT_ARENA];
    }
    return out;
  }

  /** The body of the exported {@code proxy_on_memory_allocate}. Must not call the host. */
  static int allocate(int size) {
    if (size < 0) {
      return 0;
    }
    if (window) {
      int at = (bump + 7) & ~7;
      if (at + size <= arena.length && at + size >= 0) {
        bump = at + size;
        return Address.ofData(arena).toInt() + at;
      }
      refused = at + size;
      return 0;
    }
    // Outside a window (not done by Envoy): keep the buffer reachable until it is copied out.
    byte[] b = new byte[size == 0 ? 1 : size];
    stray = b;
    return Address.ofData(b).toInt();
  }

  /** The current address of an input array, for the argument list of a host call. */
  static int addressOf(byte[] data) {
    return Address.ofData(data).toInt();
  }
}

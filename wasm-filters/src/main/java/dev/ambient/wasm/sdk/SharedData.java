package dev.ambient.wasm.sdk;

/**
 * The host's key-value store shared by every VM of the same {@code vm_id} on a proxy, with
 * compare-and-swap tokens. Values are bytes; use {@link Utf8} for text.
 */
public final class SharedData {
  private SharedData() {}

  /** A value and the CAS token to pass to {@link #set(String, byte[], int)} to update it. */
  public static final class Entry {
    private final byte[] value;
    private final int cas;

    Entry(byte[] value, int cas) {
      this.value = value;
      this.cas = cas;
    }

    public byte[] value() {
      return value;
    }

    public int cas() {
      return cas;
    }
  }

  /** The entry, or null when the key has never been set. */
  public static Entry get(String key) {
    return HostCalls.getSharedData(Utf8.encode(key));
  }

  /**
   * Stores {@code value}. With {@code cas} 0 the write is unconditional; otherwise it succeeds only
   * if the entry still has that token. Returns false on a CAS mismatch.
   */
  public static boolean set(String key, byte[] value, int cas) {
    return HostCalls.setSharedData(Utf8.encode(key), value, cas);
  }
}

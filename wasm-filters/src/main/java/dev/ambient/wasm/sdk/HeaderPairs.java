package dev.ambient.wasm.sdk;

import java.util.ArrayList;
import java.util.List;

/**
 * The ABI's header map serialization: a little-endian u32 count, then a (u32 name length, u32 value
 * length) pair per field, then each name and value followed by a NUL byte.
 */
public final class HeaderPairs {
  private HeaderPairs() {}

  public static byte[] encode(List<Header> headers) {
    int n = headers.size();
    byte[][] names = new byte[n][];
    byte[][] values = new byte[n][];
    int size = 4 + 8 * n;
    for (int i = 0; i < n; i++) {
      names[i] = Utf8.encode(headers.get(i).name());
      values[i] = Utf8.encode(headers.get(i).value());
      size += names[i].length + values[i].length + 2;
    }
    byte[] out = new byte[size];
    putInt(out, 0, n);
    int o = 4;
    for (int i = 0; i < n; i++) {
      putInt(out, o, names[i].length);
      putInt(out, o + 4, values[i].length);
      o += 8;
    }
    for (int i = 0; i < n; i++) {
      System.arraycopy(names[i], 0, out, o, names[i].length);
      o += names[i].length + 1;
      System.arraycopy(values[i], 0, out, o, values[i].length);
      o += values[i].length + 1;
    }
    return out;
  }

  /** Decodes the host's serialization; a truncated or inconsistent block is rejected. */
  public static List<Header> decode(byte[] data) {
    List<Header> out = new ArrayList<>();
    if (data == null || data.length == 0) {
      return out;
    }
    if (data.length < 4) {
      throw new IllegalArgumentException("header map: " + data.length + " bytes, no count");
    }
    int n = getInt(data, 0);
    if (n < 0 || (long) n * 8 + 4 > data.length) {
      throw new IllegalArgumentException("header map: count " + n + " exceeds the data");
    }
    int o = 4 + 8 * n;
    for (int i = 0; i < n; i++) {
      int nameLen = getInt(data, 4 + 8 * i);
      int valueLen = getInt(data, 8 + 8 * i);
      if (nameLen < 0 || valueLen < 0 || (long) o + nameLen + valueLen + 2 > data.length) {
        throw new IllegalArgumentException("header map: field " + i + " exceeds the data");
      }
      String name = Utf8.decode(data, o, nameLen);
      o += nameLen + 1;
      String value = Utf8.decode(data, o, valueLen);
      o += valueLen + 1;
      out.add(new Header(name, value));
    }
    return out;
  }

  static void putInt(byte[] b, int o, int v) {
    b[o] = (byte) v;
    b[o + 1] = (byte) (v >>> 8);
    b[o + 2] = (byte) (v >>> 16);
    b[o + 3] = (byte) (v >>> 24);
  }

  static int getInt(byte[] b, int o) {
    return (b[o] & 0xff)
        | (b[o + 1] & 0xff) << 8
        | (b[o + 2] & 0xff) << 16
        | (b[o + 3] & 0xff) << 24;
  }
}

package dev.ambient.wasm.sdk;

/**
 * UTF-8 without the JDK charset machinery (keeps the TeaVM output small and free of surprises).
 * Malformed input decodes to U+FFFD rather than failing: header bytes come from the network.
 */
public final class Utf8 {
  private Utf8() {}

  public static byte[] encode(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    byte[] out = new byte[n];
    int o = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out[o++] = (byte) c;
      } else if (c < 0x800) {
        out[o++] = (byte) (0xc0 | c >> 6);
        out[o++] = (byte) (0x80 | (c & 0x3f));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        out[o++] = (byte) (0xf0 | cp >> 18);
        out[o++] = (byte) (0x80 | (cp >> 12 & 0x3f));
        out[o++] = (byte) (0x80 | (cp >> 6 & 0x3f));
        out[o++] = (byte) (0x80 | (cp & 0x3f));
      } else {
        out[o++] = (byte) (0xe0 | c >> 12);
        out[o++] = (byte) (0x80 | (c >> 6 & 0x3f));
        out[o++] = (byte) (0x80 | (c & 0x3f));
      }
    }
    return out;
  }

  public static String decode(byte[] b) {
    return decode(b, 0, b.length);
  }

  public static String decode(byte[] b, int from, int length) {
    StringBuilder sb = new StringBuilder(length);
    int i = from;
    int end = from + length;
    while (i < end) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        sb.append((char) c);
        i++;
        continue;
      }
      int need;
      int cp;
      if (c >= 0xc2 && c < 0xe0) {
        need = 1;
        cp = c & 0x1f;
      } else if (c >= 0xe0 && c < 0xf0) {
        need = 2;
        cp = c & 0x0f;
      } else if (c >= 0xf0 && c < 0xf5) {
        need = 3;
        cp = c & 0x07;
      } else {
        sb.append('\uFFFD');
        i++;
        continue;
      }
      if (i + need >= end) {
        sb.append('\uFFFD');
        i++;
        continue;
      }
      boolean ok = true;
      for (int k = 1; k <= need; k++) {
        int cc = b[i + k] & 0xff;
        if ((cc & 0xc0) != 0x80) {
          ok = false;
          break;
        }
        cp = cp << 6 | (cc & 0x3f);
      }
      if (!ok
          || (need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
          || (need == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
        sb.append('\uFFFD');
        i++;
        continue;
      }
      sb.appendCodePoint(cp);
      i += need + 1;
    }
    return sb.toString();
  }
}

package dev.ambient.wasm.build;

import java.util.ArrayList;
import java.util.List;

/**
 * The import and export sections of a Wasm binary, read directly from the binary format (spec
 * §5.5): magic, version, then sections of (id byte, u32 LEB128 size, payload). Only sections 2
 * (imports) and 7 (exports) are decoded; the others are skipped by size. Malformed input is an
 * {@link IllegalArgumentException} naming the byte offset.
 */
public final class WasmModuleInfo {
  /** One import: module, field name and kind (func, table, memory, global, tag). */
  public static final class Import {
    public final String module;
    public final String name;
    public final String kind;

    Import(String module, String name, String kind) {
      this.module = module;
      this.name = name;
      this.kind = kind;
    }

    @Override
    public String toString() {
      return module + "." + name + " (" + kind + ")";
    }
  }

  /** One export: name and kind. */
  public static final class Export {
    public final String name;
    public final String kind;

    Export(String name, String kind) {
      this.name = name;
      this.kind = kind;
    }

    @Override
    public String toString() {
      return name + " (" + kind + ")";
    }
  }

  private final List<Import> imports;
  private final List<Export> exports;

  private WasmModuleInfo(List<Import> imports, List<Export> exports) {
    this.imports = imports;
    this.exports = exports;
  }

  public List<Import> imports() {
    return imports;
  }

  public List<Export> exports() {
    return exports;
  }

  public boolean exportsFunction(String name) {
    for (Export e : exports) {
      if (e.name.equals(name) && e.kind.equals("func")) {
        return true;
      }
    }
    return false;
  }

  public static WasmModuleInfo read(byte[] wasm) {
    Reader r = new Reader(wasm);
    if (wasm.length < 8 || r.u8() != 0x00 || r.u8() != 0x61 || r.u8() != 0x73 || r.u8() != 0x6d) {
      throw new IllegalArgumentException("not a Wasm binary (bad magic)");
    }
    int version = r.u8() | r.u8() << 8 | r.u8() << 16 | r.u8() << 24;
    if (version != 1) {
      throw new IllegalArgumentException("unsupported Wasm binary version " + version);
    }
    List<Import> imports = new ArrayList<>();
    List<Export> exports = new ArrayList<>();
    while (r.pos < wasm.length) {
      int id = r.u8();
      long size = r.u32();
      int end = r.pos + (int) size;
      if (size > wasm.length || end > wasm.length || end < r.pos) {
        throw new IllegalArgumentException(
            "section " + id + " at offset " + r.pos + " runs past the end of the module");
      }
      if (id == 2) {
        long n = r.u32();
        for (long i = 0; i < n; i++) {
          String module = r.name();
          String name = r.name();
          int kind = r.u8();
          switch (kind) {
            case 0:
              r.u32();
              imports.add(new Import(module, name, "func"));
              break;
            case 1:
              r.u8();
              r.limits();
              imports.add(new Import(module, name, "table"));
              break;
            case 2:
              r.limits();
              imports.add(new Import(module, name, "memory"));
              break;
            case 3:
              r.u8();
              r.u8();
              imports.add(new Import(module, name, "global"));
              break;
            case 4:
              r.u8();
              r.u32();
              imports.add(new Import(module, name, "tag"));
              break;
            default:
              throw new IllegalArgumentException(
                  "import " + module + "." + name + ": unknown kind " + kind);
          }
        }
      } else if (id == 7) {
        long n = r.u32();
        for (long i = 0; i < n; i++) {
          String name = r.name();
          int kind = r.u8();
          r.u32();
          exports.add(new Export(name, kindName(kind)));
        }
      }
      if (id == 2 || id == 7) {
        if (r.pos != end) {
          throw new IllegalArgumentException("section " + id + " size does not match its content");
        }
      }
      r.pos = end;
    }
    return new WasmModuleInfo(imports, exports);
  }

  private static String kindName(int kind) {
    switch (kind) {
      case 0:
        return "func";
      case 1:
        return "table";
      case 2:
        return "memory";
      case 3:
        return "global";
      case 4:
        return "tag";
      default:
        return "kind " + kind;
    }
  }

  private static final class Reader {
    private final byte[] b;
    private int pos;

    Reader(byte[] b) {
      this.b = b;
    }

    int u8() {
      if (pos >= b.length) {
        throw new IllegalArgumentException("unexpected end of module at offset " + pos);
      }
      return b[pos++] & 0xff;
    }

    long u32() {
      long result = 0;
      int shift = 0;
      while (true) {
        int v = u8();
        result |= (long) (v & 0x7f) << shift;
        if ((v & 0x80) == 0) {
          break;
        }
        shift += 7;
        if (shift > 28) {
          throw new IllegalArgumentException("LEB128 u32 too long at offset " + pos);
        }
      }
      if (result > 0xffffffffL) {
        throw new IllegalArgumentException("LEB128 value exceeds u32 at offset " + pos);
      }
      return result;
    }

    void limits() {
      int flags = u8();
      u32();
      if ((flags & 1) != 0) {
        u32();
      }
    }

    String name() {
      long len = u32();
      if (len > b.length - pos) {
        throw new IllegalArgumentException("name runs past the end of the module at " + pos);
      }
      String s = new String(b, pos, (int) len, java.nio.charset.StandardCharsets.UTF_8);
      pos += (int) len;
      return s;
    }
  }
}

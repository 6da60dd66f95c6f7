package dev.ambient.controller.cni;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What install-cni puts on the node: the plugin (a launcher in the CNI bin directory) and its entry
 * in the node's CNI configuration, chained after the main plugin of the first {@code .conflist}
 * (the one the runtime uses). A node whose main plugin writes no conflist (the lab, whose agent is
 * its own main plugin) gets a list of its own, {@value #OWN_LIST}. Every write is atomic (temp
 * file, rename), so the runtime never reads half a file.
 */
public final class CniInstaller {
  public static final String PLUGIN_TYPE = "ambient-cni";
  public static final String OWN_LIST = "10-ambient.conflist";

  private final Path confDir;
  private final Path binDir;
  private final JsonObject pluginConf;

  /**
   * @param pluginConf this plugin's entry (its {@code type} is {@value #PLUGIN_TYPE})
   */
  public CniInstaller(Path confDir, Path binDir, JsonObject pluginConf) {
    this.confDir = Objects.requireNonNull(confDir, "confDir");
    this.binDir = Objects.requireNonNull(binDir, "binDir");
    this.pluginConf = pluginConf.deepCopy();
    this.pluginConf.addProperty("type", PLUGIN_TYPE);
  }

  public Path pluginPath() {
    return binDir.resolve(PLUGIN_TYPE);
  }

  /** Writes the launcher that runs {@code command} with the runtime's stdin and environment. */
  public void installPlugin(List<String> command) throws IOException {
    StringBuilder script =
        new StringBuilder("#!/bin/sh\n# Installed by the ambient CNI agent.\nexec");
    for (String part : command) {
      script.append(" '").append(part.replace("'", "'\\''")).append('\'');
    }
    script.append('\n');
    Files.createDirectories(binDir);
    writeAtomically(pluginPath(), script.toString(), "rwxr-xr-x");
  }

  /**
   * Makes sure the node's configuration chains this plugin last, exactly once, with the current
   * settings; level-triggered (call it again whenever the directory may have changed).
   *
   * @return the conflist that holds the entry
   */
  public Path ensureChained() throws IOException {
    Files.createDirectories(confDir);
    Path main = firstConflist();
    JsonObject list;
    if (main == null) {
      main = confDir.resolve(OWN_LIST);
      list = new JsonObject();
      list.addProperty("cniVersion", "1.0.0");
      list.addProperty("name", "ambient");
      list.add("plugins", new JsonArray());
    } else {
      list = read(main);
    }
    JsonArray plugins = plugins(list, main);
    JsonArray next = withoutOurs(plugins);
    next.add(pluginConf.deepCopy());
    if (!next.equals(plugins)) {
      list.add("plugins", next);
      writeAtomically(main, pretty(list), "rw-r--r--");
    }
    return main;
  }

  /** Takes this plugin out of every conflist, and deletes the list it made; then the launcher. */
  public void uninstall() throws IOException {
    if (Files.isDirectory(confDir)) {
      for (Path f : conflists()) {
        JsonObject list;
        try {
          list = read(f);
        } catch (IOException e) {
          continue; // not ours to fix
        }
        JsonArray plugins = plugins(list, f);
        JsonArray rest = withoutOurs(plugins);
        if (rest.size() == plugins.size()) {
          continue;
        }
        if (rest.isEmpty() && f.getFileName().toString().equals(OWN_LIST)) {
          Files.deleteIfExists(f);
        } else {
          list.add("plugins", rest);
          writeAtomically(f, pretty(list), "rw-r--r--");
        }
      }
    }
    Files.deleteIfExists(pluginPath());
  }

  /** The conflist the runtime uses: the first by name, as the CNI libraries pick it. */
  private Path firstConflist() throws IOException {
    List<Path> all = conflists();
    return all.isEmpty() ? null : all.get(0);
  }

  private List<Path> conflists() throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(confDir, "*.conflist")) {
      files.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  private static JsonObject read(Path f) throws IOException {
    try {
      JsonElement e = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new IOException("CNI config " + f + ": not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IOException("CNI config " + f + ": not JSON: " + e.getMessage(), e);
    }
  }

  private static JsonArray plugins(JsonObject list, Path f) throws IOException {
    JsonElement p = list.get("plugins");
    if (p == null) {
      return new JsonArray();
    }
    if (!p.isJsonArray()) {
      throw new IOException("CNI config " + f + ": field plugins: not a list");
    }
    return p.getAsJsonArray();
  }

  private static JsonArray withoutOurs(JsonArray plugins) {
    JsonArray out = new JsonArray();
    for (JsonElement p : plugins) {
      boolean ours =
          p.isJsonObject()
              && p.getAsJsonObject().has("type")
              && PLUGIN_TYPE.equals(p.getAsJsonObject().get("type").getAsString());
      if (!ours) {
        out.add(p);
      }
    }
    return out;
  }

  private static String pretty(JsonObject o) {
    return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
  }

  private static void writeAtomically(Path target, String text, String perms) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(perms));
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}

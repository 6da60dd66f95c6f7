package dev.ambient.bench.waypoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rig's command line. Every flag is required; a missing, repeated or unknown flag, or a file
 * that does not exist, is an {@link IllegalArgumentException} naming the flag.
 */
record RigOptions(
    Path mesh,
    Path route,
    Path caState,
    String waypoint,
    Path envoy,
    Path workDir,
    Path readyFile) {

  static final String USAGE =
      "usage: WaypointBenchRig --mesh <mesh.yaml> --route <httproute.yaml> --ca-state <dir>"
          + " --waypoint <namespace>/<name> --envoy <binary> --work-dir <dir> --ready-file <file>";

  private static final List<String> FLAGS =
      List.of(
          "--mesh", "--route", "--ca-state", "--waypoint", "--envoy", "--work-dir", "--ready-file");

  static RigOptions parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!FLAGS.contains(flag)) {
        throw new IllegalArgumentException("unknown argument '" + flag + "'");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + ": needs a value");
      }
      if (values.put(flag, args[++i]) != null) {
        throw new IllegalArgumentException(flag + ": given twice");
      }
    }
    for (String flag : FLAGS) {
      if (!values.containsKey(flag)) {
        throw new IllegalArgumentException(flag + ": missing");
      }
    }
    String waypoint = values.get("--waypoint");
    if (!waypoint.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?")) {
      throw new IllegalArgumentException(
          "--waypoint: '" + waypoint + "' is not <namespace>/<name>");
    }
    return new RigOptions(
        existing("--mesh", values),
        existing("--route", values),
        existing("--ca-state", values),
        waypoint,
        existing("--envoy", values),
        Path.of(values.get("--work-dir")),
        Path.of(values.get("--ready-file")));
  }

  private static Path existing(String flag, Map<String, String> values) {
    Path p = Path.of(values.get(flag));
    if (!Files.exists(p)) {
      throw new IllegalArgumentException(flag + ": " + p + " does not exist");
    }
    return p;
  }
}

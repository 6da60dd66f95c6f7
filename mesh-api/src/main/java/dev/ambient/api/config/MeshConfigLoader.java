package dev.ambient.api.config;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.InvalidSpiffeIdException;
import dev.ambient.api.spiffe.SpiffeId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads the mesh YAML format (see {@code mesh-api/README.md}) into a {@link MeshConfig}.
 *
 * <p>Everything is validated here, at the edge: every problem of the document is collected into one
 * {@link InvalidMeshConfigException}, each naming the object and the field; no other exception
 * escapes for bad input. A configuration this class returns is also accepted by {@link
 * MeshState#of}.
 */
public final class MeshConfigLoader {
  /** Largest document accepted, in bytes (files) or characters (strings). */
  public static final int MAX_DOCUMENT_SIZE = 8 * 1024 * 1024;

  private static final int MAX_ALIASES = 50;
  private static final Set<String> TOP_KEYS =
      Set.of("trustDomain", "rootNamespace", "workloads", "services", "authorizationPolicies");

  private MeshConfigLoader() {}

  public static MeshConfig load(Path file) throws IOException, InvalidMeshConfigException {
    return loadDetailed(file).config();
  }

  public static MeshConfig parse(String yaml, String sourceName) throws InvalidMeshConfigException {
    return parseDetailed(yaml, sourceName).config();
  }

  /** Reads and indexes a file in one step; the state carries {@code version}. */
  public static MeshState loadState(Path file, long version)
      throws IOException, InvalidMeshConfigException {
    return MeshState.of(load(file), version);
  }

  /** Like {@link #load} but also returns the loader's notes (skipped policies, L7 fields). */
  public static ParsedMeshConfig loadDetailed(Path file)
      throws IOException, InvalidMeshConfigException {
    String name = file.toString();
    long size = Files.size(file);
    if (size > MAX_DOCUMENT_SIZE) {
      throw new InvalidMeshConfigException(
          name + ": document is " + size + " bytes, more than the limit of " + MAX_DOCUMENT_SIZE);
    }
    return parseDetailed(Files.readAllBytes(file), name);
  }

  /**
   * Parses a document given as UTF-8 bytes (for callers that hash or keep the exact bytes they
   * parsed, like a file watcher).
   */
  public static ParsedMeshConfig parseDetailed(byte[] utf8Yaml, String sourceName)
      throws InvalidMeshConfigException {
    String name = sourceName == null || sourceName.isEmpty() ? "config" : sourceName;
    if (utf8Yaml.length > MAX_DOCUMENT_SIZE) {
      throw new InvalidMeshConfigException(
          name
              + ": document is "
              + utf8Yaml.length
              + " bytes, more than the limit of "
              + MAX_DOCUMENT_SIZE);
    }
    return parseDetailed(decode(utf8Yaml, name), name);
  }

  private static String decode(byte[] utf8, String name) throws InvalidMeshConfigException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidMeshConfigException(name + ": document is not valid UTF-8");
    }
  }

  /** Like {@link #parse} but also returns the loader's notes (skipped policies, L7 fields). */
  public static ParsedMeshConfig parseDetailed(String yaml, String sourceName)
      throws InvalidMeshConfigException {
    String source = sourceName == null || sourceName.isEmpty() ? "config" : sourceName;
    if (yaml == null) {
      throw new InvalidMeshConfigException(source + ": document is missing");
    }
    if (yaml.length() > MAX_DOCUMENT_SIZE) {
      throw new InvalidMeshConfigException(
          source + ": document is longer than the limit of " + MAX_DOCUMENT_SIZE + " characters");
    }
    return buildChecked(readYaml(yaml, source), source);
  }

  /**
   * Parses several documents (a directory's files) as one mesh: their {@code workloads}, {@code
   * services} and {@code authorizationPolicies} lists are concatenated in the given order, and
   * {@code trustDomain} and {@code rootNamespace}, where given, must agree. References work across
   * documents (a service's label selector sees every document's workloads). Problems name the
   * document for document-level errors and the object (namespace/name) for everything else; list
   * indices count across the documents in order.
   *
   * @param documents document name to UTF-8 bytes, in the order to merge them
   */
  public static ParsedMeshConfig parseDocuments(Map<String, byte[]> documents, String sourceName)
      throws InvalidMeshConfigException {
    String source = sourceName == null || sourceName.isEmpty() ? "config" : sourceName;
    if (documents.isEmpty()) {
      throw new InvalidMeshConfigException(source + ": no documents");
    }
    long total = 0;
    for (byte[] b : documents.values()) {
      total += b.length;
    }
    if (total > MAX_DOCUMENT_SIZE) {
      throw new InvalidMeshConfigException(
          source
              + ": documents are "
              + total
              + " bytes, more than the limit of "
              + MAX_DOCUMENT_SIZE);
    }
    List<String> problems = new ArrayList<>();
    Map<String, Object> merged = new LinkedHashMap<>();
    Map<String, String> scalarFrom = new HashMap<>();
    for (Map.Entry<String, byte[]> d : documents.entrySet()) {
      String name = d.getKey();
      Object root;
      try {
        root = readYaml(decode(d.getValue(), name), name);
      } catch (InvalidMeshConfigException e) {
        problems.addAll(e.problems());
        continue;
      }
      if (!(root instanceof Map<?, ?> map)) {
        problems.add(
            name
                + ": document must be a map of trustDomain, rootNamespace, workloads,"
                + " services, authorizationPolicies");
        continue;
      }
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        Object value = e.getValue();
        if (key.equals("workloads")
            || key.equals("services")
            || key.equals("authorizationPolicies")) {
          if (value == null) {
            continue;
          }
          if (!(value instanceof List<?> list)) {
            problems.add(name + ": field " + key + ": must be a list");
            continue;
          }
          @SuppressWarnings("unchecked")
          List<Object> into =
              (List<Object>) merged.computeIfAbsent(key, k -> new ArrayList<Object>());
          into.addAll(list);
        } else if (key.equals("trustDomain") || key.equals("rootNamespace")) {
          Object before = merged.putIfAbsent(key, value);
          if (before == null) {
            scalarFrom.put(key, name);
          } else if (!before.equals(value)) {
            problems.add(
                name
                    + ": field "
                    + key
                    + ": "
                    + Text.quote(String.valueOf(value))
                    + " differs from "
                    + Text.quote(String.valueOf(before))
                    + " in "
                    + scalarFrom.get(key));
          }
        } else {
          problems.add(name + ": field " + Text.quote(key) + ": unknown field");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidMeshConfigException(problems);
    }
    return buildChecked(merged, source);
  }

  private static ParsedMeshConfig buildChecked(Object root, String source)
      throws InvalidMeshConfigException {
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    MeshConfig config = build(root, source, problems, notes);
    if (problems.isEmpty()) {
      try {
        MeshState.of(config, 0);
      } catch (InvalidMeshConfigException e) {
        problems.addAll(e.problems());
      } catch (RuntimeException e) {
        problems.add(source + ": cannot index configuration: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidMeshConfigException(problems);
    }
    return new ParsedMeshConfig(config, notes);
  }

  private static Object readYaml(String yaml, String source) throws InvalidMeshConfigException {
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(source)
            .setAllowDuplicateKeys(false)
            .setAllowRecursiveKeys(false)
            .setMaxAliasesForCollections(MAX_ALIASES)
            .setCodePointLimit(MAX_DOCUMENT_SIZE)
            .build();
    Object root;
    try {
      root = new Load(settings).loadFromString(yaml);
    } catch (YamlEngineException e) {
      throw new InvalidMeshConfigException(source + ": invalid YAML: " + e.getMessage());
    } catch (RuntimeException | StackOverflowError e) {
      // The engine's own safety limits (nesting, size) surface as other runtime errors.
      throw new InvalidMeshConfigException(source + ": invalid YAML: " + e);
    }
    if (root == null) {
      // An empty file is far more often a truncated write than an intended empty mesh.
      throw new InvalidMeshConfigException(
          source + ": document is empty (write `workloads: []` for an empty mesh)");
    }
    return root;
  }

  private static MeshConfig build(
      Object root, String source, List<String> problems, List<String> notes) {
    Reporter top = new Reporter(source, problems);
    YamlMap doc = YamlMap.of(root, "", top);
    if (doc == null) {
      return MeshConfig.EMPTY;
    }
    doc.rejectUnknown(TOP_KEYS);
    String trustDomain = Defaults.TRUST_DOMAIN;
    if (doc.has("trustDomain")) {
      String td = doc.string("trustDomain");
      if (td != null) {
        try {
          SpiffeId.of(td, "default", "default");
          trustDomain = td;
        } catch (InvalidSpiffeIdException e) {
          top.field("trustDomain", e.getMessage());
        }
      }
    }
    String rootNamespace = Defaults.ROOT_NAMESPACE;
    if (doc.has("rootNamespace")) {
      String rn = doc.string("rootNamespace");
      if (rn != null) {
        String problem = Names.dnsLabel(rn);
        if (problem != null) {
          top.field("rootNamespace", problem);
        } else {
          rootNamespace = rn;
        }
      }
    }
    Defaults defaults = new Defaults(trustDomain, rootNamespace);

    List<Workload> workloads = new ArrayList<>();
    List<?> rawWorkloads = doc.list("workloads");
    boolean workloadsComplete = true;
    Map<String, String> workloadNames = new HashMap<>();
    Map<String, String> uids = new HashMap<>();
    for (int i = 0; i < rawWorkloads.size(); i++) {
      Object raw = rawWorkloads.get(i);
      Reporter r = new Reporter(Labels.of("workloads", i, raw), problems);
      Workload w = WorkloadReader.read(raw, r, defaults);
      if (w == null) {
        workloadsComplete = false;
        continue;
      }
      String other = workloadNames.putIfAbsent(w.namespace() + "/" + w.name(), r.object());
      if (other != null) {
        r.field(
            "name",
            "duplicate workload " + w.namespace() + "/" + w.name() + " (see " + other + ")");
      }
      other = uids.putIfAbsent(w.uid(), r.object());
      if (other != null) {
        r.field("uid", "duplicate uid " + Text.quote(w.uid()) + " (see " + other + ")");
      }
      workloads.add(w);
    }

    List<Service> services = new ArrayList<>();
    List<?> rawServices = doc.list("services");
    Map<String, String> serviceNames = new HashMap<>();
    for (int i = 0; i < rawServices.size(); i++) {
      Object raw = rawServices.get(i);
      Reporter r = new Reporter(Labels.of("services", i, raw), problems);
      Service s = ServiceReader.read(raw, r, defaults, workloads, workloadsComplete);
      if (s == null) {
        continue;
      }
      String other = serviceNames.putIfAbsent(s.namespace() + "/" + s.name(), r.object());
      if (other != null) {
        r.field(
            "name", "duplicate service " + s.namespace() + "/" + s.name() + " (see " + other + ")");
      }
      other = serviceNames.putIfAbsent("host:" + s.resourceName(), r.object());
      if (other != null) {
        r.field("hostname", "duplicate hostname " + s.hostname() + " (see " + other + ")");
      }
      services.add(s);
    }

    List<AuthorizationPolicy> policies = new ArrayList<>();
    List<?> rawPolicies = doc.list("authorizationPolicies");
    Map<String, String> policyNames = new HashMap<>();
    for (int i = 0; i < rawPolicies.size(); i++) {
      Object raw = rawPolicies.get(i);
      Reporter r = new Reporter(Labels.of("authorizationPolicies", i, raw), problems);
      int before = r.count();
      AuthorizationPolicy p = PolicyTranslator.translate(raw, r, defaults, notes);
      if (r.count() != before || raw == null) {
        continue;
      }
      // Name clashes count for skipped (AUDIT/CUSTOM) policies too: Kubernetes would refuse them.
      Object meta = raw instanceof Map<?, ?> m ? m.get("metadata") : null;
      if (meta instanceof Map<?, ?> mm
          && mm.get("namespace") instanceof String ns
          && mm.get("name") instanceof String n) {
        String other = policyNames.putIfAbsent(ns + "/" + n, r.object());
        if (other != null) {
          r.field("metadata.name", "duplicate policy " + ns + "/" + n + " (see " + other + ")");
          continue;
        }
      }
      if (p != null) {
        policies.add(p);
      }
    }
    return new MeshConfig(workloads, services, policies);
  }
}

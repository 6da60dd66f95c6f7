package dev.ambient.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Several documents (a directory's files) read as one mesh. */
class MeshConfigDocumentsTest {
  private static Map<String, byte[]> docs(String... nameThenYaml) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (int i = 0; i < nameThenYaml.length; i += 2) {
      out.put(nameThenYaml[i], nameThenYaml[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  private static final String WORKLOADS =
      """
      trustDomain: example.org
      workloads:
      - {name: server, namespace: default, node: node-a, addresses: [127.9.0.1], labels: {app: server}}
      """;

  private static final String SERVICES =
      """
      services:
      - {name: server, namespace: default, vips: [127.9.10.1], ports: [{port: 80}], endpoints: {app: server}}
      authorizationPolicies:
      - metadata: {name: deny-all, namespace: default}
        spec: {action: DENY, rules: [{}]}
      """;

  @Test
  void listsAreConcatenatedAndReferencesWorkAcrossDocuments() throws Exception {
    MeshConfig c =
        MeshConfigLoader.parseDocuments(docs("a.yaml", WORKLOADS, "b.yaml", SERVICES), "dir")
            .config();
    assertThat(c.workloads()).hasSize(1);
    assertThat(c.workloads().get(0).trustDomain()).isEqualTo("example.org");
    assertThat(c.services()).hasSize(1);
    assertThat(c.services().get(0).endpoints()).containsExactly("Kubernetes//Pod/default/server");
    assertThat(c.policies()).hasSize(1);
  }

  @Test
  void documentProblemsNameTheDocumentAndObjectProblemsTheObject() {
    assertThatThrownBy(
            () ->
                MeshConfigLoader.parseDocuments(
                    docs(
                        "a.yaml",
                        WORKLOADS,
                        "b.yaml",
                        "trustDomain: cluster.local\nworkloads: {}\nservces: []\n",
                        "c.yaml",
                        "- just a list\n"),
                    "dir"))
        .isInstanceOf(InvalidMeshConfigException.class)
        .hasMessageContaining(
            "b.yaml: field trustDomain: \"cluster.local\" differs from \"example.org\" in a.yaml")
        .hasMessageContaining("b.yaml: field workloads: must be a list")
        .hasMessageContaining("b.yaml: field \"servces\": unknown field")
        .hasMessageContaining("c.yaml: document must be a map");
    assertThatThrownBy(
            () ->
                MeshConfigLoader.parseDocuments(
                    docs("a.yaml", WORKLOADS, "b.yaml", SERVICES.replace("127.9.10.1", "bad")),
                    "dir"))
        .hasMessageContaining("(default/server): field vips[0]");
    assertThatThrownBy(() -> MeshConfigLoader.parseDocuments(Map.of(), "dir"))
        .hasMessageContaining("dir: no documents");
  }
}

package dev.ambient.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.model.InvalidMeshConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A directory of mesh YAML files as one snapshot, applied whole or not at all. */
class DirectorySnapshotSourceTest {
  @TempDir Path dir;

  private static final String WORKLOADS =
      """
      workloads:
      - {name: server, namespace: default, node: node-a, addresses: [127.203.0.1], labels: {app: server}}
      """;
  private static final String SERVICES =
      """
      services:
      - {name: server, namespace: default, vips: [127.203.10.1], ports: [{port: 80}], endpoints: {app: server}}
      """;

  @Test
  void filesMergeBadEditsAreRefusedAndNewFilesApply() throws Exception {
    Files.writeString(dir.resolve("10-workloads.yaml"), WORKLOADS);
    Files.writeString(dir.resolve("20-services.yml"), SERVICES);
    Files.writeString(dir.resolve("notes.txt"), "not yaml, ignored");
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger logger = (Logger) LoggerFactory.getLogger(DirectorySnapshotSource.class);
    logger.addAppender(logs);
    try (SnapshotSource source = LocalSnapshotSources.open(dir, Duration.ofHours(1))) {
      DirectorySnapshotSource d = (DirectorySnapshotSource) source;
      assertThat(source.current().workloads()).hasSize(1);
      assertThat(source.current().services().get(0).endpoints()).hasSize(1);
      long version = source.current().version();

      Files.writeString(dir.resolve("20-services.yml"), SERVICES.replace("port: 80", "port: 0"));
      assertThat(d.reload()).isFalse();
      assertThat(source.current().version()).isEqualTo(version);
      assertThat(logs.list)
          .anyMatch(
              e ->
                  e.getFormattedMessage().contains("keeping last good snapshot")
                      && e.getFormattedMessage().contains("(default/server): field ports[0]"));

      Files.writeString(dir.resolve("20-services.yml"), SERVICES);
      Files.writeString(
          dir.resolve("30-policy.yaml"),
          """
          authorizationPolicies:
          - metadata: {name: deny-all, namespace: default}
            spec: {action: DENY, rules: [{}]}
          """);
      assertThat(d.reload()).isTrue();
      assertThat(source.current().policies()).hasSize(1);
      assertThat(source.current().version()).isGreaterThan(version);

      for (String f : new String[] {"10-workloads.yaml", "20-services.yml", "30-policy.yaml"}) {
        Files.delete(dir.resolve(f));
      }
      assertThat(d.reload()).isFalse();
      assertThat(source.current().policies()).hasSize(1);
    } finally {
      logger.detachAppender(logs);
    }
  }

  @Test
  void anInvalidOrEmptyDirectoryIsRefusedAtStart() throws Exception {
    assertThatThrownBy(() -> LocalSnapshotSources.open(dir, Duration.ofSeconds(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no *.yaml or *.yml files");
    Files.writeString(dir.resolve("a.yaml"), WORKLOADS.replace("127.203.0.1", "x"));
    assertThatThrownBy(() -> LocalSnapshotSources.open(dir, Duration.ofSeconds(1)))
        .isInstanceOf(InvalidMeshConfigException.class)
        .hasMessageContaining("(default/server): field addresses[0]");
  }
}

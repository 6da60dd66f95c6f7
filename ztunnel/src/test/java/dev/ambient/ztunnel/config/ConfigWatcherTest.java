package dev.ambient.ztunnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.state.StateHolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class ConfigWatcherTest {
  static final String ONE =
      "workloads:\n- {name: a, namespace: default, node: n, addresses: [127.0.1.1]}\n";
  static final String TWO =
      ONE + "- {name: b, namespace: default, node: n, addresses: [127.0.1.2]}\n";

  @TempDir Path dir;
  Path file;
  StateHolder holder = new StateHolder(MeshState.EMPTY);
  List<MeshState> applied = new CopyOnWriteArrayList<>();
  ListAppender<ILoggingEvent> logs = new ListAppender<>();
  Logger logger = (Logger) LoggerFactory.getLogger(ConfigWatcher.class);

  @BeforeEach
  void setUp() {
    file = dir.resolve("mesh.yaml");
    holder.onChange(applied::add);
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    logger.detachAppender(logs);
  }

  @Test
  void appliesTheInitialFileAndLaterReplacements() throws Exception {
    Files.writeString(file, ONE);
    try (ConfigWatcher w = new ConfigWatcher(file, holder, Duration.ofMillis(200))) {
      MeshState initial = w.start();
      assertThat(initial.version()).isEqualTo(1);
      assertThat(holder.current()).isSameAs(initial);
      assertThat(initial.workloads()).hasSize(1);

      replace(TWO); // the way editors and ConfigMaps do it: write elsewhere, rename over
      await().atMost(Duration.ofSeconds(30)).until(() -> holder.current().version() == 2);
      assertThat(holder.current().workloads()).hasSize(2);
      assertThat(applied).extracting(MeshState::version).containsExactly(1L, 2L);
    }
  }

  @Test
  void inPlaceWritesAreSeenByThePeriodicCheck() throws Exception {
    Files.writeString(file, ONE);
    try (ConfigWatcher w = new ConfigWatcher(file, holder, Duration.ofMillis(100))) {
      w.start();
      Files.writeString(file, TWO); // not atomic: a torn read may be applied first, then this
      await().atMost(Duration.ofSeconds(30)).until(() -> holder.current().workloads().size() == 2);
      assertThat(holder.current().version()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void badContentKeepsTheLastGoodStateAndIsReportedOnce() throws Exception {
    Files.writeString(file, ONE);
    try (ConfigWatcher w = new ConfigWatcher(file, holder, Duration.ofHours(1))) {
      w.start();
      MeshState good = holder.current();
      replace(ONE + "- {name: b, namespace: default, node: n, addresses: [abc]}\n");
      assertThat(w.reload()).isFalse();
      assertThat(w.reload()).isFalse();
      assertThat(holder.current()).isSameAs(good);
      assertThat(messages())
          .filteredOn(m -> m.contains("keeping last good config"))
          .containsExactly(
              "config "
                  + file.toAbsolutePath()
                  + ": keeping last good config (version 1): "
                  + "workloads[1] (default/b): field addresses[0]: \"abc\" is not an IP address");

      replace(TWO);
      w.reload(); // may find the directory watch already applied it; either way:
      assertThat(holder.current().version()).isEqualTo(2);
      assertThat(w.version()).isEqualTo(2);
      assertThat(w.reload()).as("unchanged content is not re-applied").isFalse();
    }
  }

  @Test
  void crossReferenceErrorsAndAMissingFileKeepTheLastGoodState() throws Exception {
    Files.writeString(file, ONE);
    try (ConfigWatcher w = new ConfigWatcher(file, holder, Duration.ofHours(1))) {
      w.start();
      replace(ONE + "- {name: b, namespace: default, node: n, addresses: [127.0.1.1]}\n");
      assertThat(w.reload()).isFalse();
      Files.delete(file);
      assertThat(w.reload()).isFalse();
      assertThat(holder.current().version()).isEqualTo(1);
      assertThat(messages())
          .anySatisfy(m -> assertThat(m).contains("(version 1): ").contains("127.0.1.1"))
          .anySatisfy(m -> assertThat(m).contains("(version 1): cannot read file"));
      replace(ONE); // the bad edits reverted: nothing new to apply
      assertThat(w.reload()).isFalse();
      assertThat(applied).hasSize(1);
      assertThat(messages()).contains("config " + file + ": back to the content of version 1");
    }
  }

  @Test
  void aFailingInitialLoadIsTheCallersErrorAndAppliesNothing() throws Exception {
    Files.writeString(file, "workloads: [{name: a}]");
    ConfigWatcher w = new ConfigWatcher(file, holder);
    assertThatThrownBy(w::start)
        .isInstanceOf(InvalidMeshConfigException.class)
        .hasMessageContaining("workloads[0] (a): field namespace: is required");
    assertThat(holder.current()).isSameAs(MeshState.EMPTY);
    w.close();

    ConfigWatcher missing = new ConfigWatcher(dir.resolve("nope.yaml"), holder);
    assertThatThrownBy(missing::start).isInstanceOf(java.nio.file.NoSuchFileException.class);
    missing.close();
  }

  private void replace(String content) throws Exception {
    Path tmp = Files.createTempFile(dir, ".mesh", ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private List<String> messages() {
    return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}

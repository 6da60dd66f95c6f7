package dev.ambient.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lab's Go code (labctl: the node agent, the image table, the orchestrator) has unit tests of
 * its own; this runs them, with vet and the gofmt check, as part of the project's one test command.
 */
class LabctlGoTest {
  private static Path labctl;

  @BeforeAll
  static void needsGo() {
    boolean hasGo =
        List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
            .anyMatch(dir -> !dir.isEmpty() && Path.of(dir, "go").toFile().canExecute());
    if (!hasGo) {
      System.out.println("skipped: 'go' is not on PATH (the lab's Go unit tests need it)");
    }
    Assumptions.assumeTrue(hasGo, "skipped: 'go' is not on PATH");
    labctl = LabCluster.findRepo().resolve("lab/labctl");
  }

  @Test
  void goVetAndUnitTestsPass() throws Exception {
    String vet = run("go", "vet", "./...");
    String test = run("go", "test", "-count=1", "./...");
    System.out.println(vet + test);
    assertThat(test).contains("ok  \tdev.ambient/lab/labctl/internal/agent");
  }

  @Test
  void goSourcesAreGofmtFormatted() throws Exception {
    assertThat(run("gofmt", "-l", ".")).as("files gofmt would change").isBlank();
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(labctl.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
    return out;
  }
}

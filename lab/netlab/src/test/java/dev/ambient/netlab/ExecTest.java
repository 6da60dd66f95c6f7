package dev.ambient.netlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecTest {

  @Test
  void returnsStdout() throws IOException {
    assertThat(Exec.run(List.of("cat"), "hello\n")).isEqualTo("hello\n");
  }

  @Test
  void failureNamesTheCommandAndItsStderr() {
    assertThatThrownBy(() -> Exec.run("sh", "-c", "echo broken >&2; exit 3"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("command `sh -c echo broken >&2; exit 3`")
        .hasMessageContaining("exit 3")
        .hasMessageContaining("broken");
  }

  @Test
  void missingToolIsAnIoExceptionNamingIt() {
    assertThatThrownBy(() -> Exec.run("no-such-tool-netlab"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no-such-tool-netlab")
        .hasMessageContaining("cannot start");
  }
}

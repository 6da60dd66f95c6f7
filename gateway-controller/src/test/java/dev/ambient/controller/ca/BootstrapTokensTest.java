package dev.ambient.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTokensTest {
  @TempDir Path state;

  private static Metadata bearer(String value) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), value);
    return m;
  }

  @Test
  void issuedTokenAuthenticatesItsNodeAndOnlyTheHashIsStored() throws Exception {
    BootstrapTokens tokens = BootstrapTokens.open(state);
    Path file = BootstrapTokens.issue(state, "node-a", null);
    assertThat(file).isEqualTo(state.resolve("tokens/node-a.token"));
    String token = Files.readString(file).strip();
    assertThat(token).matches("[A-Za-z0-9_-]{43}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    Path hashes = state.resolve("node-tokens");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hashes)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(hashes)).contains("node-a ").doesNotContain(token);

    // Issued after open(): picked up without restart.
    assertThat(tokens.nodeFor(bearer("Bearer " + token))).contains("node-a");
    assertThat(tokens.nodeFor(bearer("Bearer " + token + "x"))).isEmpty();
    assertThat(tokens.nodeFor(bearer(token))).isEmpty();
    assertThat(tokens.nodeFor(new Metadata())).isEmpty();

    // A new token for the node replaces the old one.
    Path other = BootstrapTokens.issue(state, "node-a", state.resolve("elsewhere.token"));
    assertThat(tokens.nodeFor(bearer("Bearer " + token))).isEmpty();
    assertThat(tokens.nodeFor(bearer("Bearer " + Files.readString(other).strip())))
        .contains("node-a");
  }

  @Test
  void rejectsNodeNamesThatCouldEscapeTheTokenDirectory() {
    assertThatThrownBy(() -> BootstrapTokens.issue(state, "../etc", null))
        .isInstanceOf(CaStateException.class)
        .hasMessageContaining("not a DNS subdomain");
  }
}

package dev.ambient.api.spiffe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {

  @Test
  void parsesAndRendersIstioIdentity() {
    SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/bookinfo-productpage");
    assertThat(id.trustDomain()).isEqualTo("cluster.local");
    assertThat(id.namespace()).isEqualTo("default");
    assertThat(id.serviceAccount()).isEqualTo("bookinfo-productpage");
    assertThat(id.uri()).isEqualTo("spiffe://cluster.local/ns/default/sa/bookinfo-productpage");
    assertThat(id).isEqualTo(SpiffeId.of("cluster.local", "default", "bookinfo-productpage"));
  }

  @Test
  void serviceAccountMayHoldDots() {
    assertThat(SpiffeId.parse("spiffe://td/ns/a/sa/b.c").serviceAccount()).isEqualTo("b.c");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "spiffe://",
        "spiffe://cluster.local",
        "spiffe://cluster.local/",
        "http://cluster.local/ns/a/sa/b",
        "SPIFFE://cluster.local/ns/a/sa/b",
        "spiffe://Cluster.local/ns/a/sa/b",
        "spiffe://cluster..local/ns/a/sa/b",
        "spiffe://cluster.local/ns/a/sa/b/",
        "spiffe://cluster.local/ns/a/sa/b/c",
        "spiffe://cluster.local/ns//sa/b",
        "spiffe://cluster.local/ns/a/sa/",
        "spiffe://cluster.local/sa/b/ns/a",
        "spiffe://cluster.local/ns/A/sa/b",
        "spiffe://cluster.local/ns/a/sa/b\u0000evil",
        "spiffe://cluster.local/ns/a/sa/b%2Fc",
        "spiffe://cluster.local/ns/a.b/sa/c",
        "spiffe://cluster.local/ns/a/sa/-b",
        "spiffe://cluster.local/ns/a/sa/b..c",
        "spiffe://cluster.local/ns/a/sa/b?x=1",
        "spiffe://user@cluster.local/ns/a/sa/b",
        "spiffe://cluster.local:443/ns/a/sa/b",
        " spiffe://cluster.local/ns/a/sa/b",
      })
  void rejectsMalformed(String uri) {
    assertThatThrownBy(() -> SpiffeId.parse(uri)).isInstanceOf(InvalidSpiffeIdException.class);
    assertThat(SpiffeId.parseOrNull(uri)).isNull();
  }

  @Test
  void errorMessageNeverEchoesControlCharacters() {
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/ns/a/sa/b\u0000x"))
        .hasMessageContaining("\\u0000")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u0000"));
  }

  @Test
  void rejectsOverlongInput() {
    String longSa = "a".repeat(254);
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/ns/a/sa/" + longSa))
        .hasMessageContaining("service account");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/ns/" + "a".repeat(64) + "/sa/b"))
        .hasMessageContaining("namespace");
  }
}

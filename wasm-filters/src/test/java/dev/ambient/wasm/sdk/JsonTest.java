package dev.ambient.wasm.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The SDK's JSON parser, on the JVM (the same code runs in the modules). */
class JsonTest {

  @Test
  void parsesDocumentsWithPaths() throws Exception {
    JsonObject o =
        Json.parse(
                "{\"a\": [1, -2, {\"b\": \"x\\u00e9\\n\\\"\"}], \"t\": true, \"n\": null, \"f\": 1.5e3}")
            .asObject();
    assertThat(o.array("a").get(0).asLong()).isEqualTo(1);
    assertThat(o.array("a").get(1).asLong()).isEqualTo(-2);
    JsonObject inner = o.array("a").get(2).asObject();
    assertThat(inner.string("b")).isEqualTo("xé\n\"");
    assertThat(inner.get("b").path()).isEqualTo("a[2].b");
    assertThat(o.bool("t", false)).isTrue();
    assertThat(o.string("n")).isNull();
    assertThatThrownBy(() -> o.get("f").asLong()).hasMessage("f: expected an integer, got 1.5e3");
    assertThatThrownBy(() -> o.array("a").get(2).asObject().get("b").asLong())
        .hasMessage("a[2].b: expected a number, got a string");
  }

  @Test
  void rejectsMalformedInput() {
    String[][] cases = {
      {"{\"a\": 1,}", "offset 8: expected a field name"},
      {"{\"a\": 1} x", "offset 9: unexpected data after the document"},
      {"{\"a\": 1, \"a\": 2}", "duplicate field \"a\""},
      {"[01]", "expected ',' or ']'"},
      {"\"abc", "unterminated string"},
      {"\"a\tb\"", "control character in string"},
      {"\"\\x\"", "invalid escape"},
      {"[".repeat(100), "nesting deeper than 64"},
      {"", "unexpected end of input"},
      {"tru", "unexpected character 't'"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> Json.parse(c[0]))
          .as(c[0])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("invalid JSON at offset")
          .hasMessageContaining(c[1]);
    }
  }

  @Test
  void requireOnlyNamesTheUnknownField() throws Exception {
    JsonObject o = Json.parse("{\"x\": {\"good\": 1, \"bda\": 2}}").asObject();
    assertThatThrownBy(() -> o.object("x").requireOnly("good", "bad"))
        .hasMessage("x.bda: unknown field (known: good, bad)");
  }

  @Test
  void utf8RoundTripsAndRepairsMalformedBytes() {
    String s = "aé€😀";
    assertThat(Utf8.decode(Utf8.encode(s))).isEqualTo(s);
    assertThat(Utf8.encode(s)).isEqualTo(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(Utf8.decode(new byte[] {'a', (byte) 0xc3})).isEqualTo("a\uFFFD");
    assertThat(Utf8.decode(new byte[] {(byte) 0xc0, (byte) 0x80})).isEqualTo("\uFFFD\uFFFD");
  }

  @Test
  void headerPairsRoundTrip() {
    java.util.List<Header> h =
        java.util.List.of(new Header(":path", "/a"), new Header("x", ""), new Header("x", "é"));
    java.util.List<Header> back = HeaderPairs.decode(HeaderPairs.encode(h));
    assertThat(back).extracting(Header::toString).containsExactly(":path: /a", "x: ", "x: é");
    assertThatThrownBy(() -> HeaderPairs.decode(new byte[] {5, 0, 0, 0}))
        .hasMessageContaining("count 5 exceeds the data");
  }

  @Test
  void labelsUseIstioStatTagForm() {
    assertThat(Labels.of("a", "x;y").and("b", "").encode("m"))
        .isEqualTo("a=.=x_y;.;b=.=unknown;.;m");
    assertThat(SpiffeId.parse("spiffe://td/ns/n/sa/s").namespace()).isEqualTo("n");
    assertThat(SpiffeId.parse("td/ns/n/sa/s").serviceAccount()).isEqualTo("s");
    assertThat(SpiffeId.parse("spiffe://td/ns/n/sa/s/extra")).isNull();
    assertThat(SpiffeId.parse("spiffe://td/x/n/sa/s")).isNull();
  }
}

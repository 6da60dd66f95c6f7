package dev.ambient.api.authz;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IpLiteralFormatTest {
  @Test
  void formatsCanonically() {
    assertThat(fmt("127.0.0.1")).isEqualTo("127.0.0.1");
    assertThat(fmt("::1")).isEqualTo("::1");
    assertThat(fmt("::")).isEqualTo("::");
    assertThat(fmt("0:0:0:0:0:0:0:1")).isEqualTo("::1");
    assertThat(fmt("fd00:0:0:0:0:0:0:2")).isEqualTo("fd00::2");
    assertThat(fmt("2001:DB8:0:0:1:0:0:1")).isEqualTo("2001:db8::1:0:0:1");
    assertThat(fmt("2001:db8:0:1:1:1:1:1"))
        .as("a single zero group is not compressed")
        .isEqualTo("2001:db8:0:1:1:1:1:1");
    assertThat(fmt("1:0:0:2:0:0:0:3")).isEqualTo("1:0:0:2::3");
    assertThat(fmt("1:2:3:4:5:6:7:0")).isEqualTo("1:2:3:4:5:6:7:0");
    assertThat(fmt("1:2:3:4:5:6:0:0")).isEqualTo("1:2:3:4:5:6::");
  }

  private static String fmt(String s) {
    return IpLiteral.format(IpLiteral.parse(s));
  }
}

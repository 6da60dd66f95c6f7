package dev.ambient.netlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4CidrTest {

  @Test
  void parsesAndNumbersHosts() {
    Ipv4Cidr c = Ipv4Cidr.parse("10.71.1.0/24", "podCidr");
    assertThat(c.hostCount()).isEqualTo(254);
    assertThat(c.host(1).getHostAddress()).isEqualTo("10.71.1.1");
    assertThat(c.host(254).getHostAddress()).isEqualTo("10.71.1.254");
    assertThat(c).hasToString("10.71.1.0/24");
  }

  @Test
  void overlapIsSymmetric() {
    Ipv4Cidr wide = Ipv4Cidr.parse("10.71.0.0/16", "x");
    Ipv4Cidr narrow = Ipv4Cidr.parse("10.71.5.0/24", "x");
    Ipv4Cidr other = Ipv4Cidr.parse("10.72.0.0/24", "x");
    assertThat(wide.overlaps(narrow)).isTrue();
    assertThat(narrow.overlaps(wide)).isTrue();
    assertThat(narrow.overlaps(other)).isFalse();
  }

  @Test
  void rejectsBadInputNamingTheField() {
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.71.1.1/24", "node a podCidr"))
        .hasMessageContaining("node a podCidr")
        .hasMessageContaining("host bits");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.71.1.0", "podCidr"))
        .hasMessageContaining("not an IPv4 CIDR");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.71.300.0/24", "podCidr"))
        .hasMessageContaining("not an IPv4 address");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.71.1.0/31", "podCidr"))
        .hasMessageContaining("between 8 and 30");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.71.1.0/x", "podCidr"))
        .hasMessageContaining("no numeric prefix length");
  }
}

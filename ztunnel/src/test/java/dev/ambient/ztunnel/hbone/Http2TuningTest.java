package dev.ambient.ztunnel.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class Http2TuningTest {
  @Test
  void serverCodecSendsItsSettings() {
    EmbeddedChannel ch = new EmbeddedChannel(Http2Tuning.serverCodec());
    assertThat(ch.isActive()).isTrue();
    ByteBuf out = ch.readOutbound();
    assertThat(out).isNotNull();
    out.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void clientCodecSendsItsPreface() {
    EmbeddedChannel ch = new EmbeddedChannel(Http2Tuning.clientCodec());
    assertThat(ch.isActive()).isTrue();
    ByteBuf out = ch.readOutbound();
    assertThat(out).isNotNull();
    out.release();
    ch.finishAndReleaseAll();
  }
}

package dev.ambient.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-connection bookkeeping of one type: what differs, what counts as sent. */
class TypeSubscriptionTest {
  private static WdsResource r(String name, String version) {
    return new WdsResource(name, version, Any.pack(StringValue.of(name)));
  }

  private static Map<String, WdsResource> snapshot(WdsResource... rs) {
    java.util.Map<String, WdsResource> m = new java.util.LinkedHashMap<>();
    for (WdsResource x : rs) {
      m.put(x.name(), x);
    }
    return m;
  }

  @Test
  void wildcardSendsEverythingThenOnlyChangesAndRemovals() {
    TypeSubscription sub = new TypeSubscription("t", Map.of());
    sub.update(true, List.of(), List.of());
    TypeSubscription.Delta d = sub.diff(snapshot(r("a", "1"), r("b", "1")));
    assertThat(d.upserts()).extracting(WdsResource::name).containsExactly("a", "b");
    sub.sent(d.upserts(), d.removals(), "1");

    d = sub.diff(snapshot(r("a", "2"), r("c", "1")));
    assertThat(d.upserts()).extracting(WdsResource::name).containsExactly("a", "c");
    assertThat(d.removals()).containsExactly("b");
    sub.sent(d.upserts(), d.removals(), "2");
    // Sent counts even if the client NACKs: the same versions are not sent again.
    assertThat(sub.answered("2")).isTrue();
    assertThat(sub.diff(snapshot(r("a", "2"), r("c", "1"))).isEmpty()).isTrue();
  }

  @Test
  void initialVersionsLimitTheFirstAnswerToWhatDiffers() {
    TypeSubscription sub = new TypeSubscription("t", Map.of("a", "1", "gone", "1", "b", "old"));
    sub.update(true, List.of("*"), List.of());
    TypeSubscription.Delta d = sub.diff(snapshot(r("a", "1"), r("b", "new"), r("c", "1")));
    assertThat(d.upserts()).extracting(WdsResource::name).containsExactly("b", "c");
    assertThat(d.removals()).containsExactly("gone");
  }

  @Test
  void explicitNamesSubscribeAndUnsubscribe() {
    TypeSubscription sub = new TypeSubscription("t", Map.of());
    sub.update(true, List.of("a"), List.of());
    Map<String, WdsResource> s = snapshot(r("a", "1"), r("b", "1"));
    TypeSubscription.Delta d = sub.diff(s);
    assertThat(d.upserts()).extracting(WdsResource::name).containsExactly("a");
    sub.sent(d.upserts(), d.removals(), "1");
    sub.update(false, List.of("b"), List.of("a"));
    d = sub.diff(s);
    assertThat(d.upserts()).extracting(WdsResource::name).containsExactly("b");
    assertThat(d.removals()).isEmpty();
  }
}

package dev.ambient.controller.xds;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one connection subscribed to for one type, and what the client holds of it as far as the
 * server knows: the versions it was sent (or reported in {@code initial_resource_versions}). A
 * NACKed response still counts as sent, so the same version is never resent; the next change of the
 * resource sends its new version.
 */
final class TypeSubscription {
  /** One push for this type: resources to send and names to remove. */
  record Delta(List<WdsResource> upserts, List<String> removals) {
    boolean isEmpty() {
      return upserts.isEmpty() && removals.isEmpty();
    }
  }

  final String typeUrl;
  private boolean wildcard;
  private final Set<String> names = new HashSet<>();
  private final Map<String, String> sent = new HashMap<>();
  private String pendingNonce;

  TypeSubscription(String typeUrl, Map<String, String> initialVersions) {
    this.typeUrl = typeUrl;
    this.sent.putAll(initialVersions);
  }

  /**
   * Applies a request's subscription changes. The first request of a type with no names, or any
   * request naming {@code *}, subscribes to everything (wildcard).
   */
  void update(boolean first, List<String> subscribe, List<String> unsubscribe) {
    if (first && subscribe.isEmpty()) {
      wildcard = true;
    }
    for (String n : subscribe) {
      if ("*".equals(n)) {
        wildcard = true;
      } else {
        names.add(n);
      }
    }
    for (String n : unsubscribe) {
      if ("*".equals(n)) {
        wildcard = false;
      } else {
        names.remove(n);
        // The client dropped it; should it subscribe again it must be sent again.
        sent.remove(n);
      }
    }
  }

  private boolean wants(String name) {
    return wildcard || names.contains(name);
  }

  /** What differs between the snapshot and what the client holds. */
  Delta diff(Map<String, WdsResource> snapshot) {
    List<WdsResource> upserts = new ArrayList<>();
    for (WdsResource r : snapshot.values()) {
      if (wants(r.name()) && !r.version().equals(sent.get(r.name()))) {
        upserts.add(r);
      }
    }
    List<String> removals = new ArrayList<>();
    for (String name : sent.keySet()) {
      WdsResource r = snapshot.get(name);
      if (r == null || !wants(name)) {
        removals.add(name);
      }
    }
    upserts.sort((a, b) -> a.name().compareTo(b.name()));
    removals.sort(String::compareTo);
    return new Delta(upserts, removals);
  }

  /** Records a response as sent. */
  void sent(List<WdsResource> upserts, List<String> removals, String nonce) {
    for (WdsResource r : upserts) {
      sent.put(r.name(), r.version());
    }
    for (String n : removals) {
      sent.remove(n);
    }
    pendingNonce = nonce;
  }

  /** Clears the pending nonce if the client answered the latest response. */
  boolean answered(String nonce) {
    if (nonce.equals(pendingNonce)) {
      pendingNonce = null;
      return true;
    }
    return false;
  }

  int known() {
    return sent.size();
  }
}

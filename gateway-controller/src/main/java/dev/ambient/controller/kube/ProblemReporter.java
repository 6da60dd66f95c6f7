package dev.ambient.controller.kube;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells users about objects the mesh left out: a log line naming the object and field, and a
 * Warning Event on the object, so `kubectl describe` shows it. Each problem is reported once while
 * it lasts; when it is fixed and comes back, it is reported again.
 */
public final class ProblemReporter {
  private static final Logger log = LoggerFactory.getLogger(ProblemReporter.class);
  static final String REASON = "InvalidMeshConfig";
  static final String COMPONENT = "ambient-controller";
  // The loader names objects "<list>[i] (<namespace>/<name>)".
  private static final Pattern OBJECT =
      Pattern.compile(
          "^(workloads|services|authorizationPolicies|peerAuthentications)\\[\\d+]"
              + " \\(([^/)]+)/([^)]+)\\): (.*)$");

  /** A problem attached to the Kubernetes object it is about. */
  public record ObjectProblem(
      String kind, String apiVersion, String namespace, String name, String message) {
    public String describe() {
      return kind + " " + namespace + "/" + name + ": " + message;
    }
  }

  private final KubernetesClient client;
  private Set<String> reported = new HashSet<>();

  ProblemReporter(KubernetesClient client) {
    this.client = client;
  }

  /** The object a translation problem is about, or null when it names none. */
  public static ObjectProblem parse(String problem) {
    Matcher m = OBJECT.matcher(problem);
    if (!m.matches()) {
      return null;
    }
    String kind;
    String apiVersion;
    switch (m.group(1)) {
      case "workloads" -> {
        kind = "Pod";
        apiVersion = "v1";
      }
      case "services" -> {
        kind = "Service";
        apiVersion = "v1";
      }
      case "peerAuthentications" -> {
        kind = "PeerAuthentication";
        apiVersion = "security.istio.io/v1";
      }
      default -> {
        kind = "AuthorizationPolicy";
        apiVersion = "security.istio.io/v1";
      }
    }
    return new ObjectProblem(kind, apiVersion, m.group(2), m.group(3), m.group(4));
  }

  /** Reports the problems of one translation; called from the source's single thread. */
  void report(List<String> problems) {
    Set<String> now = new HashSet<>();
    for (String problem : problems) {
      ObjectProblem p = parse(problem);
      String text = p == null ? problem : p.describe();
      now.add(text);
      if (reported.contains(text)) {
        continue;
      }
      log.warn("left out of the mesh: {}", text);
      if (p != null) {
        emitEvent(p);
      }
    }
    reported = now;
  }

  private void emitEvent(ObjectProblem p) {
    String now = Instant.now().toString();
    try {
      client
          .v1()
          .events()
          .inNamespace(p.namespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withNamespace(p.namespace())
                  .withName(p.name() + "." + UUID.randomUUID().toString().substring(0, 8))
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withKind(p.kind())
                  .withApiVersion(p.apiVersion())
                  .withNamespace(p.namespace())
                  .withName(p.name())
                  .endInvolvedObject()
                  .withType("Warning")
                  .withReason(REASON)
                  .withMessage("left out of the mesh: " + p.message())
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .withReportingComponent(COMPONENT)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      log.warn(
          "cannot record an Event on {} {}/{}: {}",
          p.kind(),
          p.namespace(),
          p.name(),
          e.getMessage());
    }
  }
}

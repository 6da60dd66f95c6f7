package dev.ambient.controller.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's signing root kept in the cluster, as istiod keeps it, so a restarted or rescheduled
 * controller signs with the same root and the mesh's certificates stay valid. Two Secrets in the
 * controller's namespace, Istio's names and keys:
 *
 * <ul>
 *   <li>{@code cacerts} (the operator's plugged-in CA: {@code ca-cert.pem}, {@code ca-key.pem},
 *       {@code root-cert.pem}, optional {@code cert-chain.pem}): when present, the CA signs with
 *       it;
 *   <li>otherwise {@code istio-ca-secret} ({@code ca-cert.pem}, {@code ca-key.pem}): the
 *       self-signed root. Restored into the state directory before the CA opens; on first start the
 *       CA creates its root and this stores it (create-only: when another replica won the race, its
 *       root is taken instead).
 * </ul>
 *
 * The key goes only between the API server and the controller's private state directory (0600);
 * nothing here logs it. Root rotation ({@code ca rotate-root}) is a local-mode operation: in a
 * cluster, rotate by replacing {@code cacerts}.
 */
public final class CaRootSecret {
  public static final String SELF_SIGNED = "istio-ca-secret";
  public static final String PLUGGED = "cacerts";
  static final String CA_CERT = "ca-cert.pem";
  static final String CA_KEY = "ca-key.pem";
  static final String ROOT_CERT = "root-cert.pem";
  static final String CERT_CHAIN = "cert-chain.pem";
  static final String PLUGGED_DIR = "cacerts";
  private static final Logger log = LoggerFactory.getLogger(CaRootSecret.class);

  /** Where the root came from, for the start-up lines. */
  public enum Origin {
    PLUGGED_IN,
    RESTORED,
    CREATED,
    /** The namespace does not exist (a development controller with --kubeconfig): not stored. */
    NOT_STORED
  }

  private CaRootSecret() {}

  /**
   * Prepares the CA options from the cluster before {@link CaOptions#open()}: a plugged-in CA
   * becomes the signer files; else the self-signed root is restored into, or stored from, the state
   * directory.
   *
   * @throws CaStateException naming the Secret and key when a Secret is incomplete or unreadable
   */
  public static Origin prepare(KubernetesClient client, String namespace, CaOptions options)
      throws CaStateException {
    if (options.caCert != null || options.caKey != null) {
      return Origin.PLUGGED_IN; // explicit files win over the cluster
    }
    Path stateDir = options.stateDir;
    try {
      SecureFiles.createPrivateDirectory(stateDir);
      Secret plugged = get(client, namespace, PLUGGED);
      if (plugged != null) {
        Path dir = stateDir.resolve(PLUGGED_DIR);
        SecureFiles.createPrivateDirectory(dir);
        Map<String, byte[]> data = data(plugged, namespace, CA_CERT, CA_KEY, ROOT_CERT);
        SecureFiles.write(dir.resolve(CA_CERT), data.get(CA_CERT), SecureFiles.PUBLIC);
        SecureFiles.write(dir.resolve(CA_KEY), data.get(CA_KEY), SecureFiles.PRIVATE);
        SecureFiles.write(dir.resolve(ROOT_CERT), data.get(ROOT_CERT), SecureFiles.PUBLIC);
        options.caCert = dir.resolve(CA_CERT);
        options.caKey = dir.resolve(CA_KEY);
        options.rootCert = dir.resolve(ROOT_CERT);
        byte[] chain = decoded(plugged, CERT_CHAIN);
        if (chain != null) {
          SecureFiles.write(dir.resolve(CERT_CHAIN), chain, SecureFiles.PUBLIC);
          options.caChain = dir.resolve(CERT_CHAIN);
        }
        log.info("CA signs with the plugged-in CA of Secret {}/{}", namespace, PLUGGED);
        return Origin.PLUGGED_IN;
      }
      Secret stored = get(client, namespace, SELF_SIGNED);
      if (stored != null) {
        restore(stored, namespace, stateDir);
        return Origin.RESTORED;
      }
      // First start: the CA makes its root (or reuses this pod's), and the cluster keeps it.
      RootStore.open(stateDir, options.trustDomain);
      Secret created =
          new SecretBuilder()
              .withNewMetadata()
              .withName(SELF_SIGNED)
              .withNamespace(namespace)
              .endMetadata()
              .withType("istio.io/ca-root")
              .addToData(CA_CERT, encode(Files.readAllBytes(stateDir.resolve(RootStore.ROOT_CERT))))
              .addToData(CA_KEY, encode(Files.readAllBytes(stateDir.resolve(RootStore.ROOT_KEY))))
              .build();
      try {
        client.secrets().inNamespace(namespace).resource(created).create();
        log.info("CA root stored in Secret {}/{}", namespace, SELF_SIGNED);
        return Origin.CREATED;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          log.warn(
              "CA root not stored in the cluster: namespace {} does not exist; a restart with"
                  + " another state dir makes a new root",
              namespace);
          return Origin.NOT_STORED;
        }
        if (e.getCode() != 409) {
          throw new CaStateException(
              "Secret " + namespace + "/" + SELF_SIGNED + ": cannot create: " + e.getMessage(), e);
        }
        // Another replica stored its root first: sign with that one.
        restore(get(client, namespace, SELF_SIGNED), namespace, stateDir);
        return Origin.RESTORED;
      }
    } catch (IOException e) {
      throw new CaStateException("CA state dir " + stateDir + ": " + e.getMessage(), e);
    }
  }

  private static void restore(Secret secret, String namespace, Path stateDir)
      throws CaStateException, IOException {
    if (secret == null) {
      throw new CaStateException("Secret " + namespace + "/" + SELF_SIGNED + ": vanished");
    }
    Map<String, byte[]> data = data(secret, namespace, CA_CERT, CA_KEY);
    // Key first, then certificate: RootStore refuses a certificate without its key.
    SecureFiles.write(stateDir.resolve(RootStore.ROOT_KEY), data.get(CA_KEY), SecureFiles.PRIVATE);
    SecureFiles.write(stateDir.resolve(RootStore.ROOT_CERT), data.get(CA_CERT), SecureFiles.PUBLIC);
    log.info("CA root restored from Secret {}/{}", namespace, SELF_SIGNED);
  }

  private static Secret get(KubernetesClient client, String namespace, String name)
      throws CaStateException {
    try {
      return client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new CaStateException(
          "Secret " + namespace + "/" + name + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Map<String, byte[]> data(Secret s, String namespace, String... keys)
      throws CaStateException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String key : keys) {
      byte[] value = decoded(s, key);
      if (value == null || value.length == 0) {
        throw new CaStateException(
            "Secret "
                + namespace
                + "/"
                + s.getMetadata().getName()
                + ": data."
                + key
                + " is missing or empty");
      }
      out.put(key, value);
    }
    return out;
  }

  private static byte[] decoded(Secret s, String key) throws CaStateException {
    String value = s.getData() == null ? null : s.getData().get(key);
    if (value == null) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw new CaStateException(
          "Secret " + s.getMetadata().getName() + ": data." + key + " is not base64");
    }
  }

  private static String encode(byte[] bytes) {
    return new String(Base64.getEncoder().encode(bytes), StandardCharsets.US_ASCII);
  }
}

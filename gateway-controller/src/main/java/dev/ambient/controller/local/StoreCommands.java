package dev.ambient.controller.local;

import dev.ambient.controller.kube.KubeTranslator;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mesh apply -f} and {@code mesh delete -f}: kubectl's verbs on the local store. */
public final class StoreCommands {
  private StoreCommands() {}

  /** Options both verbs share. */
  abstract static class StoreVerb implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = {"-f", "--filename"},
        required = true,
        description = "Manifest file or directory of manifests (.yaml, .yml, .json); repeatable.")
    List<Path> files;

    @Option(
        names = "--store",
        description =
            "The local store directory. Default: $MESH_STORE, else $XDG_STATE_HOME/ambient/store,"
                + " else ~/.local/state/ambient/store.")
    Path store;

    @Option(
        names = "--trust-domain",
        defaultValue = "cluster.local",
        description = "Trust domain the mesh is validated with. Default: ${DEFAULT-VALUE}")
    String trustDomain;

    /** Reads every -f; the problems of all files at once, or null after printing them. */
    List<StoreObject> readAll(ManifestReader reader, PrintWriter err) throws IOException {
      List<StoreObject> objects = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (Path f : files) {
        ManifestReader.Result r = reader.read(f);
        objects.addAll(r.objects());
        problems.addAll(r.problems());
      }
      if (!problems.isEmpty()) {
        problems.forEach(p -> err.println("error: " + p));
        return null;
      }
      return objects;
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      KubernetesSerialization serialization = new KubernetesSerialization();
      LocalStore localStore = new LocalStore(StorePaths.resolve(store), serialization);
      try {
        List<StoreObject> objects = readAll(new ManifestReader(serialization), err);
        if (objects == null) {
          err.println(verb() + ": nothing changed");
          return 1;
        }
        LocalStore.Outcome outcome = run(localStore, objects);
        outcome.lines().forEach(out::println);
        outcome.problems().forEach(p -> err.println("error: " + p));
        if (!outcome.ok() && outcome.lines().isEmpty()) {
          err.println(verb() + ": nothing changed");
        }
        return outcome.ok() ? 0 : 1;
      } catch (IOException e) {
        err.println(verb() + ": " + e.getMessage());
        return 1;
      } finally {
        out.flush();
        err.flush();
      }
    }

    abstract String verb();

    abstract LocalStore.Outcome run(LocalStore store, List<StoreObject> objects) throws IOException;
  }

  @Command(
      name = "apply",
      mixinStandardHelpOptions = true,
      description =
          "Create or update objects in the local store (Namespace, Pod, Service, Gateway,"
              + " HTTPRoute, GRPCRoute, AuthorizationPolicy). Every object is validated first, as the"
              + " controller's translation would judge it; then all are written, or none.")
  public static final class Apply extends StoreVerb {
    @Override
    String verb() {
      return "apply";
    }

    @Override
    LocalStore.Outcome run(LocalStore store, List<StoreObject> objects) throws IOException {
      return store.apply(
          objects,
          new StoreValidator(
              new KubeTranslator.Settings(
                  trustDomain,
                  KubeTranslator.Settings.DEFAULT.rootNamespace(),
                  KubeTranslator.Settings.DEFAULT.clusterId(),
                  KubeTranslator.Settings.DEFAULT.clusterDomain())));
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete the objects the manifests name from the local store.")
  public static final class Delete extends StoreVerb {
    @Override
    String verb() {
      return "delete";
    }

    @Override
    LocalStore.Outcome run(LocalStore store, List<StoreObject> objects) throws IOException {
      return store.delete(objects);
    }
  }
}

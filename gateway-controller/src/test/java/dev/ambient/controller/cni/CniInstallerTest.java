package dev.ambient.controller.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What install-cni does to a node's CNI directories, and undoes. */
class CniInstallerTest {
  @TempDir Path root;

  private CniInstaller installer() {
    JsonObject conf = new JsonObject();
    conf.addProperty("agent_socket", "/var/run/ambient-cni/plugin.sock");
    return new CniInstaller(root.resolve("net.d"), root.resolve("bin"), conf);
  }

  private static JsonObject read(Path f) throws IOException {
    return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
  }

  @Test
  void chainsAfterTheMainPluginOnceAndRemovesOnlyItself() throws Exception {
    Path net = Files.createDirectories(root.resolve("net.d"));
    String main =
        "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}";
    Files.writeString(net.resolve("10-main.conflist"), main);
    Files.writeString(net.resolve("99-other.conflist"), "{\"plugins\":[{\"type\":\"x\"}]}");
    CniInstaller installer = installer();

    Path list = installer.ensureChained();
    assertThat(list).isEqualTo(net.resolve("10-main.conflist"));
    assertThat(installer.ensureChained()).isEqualTo(list); // level-triggered: no second entry
    JsonObject o = read(list);
    assertThat(o.getAsJsonArray("plugins")).hasSize(3);
    JsonObject ours = o.getAsJsonArray("plugins").get(2).getAsJsonObject();
    assertThat(ours.get("type").getAsString()).isEqualTo("ambient-cni");
    assertThat(ours.get("agent_socket").getAsString())
        .isEqualTo("/var/run/ambient-cni/plugin.sock");
    assertThat(Files.readString(net.resolve("99-other.conflist"))).doesNotContain("ambient");

    installer.installPlugin(List.of("/usr/bin/java", "-jar", "/o'dd/mesh.jar", "cni", "plugin"));
    Path plugin = root.resolve("bin/ambient-cni");
    assertThat(plugin).isExecutable();
    assertThat(Files.readString(plugin))
        .startsWith("#!/bin/sh")
        .contains("exec '/usr/bin/java' '-jar' '/o'\\''dd/mesh.jar' 'cni' 'plugin'");

    installer.uninstall();
    assertThat(read(list)).isEqualTo(JsonParser.parseString(main));
    assertThat(plugin).doesNotExist();
  }

  @Test
  void aNodeWithoutAConflistGetsOneOfItsOwnWhichUninstallDeletes() throws Exception {
    CniInstaller installer = installer();
    Path list = installer.ensureChained();
    assertThat(list.getFileName().toString()).isEqualTo(CniInstaller.OWN_LIST);
    assertThat(read(list).getAsJsonArray("plugins")).hasSize(1);
    installer.uninstall();
    assertThat(list).doesNotExist();
    installer.uninstall(); // twice is fine
  }

  @Test
  void aBrokenMainConflistIsAnErrorNamingTheFileAndIsLeftAlone() throws Exception {
    Path net = Files.createDirectories(root.resolve("net.d"));
    Files.writeString(net.resolve("10-main.conflist"), "{\"plugins\": 3}");
    assertThatThrownBy(() -> installer().ensureChained())
        .hasMessageContaining("10-main.conflist")
        .hasMessageContaining("plugins");
    assertThat(Files.readString(net.resolve("10-main.conflist"))).isEqualTo("{\"plugins\": 3}");
  }
}

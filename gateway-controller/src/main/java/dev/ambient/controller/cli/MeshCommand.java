package dev.ambient.controller.cli;

import dev.ambient.controller.ca.CaCommand;
import dev.ambient.controller.cni.CniAgentCommand;
import dev.ambient.controller.demo.DemoCommand;
import dev.ambient.controller.install.InstallCommand;
import dev.ambient.controller.local.StoreCommands;
import dev.ambient.controller.server.ControllerCommand;
import dev.ambient.controller.wasm.WasmCommand;
import dev.ambient.controller.waypoint.agent.WaypointCommand;
import dev.ambient.netlab.NetLabCommand;
import dev.ambient.ztunnel.app.ZtunnelCommand;
import dev.ambient.ztunnel.cni.CniCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mesh} command line: one entry point for every component and the demo. */
@Command(
    name = "mesh",
    mixinStandardHelpOptions = true,
    version = "ambient 0.1.0",
    description = "A sidecar-less service mesh in Java.",
    subcommands = {
      DemoCommand.class,
      CaCommand.class,
      ControllerCommand.class,
      ZtunnelCommand.class,
      WaypointCommand.class,
      CniCommand.class,
      NetLabCommand.class,
      InstallCommand.class,
      InstallCommand.Uninstall.class,
      StoreCommands.Apply.class,
      StoreCommands.Delete.class,
      WasmCommand.class
    })
public final class MeshCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    // Servers return from call() only once they have shut down, so exiting here is always right.
    System.exit(commandLine().execute(args));
  }

  /** The command line, with the subcommands that live outside the ztunnel module added. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new MeshCommand());
    // The CNI node agent needs the Kubernetes client, which only this module has.
    cl.getSubcommands().get("cni").addSubcommand("agent", new CniAgentCommand());
    return cl;
  }
}

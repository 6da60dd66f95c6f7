package dev.ambient.controller.wasm;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code mesh wasm}: deploying Java proxy-wasm filters ({@code wasm build} is run by the launcher
 * script, which has wasm-filters' TeaVM build at hand).
 */
@Command(
    name = "wasm",
    mixinStandardHelpOptions = true,
    description = "WasmPlugins for the waypoints.",
    subcommands = {WasmDeployCommand.class})
public final class WasmCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static CommandLine commandLine() {
    return new CommandLine(new WasmCommand());
  }
}

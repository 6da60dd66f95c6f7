package dev.ambient.wasm.build;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.teavm.diagnostics.DefaultProblemTextConsumer;
import org.teavm.diagnostics.Problem;
import org.teavm.tooling.TeaVMTargetType;
import org.teavm.tooling.TeaVMTool;
import org.teavm.tooling.TeaVMToolLog;
import org.teavm.vm.TeaVMOptimizationLevel;

/**
 * Compiles each filter's main class to {@code <outdir>/<name>.wasm} with TeaVM's WASI target and
 * rejects any module Envoy could not load: invalid Wasm (validated with Chicory's validator; TeaVM
 * 0.13.1 emits invalid code for some try/catch shapes) or imports outside {@link ImportAllowList}.
 * Run by the module's build (exec-maven-plugin, phase process-classes) as {@code WasmBuild <outdir>
 * name=main.Class ...}.
 *
 * <p>When {@code wasm-opt} (Debian {@code binaryen}) is on the PATH and {@code -Dwasm.opt} is not
 * {@code false}, each module is also shrunk with {@code wasm-opt -Oz} and checked again.
 */
public final class WasmBuild {
  // Small initial heap: Envoy runs one VM per worker thread, each with its own linear memory.
  private static final int MIN_HEAP = 2 * 1024 * 1024;
  private static final int MAX_HEAP = 64 * 1024 * 1024;

  private WasmBuild() {}

  /**
   * {@code WasmBuild [--classpath <entries>] <outdir> name=main.Class ...}: the classpath option
   * adds a user's compiled filter (directories or jars, ':'-separated) to what TeaVM reads, so a
   * filter written outside this module builds the same way ({@code ./mesh wasm build}).
   */
  public static void main(String[] args) throws Exception {
    ClassLoader loader = WasmBuild.class.getClassLoader();
    if (args.length >= 2 && args[0].equals("--classpath")) {
      loader = userClassLoader(args[1], loader);
      args = java.util.Arrays.copyOfRange(args, 2, args.length);
    }
    if (args.length < 2) {
      throw new IllegalArgumentException(
          "usage: WasmBuild [--classpath <dirs and jars>] <outdir> name=main.Class ...");
    }
    ClassLoader classes = loader;
    File outDir = new File(args[0]);
    Files.createDirectories(outDir.toPath());
    int threads = Integer.getInteger("wasm.threads", 2);
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        String spec = args[i];
        int eq = spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
          throw new IllegalArgumentException(
              "filter spec '" + spec + "': expected name=main.Class");
        }
        String name = spec.substring(0, eq);
        String mainClass = spec.substring(eq + 1);
        results.add(pool.submit(() -> build(outDir, name, mainClass, classes)));
      }
      List<String> failures = new ArrayList<>();
      for (Future<String> f : results) {
        try {
          System.out.println("[wasm] " + f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          failures.add(e.getCause().getMessage());
        }
      }
      if (!failures.isEmpty()) {
        throw new IllegalStateException("Wasm build failed:\n" + String.join("\n", failures));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A loader for the user's classpath entries, each of which must exist. */
  static ClassLoader userClassLoader(String classpath, ClassLoader parent) throws IOException {
    List<java.net.URL> urls = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path p = Path.of(entry);
      if (!Files.exists(p)) {
        throw new IllegalArgumentException("--classpath: " + entry + " does not exist");
      }
      urls.add(p.toUri().toURL());
    }
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("--classpath: no entries");
    }
    return new java.net.URLClassLoader(urls.toArray(new java.net.URL[0]), parent);
  }

  static String build(File outDir, String name, String mainClass) throws Exception {
    return build(outDir, name, mainClass, WasmBuild.class.getClassLoader());
  }

  static String build(File outDir, String name, String mainClass, ClassLoader classes)
      throws Exception {
    if (classes.getResource(mainClass.replace('.', '/') + ".class") == null) {
      throw new IllegalArgumentException(
          name + ": class " + mainClass + " is not on the classpath (compiled classes?)");
    }
    long start = System.nanoTime();
    TeaVMTool tool = new TeaVMTool();
    tool.setTargetType(TeaVMTargetType.WEBASSEMBLY_WASI);
    tool.setMainClass(mainClass);
    tool.setClassLoader(classes);
    tool.setTargetDirectory(outDir);
    tool.setTargetFileName(name + ".wasm");
    tool.setOptimizationLevel(TeaVMOptimizationLevel.FULL);
    tool.setObfuscated(true);
    tool.setDebugInformationGenerated(false);
    tool.setMinHeapSize(MIN_HEAP);
    tool.setMaxHeapSize(MAX_HEAP);
    tool.setLog(new QuietLog(name));
    tool.generate();
    List<Problem> severe = tool.getProblemProvider().getSevereProblems();
    if (!severe.isEmpty()) {
      StringBuilder sb = new StringBuilder(name + ": TeaVM reported errors:");
      for (Problem p : severe) {
        DefaultProblemTextConsumer text = new DefaultProblemTextConsumer();
        p.render(text);
        sb.append("\n  ").append(text.getText());
        if (p.getLocation() != null && p.getLocation().getMethod() != null) {
          sb.append(" (in ").append(p.getLocation().getMethod()).append(')');
        }
      }
      throw new IllegalStateException(sb.toString());
    }
    Path wasm = outDir.toPath().resolve(name + ".wasm");
    long teavmMillis = (System.nanoTime() - start) / 1_000_000;
    check(name, wasm);
    long size = Files.size(wasm);
    String optimized = "";
    if (!"false".equals(System.getProperty("wasm.opt")) && onPath("wasm-opt")) {
      Path opt = outDir.toPath().resolve(name + ".opt.wasm");
      Process p =
          new ProcessBuilder(
                  "wasm-opt",
                  "-Oz",
                  "--enable-bulk-memory",
                  "--enable-nontrapping-float-to-int",
                  wasm.toString(),
                  "-o",
                  opt.toString())
              .inheritIO()
              .start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(name + ": wasm-opt failed");
      }
      check(name + " (wasm-opt)", opt);
      Files.move(opt, wasm, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      optimized = ", " + Files.size(wasm) + " bytes after wasm-opt -Oz";
    }
    return name
        + ".wasm: "
        + size
        + " bytes"
        + optimized
        + ", TeaVM "
        + teavmMillis
        + " ms, imports checked";
  }

  static void check(String name, Path wasm) throws IOException {
    byte[] bytes = Files.readAllBytes(wasm);
    try {
      // Full validation (types, stack shapes): V8 rejects an invalid module at load time.
      com.dylibso.chicory.wasm.Parser.parse(bytes);
    } catch (RuntimeException e) {
      throw new IllegalStateException(name + ": invalid Wasm: " + e.getMessage(), e);
    }
    WasmModuleInfo info = WasmModuleInfo.read(bytes);
    List<String> violations = ImportAllowList.violations(info);
    if (!violations.isEmpty()) {
      throw new IllegalStateException(
          name + ": module cannot be loaded by Envoy:\n  " + String.join("\n  ", violations));
    }
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }

  /** TeaVM's progress chatter is dropped; warnings and errors are printed with the filter name. */
  private static final class QuietLog implements TeaVMToolLog {
    private final String name;

    QuietLog(String name) {
      this.name = name;
    }

    @Override
    public void info(String text) {}

    @Override
    public void debug(String text) {}

    @Override
    public void warning(String text) {
      System.out.println("[wasm] " + name + ": warning: " + text);
    }

    @Override
    public void error(String text) {
      System.out.println("[wasm] " + name + ": error: " + text);
    }

    @Override
    public void info(String text, Throwable e) {}

    @Override
    public void debug(String text, Throwable e) {}

    @Override
    public void warning(String text, Throwable e) {
      warning(text + ": " + e);
    }

    @Override
    public void error(String text, Throwable e) {
      error(text + ": " + e);
    }
  }
}

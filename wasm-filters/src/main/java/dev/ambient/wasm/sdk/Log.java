package dev.ambient.wasm.sdk;

/** The host's log ({@code proxy_log}); in Envoy it lands in the {@code wasm} logger. */
public final class Log {
  public static final int TRACE = 0;
  public static final int DEBUG = 1;
  public static final int INFO = 2;
  public static final int WARN = 3;
  public static final int ERROR = 4;
  public static final int CRITICAL = 5;

  private Log() {}

  public static void trace(String message) {
    log(TRACE, message);
  }

  public static void debug(String message) {
    log(DEBUG, message);
  }

  public static void info(String message) {
    log(INFO, message);
  }

  public static void warn(String message) {
    log(WARN, message);
  }

  public static void error(String message) {
    log(ERROR, message);
  }

  public static void critical(String message) {
    log(CRITICAL, message);
  }

  public static void log(int level, String message) {
    HostCalls.log(level, Utf8.encode(message == null ? "null" : message));
  }

  /** The host's current level; callers can skip building expensive messages below it. */
  public static int level() {
    return HostCalls.logLevel();
  }

  /**
   * Logs on error paths. {@code proxy_log}'s status is ignored, so this does not throw (and has no
   * try/catch, which TeaVM would nest inside the caller's handler).
   */
  static void quietly(int level, String message) {
    log(level, message);
  }
}

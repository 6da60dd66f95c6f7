package dev.ambient.api.config;

import dev.ambient.api.authz.IpLiteral;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Parses command-line values shared by every mesh command, with errors that name the option. Host
 * parts are IP literals ({@code localhost} allowed), never looked up in DNS.
 */
public final class CliValues {
  private CliValues() {}

  /**
   * {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, {@code 500ms} or ISO-8601 ({@code PT24H}).
   */
  public static Duration duration(String option, String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (t.startsWith("p")) {
        d = Duration.parse(t.toUpperCase(Locale.ROOT));
      } else if (t.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      } else {
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        d =
            switch (t.charAt(t.length() - 1)) {
              case 's' -> Duration.ofSeconds(n);
              case 'm' -> Duration.ofMinutes(n);
              case 'h' -> Duration.ofHours(n);
              case 'd' -> Duration.ofDays(n);
              default -> throw new NumberFormatException();
            };
      }
      if (d.isNegative()) {
        throw new IllegalArgumentException(option + ": must not be negative");
      }
      return d;
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException(
          option + ": \"" + text + "\" is not a duration like 90s, 30m, 24h or PT24H");
    }
  }

  /** {@code ip:port} or {@code [v6]:port}; port 0 means "any free port". */
  public static InetSocketAddress hostPort(String option, String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(option + ": \"" + text + "\" is not ip:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.equals("localhost")) {
      host = "127.0.0.1";
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": port of \"" + text + "\" is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + ": port " + port + " is not in 0..65535");
    }
    try {
      return new InetSocketAddress(IpLiteral.parse(host), port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }
}

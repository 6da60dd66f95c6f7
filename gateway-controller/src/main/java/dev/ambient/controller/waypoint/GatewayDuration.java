package dev.ambient.controller.waypoint;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GEP-2257 durations ({@code 1h30m}, {@code 500ms}): one to four parts of one to five digits and a
 * unit h, m, s or ms, summed as Go's {@code time.ParseDuration} does.
 */
public final class GatewayDuration {
  private static final Pattern WHOLE = Pattern.compile("^([0-9]{1,5}(h|m|s|ms)){1,4}$");
  private static final Pattern PART = Pattern.compile("([0-9]{1,5})(ms|h|m|s)");

  private GatewayDuration() {}

  /**
   * @throws IllegalArgumentException naming the value when it is not a GEP-2257 duration
   */
  public static Duration parse(String text) {
    if (text == null || !WHOLE.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a Gateway API duration (like 10s, 1m30s or 500ms)");
    }
    Duration total = Duration.ZERO;
    Matcher m = PART.matcher(text);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMillis(n);
              });
    }
    return total;
  }
}

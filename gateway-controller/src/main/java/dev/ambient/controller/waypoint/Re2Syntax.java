package dev.ambient.controller.waypoint;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A best-effort check that a regex is valid RE2, the syntax Envoy's {@code safe_regex} accepts:
 * Envoy rejects the whole route table for one bad regex, so a rule with one is left out here
 * instead. Catches what does not parse at all and the common constructs RE2 lacks (lookaround,
 * backreferences, atomic groups, possessive quantifiers); what passes can still exceed Envoy's
 * program-size limit, which Envoy reports as a NACK.
 */
final class Re2Syntax {
  private Re2Syntax() {}

  /** Why {@code regex} is not RE2, or {@code null} when nothing was found. */
  static String problem(String regex) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      return "not a valid regular expression: " + e.getDescription();
    }
    boolean inClass = false;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      char next = i + 1 < regex.length() ? regex.charAt(i + 1) : 0;
      if (c == '\\') {
        if (!inClass && next >= '1' && next <= '9') {
          return "backreferences (\\" + next + ") are not supported by RE2";
        }
        if (!inClass && (next == 'k' || next == 'G' || next == 'Z' || next == 'R' || next == 'X')) {
          return "\\" + next + " is not supported by RE2";
        }
        i++; // the escaped character
        continue;
      }
      if (inClass) {
        inClass = c != ']';
        continue;
      }
      if (c == '[') {
        inClass = true;
        if (next == '^') {
          i++;
        }
        if (i + 1 < regex.length() && regex.charAt(i + 1) == ']') {
          i++; // a leading ] is a literal
        }
        continue;
      }
      if (c == '(' && next == '?') {
        String rest = regex.substring(i + 2);
        if (rest.startsWith("=")
            || rest.startsWith("!")
            || rest.startsWith("<=")
            || rest.startsWith("<!")) {
          return "lookaround is not supported by RE2";
        }
        if (rest.startsWith(">")) {
          return "atomic groups are not supported by RE2";
        }
      }
      if ((c == '*' || c == '+' || c == '?' || c == '}') && next == '+') {
        return "possessive quantifiers are not supported by RE2";
      }
    }
    return null;
  }
}

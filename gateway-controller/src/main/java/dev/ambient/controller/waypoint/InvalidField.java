package dev.ambient.controller.waypoint;

/** A field of an HTTPRoute the waypoint cannot apply: which field and why. */
final class InvalidField extends Exception {
  private static final long serialVersionUID = 1L;
  private final String field;

  InvalidField(String field, String reason) {
    super(reason, null, false, false);
    this.field = field;
  }

  String field() {
    return field;
  }

  String reason() {
    return getMessage();
  }
}

package dev.ambient.wasm.sdk;

/** proxy-wasm ABI 0.2.1 result codes, as returned by every host function. */
final class Status {
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int BAD_ARGUMENT = 2;
  static final int SERIALIZATION_FAILURE = 3;
  static final int PARSE_FAILURE = 4;
  static final int BAD_EXPRESSION = 5;
  static final int INVALID_MEMORY_ACCESS = 6;
  static final int EMPTY = 7;
  static final int CAS_MISMATCH = 8;

  private Status() {}

  static String name(int status) {
    switch (status) {
      case OK:
        return "Ok";
      case NOT_FOUND:
        return "NotFound";
      case BAD_ARGUMENT:
        return "BadArgument";
      case SERIALIZATION_FAILURE:
        return "SerializationFailure";
      case PARSE_FAILURE:
        return "ParseFailure";
      case BAD_EXPRESSION:
        return "BadExpression";
      case INVALID_MEMORY_ACCESS:
        return "InvalidMemoryAccess";
      case EMPTY:
        return "Empty";
      case CAS_MISMATCH:
        return "CasMismatch";
      default:
        return "status " + status;
    }
  }
}

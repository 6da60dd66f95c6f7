package dev.ambient.wasm.sdk;

/** What a stream callback tells the host: go on, or stop this direction until resumed. */
public enum Action {
  CONTINUE(0),
  PAUSE(1);

  final int code;

  Action(int code) {
    this.code = code;
  }
}

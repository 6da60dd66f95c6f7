package dev.ambient.wasm.sdk;

/** Access to the stream's bodies as the host buffers them ({@code proxy_get_buffer_bytes}). */
public final class Body {
  static final int HTTP_REQUEST_BODY = 0;
  static final int HTTP_RESPONSE_BODY = 1;
  static final int VM_CONFIGURATION = 6;
  static final int PLUGIN_CONFIGURATION = 7;

  private final int bufferType;

  private Body(int bufferType) {
    this.bufferType = bufferType;
  }

  public static final Body REQUEST = new Body(HTTP_REQUEST_BODY);
  public static final Body RESPONSE = new Body(HTTP_RESPONSE_BODY);

  /** Bytes {@code [start, start+length)} of the buffered body, or an empty array if none. */
  public byte[] read(int start, int length) {
    byte[] b = HostCalls.getBuffer(bufferType, start, length);
    return b == null ? new byte[0] : b;
  }

  /** Replaces bytes {@code [start, start+length)} of the buffered body with {@code data}. */
  public void replace(int start, int length, byte[] data) {
    HostCalls.setBuffer(bufferType, start, length, data);
  }
}

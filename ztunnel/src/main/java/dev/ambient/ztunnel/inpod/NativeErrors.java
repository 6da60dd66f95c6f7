package dev.ambient.ztunnel.inpod;

import com.sun.jna.LastErrorException;
import java.io.IOException;

/** Turns a failed libc call into an IOException that says which call, on what, and the errno. */
final class NativeErrors {
  private NativeErrors() {}

  static IOException of(String call, LastErrorException e) {
    int errno = e.getErrorCode();
    return new IOException(call + " failed: errno " + errno + " (" + name(errno) + ")", e);
  }

  private static String name(int errno) {
    switch (errno) {
      case 1:
        return "EPERM";
      case 2:
        return "ENOENT";
      case 9:
        return "EBADF";
      case 13:
        return "EACCES";
      case 22:
        return "EINVAL";
      case 24:
        return "EMFILE";
      case 88:
        return "ENOTSOCK";
      case 92:
        return "ENOPROTOOPT";
      case 107:
        return "ENOTCONN";
      default:
        return "see errno(3)";
    }
  }
}

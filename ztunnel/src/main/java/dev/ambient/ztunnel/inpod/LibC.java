package dev.ambient.ztunnel.inpod;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;

/**
 * The few libc calls in-pod mode needs. Each throws {@link LastErrorException} carrying errno; the
 * callers turn it into an {@link java.io.IOException} naming the call.
 */
interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int O_RDONLY = 0;
  int O_CLOEXEC = 0x80000;
  int CLONE_NEWNET = 0x40000000;
  int SOL_IP = 0;
  int SOL_IPV6 = 41;
  int SOL_SOCKET = 1;
  int SO_MARK = 36;
  int SO_ORIGINAL_DST = 80;
  int IP6T_SO_ORIGINAL_DST = 80;

  int open(String path, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int setns(int fd, int nstype) throws LastErrorException;

  int getsockopt(int fd, int level, int name, byte[] value, IntByReference length)
      throws LastErrorException;

  int setsockopt(int fd, int level, int name, IntByReference value, int length)
      throws LastErrorException;
}

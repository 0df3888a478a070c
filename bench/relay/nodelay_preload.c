/*
 * nodelay_preload.c: an LD_PRELOAD shim that turns on TCP_NODELAY for
 * every socket a process accepts, so bench/relay.sh (RELAY_NODELAY=1) can
 * show what vc-server's WebSocket path costs and delays without Nagle's
 * algorithm before the server sets the option itself. With it, a small
 * message queued while an earlier one is unacknowledged leaves at once
 * instead of waiting for the receiver's (possibly delayed) ACK.
 *
 * A diagnostic, not a fix: it changes nothing once the server sets
 * TCP_NODELAY on its accepted sockets.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static accept4_fn real;
  int c, one = 1;

  if (!real) {
    /* ISO C has no cast from object to function pointer: copy the bits. */
    void *sym = dlsym(RTLD_NEXT, "accept4");
    memcpy(&real, &sym, sizeof(real));
  }
  c = real(fd, addr, len, flags);
  if (c >= 0) {
    (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return c;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  return accept4(fd, addr, len, 0);
}

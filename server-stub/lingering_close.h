/*
 * lingering_close.h: closing a connection so that the client reads our
 * last response. close() on a socket with unread input makes the kernel
 * send a reset, and a client that gets the reset before it reads throws
 * the response away: the 503 at the connection limit was usually lost
 * that way (issue 20, finding 7). Here the write side is shut down (the
 * response, then a FIN), and what the client still sends is read and
 * dropped until it closes too, for a bounded time and number of bytes,
 * with a bounded number of sockets lingering at once (RFC 9112 §9.6).
 */
#ifndef VC_SERVER_LINGERING_CLOSE_H
#define VC_SERVER_LINGERING_CLOSE_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

/* A socket lingers at most this long ... */
#define VC_LINGER_TIMEOUT_S 2.0
/* ... and reads at most this much before it is closed anyway. */
#define VC_LINGER_MAX_BYTES ((size_t)64 * 1024)
/* Sockets lingering at once; past this a socket is closed at once, as
 * before (each one holds a descriptor). */
#define VC_LINGER_MAX_SOCKETS 256

typedef struct vc_lingering vc_lingering;

int vc_lingering_new(vc_lingering **pl, struct ev_loop *loop);

/* Closes every lingering socket at once and frees |l|. */
void vc_lingering_del(vc_lingering *l);

/*
 * Takes over |fd|, whose last bytes were sent (or queued in the kernel):
 * shuts its write side and closes it once the client closes, or after
 * VC_LINGER_TIMEOUT_S, or after VC_LINGER_MAX_BYTES more were read.
 * |l| may be NULL: then |fd| is closed at once.
 */
void vc_lingering_close(vc_lingering *l, int fd);

typedef struct vc_lingering_stats {
  unsigned lingering;      /* sockets lingering now */
  uint64_t closed_at_once; /* over VC_LINGER_MAX_SOCKETS */
} vc_lingering_stats;

void vc_lingering_get_stats(const vc_lingering *l, vc_lingering_stats *st);

#endif /* VC_SERVER_LINGERING_CLOSE_H */

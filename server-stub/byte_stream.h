/*
 * byte_stream.h: a non-blocking byte stream over a TCP socket, in the
 * clear or through TLS (GnuTLS), so that the HTTP and WebSocket servers
 * read and write the same way on both. A stream moves with its socket
 * when HTTP upgrades to WebSocket.
 */
#ifndef VC_SERVER_BYTE_STREAM_H
#define VC_SERVER_BYTE_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

/* The call would block: wait for the events vc_byte_stream_wants says. */
#define VC_STREAM_AGAIN (-11)
/* The peer broke the stream (reset, bad TLS); close it. */
#define VC_STREAM_BROKEN (-5)

typedef struct vc_byte_stream {
  int fd;
  gnutls_session_t tls; /* NULL: in the clear */
  int handshake_done;   /* always 1 in the clear */
  size_t send_pending;  /* bytes of a TLS record send that must be resumed */
} vc_byte_stream;

/* In the clear over |fd|. */
void vc_byte_stream_plain(vc_byte_stream *s, int fd);

/* A TLS server over |fd| with |cred| (ALPN http/1.1). Returns 0, or -1
 * (nothing to free). */
int vc_byte_stream_tls_server(vc_byte_stream *s, int fd,
                              gnutls_certificate_credentials_t cred);

/* Drives the TLS handshake: 1 done, VC_STREAM_AGAIN, VC_STREAM_BROKEN. */
int vc_byte_stream_handshake(vc_byte_stream *s);

/* Bytes read (> 0), 0 at the end of the stream, VC_STREAM_AGAIN or
 * VC_STREAM_BROKEN. */
ssize_t vc_byte_stream_recv(vc_byte_stream *s, void *buf, size_t len);

/* Bytes taken (> 0), VC_STREAM_AGAIN or VC_STREAM_BROKEN. After AGAIN,
 * call again with at least the bytes offered before: TLS resumes the
 * record it began. */
ssize_t vc_byte_stream_send(vc_byte_stream *s, const void *buf, size_t len);

/* Decrypted bytes waiting inside TLS, which the socket's readiness will
 * not announce. */
size_t vc_byte_stream_buffered(const vc_byte_stream *s);

/* EV_READ and/or EV_WRITE for a blocked handshake or send in TLS; 0 in
 * the clear (the caller knows what it waits for). */
int vc_byte_stream_direction_is_write(const vc_byte_stream *s);

/* Ends writing (a TLS close_notify, then a TCP half-close); best effort. */
void vc_byte_stream_shutdown_write(vc_byte_stream *s);

/* Frees TLS and closes the socket. */
void vc_byte_stream_close(vc_byte_stream *s);

#endif /* VC_SERVER_BYTE_STREAM_H */

/*
 * byte_stream.c: see byte_stream.h. GnuTLS runs non-blocking on the
 * socket itself (its default push and pull are send and recv).
 */
#define _GNU_SOURCE
#include "byte_stream.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void vc_byte_stream_plain(vc_byte_stream *s, int fd) {
  memset(s, 0, sizeof(*s));
  s->fd = fd;
  s->handshake_done = 1;
}

int vc_byte_stream_tls_server(vc_byte_stream *s, int fd,
                              gnutls_certificate_credentials_t cred) {
  static const gnutls_datum_t http11 = {(unsigned char *)"http/1.1", 8};

  memset(s, 0, sizeof(*s));
  s->fd = fd;
  if (gnutls_init(&s->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK) != 0) {
    s->tls = NULL;
    return -1;
  }
  if (gnutls_set_default_priority(s->tls) != 0 ||
      gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, cred) != 0 ||
      gnutls_alpn_set_protocols(s->tls, &http11, 1, 0) != 0) {
    gnutls_deinit(s->tls);
    s->tls = NULL;
    return -1;
  }
  gnutls_certificate_server_set_request(s->tls, GNUTLS_CERT_IGNORE);
  gnutls_transport_set_int(s->tls, fd);
  return 0;
}

int vc_byte_stream_handshake(vc_byte_stream *s) {
  int rv;

  if (s->handshake_done) {
    return 1;
  }
  rv = gnutls_handshake(s->tls);
  if (rv == 0) {
    s->handshake_done = 1;
    return 1;
  }
  if (rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED ||
      !gnutls_error_is_fatal(rv)) {
    return VC_STREAM_AGAIN;
  }
  return VC_STREAM_BROKEN;
}

ssize_t vc_byte_stream_recv(vc_byte_stream *s, void *buf, size_t len) {
  ssize_t n;

  if (!s->tls) {
    do {
      n = recv(s->fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      return n;
    }
    return errno == EAGAIN ? VC_STREAM_AGAIN : VC_STREAM_BROKEN;
  }
  do {
    n = gnutls_record_recv(s->tls, buf, len);
  } while (n == GNUTLS_E_INTERRUPTED);
  if (n >= 0) {
    return n;
  }
  if (n == GNUTLS_E_AGAIN) {
    return VC_STREAM_AGAIN;
  }
  if (n == GNUTLS_E_PREMATURE_TERMINATION) {
    return 0; /* closed without close_notify: an end all the same */
  }
  return VC_STREAM_BROKEN;
}

ssize_t vc_byte_stream_send(vc_byte_stream *s, const void *buf, size_t len) {
  ssize_t n;

  if (!s->tls) {
    do {
      n = send(s->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      return n;
    }
    return errno == EAGAIN ? VC_STREAM_AGAIN : VC_STREAM_BROKEN;
  }
  /* A record begun and blocked must be finished as it was: GnuTLS wants
   * the call repeated with no data, and then reports the original size. */
  do {
    n = s->send_pending ? gnutls_record_send(s->tls, NULL, 0)
                        : gnutls_record_send(s->tls, buf, len);
  } while (n == GNUTLS_E_INTERRUPTED);
  if (n == GNUTLS_E_AGAIN) {
    if (!s->send_pending) {
      s->send_pending = len;
    }
    return VC_STREAM_AGAIN;
  }
  s->send_pending = 0;
  return n >= 0 ? n : VC_STREAM_BROKEN;
}

size_t vc_byte_stream_buffered(const vc_byte_stream *s) {
  return s->tls ? gnutls_record_check_pending(s->tls) : 0;
}

int vc_byte_stream_direction_is_write(const vc_byte_stream *s) {
  return s->tls && gnutls_record_get_direction(s->tls) == 1;
}

void vc_byte_stream_shutdown_write(vc_byte_stream *s) {
  if (s->tls && s->handshake_done) {
    (void)gnutls_bye(s->tls, GNUTLS_SHUT_WR); /* non-blocking: may not finish */
  }
  shutdown(s->fd, SHUT_WR);
}

void vc_byte_stream_close(vc_byte_stream *s) {
  if (s->tls) {
    gnutls_deinit(s->tls);
    s->tls = NULL;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

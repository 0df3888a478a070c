/*
 * quic_server.h: WebTransport sessions over QUIC on a libev loop
 * (docs/SERVER.md "WebTransport").
 *
 * This module owns the UDP sockets, the table of connection ids, one
 * ngtcp2 connection with a GnuTLS session per client, their timers and
 * the write scheduler. Each connection runs the sans-I/O HTTP/3 and
 * WebTransport layer (h3wt.h); the application above sees only
 * WebTransport sessions: asked for, stream bytes, datagrams, closed.
 *
 * ngtcp2 does not copy stream data: every byte written stays in an
 * append-only chunk list of its stream until the peer acknowledges it,
 * and each stream's list has a cap (max_stream_tx_bytes).
 *
 * Callbacks into the application run from this module's event handlers
 * only. What the application asks for from elsewhere (a write, a close
 * from inside another transport's handler) is queued and carried out
 * before the loop next waits, so no callback ever runs inside another.
 */
#ifndef VC_SERVER_QUIC_SERVER_H
#define VC_SERVER_QUIC_SERVER_H

#include <ev.h>
#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "h3wt.h"
#include "quic_admission.h"
#include "quic_limit_stats.h"

typedef struct vc_quic_server vc_quic_server;
typedef struct vc_wt_session vc_wt_session;

typedef struct vc_wt_app {
  /* A session is asked for. Return 200 to accept it (the session is the
   * application's until session_closed), or an HTTP status to refuse it
   * (|s| is gone on return). */
  int (*session_request)(void *app, vc_wt_session *s,
                         const vc_h3wt_request *req);
  /* |s| ended, whoever ended it; it is freed on return. */
  void (*session_closed)(void *app, vc_wt_session *s);
  /* Bytes of a stream the client opened in |s| (bidirectional or not). */
  void (*stream_data)(void *app, vc_wt_session *s, int64_t stream_id,
                      const uint8_t *data, size_t len, int fin);
  /* A datagram of |s|. */
  void (*datagram)(void *app, vc_wt_session *s, const uint8_t *data,
                   size_t len);
  /* The client reset one of its streams in |s|; our side of it is
   * reset too (nothing more can be written on it). May be NULL. */
  void (*stream_reset)(void *app, vc_wt_session *s, int64_t stream_id);
  void *app;
} vc_wt_app;

typedef struct vc_quic_server_config {
  const char *const *listen_addrs; /* numeric IPv4/IPv6 addresses */
  size_t n_listen_addrs;
  uint16_t port; /* 0: any free port, the same on every address */
  unsigned max_connections;
  double idle_timeout_s;
  /* Bytes queued and not yet acknowledged on one stream. */
  size_t max_stream_tx_bytes;
  /* Datagrams waiting to be sent on one connection. */
  size_t max_datagrams_queued;
  /* Unidirectional streams a client may open over a connection's life
   * (each costs ngtcp2 0.12.1 about 245 bytes until the end). */
  unsigned max_client_uni_streams;
  /* New connections per source address (quic_admission.h). */
  vc_quic_admission_config admission;
  /* With this many handshakes under way (or the table half full), new
   * clients get a Retry first (RFC 9000 §8.1). */
  unsigned retry_above_handshakes;
  /* Packets one connection may have processed: a bucket of
   * |conn_packets.burst| refilled at |conn_packets.per_second| (12 MB/s
   * of full packets, five times the media rate limit); the excess is
   * dropped before decryption. */
  vc_token_rule conn_packets;
} vc_quic_server_config;

/* max_connections 1024, idle_timeout_s 30, max_stream_tx_bytes 4 MiB,
 * max_datagrams_queued 256, max_client_uni_streams 1000,
 * retry_above_handshakes 64, conn_packets 10000/s with bursts of
 * 2000, admission's defaults; no addresses, port 0. */
void vc_quic_server_default_config(vc_quic_server_config *cfg);

/*
 * Binds UDP on every address and starts serving with |cred| (the caller's;
 * it must outlive the server or be replaced first). An address that
 * cannot be bound is logged and skipped; it is an error only when none
 * can be. Returns 0 or a negative code (logged).
 */
int vc_quic_server_start(vc_quic_server **psrv, struct ev_loop *loop,
                         const vc_quic_server_config *cfg,
                         gnutls_certificate_credentials_t cred,
                         const vc_wt_app *app);

/* New connections use |cred| from now on (certificate rotation). */
void vc_quic_server_set_credentials(vc_quic_server *srv,
                                    gnutls_certificate_credentials_t cred);

uint16_t vc_quic_server_port(const vc_quic_server *srv);

/* Closes every connection (CONNECTION_CLOSE, H3_NO_ERROR) and frees the
 * server; session_closed is called for every open session. */
void vc_quic_server_stop(vc_quic_server *srv);

typedef struct vc_quic_server_stats {
  unsigned connections;
  unsigned sessions;
  uint64_t handshakes;
  uint64_t packets_in, packets_out;
  uint64_t bytes_in, bytes_out;
  uint64_t packets_dropped;   /* empty, unknown connection, not an Initial */
  uint64_t udp_overflows;     /* lost in the kernel: the socket buffer full */
  uint64_t datagrams_stale;   /* waited over 200 ms to be read: dropped */
  uint64_t send_failed;       /* the socket's buffer was full: resent */
  uint64_t refused_too_many;  /* Initials over max_connections */
  uint64_t conn_errors;       /* connections closed on an error */
  uint64_t stream_queue_full; /* writes refused: a stream's cap */
  uint64_t datagrams_dropped; /* queue full or too large */
  uint64_t sessions_refused;
  vc_h3wt_stats h3; /* summed over connections closed and open */
  vc_quic_limit_stats limits;
} vc_quic_server_stats;

void vc_quic_server_get_stats(const vc_quic_server *srv,
                              vc_quic_server_stats *st);

/* ---- one WebTransport session ---------------------------------------- */

void vc_wt_session_set_user_data(vc_wt_session *s, void *user_data);
void *vc_wt_session_get_user_data(const vc_wt_session *s);

/* "127.0.0.1:53211": the client's address, for logs. */
const char *vc_wt_session_peer(const vc_wt_session *s);

/*
 * Queues |len| bytes, and FIN when |fin|, on |stream_id| (a bidirectional
 * stream the client opened in |s|); they are copied. Returns 0,
 * VC_ERR_QUEUE_FULL when the stream already holds max_stream_tx_bytes
 * (nothing is queued then), VC_ERR_STATE when the session is closing.
 */
int vc_wt_session_write(vc_wt_session *s, int64_t stream_id,
                        const uint8_t *data, size_t len, int fin);

/* Bytes queued on |stream_id| and not yet acknowledged by the peer. */
size_t vc_wt_session_queued(const vc_wt_session *s, int64_t stream_id);

/* Queues one datagram of |s| (copied). Returns 0, VC_ERR_TOO_BIG when it
 * cannot fit in a packet, VC_ERR_QUEUE_FULL, or VC_ERR_STATE. */
int vc_wt_session_send_datagram(vc_wt_session *s, const uint8_t *data,
                                size_t len);

/* Closes |s| with |code| and |reason| (CLOSE_WEBTRANSPORT_SESSION), then
 * its connection once that is sent. session_closed follows, from the
 * loop, not from inside this call. What is still unacknowledged on the
 * session's streams may be lost: the browser drops a closed session's
 * streams. */
void vc_wt_session_close(vc_wt_session *s, uint32_t code, const char *reason);

/* The same, once everything written on the connection's bidirectional
 * streams is acknowledged (or after VC_WT_FLUSH_TIMEOUT_S): a goodbye
 * written just before reaches the page. */
void vc_wt_session_close_after_flush(vc_wt_session *s, uint32_t code,
                                     const char *reason);

#define VC_WT_FLUSH_TIMEOUT_S 2.0

#endif /* VC_SERVER_QUIC_SERVER_H */

/*
 * wt_client.h: a small WebTransport client for integration tests, on
 * ngtcp2 0.12's client API with GnuTLS (WebTransport over HTTP/3
 * draft-02, what vc-server and Chromium speak; see
 * shared/docs/WEBTRANSPORT-NOTES.md and docs/SERVER.md "Meetings over
 * WebTransport").
 *
 * One client is one QUIC connection from its own non-blocking UDP
 * socket. HTTP/3 is spoken only as far as a session needs: the control
 * stream with SETTINGS, one extended CONNECT (QPACK without a dynamic
 * table, through nghttp3's encoder and decoder), the response's
 * :status, the CLOSE_WEBTRANSPORT_SESSION capsule, WebTransport streams
 * and datagrams. Nothing blocks: the caller polls wt_client_fd (or calls
 * wt_client_step), so one thread drives many clients and other sockets
 * beside them.
 *
 * A test also needs to misbehave, so the client can write any bytes on
 * any stream, open streams until QUIC's credit runs out, send arbitrary
 * UDP packets, stop reading (keep its flow-control credit, or leave its
 * socket unread) and vanish without a CONNECTION_CLOSE.
 */
#ifndef VC_TESTS_WT_CLIENT_H
#define VC_TESTS_WT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct wt_client wt_client;

/* Errors of the calls below (never a crash on the server's input). */
#define WT_ERR_STATE -1  /* not connected, session not open, closed */
#define WT_ERR_FULL -2   /* a send queue is at its cap: nothing queued */
#define WT_ERR_CREDIT -3 /* the server's stream credit is used up */
#define WT_ERR_NOMEM -4
#define WT_ERR_ARG -5
#define WT_ERR_NET -6 /* socket or TLS set-up failed */

typedef struct wt_client_config {
  const char *host; /* numeric IPv4 or IPv6 address of the server */
  uint16_t port;
  /* :authority; NULL for "host:port" ("[host]:port" for IPv6). */
  const char *authority;
  /* The CONNECT's :path; NULL: no session is asked for (a bare HTTP/3
   * connection, for tests of streams outside any session). */
  const char *path;
  const char *origin; /* NULL: no origin field (a native client) */
  /* SHA-256 of the certificate's DER that the server must present; NULL
   * skips verification. */
  const uint8_t *cert_sha256;
  int rcvbuf; /* SO_RCVBUF; 0 for the system's default */
  /* Flow-control credit the server gets per stream and per connection
   * (0: 1 MiB and 8 MiB). */
  uint64_t stream_window, conn_window;
  /* Unacknowledged bytes one stream may hold (0: 4 MiB), datagrams
   * waiting to be sent (0: 256). */
  size_t max_stream_tx_bytes;
  size_t max_datagrams_queued;
  double idle_timeout_s; /* 0: 30 s, as the server */
  /* The source address to bind (numeric, the server's family); NULL:
   * the kernel's choice. Read by wt_client_new only. */
  const char *local_host;
} wt_client_config;

/* All may be NULL. Data is valid only during the call; nothing else may
 * be done with the client from inside one except writes and sends. */
typedef struct wt_client_callbacks {
  /* Bytes the server sent on a stream we opened (the meeting stream's
   * replies carry no WebTransport header). */
  void (*stream_data)(void *user_data, int64_t stream_id, const uint8_t *data,
                      size_t len, int fin);
  /* A datagram of our session, its quarter-stream-id removed. */
  void (*datagram)(void *user_data, const uint8_t *data, size_t len);
  void *user_data;
} wt_client_callbacks;

/* What happened so far; read it with wt_client_status. */
typedef struct wt_client_status {
  int handshake_done;
  int settings_received; /* the server's HTTP/3 SETTINGS */
  /* What they said: ENABLE_WEBTRANSPORT (draft-02) and H3_DATAGRAM. */
  int server_webtransport, server_h3_datagram;
  int closed;           /* the connection is gone (either side) */
  int handshake_failed; /* closed before the handshake completed */
  /* The server's CONNECTION_CLOSE: its code, application (1) or
   * transport (0); valid when |peer_closed|. */
  int peer_closed;
  int peer_close_app;
  uint64_t peer_close_code;
  int session_status; /* the CONNECT's :status; 0 until it arrives */
  /* The server ended the session: CLOSE_WEBTRANSPORT_SESSION (code and
   * reason) or a plain FIN on the CONNECT stream (code 0). */
  int session_closed;
  uint32_t session_close_code;
  char session_close_reason[256];
  uint64_t packets_in, packets_out;
  uint64_t datagrams_in, datagrams_out;
  uint64_t datagrams_dropped; /* queue full, or too large for a packet */
  uint64_t streams_reset;     /* by the server (RESET_STREAM) */
} wt_client_status;

/* Sets |cfg| to no path, no origin, no verification and the defaults. */
void wt_client_config_default(wt_client_config *cfg);

/*
 * Opens the socket and starts the handshake (the first packets go out
 * with the first wt_client_step). The session, if |cfg->path| asks for
 * one, is requested as soon as the server's SETTINGS arrive. |cfg|'s
 * strings and hash are copied; |cb| may be NULL. Returns 0 or a WT_ERR_.
 */
int wt_client_new(wt_client **pc, const wt_client_config *cfg,
                  const wt_client_callbacks *cb);

/* Sends CONNECTION_CLOSE unless the client vanished or is closed, and
 * frees everything. */
void wt_client_del(wt_client *c);

const wt_client_status *wt_client_status_get(const wt_client *c);

/* The socket to poll and the events to poll it for (0 when reading
 * stopped or the client is gone), and how long the caller may wait
 * before wt_client_io must run (ms; -1: no timer). */
int wt_client_fd(const wt_client *c);
short wt_client_poll_events(const wt_client *c);
int wt_client_timeout_ms(const wt_client *c);

/* Reads what waits on the socket (unless reading stopped), runs due
 * timers and writes everything ngtcp2 will send now. Call it after
 * poll, whatever poll said. Returns 0, or WT_ERR_STATE once closed. */
int wt_client_io(wt_client *c);

/* Writes what the caller queued since (no reading, no timers): after
 * writes made outside wt_client_io. Not from inside a callback. */
int wt_client_flush(wt_client *c);

/* Polls the client's own socket for at most |timeout_ms|, then
 * wt_client_io. */
int wt_client_step(wt_client *c, int timeout_ms);

/* The session is open (2xx) and not closed. */
int wt_client_session_open(const wt_client *c);

/* ---- the session ------------------------------------------------------- */

/* Opens a bidirectional WebTransport stream of the session (its header,
 * 0x41 and the session id, is queued first). WT_ERR_CREDIT when the
 * server allows no more streams now. */
int wt_client_open_stream(wt_client *c, int64_t *stream_id);

/* Queues |len| bytes (copied) and FIN when |fin| on a stream we opened.
 * WT_ERR_FULL when the stream already holds max_stream_tx_bytes
 * unacknowledged. */
int wt_client_write(wt_client *c, int64_t stream_id, const uint8_t *data,
                    size_t len, int fin);

/* Bytes queued on |stream_id| and not yet acknowledged. */
size_t wt_client_queued(const wt_client *c, int64_t stream_id);

/* Queues one datagram of the session (copied). WT_ERR_FULL (counted as
 * dropped) when max_datagrams_queued wait already. */
int wt_client_send_datagram(wt_client *c, const uint8_t *data, size_t len);

/* Ends the session politely: CLOSE_WEBTRANSPORT_SESSION and FIN. */
int wt_client_close_session(wt_client *c, uint32_t code, const char *reason);

/* ---- misbehaving ------------------------------------------------------- */

/* Opens a raw bidirectional or unidirectional stream: nothing is written
 * on it (write the type or header yourself). WT_ERR_CREDIT when the
 * server's stream limit is reached. */
int wt_client_open_raw_stream(wt_client *c, int bidi, int64_t *stream_id);

/* Queues |len| bytes as a QUIC DATAGRAM frame as they are: no quarter
 * stream id is added (write a bad one, or none). */
int wt_client_send_raw_datagram(wt_client *c, const uint8_t *data, size_t len);

/* Streams we may still open now (QUIC's MAX_STREAMS credit). */
uint64_t wt_client_streams_left(wt_client *c, int bidi);

/* Sends |len| arbitrary bytes as one UDP packet from the client's own
 * socket, outside QUIC. */
int wt_client_send_udp(wt_client *c, const uint8_t *data, size_t len);

/* Sends |len| bytes as one UDP packet to host:port from a fresh socket. */
int wt_udp_send(const char *host, uint16_t port, const uint8_t *data,
                size_t len);

typedef enum wt_client_reading {
  WT_READ_ALL,       /* normal */
  WT_READ_NO_CREDIT, /* read and acknowledge, but return no flow-control
                        credit: the server's stream writes stall */
  WT_READ_NONE       /* leave the socket unread: nothing is
                        acknowledged, the kernel drops what overflows */
} wt_client_reading;

/* Switching back to WT_READ_ALL returns the credit withheld. */
void wt_client_set_reading(wt_client *c, wt_client_reading mode);

/* Closes the socket without a word (no CONNECTION_CLOSE): to the server
 * the client has vanished. Only wt_client_del may follow. */
void wt_client_vanish(wt_client *c);

/* Called with every UDP packet the client is about to send; returns 0
 * to drop it (the test may keep a copy, e.g. of the first Initial). */
typedef int (*wt_client_tx_hook)(void *user_data, const uint8_t *pkt,
                                 size_t len);
void wt_client_set_tx_hook(wt_client *c, wt_client_tx_hook hook,
                           void *user_data);

#endif /* VC_TESTS_WT_CLIENT_H */

/*
 * h3wt.h: the HTTP/3 and WebTransport layer of one QUIC connection,
 * sans-I/O (docs/SERVER.md "WebTransport"; WebTransport over HTTP/3
 * draft-02, which is what Chromium speaks, and draft-07 with the same
 * code path).
 *
 * The QUIC layer (quic_server.c) pushes in what the peer sent: stream
 * bytes, resets, stream closes and datagrams. This layer classifies each
 * new stream by its first varint (HTTP/3 control, QPACK, a request, or a
 * WebTransport stream of a session), answers the extended CONNECT that
 * opens a session, skips GREASE wherever HTTP/3 allows it, and hands the
 * application only WebTransport events: session opened and closed,
 * stream payload with the WebTransport header stripped, and datagrams.
 * It acts through callbacks: open a server unidirectional stream, write
 * to a stream, reset a stream, close the connection.
 *
 * QPACK: the SETTINGS sent say QPACK_MAX_TABLE_CAPACITY = 0 and
 * QPACK_BLOCKED_STREAMS = 0, so the peer's request headers never refer
 * to a dynamic table and are decoded on their own (nghttp3's QPACK
 * decoder); the response is encoded without one either.
 */
#ifndef VC_SERVER_H3WT_H
#define VC_SERVER_H3WT_H

#include <stddef.h>
#include <stdint.h>

#include <vc/vc.h>

/* HTTP/3 and WebTransport error codes used on the wire. */
#define VC_H3_NO_ERROR 0x100
#define VC_H3_GENERAL_PROTOCOL_ERROR 0x101
#define VC_H3_INTERNAL_ERROR 0x102
#define VC_H3_STREAM_CREATION_ERROR 0x103
#define VC_H3_CLOSED_CRITICAL_STREAM 0x104
#define VC_H3_FRAME_UNEXPECTED 0x105
#define VC_H3_FRAME_ERROR 0x106
#define VC_H3_EXCESSIVE_LOAD 0x107
#define VC_H3_ID_ERROR 0x108
#define VC_H3_SETTINGS_ERROR 0x109
#define VC_H3_MISSING_SETTINGS 0x10a
#define VC_H3_REQUEST_REJECTED 0x10b
#define VC_H3_REQUEST_CANCELLED 0x10c
#define VC_H3_REQUEST_INCOMPLETE 0x10d
#define VC_H3_MESSAGE_ERROR 0x10e
#define VC_H3_DATAGRAM_ERROR 0x33
/* RFC 9204 §6: a header block that cannot be decoded. */
#define VC_QPACK_DECOMPRESSION_FAILED 0x200
/* WebTransport: the application's stream error 0 maps to this. */
#define VC_WT_SESSION_GONE 0x170d7b68
/* WebTransport (draft-07, "Buffering Incoming Streams"): a stream that came
 * before its session was dropped (the early-stream cap, or the session was
 * refused). */
#define VC_WT_BUFFERED_STREAM_REJECTED 0x3994bd84

typedef struct vc_h3wt vc_h3wt;

/* The extended CONNECT that asks for a WebTransport session. The strings
 * are NUL-terminated and valid only during the callback. */
typedef struct vc_h3wt_request {
  const char *authority;
  const char *path;
  const char *origin; /* "" when the request had none */
} vc_h3wt_request;

typedef struct vc_h3wt_callbacks {
  /* --- transport: what the QUIC layer does for this layer --- */

  /* Opens a server-initiated unidirectional stream; sets |*stream_id|.
   * Returns 0 or a negative code. */
  int (*open_uni_stream)(void *user_data, int64_t *stream_id);
  /* Queues |len| bytes (and FIN when |fin|) on |stream_id|; |data| may
   * be NULL when |len| is 0. The QUIC layer copies them before returning.
   * Returns 0 or a negative code. A failure on the control stream fails
   * vc_h3wt_start; one on a request stream is not fatal here (the stream
   * may already be gone) and is ignored. */
  int (*write_stream)(void *user_data, int64_t stream_id, const uint8_t *data,
                      size_t len, int fin);
  /* Resets |stream_id| and asks the peer to stop sending on it. */
  void (*reset_stream)(void *user_data, int64_t stream_id, uint64_t h3_error);
  /* A connection error: close the QUIC connection with |h3_error|. This
   * layer acts and reports nothing more after it, except session_closed
   * for each accepted session (from on_stream_closed or vc_h3wt_del). */
  void (*close_connection)(void *user_data, uint64_t h3_error,
                           const char *reason);

  /* --- application: WebTransport events --- */

  /* A session is asked for on CONNECT stream |session_id|. Return 200 to
   * accept it, or an HTTP status 300-599 to refuse it (any other value
   * refuses with 500); the response is sent either way, with
   * FIN when refused. Only a valid extended CONNECT gets here (see
   * vc_h3wt_on_stream_data); beyond max_sessions open sessions the
   * answer is 429 without asking. */
  int (*session_request)(void *user_data, int64_t session_id,
                         const vc_h3wt_request *req);
  /* An accepted session ended: the peer's CLOSE_WEBTRANSPORT_SESSION
   * (|code|, |reason|), or the CONNECT stream finished or was reset (code
   * 0, reason ""). Called once per accepted session, also from
   * vc_h3wt_del, never after vc_h3wt_close_session. |reason| is not
   * NUL-terminated. The session's WebTransport streams are reset
   * (VC_WT_SESSION_GONE) before it and get no more events. */
  void (*session_closed)(void *user_data, int64_t session_id, uint32_t code,
                         const uint8_t *reason, size_t reason_len);
  /* Payload of a WebTransport stream (bidirectional or unidirectional,
   * opened by the peer) of an accepted session, with the stream header
   * already removed; |fin| when the peer finished it. The first call for a
   * stream may carry 0 bytes. Replies on a bidirectional stream go
   * straight to write_stream, with no header. */
  void (*stream_data)(void *user_data, int64_t session_id, int64_t stream_id,
                      const uint8_t *data, size_t len, int fin);
  /* The peer reset a WebTransport stream of a session; the application
   * still owns the sending side of a bidirectional one. May be NULL. */
  void (*stream_reset)(void *user_data, int64_t session_id, int64_t stream_id);
  /* A datagram of an accepted session, its quarter-stream-id removed.
   * May be NULL (datagrams are then dropped). */
  void (*datagram)(void *user_data, int64_t session_id, const uint8_t *data,
                   size_t len);
  void *user_data;
} vc_h3wt_callbacks;

/*
 * Callbacks must not call vc_h3wt_on_* or vc_h3wt_del; the application
 * callbacks may call vc_h3wt_close_session, vc_h3wt_bind_stream and the
 * header helpers.
 */

typedef struct vc_h3wt_settings {
  /* Sessions open at once on one connection (SETTINGS 0xc671706a). */
  uint32_t max_sessions;
  /* A request's HEADERS frame, and any other frame this layer must hold
   * whole (SETTINGS, a capsule), may be this long at most; longer ones
   * fail the stream (request) or connection (control). */
  size_t max_frame_len;
  /* Bytes held for WebTransport streams that name a session whose
   * CONNECT has not been seen yet, over all such streams. */
  size_t max_early_bytes;
} vc_h3wt_settings;

/* max_sessions 4, max_frame_len 16384, max_early_bytes 65536. */
void vc_h3wt_settings_default(vc_h3wt_settings *s);

/* Returns 0, VC_ERR_INVALID_ARGUMENT (a NULL callback other than
 * stream_reset and datagram, max_sessions 0, max_frame_len below 64) or
 * VC_ERR_NOMEM. |settings| may be NULL for the defaults; |cb| is copied.
 * Nothing is sent until vc_h3wt_start. */
int vc_h3wt_new(vc_h3wt **ph, const vc_h3wt_settings *settings,
                const vc_h3wt_callbacks *cb);

/* Ends every accepted session (session_closed) and frees |h|. */
void vc_h3wt_del(vc_h3wt *h);

/* Opens the control stream (type 0x00, with SETTINGS) and the QPACK
 * encoder and decoder streams. Call once, when the handshake is done.
 * Returns 0, VC_ERR_STATE (called twice) or the callbacks' negative code.
 */
int vc_h3wt_start(vc_h3wt *h);

/*
 * Bytes the peer sent on |stream_id| at the next offset, in order (the
 * QUIC layer delivers them so); |fin| when the stream ends with them
 * (|len| may then be 0). Nothing of |data| is kept after return. Returns
 * 0, or a negative code after close_connection was called
 * (VC_ERR_MALFORMED for the peer's protocol errors, VC_ERR_NOMEM;
 * VC_ERR_STATE for every call after that).
 *
 * Data on a server-initiated stream is ignored unless the stream was
 * given to vc_h3wt_bind_stream.
 *
 * Requests: only an extended CONNECT with :protocol webtransport,
 * :scheme https, :authority and :path opens a session. A malformed
 * request (RFC 9114 §4.1.2: bad or misplaced pseudo-headers, uppercase
 * names, CR/LF/NUL in values) gets 400; another method 405 (this server
 * speaks only WebTransport over HTTP/3); a CONNECT without :protocol, or
 * with another protocol, 501; a HEADERS frame over max_frame_len 431.
 */
int vc_h3wt_on_stream_data(vc_h3wt *h, int64_t stream_id, const uint8_t *data,
                           size_t len, int fin);

/* The peer reset its sending side of |stream_id|. */
void vc_h3wt_on_stream_reset(vc_h3wt *h, int64_t stream_id);

/* |stream_id| is closed in both directions: its state is freed. An
 * accepted session whose CONNECT stream closes this way ends (code 0). */
void vc_h3wt_on_stream_closed(vc_h3wt *h, int64_t stream_id);

/* A QUIC DATAGRAM frame's payload. One for no accepted session, or
 * with a missing or impossible quarter stream id, is dropped and counted
 * (never fatal; see h3wt.c). Returns 0, or VC_ERR_STATE once the
 * connection failed. */
int vc_h3wt_on_datagram(vc_h3wt *h, const uint8_t *data, size_t len);

/* Closes session |session_id|: a CLOSE_WEBTRANSPORT_SESSION capsule with
 * |code| and |reason| (at most 1024 bytes; NULL for none) and FIN on its
 * CONNECT stream; its WebTransport streams are reset (VC_WT_SESSION_GONE).
 * session_closed is not called for it. Returns 0, VC_ERR_STATE (no such
 * open session, or after a connection error), VC_ERR_INVALID_ARGUMENT
 * (reason too long) or write_stream's negative code. */
int vc_h3wt_close_session(vc_h3wt *h, int64_t session_id, uint32_t code,
                          const char *reason);

/* The application opened server-initiated stream |stream_id| for session
 * |session_id| and wrote vc_h3wt_stream_header on it: the peer's data on
 * it (bidirectional) goes to stream_data, and it is reset when the
 * session ends. Returns 0, VC_ERR_INVALID_ARGUMENT (not a
 * server-initiated id, or already known), VC_ERR_STATE (no such open
 * session) or VC_ERR_NOMEM. */
int vc_h3wt_bind_stream(vc_h3wt *h, int64_t stream_id, int64_t session_id);

/* Writes the header a datagram of |session_id| starts with into |dest|
 * (at least 8 bytes). Returns its length. */
size_t vc_h3wt_datagram_header(uint8_t *dest, int64_t session_id);

/* Writes the header a server-opened WebTransport stream of |session_id|
 * starts with (bidirectional when |bidi|) into |dest| (at least 16
 * bytes). Returns its length. */
size_t vc_h3wt_stream_header(uint8_t *dest, int64_t session_id, int bidi);

typedef struct vc_h3wt_stats {
  uint64_t sessions_accepted;
  uint64_t sessions_refused; /* every request answered with an error */
  uint64_t streams_unknown;  /* unknown uni stream types, ignored */
  /* Early streams dropped: over max_early_bytes, or their CONNECT was
   * refused or abandoned. */
  uint64_t early_dropped;
  uint64_t datagrams_dropped; /* no such session */
  /* No quarter stream id, or one out of range: dropped, not fatal. */
  uint64_t datagrams_malformed;
} vc_h3wt_stats;

void vc_h3wt_get_stats(const vc_h3wt *h, vc_h3wt_stats *stats);

#endif /* VC_SERVER_H3WT_H */

/*
 * h3wt.c: see h3wt.h. The parts of HTTP/3 (RFC 9114) a WebTransport
 * server needs: stream types (§6.2), the control stream and SETTINGS
 * (§6.2.1, §7.2.4), request streams and their frames (§4.1, §7), extended
 * CONNECT (RFC 9220), QPACK with no dynamic table (RFC 9204, through
 * nghttp3's standalone encoder and decoder), capsules (RFC 9297 §3) and
 * HTTP/3 datagrams (RFC 9297 §2.1); and WebTransport over HTTP/3
 * draft-02 / draft-07: stream headers 0x41 and 0x54, the
 * CLOSE_WEBTRANSPORT_SESSION capsule, and streams that arrive before
 * their session (buffered up to a cap).
 *
 * Every stream the peer opens gets a small state found by its id in a
 * chained hash table; it is freed only by vc_h3wt_on_stream_closed (or
 * vc_h3wt_del), so pointers to it stay valid through every callback made
 * while handling one event. Input is parsed as it comes, one varint or
 * one payload run at a time, so a stream cut anywhere (even byte by byte)
 * reads the same as one delivered whole. Only a request's HEADERS frame,
 * the peer's SETTINGS and a CLOSE_WEBTRANSPORT_SESSION capsule are held
 * whole, each under max_frame_len (a CLOSE is at most 1028 bytes); every
 * other frame or capsule is skipped or streamed without being held.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "h3wt.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

#include "quic_varint.h"

/* HTTP/3 stream types (§6.2) and the WebTransport ones. */
#define STREAM_CONTROL 0x00
#define STREAM_PUSH 0x01
#define STREAM_QPACK_ENCODER 0x02
#define STREAM_QPACK_DECODER 0x03
#define STREAM_WT_UNI 0x54
/* On a bidirectional stream: the first "frame type" of a WT stream. */
#define STREAM_WT_BIDI 0x41

/* HTTP/3 frame types (§7.2). */
#define FRAME_DATA 0x00
#define FRAME_HEADERS 0x01
#define FRAME_CANCEL_PUSH 0x03
#define FRAME_SETTINGS 0x04
#define FRAME_PUSH_PROMISE 0x05
#define FRAME_GOAWAY 0x07
#define FRAME_MAX_PUSH_ID 0x0d

/* Settings (§7.2.4.1; RFC 9220; RFC 9297; WebTransport drafts). */
#define SETTING_QPACK_MAX_TABLE_CAPACITY 0x01
#define SETTING_QPACK_BLOCKED_STREAMS 0x07
#define SETTING_ENABLE_CONNECT_PROTOCOL 0x08
#define SETTING_H3_DATAGRAM 0x33
#define SETTING_ENABLE_WEBTRANSPORT 0x2b603742u
#define SETTING_WT_MAX_SESSIONS_DRAFT07 0xc671706au

/* Capsules (RFC 9297 §3; WebTransport drafts). */
#define CAPSULE_CLOSE_WT_SESSION 0x2843
#define CLOSE_MAX_REASON_LEN 1024

#define N_BUCKETS 64
/* CONNECT stream ids remembered after their state is freed, so that a
 * late WebTransport stream naming one is reset rather than held. */
#define N_GONE 16

typedef enum stream_kind {
  SK_BIDI_TYPE,  /* client bidi: its first varint is not whole yet */
  SK_UNI_TYPE,   /* client uni: its stream type is not whole yet */
  SK_WT_SESSION, /* WebTransport stream: its session id is not whole yet */
  SK_WT_EARLY,   /* its session is not accepted yet: payload held */
  SK_WT_OPEN,    /* payload goes to the application */
  SK_CONTROL,    /* the peer's control stream */
  SK_QPACK,      /* the peer's QPACK encoder or decoder stream */
  SK_REQUEST,    /* request stream, before its HEADERS frame is whole */
  SK_SESSION,    /* accepted CONNECT: DATA frames carry capsules */
  SK_CLOSING,    /* the peer's CLOSE capsule came: nothing more may */
  SK_DISCARD     /* whatever comes is ignored */
} stream_kind;

typedef enum frame_phase { FP_TYPE, FP_LEN, FP_PAYLOAD } frame_phase;
typedef enum frame_mode { FM_SKIP, FM_HOLD, FM_CAPSULES } frame_mode;
typedef enum capsule_phase { CP_TYPE, CP_LEN, CP_VALUE } capsule_phase;

/* A varint being gathered across calls. */
typedef struct varint_reader {
  uint8_t buf[VC_QUIC_VARINT_MAX_LEN];
  uint8_t have;
} varint_reader;

typedef struct h3_stream {
  struct h3_stream *next; /* hash chain */
  int64_t id;
  int64_t session_id; /* WebTransport streams */
  uint8_t kind;
  uint8_t peer_done;  /* the peer finished or reset its side */
  uint8_t is_request; /* was a request stream: remembered when freed */
  /* Closed by the QUIC layer while early and finished: kept only until
   * its bytes are delivered or dropped. (The QUIC layer closes a client
   * uni stream at its FIN, for ngtcp2 0.12's sake.) */
  uint8_t closed;
  /* HTTP/3 frames (control and request streams). */
  uint8_t fphase, fmode;
  varint_reader vr; /* also the stream header's varints */
  uint64_t ftype, fleft;
  /* Capsules in a session's DATA frames; they may span frames. */
  uint8_t cphase;
  varint_reader cvr;
  uint64_t ctype, cleft;
  /* A frame or capsule held whole, or an early stream's payload. */
  uint8_t *buf;
  size_t buf_len, buf_cap;
} h3_stream;

struct vc_h3wt {
  vc_h3wt_settings settings;
  vc_h3wt_callbacks cb;
  h3_stream *buckets[N_BUCKETS];
  nghttp3_qpack_encoder *qenc;
  size_t early_bytes;  /* held for all early streams */
  uint32_t n_sessions; /* accepted and not ended */
  uint8_t started, failed;
  uint8_t have_control, have_qpack_enc, have_qpack_dec, have_settings;
  int64_t gone[N_GONE];
  size_t n_gone, gone_next;
  vc_h3wt_stats stats;
};

/* How our side of an ended session's CONNECT stream ends: FIN, reset
 * (H3_MESSAGE_ERROR), nothing (the stream is closed already), or nothing
 * at all, not even its streams' resets (vc_h3wt_del, connection error). */
enum end_how { END_FIN, END_RESET, END_CLOSED, END_SILENT };

static const uint8_t no_bytes[1];

/* --- small helpers --- */

static int is_client(int64_t id) {
  return (id & 1) == 0;
}

static int is_uni(int64_t id) {
  return (id & 2) != 0;
}

static int is_client_uni(int64_t id) {
  return (id & 3) == 2;
}

static size_t bucket_of(int64_t id) {
  /* Fibonacci hashing: stream ids step by 4, so mix before taking bits. */
  return (size_t)(((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)) >> 58) %
         N_BUCKETS;
}

static h3_stream *find(const vc_h3wt *h, int64_t id) {
  h3_stream *s;

  for (s = h->buckets[bucket_of(id)]; s; s = s->next) {
    if (s->id == id) {
      return s;
    }
  }
  return NULL;
}

static h3_stream *stream_new(vc_h3wt *h, int64_t id, stream_kind kind) {
  h3_stream *s = calloc(1, sizeof(*s));
  size_t b = bucket_of(id);

  if (!s) {
    return NULL;
  }
  s->id = id;
  s->session_id = -1;
  s->kind = (uint8_t)kind;
  s->next = h->buckets[b];
  h->buckets[b] = s;
  return s;
}

static void buf_free(h3_stream *s) {
  free(s->buf);
  s->buf = NULL;
  s->buf_len = s->buf_cap = 0;
}

/* Takes |s| out of the table and frees it. */
static void stream_free(vc_h3wt *h, h3_stream *s) {
  h3_stream **pp = &h->buckets[bucket_of(s->id)];

  while (*pp != s) {
    pp = &(*pp)->next;
  }
  *pp = s->next;
  free(s->buf);
  free(s);
}

/*
 * Takes bytes from |*p| until the varint in |r| is whole. Returns 1 with
 * |*v| set when it is (|r| is then empty again), 0 when every byte up to
 * |end| was taken and more are needed.
 */
static int vr_read(varint_reader *r, const uint8_t **p, const uint8_t *end,
                   uint64_t *v) {
  while (*p < end) {
    r->buf[r->have++] = *(*p)++;
    if (r->have == vc_quic_varint_len_of(r->buf[0])) {
      vc_quic_varint_get(r->buf, r->have, v);
      r->have = 0;
      return 1;
    }
  }
  return 0;
}

/* A connection error: reported once; everything after it is refused. */
static int conn_error(vc_h3wt *h, uint64_t code, const char *reason) {
  if (!h->failed) {
    h->failed = 1;
    h->cb.close_connection(h->cb.user_data, code, reason);
  }
  return VC_ERR_MALFORMED;
}

static int conn_nomem(vc_h3wt *h) {
  conn_error(h, VC_H3_INTERNAL_ERROR, "out of memory");
  return VC_ERR_NOMEM;
}

static void reset(vc_h3wt *h, int64_t id, uint64_t code) {
  h->cb.reset_stream(h->cb.user_data, id, code);
}

static void write_fin(vc_h3wt *h, int64_t id) {
  /* Not fatal: the stream may be gone already (see h3wt.h). */
  (void)h->cb.write_stream(h->cb.user_data, id, NULL, 0, 1);
}

/* Frame types reserved because HTTP/2 used them (§7.2.8): an error. */
static int is_h2_frame(uint64_t t) {
  return t == 0x02 || t == 0x06 || t == 0x08 || t == 0x09;
}

/* Frames that belong on the control stream only (§7.2). */
static int is_control_frame(uint64_t t) {
  return t == FRAME_CANCEL_PUSH || t == FRAME_SETTINGS || t == FRAME_GOAWAY ||
         t == FRAME_MAX_PUSH_ID;
}

/* --- WebTransport streams and sessions --- */

/* Drops early stream |s|: its bytes are freed, the peer told to stop.
 * A stream the QUIC layer already closed is freed too. */
static void early_drop(vc_h3wt *h, h3_stream *s) {
  h->early_bytes -= s->buf_len;
  buf_free(s);
  s->kind = SK_DISCARD;
  h->stats.early_dropped++;
  if (s->closed) {
    stream_free(h, s);
    return;
  }
  reset(h, s->id, VC_WT_BUFFERED_STREAM_REJECTED);
}

/* Session |sid| will never be accepted: drop the streams waiting for it.
 */
static void early_drop_all(vc_h3wt *h, int64_t sid) {
  size_t b;
  h3_stream *s, *next;

  for (b = 0; b < N_BUCKETS; b++) {
    for (s = h->buckets[b]; s; s = next) {
      next = s->next; /* |s| may be freed */
      if (s->kind == SK_WT_EARLY && s->session_id == sid) {
        early_drop(h, s);
      }
    }
  }
}

/*
 * Session |sid| was just accepted: hand its early streams over, lowest
 * stream id first (the order the peer opened them). Each is looked for
 * again after every callback, which may close the session.
 */
static void early_deliver(vc_h3wt *h, int64_t sid) {
  size_t b;
  h3_stream *s, *first;
  uint8_t *data;
  size_t len;

  for (;;) {
    first = NULL;
    for (b = 0; b < N_BUCKETS; b++) {
      for (s = h->buckets[b]; s; s = s->next) {
        if (s->kind == SK_WT_EARLY && s->session_id == sid &&
            (!first || s->id < first->id)) {
          first = s;
        }
      }
    }
    if (!first) {
      return;
    }
    data = first->buf;
    len = first->buf_len;
    first->buf = NULL;
    first->buf_len = first->buf_cap = 0;
    h->early_bytes -= len;
    first->kind = SK_WT_OPEN;
    h->cb.stream_data(h->cb.user_data, sid, first->id, data ? data : no_bytes,
                      len, first->peer_done);
    free(data);
    if (first->closed) {
      stream_free(h, first);
    }
  }
}

/* Session |sid| ended: its WebTransport streams are reset and forgotten.
 */
static void session_streams_reset(vc_h3wt *h, int64_t sid) {
  size_t b;
  h3_stream *s, *next;

  for (b = 0; b < N_BUCKETS; b++) {
    for (s = h->buckets[b]; s; s = next) {
      next = s->next; /* |s| may be freed */
      if ((s->kind != SK_WT_OPEN && s->kind != SK_WT_EARLY) ||
          s->session_id != sid) {
        continue;
      }
      if (s->kind == SK_WT_EARLY) {
        h->early_bytes -= s->buf_len;
        buf_free(s);
        if (s->closed) {
          stream_free(h, s);
          continue;
        }
      }
      s->kind = SK_DISCARD;
      /* A finished peer uni stream has nothing left to stop. */
      if (!(is_client_uni(s->id) && s->peer_done)) {
        reset(h, s->id, VC_WT_SESSION_GONE);
      }
    }
  }
}

/*
 * Accepted session |s| ended on the peer's side (or the connection's):
 * our side of the CONNECT stream is finished as |how| says, its streams
 * reset, and the application told, last, so that it sees the end state.
 */
static void session_end(vc_h3wt *h, h3_stream *s, uint32_t code,
                        const uint8_t *reason, size_t reason_len,
                        enum end_how how, stream_kind next) {
  s->kind = (uint8_t)next;
  h->n_sessions--;
  if (how != END_SILENT) {
    session_streams_reset(h, s->id);
  }
  if (how == END_FIN) {
    write_fin(h, s->id);
  } else if (how == END_RESET) {
    reset(h, s->id, VC_H3_MESSAGE_ERROR);
  }
  h->cb.session_closed(h->cb.user_data, s->id, code, reason ? reason : no_bytes,
                       reason_len);
}

static int is_gone(const vc_h3wt *h, int64_t sid) {
  size_t i;

  for (i = 0; i < h->n_gone; i++) {
    if (h->gone[i] == sid) {
      return 1;
    }
  }
  return 0;
}

/*
 * The header of WebTransport stream |s| named session |sid|: bind it to
 * the session, hold it until the session is accepted, or reset it when
 * the session is gone or never was one.
 */
static int wt_header_done(vc_h3wt *h, h3_stream *s, uint64_t sid) {
  h3_stream *sess;

  /* Session ids are client-initiated bidirectional stream ids. */
  if ((sid & 3) != 0) {
    return conn_error(h, VC_H3_ID_ERROR, "session id not a request stream");
  }
  s->session_id = (int64_t)sid;
  sess = find(h, (int64_t)sid);
  if (sess && sess->kind == SK_SESSION) {
    s->kind = SK_WT_OPEN;
  } else if (sess ? sess->kind == SK_BIDI_TYPE || sess->kind == SK_REQUEST
                  : !is_gone(h, (int64_t)sid)) {
    s->kind = SK_WT_EARLY;
  } else {
    s->kind = SK_DISCARD;
    reset(h, s->id, VC_WT_SESSION_GONE);
  }
  return 0;
}

/* Payload of WebTransport stream |s|: passed on, held or ignored. */
static void wt_payload(vc_h3wt *h, h3_stream *s, const uint8_t *p, size_t n,
                       int fin) {
  size_t cap;
  uint8_t *nb;

  if (s->peer_done) {
    return;
  }
  if (s->kind == SK_WT_OPEN) {
    s->peer_done = (uint8_t)(fin != 0);
    h->cb.stream_data(h->cb.user_data, s->session_id, s->id, p ? p : no_bytes,
                      n, fin);
    return;
  }
  if (s->kind != SK_WT_EARLY) {
    return;
  }
  if (n > h->settings.max_early_bytes - h->early_bytes) {
    early_drop(h, s);
    return;
  }
  if (n > s->buf_cap - s->buf_len) {
    cap = s->buf_cap ? 2 * s->buf_cap : 256;
    if (cap < s->buf_len + n) {
      cap = s->buf_len + n;
    }
    nb = realloc(s->buf, cap);
    if (!nb) {
      /* Memory, not the peer, failed: this stream alone pays. */
      early_drop(h, s);
      return;
    }
    s->buf = nb;
    s->buf_cap = cap;
  }
  if (n > 0) {
    memcpy(s->buf + s->buf_len, p, n);
  }
  s->buf_len += n;
  h->early_bytes += n;
  s->peer_done = (uint8_t)(fin != 0);
}

/* --- the response to a request --- */

/* Writes a HEADERS frame holding |status| (and allow: CONNECT with 405)
 * on request stream |id|, with FIN when |fin|. */
static void respond(vc_h3wt *h, int64_t id, unsigned status, int fin) {
  char code[4];
  nghttp3_nv nva[2];
  nghttp3_buf pbuf, rbuf, ebuf;
  const nghttp3_mem *mem = nghttp3_mem_default();
  size_t plen, rlen, n = 0;
  uint8_t frame[2 * VC_QUIC_VARINT_MAX_LEN + 64];

  if (status < 100 || status > 599) {
    status = 500;
  }
  code[0] = (char)('0' + status / 100);
  code[1] = (char)('0' + status / 10 % 10);
  code[2] = (char)('0' + status % 10);
  code[3] = 0;
  nva[0].name = (uint8_t *)":status";
  nva[0].namelen = 7;
  nva[0].value = (uint8_t *)code;
  nva[0].valuelen = 3;
  nva[0].flags = NGHTTP3_NV_FLAG_NONE;
  /* RFC 9110 §15.5.6: a 405 names the methods that are allowed. */
  nva[1].name = (uint8_t *)"allow";
  nva[1].namelen = 5;
  nva[1].value = (uint8_t *)"CONNECT";
  nva[1].valuelen = 7;
  nva[1].flags = NGHTTP3_NV_FLAG_NONE;
  nghttp3_buf_init(&pbuf);
  nghttp3_buf_init(&rbuf);
  nghttp3_buf_init(&ebuf);
  /* With no dynamic table nothing goes to the encoder stream (ebuf). */
  if (nghttp3_qpack_encoder_encode(h->qenc, &pbuf, &rbuf, &ebuf, id, nva,
                                   status == 405 ? 2 : 1) != 0 ||
      nghttp3_buf_len(&ebuf) != 0 ||
      nghttp3_buf_len(&pbuf) + nghttp3_buf_len(&rbuf) > 64) {
    reset(h, id, VC_H3_INTERNAL_ERROR);
    goto done;
  }
  plen = nghttp3_buf_len(&pbuf);
  rlen = nghttp3_buf_len(&rbuf);
  n += vc_quic_varint_put(frame + n, FRAME_HEADERS);
  n += vc_quic_varint_put(frame + n, plen + rlen);
  if (plen > 0) {
    memcpy(frame + n, pbuf.pos, plen);
  }
  n += plen;
  if (rlen > 0) {
    memcpy(frame + n, rbuf.pos, rlen);
  }
  n += rlen;
  (void)h->cb.write_stream(h->cb.user_data, id, frame, n, fin);
done:
  nghttp3_buf_free(&pbuf, mem);
  nghttp3_buf_free(&rbuf, mem);
  nghttp3_buf_free(&ebuf, mem);
}

/* Answers request |s| with error |status| and FIN; nothing more is read
 * from it, and streams waiting for it as a session are dropped. */
static void refuse(vc_h3wt *h, h3_stream *s, unsigned status) {
  s->kind = SK_DISCARD;
  h->stats.sessions_refused++;
  respond(h, s->id, status, 1);
  early_drop_all(h, s->id);
}

/* --- request headers --- */

/* The fields of a request that matter; each holds one reference. */
typedef struct req_fields {
  nghttp3_rcbuf *method, *scheme, *authority, *path, *protocol, *origin;
  int malformed;
  int regular_seen; /* pseudo-headers must come before the rest */
} req_fields;

static int vec_is(nghttp3_vec v, const char *s) {
  size_t n = strlen(s);
  return v.len == n && memcmp(v.base, s, n) == 0;
}

static int rcbuf_is(const nghttp3_rcbuf *b, const char *s) {
  return b && vec_is(nghttp3_rcbuf_get_buf(b), s);
}

/* RFC 9110 §5.6.2 token characters, lowercase only (RFC 9114 §4.2). */
static int is_name_char(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9114 §4.2: names are lowercase tokens (after a ':' for pseudo
 * ones) and values hold no NUL, CR or LF. */
static int field_is_valid(nghttp3_vec name, nghttp3_vec value) {
  size_t i = name.len > 0 && name.base[0] == ':' ? 1 : 0;

  if (i == name.len) {
    return 0;
  }
  for (; i < name.len; i++) {
    if (!is_name_char(name.base[i])) {
      return 0;
    }
  }
  for (i = 0; i < value.len; i++) {
    if (value.base[i] == 0 || value.base[i] == '\r' || value.base[i] == '\n') {
      return 0;
    }
  }
  return 1;
}

/* Fields that only make sense for HTTP/1.1 connections (§4.2). */
static int is_connection_field(nghttp3_vec name, nghttp3_vec value) {
  return vec_is(name, "connection") || vec_is(name, "keep-alive") ||
         vec_is(name, "proxy-connection") ||
         vec_is(name, "transfer-encoding") || vec_is(name, "upgrade") ||
         (vec_is(name, "te") && !vec_is(value, "trailers"));
}

/* Takes the references of decoded field |nv|: kept in |f| or dropped. */
static void take_field(req_fields *f, nghttp3_qpack_nv *nv) {
  nghttp3_vec name = nghttp3_rcbuf_get_buf(nv->name);
  nghttp3_vec value = nghttp3_rcbuf_get_buf(nv->value);
  nghttp3_rcbuf **slot = &f->origin;
  int keep = 0;

  if (!field_is_valid(name, value)) {
    f->malformed = 1;
  } else if (name.base[0] == ':') {
    keep = 1;
    if (vec_is(name, ":method")) {
      slot = &f->method;
    } else if (vec_is(name, ":scheme")) {
      slot = &f->scheme;
    } else if (vec_is(name, ":authority")) {
      slot = &f->authority;
    } else if (vec_is(name, ":path")) {
      slot = &f->path;
    } else if (vec_is(name, ":protocol")) {
      slot = &f->protocol;
    } else {
      keep = 0;
    }
    /* Unknown, repeated or late pseudo-headers (§4.3). */
    if (!keep || *slot || f->regular_seen) {
      f->malformed = 1;
      keep = 0;
    }
  } else {
    f->regular_seen = 1;
    if (is_connection_field(name, value)) {
      f->malformed = 1;
    } else if (vec_is(name, "origin")) {
      /* RFC 6454 §7.3: a single value. */
      keep = f->origin == NULL;
      f->malformed |= !keep;
    }
  }
  nghttp3_rcbuf_decref(nv->name);
  if (keep) {
    *slot = nv->value;
  } else {
    nghttp3_rcbuf_decref(nv->value);
  }
}

static void fields_free(req_fields *f) {
  nghttp3_rcbuf *all[6];
  size_t i;

  all[0] = f->method;
  all[1] = f->scheme;
  all[2] = f->authority;
  all[3] = f->path;
  all[4] = f->protocol;
  all[5] = f->origin;
  for (i = 0; i < 6; i++) {
    if (all[i]) {
      nghttp3_rcbuf_decref(all[i]);
    }
  }
}

/*
 * Decodes header block |block| (|len| bytes) into |f|. A decoder of its
 * own per request, because nghttp3's decoder is unusable after any error
 * and one request's oversized field must not fail the next. Returns 0,
 * 431 (a field over nghttp3's limits), VC_ERR_MALFORMED (undecodable:
 * with no dynamic table, also any reference to one) or VC_ERR_NOMEM.
 */
static int decode_headers(int64_t id, const uint8_t *block, size_t len,
                          req_fields *f) {
  const nghttp3_mem *mem = nghttp3_mem_default();
  nghttp3_qpack_decoder *dec;
  nghttp3_qpack_stream_context *sctx;
  nghttp3_qpack_nv nv;
  nghttp3_ssize nread;
  uint8_t flags;
  int rv = 0;

  if (len == 0) {
    return VC_ERR_MALFORMED; /* not even the prefix (RFC 9204 §4.5.1) */
  }
  if (nghttp3_qpack_decoder_new(&dec, 0, 0, mem) != 0) {
    return VC_ERR_NOMEM;
  }
  if (nghttp3_qpack_stream_context_new(&sctx, id, mem) != 0) {
    nghttp3_qpack_decoder_del(dec);
    return VC_ERR_NOMEM;
  }
  for (;;) {
    nread = nghttp3_qpack_decoder_read_request(dec, sctx, &nv, &flags, block,
                                               len, 1);
    if (nread < 0) {
      rv = nread == NGHTTP3_ERR_QPACK_HEADER_TOO_LARGE ? 431
           : nread == NGHTTP3_ERR_NOMEM                ? VC_ERR_NOMEM
                                                       : VC_ERR_MALFORMED;
      break;
    }
    block += nread;
    len -= (size_t)nread;
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
      take_field(f, &nv);
    }
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
      break;
    }
    /* Blocked means a dynamic table; no progress would loop forever. */
    if ((flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) ||
        (nread == 0 && !(flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT))) {
      rv = VC_ERR_MALFORMED;
      break;
    }
  }
  nghttp3_qpack_stream_context_del(sctx);
  nghttp3_qpack_decoder_del(dec);
  return rv;
}

/* The status a well-decoded request gets before the application is
 * asked; 0 for a valid WebTransport extended CONNECT (RFC 9220 §3). */
static unsigned request_status(const req_fields *f) {
  if (f->malformed || !f->method) {
    return 400;
  }
  if (!rcbuf_is(f->method, "CONNECT")) {
    /* RFC 9220 §3: :protocol only on a CONNECT. */
    return f->protocol ? 400 : 405;
  }
  if (!f->protocol) {
    return 501; /* a classic CONNECT: this server is not a proxy */
  }
  if (!rcbuf_is(f->protocol, "webtransport")) {
    return 501;
  }
  if (!f->scheme || !f->authority || !f->path ||
      nghttp3_rcbuf_get_buf(f->path).len == 0 ||
      nghttp3_rcbuf_get_buf(f->authority).len == 0 ||
      !rcbuf_is(f->scheme, "https")) {
    return 400;
  }
  return 0;
}

/* Request |s|'s HEADERS frame is whole in s->buf: answer it. */
static int headers_done(vc_h3wt *h, h3_stream *s) {
  req_fields f;
  vc_h3wt_request req;
  int rv, status;

  memset(&f, 0, sizeof(f));
  rv = decode_headers(s->id, s->buf, s->buf_len, &f);
  buf_free(s);
  if (rv == VC_ERR_NOMEM) {
    fields_free(&f);
    return conn_nomem(h);
  }
  if (rv == VC_ERR_MALFORMED) {
    /* RFC 9204 §6: a connection error. */
    fields_free(&f);
    return conn_error(h, VC_QPACK_DECOMPRESSION_FAILED, "bad header block");
  }
  status = rv != 0 ? rv : (int)request_status(&f);
  if (status == 0 && h->n_sessions >= h->settings.max_sessions) {
    status = 429;
  }
  if (status == 0) {
    req.authority = (const char *)nghttp3_rcbuf_get_buf(f.authority).base;
    req.path = (const char *)nghttp3_rcbuf_get_buf(f.path).base;
    req.origin =
        f.origin ? (const char *)nghttp3_rcbuf_get_buf(f.origin).base : "";
    status = h->cb.session_request(h->cb.user_data, s->id, &req);
    if (status != 200 && (status < 300 || status > 599)) {
      status = 500;
    }
    if (status == 200) {
      fields_free(&f);
      s->kind = SK_SESSION;
      h->n_sessions++;
      h->stats.sessions_accepted++;
      respond(h, s->id, (unsigned)status, 0);
      early_deliver(h, s->id);
      return 0;
    }
  }
  fields_free(&f);
  refuse(h, s, (unsigned)status);
  return 0;
}

/* --- SETTINGS --- */

static int settings_done(vc_h3wt *h, const uint8_t *p, size_t len) {
  const uint8_t *end = len > 0 ? p + len : p; /* p is NULL when empty */
  uint64_t id, value;
  size_t n;

  while (p < end) {
    n = vc_quic_varint_get(p, (size_t)(end - p), &id);
    if (n == 0) {
      return conn_error(h, VC_H3_FRAME_ERROR, "truncated SETTINGS");
    }
    p += n;
    n = vc_quic_varint_get(p, (size_t)(end - p), &value);
    if (n == 0) {
      return conn_error(h, VC_H3_FRAME_ERROR, "truncated SETTINGS");
    }
    p += n;
    /* §7.2.4.1: HTTP/2's settings are reserved and an error. */
    if (id == 0x00 || (id >= 0x02 && id <= 0x05)) {
      return conn_error(h, VC_H3_SETTINGS_ERROR, "HTTP/2 setting");
    }
    /* RFC 9297 §2.1.1: H3_DATAGRAM is 0 or 1. */
    if (id == SETTING_H3_DATAGRAM && value > 1) {
      return conn_error(h, VC_H3_SETTINGS_ERROR, "bad H3_DATAGRAM");
    }
    /* Everything else, GREASE included, is ignored (§7.2.4). */
  }
  h->have_settings = 1;
  return 0;
}

/* --- HTTP/3 frames on the control stream and request streams --- */

static int is_frame_kind(uint8_t kind) {
  return kind == SK_CONTROL || kind == SK_REQUEST || kind == SK_SESSION;
}

/* Starts holding a frame or capsule of s->fleft / s->cleft bytes. */
static int hold(vc_h3wt *h, h3_stream *s, uint64_t len) {
  buf_free(s);
  if (len > 0) {
    s->buf = malloc((size_t)len);
    if (!s->buf) {
      return conn_nomem(h);
    }
    s->buf_cap = (size_t)len;
  }
  return 0;
}

/* A frame's type and length are known: decide what its payload is. */
static int frame_begin(vc_h3wt *h, h3_stream *s) {
  uint64_t t = s->ftype;

  s->fmode = FM_SKIP;
  if (s->kind == SK_CONTROL) {
    if (!h->have_settings) {
      /* §6.2.1: SETTINGS first, whatever else (GREASE too) comes. */
      if (t != FRAME_SETTINGS) {
        return conn_error(h, VC_H3_MISSING_SETTINGS, "SETTINGS not first");
      }
      if (s->fleft > h->settings.max_frame_len) {
        return conn_error(h, VC_H3_EXCESSIVE_LOAD, "SETTINGS too long");
      }
      s->fmode = FM_HOLD;
      return hold(h, s, s->fleft);
    }
    if (t == FRAME_SETTINGS || t == FRAME_DATA || t == FRAME_HEADERS ||
        t == FRAME_PUSH_PROMISE || t == STREAM_WT_BIDI || is_h2_frame(t)) {
      return conn_error(h, VC_H3_FRAME_UNEXPECTED, "frame on control");
    }
    return 0; /* GOAWAY, MAX_PUSH_ID, CANCEL_PUSH, unknown: skipped */
  }
  /* Request streams. WT_STREAM is only ever a stream's first bytes. */
  if (t == STREAM_WT_BIDI) {
    return conn_error(h, VC_H3_FRAME_ERROR, "WT_STREAM not first");
  }
  if (is_control_frame(t) || t == FRAME_PUSH_PROMISE || is_h2_frame(t)) {
    return conn_error(h, VC_H3_FRAME_UNEXPECTED, "frame on request");
  }
  if (s->kind == SK_REQUEST) {
    if (t == FRAME_DATA) {
      return conn_error(h, VC_H3_FRAME_UNEXPECTED, "DATA before HEADERS");
    }
    if (t == FRAME_HEADERS) {
      if (s->fleft > h->settings.max_frame_len) {
        /* The rest of the frame and stream is discarded unread. */
        refuse(h, s, 431);
        return 0;
      }
      s->fmode = FM_HOLD;
      return hold(h, s, s->fleft);
    }
    return 0;
  }
  /* An accepted session: DATA carries capsules; trailers are skipped. */
  if (t == FRAME_DATA) {
    s->fmode = FM_CAPSULES;
  }
  return 0;
}

/* A capsule's type and length are known. */
static int capsule_begin(vc_h3wt *h, h3_stream *s) {
  if (s->ctype != CAPSULE_CLOSE_WT_SESSION) {
    return 0; /* DRAIN, GREASE and the rest are skipped unheld */
  }
  /* A 32-bit code, then a reason of at most 1024 bytes. */
  if (s->cleft < 4 || s->cleft > 4 + CLOSE_MAX_REASON_LEN) {
    session_end(h, s, 0, NULL, 0, END_RESET, SK_DISCARD);
    return 0;
  }
  return hold(h, s, s->cleft);
}

static void capsule_end(vc_h3wt *h, h3_stream *s) {
  uint32_t code;

  s->cphase = CP_TYPE;
  /* Only a CLOSE is held (capsule_begin), and it is at least 4 bytes. */
  if (s->ctype != CAPSULE_CLOSE_WT_SESSION || !s->buf || s->buf_len < 4) {
    return;
  }
  code = (uint32_t)s->buf[0] << 24 | (uint32_t)s->buf[1] << 16 |
         (uint32_t)s->buf[2] << 8 | s->buf[3];
  session_end(h, s, code, s->buf + 4, s->buf_len - 4, END_FIN, SK_CLOSING);
  buf_free(s);
}

/* Capsules in |n| bytes of a session's DATA payload; stops early when the
 * session ends. Sets |*used|. */
static int capsules(vc_h3wt *h, h3_stream *s, const uint8_t *p, size_t n,
                    size_t *used) {
  const uint8_t *q = p, *end = p + n;
  size_t take;
  int rv;

  while (q < end && s->kind == SK_SESSION) {
    if (s->cphase == CP_TYPE) {
      if (vr_read(&s->cvr, &q, end, &s->ctype)) {
        s->cphase = CP_LEN;
      }
    } else if (s->cphase == CP_LEN) {
      if (!vr_read(&s->cvr, &q, end, &s->cleft)) {
        continue;
      }
      s->cphase = CP_VALUE;
      rv = capsule_begin(h, s);
      if (rv != 0) {
        return rv;
      }
      if (s->kind == SK_SESSION && s->cleft == 0) {
        capsule_end(h, s);
      }
    } else {
      take = (size_t)(end - q);
      if (take > s->cleft) {
        take = (size_t)s->cleft;
      }
      if (s->buf) {
        memcpy(s->buf + s->buf_len, q, take);
        s->buf_len += take;
      }
      q += take;
      s->cleft -= take;
      if (s->cleft == 0) {
        capsule_end(h, s);
      }
    }
  }
  *used = (size_t)(q - p);
  return 0;
}

/* The payload of frame s->ftype is whole. */
static int frame_end(vc_h3wt *h, h3_stream *s) {
  int rv = 0;

  s->fphase = FP_TYPE;
  if (s->fmode != FM_HOLD) {
    return 0;
  }
  if (s->kind == SK_CONTROL) {
    rv = settings_done(h, s->buf, s->buf_len);
    buf_free(s);
  } else if (s->kind == SK_REQUEST) {
    rv = headers_done(h, s);
  }
  return rv;
}

/* Reads HTTP/3 frames from |*pp| until |end| or until |s| stops carrying
 * frames. */
static int frames(vc_h3wt *h, h3_stream *s, const uint8_t **pp,
                  const uint8_t *end) {
  const uint8_t *p = *pp;
  size_t n, used;
  int rv = 0;

  while (p < end && rv == 0 && is_frame_kind(s->kind)) {
    if (s->fphase == FP_TYPE) {
      if (vr_read(&s->vr, &p, end, &s->ftype)) {
        s->fphase = FP_LEN;
      }
      continue;
    }
    if (s->fphase == FP_LEN) {
      if (!vr_read(&s->vr, &p, end, &s->fleft)) {
        continue;
      }
      s->fphase = FP_PAYLOAD;
      rv = frame_begin(h, s);
      if (rv == 0 && s->fleft == 0 && is_frame_kind(s->kind)) {
        rv = frame_end(h, s);
      }
      continue;
    }
    n = (size_t)(end - p);
    if (n > s->fleft) {
      n = (size_t)s->fleft;
    }
    used = n;
    if (s->fmode == FM_HOLD) {
      memcpy(s->buf + s->buf_len, p, n);
      s->buf_len += n;
    } else if (s->fmode == FM_CAPSULES) {
      rv = capsules(h, s, p, n, &used);
    }
    p += used;
    s->fleft -= used;
    if (rv == 0 && s->fleft == 0 && is_frame_kind(s->kind)) {
      rv = frame_end(h, s);
    }
  }
  *pp = p;
  return rv;
}

/* --- stream classification --- */

/* Client uni stream |s| said it is of type |t| (§6.2). */
static int uni_type(vc_h3wt *h, h3_stream *s, uint64_t t) {
  uint8_t *have = NULL;

  switch (t) {
  case STREAM_CONTROL:
    have = &h->have_control;
    s->kind = SK_CONTROL;
    break;
  case STREAM_QPACK_ENCODER:
    have = &h->have_qpack_enc;
    s->kind = SK_QPACK;
    break;
  case STREAM_QPACK_DECODER:
    have = &h->have_qpack_dec;
    s->kind = SK_QPACK;
    break;
  case STREAM_PUSH:
    /* §6.2.2: only servers push. */
    return conn_error(h, VC_H3_STREAM_CREATION_ERROR, "push from client");
  case STREAM_WT_UNI:
    s->kind = SK_WT_SESSION;
    return 0;
  default:
    /* §6.2: unknown types (GREASE too) are read and discarded. */
    h->stats.streams_unknown++;
    s->kind = SK_DISCARD;
    return 0;
  }
  /* §6.2.1, RFC 9204 §4.2: one of each. */
  if (*have) {
    return conn_error(h, VC_H3_STREAM_CREATION_ERROR, "second critical");
  }
  *have = 1;
  return 0;
}

/* The peer finished stream |s| (after its last bytes were read). */
static int stream_fin(vc_h3wt *h, h3_stream *s) {
  int mid_frame = s->fphase != FP_TYPE || s->vr.have != 0;

  switch (s->kind) {
  case SK_BIDI_TYPE:
    s->kind = SK_DISCARD;
    reset(h, s->id, VC_H3_REQUEST_INCOMPLETE);
    return 0;
  case SK_WT_SESSION:
    s->kind = SK_DISCARD;
    if (!is_uni(s->id)) {
      reset(h, s->id, VC_H3_MESSAGE_ERROR);
    }
    return 0;
  case SK_WT_OPEN:
  case SK_WT_EARLY:
    wt_payload(h, s, NULL, 0, 1);
    return 0;
  case SK_CONTROL:
  case SK_QPACK:
    return conn_error(h, VC_H3_CLOSED_CRITICAL_STREAM, "critical stream end");
  case SK_REQUEST:
    /* §7.1: a truncated frame is a connection error. */
    if (mid_frame) {
      return conn_error(h, VC_H3_FRAME_ERROR, "truncated frame");
    }
    s->kind = SK_DISCARD;
    reset(h, s->id, VC_H3_REQUEST_INCOMPLETE);
    early_drop_all(h, s->id);
    return 0;
  case SK_SESSION:
    if (mid_frame) {
      return conn_error(h, VC_H3_FRAME_ERROR, "truncated frame");
    }
    /* Draft-07 "Session Termination": a clean end is a CLOSE with code 0 and no
     * reason. A capsule cut by the end is dropped with it. */
    buf_free(s);
    session_end(h, s, 0, NULL, 0, END_FIN, SK_DISCARD);
    return 0;
  default:
    s->kind = SK_DISCARD;
    return 0;
  }
}

/* Bytes |p|..|end| (possibly none) and |fin| on stream |s|. */
static int stream_input(vc_h3wt *h, h3_stream *s, const uint8_t *p,
                        const uint8_t *end, int fin) {
  uint64_t v;
  int rv = 0;

  while (p < end && rv == 0) {
    switch (s->kind) {
    case SK_BIDI_TYPE:
      if (!vr_read(&s->vr, &p, end, &v)) {
        break;
      }
      if (v == STREAM_WT_BIDI) {
        s->kind = SK_WT_SESSION;
        /* It can never become a session: nothing may wait for it. */
        early_drop_all(h, s->id);
      } else {
        /* Not WebTransport: that varint was the first frame's type. */
        s->kind = SK_REQUEST;
        s->is_request = 1;
        s->ftype = v;
        s->fphase = FP_LEN;
      }
      break;
    case SK_UNI_TYPE:
      if (vr_read(&s->vr, &p, end, &v)) {
        rv = uni_type(h, s, v);
      }
      break;
    case SK_WT_SESSION:
      if (!vr_read(&s->vr, &p, end, &v)) {
        break;
      }
      rv = wt_header_done(h, s, v);
      if (rv != 0) {
        return rv;
      }
      /* The first event for the stream, even with no payload yet. */
      wt_payload(h, s, p, (size_t)(end - p), fin);
      return 0;
    case SK_WT_OPEN:
    case SK_WT_EARLY:
      wt_payload(h, s, p, (size_t)(end - p), fin);
      return 0;
    case SK_CONTROL:
    case SK_REQUEST:
    case SK_SESSION:
      rv = frames(h, s, &p, end);
      break;
    case SK_CLOSING:
      /* Draft-07 "Session Termination": nothing may follow a CLOSE. */
      s->kind = SK_DISCARD;
      reset(h, s->id, VC_H3_MESSAGE_ERROR);
      p = end;
      break;
    default: /* SK_QPACK, SK_DISCARD: read and ignored */
      p = end;
      break;
    }
  }
  if (rv != 0) {
    return rv;
  }
  return fin ? stream_fin(h, s) : 0;
}

/* --- the API --- */

void vc_h3wt_settings_default(vc_h3wt_settings *s) {
  s->max_sessions = 4;
  s->max_frame_len = 16384;
  s->max_early_bytes = 65536;
}

int vc_h3wt_new(vc_h3wt **ph, const vc_h3wt_settings *settings,
                const vc_h3wt_callbacks *cb) {
  vc_h3wt *h;

  if (!ph || !cb || !cb->open_uni_stream || !cb->write_stream ||
      !cb->reset_stream || !cb->close_connection || !cb->session_request ||
      !cb->session_closed || !cb->stream_data) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (settings &&
      (settings->max_sessions == 0 || settings->max_frame_len < 64)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  h = calloc(1, sizeof(*h));
  if (!h) {
    goto fail_h;
  }
  if (settings) {
    h->settings = *settings;
  } else {
    vc_h3wt_settings_default(&h->settings);
  }
  h->cb = *cb;
  /* Capacity 0: every field is a static-table or literal one. */
  if (nghttp3_qpack_encoder_new(&h->qenc, 0, nghttp3_mem_default()) != 0) {
    goto fail_qenc;
  }
  *ph = h;
  return 0;

fail_qenc:
  free(h);
fail_h:
  return VC_ERR_NOMEM;
}

void vc_h3wt_del(vc_h3wt *h) {
  size_t b;
  h3_stream *s, *next;

  if (!h) {
    return;
  }
  for (b = 0; b < N_BUCKETS; b++) {
    for (s = h->buckets[b]; s; s = s->next) {
      if (s->kind == SK_SESSION) {
        session_end(h, s, 0, NULL, 0, END_SILENT, SK_DISCARD);
      }
    }
  }
  for (b = 0; b < N_BUCKETS; b++) {
    for (s = h->buckets[b]; s; s = next) {
      next = s->next;
      free(s->buf);
      free(s);
    }
  }
  nghttp3_qpack_encoder_del(h->qenc);
  free(h);
}

/* Opens a server uni stream and writes its first |len| bytes. */
static int open_critical(vc_h3wt *h, const uint8_t *data, size_t len) {
  int64_t id;
  int rv = h->cb.open_uni_stream(h->cb.user_data, &id);

  if (rv != 0) {
    return rv < 0 ? rv : VC_ERR_STATE;
  }
  rv = h->cb.write_stream(h->cb.user_data, id, data, len, 0);
  return rv < 0 ? rv : 0;
}

static size_t put_setting(uint8_t *p, uint64_t id, uint64_t value) {
  size_t n = vc_quic_varint_put(p, id);
  return n + vc_quic_varint_put(p + n, value);
}

int vc_h3wt_start(vc_h3wt *h) {
  uint8_t settings[64], control[80];
  size_t n = 0, c = 0;
  static const uint8_t qpack_enc = STREAM_QPACK_ENCODER;
  static const uint8_t qpack_dec = STREAM_QPACK_DECODER;
  int rv;

  if (h->started || h->failed) {
    return VC_ERR_STATE;
  }
  h->started = 1;
  /* No dynamic table and no blocked streams: the peer's requests decode
   * on their own. Extended CONNECT and datagrams for WebTransport; 0x2b..
   * selects draft-02 (what Chromium speaks), 0xc6.. also offers draft-07
   * with a session limit. */
  n += put_setting(settings + n, SETTING_QPACK_MAX_TABLE_CAPACITY, 0);
  n += put_setting(settings + n, SETTING_QPACK_BLOCKED_STREAMS, 0);
  n += put_setting(settings + n, SETTING_ENABLE_CONNECT_PROTOCOL, 1);
  n += put_setting(settings + n, SETTING_H3_DATAGRAM, 1);
  n += put_setting(settings + n, SETTING_ENABLE_WEBTRANSPORT, 1);
  n += put_setting(settings + n, SETTING_WT_MAX_SESSIONS_DRAFT07,
                   h->settings.max_sessions);
  c += vc_quic_varint_put(control + c, STREAM_CONTROL);
  c += vc_quic_varint_put(control + c, FRAME_SETTINGS);
  c += vc_quic_varint_put(control + c, n);
  memcpy(control + c, settings, n);
  c += n;
  rv = open_critical(h, control, c);
  if (rv == 0) {
    rv = open_critical(h, &qpack_enc, 1);
  }
  if (rv == 0) {
    rv = open_critical(h, &qpack_dec, 1);
  }
  return rv;
}

int vc_h3wt_on_stream_data(vc_h3wt *h, int64_t stream_id, const uint8_t *data,
                           size_t len, int fin) {
  h3_stream *s;

  if (h->failed) {
    return VC_ERR_STATE;
  }
  s = find(h, stream_id);
  if (!s) {
    if (!is_client(stream_id)) {
      return 0; /* not ours unless bound (vc_h3wt_bind_stream) */
    }
    s = stream_new(h, stream_id,
                   is_uni(stream_id) ? SK_UNI_TYPE : SK_BIDI_TYPE);
    if (!s) {
      return conn_nomem(h);
    }
  }
  return stream_input(h, s, len > 0 ? data : NULL, len > 0 ? data + len : NULL,
                      fin);
}

void vc_h3wt_on_stream_reset(vc_h3wt *h, int64_t stream_id) {
  h3_stream *s = find(h, stream_id);

  if (h->failed) {
    return;
  }
  if (!s) {
    /* Reset before its first byte: end our side too, or the stream
     * never closes and its credit never comes back. */
    if (is_client(stream_id) && !is_uni(stream_id)) {
      reset(h, stream_id, VC_H3_REQUEST_CANCELLED);
    }
    return;
  }
  switch (s->kind) {
  case SK_CONTROL:
  case SK_QPACK:
    conn_error(h, VC_H3_CLOSED_CRITICAL_STREAM, "critical stream reset");
    return;
  case SK_WT_OPEN:
    if (!s->peer_done) {
      s->peer_done = 1;
      if (h->cb.stream_reset) {
        h->cb.stream_reset(h->cb.user_data, s->session_id, s->id);
      }
    }
    return;
  case SK_WT_EARLY:
    h->early_bytes -= s->buf_len;
    buf_free(s);
    s->kind = SK_DISCARD;
    if (!is_uni(s->id)) {
      reset(h, s->id, VC_WT_BUFFERED_STREAM_REJECTED);
    }
    return;
  case SK_SESSION:
    buf_free(s);
    session_end(h, s, 0, NULL, 0, END_FIN, SK_DISCARD);
    return;
  case SK_REQUEST:
    early_drop_all(h, s->id);
    /* fall through */
  case SK_BIDI_TYPE:
  case SK_WT_SESSION:
    /* Our side ends too, so that the stream can close. */
    s->kind = SK_DISCARD;
    if (!is_uni(s->id)) {
      reset(h, s->id, VC_H3_REQUEST_CANCELLED);
    }
    return;
  default:
    s->kind = SK_DISCARD;
    return;
  }
}

void vc_h3wt_on_stream_closed(vc_h3wt *h, int64_t stream_id) {
  h3_stream **pp = &h->buckets[bucket_of(stream_id)], *s;

  while (*pp && (*pp)->id != stream_id) {
    pp = &(*pp)->next;
  }
  s = *pp;
  if (!s || s->closed) {
    return;
  }
  if (s->kind == SK_WT_EARLY && s->peer_done && !h->failed) {
    s->closed = 1; /* its bytes still wait for their session */
    return;
  }
  *pp = s->next;
  if (s->kind == SK_SESSION) {
    /* Told even after a connection error: the application frees it. */
    session_end(h, s, 0, NULL, 0, h->failed ? END_SILENT : END_CLOSED,
                SK_DISCARD);
  } else if (!h->failed) {
    if (s->kind == SK_CONTROL || s->kind == SK_QPACK) {
      conn_error(h, VC_H3_CLOSED_CRITICAL_STREAM, "critical stream closed");
    } else if (s->kind == SK_REQUEST || s->kind == SK_BIDI_TYPE) {
      early_drop_all(h, s->id);
    }
  }
  if (s->kind == SK_WT_EARLY) {
    h->early_bytes -= s->buf_len;
  }
  if (s->is_request) {
    h->gone[h->gone_next] = s->id;
    h->gone_next = (h->gone_next + 1) % N_GONE;
    if (h->n_gone < N_GONE) {
      h->n_gone++;
    }
  }
  free(s->buf);
  free(s);
}

int vc_h3wt_on_datagram(vc_h3wt *h, const uint8_t *data, size_t len) {
  uint64_t q;
  size_t n;
  h3_stream *s;

  if (h->failed) {
    return VC_ERR_STATE;
  }
  /* RFC 9297 §2.1 makes a datagram without a valid quarter stream id
   * (none, cut short, q * 4 past the stream ids) H3_DATAGRAM_ERROR for
   * the whole connection. We drop it and count it instead: datagrams are
   * unreliable anyway, and docs/PROTOCOL.md promises that a bad one is
   * never fatal, so one stray packet cannot end a call. */
  n = len > 0 ? vc_quic_varint_get(data, len, &q) : 0;
  if (n == 0 || q > (VC_QUIC_VARINT_MAX >> 2)) {
    h->stats.datagrams_malformed++;
    return 0;
  }
  s = find(h, (int64_t)(q * 4));
  if (!s || s->kind != SK_SESSION || !h->cb.datagram) {
    h->stats.datagrams_dropped++;
    return 0;
  }
  h->cb.datagram(h->cb.user_data, s->id, data + n, len - n);
  return 0;
}

int vc_h3wt_close_session(vc_h3wt *h, int64_t session_id, uint32_t code,
                          const char *reason) {
  /* DATA frame header, capsule header, code, reason. */
  uint8_t frame[4 * VC_QUIC_VARINT_MAX_LEN + 4 + CLOSE_MAX_REASON_LEN];
  size_t rlen = reason ? strnlen(reason, CLOSE_MAX_REASON_LEN + 1) : 0;
  size_t clen = 4 + rlen, n = 0;
  h3_stream *s;
  int rv;

  if (rlen > CLOSE_MAX_REASON_LEN) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  s = find(h, session_id);
  if (h->failed || !s || s->kind != SK_SESSION) {
    return VC_ERR_STATE;
  }
  n += vc_quic_varint_put(frame + n, FRAME_DATA);
  n += vc_quic_varint_put(frame + n,
                          vc_quic_varint_len(CAPSULE_CLOSE_WT_SESSION) +
                              vc_quic_varint_len(clen) + clen);
  n += vc_quic_varint_put(frame + n, CAPSULE_CLOSE_WT_SESSION);
  n += vc_quic_varint_put(frame + n, clen);
  frame[n++] = (uint8_t)(code >> 24);
  frame[n++] = (uint8_t)(code >> 16);
  frame[n++] = (uint8_t)(code >> 8);
  frame[n++] = (uint8_t)code;
  if (rlen > 0) {
    memcpy(frame + n, reason, rlen);
  }
  n += rlen;
  /* Whatever the peer sends now (its own CLOSE, FIN) is not reported. */
  s->kind = SK_DISCARD;
  buf_free(s);
  h->n_sessions--;
  rv = h->cb.write_stream(h->cb.user_data, session_id, frame, n, 1);
  session_streams_reset(h, session_id);
  return rv < 0 ? rv : 0;
}

int vc_h3wt_bind_stream(vc_h3wt *h, int64_t stream_id, int64_t session_id) {
  h3_stream *sess, *s;

  if (is_client(stream_id) || stream_id < 0 || find(h, stream_id)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  sess = find(h, session_id);
  if (h->failed || !sess || sess->kind != SK_SESSION) {
    return VC_ERR_STATE;
  }
  s = stream_new(h, stream_id, SK_WT_OPEN);
  if (!s) {
    return VC_ERR_NOMEM;
  }
  s->session_id = session_id;
  return 0;
}

size_t vc_h3wt_datagram_header(uint8_t *dest, int64_t session_id) {
  return vc_quic_varint_put(dest, (uint64_t)session_id / 4);
}

size_t vc_h3wt_stream_header(uint8_t *dest, int64_t session_id, int bidi) {
  /* Sent as 2 bytes: 0x41 and 0x54 do not fit in one (RFC 9000 §16). */
  size_t n = vc_quic_varint_put(dest, bidi ? STREAM_WT_BIDI : STREAM_WT_UNI);
  return n + vc_quic_varint_put(dest + n, (uint64_t)session_id);
}

void vc_h3wt_get_stats(const vc_h3wt *h, vc_h3wt_stats *stats) {
  *stats = h->stats;
}

/*
 * server_h3wt_test.c: server-stub's HTTP/3 + WebTransport layer (h3wt.c;
 * RFC 9114, RFC 9204, RFC 9220, RFC 9297, WebTransport over HTTP/3
 * draft-02/07) driven through a fake QUIC layer that records what it is
 * asked to write, reset and close, and a fake application that records
 * what it is told. Requests are built with nghttp3's QPACK encoder and
 * responses read back with its decoder, as a browser would.
 */
#include <stdio.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

#include "h3wt.h"
#include "quic_varint.h"
#include "test.h"

#define MAX_STREAMS 48
#define STREAM_BUF 8192
#define MAX_EVENTS 16

/* What the fake QUIC layer was asked to do on one stream. */
struct fake_stream {
  int64_t id;
  uint8_t data[STREAM_BUF];
  size_t len;
  int fin, n_writes_after_fin;
  int n_resets;
  uint64_t reset_code;
};

/* What the fake application saw on one WebTransport stream. */
struct app_stream {
  int64_t id, session_id;
  uint8_t data[STREAM_BUF];
  size_t len;
  int n_calls, fin, n_resets;
};

struct closed_event {
  int64_t session_id;
  uint32_t code;
  char reason[64];
};

static struct fake {
  vc_h3wt *h;
  struct fake_stream streams[MAX_STREAMS];
  size_t n_streams;
  struct app_stream app[MAX_STREAMS];
  size_t n_app;
  int64_t next_uni;
  int n_conn_closes;
  uint64_t conn_error;
  /* session_request */
  int status; /* what it answers */
  int n_requests;
  int64_t request_session;
  char authority[64], path[64], origin[64];
  /* session_closed */
  struct closed_event closed[MAX_EVENTS];
  int n_closed;
  /* datagram */
  int n_datagrams;
  int64_t dgram_session;
  uint8_t dgram[64];
  size_t dgram_len;
  /* stream_data closes this session when >= 0 (a callback re-entering) */
  int64_t close_in_data;
} F;

static struct fake_stream *fake_stream(int64_t id) {
  size_t i;

  for (i = 0; i < F.n_streams; i++) {
    if (F.streams[i].id == id) {
      return &F.streams[i];
    }
  }
  if (F.n_streams == MAX_STREAMS) {
    return NULL;
  }
  F.streams[F.n_streams].id = id;
  return &F.streams[F.n_streams++];
}

static struct app_stream *app_stream(int64_t id) {
  size_t i;

  for (i = 0; i < F.n_app; i++) {
    if (F.app[i].id == id) {
      return &F.app[i];
    }
  }
  if (F.n_app == MAX_STREAMS) {
    return NULL;
  }
  F.app[F.n_app].id = id;
  return &F.app[F.n_app++];
}

/* --- the fake QUIC layer --- */

static int cb_open_uni_stream(void *ud, int64_t *stream_id) {
  (void)ud;
  *stream_id = F.next_uni;
  F.next_uni += 4;
  return 0;
}

static int cb_write_stream(void *ud, int64_t stream_id, const uint8_t *data,
                           size_t len, int fin) {
  struct fake_stream *s = fake_stream(stream_id);

  (void)ud;
  if (!s || s->len + len > STREAM_BUF) {
    return VC_ERR_NOBUF;
  }
  if (s->fin) {
    s->n_writes_after_fin++;
  }
  if (len > 0) {
    memcpy(s->data + s->len, data, len);
  }
  s->len += len;
  s->fin |= fin;
  return 0;
}

static void cb_reset_stream(void *ud, int64_t stream_id, uint64_t h3_error) {
  struct fake_stream *s = fake_stream(stream_id);

  (void)ud;
  if (s) {
    s->n_resets++;
    s->reset_code = h3_error;
  }
}

static void cb_close_connection(void *ud, uint64_t h3_error,
                                const char *reason) {
  (void)ud;
  (void)reason;
  F.n_conn_closes++;
  F.conn_error = h3_error;
}

/* --- the fake application --- */

static void copy_str(char *dest, size_t cap, const char *src) {
  (void)snprintf(dest, cap, "%s", src);
}

static int cb_session_request(void *ud, int64_t session_id,
                              const vc_h3wt_request *req) {
  (void)ud;
  F.n_requests++;
  F.request_session = session_id;
  copy_str(F.authority, sizeof(F.authority), req->authority);
  copy_str(F.path, sizeof(F.path), req->path);
  copy_str(F.origin, sizeof(F.origin), req->origin);
  return F.status;
}

static void cb_session_closed(void *ud, int64_t session_id, uint32_t code,
                              const uint8_t *reason, size_t reason_len) {
  struct closed_event *e;

  (void)ud;
  if (F.n_closed == MAX_EVENTS) {
    return;
  }
  e = &F.closed[F.n_closed++];
  e->session_id = session_id;
  e->code = code;
  if (reason_len >= sizeof(e->reason)) {
    reason_len = sizeof(e->reason) - 1;
  }
  memcpy(e->reason, reason, reason_len);
  e->reason[reason_len] = 0;
}

static void cb_stream_data(void *ud, int64_t session_id, int64_t stream_id,
                           const uint8_t *data, size_t len, int fin) {
  struct app_stream *a = app_stream(stream_id);

  (void)ud;
  if (!a || a->len + len > STREAM_BUF) {
    return;
  }
  a->session_id = session_id;
  a->n_calls++;
  memcpy(a->data + a->len, data, len);
  a->len += len;
  a->fin += fin;
  if (F.close_in_data >= 0) {
    vc_h3wt_close_session(F.h, F.close_in_data, 1, "from a callback");
  }
}

static void cb_stream_reset(void *ud, int64_t session_id, int64_t stream_id) {
  struct app_stream *a = app_stream(stream_id);

  (void)ud;
  if (a) {
    a->session_id = session_id;
    a->n_resets++;
  }
}

static void cb_datagram(void *ud, int64_t session_id, const uint8_t *data,
                        size_t len) {
  (void)ud;
  F.n_datagrams++;
  F.dgram_session = session_id;
  F.dgram_len = len < sizeof(F.dgram) ? len : sizeof(F.dgram);
  memcpy(F.dgram, data, F.dgram_len);
}

/* A fresh layer with |s| (NULL: defaults) and the fakes, started. */
static vc_h3wt *setup(const vc_h3wt_settings *s) {
  vc_h3wt_callbacks cb;

  memset(&F, 0, sizeof(F));
  F.next_uni = 3;
  F.status = 200;
  F.close_in_data = -1;
  memset(&cb, 0, sizeof(cb));
  cb.open_uni_stream = cb_open_uni_stream;
  cb.write_stream = cb_write_stream;
  cb.reset_stream = cb_reset_stream;
  cb.close_connection = cb_close_connection;
  cb.session_request = cb_session_request;
  cb.session_closed = cb_session_closed;
  cb.stream_data = cb_stream_data;
  cb.stream_reset = cb_stream_reset;
  cb.datagram = cb_datagram;
  if (vc_h3wt_new(&F.h, s, &cb) != 0 || vc_h3wt_start(F.h) != 0) {
    return NULL;
  }
  return F.h;
}

/* --- building what a client sends --- */

struct wbuf {
  uint8_t b[STREAM_BUF];
  size_t n;
};

static void put_varint(struct wbuf *w, uint64_t v) {
  w->n += vc_quic_varint_put(w->b + w->n, v);
}

static void put_bytes(struct wbuf *w, const void *p, size_t len) {
  memcpy(w->b + w->n, p, len);
  w->n += len;
}

static void put_frame(struct wbuf *w, uint64_t type, const void *p,
                      size_t len) {
  put_varint(w, type);
  put_varint(w, len);
  put_bytes(w, p, len);
}

/* A capsule (RFC 9297 §3.2) inside a DATA frame of its own. */
static void put_capsule_frame(struct wbuf *w, uint64_t type, const void *p,
                              size_t len) {
  struct wbuf c;

  c.n = 0;
  put_varint(&c, type);
  put_varint(&c, len);
  put_bytes(&c, p, len);
  put_frame(w, 0x00, c.b, c.n);
}

/* Chromium's SETTINGS as seen on the wire, one GREASE id included. */
static void put_client_control(struct wbuf *w) {
  struct wbuf s;

  s.n = 0;
  put_varint(&s, 0x01);
  put_varint(&s, 65536);
  put_varint(&s, 0x06);
  put_varint(&s, 16384);
  put_varint(&s, 0x07);
  put_varint(&s, 100);
  put_varint(&s, 0x33);
  put_varint(&s, 1);
  put_varint(&s, 0xffd277);
  put_varint(&s, 1);
  put_varint(&s, 0x1f * 1234 + 0x21); /* GREASE */
  put_varint(&s, 77);
  put_varint(&s, 0x2b603742);
  put_varint(&s, 1);
  put_varint(w, 0x00); /* control stream */
  put_frame(w, 0x04, s.b, s.n);
}

/* A HEADERS frame holding |fields| (name, value, ..., NULL), encoded as
 * a client with no dynamic table would. */
static int put_headers(struct wbuf *w, int64_t stream_id,
                       const char *const *fields) {
  const nghttp3_mem *mem = nghttp3_mem_default();
  nghttp3_qpack_encoder *enc;
  nghttp3_buf pbuf, rbuf, ebuf;
  nghttp3_nv nva[16];
  /* nghttp3_nv wants mutable bytes: the fields are copied here. */
  static uint8_t copies[1024];
  size_t n = 0, used = 0, plen, rlen;
  int rv;

  for (; fields[2 * n]; n++) {
    if (n == 16) {
      return -1;
    }
    nva[n].namelen = strlen(fields[2 * n]);
    nva[n].valuelen = strlen(fields[2 * n + 1]);
    if (used + nva[n].namelen + nva[n].valuelen > sizeof(copies)) {
      return -1;
    }
    nva[n].name = copies + used;
    memcpy(nva[n].name, fields[2 * n], nva[n].namelen);
    used += nva[n].namelen;
    nva[n].value = copies + used;
    memcpy(nva[n].value, fields[2 * n + 1], nva[n].valuelen);
    used += nva[n].valuelen;
    nva[n].flags = NGHTTP3_NV_FLAG_NONE;
  }
  if (nghttp3_qpack_encoder_new(&enc, 0, mem) != 0) {
    return -1;
  }
  nghttp3_buf_init(&pbuf);
  nghttp3_buf_init(&rbuf);
  nghttp3_buf_init(&ebuf);
  rv =
      nghttp3_qpack_encoder_encode(enc, &pbuf, &rbuf, &ebuf, stream_id, nva, n);
  if (rv == 0) {
    plen = nghttp3_buf_len(&pbuf);
    rlen = nghttp3_buf_len(&rbuf);
    put_varint(w, 0x01);
    put_varint(w, plen + rlen);
    put_bytes(w, pbuf.pos, plen);
    put_bytes(w, rbuf.pos, rlen);
  }
  nghttp3_buf_free(&pbuf, mem);
  nghttp3_buf_free(&rbuf, mem);
  nghttp3_buf_free(&ebuf, mem);
  nghttp3_qpack_encoder_del(enc);
  return rv;
}

/* What Chromium 156 sends (WEBTRANSPORT-NOTES.md §3). */
static const char *const connect_fields[] = {":scheme",
                                             "https",
                                             ":method",
                                             "CONNECT",
                                             ":authority",
                                             "127.0.0.1:4433",
                                             ":path",
                                             "/echo",
                                             ":protocol",
                                             "webtransport",
                                             "sec-webtransport-http3-draft02",
                                             "1",
                                             "origin",
                                             "http://localhost:8000",
                                             NULL};

static int put_connect(struct wbuf *w, int64_t stream_id) {
  return put_headers(w, stream_id, connect_fields);
}

static int feed(int64_t id, const struct wbuf *w, int fin) {
  return vc_h3wt_on_stream_data(F.h, id, w->b, w->n, fin);
}

/* Feeds |w| one byte at a time, FIN with the last one when |fin|. */
static int feed_bytewise(int64_t id, const struct wbuf *w, int fin) {
  size_t i;
  int rv;

  for (i = 0; i < w->n; i++) {
    rv = vc_h3wt_on_stream_data(F.h, id, w->b + i, 1, fin && i + 1 == w->n);
    if (rv != 0) {
      return rv;
    }
  }
  return 0;
}

/* The client's control stream (2) and a CONNECT on |id|, both whole. */
static int open_session(int64_t id) {
  struct wbuf w;

  if (id == 0) {
    w.n = 0;
    put_client_control(&w);
    if (feed(2, &w, 0) != 0) {
      return -1;
    }
  }
  w.n = 0;
  if (put_connect(&w, id) != 0) {
    return -1;
  }
  return feed(id, &w, 0);
}

/* The header of a client WebTransport stream, then |payload|. */
static void put_wt_stream(struct wbuf *w, int bidi, int64_t session_id,
                          const char *payload) {
  uint8_t hdr[16];

  w->n = 0;
  put_bytes(w, hdr, vc_h3wt_stream_header(hdr, session_id, bidi));
  put_bytes(w, payload, strlen(payload));
}

/* --- reading what the server sent --- */

/*
 * Decodes the HEADERS frame at the start of stream |id|'s writes: returns
 * its :status (0 when there is none or it does not decode) and copies the
 * allow field, if any, into |allow|.
 */
static int response_status(int64_t id, char *allow, size_t allow_cap) {
  struct fake_stream *s = fake_stream(id);
  const nghttp3_mem *mem = nghttp3_mem_default();
  nghttp3_qpack_decoder *dec;
  nghttp3_qpack_stream_context *sctx;
  nghttp3_qpack_nv nv;
  nghttp3_vec name, value;
  uint64_t type = 0, len = 0;
  size_t n, pos = 0;
  uint8_t flags;
  nghttp3_ssize nread;
  int status = 0;

  if (allow) {
    allow[0] = 0;
  }
  n = vc_quic_varint_get(s->data, s->len, &type);
  if (n == 0 || type != 0x01) {
    return 0;
  }
  pos = n;
  n = vc_quic_varint_get(s->data + pos, s->len - pos, &len);
  if (n == 0 || len > s->len - pos - n) {
    return 0;
  }
  pos += n;
  nghttp3_qpack_decoder_new(&dec, 0, 0, mem);
  nghttp3_qpack_stream_context_new(&sctx, id, mem);
  for (;;) {
    nread = nghttp3_qpack_decoder_read_request(dec, sctx, &nv, &flags,
                                               s->data + pos, (size_t)len, 1);
    if (nread < 0) {
      status = 0;
      break;
    }
    pos += (size_t)nread;
    len -= (uint64_t)nread;
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
      name = nghttp3_rcbuf_get_buf(nv.name);
      value = nghttp3_rcbuf_get_buf(nv.value);
      if (name.len == 7 && memcmp(name.base, ":status", 7) == 0 &&
          value.len == 3) {
        status = (value.base[0] - '0') * 100 + (value.base[1] - '0') * 10 +
                 (value.base[2] - '0');
      } else if (allow && name.len == 5 && memcmp(name.base, "allow", 5) == 0) {
        (void)snprintf(allow, allow_cap, "%.*s", (int)value.len,
                       (const char *)value.base);
      }
      nghttp3_rcbuf_decref(nv.name);
      nghttp3_rcbuf_decref(nv.value);
    }
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
      break;
    }
  }
  nghttp3_qpack_stream_context_del(sctx);
  nghttp3_qpack_decoder_del(dec);
  return status;
}

/* The length of the HEADERS frame at the start of stream |id|'s writes. */
static size_t response_len(int64_t id) {
  struct fake_stream *s = fake_stream(id);
  uint64_t type = 0, len = 0;
  size_t n = vc_quic_varint_get(s->data, s->len, &type);
  size_t m = vc_quic_varint_get(s->data + n, s->len - n, &len);

  return n + m + (size_t)len;
}

/* --- tests --- */

void test_vc_h3wt_varint_round_trips(void) {
  static const uint64_t values[] = {
      0,          63,         64,         16383,      16384,
      1073741823, 1073741824, 0x2b603742, 0xc671706a, VC_QUIC_VARINT_MAX};
  static const size_t lens[] = {1, 1, 2, 2, 4, 4, 8, 4, 8, 8};
  /* RFC 9000 §A.1's example: 0x9d7f3e7d decodes to 494878333. */
  static const uint8_t rfc[] = {0x9d, 0x7f, 0x3e, 0x7d};
  uint8_t buf[8];
  uint64_t v = 0;
  size_t i;

  for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    CHECK_INT_EQ(vc_quic_varint_put(buf, values[i]), lens[i]);
    CHECK_INT_EQ(vc_quic_varint_len_of(buf[0]), lens[i]);
    CHECK_INT_EQ(vc_quic_varint_get(buf, lens[i] - 1, &v), 0);
    CHECK_INT_EQ(vc_quic_varint_get(buf, lens[i], &v), lens[i]);
    CHECK(v == values[i]);
  }
  CHECK_INT_EQ(vc_quic_varint_get(rfc, 4, &v), 4);
  CHECK_INT_EQ(v, 494878333);
  /* The WebTransport stream headers: 0x41 and 0x54 take two bytes. */
  CHECK_INT_EQ(vc_h3wt_stream_header(buf, 0, 1), 3);
  CHECK_MEM_EQ(buf, "\x40\x41\x00", 3);
  CHECK_INT_EQ(vc_h3wt_stream_header(buf, 4, 0), 3);
  CHECK_MEM_EQ(buf, "\x40\x54\x04", 3);
  CHECK_INT_EQ(vc_h3wt_datagram_header(buf, 400), 2);
  CHECK_MEM_EQ(buf, "\x40\x64", 2);
}

void test_vc_h3wt_start_sends_settings_and_qpack_streams(void) {
  vc_h3wt_settings st;
  struct fake_stream *c;
  uint64_t v[16];
  size_t pos = 0, n, i, nv = 0;
  static const uint64_t want[] = {0x01, 0, 0x07,       0, 0x08,       1,
                                  0x33, 1, 0x2b603742, 1, 0xc671706a, 3};

  vc_h3wt_settings_default(&st);
  st.max_sessions = 3;
  CHECK(setup(&st) != NULL);
  CHECK_INT_EQ(F.n_streams, 3);
  /* Control stream: type 0, then one SETTINGS frame. */
  c = &F.streams[0];
  CHECK_INT_EQ(c->id, 3);
  CHECK_INT_EQ(c->fin, 0);
  while (pos < c->len && nv < 16) {
    n = vc_quic_varint_get(c->data + pos, c->len - pos, &v[nv++]);
    CHECK(n > 0);
    pos += n;
  }
  CHECK_INT_EQ(nv, 3 + 12);
  CHECK_INT_EQ(v[0], 0x00); /* stream type */
  CHECK_INT_EQ(v[1], 0x04); /* SETTINGS */
  CHECK_INT_EQ(v[2], c->len - 3);
  for (i = 0; i < 12; i++) {
    CHECK(v[3 + i] == want[i]);
  }
  /* QPACK encoder and decoder streams: just their type. */
  CHECK_INT_EQ(F.streams[1].id, 7);
  CHECK_INT_EQ(F.streams[1].len, 1);
  CHECK_INT_EQ(F.streams[1].data[0], 0x02);
  CHECK_INT_EQ(F.streams[2].id, 11);
  CHECK_INT_EQ(F.streams[2].len, 1);
  CHECK_INT_EQ(F.streams[2].data[0], 0x03);
  CHECK_INT_EQ(vc_h3wt_start(F.h), VC_ERR_STATE);
  CHECK_INT_EQ(F.n_streams, 3);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_connect_is_accepted_with_200(void) {
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  CHECK_INT_EQ(F.n_requests, 1);
  CHECK_INT_EQ(F.request_session, 0);
  CHECK(strcmp(F.authority, "127.0.0.1:4433") == 0);
  CHECK(strcmp(F.path, "/echo") == 0);
  CHECK(strcmp(F.origin, "http://localhost:8000") == 0);
  CHECK_INT_EQ(response_status(0, NULL, 0), 200);
  CHECK_INT_EQ(fake_stream(0)->len, response_len(0));
  CHECK_INT_EQ(fake_stream(0)->fin, 0);
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.sessions_accepted, 1);
  CHECK_INT_EQ(st.sessions_refused, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_refused_connect_gets_its_status_and_fin(void) {
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  F.status = 403;
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(F.n_requests, 1);
  CHECK_INT_EQ(response_status(0, NULL, 0), 403);
  CHECK_INT_EQ(fake_stream(0)->fin, 1);
  /* A refused session never closes: it never opened. */
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.sessions_accepted, 0);
  CHECK_INT_EQ(st.sessions_refused, 1);
  /* What the client still sends on it is ignored. */
  CHECK_INT_EQ(
      vc_h3wt_on_stream_data(F.h, 0, (const uint8_t *)"\x00\x01x", 3, 1), 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
}

/* Requests answered without asking the application, and why. */
void test_vc_h3wt_other_requests_get_error_statuses(void) {
  static const char *const get[] = {":method",    "GET",   ":scheme",
                                    "https",      ":path", "/",
                                    ":authority", "a",     NULL};
  static const char *const no_path[] = {":method",   "CONNECT",      ":scheme",
                                        "https",     ":authority",   "a",
                                        ":protocol", "webtransport", NULL};
  static const char *const classic[] = {":method", "CONNECT", ":authority",
                                        "a:443", NULL};
  static const char *const other_protocol[] = {
      ":method", "CONNECT", ":scheme",   "https",     ":authority", "a",
      ":path",   "/",       ":protocol", "websocket", NULL};
  static const char *const http_scheme[] = {
      ":method", "CONNECT", ":scheme",   "http",         ":authority", "a",
      ":path",   "/",       ":protocol", "webtransport", NULL};
  static const char *const upper[] = {
      ":method", "CONNECT", ":scheme", "https",     ":authority",
      "a",       ":path",   "/",       ":protocol", "webtransport",
      "Origin",  "x",       NULL};
  static const char *const late_pseudo[] = {
      ":method",   "CONNECT",      ":scheme", "https", ":authority",
      "a",         "origin",       "x",       ":path", "/",
      ":protocol", "webtransport", NULL};
  static const char *const dup_pseudo[] = {
      ":method", "CONNECT", ":scheme", "https",     ":authority",
      "a",       ":path",   "/",       ":protocol", "webtransport",
      ":path",   "/b",      NULL};
  static const char *const cr_value[] = {
      ":method", "CONNECT", ":scheme",   "https",        ":authority", "a",
      ":path",   "/\r",     ":protocol", "webtransport", NULL};
  static const char *const conn_field[] = {
      ":method",    "CONNECT", ":scheme", "https",     ":authority",
      "a",          ":path",   "/",       ":protocol", "webtransport",
      "connection", "x",       NULL};
  static const struct {
    const char *const *fields;
    int status;
  } cases[] = {{get, 405},         {no_path, 400},
               {classic, 501},     {other_protocol, 501},
               {http_scheme, 400}, {upper, 400},
               {late_pseudo, 400}, {dup_pseudo, 400},
               {cr_value, 400},    {conn_field, 400}};
  struct wbuf w;
  char allow[32];
  size_t i;
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    w.n = 0;
    CHECK_INT_EQ(put_headers(&w, (int64_t)(4 * i), cases[i].fields), 0);
    CHECK_INT_EQ(feed((int64_t)(4 * i), &w, 1), 0);
    CHECK_INT_EQ(response_status((int64_t)(4 * i), allow, sizeof(allow)),
                 cases[i].status);
    CHECK_INT_EQ(fake_stream((int64_t)(4 * i))->fin, 1);
    if (cases[i].status == 405) {
      CHECK(strcmp(allow, "CONNECT") == 0);
    }
  }
  CHECK_INT_EQ(F.n_requests, 0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.sessions_refused, i);
  /* A header block that does not decode fails the connection (RFC 9204
   * §6): here it refers to a dynamic table there is none of. */
  w.n = 0;
  put_frame(&w, 0x01, "\x02\x00\x80", 3);
  CHECK(feed(400, &w, 0) < 0);
  CHECK_INT_EQ(F.conn_error, VC_QPACK_DECOMPRESSION_FAILED);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_headers_split_byte_by_byte(void) {
  struct wbuf w;

  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_client_control(&w);
  CHECK_INT_EQ(feed_bytewise(2, &w, 0), 0);
  w.n = 0;
  /* An unknown (GREASE) frame first: skipped (RFC 9114 §9). */
  put_frame(&w, 0x1f * 3 + 0x21, "grease", 6);
  CHECK_INT_EQ(put_connect(&w, 0), 0);
  CHECK_INT_EQ(feed_bytewise(0, &w, 0), 0);
  CHECK_INT_EQ(F.n_requests, 1);
  CHECK(strcmp(F.path, "/echo") == 0);
  CHECK_INT_EQ(response_status(0, NULL, 0), 200);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_oversized_headers_get_431(void) {
  vc_h3wt_settings st;
  struct wbuf w;
  char big[200];
  const char *fields[] = {
      ":method", "CONNECT", ":scheme", "https",     ":authority",
      "a",       ":path",   "/",       ":protocol", "webtransport",
      "x-big",   big,       NULL};

  vc_h3wt_settings_default(&st);
  st.max_frame_len = 128;
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = 0;
  CHECK(setup(&st) != NULL);
  w.n = 0;
  CHECK_INT_EQ(put_headers(&w, 0, fields), 0);
  /* Judged from the frame header: the rest is never held. */
  CHECK_INT_EQ(feed_bytewise(0, &w, 1), 0);
  CHECK_INT_EQ(response_status(0, NULL, 0), 431);
  CHECK_INT_EQ(fake_stream(0)->fin, 1);
  CHECK_INT_EQ(F.n_requests, 0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  /* The next request on the connection is fine. */
  CHECK_INT_EQ(open_session(4), 0);
  CHECK_INT_EQ(response_status(4, NULL, 0), 200);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_session_limit_answers_429(void) {
  vc_h3wt_settings st;

  vc_h3wt_settings_default(&st);
  st.max_sessions = 1;
  CHECK(setup(&st) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(open_session(4), 0);
  CHECK_INT_EQ(F.n_requests, 1);
  CHECK_INT_EQ(response_status(4, NULL, 0), 429);
  CHECK_INT_EQ(fake_stream(4)->fin, 1);
  /* Once the first ends, a new one fits. */
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 0, NULL, 0, 1), 0);
  CHECK_INT_EQ(open_session(8), 0);
  CHECK_INT_EQ(response_status(8, NULL, 0), 200);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_wt_bidi_stream_payload_arrives_without_its_header(void) {
  struct wbuf w;
  struct app_stream *a;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  put_wt_stream(&w, 1, 0, "hello");
  CHECK_INT_EQ(feed(4, &w, 0), 0);
  a = app_stream(4);
  CHECK_INT_EQ(a->n_calls, 1);
  CHECK_INT_EQ(a->session_id, 0);
  CHECK_INT_EQ(a->len, 5);
  CHECK_MEM_EQ(a->data, "hello", 5);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 4, (const uint8_t *)" you", 4, 1),
               0);
  CHECK_INT_EQ(a->len, 9);
  CHECK_MEM_EQ(a->data, "hello you", 9);
  CHECK_INT_EQ(a->fin, 1);
  /* Byte by byte: the header is gathered, then one call per byte. The
   * first call (header complete, no payload yet) may carry 0 bytes. */
  put_wt_stream(&w, 1, 0, "split");
  CHECK_INT_EQ(feed_bytewise(8, &w, 1), 0);
  a = app_stream(8);
  CHECK_INT_EQ(a->len, 5);
  CHECK_MEM_EQ(a->data, "split", 5);
  CHECK_INT_EQ(a->fin, 1);
  CHECK_INT_EQ(a->n_calls, 6);
  /* A header with no payload and FIN: one call, empty, finished. */
  put_wt_stream(&w, 1, 0, "");
  CHECK_INT_EQ(feed(12, &w, 1), 0);
  CHECK_INT_EQ(app_stream(12)->n_calls, 1);
  CHECK_INT_EQ(app_stream(12)->fin, 1);
  /* The peer resets one: the application hears of it. */
  put_wt_stream(&w, 1, 0, "x");
  CHECK_INT_EQ(feed(16, &w, 0), 0);
  vc_h3wt_on_stream_reset(F.h, 16);
  CHECK_INT_EQ(app_stream(16)->n_resets, 1);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_wt_uni_stream_payload_arrives(void) {
  struct wbuf w;
  struct app_stream *a;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  put_wt_stream(&w, 0, 0, "one-way");
  CHECK_INT_EQ(feed_bytewise(6, &w, 1), 0);
  a = app_stream(6);
  CHECK_INT_EQ(a->session_id, 0);
  CHECK_INT_EQ(a->len, 7);
  CHECK_MEM_EQ(a->data, "one-way", 7);
  CHECK_INT_EQ(a->fin, 1);
  /* What the QUIC layer does at a client uni stream's FIN. */
  vc_h3wt_on_stream_closed(F.h, 6);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_early_stream_waits_for_its_connect(void) {
  struct wbuf w;
  struct app_stream *a;
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_client_control(&w);
  CHECK_INT_EQ(feed(2, &w, 0), 0);
  /* Streams naming session 0 before stream 0 said a word. */
  put_wt_stream(&w, 1, 0, "early ");
  CHECK_INT_EQ(feed_bytewise(4, &w, 0), 0);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 4, (const uint8_t *)"bird", 4, 0),
               0);
  put_wt_stream(&w, 0, 0, "uni");
  CHECK_INT_EQ(feed(6, &w, 1), 0);
  /* The QUIC layer closes a client uni stream at its FIN: the bytes must
   * still reach the session. */
  vc_h3wt_on_stream_closed(F.h, 6);
  CHECK_INT_EQ(F.n_app, 0);
  w.n = 0;
  CHECK_INT_EQ(put_connect(&w, 0), 0);
  CHECK_INT_EQ(feed(0, &w, 0), 0);
  CHECK_INT_EQ(response_status(0, NULL, 0), 200);
  /* Delivered in stream order, each in one piece. */
  CHECK_INT_EQ(F.n_app, 2);
  CHECK_INT_EQ(F.app[0].id, 4);
  CHECK_INT_EQ(F.app[1].id, 6);
  a = app_stream(4);
  CHECK_INT_EQ(a->n_calls, 1);
  CHECK_INT_EQ(a->len, 10);
  CHECK_MEM_EQ(a->data, "early bird", 10);
  CHECK_INT_EQ(a->fin, 0);
  a = app_stream(6);
  CHECK_INT_EQ(a->len, 3);
  CHECK_INT_EQ(a->fin, 1);
  /* After that, payload flows straight through. */
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 4, (const uint8_t *)"!", 1, 1), 0);
  a = app_stream(4);
  CHECK_INT_EQ(a->n_calls, 2);
  CHECK_INT_EQ(a->len, 11);
  CHECK_INT_EQ(a->fin, 1);
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.early_dropped, 0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_early_streams_over_the_cap_are_dropped(void) {
  vc_h3wt_settings st;
  vc_h3wt_stats stats;
  struct wbuf w;

  vc_h3wt_settings_default(&st);
  st.max_early_bytes = 16;
  CHECK(setup(&st) != NULL);
  put_wt_stream(&w, 1, 0, "0123456789");
  CHECK_INT_EQ(feed(4, &w, 0), 0);
  put_wt_stream(&w, 1, 0, "abcdefghij");
  CHECK_INT_EQ(feed(8, &w, 0), 0);
  /* 20 bytes would not fit in 16: the second stream goes. */
  CHECK_INT_EQ(fake_stream(8)->n_resets, 1);
  CHECK_INT_EQ(fake_stream(8)->reset_code, VC_WT_BUFFERED_STREAM_REJECTED);
  CHECK_INT_EQ(fake_stream(4)->n_resets, 0);
  vc_h3wt_get_stats(F.h, &stats);
  CHECK_INT_EQ(stats.early_dropped, 1);
  /* Streams waiting for a CONNECT that is refused are dropped too. */
  put_wt_stream(&w, 0, 12, "waits");
  CHECK_INT_EQ(feed(10, &w, 0), 0);
  F.status = 404;
  CHECK_INT_EQ(open_session(12), 0);
  CHECK_INT_EQ(response_status(12, NULL, 0), 404);
  CHECK_INT_EQ(fake_stream(10)->n_resets, 1);
  CHECK_INT_EQ(fake_stream(10)->reset_code, VC_WT_BUFFERED_STREAM_REJECTED);
  vc_h3wt_get_stats(F.h, &stats);
  CHECK_INT_EQ(stats.early_dropped, 2);
  /* The one that fit is delivered when its session opens. */
  F.status = 200;
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(app_stream(4)->len, 10);
  CHECK_INT_EQ(F.n_app, 1);
  /* A stream naming the refused session now is reset at once. */
  put_wt_stream(&w, 1, 12, "late");
  CHECK_INT_EQ(feed(16, &w, 0), 0);
  CHECK_INT_EQ(fake_stream(16)->reset_code, VC_WT_SESSION_GONE);
  CHECK_INT_EQ(F.n_app, 1);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_wt_stream_naming_a_non_request_is_an_id_error(void) {
  struct wbuf w;

  CHECK(setup(NULL) != NULL);
  put_wt_stream(&w, 1, 2, "x"); /* 2: a client uni stream id */
  CHECK(feed(4, &w, 0) < 0);
  CHECK_INT_EQ(F.conn_error, VC_H3_ID_ERROR);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 8, w.b, w.n, 0), VC_ERR_STATE);
  CHECK_INT_EQ(F.n_conn_closes, 1);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_datagrams_are_routed_by_quarter_stream_id(void) {
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(open_session(4), 0);
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x01ping", 5), 0);
  CHECK_INT_EQ(F.n_datagrams, 1);
  CHECK_INT_EQ(F.dgram_session, 4);
  CHECK_INT_EQ(F.dgram_len, 4);
  CHECK_MEM_EQ(F.dgram, "ping", 4);
  /* An empty payload is a datagram too. */
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x00", 1), 0);
  CHECK_INT_EQ(F.n_datagrams, 2);
  CHECK_INT_EQ(F.dgram_session, 0);
  CHECK_INT_EQ(F.dgram_len, 0);
  /* No session 8 (quarter id 2), nor 400 (two-byte quarter id 100). */
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x02x", 2), 0);
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x40\x64x", 3), 0);
  CHECK_INT_EQ(F.n_datagrams, 2);
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.datagrams_dropped, 2);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

/* Issue 20 finding 7: a datagram cut inside its quarter stream id closed
 * the whole connection (RFC 9297 §2.1's H3_DATAGRAM_ERROR); one stray
 * packet must not end a call, so it is dropped and counted. */
void test_vc_h3wt_a_truncated_datagram_header_is_dropped_not_fatal(void) {
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  /* Empty; a two-byte varint cut after its first byte; an eight-byte
   * one whose quarter stream id times four is past every stream id. */
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"", 0), 0);
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x40", 1), 0);
  CHECK_INT_EQ(vc_h3wt_on_datagram(
                   F.h, (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff", 8),
               0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  CHECK_INT_EQ(F.n_datagrams, 0);
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.datagrams_malformed, 3);
  CHECK_INT_EQ(st.datagrams_dropped, 0);
  /* The session still gets the next good one. */
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x00ok", 3), 0);
  CHECK_INT_EQ(F.n_datagrams, 1);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_grease_then_close_capsule_ends_the_session(void) {
  static uint8_t grease[3000];
  struct wbuf w, c;
  uint8_t close_value[7] = {0x00, 0x00, 0x12, 0x34, 'b', 'y', 'e'};
  size_t half;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  put_wt_stream(&w, 1, 0, "x");
  CHECK_INT_EQ(feed(4, &w, 0), 0);
  put_wt_stream(&w, 0, 0, "y");
  CHECK_INT_EQ(feed(6, &w, 1), 0);
  w.n = 0;
  /* Chromium's GREASE capsule (type 41 * N + 23), larger than any frame
   * this layer holds, then DRAIN, each in a DATA frame of its own. */
  memset(grease, 0xee, sizeof(grease));
  put_capsule_frame(&w, 0xcf9679e25be7035, grease, sizeof(grease));
  put_capsule_frame(&w, 0x78ae, "", 0);
  /* A CLOSE capsule cut across two DATA frames (RFC 9297 §3.2 allows
   * capsules to span frames), an unknown frame between them. */
  c.n = 0;
  put_varint(&c, 0x2843);
  put_varint(&c, sizeof(close_value));
  put_bytes(&c, close_value, sizeof(close_value));
  half = c.n / 2;
  put_frame(&w, 0x00, c.b, half);
  put_frame(&w, 0x21, "", 0);
  put_frame(&w, 0x00, c.b + half, c.n - half);
  CHECK_INT_EQ(feed_bytewise(0, &w, 0), 0);
  CHECK_INT_EQ(F.n_closed, 1);
  CHECK_INT_EQ(F.closed[0].session_id, 0);
  CHECK_INT_EQ(F.closed[0].code, 0x1234);
  CHECK(strcmp(F.closed[0].reason, "bye") == 0);
  /* Our side of the CONNECT stream ends; the open bidi stream is reset,
   * the finished uni one has nothing left to stop. */
  CHECK_INT_EQ(fake_stream(0)->fin, 1);
  CHECK_INT_EQ(fake_stream(4)->n_resets, 1);
  CHECK_INT_EQ(fake_stream(4)->reset_code, VC_WT_SESSION_GONE);
  CHECK_INT_EQ(fake_stream(6)->n_resets, 0);
  /* Nothing may follow a CLOSE (draft-07 "Session Termination"). */
  CHECK_INT_EQ(
      vc_h3wt_on_stream_data(F.h, 0, (const uint8_t *)"\x21\x00", 2, 0), 0);
  CHECK_INT_EQ(fake_stream(0)->reset_code, VC_H3_MESSAGE_ERROR);
  /* Its datagrams and new streams are gone with it. */
  CHECK_INT_EQ(vc_h3wt_on_datagram(F.h, (const uint8_t *)"\x00z", 2), 0);
  CHECK_INT_EQ(F.n_datagrams, 0);
  put_wt_stream(&w, 1, 0, "late");
  CHECK_INT_EQ(feed(8, &w, 0), 0);
  CHECK_INT_EQ(fake_stream(8)->reset_code, VC_WT_SESSION_GONE);
  CHECK_INT_EQ(app_stream(8)->n_calls, 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 1);
  CHECK_INT_EQ(F.n_conn_closes, 0);
}

void test_vc_h3wt_connect_fin_closes_the_session_once(void) {
  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 0, NULL, 0, 1), 0);
  CHECK_INT_EQ(F.n_closed, 1);
  CHECK_INT_EQ(F.closed[0].code, 0);
  CHECK(strcmp(F.closed[0].reason, "") == 0);
  CHECK_INT_EQ(fake_stream(0)->fin, 1);
  vc_h3wt_on_stream_reset(F.h, 0);
  vc_h3wt_on_stream_closed(F.h, 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 1);
  /* A reset CONNECT stream ends its session the same way. */
  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  vc_h3wt_on_stream_reset(F.h, 0);
  CHECK_INT_EQ(F.n_closed, 1);
  vc_h3wt_on_stream_closed(F.h, 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 1);
  CHECK_INT_EQ(F.n_conn_closes, 0);
}

void test_vc_h3wt_del_ends_the_open_sessions(void) {
  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(open_session(4), 0);
  CHECK_INT_EQ(open_session(8), 0);
  CHECK_INT_EQ(vc_h3wt_close_session(F.h, 8, 0, NULL), 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 2);
  CHECK(F.closed[0].session_id + F.closed[1].session_id == 4);
  CHECK_INT_EQ(F.closed[0].code, 0);
  CHECK_INT_EQ(F.closed[1].code, 0);
}

void test_vc_h3wt_close_session_writes_the_capsule_and_fin(void) {
  static const uint8_t want[] = {0x00, 0x0b,             /* DATA */
                                 0x68, 0x43, 0x08,       /* CLOSE */
                                 0x00, 0x00, 0x00, 0x07, /* code */
                                 'd',  'o',  'n',  'e'};
  struct wbuf w;
  char long_reason[1026];
  size_t r;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  put_wt_stream(&w, 1, 0, "x");
  CHECK_INT_EQ(feed(4, &w, 0), 0);
  r = response_len(0);
  CHECK_INT_EQ(vc_h3wt_close_session(F.h, 0, 7, "done"), 0);
  CHECK_INT_EQ(fake_stream(0)->len, r + sizeof(want));
  CHECK_MEM_EQ(fake_stream(0)->data + r, want, sizeof(want));
  CHECK_INT_EQ(fake_stream(0)->fin, 1);
  CHECK_INT_EQ(fake_stream(4)->reset_code, VC_WT_SESSION_GONE);
  /* The peer's answer (its own CLOSE, then FIN) is not reported. */
  w.n = 0;
  put_capsule_frame(&w, 0x2843, "\x00\x00\x00\x00", 4);
  CHECK_INT_EQ(feed(0, &w, 1), 0);
  CHECK_INT_EQ(F.n_closed, 0);
  CHECK_INT_EQ(fake_stream(0)->n_writes_after_fin, 0);
  CHECK_INT_EQ(vc_h3wt_close_session(F.h, 0, 7, "again"), VC_ERR_STATE);
  CHECK_INT_EQ(vc_h3wt_close_session(F.h, 44, 7, NULL), VC_ERR_STATE);
  CHECK_INT_EQ(open_session(8), 0);
  memset(long_reason, 'r', sizeof(long_reason) - 1);
  long_reason[sizeof(long_reason) - 1] = 0;
  CHECK_INT_EQ(vc_h3wt_close_session(F.h, 8, 7, long_reason),
               VC_ERR_INVALID_ARGUMENT);
  long_reason[1024] = 0;
  CHECK_INT_EQ(vc_h3wt_close_session(F.h, 8, 7, long_reason), 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 0);
}

/* Regression: an application that closes the session from stream_data
 * while early streams are being handed over. */
void test_vc_h3wt_close_from_a_callback_stops_the_handover(void) {
  struct wbuf w;

  CHECK(setup(NULL) != NULL);
  put_wt_stream(&w, 1, 0, "first");
  CHECK_INT_EQ(feed(4, &w, 0), 0);
  put_wt_stream(&w, 1, 0, "second");
  CHECK_INT_EQ(feed(8, &w, 0), 0);
  F.close_in_data = 0;
  CHECK_INT_EQ(open_session(0), 0);
  CHECK_INT_EQ(app_stream(4)->n_calls, 1);
  CHECK_INT_EQ(app_stream(8)->n_calls, 0);
  CHECK_INT_EQ(fake_stream(8)->reset_code, VC_WT_SESSION_GONE);
  CHECK_INT_EQ(fake_stream(0)->fin, 1);
  CHECK_INT_EQ(F.n_closed, 0);
  vc_h3wt_del(F.h);
  CHECK_INT_EQ(F.n_closed, 0);
}

void test_vc_h3wt_bound_server_streams_follow_their_session(void) {
  struct app_stream *a;

  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(open_session(0), 0);
  /* Data on a server stream nobody bound is not this layer's. */
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 1, (const uint8_t *)"?", 1, 0), 0);
  CHECK_INT_EQ(F.n_app, 0);
  CHECK_INT_EQ(vc_h3wt_bind_stream(F.h, 5, 0), 0);
  CHECK_INT_EQ(vc_h3wt_bind_stream(F.h, 5, 0), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_h3wt_bind_stream(F.h, 4, 0), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_h3wt_bind_stream(F.h, 9, 4), VC_ERR_STATE);
  CHECK_INT_EQ(vc_h3wt_bind_stream(F.h, 15, 0), 0);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 5, (const uint8_t *)"reply", 5, 0),
               0);
  a = app_stream(5);
  CHECK_INT_EQ(a->session_id, 0);
  CHECK_INT_EQ(a->len, 5);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 0, NULL, 0, 1), 0);
  CHECK_INT_EQ(fake_stream(5)->reset_code, VC_WT_SESSION_GONE);
  CHECK_INT_EQ(fake_stream(15)->reset_code, VC_WT_SESSION_GONE);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_reset_before_any_byte_ends_our_side_too(void) {
  CHECK(setup(NULL) != NULL);
  vc_h3wt_on_stream_reset(F.h, 40);
  CHECK_INT_EQ(fake_stream(40)->n_resets, 1);
  CHECK_INT_EQ(fake_stream(40)->reset_code, VC_H3_REQUEST_CANCELLED);
  /* A client uni stream has no side of ours to end. */
  vc_h3wt_on_stream_reset(F.h, 42);
  CHECK_INT_EQ(fake_stream(42)->n_resets, 0);
  /* Nor does a request whose headers are half read keep its side. */
  CHECK_INT_EQ(
      vc_h3wt_on_stream_data(F.h, 44, (const uint8_t *)"\x01\x10", 2, 0), 0);
  vc_h3wt_on_stream_reset(F.h, 44);
  CHECK_INT_EQ(fake_stream(44)->reset_code, VC_H3_REQUEST_CANCELLED);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_control_settings_with_grease_are_accepted(void) {
  struct wbuf w;

  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_client_control(&w);
  /* Then a GREASE frame, a GOAWAY and MAX_PUSH_ID: all skipped. */
  put_frame(&w, 0x1f * 9 + 0x21, "\x01\x02\x03", 3);
  put_frame(&w, 0x07, "\x00", 1);
  put_frame(&w, 0x0d, "\x00", 1);
  CHECK_INT_EQ(feed_bytewise(2, &w, 0), 0);
  /* The QPACK encoder stream's instructions are read and ignored. */
  CHECK_INT_EQ(
      vc_h3wt_on_stream_data(F.h, 6, (const uint8_t *)"\x02\x20", 2, 0), 0);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 10, (const uint8_t *)"\x03", 1, 0),
               0);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_control_without_settings_first_is_missing_settings(void) {
  struct wbuf w;

  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_varint(&w, 0x00);
  /* Even a GREASE frame may not come before SETTINGS (§6.2.1). */
  put_frame(&w, 0x1f * 2 + 0x21, "", 0);
  CHECK(feed(2, &w, 0) < 0);
  CHECK_INT_EQ(F.n_conn_closes, 1);
  CHECK_INT_EQ(F.conn_error, VC_H3_MISSING_SETTINGS);
  vc_h3wt_del(F.h);
  /* And the HTTP/2 settings are errors (§7.2.4.1). */
  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_varint(&w, 0x00);
  put_frame(&w, 0x04, "\x04\x40\x64", 3);
  CHECK(feed(2, &w, 0) < 0);
  CHECK_INT_EQ(F.conn_error, VC_H3_SETTINGS_ERROR);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_oversized_settings_fail_the_connection(void) {
  vc_h3wt_settings st;
  struct wbuf w;

  vc_h3wt_settings_default(&st);
  st.max_frame_len = 64;
  CHECK(setup(&st) != NULL);
  w.n = 0;
  put_varint(&w, 0x00);
  put_varint(&w, 0x04);
  put_varint(&w, 1u << 20);
  /* The frame header alone decides: nothing is held. */
  CHECK(feed(2, &w, 0) < 0);
  CHECK_INT_EQ(F.conn_error, VC_H3_EXCESSIVE_LOAD);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_unknown_uni_stream_types_are_ignored(void) {
  static uint8_t junk[5000];
  struct wbuf w;
  vc_h3wt_stats st;

  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_varint(&w, 0x1f * 5 + 0x21);
  CHECK_INT_EQ(feed_bytewise(14, &w, 0), 0);
  memset(junk, 0x00, sizeof(junk));
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 14, junk, sizeof(junk), 1), 0);
  vc_h3wt_get_stats(F.h, &st);
  CHECK_INT_EQ(st.streams_unknown, 1);
  CHECK_INT_EQ(F.n_conn_closes, 0);
  CHECK_INT_EQ(fake_stream(14)->n_resets, 0);
  /* A push stream from a client is an error (§6.2.2). */
  CHECK(vc_h3wt_on_stream_data(F.h, 18, (const uint8_t *)"\x01", 1, 0) < 0);
  CHECK_INT_EQ(F.conn_error, VC_H3_STREAM_CREATION_ERROR);
  vc_h3wt_del(F.h);
}

void test_vc_h3wt_critical_streams_are_single_and_never_end(void) {
  struct wbuf w;

  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_client_control(&w);
  CHECK_INT_EQ(feed(2, &w, 0), 0);
  CHECK(vc_h3wt_on_stream_data(F.h, 6, (const uint8_t *)"\x00", 1, 0) < 0);
  CHECK_INT_EQ(F.conn_error, VC_H3_STREAM_CREATION_ERROR);
  vc_h3wt_del(F.h);
  /* The control stream's end. */
  CHECK(setup(NULL) != NULL);
  w.n = 0;
  put_client_control(&w);
  CHECK(feed(2, &w, 1) < 0);
  CHECK_INT_EQ(F.conn_error, VC_H3_CLOSED_CRITICAL_STREAM);
  vc_h3wt_del(F.h);
  /* A QPACK stream's reset. */
  CHECK(setup(NULL) != NULL);
  CHECK_INT_EQ(vc_h3wt_on_stream_data(F.h, 6, (const uint8_t *)"\x02", 1, 0),
               0);
  vc_h3wt_on_stream_reset(F.h, 6);
  CHECK_INT_EQ(F.conn_error, VC_H3_CLOSED_CRITICAL_STREAM);
  CHECK_INT_EQ(F.n_conn_closes, 1);
  vc_h3wt_del(F.h);
}

/*
 * wt_client.c: see wt_client.h. QUIC is ngtcp2 0.12.1's client with
 * its GnuTLS helper (TLS 1.3 without compatibility mode, ALPN h3, the
 * session set up the way ngtcp2's examples/tls_client_session_gnutls.cc
 * does it); HTTP/3 is RFC 9114 reduced to what opens one WebTransport
 * session (draft-02): SETTINGS on a control stream, an extended CONNECT
 * (RFC 9220), capsules (RFC 9297 §3), datagrams (RFC 9297 §2.1).
 *
 * Order of work in wt_client_io: read every waiting packet into ngtcp2,
 * whose callbacks parse the server's streams and hand data to the
 * caller; run the timers; ask for the session once the server's
 * SETTINGS are in; then write packets until ngtcp2 has none (datagrams
 * first, then streams round-robin). Writes made by the caller are only
 * queued; ngtcp2 does not copy stream data, so each stream keeps its
 * bytes in an append-only chunk list until they are acknowledged.
 */
#define _GNU_SOURCE
#include "wt_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#define PKT_BUF_LEN 1500
#define RECV_BUF_LEN 65536
/* Packets read per wt_client_io: enough to drain a burst, few enough
 * that one busy client does not starve the others a test drives. */
#define READS_PER_IO 512
#define N_BUCKETS 256
#define MAX_VECS 16
#define MAX_PEER_UNI 8
#define PEER_UNI_HOLD 512
/* The CONNECT stream's bytes held until a frame or capsule is whole. */
#define CONNECT_HOLD 65536

#define H3_NO_ERROR 0x100
#define FRAME_DATA 0x00
#define FRAME_HEADERS 0x01
#define FRAME_SETTINGS 0x04
#define CAPSULE_CLOSE_WT_SESSION 0x2843
#define WT_STREAM_BIDI 0x41
#define SETTING_H3_DATAGRAM 0x33
#define SETTING_ENABLE_WEBTRANSPORT 0x2b603742u

static const char tls_priority[] =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:"
    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1";

typedef struct chunk {
  struct chunk *next;
  size_t len;
  uint8_t data[];
} chunk;

/* A stream we opened: what we send on it, and credit we withheld. */
typedef struct stream {
  struct stream *hnext, *next_pending;
  int64_t id;
  chunk *head, *tail;
  uint64_t head_off; /* stream offset of head->data[0] */
  uint64_t acked, sent, end;
  uint64_t rx_withheld; /* received, credit not returned */
  int fin, fin_sent, blocked, in_pending;
} stream;

typedef struct dgram {
  struct dgram *next;
  size_t len;
  uint8_t data[];
} dgram;

/* A stream the server opened (control, QPACK): read up to its
 * SETTINGS, the rest ignored. */
typedef struct peer_uni {
  int64_t id;
  size_t len;
  int done;
  uint8_t buf[PEER_UNI_HOLD];
} peer_uni;

struct wt_client {
  wt_client_config cfg;
  char *host, *authority, *path, *origin;
  uint8_t cert_hash[32];
  int verify;
  wt_client_callbacks cb;
  wt_client_status st;
  int fd;
  struct sockaddr_storage local, remote;
  socklen_t locallen, remotelen;
  ngtcp2_path npath;
  ngtcp2_conn *conn;
  gnutls_certificate_credentials_t cred;
  gnutls_session_t tls;
  ngtcp2_crypto_conn_ref conn_ref;
  stream *buckets[N_BUCKETS];
  stream *pending_head, *pending_tail;
  dgram *dg_head, *dg_tail;
  size_t n_dgrams;
  uint64_t dgram_id;
  int64_t session_id; /* the CONNECT stream; -1 before */
  int connect_sent, control_opened;
  uint8_t *cs_buf; /* CONNECT stream bytes not yet parsed */
  size_t cs_len;
  uint8_t *cap_buf; /* DATA payload not yet parsed as capsules */
  size_t cap_len;
  int headers_seen;
  peer_uni uni[MAX_PEER_UNI];
  size_t n_uni;
  wt_client_reading reading;
  uint64_t conn_withheld;
  int vanished;
  wt_client_tx_hook tx_hook;
  void *tx_hook_data;
  uint8_t rbuf[RECV_BUF_LEN];
};

static ngtcp2_tstamp now_ts(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (ngtcp2_tstamp)t.tv_sec * NGTCP2_SECONDS + (ngtcp2_tstamp)t.tv_nsec;
}

static void random_bytes(uint8_t *buf, size_t len) {
  size_t got = 0;

  while (got < len) {
    ssize_t n = getrandom(buf + got, len - got, 0);
    if (n > 0) {
      got += (size_t)n;
    } else if (errno != EINTR) {
      abort(); /* a test machine without getrandom cannot run this */
    }
  }
}

/* ---- QUIC varints (RFC 9000 §16) ---------------------------------------- */

static size_t varint_put(uint8_t *p, uint64_t v) {
  if (v < 64) {
    p[0] = (uint8_t)v;
    return 1;
  }
  if (v < 16384) {
    p[0] = (uint8_t)(0x40 | v >> 8);
    p[1] = (uint8_t)v;
    return 2;
  }
  if (v < (1u << 30)) {
    p[0] = (uint8_t)(0x80 | v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
  }
  p[0] = (uint8_t)(0xc0 | v >> 56);
  for (int i = 1; i < 8; i++) {
    p[i] = (uint8_t)(v >> (56 - 8 * i));
  }
  return 8;
}

/* Returns the varint's length, or 0 when |len| bytes do not hold it. */
static size_t varint_get(const uint8_t *p, size_t len, uint64_t *v) {
  size_t n;

  if (len == 0) {
    return 0;
  }
  n = (size_t)1 << (p[0] >> 6);
  if (len < n) {
    return 0;
  }
  *v = p[0] & 0x3f;
  for (size_t i = 1; i < n; i++) {
    *v = *v << 8 | p[i];
  }
  return n;
}

/* ---- streams we opened ----------------------------------------------------
 */

static stream *stream_find(const wt_client *c, int64_t id) {
  stream *s = c->buckets[(uint64_t)id / 4 % N_BUCKETS];

  while (s && s->id != id) {
    s = s->hnext;
  }
  return s;
}

static stream *stream_new(wt_client *c, int64_t id) {
  stream *s = calloc(1, sizeof(*s));
  size_t b = (uint64_t)id / 4 % N_BUCKETS;

  if (!s) {
    return NULL;
  }
  s->id = id;
  s->hnext = c->buckets[b];
  c->buckets[b] = s;
  return s;
}

static void pending_remove(wt_client *c, stream *s) {
  stream **pp = &c->pending_head, *prev = NULL;

  if (!s->in_pending) {
    return;
  }
  for (; *pp; prev = *pp, pp = &(*pp)->next_pending) {
    if (*pp == s) {
      *pp = s->next_pending;
      if (c->pending_tail == s) {
        c->pending_tail = prev;
      }
      break;
    }
  }
  s->in_pending = 0;
}

static void pending_push(wt_client *c, stream *s) {
  if (s->in_pending || s->blocked ||
      !(s->sent < s->end || (s->fin && !s->fin_sent))) {
    return;
  }
  s->in_pending = 1;
  s->next_pending = NULL;
  if (c->pending_tail) {
    c->pending_tail->next_pending = s;
  } else {
    c->pending_head = s;
  }
  c->pending_tail = s;
}

static stream *pending_pop(wt_client *c) {
  stream *s = c->pending_head;

  if (s) {
    c->pending_head = s->next_pending;
    if (!c->pending_head) {
      c->pending_tail = NULL;
    }
    s->in_pending = 0;
  }
  return s;
}

static void stream_free(wt_client *c, stream *s) {
  stream **pp = &c->buckets[(uint64_t)s->id / 4 % N_BUCKETS];

  pending_remove(c, s);
  while (*pp && *pp != s) {
    pp = &(*pp)->hnext;
  }
  if (*pp) {
    *pp = s->hnext;
  }
  while (s->head) {
    chunk *k = s->head;
    s->head = k->next;
    free(k);
  }
  if (c->conn) {
    ngtcp2_conn_set_stream_user_data(c->conn, s->id, NULL);
  }
  free(s);
}

static int stream_append(wt_client *c, stream *s, const uint8_t *data,
                         size_t len, int fin) {
  if (s->fin) {
    return WT_ERR_STATE;
  }
  if (len > 0) {
    chunk *k = malloc(sizeof(*k) + len);
    if (!k) {
      return WT_ERR_NOMEM;
    }
    k->next = NULL;
    k->len = len;
    memcpy(k->data, data, len);
    if (s->tail) {
      s->tail->next = k;
    } else {
      s->head = k;
      s->head_off = s->end;
    }
    s->tail = k;
    s->end += len;
  }
  s->fin = fin;
  pending_push(c, s);
  return 0;
}

static void stream_acked(stream *s, uint64_t offset) {
  if (offset > s->acked) {
    s->acked = offset;
  }
  while (s->head && s->head_off + s->head->len <= s->acked) {
    chunk *k = s->head;
    s->head_off += k->len;
    s->head = k->next;
    if (!s->head) {
      s->tail = NULL;
    }
    free(k);
  }
}

static size_t stream_unsent(const stream *s, ngtcp2_vec *v, size_t nv) {
  const chunk *k = s->head;
  uint64_t off = s->head_off;
  size_t n = 0;

  while (k && off + k->len <= s->sent) {
    off += k->len;
    k = k->next;
  }
  for (; k && n < nv; k = k->next) {
    size_t skip = s->sent > off ? (size_t)(s->sent - off) : 0;
    v[n].base = (uint8_t *)(uintptr_t)(k->data + skip);
    v[n].len = k->len - skip;
    n++;
    off += k->len;
  }
  return n;
}

/* ---- packets out ------------------------------------------------------------
 */

static void send_packet(wt_client *c, const uint8_t *data, size_t len) {
  ssize_t n;

  if (c->fd < 0 || (c->tx_hook && !c->tx_hook(c->tx_hook_data, data, len))) {
    return;
  }
  do {
    n = send(c->fd, data, len, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    c->st.packets_out++; /* a full buffer loses it; QUIC resends */
  }
}

static void mark_closed(wt_client *c) {
  if (!c->st.closed) {
    c->st.closed = 1;
    c->st.handshake_failed = !c->st.handshake_done;
  }
}

static void close_with(wt_client *c, const ngtcp2_connection_close_error *e) {
  uint8_t buf[PKT_BUF_LEN];
  ngtcp2_path_storage ps;
  ngtcp2_pkt_info pi;
  ngtcp2_ssize n;

  if (c->st.closed) {
    return;
  }
  ngtcp2_path_storage_zero(&ps);
  n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, &pi, buf,
                                         sizeof(buf), e, now_ts());
  if (n > 0) {
    send_packet(c, buf, (size_t)n);
  }
  mark_closed(c);
}

static void fail(wt_client *c, int liberr) {
  ngtcp2_connection_close_error e;

  ngtcp2_connection_close_error_default(&e);
  if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &e, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&e, liberr, NULL,
                                                             0);
  }
  close_with(c, &e);
}

static void write_datagrams(wt_client *c, uint8_t *buf, size_t buflen,
                            ngtcp2_path_storage *ps, ngtcp2_tstamp ts) {
  while (c->dg_head && !c->st.closed) {
    dgram *d = c->dg_head;
    ngtcp2_vec v = {d->data, d->len};
    ngtcp2_pkt_info pi;
    int accepted = 0;
    ngtcp2_ssize n = ngtcp2_conn_writev_datagram(
        c->conn, &ps->path, &pi, buf, buflen, &accepted,
        NGTCP2_WRITE_DATAGRAM_FLAG_NONE, c->dgram_id++, &v, 1, ts);

    if (n < 0 && n != NGTCP2_ERR_INVALID_ARGUMENT) {
      fail(c, (int)n);
      return;
    }
    if (accepted || n < 0) {
      if (n < 0) {
        c->st.datagrams_dropped++; /* larger than the server takes */
      } else {
        c->st.datagrams_out++;
      }
      c->dg_head = d->next;
      if (!c->dg_head) {
        c->dg_tail = NULL;
      }
      c->n_dgrams--;
      free(d);
    }
    if (n == 0) {
      return; /* congestion window full: the next ACK makes room */
    }
    if (n > 0) {
      send_packet(c, buf, (size_t)n);
    }
  }
}

static void write_packets(wt_client *c) {
  uint8_t buf[PKT_BUF_LEN];
  ngtcp2_path_storage ps;
  ngtcp2_tstamp ts = now_ts();
  size_t buflen;

  if (c->st.closed || c->vanished) {
    return;
  }
  buflen = ngtcp2_conn_get_max_tx_udp_payload_size(c->conn);
  buflen = buflen < sizeof(buf) ? buflen : sizeof(buf);
  ngtcp2_path_storage_zero(&ps);
  if (c->st.handshake_done) {
    write_datagrams(c, buf, buflen, &ps, ts);
  }
  while (!c->st.closed) {
    ngtcp2_vec v[MAX_VECS];
    size_t nv = 0;
    ngtcp2_ssize ndatalen = -1, n;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    ngtcp2_pkt_info pi;
    stream *s = pending_pop(c);
    int64_t sid = -1;

    if (s) {
      uint64_t total = 0;
      sid = s->id;
      nv = stream_unsent(s, v, MAX_VECS);
      for (size_t i = 0; i < nv; i++) {
        total += v[i].len;
      }
      if (s->fin && s->sent + total == s->end) {
        flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
      }
    } else {
      flags = NGTCP2_WRITE_STREAM_FLAG_NONE;
    }
    n = ngtcp2_conn_writev_stream(c->conn, &ps.path, &pi, buf, buflen,
                                  &ndatalen, flags, sid, nv ? v : NULL, nv, ts);
    if (s && ndatalen >= 0) {
      s->sent += (uint64_t)ndatalen;
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && s->sent == s->end) {
        s->fin_sent = 1;
      }
      pending_push(c, s); /* the rest goes after the other streams */
    } else if (s && n >= 0) {
      pending_push(c, s); /* no room in this packet */
    }
    if (n < 0) {
      if (n == NGTCP2_ERR_WRITE_MORE) {
        continue;
      }
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED && s) {
        s->blocked = 1; /* until extend_max_stream_data */
        continue;
      }
      if ((n == NGTCP2_ERR_STREAM_SHUT_WR ||
           n == NGTCP2_ERR_STREAM_NOT_FOUND) &&
          s) {
        continue; /* the server stopped it: nothing more goes */
      }
      fail(c, (int)n);
      return;
    }
    if (n == 0) {
      return; /* nothing more, or congestion-limited */
    }
    send_packet(c, buf, (size_t)n);
  }
}

/* ---- HTTP/3
 * ------------------------------------------------------------------ */

/* Opens a stream with its stream user data set; 0 or WT_ERR_. */
static int open_stream(wt_client *c, int bidi, int64_t *id, stream **ps) {
  int64_t sid;
  stream *s;
  int rv = bidi ? ngtcp2_conn_open_bidi_stream(c->conn, &sid, NULL)
                : ngtcp2_conn_open_uni_stream(c->conn, &sid, NULL);

  if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) {
    return WT_ERR_CREDIT;
  }
  if (rv != 0) {
    return WT_ERR_STATE;
  }
  s = stream_new(c, sid);
  if (!s) {
    ngtcp2_conn_shutdown_stream(c->conn, sid, H3_NO_ERROR);
    return WT_ERR_NOMEM;
  }
  ngtcp2_conn_set_stream_user_data(c->conn, sid, s);
  *id = sid;
  if (ps) {
    *ps = s;
  }
  return 0;
}

/* The control stream: type 0x00 and SETTINGS (WEBTRANSPORT-NOTES.md §3:
 * H3_DATAGRAM and ENABLE_WEBTRANSPORT are what a server needs to see;
 * no dynamic QPACK table, so the QPACK streams can stay unopened). */
static void open_control_stream(wt_client *c) {
  static const uint64_t settings[][2] = {{SETTING_H3_DATAGRAM, 1},
                                         {SETTING_ENABLE_WEBTRANSPORT, 1},
                                         {0x08, 1},
                                         {0x01, 0},
                                         {0x07, 0}};
  uint8_t body[64], out[80];
  size_t blen = 0, olen = 0;
  int64_t id;
  stream *s;

  c->control_opened = 1;
  for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
    blen += varint_put(body + blen, settings[i][0]);
    blen += varint_put(body + blen, settings[i][1]);
  }
  out[olen++] = 0x00;
  olen += varint_put(out + olen, FRAME_SETTINGS);
  olen += varint_put(out + olen, blen);
  memcpy(out + olen, body, blen);
  olen += blen;
  if (open_stream(c, 0, &id, &s) == 0) {
    stream_append(c, s, out, olen, 0);
  }
}

/* The extended CONNECT (RFC 9220 §3) as one HEADERS frame. */
static void send_connect(wt_client *c) {
  const nghttp3_mem *mem = nghttp3_mem_default();
  const char *fields[12];
  nghttp3_nv nva[6];
  nghttp3_qpack_encoder *enc;
  nghttp3_buf pbuf, rbuf, ebuf;
  size_t n = 0, plen, rlen, hlen = 0;
  uint8_t hdr[16];
  int64_t id;
  stream *s;
  int rv;

  c->connect_sent = 1;
  fields[0] = ":method";
  fields[1] = "CONNECT";
  fields[2] = ":protocol";
  fields[3] = "webtransport";
  fields[4] = ":scheme";
  fields[5] = "https";
  fields[6] = ":authority";
  fields[7] = c->authority;
  fields[8] = ":path";
  fields[9] = c->path;
  fields[10] = "origin";
  fields[11] = c->origin;
  for (n = 0; n < (c->origin ? 6u : 5u); n++) {
    nva[n].name = (uint8_t *)(uintptr_t)fields[2 * n];
    nva[n].namelen = strlen(fields[2 * n]);
    nva[n].value = (uint8_t *)(uintptr_t)fields[2 * n + 1];
    nva[n].valuelen = strlen(fields[2 * n + 1]);
    nva[n].flags = NGHTTP3_NV_FLAG_NONE;
  }
  if (open_stream(c, 1, &id, &s) != 0) {
    return;
  }
  c->session_id = id;
  if (nghttp3_qpack_encoder_new(&enc, 0, mem) != 0) {
    return;
  }
  nghttp3_buf_init(&pbuf);
  nghttp3_buf_init(&rbuf);
  nghttp3_buf_init(&ebuf);
  rv = nghttp3_qpack_encoder_encode(enc, &pbuf, &rbuf, &ebuf, id, nva, n);
  if (rv == 0) {
    plen = nghttp3_buf_len(&pbuf);
    rlen = nghttp3_buf_len(&rbuf);
    hlen += varint_put(hdr, FRAME_HEADERS);
    hlen += varint_put(hdr + hlen, plen + rlen);
    stream_append(c, s, hdr, hlen, 0);
    stream_append(c, s, pbuf.pos, plen, 0);
    stream_append(c, s, rbuf.pos, rlen, 0);
  }
  nghttp3_buf_free(&pbuf, mem);
  nghttp3_buf_free(&rbuf, mem);
  nghttp3_buf_free(&ebuf, mem);
  nghttp3_qpack_encoder_del(enc);
}

/* The response's :status, decoded with nghttp3's QPACK decoder (no
 * dynamic table: each block stands alone). 0 when undecodable. */
static int decode_status(int64_t id, const uint8_t *p, size_t len) {
  const nghttp3_mem *mem = nghttp3_mem_default();
  nghttp3_qpack_decoder *dec;
  nghttp3_qpack_stream_context *sctx;
  nghttp3_qpack_nv nv;
  nghttp3_ssize nread;
  uint8_t flags;
  int status = 0;

  if (nghttp3_qpack_decoder_new(&dec, 0, 0, mem) != 0) {
    return 0;
  }
  if (nghttp3_qpack_stream_context_new(&sctx, id, mem) != 0) {
    nghttp3_qpack_decoder_del(dec);
    return 0;
  }
  for (;;) {
    nread =
        nghttp3_qpack_decoder_read_request(dec, sctx, &nv, &flags, p, len, 1);
    if (nread < 0) {
      status = 0;
      break;
    }
    p += nread;
    len -= (size_t)nread;
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
      nghttp3_vec name = nghttp3_rcbuf_get_buf(nv.name);
      nghttp3_vec value = nghttp3_rcbuf_get_buf(nv.value);
      if (name.len == 7 && memcmp(name.base, ":status", 7) == 0 &&
          value.len == 3) {
        status = (value.base[0] - '0') * 100 + (value.base[1] - '0') * 10 +
                 (value.base[2] - '0');
      }
      nghttp3_rcbuf_decref(nv.name);
      nghttp3_rcbuf_decref(nv.value);
    }
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
      break;
    }
    if ((flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) ||
        (nread == 0 && !(flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT))) {
      status = 0; /* a dynamic table we said we do not have */
      break;
    }
  }
  nghttp3_qpack_stream_context_del(sctx);
  nghttp3_qpack_decoder_del(dec);
  return status;
}

static void session_ended(wt_client *c, uint32_t code, const uint8_t *reason,
                          size_t reason_len) {
  if (c->st.session_closed) {
    return;
  }
  c->st.session_closed = 1;
  c->st.session_close_code = code;
  if (reason_len >= sizeof(c->st.session_close_reason)) {
    reason_len = sizeof(c->st.session_close_reason) - 1;
  }
  if (reason_len > 0) {
    memcpy(c->st.session_close_reason, reason, reason_len);
  }
  c->st.session_close_reason[reason_len] = '\0';
}

/* Whole capsules in cap_buf; unknown ones (GREASE) are skipped. */
static void parse_capsules(wt_client *c) {
  size_t off = 0;

  for (;;) {
    uint64_t type, len;
    size_t a = varint_get(c->cap_buf + off, c->cap_len - off, &type), b;
    if (a == 0) {
      break;
    }
    b = varint_get(c->cap_buf + off + a, c->cap_len - off - a, &len);
    if (b == 0 || len > c->cap_len - off - a - b) {
      break;
    }
    if (type == CAPSULE_CLOSE_WT_SESSION && len >= 4) {
      const uint8_t *v = c->cap_buf + off + a + b;
      session_ended(c,
                    (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
                        (uint32_t)v[2] << 8 | v[3],
                    v + 4, (size_t)len - 4);
    }
    off += a + b + (size_t)len;
  }
  memmove(c->cap_buf, c->cap_buf + off, c->cap_len - off);
  c->cap_len -= off;
}

/* The CONNECT stream: the response's HEADERS, then DATA frames whose
 * payload is a sequence of capsules. */
static void connect_input(wt_client *c, const uint8_t *data, size_t len,
                          int fin) {
  size_t off = 0;

  if (len > CONNECT_HOLD - c->cs_len) {
    len = CONNECT_HOLD - c->cs_len; /* a server gone mad: stop listening */
  }
  memcpy(c->cs_buf + c->cs_len, data, len);
  c->cs_len += len;
  for (;;) {
    uint64_t type, flen;
    size_t a = varint_get(c->cs_buf + off, c->cs_len - off, &type), b;
    const uint8_t *payload;
    if (a == 0) {
      break;
    }
    b = varint_get(c->cs_buf + off + a, c->cs_len - off - a, &flen);
    if (b == 0 || flen > c->cs_len - off - a - b) {
      break;
    }
    payload = c->cs_buf + off + a + b;
    if (type == FRAME_HEADERS && !c->headers_seen) {
      c->headers_seen = 1;
      c->st.session_status = decode_status(c->session_id, payload, flen);
    } else if (type == FRAME_DATA) {
      size_t take = (size_t)flen;
      if (take > CONNECT_HOLD - c->cap_len) {
        take = CONNECT_HOLD - c->cap_len;
      }
      memcpy(c->cap_buf + c->cap_len, payload, take);
      c->cap_len += take;
      parse_capsules(c);
    }
    off += a + b + (size_t)flen;
  }
  memmove(c->cs_buf, c->cs_buf + off, c->cs_len - off);
  c->cs_len -= off;
  if (fin) {
    session_ended(c, 0, NULL, 0); /* a plain end: code 0, no reason */
  }
}

/* A stream the server opened: its control stream's SETTINGS matter. */
static void peer_uni_input(wt_client *c, int64_t id, const uint8_t *data,
                           size_t len) {
  peer_uni *u = NULL;
  uint64_t type, value, id_or_len;
  size_t off, n;

  for (size_t i = 0; i < c->n_uni; i++) {
    if (c->uni[i].id == id) {
      u = &c->uni[i];
    }
  }
  if (!u) {
    if (c->n_uni == MAX_PEER_UNI) {
      return;
    }
    u = &c->uni[c->n_uni++];
    u->id = id;
  }
  if (u->done) {
    return;
  }
  n = len < sizeof(u->buf) - u->len ? len : sizeof(u->buf) - u->len;
  memcpy(u->buf + u->len, data, n);
  u->len += n;
  off = varint_get(u->buf, u->len, &type);
  if (off == 0) {
    return;
  }
  if (type != 0x00) {
    u->done = 1; /* QPACK streams and the rest: nothing we need */
    return;
  }
  for (;;) {
    size_t a = varint_get(u->buf + off, u->len - off, &type), b;
    if (a == 0) {
      break;
    }
    b = varint_get(u->buf + off + a, u->len - off - a, &id_or_len);
    if (b == 0 || id_or_len > u->len - off - a - b) {
      break;
    }
    if (type == FRAME_SETTINGS) {
      const uint8_t *p = u->buf + off + a + b, *end = p + id_or_len;
      while (p < end) {
        size_t x = varint_get(p, (size_t)(end - p), &id_or_len), y;
        if (x == 0) {
          break;
        }
        y = varint_get(p + x, (size_t)(end - p - x), &value);
        if (y == 0) {
          break;
        }
        p += x + y;
        if (id_or_len == SETTING_ENABLE_WEBTRANSPORT) {
          c->st.server_webtransport = value == 1;
        } else if (id_or_len == SETTING_H3_DATAGRAM) {
          c->st.server_h3_datagram = value == 1;
        }
      }
      c->st.settings_received = 1;
      u->done = 1;
      return;
    }
    off += a + b + (size_t)id_or_len;
  }
  if (u->len == sizeof(u->buf)) {
    u->done = 1; /* no SETTINGS in sight: give up on it */
  }
}

/* ---- ngtcp2's callbacks -------------------------------------------------- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) {
  wt_client *c = ref->user_data;
  return c->conn;
}

static void cb_rand(uint8_t *dest, size_t destlen,
                    const ngtcp2_rand_ctx *rand_ctx) {
  (void)rand_ctx;
  random_bytes(dest, destlen);
}

static int cb_get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid,
                                    uint8_t *token, size_t cidlen,
                                    void *user_data) {
  (void)conn;
  (void)user_data;
  random_bytes(cid->data, cidlen);
  cid->datalen = cidlen;
  random_bytes(token, NGTCP2_STATELESS_RESET_TOKENLEN);
  return 0;
}

static int cb_handshake_completed(ngtcp2_conn *conn, void *user_data) {
  wt_client *c = user_data;

  (void)conn;
  c->st.handshake_done = 1;
  return 0;
}

static int cb_recv_stream_data(ngtcp2_conn *conn, uint32_t flags,
                               int64_t stream_id, uint64_t offset,
                               const uint8_t *data, size_t datalen,
                               void *user_data, void *stream_user_data) {
  wt_client *c = user_data;
  stream *s = stream_user_data;
  int fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
  int app = 0;

  (void)offset;
  if (stream_id == c->session_id) {
    connect_input(c, data, datalen, fin);
  } else if ((stream_id & 3) == 3) {
    peer_uni_input(c, stream_id, data, datalen);
  } else if ((stream_id & 3) == 0) {
    app = 1;
    if (c->cb.stream_data) {
      c->cb.stream_data(c->cb.user_data, stream_id, data, datalen, fin);
    }
  }
  /* HTTP/3's own streams always get their credit back; the
   * application's only while it reads. */
  if (app && c->reading != WT_READ_ALL) {
    if (s) {
      s->rx_withheld += datalen;
    }
    c->conn_withheld += datalen;
    return 0;
  }
  ngtcp2_conn_extend_max_stream_offset(conn, stream_id, datalen);
  ngtcp2_conn_extend_max_offset(conn, datalen);
  return 0;
}

static int cb_acked_stream_data_offset(ngtcp2_conn *conn, int64_t stream_id,
                                       uint64_t offset, uint64_t datalen,
                                       void *user_data,
                                       void *stream_user_data) {
  (void)conn;
  (void)stream_id;
  (void)user_data;
  if (stream_user_data) {
    stream_acked(stream_user_data, offset + datalen);
  }
  return 0;
}

static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id,
                           uint64_t app_error_code, void *user_data,
                           void *stream_user_data) {
  wt_client *c = user_data;

  (void)conn;
  (void)flags;
  (void)app_error_code;
  if (stream_id == c->session_id) {
    session_ended(c, 0, NULL, 0);
  }
  if (stream_user_data) {
    stream_free(c, stream_user_data);
  }
  return 0;
}

static int cb_stream_reset(ngtcp2_conn *conn, int64_t stream_id,
                           uint64_t final_size, uint64_t app_error_code,
                           void *user_data, void *stream_user_data) {
  wt_client *c = user_data;

  (void)conn;
  (void)final_size;
  (void)app_error_code;
  (void)stream_user_data;
  c->st.streams_reset++;
  if (stream_id == c->session_id) {
    session_ended(c, 0, NULL, 0);
  }
  return 0;
}

static int cb_stream_stop_sending(ngtcp2_conn *conn, int64_t stream_id,
                                  uint64_t app_error_code, void *user_data,
                                  void *stream_user_data) {
  (void)conn;
  (void)stream_id;
  (void)app_error_code;
  if (stream_user_data) {
    pending_remove(user_data, stream_user_data); /* ngtcp2 resets it */
  }
  return 0;
}

static int cb_extend_max_stream_data(ngtcp2_conn *conn, int64_t stream_id,
                                     uint64_t max_data, void *user_data,
                                     void *stream_user_data) {
  stream *s = stream_user_data;

  (void)conn;
  (void)stream_id;
  (void)max_data;
  if (s && s->blocked) {
    s->blocked = 0;
    pending_push(user_data, s);
  }
  return 0;
}

static int cb_recv_datagram(ngtcp2_conn *conn, uint32_t flags,
                            const uint8_t *data, size_t datalen,
                            void *user_data) {
  wt_client *c = user_data;
  uint64_t quarter;
  size_t n = varint_get(data, datalen, &quarter);

  (void)conn;
  (void)flags;
  if (n == 0 || c->session_id < 0 || quarter != (uint64_t)c->session_id / 4) {
    return 0; /* not our session's: as if lost */
  }
  c->st.datagrams_in++;
  if (c->cb.datagram) {
    c->cb.datagram(c->cb.user_data, data + n, datalen - n);
  }
  return 0;
}

/* ---- TLS ----------------------------------------------------------------- */

/* Called by GnuTLS when the server's certificate arrives: the pinned
 * hash (as a page's serverCertificateHashes) or nothing. */
static int verify_cert(gnutls_session_t session) {
  ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
  wt_client *c = ref->user_data;
  const gnutls_datum_t *certs;
  unsigned int n = 0;
  uint8_t hash[32];

  if (!c->verify) {
    return 0;
  }
  certs = gnutls_certificate_get_peers(session, &n);
  if (!certs || n == 0 ||
      gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data, certs[0].size, hash) !=
          0) {
    return -1;
  }
  return memcmp(hash, c->cert_hash, sizeof(hash)) == 0 ? 0 : -1;
}

static int tls_setup(wt_client *c) {
  gnutls_datum_t alpn = {(unsigned char *)(uintptr_t) "h3", 2};

  if (gnutls_certificate_allocate_credentials(&c->cred) != 0) {
    c->cred = NULL;
    return -1;
  }
  gnutls_certificate_set_verify_function(c->cred, verify_cert);
  if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
    c->tls = NULL;
    return -1;
  }
  if (gnutls_priority_set_direct(c->tls, tls_priority, NULL) != 0 ||
      ngtcp2_crypto_gnutls_configure_client_session(c->tls) != 0 ||
      gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred) != 0 ||
      gnutls_alpn_set_protocols(c->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY) != 0 ||
      gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, "localhost", 9) != 0) {
    return -1;
  }
  c->conn_ref.get_conn = get_conn;
  c->conn_ref.user_data = c;
  gnutls_session_set_ptr(c->tls, &c->conn_ref);
  ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
  return 0;
}

/* ---- the client ------------------------------------------------------------
 */

void wt_client_config_default(wt_client_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->host = "127.0.0.1";
}

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

static int socket_setup(wt_client *c) {
  struct sockaddr_in *a4 = (struct sockaddr_in *)&c->remote;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->remote;

  memset(&c->remote, 0, sizeof(c->remote));
  if (inet_pton(AF_INET, c->host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(c->cfg.port);
    c->remotelen = sizeof(*a4);
  } else if (inet_pton(AF_INET6, c->host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(c->cfg.port);
    c->remotelen = sizeof(*a6);
  } else {
    return -1;
  }
  c->fd =
      socket(c->remote.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    return -1;
  }
  if (c->cfg.rcvbuf > 0) {
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &c->cfg.rcvbuf,
               sizeof(c->cfg.rcvbuf));
  }
  if (c->cfg.local_host) {
    struct sockaddr_storage ls;
    struct sockaddr_in *l4 = (struct sockaddr_in *)&ls;
    struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&ls;
    socklen_t lslen = c->remotelen;

    memset(&ls, 0, sizeof(ls));
    ls.ss_family = c->remote.ss_family;
    if ((ls.ss_family == AF_INET &&
         inet_pton(AF_INET, c->cfg.local_host, &l4->sin_addr) != 1) ||
        (ls.ss_family == AF_INET6 &&
         inet_pton(AF_INET6, c->cfg.local_host, &l6->sin6_addr) != 1) ||
        bind(c->fd, (struct sockaddr *)&ls, lslen) != 0) {
      return -1;
    }
  }
  /* Connected: the kernel drops anything not from the server. */
  c->locallen = sizeof(c->local);
  if (connect(c->fd, (struct sockaddr *)&c->remote, c->remotelen) != 0 ||
      getsockname(c->fd, (struct sockaddr *)&c->local, &c->locallen) != 0) {
    return -1;
  }
  c->npath.local.addr = (ngtcp2_sockaddr *)&c->local;
  c->npath.local.addrlen = c->locallen;
  c->npath.remote.addr = (ngtcp2_sockaddr *)&c->remote;
  c->npath.remote.addrlen = c->remotelen;
  c->npath.user_data = NULL;
  return 0;
}

static int conn_setup(wt_client *c) {
  ngtcp2_callbacks cb;
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  ngtcp2_cid dcid, scid;

  memset(&cb, 0, sizeof(cb));
  cb.client_initial = ngtcp2_crypto_client_initial_cb;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = cb_rand;
  cb.get_new_connection_id = cb_get_new_connection_id;
  cb.handshake_completed = cb_handshake_completed;
  cb.recv_stream_data = cb_recv_stream_data;
  cb.acked_stream_data_offset = cb_acked_stream_data_offset;
  cb.stream_close = cb_stream_close;
  cb.stream_reset = cb_stream_reset;
  cb.stream_stop_sending = cb_stream_stop_sending;
  cb.extend_max_stream_data = cb_extend_max_stream_data;
  cb.recv_datagram = cb_recv_datagram;

  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ts();
  settings.handshake_timeout = 10 * NGTCP2_SECONDS;

  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = c->cfg.stream_window;
  params.initial_max_stream_data_bidi_remote = c->cfg.stream_window;
  params.initial_max_stream_data_uni = c->cfg.stream_window;
  params.initial_max_data = c->cfg.conn_window;
  params.initial_max_streams_bidi = 0; /* the server opens none */
  params.initial_max_streams_uni = 16; /* control and QPACK */
  params.max_idle_timeout =
      (ngtcp2_duration)(c->cfg.idle_timeout_s * (double)NGTCP2_SECONDS);
  params.max_datagram_frame_size = 65535;

  dcid.datalen = 18;
  random_bytes(dcid.data, dcid.datalen);
  scid.datalen = 18;
  random_bytes(scid.data, scid.datalen);
  if (ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &c->npath,
                             NGTCP2_PROTO_VER_V1, &cb, &settings, &params, NULL,
                             c) != 0) {
    c->conn = NULL;
    return -1;
  }
  return tls_setup(c);
}

int wt_client_new(wt_client **pc, const wt_client_config *cfg,
                  const wt_client_callbacks *cb) {
  wt_client *c;
  char auth[128];

  if (!pc || !cfg || !cfg->host || cfg->port == 0) {
    return WT_ERR_ARG;
  }
  c = calloc(1, sizeof(*c));
  if (!c) {
    return WT_ERR_NOMEM;
  }
  c->fd = -1;
  c->session_id = -1;
  c->cfg = *cfg;
  if (cb) {
    c->cb = *cb;
  }
  if (!c->cfg.stream_window) {
    c->cfg.stream_window = 1024 * 1024;
  }
  if (!c->cfg.conn_window) {
    c->cfg.conn_window = 8 * 1024 * 1024;
  }
  if (!c->cfg.max_stream_tx_bytes) {
    c->cfg.max_stream_tx_bytes = (size_t)4 * 1024 * 1024;
  }
  if (!c->cfg.max_datagrams_queued) {
    c->cfg.max_datagrams_queued = 256;
  }
  if (c->cfg.idle_timeout_s <= 0) {
    c->cfg.idle_timeout_s = 30;
  }
  if (cfg->authority) {
    snprintf(auth, sizeof(auth), "%s", cfg->authority);
  } else if (strchr(cfg->host, ':')) {
    snprintf(auth, sizeof(auth), "[%s]:%u", cfg->host, cfg->port);
  } else {
    snprintf(auth, sizeof(auth), "%s:%u", cfg->host, cfg->port);
  }
  c->host = strdup(cfg->host);
  c->authority = strdup(auth);
  c->path = dup_or_null(cfg->path);
  c->origin = dup_or_null(cfg->origin);
  c->cs_buf = malloc(CONNECT_HOLD);
  c->cap_buf = malloc(CONNECT_HOLD);
  c->cfg.host = c->cfg.authority = c->cfg.path = c->cfg.origin = NULL;
  c->cfg.cert_sha256 = NULL;
  if (cfg->cert_sha256) {
    memcpy(c->cert_hash, cfg->cert_sha256, sizeof(c->cert_hash));
    c->verify = 1;
  }
  if (!c->host || !c->authority || (cfg->path && !c->path) ||
      (cfg->origin && !c->origin) || !c->cs_buf || !c->cap_buf) {
    wt_client_del(c);
    return WT_ERR_NOMEM;
  }
  if (socket_setup(c) != 0 || conn_setup(c) != 0) {
    c->st.closed = 1; /* nothing to say goodbye on */
    wt_client_del(c);
    return WT_ERR_NET;
  }
  c->cfg.local_host = NULL; /* the caller's, read above only */
  *pc = c;
  return 0;
}

void wt_client_del(wt_client *c) {
  if (!c) {
    return;
  }
  if (c->conn && !c->st.closed && !c->vanished) {
    ngtcp2_connection_close_error e;
    ngtcp2_connection_close_error_default(&e);
    ngtcp2_connection_close_error_set_application_error(&e, H3_NO_ERROR, NULL,
                                                        0);
    close_with(c, &e);
  }
  for (size_t b = 0; b < N_BUCKETS; b++) {
    while (c->buckets[b]) {
      stream_free(c, c->buckets[b]);
    }
  }
  while (c->dg_head) {
    dgram *d = c->dg_head;
    c->dg_head = d->next;
    free(d);
  }
  if (c->conn) {
    ngtcp2_conn_del(c->conn);
  }
  if (c->tls) {
    gnutls_deinit(c->tls);
  }
  if (c->cred) {
    gnutls_certificate_free_credentials(c->cred);
  }
  if (c->fd >= 0) {
    close(c->fd);
  }
  free(c->host);
  free(c->authority);
  free(c->path);
  free(c->origin);
  free(c->cs_buf);
  free(c->cap_buf);
  free(c);
}

const wt_client_status *wt_client_status_get(const wt_client *c) {
  return &c->st;
}

int wt_client_fd(const wt_client *c) {
  return c->fd;
}

short wt_client_poll_events(const wt_client *c) {
  if (c->fd < 0 || c->st.closed || c->reading == WT_READ_NONE) {
    return 0;
  }
  return POLLIN;
}

int wt_client_timeout_ms(const wt_client *c) {
  ngtcp2_tstamp expiry, now;

  if (c->fd < 0 || c->st.closed) {
    return -1;
  }
  expiry = ngtcp2_conn_get_expiry(c->conn);
  if (expiry == UINT64_MAX) {
    return -1;
  }
  now = now_ts();
  if (expiry <= now) {
    return 0;
  }
  /* Round up: waking early would only spin. */
  return (int)((expiry - now + NGTCP2_MILLISECONDS - 1) / NGTCP2_MILLISECONDS);
}

static void read_packets(wt_client *c) {
  for (int i = 0; i < READS_PER_IO && !c->st.closed; i++) {
    ngtcp2_pkt_info pi;
    ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT);
    int rv;

    if (n < 0) {
      if (errno == EINTR || errno == ECONNREFUSED) {
        continue; /* an ICMP error from a server not yet up: harmless */
      }
      return;
    }
    c->st.packets_in++;
    memset(&pi, 0, sizeof(pi));
    rv = ngtcp2_conn_read_pkt(c->conn, &c->npath, &pi, c->rbuf, (size_t)n,
                              now_ts());
    if (rv == 0) {
      continue;
    }
    if (rv == NGTCP2_ERR_DRAINING) {
      /* The server's CONNECTION_CLOSE: remember why. */
      ngtcp2_connection_close_error e;
      ngtcp2_conn_get_connection_close_error(c->conn, &e);
      c->st.peer_closed = 1;
      c->st.peer_close_app =
          e.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION;
      c->st.peer_close_code = e.error_code;
      mark_closed(c);
      return;
    }
    fail(c, rv);
    return;
  }
}

int wt_client_io(wt_client *c) {
  if (c->vanished || c->st.closed) {
    return WT_ERR_STATE;
  }
  if (c->reading != WT_READ_NONE) {
    read_packets(c);
  }
  if (!c->st.closed && ngtcp2_conn_get_expiry(c->conn) <= now_ts()) {
    int rv = ngtcp2_conn_handle_expiry(c->conn, now_ts());
    if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
      mark_closed(c); /* silence: nothing is owed to the server */
    } else if (rv != 0) {
      fail(c, rv);
    }
  }
  if (c->st.closed) {
    return WT_ERR_STATE;
  }
  if (c->st.handshake_done && !c->control_opened) {
    open_control_stream(c);
  }
  /* RFC 9220 §3: no extended CONNECT before the server's SETTINGS. */
  if (c->path && c->st.settings_received && !c->connect_sent) {
    send_connect(c);
  }
  write_packets(c);
  return c->st.closed ? WT_ERR_STATE : 0;
}

int wt_client_flush(wt_client *c) {
  if (c->vanished || c->st.closed) {
    return WT_ERR_STATE;
  }
  write_packets(c);
  return c->st.closed ? WT_ERR_STATE : 0;
}

int wt_client_step(wt_client *c, int timeout_ms) {
  struct pollfd p;
  int t = wt_client_timeout_ms(c);

  if (c->vanished || c->st.closed) {
    return WT_ERR_STATE;
  }
  if (t < 0 || t > timeout_ms) {
    t = timeout_ms;
  }
  p.fd = c->fd;
  p.events = wt_client_poll_events(c);
  p.revents = 0;
  (void)poll(&p, 1, t);
  return wt_client_io(c);
}

int wt_client_session_open(const wt_client *c) {
  return !c->st.closed && !c->vanished && c->st.session_status / 100 == 2 &&
         !c->st.session_closed;
}

/* ---- the session ------------------------------------------------------------
 */

int wt_client_open_stream(wt_client *c, int64_t *stream_id) {
  uint8_t hdr[16];
  size_t n;
  stream *s;
  int rv;

  if (!wt_client_session_open(c)) {
    return WT_ERR_STATE;
  }
  rv = open_stream(c, 1, stream_id, &s);
  if (rv != 0) {
    return rv;
  }
  /* draft-02: 0x41 as a two-byte varint, as Chromium writes it. */
  hdr[0] = 0x40;
  hdr[1] = WT_STREAM_BIDI;
  n = 2 + varint_put(hdr + 2, (uint64_t)c->session_id);
  return stream_append(c, s, hdr, n, 0);
}

int wt_client_write(wt_client *c, int64_t stream_id, const uint8_t *data,
                    size_t len, int fin) {
  stream *s;

  if (c->st.closed || c->vanished) {
    return WT_ERR_STATE;
  }
  s = stream_find(c, stream_id);
  if (!s) {
    return WT_ERR_STATE;
  }
  if ((size_t)(s->end - s->acked) + len > c->cfg.max_stream_tx_bytes) {
    return WT_ERR_FULL;
  }
  return stream_append(c, s, data, len, fin);
}

size_t wt_client_queued(const wt_client *c, int64_t stream_id) {
  const stream *s = stream_find(c, stream_id);

  return s ? (size_t)(s->end - s->acked) : 0;
}

/* Queues |hlen| header bytes then |len| payload bytes as one datagram. */
static int queue_datagram(wt_client *c, const uint8_t *hdr, size_t hlen,
                          const uint8_t *data, size_t len) {
  dgram *d;

  if (c->n_dgrams >= c->cfg.max_datagrams_queued) {
    c->st.datagrams_dropped++;
    return WT_ERR_FULL;
  }
  d = malloc(sizeof(*d) + hlen + len);
  if (!d) {
    return WT_ERR_NOMEM;
  }
  d->next = NULL;
  d->len = hlen + len;
  if (hlen > 0) {
    memcpy(d->data, hdr, hlen);
  }
  memcpy(d->data + hlen, data, len);
  if (c->dg_tail) {
    c->dg_tail->next = d;
  } else {
    c->dg_head = d;
  }
  c->dg_tail = d;
  c->n_dgrams++;
  return 0;
}

int wt_client_send_datagram(wt_client *c, const uint8_t *data, size_t len) {
  uint8_t hdr[8];

  if (!wt_client_session_open(c)) {
    return WT_ERR_STATE;
  }
  return queue_datagram(c, hdr, varint_put(hdr, (uint64_t)c->session_id / 4),
                        data, len);
}

int wt_client_send_raw_datagram(wt_client *c, const uint8_t *data, size_t len) {
  if (!wt_client_session_open(c)) {
    return WT_ERR_STATE;
  }
  return queue_datagram(c, NULL, 0, data, len);
}

int wt_client_close_session(wt_client *c, uint32_t code, const char *reason) {
  size_t rlen = reason ? strlen(reason) : 0, n = 0, clen;
  uint8_t buf[64 + 1024];
  stream *s;

  if (!wt_client_session_open(c)) {
    return WT_ERR_STATE;
  }
  if (rlen > 1024) {
    return WT_ERR_ARG;
  }
  s = stream_find(c, c->session_id);
  if (!s) {
    return WT_ERR_STATE;
  }
  /* DATA { CLOSE_WEBTRANSPORT_SESSION { code, reason } }, then FIN. */
  clen = 2 + varint_put(buf, 4 + rlen) + 4 + rlen;
  n += varint_put(buf + n, FRAME_DATA);
  n += varint_put(buf + n, clen);
  n += varint_put(buf + n, CAPSULE_CLOSE_WT_SESSION);
  n += varint_put(buf + n, 4 + rlen);
  buf[n++] = (uint8_t)(code >> 24);
  buf[n++] = (uint8_t)(code >> 16);
  buf[n++] = (uint8_t)(code >> 8);
  buf[n++] = (uint8_t)code;
  memcpy(buf + n, reason, rlen);
  n += rlen;
  return stream_append(c, s, buf, n, 1);
}

/* ---- misbehaving ----------------------------------------------------------
 */

int wt_client_open_raw_stream(wt_client *c, int bidi, int64_t *stream_id) {
  if (c->st.closed || c->vanished || !c->st.handshake_done) {
    return WT_ERR_STATE;
  }
  return open_stream(c, bidi, stream_id, NULL);
}

uint64_t wt_client_streams_left(wt_client *c, int bidi) {
  if (c->st.closed || c->vanished) {
    return 0;
  }
  return bidi ? ngtcp2_conn_get_streams_bidi_left(c->conn)
              : ngtcp2_conn_get_streams_uni_left(c->conn);
}

int wt_client_send_udp(wt_client *c, const uint8_t *data, size_t len) {
  if (c->fd < 0) {
    return WT_ERR_STATE;
  }
  return send(c->fd, data, len, MSG_DONTWAIT) == (ssize_t)len ? 0 : WT_ERR_NET;
}

int wt_udp_send(const char *host, uint16_t port, const uint8_t *data,
                size_t len) {
  struct sockaddr_storage ss;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  socklen_t sslen;
  ssize_t n;
  int fd;

  memset(&ss, 0, sizeof(ss));
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    sslen = sizeof(*a4);
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    sslen = sizeof(*a6);
  } else {
    return WT_ERR_ARG;
  }
  fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return WT_ERR_NET;
  }
  n = sendto(fd, data, len, 0, (struct sockaddr *)&ss, sslen);
  close(fd);
  return n == (ssize_t)len ? 0 : WT_ERR_NET;
}

void wt_client_set_reading(wt_client *c, wt_client_reading mode) {
  wt_client_reading was = c->reading;

  c->reading = mode;
  if (mode != WT_READ_ALL || was == WT_READ_ALL || c->st.closed ||
      c->vanished) {
    return;
  }
  /* Reading again: the credit withheld goes back in one go. */
  for (size_t b = 0; b < N_BUCKETS; b++) {
    for (stream *s = c->buckets[b]; s; s = s->hnext) {
      if (s->rx_withheld) {
        ngtcp2_conn_extend_max_stream_offset(c->conn, s->id, s->rx_withheld);
        s->rx_withheld = 0;
      }
    }
  }
  ngtcp2_conn_extend_max_offset(c->conn, c->conn_withheld);
  c->conn_withheld = 0;
}

void wt_client_vanish(wt_client *c) {
  c->vanished = 1;
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}

void wt_client_set_tx_hook(wt_client *c, wt_client_tx_hook hook,
                           void *user_data) {
  c->tx_hook = hook;
  c->tx_hook_data = user_data;
}

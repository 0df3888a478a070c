/*
 * quic_server.c: see quic_server.h. QUIC is RFC 9000 through ngtcp2
 * 0.12 and its GnuTLS crypto helper; what Chromium needs of it is in
 * ../shared/docs/WEBTRANSPORT-NOTES.md (ALPN h3, max_datagram_frame_size,
 * TLS 1.3 without compatibility mode).
 *
 * Order of work for one connection: packets are read and handed to
 * ngtcp2, whose callbacks feed h3wt, which calls the application. Nothing
 * is written from inside those callbacks: streams and datagrams are
 * queued, the connection is marked dirty, and flush_dirty() writes every
 * dirty connection's packets at the end of the handler (or, for writes
 * made from other transports' handlers, from an ev_prepare watcher just
 * before the loop waits). Connections and sessions are freed at those
 * same points.
 */
#define _GNU_SOURCE
#include "quic_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <vc/vc.h>

#include "log.h"
#include "quic_admission.h"
#include "token_bucket.h"

#define MAX_LISTENERS 16
#define SCID_LEN 18
#define MAX_UDP_PAYLOAD 1452
#define RECV_BUF_LEN 65536
/* The read loop's budget per wake-up of one socket: then the loop runs
 * its timers and the other sockets (HTTP, WebSocket) before it reads
 * on, so a flood on UDP cannot starve them. */
#define READS_PER_WAKEUP 64
#define READ_BYTES_PER_WAKEUP (256 * 1024)
/* What each UDP socket asks the kernel to buffer each way. Linux's
 * default (208 KiB) is a few hundred packets: a loop held up for a few
 * hundred milliseconds (a busy machine) lost audio for every
 * participant. The kernel caps it at net.core.rmem_max / wmem_max. */
#define UDP_BUFFER_BYTES (4 * 1024 * 1024)
#define UDP_BUFFER_WARN_BELOW (1024 * 1024)
#define CID_BUCKETS 4096
#define MAX_VECS 16
/* Stream credit at the start. Bidirectional: the meeting needs two (the
 * CONNECT and its stream); their state is freed when they close, and
 * credit comes back then. Unidirectional: HTTP/3 needs three; their
 * credit comes back as they end, up to max_client_uni_streams in all
 * (client_uni_done). */
#define INITIAL_MAX_STREAMS_BIDI 100
#define INITIAL_MAX_STREAMS_UNI 16
/* After our CONNECTION_CLOSE: answer stray packets with it this long. */
#define CLOSING_PERIOD_S 1.0
/* A datagram not sent within this is late media: dropped. */
#define DATAGRAM_MAX_AGE (200 * NGTCP2_MILLISECONDS)
/* The same for one that waited this long in our socket's receive buffer
 * (a busy machine: the 4 MiB buffer holds seconds of packets). Relaying
 * it would play seconds-old sound; its QUIC packet is still processed. */
#define DATAGRAM_MAX_RX_AGE_NS (200 * 1000000LL)
/* A session we closed: its connection goes this long after. */
#define CLOSE_AFTER_SESSION_S 0.5
/* Once the table is 7/8 full, a handshake not done after this long is
 * closed to make room for a new connection (ngtcp2's own handshake
 * timeout, 10 s, is for a table with room). Chromium's handshakes on
 * loopback take tens of milliseconds; a far path a few round trips. */
#define HANDSHAKE_EVICT_AFTER (2 * NGTCP2_SECONDS)
/* How long a Retry token stays good. */
#define RETRY_TOKEN_TIMEOUT (10 * NGTCP2_SECONDS)

static const char tls_priority[] =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:"
    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1";

typedef struct quic_conn quic_conn;

/* ---- stream send queues ------------------------------------------------ */

typedef struct tx_chunk {
  struct tx_chunk *next;
  size_t len;
  uint8_t data[];
} tx_chunk;

typedef struct tx_stream {
  quic_conn *qc;
  int64_t id;
  tx_chunk *head, *tail;
  uint64_t head_off; /* stream offset of head->data[0] */
  uint64_t acked;    /* everything below is acknowledged */
  uint64_t sent;     /* everything below was handed to ngtcp2 */
  uint64_t end;      /* everything below is queued */
  int fin, fin_sent, blocked, in_pending;
  struct tx_stream *next_pending;
  struct tx_stream *prev, *next; /* every stream of the connection */
} tx_stream;

typedef struct datagram {
  struct datagram *next;
  ngtcp2_tstamp queued_at;
  size_t len;
  uint8_t data[];
} datagram;

/* ---- sessions and connections ------------------------------------------ */

struct vc_wt_session {
  quic_conn *qc;
  int64_t id;
  void *user_data;
  int closing;  /* we closed it; session_closed is still owed */
  int notified; /* session_closed was called */
  int close_when_flushed;
  uint32_t close_code;
  char close_reason[128];
  struct vc_wt_session *next;
};

typedef struct listener {
  vc_quic_server *srv;
  int fd;
  ev_io io;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  /* Packets the kernel dropped because the socket's buffer was full
   * (SO_RXQ_OVFL: a running count, reported with each packet read). */
  uint32_t overflows;
} listener;

typedef struct cid_entry {
  struct cid_entry *next;
  ngtcp2_cid cid;
  quic_conn *qc;
} cid_entry;

struct quic_conn {
  vc_quic_server *srv;
  listener *lst;
  ngtcp2_conn *conn;
  gnutls_session_t tls;
  ngtcp2_crypto_conn_ref conn_ref;
  vc_h3wt *h3;
  struct sockaddr_storage remote;
  socklen_t remotelen;
  char peer[64];
  ev_timer timer;
  ev_timer close_timer;
  tx_stream *streams, *pending_head, *pending_tail;
  datagram *dg_head, *dg_tail;
  size_t n_datagrams;
  uint64_t dgram_id;
  vc_wt_session *sessions;
  uint8_t *close_pkt; /* our CONNECTION_CLOSE, resent on stray packets */
  size_t close_pkt_len;
  uint64_t h3_error; /* close with this application error */
  int want_close, closing, draining, dead, dirty, handshake_done;
  /* Its source address in the admission table (when |admitted|). */
  vc_quic_addr_key addr_key;
  int admitted;
  ngtcp2_tstamp created_at;
  /* Packets this connection may have processed (its share of the loop:
   * quic_server_config.conn_packets). */
  vc_token_bucket rx_budget;
  /* Client unidirectional streams that ended, and whether their credit
   * stopped at max_client_uni_streams. */
  uint64_t n_client_uni_done;
  int uni_capped;
  quic_conn *next_dirty, *next_dead;
  quic_conn *prev, *next;
};

struct vc_quic_server {
  struct ev_loop *loop;
  vc_quic_server_config cfg;
  vc_wt_app app;
  gnutls_certificate_credentials_t cred;
  listener listeners[MAX_LISTENERS];
  size_t n_listeners;
  uint16_t port;
  cid_entry *cids[CID_BUCKETS];
  quic_conn *conns, *dirty, *dead;
  unsigned n_conns, n_sessions;
  unsigned n_dead; /* of n_conns, marked dead and not yet freed */
  vc_quic_admission *admission;
  uint8_t token_secret[32]; /* Retry tokens */
  ngtcp2_tstamp limit_logged_at;
  ev_prepare prepare;
  uint8_t reset_secret[32];
  vc_quic_server_stats stats;
  /* How long the packet being handled waited in the kernel (0: unknown). */
  int64_t rx_age_ns;
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
    if (n < 0 && errno != EINTR) {
      vc_log(VC_LOG_ERROR, "quic: getrandom failed: %s", strerror(errno));
      abort();
    }
    got += n > 0 ? (size_t)n : 0;
  }
}

void vc_quic_server_default_config(vc_quic_server_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->max_connections = 1024;
  cfg->idle_timeout_s = 30;
  cfg->max_stream_tx_bytes = (size_t)4 * 1024 * 1024;
  cfg->max_datagrams_queued = 256;
  cfg->max_client_uni_streams = 1000;
  cfg->retry_above_handshakes = 64;
  cfg->conn_packets.per_second = 10000;
  cfg->conn_packets.burst = 2000;
  vc_quic_admission_default_config(&cfg->admission);
}

/* ---- connection id table ------------------------------------------------ */

static size_t cid_hash(const uint8_t *data, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  size_t i;

  for (i = 0; i < len; i++) {
    h = (h ^ data[i]) * 16777619u;
  }
  return h % CID_BUCKETS;
}

static quic_conn *cid_find(vc_quic_server *srv, const uint8_t *data,
                           size_t len) {
  cid_entry *e;

  for (e = srv->cids[cid_hash(data, len)]; e; e = e->next) {
    if (e->cid.datalen == len && memcmp(e->cid.data, data, len) == 0) {
      return e->qc;
    }
  }
  return NULL;
}

static int cid_add(vc_quic_server *srv, const ngtcp2_cid *cid, quic_conn *qc) {
  size_t b = cid_hash(cid->data, cid->datalen);
  cid_entry *e = malloc(sizeof(*e));

  if (!e) {
    return VC_ERR_NOMEM;
  }
  e->cid = *cid;
  e->qc = qc;
  e->next = srv->cids[b];
  srv->cids[b] = e;
  return 0;
}

static void cid_remove(vc_quic_server *srv, const ngtcp2_cid *cid) {
  cid_entry **pe = &srv->cids[cid_hash(cid->data, cid->datalen)];

  for (; *pe; pe = &(*pe)->next) {
    if (ngtcp2_cid_eq(&(*pe)->cid, cid)) {
      cid_entry *e = *pe;
      *pe = e->next;
      free(e);
      return;
    }
  }
}

static void cid_remove_conn(vc_quic_server *srv, quic_conn *qc) {
  size_t b;

  for (b = 0; b < CID_BUCKETS; b++) {
    cid_entry **pe = &srv->cids[b];
    while (*pe) {
      if ((*pe)->qc == qc) {
        cid_entry *e = *pe;
        *pe = e->next;
        free(e);
      } else {
        pe = &(*pe)->next;
      }
    }
  }
}

/* ---- dirty and dead lists ----------------------------------------------- */

static void mark_dirty(quic_conn *qc) {
  if (!qc->dirty && !qc->dead) {
    qc->dirty = 1;
    qc->next_dirty = qc->srv->dirty;
    qc->srv->dirty = qc;
  }
}

static void mark_dead(quic_conn *qc, const char *why) {
  if (qc->dead) {
    return;
  }
  vc_log(VC_LOG_DEBUG, "quic %s: gone: %s", qc->peer, why);
  qc->dead = 1;
  qc->srv->n_dead++;
  qc->next_dead = qc->srv->dead;
  qc->srv->dead = qc;
}

/* ---- stream queues ------------------------------------------------------ */

/* The streams we write to are few (the meeting stream and HTTP/3's
 * own), so a list is enough; ngtcp2 0.12 has no getter for the stream
 * user data. */
static tx_stream *stream_find(const quic_conn *qc, int64_t id) {
  tx_stream *s;

  for (s = qc->streams; s && s->id != id; s = s->next) {
  }
  return s;
}

static tx_stream *stream_get(quic_conn *qc, int64_t id, int create) {
  tx_stream *s = stream_find(qc, id);

  if (s || !create) {
    return s;
  }
  s = calloc(1, sizeof(*s));
  if (!s) {
    return NULL;
  }
  if (ngtcp2_conn_set_stream_user_data(qc->conn, id, s) != 0) {
    free(s);
    return NULL;
  }
  s->qc = qc;
  s->id = id;
  s->next = qc->streams;
  if (qc->streams) {
    qc->streams->prev = s;
  }
  qc->streams = s;
  return s;
}

static void pending_push(tx_stream *s) {
  quic_conn *qc = s->qc;

  if (s->in_pending || s->blocked) {
    return;
  }
  s->in_pending = 1;
  s->next_pending = NULL;
  if (qc->pending_tail) {
    qc->pending_tail->next_pending = s;
  } else {
    qc->pending_head = s;
  }
  qc->pending_tail = s;
}

static tx_stream *pending_pop(quic_conn *qc) {
  tx_stream *s = qc->pending_head;

  if (s) {
    qc->pending_head = s->next_pending;
    if (!qc->pending_head) {
      qc->pending_tail = NULL;
    }
    s->in_pending = 0;
  }
  return s;
}

static void pending_remove(tx_stream *s) {
  quic_conn *qc = s->qc;
  tx_stream **pp = &qc->pending_head, *prev = NULL;

  if (!s->in_pending) {
    return;
  }
  for (; *pp; prev = *pp, pp = &(*pp)->next_pending) {
    if (*pp == s) {
      *pp = s->next_pending;
      if (qc->pending_tail == s) {
        qc->pending_tail = prev;
      }
      break;
    }
  }
  s->in_pending = 0;
}

static void stream_free(tx_stream *s) {
  quic_conn *qc = s->qc;

  pending_remove(s);
  while (s->head) {
    tx_chunk *c = s->head;
    s->head = c->next;
    free(c);
  }
  if (s->prev) {
    s->prev->next = s->next;
  } else {
    qc->streams = s->next;
  }
  if (s->next) {
    s->next->prev = s->prev;
  }
  if (qc->conn) {
    ngtcp2_conn_set_stream_user_data(qc->conn, s->id, NULL);
  }
  free(s);
}

static int stream_append(tx_stream *s, const uint8_t *data, size_t len,
                         int fin) {
  if (s->fin) {
    return VC_ERR_STATE;
  }
  if (len > 0) {
    tx_chunk *c = malloc(sizeof(*c) + len);
    if (!c) {
      return VC_ERR_NOMEM;
    }
    c->next = NULL;
    c->len = len;
    memcpy(c->data, data, len);
    if (s->tail) {
      s->tail->next = c;
    } else {
      s->head = c;
      s->head_off = s->end;
    }
    s->tail = c;
    s->end += len;
  }
  s->fin = fin;
  pending_push(s);
  mark_dirty(s->qc);
  return 0;
}

/* The peer has everything below |offset|: free whole chunks below it. */
static void stream_acked(tx_stream *s, uint64_t offset) {
  if (offset > s->acked) {
    s->acked = offset;
  }
  while (s->head && s->head_off + s->head->len <= s->acked) {
    tx_chunk *c = s->head;
    s->head_off += c->len;
    s->head = c->next;
    if (!s->head) {
      s->tail = NULL;
    }
    free(c);
  }
}

/* Vectors over the bytes not yet handed to ngtcp2. */
static size_t stream_unsent(const tx_stream *s, ngtcp2_vec *v, size_t nv) {
  tx_chunk *c = s->head;
  uint64_t off = s->head_off;
  size_t n = 0;

  while (c && off + c->len <= s->sent) {
    off += c->len;
    c = c->next;
  }
  for (; c && n < nv; c = c->next) {
    size_t skip = s->sent > off ? (size_t)(s->sent - off) : 0;
    v[n].base = c->data + skip;
    v[n].len = c->len - skip;
    n++;
    off += c->len;
  }
  return n;
}

/* ---- sending packets ----------------------------------------------------- */

static void send_packet(quic_conn *qc, const uint8_t *data, size_t len) {
  vc_quic_server *srv = qc->srv;
  ssize_t n;

  do {
    n = sendto(qc->lst->fd, data, len, MSG_DONTWAIT,
               (const struct sockaddr *)&qc->remote, qc->remotelen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    /* A full socket buffer loses the packet; QUIC's recovery resends. */
    srv->stats.send_failed++;
    return;
  }
  srv->stats.packets_out++;
  srv->stats.bytes_out += (size_t)n;
}

static void conn_set_timer(quic_conn *qc) {
  ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(qc->conn);
  ngtcp2_tstamp now = now_ts();
  double after;

  ev_timer_stop(qc->srv->loop, &qc->timer);
  if (expiry == UINT64_MAX) {
    return;
  }
  after = expiry > now ? (double)(expiry - now) / NGTCP2_SECONDS : 1e-6;
  ev_timer_set(&qc->timer, after, 0.);
  ev_timer_start(qc->srv->loop, &qc->timer);
}

/* Writes CONNECTION_CLOSE (keeping it for stray packets) and lets the
 * connection go after a closing period. */
static void conn_close_now(quic_conn *qc,
                           const ngtcp2_connection_close_error *ccerr) {
  uint8_t buf[MAX_UDP_PAYLOAD];
  ngtcp2_path_storage ps;
  ngtcp2_pkt_info pi;
  ngtcp2_ssize n;

  if (qc->closing || qc->draining || qc->dead) {
    return;
  }
  qc->closing = 1;
  ngtcp2_path_storage_zero(&ps);
  n = ngtcp2_conn_write_connection_close(qc->conn, &ps.path, &pi, buf,
                                         sizeof(buf), ccerr, now_ts());
  if (n > 0) {
    qc->close_pkt = malloc((size_t)n);
    if (qc->close_pkt) {
      memcpy(qc->close_pkt, buf, (size_t)n);
      qc->close_pkt_len = (size_t)n;
    }
    send_packet(qc, buf, (size_t)n);
  }
  ev_timer_stop(qc->srv->loop, &qc->timer);
  ev_timer_stop(qc->srv->loop, &qc->close_timer);
  ev_timer_set(&qc->close_timer, CLOSING_PERIOD_S, 0.);
  ev_timer_start(qc->srv->loop, &qc->close_timer);
}

static void conn_close_app(quic_conn *qc, uint64_t h3_error) {
  ngtcp2_connection_close_error ccerr;

  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_application_error(&ccerr, h3_error, NULL,
                                                      0);
  conn_close_now(qc, &ccerr);
}

static void conn_fail(quic_conn *qc, int liberr) {
  ngtcp2_connection_close_error ccerr;

  qc->srv->stats.conn_errors++;
  vc_log(VC_LOG_INFO, "quic %s: closing: %s", qc->peer,
         ngtcp2_strerror(liberr));
  ngtcp2_connection_close_error_default(&ccerr);
  if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ccerr, ngtcp2_conn_get_tls_alert(qc->conn), NULL, 0);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr,
                                                             NULL, 0);
  }
  conn_close_now(qc, &ccerr);
}

static void write_datagrams(quic_conn *qc, uint8_t *buf, size_t buflen,
                            ngtcp2_path_storage *ps, ngtcp2_tstamp ts) {
  while (qc->dg_head && !qc->closing && !qc->dead) {
    datagram *d = qc->dg_head;
    ngtcp2_vec v = {d->data, d->len};
    ngtcp2_pkt_info pi;
    int accepted = 0;
    ngtcp2_ssize n;

    if (ts - d->queued_at > DATAGRAM_MAX_AGE) {
      qc->srv->stats.datagrams_dropped++;
      qc->dg_head = d->next;
      if (!qc->dg_head) {
        qc->dg_tail = NULL;
      }
      qc->n_datagrams--;
      free(d);
      continue;
    }
    n = ngtcp2_conn_writev_datagram(qc->conn, &ps->path, &pi, buf, buflen,
                                    &accepted, NGTCP2_WRITE_DATAGRAM_FLAG_NONE,
                                    qc->dgram_id++, &v, 1, ts);
    if (n < 0 && n != NGTCP2_ERR_INVALID_ARGUMENT) {
      conn_fail(qc, (int)n);
      return;
    }
    if (accepted || n < 0) {
      if (n < 0) {
        qc->srv->stats.datagrams_dropped++; /* larger than the peer takes */
      }
      qc->dg_head = d->next;
      if (!qc->dg_head) {
        qc->dg_tail = NULL;
      }
      qc->n_datagrams--;
      free(d);
    }
    if (n == 0) {
      return; /* congestion window full */
    }
    if (n > 0) {
      send_packet(qc, buf, (size_t)n);
    }
  }
}

/* Writes every packet ngtcp2 has for |qc| now: datagrams first (they are
 * the freshest media), then streams round-robin, then ACKs and the rest. */
static void conn_write(quic_conn *qc) {
  uint8_t buf[MAX_UDP_PAYLOAD];
  ngtcp2_path_storage ps;
  ngtcp2_tstamp ts = now_ts();
  size_t buflen = ngtcp2_conn_get_max_tx_udp_payload_size(qc->conn);

  if (qc->closing || qc->draining || qc->dead) {
    return;
  }
  buflen = buflen < sizeof(buf) ? buflen : sizeof(buf);
  ngtcp2_path_storage_zero(&ps);
  if (ngtcp2_conn_get_handshake_completed(qc->conn)) {
    write_datagrams(qc, buf, buflen, &ps, ts);
  }
  for (;;) {
    ngtcp2_vec v[MAX_VECS];
    size_t nv = 0;
    ngtcp2_ssize ndatalen = -1, n;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    ngtcp2_pkt_info pi;
    tx_stream *s = pending_pop(qc);
    int64_t sid = -1;

    if (qc->closing || qc->dead) {
      return;
    }
    if (s) {
      uint64_t total = 0;
      size_t i;
      sid = s->id;
      nv = stream_unsent(s, v, MAX_VECS);
      for (i = 0; i < nv; i++) {
        total += v[i].len;
      }
      if (s->fin && s->sent + total == s->end) {
        flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
      }
    } else {
      flags = NGTCP2_WRITE_STREAM_FLAG_NONE;
    }
    n = ngtcp2_conn_writev_stream(qc->conn, &ps.path, &pi, buf, buflen,
                                  &ndatalen, flags, sid, nv ? v : NULL, nv, ts);
    if (s && ndatalen >= 0) {
      s->sent += (uint64_t)ndatalen;
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && s->sent == s->end) {
        s->fin_sent = 1;
      }
      if (s->sent < s->end || (s->fin && !s->fin_sent)) {
        pending_push(s); /* the rest goes after the other streams */
      }
    } else if (s && n >= 0) {
      pending_push(s); /* no room in this packet: keep it for the next */
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
        pending_remove(s); /* the peer stopped it: nothing more to send */
        continue;
      }
      conn_fail(qc, (int)n);
      return;
    }
    if (n == 0) {
      break; /* congestion-limited: the next ACK brings us back */
    }
    send_packet(qc, buf, (size_t)n);
  }
  conn_set_timer(qc);
}

/* ---- sessions ------------------------------------------------------------ */

static vc_wt_session *session_find(quic_conn *qc, int64_t id) {
  vc_wt_session *s;

  for (s = qc->sessions; s; s = s->next) {
    if (s->id == id) {
      return s;
    }
  }
  return NULL;
}

static void session_unlink_free(quic_conn *qc, vc_wt_session *s) {
  vc_wt_session **ps;

  for (ps = &qc->sessions; *ps; ps = &(*ps)->next) {
    if (*ps == s) {
      *ps = s->next;
      break;
    }
  }
  qc->srv->n_sessions--;
  free(s);
}

/* Tells the application, once, and frees |s|. */
static void session_end(quic_conn *qc, vc_wt_session *s) {
  vc_quic_server *srv = qc->srv;

  if (!s->notified) {
    s->notified = 1;
    if (srv->app.session_closed) {
      srv->app.session_closed(srv->app.app, s);
    }
  }
  session_unlink_free(qc, s);
}

/* ---- h3wt's callbacks ---------------------------------------------------- */

static int h3_open_uni_stream(void *user_data, int64_t *stream_id) {
  quic_conn *qc = user_data;
  int rv = ngtcp2_conn_open_uni_stream(qc->conn, stream_id, NULL);

  return rv == 0 ? 0 : VC_ERR_STATE;
}

static int h3_write_stream(void *user_data, int64_t stream_id,
                           const uint8_t *data, size_t len, int fin) {
  quic_conn *qc = user_data;
  tx_stream *s = stream_get(qc, stream_id, 1);

  return s ? stream_append(s, data, len, fin) : VC_ERR_NOMEM;
}

static void h3_reset_stream(void *user_data, int64_t stream_id,
                            uint64_t h3_error) {
  quic_conn *qc = user_data;

  ngtcp2_conn_shutdown_stream(qc->conn, stream_id, h3_error);
  mark_dirty(qc);
}

static void h3_close_connection(void *user_data, uint64_t h3_error,
                                const char *reason) {
  quic_conn *qc = user_data;

  vc_log(VC_LOG_INFO, "quic %s: HTTP/3 error 0x%llx: %s", qc->peer,
         (unsigned long long)h3_error, reason ? reason : "");
  qc->want_close = 1;
  qc->h3_error = h3_error;
  qc->srv->stats.conn_errors++;
  mark_dirty(qc);
}

static int h3_session_request(void *user_data, int64_t session_id,
                              const vc_h3wt_request *req) {
  quic_conn *qc = user_data;
  vc_quic_server *srv = qc->srv;
  vc_wt_session *s = calloc(1, sizeof(*s));
  int status;

  if (!s) {
    return 503;
  }
  s->qc = qc;
  s->id = session_id;
  s->next = qc->sessions;
  qc->sessions = s;
  srv->n_sessions++;
  status = srv->app.session_request
               ? srv->app.session_request(srv->app.app, s, req)
               : 404;
  vc_log(VC_LOG_INFO, "quic %s: WebTransport %s from %s: %d", qc->peer,
         req->path, req->origin[0] ? req->origin : "(no origin)", status);
  if (status != 200) {
    srv->stats.sessions_refused++;
    s->notified = 1; /* never the application's */
    session_unlink_free(qc, s);
  }
  return status;
}

static void h3_session_closed(void *user_data, int64_t session_id,
                              uint32_t code, const uint8_t *reason,
                              size_t reason_len) {
  quic_conn *qc = user_data;
  vc_wt_session *s = session_find(qc, session_id);

  vc_log(VC_LOG_DEBUG, "quic %s: session closed by the client (%u %.*s)",
         qc->peer, code, (int)(reason_len > 200 ? 200 : reason_len),
         (const char *)reason);
  if (s) {
    session_end(qc, s);
  }
}

static void h3_stream_data(void *user_data, int64_t session_id,
                           int64_t stream_id, const uint8_t *data, size_t len,
                           int fin) {
  quic_conn *qc = user_data;
  vc_wt_session *s = session_find(qc, session_id);
  vc_quic_server *srv = qc->srv;

  if (s && !s->closing && srv->app.stream_data) {
    srv->app.stream_data(srv->app.app, s, stream_id, data, len, fin);
  }
}

/* The client gave up a stream: give up ours too, so it closes and its
 * credit comes back, and tell the application. */
static void h3_stream_reset(void *user_data, int64_t session_id,
                            int64_t stream_id) {
  quic_conn *qc = user_data;
  vc_wt_session *s = session_find(qc, session_id);
  tx_stream *t = stream_find(qc, stream_id);
  vc_quic_server *srv = qc->srv;

  if (ngtcp2_is_bidi_stream(stream_id)) {
    if (t) {
      pending_remove(t);
    }
    ngtcp2_conn_shutdown_stream_write(qc->conn, stream_id, 0);
    mark_dirty(qc);
  }
  if (s && !s->closing && srv->app.stream_reset) {
    srv->app.stream_reset(srv->app.app, s, stream_id);
  }
}

static void h3_datagram(void *user_data, int64_t session_id,
                        const uint8_t *data, size_t len) {
  quic_conn *qc = user_data;
  vc_wt_session *s = session_find(qc, session_id);
  vc_quic_server *srv = qc->srv;

  if (s && !s->closing && srv->app.datagram) {
    srv->app.datagram(srv->app.app, s, data, len);
  }
}

/* ---- ngtcp2's callbacks -------------------------------------------------- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) {
  quic_conn *qc = ref->user_data;
  return qc->conn;
}

static void cb_rand(uint8_t *dest, size_t destlen,
                    const ngtcp2_rand_ctx *rand_ctx) {
  (void)rand_ctx;
  random_bytes(dest, destlen);
}

static int cb_get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid,
                                    uint8_t *token, size_t cidlen,
                                    void *user_data) {
  quic_conn *qc = user_data;

  (void)conn;
  random_bytes(cid->data, cidlen);
  cid->datalen = cidlen;
  if (ngtcp2_crypto_generate_stateless_reset_token(
          token, qc->srv->reset_secret, sizeof(qc->srv->reset_secret), cid) !=
          0 ||
      cid_add(qc->srv, cid, qc) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

static int cb_remove_connection_id(ngtcp2_conn *conn, const ngtcp2_cid *cid,
                                   void *user_data) {
  quic_conn *qc = user_data;

  (void)conn;
  cid_remove(qc->srv, cid);
  return 0;
}

static int cb_handshake_completed(ngtcp2_conn *conn, void *user_data) {
  quic_conn *qc = user_data;

  (void)conn;
  qc->handshake_done = 1;
  qc->srv->stats.handshakes++;
  if (qc->admitted) {
    vc_quic_admission_established(qc->srv->admission, &qc->addr_key);
  }
  vc_log(VC_LOG_DEBUG, "quic %s: handshake done", qc->peer);
  return vc_h3wt_start(qc->h3) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

/* ngtcp2 0.12.1 never calls stream_close for a client's unidirectional
 * stream (fixed upstream in 0.14): its credit is returned here instead,
 * when the stream ends (WEBTRANSPORT-NOTES.md §7.1). ngtcp2 still keeps
 * about 245 bytes of each such stream until the connection ends, and
 * offers no call to free them, so the credit stops for good once the
 * connection has had max_client_uni_streams of them: that bounds the
 * leak (issue 20: 100k streams in 3 s had added 24 MB). A page uses
 * three (HTTP/3's control and QPACK streams). */
static void client_uni_done(quic_conn *qc, int64_t stream_id) {
  vc_quic_server *srv = qc->srv;

  vc_h3wt_on_stream_closed(qc->h3, stream_id);
  qc->n_client_uni_done++;
  if (qc->n_client_uni_done + INITIAL_MAX_STREAMS_UNI <=
      srv->cfg.max_client_uni_streams) {
    ngtcp2_conn_extend_max_streams_uni(qc->conn, 1);
  } else if (!qc->uni_capped) {
    qc->uni_capped = 1;
    srv->stats.limits.uni_streams_capped++;
    vc_log(VC_LOG_INFO,
           "quic %s: %u unidirectional streams, no more credit for them",
           qc->peer, srv->cfg.max_client_uni_streams);
  }
}

static int is_client_uni(int64_t stream_id) {
  return (stream_id & 3) == 2;
}

static int cb_recv_stream_data(ngtcp2_conn *conn, uint32_t flags,
                               int64_t stream_id, uint64_t offset,
                               const uint8_t *data, size_t datalen,
                               void *user_data, void *stream_user_data) {
  quic_conn *qc = user_data;
  int fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;

  (void)offset;
  (void)stream_user_data;
  if (vc_h3wt_on_stream_data(qc->h3, stream_id, data, datalen, fin) != 0) {
    return 0; /* h3wt asked for the connection to close */
  }
  /* Everything was consumed (h3wt and the application copy what they
   * keep), so the credit goes back at once. */
  ngtcp2_conn_extend_max_stream_offset(conn, stream_id, datalen);
  ngtcp2_conn_extend_max_offset(conn, datalen);
  if (fin && is_client_uni(stream_id)) {
    client_uni_done(qc, stream_id);
  }
  mark_dirty(qc);
  return 0;
}

static int cb_acked_stream_data_offset(ngtcp2_conn *conn, int64_t stream_id,
                                       uint64_t offset, uint64_t datalen,
                                       void *user_data,
                                       void *stream_user_data) {
  tx_stream *s = stream_user_data;

  (void)conn;
  (void)stream_id;
  (void)user_data;
  if (s) {
    stream_acked(s, offset + datalen);
  }
  return 0;
}

static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id,
                           uint64_t app_error_code, void *user_data,
                           void *stream_user_data) {
  quic_conn *qc = user_data;
  tx_stream *s = stream_user_data;

  (void)flags;
  (void)app_error_code;
  if (s) {
    stream_free(s);
  }
  if (is_client_uni(stream_id)) {
    return 0; /* handled in client_uni_done */
  }
  vc_h3wt_on_stream_closed(qc->h3, stream_id);
  if (!ngtcp2_conn_is_local_stream(conn, stream_id) &&
      ngtcp2_is_bidi_stream(stream_id)) {
    ngtcp2_conn_extend_max_streams_bidi(conn, 1);
  }
  mark_dirty(qc);
  return 0;
}

static int cb_stream_reset(ngtcp2_conn *conn, int64_t stream_id,
                           uint64_t final_size, uint64_t app_error_code,
                           void *user_data, void *stream_user_data) {
  quic_conn *qc = user_data;

  (void)conn;
  (void)final_size;
  (void)app_error_code;
  (void)stream_user_data;
  vc_h3wt_on_stream_reset(qc->h3, stream_id);
  if (is_client_uni(stream_id)) {
    client_uni_done(qc, stream_id);
  }
  mark_dirty(qc);
  return 0;
}

static int cb_stream_stop_sending(ngtcp2_conn *conn, int64_t stream_id,
                                  uint64_t app_error_code, void *user_data,
                                  void *stream_user_data) {
  tx_stream *s = stream_user_data;

  (void)conn;
  (void)stream_id;
  (void)app_error_code;
  (void)user_data;
  if (s) {
    pending_remove(s); /* ngtcp2 resets it; nothing more is sent */
  }
  return 0;
}

static int cb_extend_max_stream_data(ngtcp2_conn *conn, int64_t stream_id,
                                     uint64_t max_data, void *user_data,
                                     void *stream_user_data) {
  tx_stream *s = stream_user_data;

  (void)conn;
  (void)stream_id;
  (void)max_data;
  if (s && s->blocked) {
    s->blocked = 0;
    if (s->sent < s->end || (s->fin && !s->fin_sent)) {
      pending_push(s);
    }
    mark_dirty(user_data);
  }
  return 0;
}

static int cb_recv_datagram(ngtcp2_conn *conn, uint32_t flags,
                            const uint8_t *data, size_t datalen,
                            void *user_data) {
  quic_conn *qc = user_data;

  (void)conn;
  (void)flags;
  if (qc->srv->rx_age_ns > DATAGRAM_MAX_RX_AGE_NS) {
    qc->srv->stats.datagrams_stale++;
    return 0;
  }
  vc_h3wt_on_datagram(qc->h3, data, datalen);
  mark_dirty(qc);
  return 0;
}

/* ---- TLS ----------------------------------------------------------------- */

/* Chromium's WebTransport asks for ALPN h3; nothing else is served. */
static int client_hello_hook(gnutls_session_t session, unsigned int htype,
                             unsigned when, unsigned int incoming,
                             const gnutls_datum_t *msg) {
  gnutls_datum_t alpn;

  (void)htype;
  (void)when;
  (void)incoming;
  (void)msg;
  if (gnutls_alpn_get_selected_protocol(session, &alpn) != 0 ||
      alpn.size != 2 || memcmp(alpn.data, "h3", 2) != 0) {
    return -1;
  }
  return 0;
}

static int tls_setup(quic_conn *qc) {
  gnutls_datum_t alpn = {(unsigned char *)"h3", 2};

  if (gnutls_init(&qc->tls, GNUTLS_SERVER | GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
    qc->tls = NULL;
    return -1;
  }
  if (gnutls_priority_set_direct(qc->tls, tls_priority, NULL) != 0 ||
      ngtcp2_crypto_gnutls_configure_server_session(qc->tls) != 0 ||
      gnutls_credentials_set(qc->tls, GNUTLS_CRD_CERTIFICATE, qc->srv->cred) !=
          0 ||
      gnutls_alpn_set_protocols(qc->tls, &alpn, 1, 0) != 0) {
    return -1;
  }
  gnutls_handshake_set_hook_function(qc->tls, GNUTLS_HANDSHAKE_CLIENT_HELLO,
                                     GNUTLS_HOOK_POST, client_hello_hook);
  qc->conn_ref.get_conn = get_conn;
  qc->conn_ref.user_data = qc;
  gnutls_session_set_ptr(qc->tls, &qc->conn_ref);
  ngtcp2_conn_set_tls_native_handle(qc->conn, qc->tls);
  return 0;
}

/* ---- connections --------------------------------------------------------- */

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void on_close_timer(struct ev_loop *loop, ev_timer *w, int revents);
static int close_flushed_sessions(quic_conn *qc, int force);
static void flush_dirty(vc_quic_server *srv);

static void peer_string(const struct sockaddr_storage *ss, char *out,
                        size_t outlen) {
  char host[INET6_ADDRSTRLEN] = "?";

  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    snprintf(out, outlen, "[%s]:%u", host, ntohs(a->sin6_port));
  } else {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    snprintf(out, outlen, "%s:%u", host, ntohs(a->sin_port));
  }
}

/* Adds |h|'s HTTP/3 counters to |sum|: a closed connection's go into the
 * server's totals, an open one's are added when stats are read. */
static void add_h3_stats(vc_h3wt_stats *sum, const vc_h3wt *h) {
  vc_h3wt_stats hs;

  vc_h3wt_get_stats(h, &hs);
  sum->sessions_accepted += hs.sessions_accepted;
  sum->sessions_refused += hs.sessions_refused;
  sum->streams_unknown += hs.streams_unknown;
  sum->early_dropped += hs.early_dropped;
  sum->datagrams_dropped += hs.datagrams_dropped;
  sum->datagrams_malformed += hs.datagrams_malformed;
}

static void conn_free(quic_conn *qc) {
  vc_quic_server *srv = qc->srv;

  while (qc->sessions) {
    session_end(qc, qc->sessions);
  }
  if (qc->h3) {
    add_h3_stats(&srv->stats.h3, qc->h3);
    vc_h3wt_del(qc->h3);
  }
  while (qc->streams) {
    stream_free(qc->streams);
  }
  while (qc->dg_head) {
    datagram *d = qc->dg_head;
    qc->dg_head = d->next;
    free(d);
  }
  ev_timer_stop(srv->loop, &qc->timer);
  ev_timer_stop(srv->loop, &qc->close_timer);
  cid_remove_conn(srv, qc);
  if (qc->conn) {
    ngtcp2_conn_del(qc->conn);
  }
  if (qc->tls) {
    gnutls_deinit(qc->tls);
  }
  if (qc->prev) {
    qc->prev->next = qc->next;
  } else {
    srv->conns = qc->next;
  }
  if (qc->next) {
    qc->next->prev = qc->prev;
  }
  srv->n_conns--;
  if (qc->dead) {
    srv->n_dead--;
  }
  if (qc->admitted) {
    vc_quic_admission_closed(srv->admission, &qc->addr_key, qc->handshake_done);
  }
  free(qc->close_pkt);
  free(qc);
}

static void reap(vc_quic_server *srv) {
  while (srv->dead) {
    quic_conn *qc = srv->dead;
    srv->dead = qc->next_dead;
    conn_free(qc);
  }
}

/* |odcid|: the connection id of the client's first Initial, from the
 * Retry token of this one (NULL: no Retry was sent). */
static quic_conn *conn_new(listener *lst, const struct sockaddr_storage *sa,
                           socklen_t salen, const ngtcp2_pkt_hd *hd,
                           const ngtcp2_cid *odcid) {
  vc_quic_server *srv = lst->srv;
  quic_conn *qc = calloc(1, sizeof(*qc));
  ngtcp2_callbacks cb;
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  ngtcp2_cid scid;
  ngtcp2_path path;
  vc_h3wt_callbacks h3cb;

  if (!qc) {
    return NULL;
  }
  qc->srv = srv;
  qc->lst = lst;
  qc->created_at = now_ts();
  /* rx_budget is zeroed: it starts full at its first take. */
  memcpy(&qc->remote, sa, salen);
  qc->remotelen = salen;
  peer_string(sa, qc->peer, sizeof(qc->peer));
  ev_timer_init(&qc->timer, on_conn_timer, 1., 0.);
  qc->timer.data = qc;
  ev_timer_init(&qc->close_timer, on_close_timer, 1., 0.);
  qc->close_timer.data = qc;
  qc->next = srv->conns;
  if (srv->conns) {
    srv->conns->prev = qc;
  }
  srv->conns = qc;
  srv->n_conns++;

  memset(&cb, 0, sizeof(cb));
  cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = cb_rand;
  cb.get_new_connection_id = cb_get_new_connection_id;
  cb.remove_connection_id = cb_remove_connection_id;
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
  settings.max_tx_udp_payload_size = MAX_UDP_PAYLOAD;
  settings.handshake_timeout = 10 * NGTCP2_SECONDS;
  /* BBR paces by the measured rate instead of waiting on a window that
   * grows once per round trip: a keyframe forwarded after quiet talk
   * goes out at once, not over several of the browser's delayed ACKs. */
  settings.cc_algo = NGTCP2_CC_ALGO_BBR;

  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = 1024 * 1024;
  params.initial_max_stream_data_bidi_remote = 1024 * 1024;
  params.initial_max_stream_data_uni = 1024 * 1024;
  params.initial_max_data = 8 * 1024 * 1024;
  params.initial_max_streams_bidi = INITIAL_MAX_STREAMS_BIDI;
  params.initial_max_streams_uni = INITIAL_MAX_STREAMS_UNI;
  /* Acknowledge within 5 ms (25 by default), so the browser's sender
   * learns quickly that the path is free. */
  params.max_ack_delay = 5 * NGTCP2_MILLISECONDS;
  params.max_idle_timeout =
      (ngtcp2_duration)(srv->cfg.idle_timeout_s * (double)NGTCP2_SECONDS);
  /* Without it Chromium opens the session but drops every datagram. */
  params.max_datagram_frame_size = 65535;
  params.original_dcid = hd->dcid;
  if (odcid) {
    /* RFC 9000 §7.3: after a Retry the client checks both ids. */
    params.original_dcid = *odcid;
    params.retry_scid = hd->dcid;
    params.retry_scid_present = 1;
    settings.token = hd->token;
  }

  scid.datalen = SCID_LEN;
  random_bytes(scid.data, SCID_LEN);
  if (ngtcp2_crypto_generate_stateless_reset_token(
          params.stateless_reset_token, srv->reset_secret,
          sizeof(srv->reset_secret), &scid) != 0) {
    goto fail;
  }
  params.stateless_reset_token_present = 1;

  path.local.addr = (ngtcp2_sockaddr *)&lst->addr;
  path.local.addrlen = lst->addrlen;
  path.remote.addr = (ngtcp2_sockaddr *)&qc->remote;
  path.remote.addrlen = qc->remotelen;
  path.user_data = NULL;
  if (ngtcp2_conn_server_new(&qc->conn, &hd->scid, &scid, &path, hd->version,
                             &cb, &settings, &params, NULL, qc) != 0) {
    qc->conn = NULL;
    goto fail;
  }
  if (tls_setup(qc) != 0) {
    goto fail;
  }
  memset(&h3cb, 0, sizeof(h3cb));
  h3cb.open_uni_stream = h3_open_uni_stream;
  h3cb.write_stream = h3_write_stream;
  h3cb.reset_stream = h3_reset_stream;
  h3cb.close_connection = h3_close_connection;
  h3cb.session_request = h3_session_request;
  h3cb.session_closed = h3_session_closed;
  h3cb.stream_data = h3_stream_data;
  h3cb.stream_reset = h3_stream_reset;
  h3cb.datagram = h3_datagram;
  h3cb.user_data = qc;
  if (vc_h3wt_new(&qc->h3, NULL, &h3cb) != 0) {
    qc->h3 = NULL;
    goto fail;
  }
  if (cid_add(srv, &scid, qc) != 0 || cid_add(srv, &hd->dcid, qc) != 0) {
    goto fail;
  }
  vc_log(VC_LOG_DEBUG, "quic %s: new connection", qc->peer);
  return qc;

fail:
  vc_log(VC_LOG_WARN, "quic %s: could not set up a connection", qc->peer);
  conn_free(qc);
  return NULL;
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  quic_conn *qc = w->data;
  vc_quic_server *srv = qc->srv;
  int rv;

  (void)loop;
  (void)revents;
  if (qc->closing || qc->draining || qc->dead) {
    return;
  }
  rv = ngtcp2_conn_handle_expiry(qc->conn, now_ts());
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
    mark_dead(qc, "idle");
  } else if (rv != 0) {
    conn_fail(qc, rv);
  } else {
    mark_dirty(qc);
  }
  flush_dirty(srv);
  reap(srv);
}

static int conn_has_open_session(const quic_conn *qc) {
  const vc_wt_session *s;

  for (s = qc->sessions; s; s = s->next) {
    if (!s->closing) {
      return 1;
    }
  }
  return 0;
}

static void on_close_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  quic_conn *qc = w->data;
  vc_quic_server *srv = qc->srv;

  (void)loop;
  (void)revents;
  if (close_flushed_sessions(qc, 1) > 0) {
    /* Waited long enough for the acknowledgements; the close capsule
     * now gets its own moment (the timer was set again). */
  } else if (qc->closing || qc->draining) {
    mark_dead(qc, "closed");
  } else if (!conn_has_open_session(qc)) {
    conn_close_app(qc, VC_H3_NO_ERROR); /* the session we closed is sent */
  }
  flush_dirty(srv);
  reap(srv);
}

/* Everything written on the bidirectional streams is acknowledged. */
static int conn_flushed(const quic_conn *qc) {
  const tx_stream *t;

  for (t = qc->streams; t; t = t->next) {
    if (ngtcp2_is_bidi_stream(t->id) && t->acked < t->end) {
      return 0;
    }
  }
  return 1;
}

/* Returns how many sessions it closed. */
static int close_flushed_sessions(quic_conn *qc, int force) {
  vc_wt_session *s;
  int n = 0;

  if (!force && !conn_flushed(qc)) {
    return 0;
  }
  for (s = qc->sessions; s; s = s->next) {
    if (s->close_when_flushed) {
      s->close_when_flushed = 0;
      vc_wt_session_close(s, s->close_code, s->close_reason);
      n++;
    }
  }
  return n;
}

/* Carries out what was queued: sessions the application closed are
 * reported, connections h3wt failed are closed, packets are written. */
static void flush_dirty(vc_quic_server *srv) {
  while (srv->dirty) {
    quic_conn *qc = srv->dirty;
    vc_wt_session *s, *next;

    srv->dirty = qc->next_dirty;
    qc->dirty = 0;
    if (qc->dead) {
      continue;
    }
    close_flushed_sessions(qc, 0);
    for (s = qc->sessions; s; s = next) {
      next = s->next;
      if (s->closing) {
        session_end(qc, s);
      }
    }
    if (qc->want_close) {
      qc->want_close = 0;
      conn_close_app(qc, qc->h3_error);
      continue;
    }
    conn_write(qc);
  }
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents) {
  vc_quic_server *srv = w->data;

  (void)loop;
  (void)revents;
  flush_dirty(srv);
  reap(srv);
}

/* ---- admission of new connections --------------------------------------- */

/* Too many handshakes at once, or a table half full: new clients prove
 * their address with a Retry round trip first (RFC 9000 §8.1), so
 * Initials from forged or silent sources cost no connection state. */
static int under_load(const vc_quic_server *srv) {
  return vc_quic_admission_handshakes(srv->admission) >=
             srv->cfg.retry_above_handshakes ||
         srv->n_conns - srv->n_dead >= srv->cfg.max_connections / 2;
}

/* Answers an Initial with a Retry holding a token that proves the
 * client's address (sealed with token_secret, so nothing is kept). */
static void send_retry(listener *lst, const struct sockaddr_storage *sa,
                       socklen_t salen, const ngtcp2_pkt_hd *hd,
                       ngtcp2_tstamp ts) {
  vc_quic_server *srv = lst->srv;
  uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN];
  uint8_t buf[MAX_UDP_PAYLOAD];
  ngtcp2_ssize tokenlen, n;
  ngtcp2_cid scid;

  scid.datalen = SCID_LEN;
  random_bytes(scid.data, SCID_LEN);
  tokenlen = ngtcp2_crypto_generate_retry_token(
      token, srv->token_secret, sizeof(srv->token_secret), hd->version,
      (const ngtcp2_sockaddr *)sa, salen, &scid, &hd->dcid, ts);
  if (tokenlen < 0) {
    return;
  }
  n = ngtcp2_crypto_write_retry(buf, sizeof(buf), hd->version, &hd->scid, &scid,
                                &hd->dcid, token, (size_t)tokenlen);
  if (n < 0 || sendto(lst->fd, buf, (size_t)n, MSG_DONTWAIT,
                      (const struct sockaddr *)sa, salen) != n) {
    return;
  }
  srv->stats.limits.retries_sent++;
  srv->stats.packets_out++;
  srv->stats.bytes_out += (size_t)n;
}

/* The table is near full: the oldest handshake older than
 * HANDSHAKE_EVICT_AFTER goes (silently: its client never finished).
 * Returns 1 when one went. */
static int evict_stale_handshake(vc_quic_server *srv, ngtcp2_tstamp ts) {
  quic_conn *qc, *oldest = NULL;

  for (qc = srv->conns; qc; qc = qc->next) {
    if (!qc->handshake_done && !qc->dead &&
        qc->created_at + HANDSHAKE_EVICT_AFTER <= ts &&
        (!oldest || qc->created_at < oldest->created_at)) {
      oldest = qc;
    }
  }
  if (!oldest) {
    return 0;
  }
  srv->stats.limits.handshakes_evicted++;
  mark_dead(oldest, "handshake evicted: the table is near full");
  return 1;
}

/* An Initial for no connection: the admission control judges its
 * source; refusals are silent (UDP) but counted. Returns the new
 * connection or NULL. */
static quic_conn *accept_initial(listener *lst,
                                 const struct sockaddr_storage *sa,
                                 socklen_t salen, const ngtcp2_pkt_hd *hd) {
  vc_quic_server *srv = lst->srv;
  ngtcp2_tstamp ts = now_ts();
  vc_quic_addr_key key;
  ngtcp2_cid odcid;
  vc_quic_admit verdict;
  int validated = 0;
  quic_conn *qc;

  if (hd->type == NGTCP2_PKT_INITIAL && hd->token.len > 0 &&
      hd->token.base[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
    if (ngtcp2_crypto_verify_retry_token(
            &odcid, hd->token.base, hd->token.len, srv->token_secret,
            sizeof(srv->token_secret), hd->version, (const ngtcp2_sockaddr *)sa,
            salen, &hd->dcid, RETRY_TOKEN_TIMEOUT, ts) != 0) {
      srv->stats.limits.retry_tokens_bad++;
      return NULL;
    }
    validated = 1;
  }
  vc_quic_addr_key_of(&key, (const struct sockaddr *)sa);
  verdict = vc_quic_admission_check(srv->admission, &key, ts);
  if (verdict != VC_QUIC_ADMIT) {
    srv->stats.limits.initials_refused++;
    srv->stats.limits.initials_rate_limited += verdict == VC_QUIC_REFUSE_RATE;
    return NULL;
  }
  if (!validated && under_load(srv)) {
    send_retry(lst, sa, salen, hd, ts);
    return NULL;
  }
  if (srv->n_conns - srv->n_dead >= srv->cfg.max_connections / 8 * 7) {
    evict_stale_handshake(srv, ts);
  }
  if (srv->n_conns - srv->n_dead >= srv->cfg.max_connections) {
    srv->stats.refused_too_many++;
    /* Once a second at most: a flood must not become a log flood. */
    if (ts >= srv->limit_logged_at + NGTCP2_SECONDS) {
      srv->limit_logged_at = ts;
      vc_log(VC_LOG_WARN, "quic: connection limit (%u) reached (%llu refused)",
             srv->cfg.max_connections,
             (unsigned long long)srv->stats.refused_too_many);
    }
    return NULL;
  }
  qc = conn_new(lst, sa, salen, hd, validated ? &odcid : NULL);
  if (qc) {
    qc->addr_key = key;
    qc->admitted = 1;
    vc_quic_admission_opened(srv->admission, &key);
  }
  return qc;
}

/* ---- reading packets ----------------------------------------------------- */

static void handle_packet(listener *lst, struct sockaddr_storage *sa,
                          socklen_t salen, const uint8_t *data, size_t len) {
  vc_quic_server *srv = lst->srv;
  ngtcp2_version_cid vcid;
  ngtcp2_path path;
  ngtcp2_pkt_info pi;
  quic_conn *qc;
  int rv;

  srv->stats.packets_in++;
  srv->stats.bytes_in += len;
  if (len == 0) {
    /* ngtcp2 0.12.1 asserts on an empty packet: never hand it one. */
    srv->stats.packets_dropped++;
    return;
  }
  rv = ngtcp2_pkt_decode_version_cid(&vcid, data, len, SCID_LEN);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    uint8_t buf[256];
    uint32_t sv = NGTCP2_PROTO_VER_V1;
    uint8_t r;
    ngtcp2_ssize n;
    random_bytes(&r, 1);
    n = ngtcp2_pkt_write_version_negotiation(buf, sizeof(buf), r, vcid.scid,
                                             vcid.scidlen, vcid.dcid,
                                             vcid.dcidlen, &sv, 1);
    if (n > 0) {
      sendto(lst->fd, buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)sa,
             salen);
    }
    return;
  }
  if (rv != 0) {
    srv->stats.packets_dropped++;
    return;
  }
  qc = cid_find(srv, vcid.dcid, vcid.dcidlen);
  if (!qc) {
    ngtcp2_pkt_hd hd;
    if (ngtcp2_accept(&hd, data, len) != 0) {
      srv->stats.packets_dropped++;
      return;
    }
    qc = accept_initial(lst, sa, salen, &hd);
    if (!qc) {
      return;
    }
  }
  if (qc->dead || qc->draining) {
    return;
  }
  /* One connection's share of the loop: past its budget its packets are
   * dropped before they are decrypted (the cheap point), as a congested
   * path would drop them; an honest sender's congestion control slows
   * down, a flooder's excess costs a table lookup. */
  if (!vc_token_bucket_take(&qc->rx_budget, &srv->cfg.conn_packets, 1,
                            now_ts())) {
    srv->stats.limits.packets_over_budget++;
    return;
  }
  if (qc->closing) {
    if (qc->close_pkt) {
      send_packet(qc, qc->close_pkt, qc->close_pkt_len);
    }
    return;
  }
  path.local.addr = (ngtcp2_sockaddr *)&lst->addr;
  path.local.addrlen = lst->addrlen;
  path.remote.addr = (ngtcp2_sockaddr *)sa; /* ngtcp2 copies it */
  path.remote.addrlen = salen;
  path.user_data = NULL;
  memset(&pi, 0, sizeof(pi));
  rv = ngtcp2_conn_read_pkt(qc->conn, &path, &pi, data, len, now_ts());
  if (rv == 0) {
    mark_dirty(qc);
    return;
  }
  if (rv == NGTCP2_ERR_DRAINING) {
    /* The client closed: stay silent for a moment, then go. */
    qc->draining = 1;
    ev_timer_stop(srv->loop, &qc->timer);
    ev_timer_set(&qc->close_timer, CLOSING_PERIOD_S, 0.);
    ev_timer_start(srv->loop, &qc->close_timer);
    return;
  }
  if (rv == NGTCP2_ERR_DROP_CONN || rv == NGTCP2_ERR_RETRY) {
    mark_dead(qc, ngtcp2_strerror(rv));
    return;
  }
  conn_fail(qc, rv);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents) {
  listener *lst = w->data;
  vc_quic_server *srv = lst->srv;
  size_t bytes = 0;
  int i;

  (void)loop;
  (void)revents;
  for (i = 0; i < READS_PER_WAKEUP && bytes < READ_BYTES_PER_WAKEUP; i++) {
    struct sockaddr_storage sa;
    union {
      char buf[CMSG_SPACE(sizeof(uint32_t)) +
               CMSG_SPACE(sizeof(struct timespec))];
      struct cmsghdr align;
    } control;
    struct iovec iov = {srv->rbuf, sizeof(srv->rbuf)};
    struct msghdr msg;
    struct cmsghdr *cm;
    ssize_t n;

    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &sa;
    msg.msg_namelen = sizeof(sa);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    n = recvmsg(lst->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      break;
    }
    srv->rx_age_ns = 0;
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
        memcpy(&lst->overflows, CMSG_DATA(cm), sizeof(lst->overflows));
      }
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec at, now;
        memcpy(&at, CMSG_DATA(cm), sizeof(at));
        clock_gettime(CLOCK_REALTIME, &now);
        srv->rx_age_ns = (int64_t)(now.tv_sec - at.tv_sec) * 1000000000LL +
                         (now.tv_nsec - at.tv_nsec);
      }
    }
    bytes += (size_t)n;
    handle_packet(lst, &sa, msg.msg_namelen, srv->rbuf, (size_t)n);
  }
  flush_dirty(srv);
  reap(srv);
}

/* ---- the server ---------------------------------------------------------- */

/* Asks for UDP_BUFFER_BYTES each way (past the kernel's cap when the
 * server may: SO_RCVBUFFORCE needs CAP_NET_ADMIN); says so when the
 * kernel gives much less (Linux reports double what it grants). */
static void size_udp_buffers(int fd, const char *addr) {
  int want = UDP_BUFFER_BYTES, got = 0;
  socklen_t len = sizeof(got);

  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
  }
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 &&
      got / 2 < UDP_BUFFER_WARN_BELOW) {
    vc_log(VC_LOG_WARN,
           "quic: %s: the kernel grants a %d KiB UDP receive buffer, not "
           "%d KiB: packets will be lost when the server is busy; raise "
           "net.core.rmem_max",
           addr, got / 2 / 1024, UDP_BUFFER_BYTES / 1024);
  }
}

static int bind_udp(listener *lst, const char *addr, uint16_t port) {
  struct sockaddr_in *a4 = (struct sockaddr_in *)&lst->addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&lst->addr;
  int one = 1, fd;

  memset(&lst->addr, 0, sizeof(lst->addr));
  if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    lst->addrlen = sizeof(*a4);
  } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    lst->addrlen = sizeof(*a6);
  } else {
    vc_log(VC_LOG_ERROR, "quic: '%s' is not a numeric address", addr);
    return -1;
  }
  fd =
      socket(lst->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    vc_log(VC_LOG_WARN, "quic: socket for %s: %s", addr, strerror(errno));
    return -1;
  }
  if (lst->addr.ss_family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  size_udp_buffers(fd, addr);
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
  /* Each packet's arrival time: how long it waited for us to read it. */
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&lst->addr, lst->addrlen) != 0 ||
      getsockname(fd, (struct sockaddr *)&lst->addr, &lst->addrlen) != 0) {
    vc_log(VC_LOG_WARN, "quic: bind %s port %u: %s", addr, port,
           strerror(errno));
    close(fd);
    return -1;
  }
  lst->fd = fd;
  return 0;
}

static uint16_t bound_port(const listener *lst) {
  if (lst->addr.ss_family == AF_INET6) {
    return ntohs(((const struct sockaddr_in6 *)&lst->addr)->sin6_port);
  }
  return ntohs(((const struct sockaddr_in *)&lst->addr)->sin_port);
}

int vc_quic_server_start(vc_quic_server **psrv, struct ev_loop *loop,
                         const vc_quic_server_config *cfg,
                         gnutls_certificate_credentials_t cred,
                         const vc_wt_app *app) {
  vc_quic_server *srv;
  uint16_t port;
  size_t i;

  if (!psrv || !loop || !cfg || !cred || !app || cfg->n_listen_addrs == 0 ||
      cfg->n_listen_addrs > MAX_LISTENERS || cfg->max_connections == 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  srv = calloc(1, sizeof(*srv));
  if (!srv) {
    return VC_ERR_NOMEM;
  }
  srv->loop = loop;
  srv->cfg = *cfg;
  srv->app = *app;
  srv->cred = cred;
  random_bytes(srv->reset_secret, sizeof(srv->reset_secret));
  random_bytes(srv->token_secret, sizeof(srv->token_secret));
  if (vc_quic_admission_new(&srv->admission, &cfg->admission) != 0) {
    free(srv);
    return VC_ERR_NOMEM;
  }
  port = cfg->port;
  for (i = 0; i < cfg->n_listen_addrs; i++) {
    listener *lst = &srv->listeners[srv->n_listeners];
    lst->srv = srv;
    if (bind_udp(lst, cfg->listen_addrs[i], port) != 0) {
      continue;
    }
    /* The first address picks a free port when asked for 0; the others
     * take the same one, so one port number reaches them all. */
    port = bound_port(lst);
    ev_io_init(&lst->io, on_readable, lst->fd, EV_READ);
    lst->io.data = lst;
    ev_io_start(loop, &lst->io);
    srv->n_listeners++;
  }
  if (srv->n_listeners == 0) {
    vc_log(VC_LOG_ERROR, "quic: no address could be bound");
    vc_quic_admission_del(srv->admission);
    free(srv);
    return VC_ERR_STATE;
  }
  srv->port = port;
  ev_prepare_init(&srv->prepare, on_prepare);
  srv->prepare.data = srv;
  ev_prepare_start(loop, &srv->prepare);
  *psrv = srv;
  return 0;
}

void vc_quic_server_set_credentials(vc_quic_server *srv,
                                    gnutls_certificate_credentials_t cred) {
  srv->cred = cred;
}

uint16_t vc_quic_server_port(const vc_quic_server *srv) {
  return srv->port;
}

void vc_quic_server_stop(vc_quic_server *srv) {
  quic_conn *qc;
  size_t i;

  if (!srv) {
    return;
  }
  flush_dirty(srv);
  for (qc = srv->conns; qc; qc = qc->next) {
    conn_close_app(qc, VC_H3_NO_ERROR);
    mark_dead(qc, "server stopping");
  }
  reap(srv);
  for (i = 0; i < srv->n_listeners; i++) {
    ev_io_stop(srv->loop, &srv->listeners[i].io);
    close(srv->listeners[i].fd);
  }
  ev_prepare_stop(srv->loop, &srv->prepare);
  vc_quic_admission_del(srv->admission);
  free(srv);
}

void vc_quic_server_get_stats(const vc_quic_server *srv,
                              vc_quic_server_stats *st) {
  const quic_conn *qc;
  size_t i;

  *st = srv->stats;
  st->connections = srv->n_conns;
  st->sessions = srv->n_sessions;
  for (i = 0; i < srv->n_listeners; i++) {
    st->udp_overflows += srv->listeners[i].overflows;
  }
  for (qc = srv->conns; qc; qc = qc->next) {
    if (!qc->h3) {
      continue;
    }
    add_h3_stats(&st->h3, qc->h3);
  }
  st->limits.datagrams_bad_header = st->h3.datagrams_malformed;
}

/* ---- sessions, for the application --------------------------------------- */

void vc_wt_session_set_user_data(vc_wt_session *s, void *user_data) {
  s->user_data = user_data;
}

void *vc_wt_session_get_user_data(const vc_wt_session *s) {
  return s->user_data;
}

const char *vc_wt_session_peer(const vc_wt_session *s) {
  return s->qc->peer;
}

int vc_wt_session_write(vc_wt_session *s, int64_t stream_id,
                        const uint8_t *data, size_t len, int fin) {
  quic_conn *qc = s->qc;
  tx_stream *ts;

  if (s->closing || qc->closing || qc->draining || qc->dead) {
    return VC_ERR_STATE;
  }
  ts = stream_get(qc, stream_id, 1);
  if (!ts) {
    return VC_ERR_STATE; /* no such stream (any more) */
  }
  if ((size_t)(ts->end - ts->acked) + len > qc->srv->cfg.max_stream_tx_bytes) {
    qc->srv->stats.stream_queue_full++;
    return VC_ERR_QUEUE_FULL;
  }
  return stream_append(ts, data, len, fin);
}

size_t vc_wt_session_queued(const vc_wt_session *s, int64_t stream_id) {
  tx_stream *ts;

  ts = stream_find(s->qc, stream_id);
  return ts ? (size_t)(ts->end - ts->acked) : 0;
}

int vc_wt_session_send_datagram(vc_wt_session *s, const uint8_t *data,
                                size_t len) {
  quic_conn *qc = s->qc;
  uint8_t hdr[8];
  size_t hlen;
  datagram *d;

  if (s->closing || qc->closing || qc->draining || qc->dead) {
    return VC_ERR_STATE;
  }
  hlen = vc_h3wt_datagram_header(hdr, s->id);
  if (hlen + len > 1200) {
    qc->srv->stats.datagrams_dropped++;
    return VC_ERR_TOO_BIG;
  }
  if (qc->n_datagrams >= qc->srv->cfg.max_datagrams_queued) {
    qc->srv->stats.datagrams_dropped++;
    return VC_ERR_QUEUE_FULL;
  }
  d = malloc(sizeof(*d) + hlen + len);
  if (!d) {
    return VC_ERR_NOMEM;
  }
  d->next = NULL;
  d->queued_at = now_ts();
  d->len = hlen + len;
  memcpy(d->data, hdr, hlen);
  memcpy(d->data + hlen, data, len);
  if (qc->dg_tail) {
    qc->dg_tail->next = d;
  } else {
    qc->dg_head = d;
  }
  qc->dg_tail = d;
  qc->n_datagrams++;
  mark_dirty(qc);
  return 0;
}

void vc_wt_session_close_after_flush(vc_wt_session *s, uint32_t code,
                                     const char *reason) {
  quic_conn *qc = s->qc;

  if (s->closing || s->close_when_flushed) {
    return;
  }
  s->close_when_flushed = 1;
  s->close_code = code;
  snprintf(s->close_reason, sizeof(s->close_reason), "%s",
           reason ? reason : "");
  ev_timer_stop(qc->srv->loop, &qc->close_timer);
  ev_timer_set(&qc->close_timer, VC_WT_FLUSH_TIMEOUT_S, 0.);
  ev_timer_start(qc->srv->loop, &qc->close_timer);
  mark_dirty(qc);
}

void vc_wt_session_close(vc_wt_session *s, uint32_t code, const char *reason) {
  quic_conn *qc = s->qc;

  if (s->closing) {
    return;
  }
  s->closing = 1;
  if (!qc->closing && !qc->draining && !qc->dead) {
    vc_h3wt_close_session(qc->h3, s->id, code, reason ? reason : "");
    /* The connection follows once the capsule had time to go. */
    ev_timer_stop(qc->srv->loop, &qc->close_timer);
    ev_timer_set(&qc->close_timer, CLOSE_AFTER_SESSION_S, 0.);
    ev_timer_start(qc->srv->loop, &qc->close_timer);
  }
  mark_dirty(qc);
}

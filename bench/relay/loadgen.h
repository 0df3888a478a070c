/*
 * loadgen.h: what the relay load generator's two transports share
 * (bench/relay/loadgen.c). One process, one thread, one epoll loop drives
 * N participants of one room, each a sender and a receiver; the
 * transport decides how a participant joins and how its packets are
 * framed: vc-server over WebSocket (vc_ws.c) or nats-server over its
 * text protocol (nats.c), carrying the same envelopes at the same rate.
 */
#ifndef VC_BENCH_RELAY_LOADGEN_H
#define VC_BENCH_RELAY_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include <vc/frame.h>
#include <vc/wire.h>

/* The largest message either server sends us: a Welcome with its roster. */
#define LG_IN_CAP (VC_ENVELOPE_MAX_LEN + 1024)
/* Our own queue per connection; a server that stops reading this much of
 * ours means the measurement is broken, not that we should buffer more. */
#define LG_OUT_CAP ((size_t)4 * 1024 * 1024)

typedef struct lg_conn {
  int fd;
  int index;         /* 0 .. rooms * n - 1 */
  char subject[112]; /* nats: its room's subject */
  uint32_t session;  /* vc: from the Welcome; nats: 1 once PONG came */
  uint8_t *in;       /* LG_IN_CAP bytes: a partial message waits here */
  size_t in_len;
  uint8_t *out; /* bytes the kernel did not take yet */
  size_t out_len, out_off, out_cap;
  int want_out; /* EPOLLOUT is armed */
  vc_frame_reader frames;
  uint8_t *frame_buf;
  uint64_t next_send_ns; /* the schedule, CLOCK_MONOTONIC */
  uint32_t seq;
  int keyframe_due;     /* vc: the room asked us for a keyframe */
  uint32_t kf_requests; /* how often */
} lg_conn;

/* Monotonic time in ns, the one clock for send and receive stamps. */
uint64_t lg_now_ns(void);

/* Queues |len| bytes of |a| then |b| on |c| and tries to send them now.
 * Returns 0, or -1 when the connection failed or our queue is full. */
int lg_write(lg_conn *c, const uint8_t *a, size_t alen, const uint8_t *b,
             size_t blen);

/* One envelope arrived on |c| at |now_ns|: media is counted and timed,
 * control goes to vc_ws_handle_control. */
void lg_on_envelope(lg_conn *c, const uint8_t *frame, size_t len,
                    uint64_t now_ns);

/* Opens a TCP connection to 127.0.0.1:|port| (blocking, TCP_NODELAY). */
int lg_tcp_connect(uint16_t port);

/* Set by a transport when a server refuses us (an Error, -ERR): the run
 * stops and says why instead of reporting figures. */
void lg_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- vc-server over WebSocket (vc_ws.c) ---- */

/* Upgrades |c| (already connected) and sends a Join to |meeting|. */
int vc_ws_start(lg_conn *c, const char *meeting, int index);
/* Parses what is in c->in (server messages, unmasked). */
int vc_ws_consume(lg_conn *c, uint64_t now_ns);
/* Asks for |kind| from every other participant (video and screen are
 * forwarded by subscription only). */
int vc_ws_subscribe(lg_conn *c, lg_conn *all, int n, uint32_t kind);
int vc_ws_heartbeat(lg_conn *c);
/* One envelope as one masked binary message. */
int vc_ws_send_frame(lg_conn *c, const uint8_t *frame, size_t len);
/* A control message from the room: the Welcome's session id, keyframe
 * requests (answered with the next packet), Error and Leave (which end
 * the run with the reason). */
void vc_ws_handle_control(lg_conn *c, const uint8_t *payload, size_t len);

/* ---- nats-server, text protocol (nats.c) ---- */

/* Reads INFO, sends CONNECT (no echo), SUB |subject| and a PING; the
 * PONG (c->session = 1) says the subscription is in place. */
int nats_start(lg_conn *c, const char *subject);
int nats_consume(lg_conn *c, uint64_t now_ns);
int nats_publish(lg_conn *c, const char *subject, const uint8_t *frame,
                 size_t len);

#endif /* VC_BENCH_RELAY_LOADGEN_H */

/*
 * room_congestion.c: congestion signals back to senders. A receiver whose
 * downlink is narrower than what it is sent shows up here as a transport
 * queue that grows: over one window (a heartbeat, 1 s) the bytes that
 * left the queue (taken in, less what the queue grew by) are what the
 * path carries, and the receiver is congested when its queue holds more
 * than QUEUE_DELAY_MS at that rate, or refused media (full). Each sender
 * whose video a congested receiver gets is told that rate, shared among
 * the video streams the receiver gets and less 15 % so the queue can
 * drain, in a ReceiverReport's estimated_bandwidth_kbps. The most
 * congested receiver sets the limit. Otherwise nothing is said: the
 * sender raises its rate slowly by itself (web/js/video/video-send.js)
 * until the next signal. A receiver of simulcast cameras is first moved
 * to a smaller layer (room_layers.c); senders are told to slow down only
 * for a receiver already on the smallest layers.
 */
#include "room_internal.h"

#define MS ((vc_tstamp)1000000)
#define MIN_WINDOW_MS 200
#define DRAIN_SHARE 0.85
#define MIN_KBPS 50
/* A queue this long (in time at its drain rate, and bytes) is congestion:
 * a keyframe's burst on a good path drains well within it. */
#define QUEUE_DELAY_MS 300
#define QUEUE_MIN_BYTES 16384
/* How much video a congested receiver's queue may hold, in time at its
 * measured rate (at least QUEUE_MIN_BYTES, so a small keyframe fits). */
#define QUEUE_BUDGET_MS 400

void vc__room_congestion_count(vc__room_session *receiver, size_t len,
                               int dropped) {
  if (dropped) {
    receiver->window_drops++;
  } else {
    receiver->window_bytes += len;
  }
}

/* A congested receiver's share (of |bps|) for one video stream, onto
 * each sender. */
static void limit_senders(vc_room *r, const vc__room_session *rx,
                          uint64_t bps) {
  uint64_t streams = 0;
  size_t i;

  for (i = 0; i < rx->n_subs; i++) {
    streams += vc__room_is_picture(rx->subs[i].kind);
  }
  if (streams == 0) {
    return;
  }
  bps /= streams;
  for (i = 0; i < rx->n_subs; i++) {
    vc__room_session *tx;
    if (!vc__room_is_picture(rx->subs[i].kind)) {
      continue;
    }
    tx = vc__room_find(r, rx->subs[i].session);
    if (tx && tx != rx && (tx->limit_bps == 0 || bps < tx->limit_bps)) {
      tx->limit_bps = bps ? bps : 1;
    }
  }
}

static void signal_sender(vc_room *r, vc__room_session *tx, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__ReceiverReport rr;
  uint64_t kbps = (uint64_t)((double)tx->limit_bps * DRAIN_SHARE / 1000.0);

  vc__wire__control__init(&ctl);
  vc__wire__receiver_report__init(&rr);
  rr.estimated_bandwidth_kbps = (uint32_t)(kbps < MIN_KBPS ? MIN_KBPS : kbps);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_RECEIVER_REPORT;
  ctl.receiver_report = &rr;
  if (vc__room_send(r, tx, &ctl, ts) == 0) {
    r->stats.congestion_signals++;
  }
}

/* What left |rx|'s queue in the window, in bits per second, when it is
 * congested; 0 when it is not. Starts its next window. */
static uint64_t congested_rate(vc_room *r, vc__room_session *rx,
                               vc_tstamp window, int measure) {
  size_t queued =
      rx->conn && r->cb.queued ? r->cb.queued(r->cb.user_data, rx->conn) : 0;
  uint64_t left = rx->window_bytes + rx->window_queued, bps;
  int congested;

  left = left > queued ? left - queued : 0;
  bps = left * 8 * (uint64_t)1000000000 / (window ? window : 1);
  congested = rx->window_drops > 0 ||
              (queued > QUEUE_MIN_BYTES &&
               (uint64_t)queued * 8 * 1000 > bps * QUEUE_DELAY_MS);
  rx->window_queued = queued;
  rx->window_bytes = 0;
  rx->window_drops = 0;
  rx->congested_bps = measure && rx->conn && congested ? (bps ? bps : 1) : 0;
  return rx->congested_bps;
}

int vc__room_congestion_over_budget(vc_room *r,
                                    const vc__room_session *receiver) {
  uint64_t budget;

  if (!receiver->congested_bps || !r->cb.queued || !receiver->conn) {
    return 0;
  }
  budget = receiver->congested_bps / 8 * QUEUE_BUDGET_MS / 1000;
  if (budget < QUEUE_MIN_BYTES) {
    budget = QUEUE_MIN_BYTES;
  }
  return r->cb.queued(r->cb.user_data, receiver->conn) > budget;
}

void vc__room_congestion_tick(vc_room *r, vc_tstamp ts) {
  vc_tstamp window = ts - r->congestion_window_at;
  int measure = r->congestion_window_at != 0 && window >= MIN_WINDOW_MS * MS;
  size_t i;

  for (i = 0; i < r->n_sessions; i++) {
    vc__room_session *rx = &r->sessions[i];
    uint64_t bps = congested_rate(r, rx, window, measure);
    if (bps) {
      /* A smaller simulcast layer for this receiver alone, if there is
       * one; otherwise every sender it gets slows down. */
      if (!vc__room_layers_step_down(r, rx, ts)) {
        limit_senders(r, rx, bps);
      }
    } else if (measure && rx->conn) {
      vc__room_layers_step_up(r, rx, ts);
    }
  }
  for (i = 0; i < r->n_sessions; i++) {
    vc__room_session *s = &r->sessions[i];
    if (s->limit_bps && s->conn) {
      signal_sender(r, s, ts);
    }
    s->limit_bps = 0;
  }
  r->congestion_window_at = ts;
}

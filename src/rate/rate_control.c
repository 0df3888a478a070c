/*
 * rate_control.c: vc/rate.h. Remembers sent packets in a ring indexed by
 * the unwrapped transport-wide sequence, matches the receiver's per-packet
 * reports against it, and on each report runs, in order: the delay
 * detector on every arrival, the receive-rate meter, the AIMD controller,
 * the loss window; then the target is the AIMD estimate under the loss
 * cap, and the simulcast layer set follows the target with hysteresis.
 */
#include "rate_internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PACKET_BYTES 65536
#define RATE_WINDOW_US 500000
#define RATE_MIN_SPAN_US 100000
#define ACK_RING 512
#define MAX_RTT_US 10000000
#define DEFAULT_RTT_US 100000
#define MAX_LOSS_REPORT 100000
#define FEEDBACK_TIMEOUT_NS ((vc_tstamp)1000000000)

typedef struct sent_packet {
  int64_t ext_seq; /* -1: empty */
  vc_tstamp send_ts;
  uint32_t size_bytes;
  int reported;
} sent_packet;

typedef struct ack {
  int64_t arrival_us;
  uint32_t size_bytes;
} ack;

struct vc_rate {
  vc_rate_settings s;
  sent_packet *history;
  size_t history_len;
  int64_t newest_ext; /* -1: nothing sent */
  vc_tstamp last_send_ts, last_feedback_ts;
  int has_feedback;
  /* Sending without hearing back: since when (reset by every report). */
  int waiting;
  vc_tstamp waiting_since;

  /* Receive-rate meter over the last RATE_WINDOW_US of arrivals. */
  ack acks[ACK_RING];
  size_t ack_pos, n_acks;
  int64_t newest_arrival_us;
  uint32_t receive_rate_bps;

  vc__delay_gradient dg;
  vc__aimd aimd;
  vc__loss_based loss;
  uint32_t rtt_us;
  uint32_t target_bps;

  vc__layers layers;

  uint64_t n_sent, n_acked, n_lost;
  uint64_t n_unknown_seq, n_duplicate, n_bad_input, n_feedback_timeouts;
};

static void retarget(vc_rate *rc, vc_tstamp ts);

void vc_rate_settings_default(vc_rate_settings *s) {
  memset(s, 0, sizeof(*s));
  s->min_bitrate_bps = 50000;
  s->max_bitrate_bps = 2500000;
  s->start_bitrate_bps = 800000;
  s->audio_min_bps = 16000;
  s->audio_max_bps = 64000;
  s->audio_enabled = 1;
  s->video_enabled = 1;
  s->n_layers = 3;
  s->layer_bps[0] = 150000;
  s->layer_bps[1] = 500000;
  s->layer_bps[2] = 1500000;
  s->layer_up_margin_pct = 10;
  s->layer_up_hold_ms = 1000;
  s->history_len = 4096;
}

static int settings_valid(const vc_rate_settings *s) {
  size_t i;

  if (s->min_bitrate_bps == 0 || s->min_bitrate_bps > s->max_bitrate_bps ||
      s->audio_min_bps > s->audio_max_bps || s->n_layers > VC_RATE_MAX_LAYERS ||
      s->layer_up_margin_pct > 1000 || (s->video_enabled && s->n_layers == 0)) {
    return 0;
  }
  for (i = 0; i < s->n_layers; i++) {
    if (s->layer_bps[i] == 0) {
      return 0;
    }
  }
  return 1;
}

void vc_rate_allocation(const vc_rate *rc, vc_rate_alloc *out) {
  vc__rate_fill_alloc(&rc->s, &rc->layers, rc->target_bps, out);
}

/* ---- lifetime ---- */

int vc_rate_new(vc_rate **prc, const vc_rate_settings *settings) {
  vc_rate_settings defaults;
  vc_rate *rc;
  size_t i;

  if (!prc) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  *prc = NULL;
  if (!settings) {
    vc_rate_settings_default(&defaults);
    settings = &defaults;
  }
  if (!settings_valid(settings)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  rc = calloc(1, sizeof(*rc));
  if (!rc) {
    goto fail_rc;
  }
  rc->s = *settings;
  rc->history_len = settings->history_len;
  if (rc->history_len < VC_RATE_MIN_HISTORY) {
    rc->history_len = VC_RATE_MIN_HISTORY;
  } else if (rc->history_len > VC_RATE_MAX_HISTORY) {
    rc->history_len = VC_RATE_MAX_HISTORY;
  }
  rc->history = calloc(rc->history_len, sizeof(*rc->history));
  if (!rc->history) {
    goto fail_history;
  }
  for (i = 0; i < rc->history_len; i++) {
    rc->history[i].ext_seq = -1;
  }
  rc->newest_ext = -1;
  rc->target_bps = settings->start_bitrate_bps;
  if (rc->target_bps < settings->min_bitrate_bps) {
    rc->target_bps = settings->min_bitrate_bps;
  } else if (rc->target_bps > settings->max_bitrate_bps) {
    rc->target_bps = settings->max_bitrate_bps;
  }
  rc->rtt_us = DEFAULT_RTT_US;
  vc__delay_gradient_init(&rc->dg);
  vc__aimd_init(&rc->aimd, rc->target_bps);
  vc__loss_based_init(&rc->loss, settings->max_bitrate_bps);
  vc__layers_init(&rc->layers, &rc->s, rc->target_bps);
  *prc = rc;
  return 0;

fail_history:
  free(rc);
fail_rc:
  return VC_ERR_NOMEM;
}

void vc_rate_del(vc_rate *rc) {
  if (!rc) {
    return;
  }
  free(rc->history);
  free(rc);
}

/* ---- inputs ---- */

/* Packets keep leaving and no report comes back: the reports, or the
 * path, are gone. Halve the target every (1 s + 2 RTT) of silence rather
 * than keep sending blind at a rate nothing confirms. */
static void check_feedback_timeout(vc_rate *rc, vc_tstamp ts) {
  vc_tstamp timeout = FEEDBACK_TIMEOUT_NS + (vc_tstamp)rc->rtt_us * 2000;

  if (!rc->waiting) {
    rc->waiting = 1;
    rc->waiting_since = ts;
    return;
  }
  if (ts - rc->waiting_since < timeout) {
    return;
  }
  rc->waiting_since = ts;
  rc->n_feedback_timeouts++;
  rc->aimd.estimate_bps /= 2;
  if (rc->aimd.estimate_bps < rc->s.min_bitrate_bps) {
    rc->aimd.estimate_bps = rc->s.min_bitrate_bps;
  }
  retarget(rc, ts);
}

int vc_rate_on_packet_sent(vc_rate *rc, uint16_t seq, size_t size_bytes,
                           vc_tstamp ts) {
  int64_t ext;
  int16_t delta;
  sent_packet *p;

  if (size_bytes == 0 || size_bytes > MAX_PACKET_BYTES ||
      (rc->newest_ext >= 0 && ts < rc->last_send_ts)) {
    rc->n_bad_input++;
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (rc->newest_ext < 0) {
    ext = seq;
  } else {
    delta = (int16_t)(uint16_t)(seq - (uint16_t)rc->newest_ext);
    if (delta <= 0) {
      rc->n_bad_input++; /* a sequence used twice, or going back */
      return VC_ERR_INVALID_ARGUMENT;
    }
    ext = rc->newest_ext + delta;
  }
  p = &rc->history[(size_t)(ext % (int64_t)rc->history_len)];
  p->ext_seq = ext;
  p->send_ts = ts;
  p->size_bytes = (uint32_t)size_bytes;
  p->reported = 0;
  rc->newest_ext = ext;
  rc->last_send_ts = ts;
  rc->n_sent++;
  check_feedback_timeout(rc, ts);
  return 0;
}

static sent_packet *find_sent(vc_rate *rc, uint16_t seq) {
  int16_t delta;
  int64_t ext;
  sent_packet *p;

  if (rc->newest_ext < 0) {
    return NULL;
  }
  delta = (int16_t)(uint16_t)(seq - (uint16_t)rc->newest_ext);
  ext = rc->newest_ext + delta;
  if (delta > 0 || ext < 0) {
    return NULL;
  }
  p = &rc->history[(size_t)(ext % (int64_t)rc->history_len)];
  return p->ext_seq == ext ? p : NULL;
}

static void meter_add(vc_rate *rc, int64_t arrival_us, uint32_t size_bytes) {
  int64_t jump = arrival_us - rc->newest_arrival_us;

  /* A clock jump either way makes every older arrival meaningless. */
  if (rc->n_acks > 0 && (jump > 3000000 || jump < -3000000)) {
    rc->n_acks = 0;
    rc->ack_pos = 0;
  }
  if (rc->n_acks == 0 || arrival_us > rc->newest_arrival_us) {
    rc->newest_arrival_us = arrival_us;
  }
  rc->acks[rc->ack_pos].arrival_us = arrival_us;
  rc->acks[rc->ack_pos].size_bytes = size_bytes;
  rc->ack_pos = (rc->ack_pos + 1) % ACK_RING;
  if (rc->n_acks < ACK_RING) {
    rc->n_acks++;
  }
}

/* Bytes that arrived in the last window, over the time they took (the
 * first arrival only opens the interval). 0 until the span is long enough
 * to mean something. */
static uint32_t meter_rate(const vc_rate *rc) {
  int64_t from = rc->newest_arrival_us - RATE_WINDOW_US;
  int64_t oldest = rc->newest_arrival_us;
  uint64_t bytes = 0, oldest_bytes = 0;
  size_t i;

  for (i = 0; i < rc->n_acks; i++) {
    const ack *a = &rc->acks[i];
    if (a->arrival_us < from) {
      continue;
    }
    bytes += a->size_bytes;
    if (a->arrival_us <= oldest) {
      oldest = a->arrival_us;
      oldest_bytes = a->size_bytes;
    }
  }
  if (rc->newest_arrival_us - oldest < RATE_MIN_SPAN_US) {
    return 0;
  }
  return (uint32_t)((bytes - oldest_bytes) * 8 * 1000000 /
                    (uint64_t)(rc->newest_arrival_us - oldest));
}

static void retarget(vc_rate *rc, vc_tstamp ts) {
  uint32_t t = (uint32_t)rc->aimd.estimate_bps;

  if (rc->loss.cap_bps < t) {
    t = rc->loss.cap_bps;
    /* The delay controller may not climb above the cap meanwhile: when
     * the cap lifts, the target grows from here, not jumps. */
    rc->aimd.estimate_bps = t;
  }
  if (t < rc->s.min_bitrate_bps) {
    t = rc->s.min_bitrate_bps;
  } else if (t > rc->s.max_bitrate_bps) {
    t = rc->s.max_bitrate_bps;
  }
  rc->target_bps = t;
  vc__layers_update(&rc->layers, &rc->s, t, ts);
}

int vc_rate_on_feedback(vc_rate *rc, const vc_rate_feedback *fb, size_t n,
                        vc_tstamp ts) {
  uint32_t n_received = 0, n_lost = 0;
  size_t i;
  int used = 0;

  if ((!fb && n > 0) || n > VC_RATE_MAX_FEEDBACK ||
      (rc->has_feedback && ts < rc->last_feedback_ts)) {
    rc->n_bad_input++;
    return VC_ERR_INVALID_ARGUMENT;
  }
  rc->last_feedback_ts = ts;
  rc->has_feedback = 1;
  rc->waiting = 0;
  for (i = 0; i < n; i++) {
    sent_packet *p = find_sent(rc, fb[i].seq);
    if (!p) {
      rc->n_unknown_seq++;
      continue;
    }
    if (p->reported) {
      rc->n_duplicate++;
      continue;
    }
    p->reported = 1;
    used++;
    if (!fb[i].received) {
      n_lost++;
      continue;
    }
    if (fb[i].arrival_us > (uint64_t)INT64_MAX / 2) {
      rc->n_bad_input++; /* cannot be a clock of this century in us */
      continue;
    }
    n_received++;
    vc__delay_gradient_add(&rc->dg, (int64_t)(p->send_ts / 1000),
                           (int64_t)fb[i].arrival_us);
    meter_add(rc, (int64_t)fb[i].arrival_us, p->size_bytes);
  }
  rc->n_acked += n_received;
  rc->n_lost += n_lost;
  if (n_received > 0) {
    rc->receive_rate_bps = meter_rate(rc);
    vc__aimd_update(&rc->aimd, rc->dg.usage, rc->receive_rate_bps, rc->rtt_us,
                    rc->s.min_bitrate_bps, rc->s.max_bitrate_bps, ts);
  }
  if (n_received + n_lost > 0) {
    vc__loss_based_update(&rc->loss, n_received, n_lost, rc->target_bps,
                          rc->rtt_us, rc->s.max_bitrate_bps, ts);
  }
  retarget(rc, ts);
  return used;
}

int vc_rate_on_rtt(vc_rate *rc, uint32_t rtt_us) {
  if (rtt_us == 0 || rtt_us > MAX_RTT_US) {
    rc->n_bad_input++;
    return VC_ERR_INVALID_ARGUMENT;
  }
  rc->rtt_us = rtt_us;
  return 0;
}

int vc_rate_on_loss_report(vc_rate *rc, uint32_t n_received, uint32_t n_lost,
                           vc_tstamp ts) {
  if ((n_received == 0 && n_lost == 0) || n_received > MAX_LOSS_REPORT ||
      n_lost > MAX_LOSS_REPORT ||
      (rc->has_feedback && ts < rc->last_feedback_ts)) {
    rc->n_bad_input++;
    return VC_ERR_INVALID_ARGUMENT;
  }
  rc->last_feedback_ts = ts;
  rc->has_feedback = 1;
  rc->waiting = 0;
  vc__loss_based_update(&rc->loss, n_received, n_lost, rc->target_bps,
                        rc->rtt_us, rc->s.max_bitrate_bps, ts);
  retarget(rc, ts);
  return 0;
}

/* ---- outputs ---- */

uint32_t vc_rate_target(const vc_rate *rc) {
  return rc->target_bps;
}

void vc_rate_get_stats(const vc_rate *rc, vc_rate_stats *out) {
  memset(out, 0, sizeof(*out));
  out->target_bps = rc->target_bps;
  out->delay_based_bps = (uint32_t)rc->aimd.estimate_bps;
  out->loss_cap_bps = rc->loss.cap_bps;
  out->receive_rate_bps = rc->receive_rate_bps;
  out->usage = rc->dg.usage;
  out->trend_ms = rc->dg.trend_ms;
  out->threshold_ms = rc->dg.threshold_ms;
  out->loss_permille = rc->loss.loss_permille;
  out->rtt_us = rc->rtt_us;
  out->n_sent = rc->n_sent;
  out->n_acked = rc->n_acked;
  out->n_lost = rc->n_lost;
  out->n_overuse = rc->dg.n_overuse;
  out->n_unknown_seq = rc->n_unknown_seq;
  out->n_duplicate = rc->n_duplicate;
  out->n_reordered = rc->dg.n_reordered;
  out->n_bad_input = rc->n_bad_input;
  out->n_feedback_timeouts = rc->n_feedback_timeouts;
  out->n_resets = rc->dg.n_resets;
}

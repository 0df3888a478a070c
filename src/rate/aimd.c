/*
 * aimd.c: the delay-based rate controller (draft-ietf-rmcat-gcc section
 * 5.5). States: overuse -> decrease, then hold; underuse -> hold (the
 * queue is draining: let it); normal -> increase.
 *
 * Decrease sets the estimate to 0.85 x the measured receive rate: what
 * the path delivered while its queue grew is what it can carry, and 15 %
 * under it drains the queue. The receive rate at each decrease feeds a
 * running mean and variance, the "congestion point". Increase is additive
 * (about one packet per response time, RTT + 100 ms) while the estimate
 * is within three standard deviations of that point, where the path is
 * known to be full; multiplicative (20 %/s) elsewhere, and the point is
 * forgotten once the estimate climbs past it, since the path has changed.
 * The estimate never runs ahead of 1.5 x the receive rate + 10 kbps: an
 * estimate the sender never tested is a guess.
 */
#include "rate_internal.h"

#include <string.h>

#define BETA 0.85
#define MULT_PER_S 0.20
#define ALPHA 0.05
#define VAR_MIN 0.4
#define VAR_MAX 2.5
#define MIN_ADD_BPS_PER_S 4000.0
#define FPS 30.0
#define PACKET_BITS (1200.0 * 8.0)

void vc__aimd_init(vc__aimd *a, uint32_t start_bps) {
  memset(a, 0, sizeof(*a));
  a->estimate_bps = start_bps;
  a->state = VC__AIMD_INCREASE;
}

static void track_congestion_point(vc__aimd *a, double rate_kbps) {
  double d, norm;

  if (a->has_avg_max) {
    d = a->avg_max_kbps - rate_kbps;
    /* Far under the old point: the path changed; start a new one. */
    if (d > 0 && d * d > 9.0 * a->var_max * a->avg_max_kbps) {
      a->has_avg_max = 0;
    }
  }
  if (!a->has_avg_max) {
    a->has_avg_max = 1;
    a->avg_max_kbps = rate_kbps;
    a->var_max = VAR_MIN;
    return;
  }
  a->avg_max_kbps = (1 - ALPHA) * a->avg_max_kbps + ALPHA * rate_kbps;
  norm = a->avg_max_kbps > 1.0 ? a->avg_max_kbps : 1.0;
  d = a->avg_max_kbps - rate_kbps;
  a->var_max = (1 - ALPHA) * a->var_max + ALPHA * d * d / norm;
  if (a->var_max < VAR_MIN) {
    a->var_max = VAR_MIN;
  } else if (a->var_max > VAR_MAX) {
    a->var_max = VAR_MAX;
  }
}

/* Additive step near the congestion point: one packet of a frame-sized
 * share of the rate per response time. */
static double near_max_bps_per_s(double estimate_bps, uint32_t rtt_us) {
  double frame_bits = estimate_bps / FPS;
  double packets = (double)(uint64_t)(frame_bits / PACKET_BITS) + 1.0;
  double response_s = 0.1 + (double)rtt_us / 1e6;
  double rate = frame_bits / packets / response_s;
  return rate > MIN_ADD_BPS_PER_S ? rate : MIN_ADD_BPS_PER_S;
}

static void increase(vc__aimd *a, uint32_t receive_rate_bps, uint32_t rtt_us,
                     double dt_s) {
  double est_kbps = a->estimate_bps / 1000.0, d;
  double limit = 1.5 * receive_rate_bps + 10000.0;

  if (a->has_avg_max) {
    d = est_kbps - a->avg_max_kbps;
    if (d > 0 && d * d > 9.0 * a->var_max * a->avg_max_kbps) {
      a->has_avg_max = 0;
    }
  }
  if (receive_rate_bps > 0 && a->estimate_bps >= limit) {
    return;
  }
  if (a->has_avg_max) {
    a->estimate_bps += near_max_bps_per_s(a->estimate_bps, rtt_us) * dt_s;
  } else {
    a->estimate_bps *= 1.0 + MULT_PER_S * dt_s;
    a->estimate_bps += 1000.0 * dt_s;
  }
  if (receive_rate_bps > 0 && a->estimate_bps > limit) {
    a->estimate_bps = limit;
  }
}

static void decrease(vc__aimd *a, uint32_t receive_rate_bps, uint32_t rtt_us,
                     vc_tstamp ts) {
  double next;

  if (receive_rate_bps == 0) {
    /* Nothing measured: back off from the estimate, once per RTT. */
    if (a->has_decrease &&
        ts - a->last_decrease < (vc_tstamp)rtt_us * 1000 + 100000000) {
      return;
    }
    next = BETA * a->estimate_bps;
  } else {
    next = BETA * receive_rate_bps;
    track_congestion_point(a, receive_rate_bps / 1000.0);
  }
  if (next < a->estimate_bps) {
    a->estimate_bps = next;
  }
  a->last_decrease = ts;
  a->has_decrease = 1;
}

void vc__aimd_update(vc__aimd *a, vc_rate_usage usage,
                     uint32_t receive_rate_bps, uint32_t rtt_us,
                     uint32_t min_bps, uint32_t max_bps, vc_tstamp ts) {
  double dt_s = a->has_update ? (double)(ts - a->last_update) / 1e9 : 0.0;

  if (dt_s > 1.0) {
    dt_s = 1.0;
  }
  a->last_update = ts;
  a->has_update = 1;

  switch (usage) {
  case VC_RATE_OVERUSE:
    a->state = VC__AIMD_DECREASE;
    break;
  case VC_RATE_UNDERUSE:
    a->state = VC__AIMD_HOLD;
    break;
  case VC_RATE_NORMAL:
  default:
    a->state =
        a->state == VC__AIMD_DECREASE ? VC__AIMD_HOLD : VC__AIMD_INCREASE;
    break;
  }
  if (a->state == VC__AIMD_INCREASE) {
    increase(a, receive_rate_bps, rtt_us, dt_s);
  } else if (a->state == VC__AIMD_DECREASE) {
    decrease(a, receive_rate_bps, rtt_us, ts);
  }
  if (a->estimate_bps < min_bps) {
    a->estimate_bps = min_bps;
  } else if (a->estimate_bps > max_bps) {
    a->estimate_bps = max_bps;
  }
}

/*
 * delay_gradient.c: the delay-based half of congestion detection
 * (draft-ietf-rmcat-gcc sections 5.2-5.4, with the trendline filter that
 * replaced the draft's Kalman filter in deployed GCC).
 *
 * Packets sent within 5 ms of a group's first packet form one group (a
 * video frame, roughly); a packet that arrives within 5 ms of the group
 * and sooner than its send spacing is part of a burst released at once
 * (a stalled link) and joins it too. For each pair of complete groups the
 * one-way delay variation is (arrival delta - send delta); its running
 * sum, smoothed, is fitted by least squares over the last 20 groups. The
 * slope, scaled by the number of deltas seen (up to 60) and a gain of 4,
 * is compared with an adaptive threshold: above it for over 10 ms and
 * still rising means the queue grows (overuse); below minus it, that the
 * queue drains (underuse). The threshold follows the trend slowly, so a
 * path whose delay always wobbles does not raise overuse all the time,
 * and quickly when the trend falls back under it.
 */
#include "rate_internal.h"

#include <string.h>

#define GROUP_US 5000
#define BURST_US 5000
#define JUMP_US 3000000 /* a clock jump: restart */
#define SMOOTHING 0.9
#define TREND_GAIN 4.0
#define MAX_DELTAS 60
#define THRESHOLD_START_MS 12.5
#define THRESHOLD_MIN_MS 6.0
#define THRESHOLD_MAX_MS 600.0
#define K_UP 0.0087
#define K_DOWN 0.039
#define OVERUSE_TIME_MS 10.0
#define MAX_STEP_MS 100.0

void vc__delay_gradient_init(vc__delay_gradient *g) {
  memset(g, 0, sizeof(*g));
  g->threshold_ms = THRESHOLD_START_MS;
  g->usage = VC_RATE_NORMAL;
}

/* Forget the groups and the trend but keep the counters and threshold:
 * used when the arrival clock jumps. */
static void restart(vc__delay_gradient *g) {
  uint64_t n_reordered = g->n_reordered, n_resets = g->n_resets + 1;
  uint64_t n_overuse = g->n_overuse;
  double threshold = g->threshold_ms;

  vc__delay_gradient_init(g);
  g->n_reordered = n_reordered;
  g->n_resets = n_resets;
  g->n_overuse = n_overuse;
  g->threshold_ms = threshold;
}

static double slope(const vc__delay_gradient *g) {
  double mx = 0, my = 0, num = 0, den = 0;
  size_t i;

  for (i = 0; i < g->n_pts; i++) {
    mx += g->xs[i];
    my += g->ys[i];
  }
  mx /= (double)g->n_pts;
  my /= (double)g->n_pts;
  for (i = 0; i < g->n_pts; i++) {
    num += (g->xs[i] - mx) * (g->ys[i] - my);
    den += (g->xs[i] - mx) * (g->xs[i] - mx);
  }
  return den > 0 ? num / den : 0.0;
}

static void adapt_threshold(vc__delay_gradient *g, double dt_ms) {
  double excess = (g->trend_ms < 0 ? -g->trend_ms : g->trend_ms);
  double k;

  /* A trend far beyond the threshold is a real event (a capacity drop),
   * not noise to get used to. */
  if (excess > g->threshold_ms + 15.0) {
    return;
  }
  k = excess < g->threshold_ms ? K_DOWN : K_UP;
  g->threshold_ms += k * (excess - g->threshold_ms) * dt_ms;
  if (g->threshold_ms < THRESHOLD_MIN_MS) {
    g->threshold_ms = THRESHOLD_MIN_MS;
  } else if (g->threshold_ms > THRESHOLD_MAX_MS) {
    g->threshold_ms = THRESHOLD_MAX_MS;
  }
}

static void detect(vc__delay_gradient *g, double dt_ms) {
  double m = g->trend_ms;

  if (m > g->threshold_ms) {
    g->overuse_ms += dt_ms;
    g->overuse_count++;
    if (g->overuse_ms > OVERUSE_TIME_MS && g->overuse_count > 1 &&
        m >= g->prev_trend_ms) {
      if (g->usage != VC_RATE_OVERUSE) {
        g->n_overuse++;
      }
      g->overuse_ms = 0;
      g->overuse_count = 0;
      g->usage = VC_RATE_OVERUSE;
    }
  } else if (m < -g->threshold_ms) {
    g->overuse_ms = 0;
    g->overuse_count = 0;
    g->usage = VC_RATE_UNDERUSE;
  } else {
    g->overuse_ms = 0;
    g->overuse_count = 0;
    g->usage = VC_RATE_NORMAL;
  }
  g->prev_trend_ms = m;
  adapt_threshold(g, dt_ms);
}

/* The group in progress is complete: compare it with the previous one. */
static void close_group(vc__delay_gradient *g) {
  int64_t send_delta, arrival_delta;
  double variation_ms, dt_ms;
  size_t n;

  if (!g->has_prev) {
    g->has_prev = 1;
    g->origin_arrival_us = g->grp_last_arrival_us;
    g->prev_last_send_us = g->grp_last_send_us;
    g->prev_last_arrival_us = g->grp_last_arrival_us;
    return;
  }
  send_delta = g->grp_last_send_us - g->prev_last_send_us;
  arrival_delta = g->grp_last_arrival_us - g->prev_last_arrival_us;
  g->prev_last_send_us = g->grp_last_send_us;
  g->prev_last_arrival_us = g->grp_last_arrival_us;

  variation_ms = (double)(arrival_delta - send_delta) / 1000.0;
  g->acc_delay_ms += variation_ms;
  g->smoothed_ms =
      SMOOTHING * g->smoothed_ms + (1.0 - SMOOTHING) * g->acc_delay_ms;
  if (g->n_deltas < 1000) {
    g->n_deltas++;
  }
  g->xs[g->pos] =
      (double)(g->grp_last_arrival_us - g->origin_arrival_us) / 1000.0;
  g->ys[g->pos] = g->smoothed_ms;
  g->pos = (g->pos + 1) % VC__TREND_WINDOW;
  if (g->n_pts < VC__TREND_WINDOW) {
    g->n_pts++;
  }
  if (g->n_pts == VC__TREND_WINDOW) {
    n = g->n_deltas < MAX_DELTAS ? g->n_deltas : MAX_DELTAS;
    g->trend_ms = slope(g) * (double)n * TREND_GAIN;
  }

  dt_ms = g->has_update
              ? (double)(g->grp_last_arrival_us - g->last_update_us) / 1000.0
              : 0.0;
  if (dt_ms < 0) {
    dt_ms = 0;
  } else if (dt_ms > MAX_STEP_MS) {
    dt_ms = MAX_STEP_MS;
  }
  g->last_update_us = g->grp_last_arrival_us;
  g->has_update = 1;
  detect(g, dt_ms);
}

static void start_group(vc__delay_gradient *g, int64_t send_us,
                        int64_t arrival_us) {
  g->has_group = 1;
  g->grp_first_send_us = send_us;
  g->grp_last_send_us = send_us;
  g->grp_last_arrival_us = arrival_us;
}

void vc__delay_gradient_add(vc__delay_gradient *g, int64_t send_us,
                            int64_t arrival_us) {
  int64_t d_send, d_arrival, jump;

  if (!g->has_group) {
    start_group(g, send_us, arrival_us);
    return;
  }
  d_send = send_us - g->grp_last_send_us;
  d_arrival = arrival_us - g->grp_last_arrival_us;
  jump = d_arrival - d_send;
  if (jump > JUMP_US || jump < -JUMP_US) {
    restart(g);
    start_group(g, send_us, arrival_us);
    return;
  }
  /* Sent before the group began, or arrived before the previous group
   * ended: reordered on the way. Its delay says nothing about the trend. */
  if (send_us < g->grp_first_send_us ||
      (g->has_prev && arrival_us < g->prev_last_arrival_us)) {
    g->n_reordered++;
    return;
  }
  if (send_us - g->grp_first_send_us <= GROUP_US ||
      (d_arrival < BURST_US && d_arrival - d_send < 0)) {
    if (send_us > g->grp_last_send_us) {
      g->grp_last_send_us = send_us;
    }
    if (arrival_us > g->grp_last_arrival_us) {
      g->grp_last_arrival_us = arrival_us;
    }
    return;
  }
  close_group(g);
  start_group(g, send_us, arrival_us);
}

/*
 * render_timing.c: when a complete frame is due for the decoder, and the
 * freeze counters of what was handed out.
 *
 * Why a percentile and not a Kalman filter: the buffer sees whole frames,
 * not packets, at 30 frames a second, and the delay it must absorb is the
 * tail of the transit variation (a late frame is a visible stutter, an
 * early one costs nothing). The 95th percentile of the last 128 frames
 * (about 4 s) follows a change of network within seconds, ignores the one
 * frame in twenty that is later still, and needs no model of frame size.
 *
 * Freezes follow webrtc-stats (freezeCount): a gap between two handed-out
 * frames longer than max(3 * average, average + 150 ms), where the average
 * is over the last 30 gaps that were not freezes themselves, so one long
 * freeze does not hide the next.
 */
#include "video_internal.h"

#include <string.h>

#define NS_PER_US ((int64_t)1000)
#define NS_PER_MS ((uint64_t)1000000)
#define BASE_WINDOW_US ((uint64_t)2000000)
#define FREEZE_MIN_GAPS 3

void vc__video_timing_init(vc__video_timing *t, uint32_t max_delay_ms) {
  memset(t, 0, sizeof(*t));
  t->max_us = max_delay_ms * 1000;
}

static uint32_t percentile95(const vc__video_timing *t) {
  int32_t v[VC__VIDEO_FDV_WINDOW];
  size_t i, j, n = t->n_fdv;

  /* Insertion sort: 128 values at most, once per complete frame. */
  for (i = 0; i < n; i++) {
    int32_t x = t->fdv_us[i];
    for (j = i; j > 0 && v[j - 1] > x; j--) {
      v[j] = v[j - 1];
    }
    v[j] = x;
  }
  if (n == 0) {
    return 0;
  }
  i = (n * 95) / 100;
  if (i >= n) {
    i = n - 1;
  }
  return v[i] < 0 ? 0 : (uint32_t)v[i];
}

static int64_t base_ns(const vc__video_timing *t) {
  return t->win_min_ns[0] < t->win_min_ns[1] ? t->win_min_ns[0]
                                             : t->win_min_ns[1];
}

void vc__video_timing_on_complete(vc__video_timing *t, uint64_t capture_us,
                                  vc_tstamp ts) {
  int64_t transit = (int64_t)ts - (int64_t)capture_us * NS_PER_US;
  int64_t fdv;
  uint32_t p95;

  if (!t->have_base) {
    t->have_base = 1;
    t->win_min_ns[0] = t->win_min_ns[1] = transit;
    t->win_start_us = capture_us;
  } else if (capture_us >= t->win_start_us + BASE_WINDOW_US) {
    t->win_min_ns[1] = t->win_min_ns[0];
    t->win_min_ns[0] = transit;
    t->win_start_us = capture_us;
  } else if (transit < t->win_min_ns[0]) {
    t->win_min_ns[0] = transit;
  }
  fdv = (transit - base_ns(t)) / NS_PER_US;
  if (fdv > INT32_MAX) {
    fdv = INT32_MAX;
  }
  t->fdv_us[t->fdv_pos] = (int32_t)fdv;
  t->fdv_pos = (t->fdv_pos + 1) % VC__VIDEO_FDV_WINDOW;
  if (t->n_fdv < VC__VIDEO_FDV_WINDOW) {
    t->n_fdv++;
  }
  p95 = percentile95(t);
  t->target_us = p95 > t->max_us ? t->max_us : p95;
}

vc_tstamp vc__video_timing_render_time(const vc__video_timing *t,
                                       uint64_t capture_us,
                                       vc_tstamp completed) {
  int64_t at = (int64_t)capture_us * NS_PER_US + base_ns(t) +
               (int64_t)t->target_us * NS_PER_US;
  vc_tstamp latest = completed + (uint64_t)t->max_us * NS_PER_US;

  /* A sender clock that jumps ahead must not hold frames for ever. */
  if (at < 0) {
    return 0;
  }
  return (vc_tstamp)at < latest ? (vc_tstamp)at : latest;
}

void vc__video_timing_on_output(vc__video_timing *t, vc_tstamp ts) {
  uint64_t gap, sum = 0, avg, limit;
  size_t i;

  if (!t->have_last_out) {
    t->have_last_out = 1;
    t->last_out_ts = ts;
    return;
  }
  gap = ts - t->last_out_ts;
  t->last_out_ts = ts;
  if (t->n_dur >= FREEZE_MIN_GAPS) {
    for (i = 0; i < t->n_dur; i++) {
      sum += t->dur_ns[i];
    }
    avg = sum / t->n_dur;
    limit = 3 * avg > avg + 150 * NS_PER_MS ? 3 * avg : avg + 150 * NS_PER_MS;
    if (gap > limit) {
      t->freeze_count++;
      t->freeze_ns += gap;
      return;
    }
  }
  t->dur_ns[t->dur_pos] = gap;
  t->dur_pos = (t->dur_pos + 1) % VC__VIDEO_FRAME_DURATIONS;
  if (t->n_dur < VC__VIDEO_FRAME_DURATIONS) {
    t->n_dur++;
  }
}

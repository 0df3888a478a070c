/*
 * cpu_adaptation.c: steps the sender's resolution and frame rate down
 * when the machine cannot encode in time, and back up when it can
 * (include/vc/rate.h; WebRTC's OveruseFrameDetector and its
 * "maintain-framerate" degradation, in part).
 *
 * Why wall-clock encode time: the encoders run on threads that compete
 * with everything else on the machine, so the time from a frame handed in
 * to its chunks out grows with the load whatever its cause (our decoders,
 * another tab, a build). Past about 85 % of the frame interval the next
 * frame waits, and the waiting shows as delay everywhere downstream.
 *
 * The levels trade resolution first (a 720p camera to 480p, then 360p),
 * frame rate last: motion matters more in a call than detail.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/rate.h>

#define MS 1000000ull

/* Per level: scale of each layer's size (percent) and frame rate cap. */
static const struct {
  uint32_t scale_pct, max_fps;
} levels[VC_CPU_MAX_LEVEL + 1] = {{100, 30}, {67, 30}, {50, 30}, {50, 15}};

/* The wait before a step up grows to at most this many times its base. */
#define MAX_WAIT_FACTOR 8

struct vc_cpu_adaptation {
  vc_cpu_adaptation_settings s;
  vc_tstamp window_start; /* 0: no frame yet */
  vc_tstamp last_ts;
  uint64_t encode_us;   /* in this window */
  uint64_t late_us;     /* in this window */
  uint32_t n_frames;    /* in this window */
  uint32_t n_dropped;   /* in this window */
  uint32_t overuse_run; /* checks over the high mark in a row */
  uint32_t wait_factor; /* 1 .. MAX_WAIT_FACTOR */
  vc_tstamp last_down, last_up;
  vc_cpu_adaptation_target t;
};

void vc_cpu_adaptation_settings_default(vc_cpu_adaptation_settings *s) {
  s->high_usage_pct = 85;
  s->low_usage_pct = 42;
  s->dropped_pct = 15;
  s->lag_pct = 10;
  s->check_interval_ms = 2000;
  s->overuse_checks = 2;
  s->up_wait_ms = 10000;
}

int vc_cpu_adaptation_new(vc_cpu_adaptation **pca,
                          const vc_cpu_adaptation_settings *s) {
  vc_cpu_adaptation_settings d;
  vc_cpu_adaptation *ca;

  if (!s) {
    vc_cpu_adaptation_settings_default(&d);
    s = &d;
  }
  if (s->low_usage_pct >= s->high_usage_pct || s->high_usage_pct > 1000 ||
      s->check_interval_ms == 0 || s->overuse_checks == 0 ||
      s->dropped_pct > 100 || s->lag_pct == 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  ca = calloc(1, sizeof(*ca));
  if (!ca)
    return VC_ERR_NOMEM;
  ca->s = *s;
  ca->wait_factor = 1;
  ca->t.scale_pct = levels[0].scale_pct;
  ca->t.max_fps = levels[0].max_fps;
  *pca = ca;
  return 0;
}

void vc_cpu_adaptation_del(vc_cpu_adaptation *ca) {
  free(ca);
}

static void set_level(vc_cpu_adaptation *ca, uint32_t level) {
  ca->t.level = level;
  ca->t.scale_pct = levels[level].scale_pct;
  ca->t.max_fps = levels[level].max_fps;
}

static int step_down(vc_cpu_adaptation *ca, vc_tstamp ts) {
  uint64_t wait = (uint64_t)ca->s.up_wait_ms * MS * ca->wait_factor;

  if (ca->t.level == VC_CPU_MAX_LEVEL)
    return 0;
  /* Down again soon after going up: that level was too much after all. */
  if (ca->last_up && ts - ca->last_up < 2 * wait &&
      ca->wait_factor < MAX_WAIT_FACTOR) {
    ca->wait_factor *= 2;
  }
  set_level(ca, ca->t.level + 1);
  ca->t.n_down++;
  ca->last_down = ts;
  return 1;
}

static int step_up(vc_cpu_adaptation *ca, vc_tstamp ts) {
  uint64_t wait = (uint64_t)ca->s.up_wait_ms * MS * ca->wait_factor;

  if (ca->t.level == 0 || ts - ca->last_down < wait)
    return 0;
  set_level(ca, ca->t.level - 1);
  ca->t.n_up++;
  ca->last_up = ts;
  return 1;
}

/* The check at the end of a window: usage, then at most one step. */
static int check(vc_cpu_adaptation *ca, vc_tstamp ts) {
  uint64_t span_us = (ts - ca->window_start) / 1000;
  uint32_t seen = ca->n_frames + ca->n_dropped;
  int dropping;
  uint64_t usage, lag;

  usage = span_us ? ca->encode_us * 100 / span_us : 0;
  ca->t.usage_pct = usage > 1000 ? 1000 : (uint32_t)usage;
  lag = span_us ? ca->late_us * 100 / span_us : 0;
  ca->t.lag_pct = lag > 1000 ? 1000 : (uint32_t)lag;
  dropping = seen > 0 && ca->n_dropped * 100 > ca->s.dropped_pct * seen;
  ca->window_start = ts;
  ca->encode_us = 0;
  ca->late_us = 0;
  ca->n_frames = 0;
  ca->n_dropped = 0;
  if (dropping || ca->t.usage_pct > ca->s.high_usage_pct ||
      ca->t.lag_pct > ca->s.lag_pct) {
    ca->overuse_run++;
    if (dropping || ca->overuse_run >= ca->s.overuse_checks) {
      ca->overuse_run = 0;
      return step_down(ca, ts);
    }
    return 0;
  }
  ca->overuse_run = 0;
  if (ca->t.usage_pct < ca->s.low_usage_pct &&
      ca->t.lag_pct <= ca->s.lag_pct / 2) {
    return step_up(ca, ts);
  }
  return 0;
}

static int account(vc_cpu_adaptation *ca, vc_tstamp ts) {
  if (ts < ca->last_ts)
    return VC_ERR_INVALID_ARGUMENT;
  ca->last_ts = ts;
  if (!ca->window_start) {
    ca->window_start = ts ? ts : 1;
    return 0;
  }
  if (ts - ca->window_start < (uint64_t)ca->s.check_interval_ms * MS) {
    return 0;
  }
  return check(ca, ts);
}

int vc_cpu_adaptation_on_frame(vc_cpu_adaptation *ca, uint32_t encode_us,
                               vc_tstamp ts) {
  if (ts < ca->last_ts)
    return VC_ERR_INVALID_ARGUMENT;
  ca->encode_us += encode_us;
  ca->n_frames++;
  return account(ca, ts);
}

int vc_cpu_adaptation_on_dropped(vc_cpu_adaptation *ca, vc_tstamp ts) {
  if (ts < ca->last_ts)
    return VC_ERR_INVALID_ARGUMENT;
  ca->n_dropped++;
  return account(ca, ts);
}

int vc_cpu_adaptation_on_lag(vc_cpu_adaptation *ca, uint32_t late_us,
                             vc_tstamp ts) {
  if (ts < ca->last_ts)
    return VC_ERR_INVALID_ARGUMENT;
  ca->late_us += late_us;
  return account(ca, ts);
}

void vc_cpu_adaptation_get_target(const vc_cpu_adaptation *ca,
                                  vc_cpu_adaptation_target *out) {
  *out = ca->t;
}

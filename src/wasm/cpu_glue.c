/*
 * cpu_glue.c: vc_cpu_adaptation (include/vc/rate.h) shaped for
 * JavaScript. The engine Worker feeds it the encoder's time per frame and
 * the frames dropped before the encoder, and reads the level the camera
 * should be sent at. Times are milliseconds (performance.now()) as
 * doubles, like the meeting's.
 */
#include <vc/rate.h>

#include "glue.h"

/* Exported (src/wasm/exports.txt); declared here for -Wmissing-prototypes. */
vc_cpu_adaptation *vcw_cpu_new(void);
void vcw_cpu_del(vc_cpu_adaptation *ca);
int vcw_cpu_on_frame(vc_cpu_adaptation *ca, double encode_ms, double ts_ms);
int vcw_cpu_on_dropped(vc_cpu_adaptation *ca, double ts_ms);
int vcw_cpu_on_lag(vc_cpu_adaptation *ca, double late_ms, double ts_ms);
void vcw_cpu_target(vc_cpu_adaptation *ca, double *out);

vc_cpu_adaptation *vcw_cpu_new(void) {
  vc_cpu_adaptation *ca = NULL;

  return vc_cpu_adaptation_new(&ca, NULL) == 0 ? ca : NULL;
}

void vcw_cpu_del(vc_cpu_adaptation *ca) {
  vc_cpu_adaptation_del(ca);
}

/* A duration from JavaScript in microseconds: a negative or absurd one
 * counts as 0 or a minute. */
static uint32_t clamped_us(double ms) {
  double us = ms * 1000.0;

  if (!(us > 0))
    return 0;
  return us > 60e6 ? 60000000u : (uint32_t)us;
}

/* 1 when the level changed. */
int vcw_cpu_on_frame(vc_cpu_adaptation *ca, double encode_ms, double ts_ms) {
  return vc_cpu_adaptation_on_frame(ca, clamped_us(encode_ms),
                                    vcw__to_ts(ts_ms));
}

int vcw_cpu_on_dropped(vc_cpu_adaptation *ca, double ts_ms) {
  return vc_cpu_adaptation_on_dropped(ca, vcw__to_ts(ts_ms));
}

/* The engine ran |late_ms| late (the loudspeaker's silence). */
int vcw_cpu_on_lag(vc_cpu_adaptation *ca, double late_ms, double ts_ms) {
  return vc_cpu_adaptation_on_lag(ca, clamped_us(late_ms), vcw__to_ts(ts_ms));
}

/* |out|: 7 doubles: level, scale_pct, max_fps, usage_pct, n_down, n_up,
 * lag_pct. */
void vcw_cpu_target(vc_cpu_adaptation *ca, double *out) {
  vc_cpu_adaptation_target t;

  vc_cpu_adaptation_get_target(ca, &t);
  out[0] = t.level;
  out[1] = t.scale_pct;
  out[2] = t.max_fps;
  out[3] = t.usage_pct;
  out[4] = (double)t.n_down;
  out[5] = (double)t.n_up;
  out[6] = t.lag_pct;
}

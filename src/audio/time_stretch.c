/*
 * time_stretch.c: changing the length of speech without changing its pitch
 * (NetEQ's Accelerate and PreemptiveExpand, a WSOLA-style method). The
 * pitch period is found by normalised autocorrelation, first on a 4:1
 * decimated copy (cheap), then refined at full rate; one period is removed
 * by cross-fading period one into period two, or added by repeating a
 * period with a cross-fade at each seam. Only periodic (voiced) or quiet
 * segments are stretched: there a period is inaudible.
 */
#include <math.h>
#include <string.h>

#include "audio_internal.h"

#define DECIMATE 4
/* Mean square below which a segment counts as quiet (about -50 dBFS). */
#define QUIET_ENERGY 10.0

static double correlation(const int16_t *a, const int16_t *b, size_t n,
                          size_t step) {
  double ab = 0, aa = 0, bb = 0;
  size_t i;
  for (i = 0; i < n; i += step) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  if (aa <= 0 || bb <= 0) {
    return 0;
  }
  return ab / sqrt(aa * bb);
}

size_t vc__pitch_period(const int16_t *x, size_t n, double *corr, int *quiet) {
  double best = -2, energy = 0;
  size_t t, best_t = VC__PITCH_MIN, lo, hi;
  size_t window = n < 2 * VC__PITCH_MAX ? n : 2 * VC__PITCH_MAX;

  for (t = 0; t < window; t++) {
    energy += (double)x[t] * x[t];
  }
  *quiet = window == 0 || energy / (double)window < QUIET_ENERGY;
  /* Coarse: every 4th lag and sample. */
  for (t = VC__PITCH_MIN; t <= VC__PITCH_MAX && 2 * t <= n; t += DECIMATE) {
    double c = correlation(x, x + t, t, DECIMATE);
    if (c > best) {
      best = c;
      best_t = t;
    }
  }
  /* Fine: every lag around the coarse peak, every sample. */
  lo = best_t > VC__PITCH_MIN + DECIMATE ? best_t - DECIMATE : VC__PITCH_MIN;
  hi = best_t + DECIMATE < VC__PITCH_MAX ? best_t + DECIMATE : VC__PITCH_MAX;
  best = -2;
  for (t = lo; t <= hi && 2 * t <= n; t++) {
    double c = correlation(x, x + t, t, 1);
    if (c > best) {
      best = c;
      best_t = t;
    }
  }
  *corr = best;
  return best_t;
}

/* out[i] = a[i] fading out + b[i] fading in, over |t| samples. */
static void cross_fade(int16_t *out, const int16_t *a, const int16_t *b,
                       size_t t) {
  size_t i;
  for (i = 0; i < t; i++) {
    double w = (double)(i + 1) / (double)(t + 1);
    out[i] = (int16_t)lrint((1.0 - w) * a[i] + w * b[i]);
  }
}

size_t vc__stretch_remove(int16_t *x, uint64_t *ts, vc_tstamp *arrival,
                          size_t n, size_t t) {
  /* [p1 p2 rest] -> [fade(p1 -> p2) rest] */
  cross_fade(x, x, x + t, t);
  memmove(x + t, x + 2 * t, (n - 2 * t) * sizeof(*x));
  memmove(ts + t, ts + 2 * t, (n - 2 * t) * sizeof(*ts));
  memmove(arrival + t, arrival + 2 * t, (n - 2 * t) * sizeof(*arrival));
  return n - t;
}

size_t vc__stretch_insert(int16_t *x, uint64_t *ts, vc_tstamp *arrival,
                          size_t n, size_t t) {
  /* [p1 p2 rest] -> [p1 fade(p2 -> p1) p2 rest]: p2 follows p1 and p1
   * follows p2 smoothly because consecutive periods look alike. */
  memmove(x + 2 * t, x + t, (n - t) * sizeof(*x));
  memmove(ts + 2 * t, ts + t, (n - t) * sizeof(*ts));
  memmove(arrival + 2 * t, arrival + t, (n - t) * sizeof(*arrival));
  cross_fade(x + t, x + 2 * t, x, t);
  memcpy(ts + t, ts, t * sizeof(*ts));
  memcpy(arrival + t, arrival, t * sizeof(*arrival));
  return n + t;
}

/*
 * audio_quality.c: see audio_quality.h. A Hann-windowed 512-point FFT of
 * each 10 ms block; the distance is the RMS difference of the two
 * log-power spectra over 100 Hz - 8 kHz (the test speech is 16 kHz
 * sampled), with each spectrum floored 60 dB below its peak so that
 * near-empty bins do not dominate.
 */
#include "audio_quality.h"

#include <math.h>
#include <string.h>

#define VC_PI 3.14159265358979323846
#define FFT_N 512
#define BIN_LO 2               /* ~94 Hz */
#define BIN_HI 85              /* ~8 kHz */
#define QUIET_MS_ENERGY 1000.0 /* mean square, about -45 dBFS */

static double tw_re[FFT_N / 2], tw_im[FFT_N / 2];
static int twiddles_ready;

static void fft(double *re, double *im) {
  size_t i, j = 0, len;
  for (i = 1; i < FFT_N; i++) {
    size_t bit = FFT_N >> 1;
    for (; j & bit; bit >>= 1) {
      j ^= bit;
    }
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  if (!twiddles_ready) {
    for (i = 0; i < FFT_N / 2; i++) {
      tw_re[i] = cos(-2.0 * VC_PI * (double)i / FFT_N);
      tw_im[i] = sin(-2.0 * VC_PI * (double)i / FFT_N);
    }
    twiddles_ready = 1;
  }
  for (len = 2; len <= FFT_N; len <<= 1) {
    for (i = 0; i < FFT_N; i += len) {
      size_t k;
      for (k = 0; k < len / 2; k++) {
        double wr = tw_re[k * (FFT_N / len)], wi = tw_im[k * (FFT_N / len)];
        double ur = re[i + k], ui = im[i + k];
        double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k] = ur + vr;
        im[i + k] = ui + vi;
        re[i + k + len / 2] = ur - vr;
        im[i + k + len / 2] = ui - vi;
      }
    }
  }
}

/* Log-power spectrum (dB) of one block, floored 60 dB below its peak. */
static void log_spectrum(const int16_t *x, double *db) {
  double re[FFT_N], im[FFT_N], peak = -1e9;
  size_t i;
  memset(re, 0, sizeof(re));
  memset(im, 0, sizeof(im));
  for (i = 0; i < QUALITY_BLOCK; i++) {
    double w = 0.5 - 0.5 * cos(2.0 * VC_PI * (double)i / QUALITY_BLOCK);
    re[i] = w * x[i];
  }
  fft(re, im);
  for (i = BIN_LO; i <= BIN_HI; i++) {
    db[i] = 10.0 * log10(re[i] * re[i] + im[i] * im[i] + 1e-9);
    if (db[i] > peak) {
      peak = db[i];
    }
  }
  for (i = BIN_LO; i <= BIN_HI; i++) {
    if (db[i] < peak - 60.0) {
      db[i] = peak - 60.0;
    }
  }
}

static double energy(const int16_t *x) {
  double e = 0;
  size_t i;
  for (i = 0; i < QUALITY_BLOCK; i++) {
    e += (double)x[i] * x[i];
  }
  return e / QUALITY_BLOCK;
}

double quality_lsd_db(const int16_t *ref, size_t ref_n, int64_t pos,
                      const int16_t *out, int search, int step) {
  double out_db[BIN_HI + 1], ref_db[BIN_HI + 1], best = -1;
  int d;

  if (pos < 0 || (size_t)pos + QUALITY_BLOCK > ref_n ||
      energy(ref + pos) < QUIET_MS_ENERGY) {
    return -1;
  }
  log_spectrum(out, out_db);
  for (d = -search; d <= search; d += step) {
    int64_t p = pos + d;
    double sum = 0, dist;
    size_t i;
    if (p < 0 || (size_t)p + QUALITY_BLOCK > ref_n) {
      continue;
    }
    log_spectrum(ref + p, ref_db);
    for (i = BIN_LO; i <= BIN_HI; i++) {
      double diff = out_db[i] - ref_db[i];
      sum += diff * diff;
    }
    dist = sqrt(sum / (double)(BIN_HI - BIN_LO + 1));
    if (best < 0 || dist < best) {
      best = dist;
    }
  }
  return best;
}

/*
 * audio_jitter_bench.c: our jitter buffer (src/audio) against a fixed
 * 80 ms buffer (fixed_jitter.c) on the same packets over the same
 * impaired path (tests/netem), per profile: added delay (mean, p95),
 * concealed share, time-stretch rates, and a quality figure (log-spectral
 * distance to the clean decode, lower is better). 60 s of the test speech
 * (assets/audio/speech.wav, looped), Opus packets (20 ms, or 10 ms with -f)
 * with FEC and DTX.
 *
 *   audio_jitter_bench [-s seconds] [-S seed] [-n seeds] [-p profile]
 *                      [-f 10|20] [-r dir] [-t trace] [-q] [-c] speech.wav
 *   audio_jitter_bench -P seconds speech.wav   (pipeline timing only)
 *
 * -r writes each profile's packet fates to dir/<profile>.trace; -t replays
 * such a trace instead of the profiles; -q skips the (slow) quality figure.
 * -f sets the Opus frame: 20 ms (the native default) or 10 ms (what the
 * browser sends, docs/AUDIO.md).
 * -n runs seeds S .. S+n-1 of every profile and prints their means: one
 * seed is one 60 s draw of the path, and the fixed buffer's delay alone
 * moves 30 ms with where its first packet fell.
 * -c checks issue 5's acceptance on simulated time (deterministic, so
 * ctest runs it): on a clean link at most 40 ms added; on every profile
 * less delay than the fixed buffer at no more concealment (docs/AUDIO.md
 * gives the tolerance). With -n the rule holds for the means, and the
 * seeds that miss it alone are listed.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vc/audio.h>

#include "audio_quality.h"
#include "fixed_jitter.h"
#include "netem.h"
#include "wav.h"

#define SAMPLES_PER_MS 48
#define MS ((uint64_t)1000000)

typedef struct packet {
  uint64_t timestamp;
  size_t len;
  int sent; /* DTX runs send their first packet only */
  uint8_t data[VC_AUDIO_MAX_PACKET_LEN];
} packet;

typedef struct arrival {
  uint64_t at_ns;
  size_t idx;
} arrival;

typedef struct figures {
  double mean_delay_ms, p95_delay_ms, concealed_pct, accel_pct, decel_pct;
  double lsd_db;
} figures;

static int skip_quality;
static int frame_ms = 20; /* -f */
static int check_failures;

static packet *packets;
static size_t n_packets;
static int16_t *reference; /* clean decode, indexed by timestamp */
static size_t reference_n;

/* Encodes |pcm| looped to |seconds| into packets, and decodes them all in
 * order into the reference. */
static int encode_all(const int16_t *pcm, size_t n, int rate, int seconds) {
  vc_audio_encoder_settings es;
  vc_audio_encoder *enc;
  vc_audio_decoder *dec;
  size_t frame, k, pos = 0, frame_ts = (size_t)frame_ms * SAMPLES_PER_MS;
  int16_t *in;
  int prev_dtx = 0;

  vc_audio_encoder_settings_default(&es);
  es.sample_rate_hz = rate;
  es.frame_ms = frame_ms;
  if (vc_audio_encoder_new(&enc, &es) != 0 || vc_audio_decoder_new(&dec)) {
    return -1;
  }
  frame = vc_audio_encoder_frame_samples(enc);
  n_packets = (size_t)seconds * 1000 / (size_t)frame_ms;
  packets = calloc(n_packets, sizeof(*packets));
  reference_n = n_packets * frame_ts;
  reference = calloc(reference_n, sizeof(*reference));
  in = calloc(frame, sizeof(*in));
  for (k = 0; k < n_packets; k++) {
    size_t i;
    vc_ssize len;
    for (i = 0; i < frame; i++) {
      in[i] = pcm[pos];
      pos = (pos + 1) % n;
    }
    len = vc_audio_encode(enc, in, packets[k].data, VC_AUDIO_MAX_PACKET_LEN);
    if (len < 0) {
      return -1;
    }
    packets[k].len = (size_t)len;
    packets[k].timestamp = k * frame_ts;
    packets[k].sent = !(vc_audio_packet_is_dtx((size_t)len) && prev_dtx);
    prev_dtx = vc_audio_packet_is_dtx((size_t)len);
    if (packets[k].sent) {
      vc_audio_decode(dec, packets[k].data, packets[k].len, 0,
                      reference + k * frame_ts, frame_ts, frame_ts);
    } else {
      vc_audio_decode(dec, NULL, 0, 0, reference + k * frame_ts, frame_ts,
                      frame_ts);
    }
  }
  free(in);
  vc_audio_encoder_del(enc);
  vc_audio_decoder_del(dec);
  return 0;
}

static int by_arrival(const void *a, const void *b) {
  const arrival *x = a, *y = b;
  if (x->at_ns != y->at_ns) {
    return x->at_ns < y->at_ns ? -1 : 1;
  }
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sends every packet through |path|; returns the arrivals in order. */
static arrival *transmit(netem *path, double drift_ppm, size_t *n_arrivals,
                         FILE *record) {
  arrival *a = calloc(n_packets, sizeof(*a));
  size_t k, n = 0;
  for (k = 0; k < n_packets; k++) {
    /* A fast sender clock makes its frames shorter in real time. */
    uint64_t send =
        100 * MS + (uint64_t)((double)(k * (uint64_t)frame_ms * MS) /
                              (1.0 + drift_ppm * 1e-6));
    uint64_t at = 0;
    int delivered;
    if (!packets[k].sent) {
      continue;
    }
    /* 40 bytes of IP/UDP/QUIC headers around the Opus packet. */
    delivered = netem_send(path, send, packets[k].len + 40, &at);
    if (record) {
      netem_record(record, delivered, send, at);
    }
    if (delivered) {
      a[n].at_ns = at;
      a[n].idx = k;
      n++;
    }
  }
  qsort(a, n, sizeof(*a), by_arrival);
  *n_arrivals = n;
  return a;
}

/* Plays the arrivals through ours (|fixed| NULL) or the baseline. */
static void play(const arrival *a, size_t n, int seconds, fixed_jitter *fixed,
                 figures *fig) {
  vc_jitter_settings js;
  vc_jitter *jb = NULL;
  size_t next = 0, n_pulls = (size_t)seconds * 100 - 50, m;
  double *delays = calloc(n_pulls, sizeof(*delays));
  double lsd_sum = 0, prev_delay = 0;
  size_t n_delays = 0, n_lsd = 0;
  uint64_t prev_emitted = 0, output = 0;
  int16_t out[VC_AUDIO_PULL_SAMPLES];

  if (!fixed) {
    vc_jitter_settings_default(&js);
    vc_jitter_new(&jb, &js);
  }
  for (m = 0; m < n_pulls; m++) {
    uint64_t now = 100 * MS + m * 10 * MS, ts;
    double delay_s;
    uint64_t emitted;
    int started;
    while (next < n && a[next].at_ns <= now) {
      const packet *p = &packets[a[next].idx];
      if (fixed) {
        fixed_jitter_insert(fixed, p->timestamp, p->data, p->len,
                            a[next].at_ns);
      } else {
        vc_jitter_insert(jb, p->timestamp, p->data, p->len, a[next].at_ns);
      }
      next++;
    }
    if (fixed) {
      fixed_jitter_stats st;
      ts = fixed_jitter_playout_timestamp(fixed);
      fixed_jitter_pull(fixed, out, now);
      fixed_jitter_get_stats(fixed, &st);
      delay_s = st.delay_s;
      emitted = st.emitted;
      started = st.output > 0;
    } else {
      vc_jitter_stats st;
      vc_jitter_get_stats(jb, &st);
      started = st.packets_received > 0;
      ts = vc_jitter_playout_timestamp(jb);
      vc_jitter_pull(jb, out, now);
      vc_jitter_get_stats(jb, &st);
      delay_s = st.jitter_buffer_delay_s;
      emitted = st.jitter_buffer_emitted_count;
    }
    if (!started) {
      continue;
    }
    output += VC_AUDIO_PULL_SAMPLES;
    if (emitted > prev_emitted) {
      delays[n_delays++] =
          (delay_s - prev_delay) / (double)(emitted - prev_emitted) * 1e3;
    }
    prev_emitted = emitted;
    prev_delay = delay_s;
    if (!skip_quality) {
      double d = quality_lsd_db(reference, reference_n, (int64_t)ts, out,
                                QUALITY_BLOCK, 48);
      if (d >= 0) {
        lsd_sum += d;
        n_lsd++;
      }
    }
  }
  memset(fig, 0, sizeof(*fig));
  if (n_delays) {
    double sum = 0;
    for (m = 0; m < n_delays; m++) {
      sum += delays[m];
    }
    fig->mean_delay_ms = sum / (double)n_delays;
    qsort(delays, n_delays, sizeof(*delays), by_value);
    fig->p95_delay_ms = delays[(size_t)((double)n_delays * 0.95)];
  }
  fig->lsd_db = n_lsd ? lsd_sum / (double)n_lsd : 0;
  if (fixed) {
    fixed_jitter_stats st;
    fixed_jitter_get_stats(fixed, &st);
    fig->concealed_pct = 100.0 * (double)st.concealed / (double)output;
  } else {
    vc_jitter_stats st;
    vc_jitter_get_stats(jb, &st);
    fig->concealed_pct = 100.0 * (double)st.concealed_samples / (double)output;
    fig->accel_pct =
        100.0 * (double)st.removed_samples_for_acceleration / (double)output;
    fig->decel_pct =
        100.0 * (double)st.inserted_samples_for_deceleration / (double)output;
  }
  free(delays);
  vc_jitter_del(jb);
}

/* Issue 5's "done when", per profile: the same rule for every one. The
 * slack (5 % and 0.05 points) is for rounding between two codecs' worth
 * of arrivals, not for any profile's sake. */
static int check_acceptance(const char *name, const figures *ours,
                            const figures *base, const char *what) {
  int failures = 0;
  if (strcmp(name, "clean") == 0 && ours->mean_delay_ms > 40.0) {
    printf("%s %s: %.1f ms added on a clean link (at most 40)\n", what, name,
           ours->mean_delay_ms);
    failures++;
  }
  if (ours->mean_delay_ms >= base->mean_delay_ms) {
    printf("%s %s: delay %.1f ms, not below the fixed buffer's %.1f\n", what,
           name, ours->mean_delay_ms, base->mean_delay_ms);
    failures++;
  }
  if (ours->concealed_pct > base->concealed_pct * 1.05 + 0.05) {
    printf("%s %s: concealed %.2f %%, the fixed buffer %.2f %%\n", what, name,
           ours->concealed_pct, base->concealed_pct);
    failures++;
  }
  return failures;
}

static void print_row(const char *name, const figures *ours,
                      const figures *base) {
  printf("%-10s | %5.1f %5.1f %5.2f %4.1f %4.1f %5.2f | %5.1f %5.1f %5.2f "
         "%5.2f | %.2fx\n",
         name, ours->mean_delay_ms, ours->p95_delay_ms, ours->concealed_pct,
         ours->accel_pct, ours->decel_pct, ours->lsd_db, base->mean_delay_ms,
         base->p95_delay_ms, base->concealed_pct, base->lsd_db,
         ours->mean_delay_ms / base->mean_delay_ms);
}

/* |sum| += |f| / |n|, figure by figure. */
static void add_mean(figures *sum, const figures *f, int n) {
  sum->mean_delay_ms += f->mean_delay_ms / n;
  sum->p95_delay_ms += f->p95_delay_ms / n;
  sum->concealed_pct += f->concealed_pct / n;
  sum->accel_pct += f->accel_pct / n;
  sum->decel_pct += f->decel_pct / n;
  sum->lsd_db += f->lsd_db / n;
}

/* One draw of profile |p| (or |trace|) played by both buffers. */
static void run_profile(const netem_profile *p, const char *trace,
                        uint64_t seed, int seconds, const char *record_dir,
                        figures *ours, figures *base) {
  netem path;
  arrival *a;
  size_t n;
  fixed_jitter *fixed = fixed_jitter_new(80);
  FILE *rec = NULL;

  netem_init(&path, p, seed);
  if (trace && netem_load_trace(&path, trace) != 0) {
    perror(trace);
    exit(2);
  }
  if (record_dir) {
    char name[512];
    snprintf(name, sizeof(name), "%s/%s.trace", record_dir, p->name);
    rec = fopen(name, "w");
  }
  a = transmit(&path, trace ? 0.0 : p->drift_ppm, &n, rec);
  if (rec) {
    fclose(rec);
  }
  play(a, n, seconds, NULL, ours);
  play(a, n, seconds, fixed, base);
  free(a);
  fixed_jitter_del(fixed);
  netem_free(&path);
}

/* Profile |p| over |n_seeds| seeds from |seed|: one row of means, and
 * with |check| the acceptance on them. */
static void run_seeds(const netem_profile *p, uint64_t seed, int n_seeds,
                      int seconds, const char *record_dir, int check) {
  figures ours, base, sum_ours, sum_base;
  int k, missed = 0;

  memset(&sum_ours, 0, sizeof(sum_ours));
  memset(&sum_base, 0, sizeof(sum_base));
  for (k = 0; k < n_seeds; k++) {
    char what[32];
    /* -r records the first seed's path. */
    run_profile(p, NULL, seed + (uint64_t)k, seconds, k ? NULL : record_dir,
                &ours, &base);
    add_mean(&sum_ours, &ours, n_seeds);
    add_mean(&sum_base, &base, n_seeds);
    if (n_seeds > 1) {
      snprintf(what, sizeof(what),
               "seed %llu:", (unsigned long long)(seed + (uint64_t)k));
      missed += check_acceptance(p->name, &ours, &base, what) > 0;
    }
  }
  print_row(p->name, &sum_ours, &sum_base);
  if (n_seeds > 1) {
    printf("%-10s   %d of %d seeds alone meet the rule\n", "", n_seeds - missed,
           n_seeds);
  }
  if (check) {
    check_failures += check_acceptance(p->name, &sum_ours, &sum_base, "FAIL");
  }
}

/* Encode + jitter buffer + decode of |seconds| of audio, timed. */
static void time_pipeline(const int16_t *pcm, size_t n, int rate, int seconds) {
  struct timespec t0, t1;
  double ns;
  size_t k, m = 0;
  vc_jitter_settings js;
  vc_jitter *jb;
  int16_t out[VC_AUDIO_PULL_SAMPLES];

  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (encode_all(pcm, n, rate, seconds) != 0) {
    exit(2);
  }
  vc_jitter_settings_default(&js);
  vc_jitter_new(&jb, &js);
  for (k = 0; k < n_packets; k++) {
    uint64_t now = k * 20 * MS;
    if (packets[k].sent) {
      vc_jitter_insert(jb, packets[k].timestamp, packets[k].data,
                       packets[k].len, now + 1);
    }
    vc_jitter_pull(jb, out, now + 2);
    vc_jitter_pull(jb, out, now + 10 * MS);
    m += out[0] != 0;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ns =
      (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
  printf("audio pipeline %zu frames ns_per_frame %.0f nonzero %zu\n", n_packets,
         ns / (double)n_packets, m);
  vc_jitter_del(jb);
}

int main(int argc, char **argv) {
  int seconds = 60, opt, rate, pipeline = 0, check = 0, n_seeds = 1;
  uint64_t seed = 1;
  const char *only = NULL, *record_dir = NULL, *trace = NULL;
  int16_t *pcm;
  size_t n, i, n_profiles;
  const netem_profile *all;

  while ((opt = getopt(argc, argv, "s:S:n:f:p:r:t:P:qc")) != -1) {
    switch (opt) {
    case 'q':
      skip_quality = 1;
      break;
    case 'c':
      check = 1;
      break;
    case 's':
      seconds = atoi(optarg);
      break;
    case 'S':
      seed = strtoull(optarg, NULL, 10);
      break;
    case 'n':
      n_seeds = atoi(optarg);
      break;
    case 'f':
      frame_ms = atoi(optarg);
      break;
    case 'p':
      only = optarg;
      break;
    case 'r':
      record_dir = optarg;
      break;
    case 't':
      trace = optarg;
      break;
    case 'P':
      pipeline = 1;
      seconds = atoi(optarg);
      break;
    default:
      fprintf(stderr, "usage: see the top of audio_jitter_bench.c\n");
      return 2;
    }
  }
  if ((frame_ms != 10 && frame_ms != 20) || (pipeline && frame_ms != 20)) {
    fprintf(stderr, "audio_jitter_bench: -f takes 10 or 20, and not with -P\n");
    return 2;
  }
  if (optind >= argc || seconds <= 0 || n_seeds <= 0 ||
      wav_read_mono16(argv[optind], &pcm, &n, &rate) != 0) {
    fprintf(stderr, "audio_jitter_bench: need a speech.wav\n");
    return 2;
  }
  if (pipeline) {
    time_pipeline(pcm, n, rate, seconds);
    return 0;
  }
  if (encode_all(pcm, n, rate, seconds) != 0) {
    fprintf(stderr, "audio_jitter_bench: encoding failed\n");
    return 2;
  }
  if (n_seeds > 1) {
    printf("%d s of speech, %d ms Opus packets (FEC, DTX), means of seeds "
           "%llu..%llu\n",
           seconds, frame_ms, (unsigned long long)seed,
           (unsigned long long)(seed + (uint64_t)n_seeds - 1));
  } else {
    printf("%d s of speech, %d ms Opus packets (FEC, DTX), seed %llu\n",
           seconds, frame_ms, (unsigned long long)seed);
  }
  printf("%-10s | %-33s | %-23s | delay\n", "", "ours (adaptive)",
         "fixed 80 ms");
  printf("%-10s | %5s %5s %5s %4s %4s %5s | %5s %5s %5s %5s | ratio\n",
         "profile", "mean", "p95", "conc%", "acc%", "dec%", "LSD", "mean",
         "p95", "conc%", "LSD");
  all = netem_profiles(&n_profiles);
  for (i = 0; i < n_profiles; i++) {
    if (trace) {
      figures ours, base;
      run_profile(&all[0], trace, seed, seconds, NULL, &ours, &base);
      print_row("trace", &ours, &base);
      if (check) {
        check_failures += check_acceptance("trace", &ours, &base, "FAIL");
      }
      break;
    }
    if (!only || strcmp(only, all[i].name) == 0) {
      run_seeds(&all[i], seed, n_seeds, seconds, record_dir, check);
    }
  }
  free(pcm);
  free(packets);
  free(reference);
  return check_failures ? 1 : 0;
}

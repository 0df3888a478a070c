/*
 * jitter_buffer.c: vc_jitter of audio.h, NetEQ's structure in small: the
 * packet buffer holds what arrived, the delay manager sets the target, the
 * decision logic picks an operation each time the sync buffer (decoded
 * samples not yet played) runs short of a pull, and the operation decodes,
 * conceals or stretches into it. Every sample in the sync buffer carries
 * the sender timestamp it stands for and the arrival time of its packet,
 * for the playout timestamp and jitterBufferDelay.
 */
#include <stdlib.h>
#include <string.h>

#include "audio_internal.h"

/* Room for the longest packet, a stretch and a pull's remainder. */
#define SYNC_CAP (2 * VC_AUDIO_MAX_PACKET_SAMPLES + 2 * VC_AUDIO_PULL_SAMPLES)
/* A timestamp this far from the playout point means the sender restarted
 * its clock: start over rather than conceal or wait. */
#define RESYNC_SAMPLES ((uint64_t)5 * VC_AUDIO_SAMPLE_RATE_HZ)
/* Gaps longer than this are a pause, not a loss: jump, do not conceal. */
#define MAX_CONCEAL_GAP ((uint64_t)VC_AUDIO_MAX_PACKET_SAMPLES)
/* Opus concealment fades to silence; after this long it is silent. */
#define SILENT_AFTER_SAMPLES ((uint64_t)300 * VC__SAMPLES_PER_MS)
/* Smoothing of the buffer level per decision (about 1 s at 20 ms). */
#define LEVEL_FILTER 0.95
/* Periodicity a stretch needs: removing speech must be inaudible; adding
 * some is safer than running dry (an underrun means concealment). While
 * the buffer drains in a stall or after one, the alternative is
 * concealment or seconds of extra delay, so both take NetEQ's fast-mode
 * threshold. */
#define CORR_ACCELERATE 0.9
#define CORR_PREEMPTIVE 0.7
#define CORR_STALL 0.5

struct vc_jitter {
  vc_jitter_settings s;
  vc__packet_buffer pb;
  vc__delay_manager dm;
  vc_audio_decoder *dec;
  int16_t sync[SYNC_CAP];
  uint64_t sync_ts[SYNC_CAP];
  vc_tstamp sync_arrival[SYNC_CAP]; /* 0: concealment */
  size_t sync_r, sync_w;
  int16_t decoded[VC_AUDIO_MAX_PACKET_SAMPLES];
  int started;
  uint64_t playout_ts;   /* timestamp of the next sample to decode */
  double filtered_level; /* buffered audio when packets arrive, samples */
  vc_tstamp last_pull;
  int expanding;
  uint64_t expand_run;   /* samples concealed in the current event */
  uint64_t wait_samples; /* of them, concealed in place (waiting) */
  int in_dtx;
  uint32_t packet_samples;
  uint64_t next_expected; /* timestamp after the newest packet seen */
  int newest_was_dtx;     /* a gap after it is silence, not loss */
  vc_tstamp last_arrival; /* of the newest packet held */
  int starving;           /* this decision: packets are overdue */
  int draining;           /* since a wait: accelerating to the target */
  vc_jitter_stats st;
};

void vc_jitter_settings_default(vc_jitter_settings *s) {
  s->max_packets = 100;
  s->min_delay_ms = 0;
  s->max_delay_ms = 1000;
  s->delay_quantile = 0.95;
  s->time_stretch = 1;
}

int vc_jitter_new(vc_jitter **pj, const vc_jitter_settings *s) {
  vc_jitter *j;
  int rv;

  *pj = NULL;
  if (s->max_packets < 2 || s->max_packets > 10000 ||
      s->max_delay_ms < s->min_delay_ms || s->max_delay_ms > 10000 ||
      !(s->delay_quantile > 0.5 && s->delay_quantile < 1.0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  j = calloc(1, sizeof(*j));
  if (!j) {
    return VC_ERR_NOMEM;
  }
  j->s = *s;
  rv = vc__packet_buffer_init(&j->pb, s->max_packets);
  if (rv != 0) {
    goto fail_pb;
  }
  rv = vc_audio_decoder_new(&j->dec);
  if (rv != 0) {
    goto fail_dec;
  }
  vc__delay_manager_init(&j->dm, s->delay_quantile, s->min_delay_ms,
                         s->max_delay_ms);
  j->packet_samples = 20 * VC__SAMPLES_PER_MS;
  *pj = j;
  return 0;

fail_dec:
  vc__packet_buffer_free(&j->pb);
fail_pb:
  free(j);
  return rv;
}

void vc_jitter_del(vc_jitter *j) {
  if (j) {
    vc_audio_decoder_del(j->dec);
    vc__packet_buffer_free(&j->pb);
    free(j);
  }
}

void vc_jitter_set_min_delay(vc_jitter *j, uint32_t min_delay_ms) {
  if (min_delay_ms > j->s.max_delay_ms) {
    min_delay_ms = j->s.max_delay_ms;
  }
  j->s.min_delay_ms = min_delay_ms;
  j->dm.min_ms = min_delay_ms;
  if (j->dm.target_ms < min_delay_ms) {
    j->dm.target_ms = min_delay_ms;
  }
}

uint64_t vc_jitter_playout_timestamp(const vc_jitter *j) {
  if (!j->started) {
    return 0;
  }
  return j->sync_r < j->sync_w ? j->sync_ts[j->sync_r] : j->playout_ts;
}

static size_t sync_avail(const vc_jitter *j) {
  return j->sync_w - j->sync_r;
}

/* Makes room for |n| more samples at the end of the sync buffer. */
static void sync_reserve(vc_jitter *j, size_t n) {
  if (j->sync_w + n > SYNC_CAP) {
    size_t avail = sync_avail(j);
    memmove(j->sync, j->sync + j->sync_r, avail * sizeof(*j->sync));
    memmove(j->sync_ts, j->sync_ts + j->sync_r, avail * sizeof(*j->sync_ts));
    memmove(j->sync_arrival, j->sync_arrival + j->sync_r,
            avail * sizeof(*j->sync_arrival));
    j->sync_r = 0;
    j->sync_w = avail;
  }
}

/* Appends |n| decoded samples standing for |timestamp| on (|advance|) or
 * all for |timestamp| (concealment that waits). */
static void sync_append(vc_jitter *j, const int16_t *pcm, size_t n,
                        uint64_t timestamp, int advance, vc_tstamp arrival) {
  size_t i;
  sync_reserve(j, n);
  memcpy(j->sync + j->sync_w, pcm, n * sizeof(*pcm));
  for (i = 0; i < n; i++) {
    j->sync_ts[j->sync_w + i] = advance ? timestamp + i : timestamp;
    j->sync_arrival[j->sync_w + i] = arrival;
  }
  j->sync_w += n;
}

static void start_over(vc_jitter *j, uint64_t timestamp) {
  j->started = 1;
  j->playout_ts = timestamp;
  j->filtered_level = 0;
  j->expanding = 0;
  j->expand_run = 0;
  j->in_dtx = 1; /* start like talk resuming after silence */
  j->next_expected = 0;
  j->newest_was_dtx = 0;
  j->draining = 0;
}

/* Audio buffered ahead of the playout clock at |ts|, in samples: what is
 * decoded or held, less what has played since the last pull. */
static double level_at(const vc_jitter *j, vc_tstamp ts) {
  double level = (double)sync_avail(j) + (double)j->pb.span_samples;
  if (ts > j->last_pull && j->last_pull != 0) {
    level -= (double)(ts - j->last_pull) * VC__SAMPLES_PER_MS / 1e6;
  }
  return level;
}

/*
 * The level the decisions steer: level_at() the moment a packet arrives
 * (NetEQ looks when it decodes, which hides a slowly drifting arrival
 * phase behind the 10 ms pull grid until the buffer runs dry).
 */
static void update_level(vc_jitter *j, vc_tstamp ts) {
  if (j->in_dtx) {
    return;
  }
  j->filtered_level =
      LEVEL_FILTER * j->filtered_level + (1.0 - LEVEL_FILTER) * level_at(j, ts);
}

int vc_jitter_insert(vc_jitter *j, uint64_t timestamp, const uint8_t *data,
                     size_t len, vc_tstamp ts) {
  int samples = vc_audio_packet_samples(data, len);
  int rv;

  if (samples < 0) {
    return VC_ERR_MALFORMED;
  }
  j->st.packets_received++;
  if (!j->started) {
    start_over(j, timestamp);
  } else if (timestamp + RESYNC_SAMPLES < j->playout_ts ||
             timestamp > j->playout_ts + RESYNC_SAMPLES) {
    /* The sender's clock jumped (a restart): what is held is stale. */
    j->st.packets_discarded += vc__packet_buffer_flush(&j->pb);
    j->st.buffer_flushes++;
    vc__delay_manager_reset(&j->dm);
    start_over(j, timestamp);
  } else if (timestamp < j->playout_ts && !j->in_dtx) {
    j->st.packets_discarded++; /* too late: its time has been played */
    vc__delay_manager_update(&j->dm, timestamp, ts, (uint32_t)samples);
    return 0;
  }
  rv = vc__packet_buffer_insert(&j->pb, timestamp, ts, data, len,
                                (uint32_t)samples);
  if (rv == VC_ERR_QUEUE_FULL) {
    /* Full means playout stalled far behind: start from the newest. */
    j->st.packets_discarded += vc__packet_buffer_flush(&j->pb);
    j->st.buffer_flushes++;
    start_over(j, timestamp);
    rv = vc__packet_buffer_insert(&j->pb, timestamp, ts, data, len,
                                  (uint32_t)samples);
  }
  if (rv == 1) {
    j->st.packets_duplicated++;
    return 0;
  }
  j->packet_samples = (uint32_t)samples;
  j->last_arrival = ts;
  if (timestamp >= j->next_expected) {
    if (timestamp > j->next_expected && !j->newest_was_dtx &&
        j->next_expected != 0) {
      vc__delay_manager_count_loss(&j->dm, (timestamp - j->next_expected) /
                                               (uint64_t)samples);
    }
    j->next_expected = timestamp + (uint64_t)samples;
    j->newest_was_dtx = vc_audio_packet_is_dtx(len);
  } else {
    vc__delay_manager_count_found(&j->dm); /* reordered, not lost */
  }
  vc__delay_manager_update(&j->dm, timestamp, ts, (uint32_t)samples);
  update_level(j, ts);
  return 0;
}

static void count_concealment(vc_jitter *j, size_t n) {
  if (!j->expanding) {
    j->st.concealment_events++;
    j->expand_run = 0;
  }
  j->expanding = 1;
  j->st.concealed_samples += n;
  if (j->expand_run >= SILENT_AFTER_SAMPLES) {
    j->st.silent_concealed_samples += n;
  }
  j->expand_run += n;
}

/* The decoder's output for |n| samples it has no packet for (concealment,
 * or comfort noise after DTX) into the sync buffer; |advance|: they stand
 * for the samples from the playout point on, else for a wait. */
static void decode_missing(vc_jitter *j, size_t n, int advance) {
  int got = vc_audio_decode(j->dec, NULL, 0, 0, j->decoded, n,
                            VC_AUDIO_MAX_PACKET_SAMPLES);
  if (got < 0) {
    memset(j->decoded, 0, n * sizeof(*j->decoded));
  }
  sync_append(j, j->decoded, n, j->playout_ts, advance, 0);
  if (advance) {
    j->playout_ts += n;
  }
}

static void conceal(vc_jitter *j, size_t n, int advance) {
  decode_missing(j, n, advance);
  count_concealment(j, n);
  if (!advance) {
    j->wait_samples += n;
  }
}

/* The sender is silent on purpose (DTX): the decoder's comfort noise, and
 * time moves on. Not concealment: nothing was lost. */
static void comfort_noise(vc_jitter *j) {
  decode_missing(j, VC_AUDIO_PULL_SAMPLES, 1);
}

/*
 * Stretches the |n| samples just appended when the level says so: one
 * pitch period, or while a stall drains the buffer (starving) up to twice
 * their length, and after one (draining) two periods, as NetEQ's
 * preemptive expand and fast accelerate do one per 10 ms.
 */
static vc_jitter_op stretch(vc_jitter *j, vc_jitter_op op, size_t n) {
  int accelerate = op == VC_JITTER_OP_ACCELERATE;
  int stall = accelerate ? j->draining : j->starving;
  size_t start = j->sync_w - n, n0 = n, changed = 0, periods = 0, t;
  double corr;
  int quiet;
  double need = stall        ? CORR_STALL
                : accelerate ? CORR_ACCELERATE
                             : CORR_PREEMPTIVE;

  /* A period needs two to be found; later ones may be shorter. */
  while (n >= (periods ? 3 * VC__PITCH_MIN : 2 * VC__PITCH_MAX)) {
    t = vc__pitch_period(j->sync + start, n, &corr, &quiet);
    if (!quiet && corr < need) {
      break;
    }
    if (periods > 0 &&
        !(stall && (accelerate ? periods < 2 : changed + t <= n0))) {
      break;
    }
    periods++;
    if (accelerate) {
      vc__stretch_remove(j->sync + start, j->sync_ts + start,
                         j->sync_arrival + start, n, t);
      j->sync_w -= t;
      n -= t;
      j->st.removed_samples_for_acceleration += t;
      j->filtered_level -= (double)t;
    } else {
      sync_reserve(j, t);
      start = j->sync_w - n;
      vc__stretch_insert(j->sync + start, j->sync_ts + start,
                         j->sync_arrival + start, n, t);
      j->sync_w += t;
      n += t;
      j->st.inserted_samples_for_deceleration += t;
      j->filtered_level += (double)t;
    }
    changed += t;
  }
  return periods ? op : VC_JITTER_OP_NORMAL;
}

/* Decodes the earliest packet into the sync buffer; returns the samples
 * it gave, or -1 after a decoder fault (concealed instead). */
static int decode_packet(vc_jitter *j) {
  const vc__audio_packet *p = vc__packet_buffer_peek(&j->pb);
  uint64_t timestamp = p->timestamp;
  vc_tstamp arrival = p->arrival;
  int dtx = vc_audio_packet_is_dtx(p->len);
  int got =
      vc_audio_decode(j->dec, p->data, p->len, 0, j->decoded,
                      VC_AUDIO_MAX_PACKET_SAMPLES, VC_AUDIO_MAX_PACKET_SAMPLES);

  vc__packet_buffer_pop(&j->pb);
  if (got < 0) { /* checked at insert, so only a decoder fault */
    conceal(j, VC_AUDIO_PULL_SAMPLES, 1);
    return -1;
  }
  sync_append(j, j->decoded, (size_t)got, timestamp, 1, arrival);
  j->playout_ts = timestamp + (size_t)got;
  j->st.total_samples_received += (size_t)got;
  j->expanding = 0;
  j->wait_samples = 0;
  j->in_dtx = dtx;
  return got;
}

/*
 * Decodes the earliest packet, and stretches when |op| says so. A pitch
 * period is found in two periods, up to 20 ms: a shorter packet (10 ms,
 * what the browser sends) is joined by the packets right after it, as
 * NetEQ decodes 30 ms before it stretches, or by what is still unplayed
 * before it. Without this, 10 ms packets were never stretched at all.
 */
static vc_jitter_op decode_next(vc_jitter *j, vc_jitter_op op) {
  const vc__audio_packet *p;
  int got = decode_packet(j);
  size_t n;

  if (got < 0) {
    return VC_JITTER_OP_EXPAND;
  }
  if (j->in_dtx) {
    return VC_JITTER_OP_CNG;
  }
  if (op != VC_JITTER_OP_ACCELERATE && op != VC_JITTER_OP_PREEMPTIVE) {
    return op;
  }
  n = (size_t)got;
  while (n < 2 * VC__PITCH_MAX && (p = vc__packet_buffer_peek(&j->pb)) &&
         p->timestamp == j->playout_ts && !vc_audio_packet_is_dtx(p->len) &&
         n + p->samples <= VC_AUDIO_MAX_PACKET_SAMPLES) {
    got = decode_packet(j);
    if (got < 0) {
      return VC_JITTER_OP_EXPAND;
    }
    n += (size_t)got;
  }
  if (n < 2 * VC__PITCH_MAX) {
    n = sync_avail(j) < 2 * VC__PITCH_MAX ? sync_avail(j) : 2 * VC__PITCH_MAX;
  }
  return stretch(j, op, n);
}

/* Recovers the last frame of a gap from the next packet's in-band FEC. */
static vc_jitter_op recover_fec(vc_jitter *j) {
  const vc__audio_packet *p = vc__packet_buffer_peek(&j->pb);
  size_t n = p->samples;
  /* Whatever of the gap is not this frame was concealed already. */
  j->playout_ts = p->timestamp - n;
  int got = vc_audio_decode(j->dec, p->data, p->len, 1, j->decoded, n,
                            VC_AUDIO_MAX_PACKET_SAMPLES);
  if (got < 0) {
    conceal(j, n, 1);
    return VC_JITTER_OP_EXPAND;
  }
  sync_append(j, j->decoded, (size_t)got, j->playout_ts, 1, p->arrival);
  j->playout_ts += (uint64_t)got;
  j->expanding = 0;
  j->wait_samples = 0;
  j->st.fec_packets_recovered++;
  return VC_JITTER_OP_FEC;
}

/*
 * Whether packets are overdue on a link that stalls: the delay manager has
 * seen delay peaks lately, and nothing arrived for a packet's time plus
 * the jitter the histogram expects. On other links a gap in arrivals is
 * loss, which stretching cannot bring back (measured: more delay, no less
 * concealment). |*level| is what the overdue packet would find now.
 */
static int starving(const vc_jitter *j, vc_tstamp ts, double *level) {
  vc_tstamp due =
      j->last_arrival +
      (vc_tstamp)(j->packet_samples / VC__SAMPLES_PER_MS + j->dm.jitter_ms) *
          1000000;
  if (j->dm.peak_cover_ms == 0 || j->in_dtx || j->newest_was_dtx ||
      j->last_arrival == 0 || ts <= due) {
    return 0;
  }
  *level = level_at(j, ts) + (double)j->packet_samples;
  return 1;
}

/* One operation that adds samples to the sync buffer. */
static vc_jitter_op produce(vc_jitter *j, vc_tstamp ts) {
  const vc__audio_packet *p;
  vc__decision_input in;
  vc_jitter_op op;

  if (!j->in_dtx) {
    j->st.packets_discarded +=
        vc__packet_buffer_discard_before(&j->pb, j->playout_ts);
  }
  p = vc__packet_buffer_peek(&j->pb);

  memset(&in, 0, sizeof(in));
  in.have_packet = p != NULL;
  in.expanding = j->expanding;
  in.in_dtx = j->in_dtx;
  in.filtered_level = j->filtered_level;
  in.target = j->dm.target_ms * VC__SAMPLES_PER_MS;
  in.packet_samples = p ? p->samples : j->packet_samples;
  in.time_stretch = j->s.time_stretch;
  j->starving = starving(j, ts, &in.level_now);
  in.starving = j->starving;
  if (j->draining && j->filtered_level <= (double)in.target) {
    j->draining = 0;
  }
  in.draining = j->draining;
  if (p && p->timestamp > j->playout_ts) {
    in.gap_samples = p->timestamp - j->playout_ts;
    in.wait_samples = j->wait_samples;
  }
  op = vc__decide(&in);

  if (!p) {
    if (op == VC_JITTER_OP_CNG) {
      comfort_noise(j);
    } else {
      conceal(j, VC_AUDIO_PULL_SAMPLES, 0); /* nothing held: wait */
    }
    return op;
  }
  switch (op) {
  case VC_JITTER_OP_CNG:
    return decode_next(j, VC_JITTER_OP_NORMAL);
  case VC_JITTER_OP_EXPAND: {
    /* Lost: conceal the gap but its last frame, 10 ms at a time. The
     * decision logic sends gaps it can close by FEC or merging elsewhere,
     * so what is left to conceal here is positive. */
    uint64_t g = in.gap_samples, w = j->wait_samples;
    uint64_t n = g >= p->samples ? g - p->samples - w : g - w;
    if (g > MAX_CONCEAL_GAP) {
      j->playout_ts = p->timestamp; /* a pause, not a loss: jump */
      return decode_next(j, VC_JITTER_OP_MERGE);
    }
    if (n > VC_AUDIO_PULL_SAMPLES) {
      n = VC_AUDIO_PULL_SAMPLES;
    }
    n -= n % 120; /* Opus conceals in 2.5 ms steps */
    if (n > 0) {
      conceal(j, (size_t)n, 1);
      return VC_JITTER_OP_EXPAND;
    }
    if (g >= p->samples) {
      return recover_fec(j);
    }
    j->playout_ts = p->timestamp; /* under 2.5 ms left: skip it */
    return decode_next(j, VC_JITTER_OP_MERGE);
  }
  case VC_JITTER_OP_FEC:
    return recover_fec(j);
  case VC_JITTER_OP_MERGE:
    if (j->wait_samples > in.gap_samples) {
      /* We waited longer than the gap to this packet explains: it was
       * late, not lost, and the delay grew by what came meanwhile. The
       * level is what is held now (NetEQ resets its filter when an expand
       * changed the delay); above the limits, back to the target. */
      double level = (double)sync_avail(j) + (double)j->pb.span_samples;
      uint32_t low, high;
      vc__decision_limits(in.target, in.packet_samples, &low, &high);
      if (level > j->filtered_level) {
        j->filtered_level = level;
      }
      j->draining = level > (double)high;
    }
    j->playout_ts = p->timestamp;
    return decode_next(j, VC_JITTER_OP_MERGE);
  default:
    if (j->in_dtx) {
      /* Talk resumes (or starts): hold the first packet until the buffer
       * would be at its target, as if it had been playing all along. */
      uint64_t target_ns = (uint64_t)j->dm.target_ms * 1000000;
      uint64_t packet_ns = (uint64_t)p->samples * 1000000 / VC__SAMPLES_PER_MS;
      if (target_ns > packet_ns && ts < p->arrival + target_ns - packet_ns) {
        comfort_noise(j);
        return VC_JITTER_OP_CNG;
      }
      j->playout_ts = p->timestamp;
      j->in_dtx = 0;
    }
    return decode_next(j, op);
  }
}

int vc_jitter_pull(vc_jitter *j, int16_t *pcm, vc_tstamp ts) {
  size_t i;
  vc_jitter_op op = VC_JITTER_OP_NONE;

  if (!j->started) {
    memset(pcm, 0, VC_AUDIO_PULL_SAMPLES * sizeof(*pcm));
    j->st.last_op = VC_JITTER_OP_NONE;
    return VC_AUDIO_PULL_SAMPLES;
  }
  while (sync_avail(j) < VC_AUDIO_PULL_SAMPLES) {
    vc_jitter_op got = produce(j, ts);
    /* Report the most telling operation of this pull. */
    if (op == VC_JITTER_OP_NONE || got != VC_JITTER_OP_NORMAL) {
      op = got;
    }
  }
  memcpy(pcm, j->sync + j->sync_r, VC_AUDIO_PULL_SAMPLES * sizeof(*pcm));
  for (i = 0; i < VC_AUDIO_PULL_SAMPLES; i++) {
    vc_tstamp arrival = j->sync_arrival[j->sync_r + i];
    if (arrival != 0 && ts >= arrival) {
      j->st.jitter_buffer_delay_s += (double)(ts - arrival) / 1e9;
      j->st.jitter_buffer_target_delay_s += (double)j->dm.target_ms / 1e3;
      j->st.jitter_buffer_emitted_count++;
    }
  }
  j->sync_r += VC_AUDIO_PULL_SAMPLES;
  j->last_pull = ts;
  if (op != VC_JITTER_OP_NONE) {
    j->st.last_op = op;
  }
  return VC_AUDIO_PULL_SAMPLES;
}

void vc_jitter_get_stats(const vc_jitter *j, vc_jitter_stats *out) {
  *out = j->st;
  out->target_delay_ms = j->dm.target_ms;
  out->current_delay_ms =
      (uint32_t)((sync_avail(j) + j->pb.span_samples) / VC__SAMPLES_PER_MS);
}

/*
 * fixed_jitter.c: see fixed_jitter.h. Packets wait in a small unsorted
 * table (found by timestamp); decoded samples wait in a sync buffer like
 * the adaptive one's, so both emit in 10 ms pulls.
 */
#include "fixed_jitter.h"

#include <stdlib.h>
#include <string.h>

#include <vc/audio.h>

#define MAX_HELD 512
#define SYNC_CAP (2 * VC_AUDIO_MAX_PACKET_SAMPLES)

typedef struct held {
  int used;
  uint64_t timestamp;
  uint64_t arrival;
  size_t len;
  uint8_t data[VC_AUDIO_MAX_PACKET_LEN];
} held;

struct fixed_jitter {
  uint64_t delay_ns;
  vc_audio_decoder *dec;
  held packets[MAX_HELD];
  int started;
  uint64_t start_ns; /* when the first packet plays */
  uint64_t next_ts;  /* timestamp of the next sample to decode */
  int in_dtx;
  size_t frame_samples; /* of the newest packet: FEC recovers that much */
  int16_t sync[SYNC_CAP];
  uint64_t sync_arrival[SYNC_CAP];
  size_t sync_n;
  uint64_t sync_first_ts;
  int16_t decoded[VC_AUDIO_MAX_PACKET_SAMPLES];
  fixed_jitter_stats st;
};

fixed_jitter *fixed_jitter_new(uint32_t delay_ms) {
  fixed_jitter *f = calloc(1, sizeof(*f));
  if (!f || vc_audio_decoder_new(&f->dec) != 0) {
    free(f);
    return NULL;
  }
  f->delay_ns = (uint64_t)delay_ms * 1000000;
  f->frame_samples = 960;
  return f;
}

void fixed_jitter_del(fixed_jitter *f) {
  if (f) {
    vc_audio_decoder_del(f->dec);
    free(f);
  }
}

static held *find(fixed_jitter *f, uint64_t timestamp) {
  size_t i;
  for (i = 0; i < MAX_HELD; i++) {
    if (f->packets[i].used && f->packets[i].timestamp == timestamp) {
      return &f->packets[i];
    }
  }
  return NULL;
}

void fixed_jitter_insert(fixed_jitter *f, uint64_t timestamp,
                         const uint8_t *data, size_t len, uint64_t arrival_ns) {
  size_t i;
  int samples;
  if (!f->started) {
    f->started = 1;
    f->start_ns = arrival_ns + f->delay_ns;
    f->next_ts = f->sync_first_ts = timestamp;
  }
  if (timestamp < f->next_ts || len > VC_AUDIO_MAX_PACKET_LEN ||
      find(f, timestamp)) {
    f->st.late_packets += timestamp < f->next_ts;
    return;
  }
  for (i = 0; i < MAX_HELD; i++) {
    if (!f->packets[i].used) {
      held *h = &f->packets[i];
      h->used = 1;
      h->timestamp = timestamp;
      h->arrival = arrival_ns;
      h->len = len;
      memcpy(h->data, data, len);
      samples = vc_audio_packet_samples(data, len);
      if (samples > 0) {
        f->frame_samples = (size_t)samples;
      }
      return;
    }
  }
}

static void append(fixed_jitter *f, size_t n, uint64_t arrival) {
  size_t i;
  memcpy(f->sync + f->sync_n, f->decoded, n * sizeof(*f->decoded));
  for (i = 0; i < n; i++) {
    f->sync_arrival[f->sync_n + i] = arrival;
  }
  f->sync_n += n;
  f->next_ts += n;
}

/* Decodes, recovers or conceals the samples at next_ts. */
static void produce(fixed_jitter *f) {
  held *h = find(f, f->next_ts), *next;
  int got;

  if (h) {
    got = vc_audio_decode(f->dec, h->data, h->len, 0, f->decoded,
                          VC_AUDIO_MAX_PACKET_SAMPLES,
                          VC_AUDIO_MAX_PACKET_SAMPLES);
    h->used = 0;
    if (got > 0) {
      f->in_dtx = vc_audio_packet_is_dtx(h->len);
      append(f, (size_t)got, h->arrival);
      return;
    }
  }
  next = find(f, f->next_ts + f->frame_samples);
  if (!f->in_dtx && next) {
    got = vc_audio_decode(f->dec, next->data, next->len, 1, f->decoded,
                          f->frame_samples, VC_AUDIO_MAX_PACKET_SAMPLES);
    if (got > 0) {
      append(f, (size_t)got, next->arrival);
      return;
    }
  }
  got = vc_audio_decode(f->dec, NULL, 0, 0, f->decoded, VC_AUDIO_PULL_SAMPLES,
                        VC_AUDIO_MAX_PACKET_SAMPLES);
  if (got <= 0) {
    memset(f->decoded, 0, sizeof(f->decoded));
  }
  if (!f->in_dtx) {
    f->st.concealed += VC_AUDIO_PULL_SAMPLES;
  }
  append(f, VC_AUDIO_PULL_SAMPLES, 0);
}

void fixed_jitter_pull(fixed_jitter *f, int16_t *pcm, uint64_t now_ns) {
  size_t i;
  if (!f->started || now_ns < f->start_ns) {
    memset(pcm, 0, VC_AUDIO_PULL_SAMPLES * sizeof(*pcm));
    return;
  }
  /* Packets whose time passed are dropped, never played late. */
  for (i = 0; i < MAX_HELD; i++) {
    if (f->packets[i].used && f->packets[i].timestamp < f->next_ts) {
      f->packets[i].used = 0;
      f->st.late_packets++;
    }
  }
  while (f->sync_n < VC_AUDIO_PULL_SAMPLES) {
    produce(f);
  }
  memcpy(pcm, f->sync, VC_AUDIO_PULL_SAMPLES * sizeof(*pcm));
  for (i = 0; i < VC_AUDIO_PULL_SAMPLES; i++) {
    if (f->sync_arrival[i] && now_ns >= f->sync_arrival[i]) {
      f->st.delay_s += (double)(now_ns - f->sync_arrival[i]) / 1e9;
      f->st.emitted++;
    }
  }
  f->sync_n -= VC_AUDIO_PULL_SAMPLES;
  memmove(f->sync, f->sync + VC_AUDIO_PULL_SAMPLES,
          f->sync_n * sizeof(*f->sync));
  memmove(f->sync_arrival, f->sync_arrival + VC_AUDIO_PULL_SAMPLES,
          f->sync_n * sizeof(*f->sync_arrival));
  f->sync_first_ts += VC_AUDIO_PULL_SAMPLES;
  f->st.output += VC_AUDIO_PULL_SAMPLES;
}

uint64_t fixed_jitter_playout_timestamp(const fixed_jitter *f) {
  return f->started ? f->sync_first_ts : 0;
}

void fixed_jitter_get_stats(const fixed_jitter *f, fixed_jitter_stats *s) {
  *s = f->st;
}

/*
 * mixer.c: vc_audio_mixer of audio.h: one vc_jitter per sender, found by
 * a linear scan (a handful of streams), mixed by saturating addition.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/audio.h>

typedef struct stream {
  uint32_t sender; /* 0: free */
  vc_jitter *jb;
  vc_tstamp last_heard;
  uint32_t level; /* of the last 10 ms played */
} stream;

struct vc_audio_mixer {
  vc_jitter_settings js;
  stream *streams;
  size_t max_streams;
  int16_t pcm[VC_AUDIO_PULL_SAMPLES];
  int32_t sum[VC_AUDIO_PULL_SAMPLES];
};

int vc_audio_mixer_new(vc_audio_mixer **pm, size_t max_streams,
                       const vc_jitter_settings *js) {
  vc_audio_mixer *m;

  *pm = NULL;
  if (max_streams == 0 || max_streams > 64) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  m = calloc(1, sizeof(*m));
  if (!m) {
    return VC_ERR_NOMEM;
  }
  m->streams = calloc(max_streams, sizeof(*m->streams));
  if (!m->streams) {
    free(m);
    return VC_ERR_NOMEM;
  }
  if (js) {
    m->js = *js;
  } else {
    vc_jitter_settings_default(&m->js);
  }
  m->max_streams = max_streams;
  *pm = m;
  return 0;
}

void vc_audio_mixer_del(vc_audio_mixer *m) {
  size_t i;
  if (!m) {
    return;
  }
  for (i = 0; i < m->max_streams; i++) {
    vc_jitter_del(m->streams[i].jb);
  }
  free(m->streams);
  free(m);
}

static stream *find(const vc_audio_mixer *m, uint32_t sender) {
  size_t i;
  for (i = 0; i < m->max_streams; i++) {
    if (m->streams[i].sender == sender && m->streams[i].jb) {
      return &m->streams[i];
    }
  }
  return NULL;
}

/* A free place, or the one heard least recently. */
static stream *place_for(vc_audio_mixer *m) {
  stream *oldest = &m->streams[0];
  size_t i;
  for (i = 0; i < m->max_streams; i++) {
    if (!m->streams[i].jb) {
      return &m->streams[i];
    }
    if (m->streams[i].last_heard < oldest->last_heard) {
      oldest = &m->streams[i];
    }
  }
  vc_jitter_del(oldest->jb);
  memset(oldest, 0, sizeof(*oldest));
  return oldest;
}

int vc_audio_mixer_insert(vc_audio_mixer *m, uint32_t sender,
                          uint64_t timestamp, const uint8_t *data, size_t len,
                          vc_tstamp ts) {
  stream *s = find(m, sender);
  int rv;

  if (sender == 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (!s) {
    s = place_for(m);
    rv = vc_jitter_new(&s->jb, &m->js);
    if (rv != 0) {
      return rv;
    }
    s->sender = sender;
    s->level = VC_AUDIO_LEVEL_SILENT;
  }
  s->last_heard = ts;
  return vc_jitter_insert(s->jb, timestamp, data, len, ts);
}

int vc_audio_mixer_pull(vc_audio_mixer *m, int16_t *pcm, vc_tstamp ts) {
  size_t i, k;

  memset(m->sum, 0, sizeof(m->sum));
  for (i = 0; i < m->max_streams; i++) {
    stream *s = &m->streams[i];
    if (!s->jb) {
      continue;
    }
    vc_jitter_pull(s->jb, m->pcm, ts);
    s->level = vc_audio_level(m->pcm, VC_AUDIO_PULL_SAMPLES);
    for (k = 0; k < VC_AUDIO_PULL_SAMPLES; k++) {
      m->sum[k] += m->pcm[k];
    }
  }
  for (k = 0; k < VC_AUDIO_PULL_SAMPLES; k++) {
    int32_t v = m->sum[k];
    pcm[k] = (int16_t)(v > INT16_MAX   ? INT16_MAX
                       : v < INT16_MIN ? INT16_MIN
                                       : v);
  }
  return VC_AUDIO_PULL_SAMPLES;
}

void vc_audio_mixer_remove(vc_audio_mixer *m, uint32_t sender) {
  stream *s = find(m, sender);
  if (s) {
    vc_jitter_del(s->jb);
    memset(s, 0, sizeof(*s));
  }
}

size_t vc_audio_mixer_streams(const vc_audio_mixer *m) {
  size_t i, n = 0;
  for (i = 0; i < m->max_streams; i++) {
    n += m->streams[i].jb != NULL;
  }
  return n;
}

int vc_audio_mixer_stats(const vc_audio_mixer *m, uint32_t sender,
                         vc_jitter_stats *out, uint32_t *level) {
  stream *s = find(m, sender);
  if (!s) {
    return VC_ERR_STATE;
  }
  vc_jitter_get_stats(s->jb, out);
  *level = s->level;
  return 0;
}

/*
 * sender.c: vc_audio_sender of audio.h. Opus with DTX emits a packet of
 * at most two bytes for each silent frame; sending the first of a run
 * tells receivers the silence is on purpose (they play comfort noise and
 * count no concealment), the rest would only cost bandwidth. Muting feeds
 * silence until that first DTX packet has gone, then sends nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/audio.h>

struct vc_audio_sender {
  vc_audio_encoder *enc;
  size_t frame_samples; /* at the input rate */
  uint32_t frame_ticks; /* the same frame at 48 kHz */
  uint64_t timestamp;
  int in_dtx_run;
  int16_t *silence;
};

int vc_audio_sender_new(vc_audio_sender **ps,
                        const vc_audio_encoder_settings *s) {
  vc_audio_encoder_settings def;
  vc_audio_sender *snd;
  int rv;

  *ps = NULL;
  if (!s) {
    vc_audio_encoder_settings_default(&def);
    s = &def;
  }
  snd = calloc(1, sizeof(*snd));
  if (!snd) {
    return VC_ERR_NOMEM;
  }
  rv = vc_audio_encoder_new(&snd->enc, s);
  if (rv != 0) {
    free(snd);
    return rv;
  }
  snd->frame_samples = vc_audio_encoder_frame_samples(snd->enc);
  snd->frame_ticks = (uint32_t)(VC_AUDIO_SAMPLE_RATE_HZ / 1000 * s->frame_ms);
  snd->silence = calloc(snd->frame_samples, sizeof(*snd->silence));
  if (!snd->silence) {
    vc_audio_sender_del(snd);
    return VC_ERR_NOMEM;
  }
  *ps = snd;
  return 0;
}

void vc_audio_sender_del(vc_audio_sender *s) {
  if (s) {
    vc_audio_encoder_del(s->enc);
    free(s->silence);
    free(s);
  }
}

size_t vc_audio_sender_frame_samples(const vc_audio_sender *s) {
  return s->frame_samples;
}

vc_audio_encoder *vc_audio_sender_encoder(vc_audio_sender *s) {
  return s->enc;
}

int vc_audio_sender_encode(vc_audio_sender *s, const int16_t *pcm,
                           uint8_t *dest, size_t destlen,
                           vc_audio_packet *out) {
  vc_ssize n;
  int dtx;

  memset(out, 0, sizeof(*out));
  out->timestamp = s->timestamp;
  out->audio_level = VC_AUDIO_LEVEL_SILENT;
  s->timestamp += s->frame_ticks;
  if (!pcm && s->in_dtx_run) {
    return 0; /* muted, and receivers already know */
  }
  n = vc_audio_encode(s->enc, pcm ? pcm : s->silence, dest, destlen);
  if (n < 0) {
    return (int)n;
  }
  dtx = vc_audio_packet_is_dtx((size_t)n);
  if (!(dtx && s->in_dtx_run)) {
    out->len = (size_t)n;
    out->audio_level =
        pcm ? vc_audio_level(pcm, s->frame_samples) : VC_AUDIO_LEVEL_SILENT;
  }
  s->in_dtx_run = dtx;
  return 0;
}

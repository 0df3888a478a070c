/*
 * opus_codec.c: the Opus encoder and decoder of audio.h, and the only file
 * that includes <opus.h>. Encoding is mono VOIP mode with in-band FEC
 * (LBRR: a low-rate copy of the previous frame rides in each packet) and
 * DTX; decoding is always at 48 kHz, whatever rate the sender captured.
 */
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include <vc/audio.h>

struct vc_audio_encoder {
  OpusEncoder *enc;
  size_t frame_samples;
};

struct vc_audio_decoder {
  OpusDecoder *dec;
};

void vc_audio_encoder_settings_default(vc_audio_encoder_settings *s) {
  s->sample_rate_hz = VC_AUDIO_SAMPLE_RATE_HZ;
  s->frame_ms = 20;
  s->bitrate_bps = 32000;
  s->fec = 1;
  s->dtx = 1;
  s->expected_loss_pct = 10;
  s->complexity = 9;
}

static int valid_rate(int hz) {
  return hz == 8000 || hz == 16000 || hz == 24000 || hz == 48000;
}

int vc_audio_encoder_new(vc_audio_encoder **pe,
                         const vc_audio_encoder_settings *s) {
  vc_audio_encoder *e;
  int err = 0;

  *pe = NULL;
  if (!valid_rate(s->sample_rate_hz) ||
      (s->frame_ms != 10 && s->frame_ms != 20) || s->bitrate_bps < 6000 ||
      s->bitrate_bps > 128000 || s->expected_loss_pct < 0 ||
      s->expected_loss_pct > 100 || s->complexity < 0 || s->complexity > 10) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  e = calloc(1, sizeof(*e));
  if (!e) {
    return VC_ERR_NOMEM;
  }
  e->enc =
      opus_encoder_create(s->sample_rate_hz, 1, OPUS_APPLICATION_VOIP, &err);
  if (!e->enc || err != OPUS_OK) {
    free(e);
    return VC_ERR_NOMEM;
  }
  e->frame_samples = (size_t)s->sample_rate_hz / 1000 * (size_t)s->frame_ms;
  opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(s->bitrate_bps));
  opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(s->fec ? 1 : 0));
  opus_encoder_ctl(e->enc, OPUS_SET_DTX(s->dtx ? 1 : 0));
  opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(s->expected_loss_pct));
  opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(s->complexity));
  opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  *pe = e;
  return 0;
}

void vc_audio_encoder_del(vc_audio_encoder *e) {
  if (e) {
    opus_encoder_destroy(e->enc);
    free(e);
  }
}

size_t vc_audio_encoder_frame_samples(const vc_audio_encoder *e) {
  return e->frame_samples;
}

vc_ssize vc_audio_encode(vc_audio_encoder *e, const int16_t *pcm, uint8_t *dest,
                         size_t destlen) {
  opus_int32 cap = destlen > VC_AUDIO_MAX_PACKET_LEN ? VC_AUDIO_MAX_PACKET_LEN
                                                     : (opus_int32)destlen;
  int n = opus_encode(e->enc, pcm, (int)e->frame_samples, dest, cap);
  if (n == OPUS_BUFFER_TOO_SMALL) {
    return VC_ERR_NOBUF;
  }
  return n < 0 ? VC_ERR_INVALID_ARGUMENT : n;
}

int vc_audio_encoder_set_bitrate(vc_audio_encoder *e, int bitrate_bps) {
  if (bitrate_bps < 6000 || bitrate_bps > 128000) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate_bps));
  return 0;
}

int vc_audio_encoder_set_expected_loss(vc_audio_encoder *e, int pct) {
  if (pct < 0 || pct > 100) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(pct));
  return 0;
}

int vc_audio_packet_is_dtx(size_t len) {
  return len <= 2;
}

int vc_audio_packet_samples(const uint8_t *data, size_t len) {
  const unsigned char *frames[48];
  opus_int16 sizes[48];
  unsigned char toc;
  int n, nb;

  if (!data || len == 0 || len > VC_AUDIO_MAX_PACKET_LEN ||
      opus_packet_get_nb_channels(data) != 1) {
    return VC_ERR_MALFORMED;
  }
  /* parse checks every frame length against the packet's bytes. */
  n = opus_packet_parse(data, (opus_int32)len, &toc, frames, sizes, NULL);
  nb = opus_packet_get_nb_samples(data, (opus_int32)len,
                                  VC_AUDIO_SAMPLE_RATE_HZ);
  if (n < 0 || nb <= 0 || nb > VC_AUDIO_MAX_PACKET_SAMPLES) {
    return VC_ERR_MALFORMED;
  }
  return nb;
}

int vc_audio_decoder_new(vc_audio_decoder **pd) {
  vc_audio_decoder *d = calloc(1, sizeof(*d));
  int err = 0;

  *pd = NULL;
  if (!d) {
    return VC_ERR_NOMEM;
  }
  d->dec = opus_decoder_create(VC_AUDIO_SAMPLE_RATE_HZ, 1, &err);
  if (!d->dec || err != OPUS_OK) {
    free(d);
    return VC_ERR_NOMEM;
  }
  *pd = d;
  return 0;
}

void vc_audio_decoder_del(vc_audio_decoder *d) {
  if (d) {
    opus_decoder_destroy(d->dec);
    free(d);
  }
}

int vc_audio_decode(vc_audio_decoder *d, const uint8_t *data, size_t len,
                    int fec, int16_t *pcm, size_t n, size_t cap) {
  int got;

  if (data) {
    int nb = vc_audio_packet_samples(data, len);
    if (nb < 0) {
      memset(pcm, 0, cap * sizeof(*pcm));
      return VC_ERR_MALFORMED;
    }
    if (!fec) {
      n = (size_t)nb;
    }
  }
  if (n == 0 || n > cap || n > VC_AUDIO_MAX_PACKET_SAMPLES || n % 120 != 0) {
    return n > cap ? VC_ERR_NOBUF : VC_ERR_INVALID_ARGUMENT;
  }
  got = opus_decode(d->dec, data, data ? (opus_int32)len : 0, pcm, (int)n,
                    fec ? 1 : 0);
  if (got < 0) {
    memset(pcm, 0, cap * sizeof(*pcm));
    return VC_ERR_MALFORMED;
  }
  return got;
}

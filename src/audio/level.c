/*
 * level.c: the audio level of a block in -dBov (RFC 6464): what the
 * routing header carries so the server can pick the loudest speakers
 * without opening the (encrypted) audio, and what the UI shows.
 */
#include <math.h>

#include <vc/audio.h>

uint32_t vc_audio_level(const int16_t *pcm, size_t n) {
  double sum = 0, db;
  size_t i;

  for (i = 0; i < n; i++) {
    sum += (double)pcm[i] * pcm[i];
  }
  if (n == 0 || sum <= 0) {
    return VC_AUDIO_LEVEL_SILENT;
  }
  /* Relative to a full-scale square wave (dBov). */
  db = 10.0 * log10(sum / (double)n / (32767.0 * 32767.0));
  if (db >= 0) {
    return 0;
  }
  return -db >= VC_AUDIO_LEVEL_SILENT ? VC_AUDIO_LEVEL_SILENT
                                      : (uint32_t)lrint(-db);
}

/*
 * wav.h: reads the 16-bit mono PCM WAV files of assets/audio (the only
 * format the benchmarks need). Nothing else is accepted.
 */
#ifndef VC_BENCH_WAV_H
#define VC_BENCH_WAV_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 and a malloc'd |*pcm| of |*n| samples at |*rate_hz|; -1 with a
 * message on stderr. */
int wav_read_mono16(const char *path, int16_t **pcm, size_t *n, int *rate_hz);

#endif /* VC_BENCH_WAV_H */

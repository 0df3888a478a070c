/*
 * audio_quality.h: how far a played-out block sounds from what was sent,
 * as a log-spectral distance in dB against the clean decode (0: the same
 * spectrum; concealment of speech typically 5-15 dB). Time stretching
 * shifts the output against the reference, so each block is compared
 * with the best-matching reference block near its playout timestamp.
 */
#ifndef VC_BENCH_AUDIO_QUALITY_H
#define VC_BENCH_AUDIO_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#define QUALITY_BLOCK 480 /* 10 ms at 48 kHz */

/*
 * Distance of |out| (QUALITY_BLOCK samples) from |ref| around |pos| (the
 * sample |out| claims to start at), searching +-|search| samples in steps
 * of |step|. Returns -1 when the reference there is quiet (below about
 * -45 dBFS): silence is not scored.
 */
double quality_lsd_db(const int16_t *ref, size_t ref_n, int64_t pos,
                      const int16_t *out, int search, int step);

#endif /* VC_BENCH_AUDIO_QUALITY_H */

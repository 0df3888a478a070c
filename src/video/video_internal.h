/*
 * video_internal.h: the parts of the video frame buffer (video.h) shared
 * between its files: the render timing (render_timing.c) and the keyframe
 * request timer (keyframe_request.c), which frame_buffer.c drives.
 */
#ifndef VC_VIDEO_INTERNAL_H
#define VC_VIDEO_INTERNAL_H

#include <vc/video.h>

#define VC__VIDEO_FDV_WINDOW 128 /* frames behind the jitter percentile */
#define VC__VIDEO_FRAME_DURATIONS 30

/*
 * Render timing. The local time a frame "should" arrive is its capture
 * time plus a base offset: the smallest transit (arrival - capture) seen
 * over the last two windows of 2 s of capture time, so a drifting sender
 * clock moves the base within 4 s. Each frame's delay variation is its
 * transit above the base; the target delay is the 95th percentile of the
 * last 128 variations, clamped to max_render_delay_ms.
 */
typedef struct vc__video_timing {
  int have_base;
  int64_t win_min_ns[2]; /* [0] current window, [1] the one before */
  uint64_t win_start_us; /* capture time the current window began */
  int32_t fdv_us[VC__VIDEO_FDV_WINDOW];
  size_t n_fdv, fdv_pos;
  uint32_t target_us;
  uint32_t max_us;
  /* Freezes (webrtc-stats): intervals between handed-out frames. */
  int have_last_out;
  vc_tstamp last_out_ts;
  uint64_t dur_ns[VC__VIDEO_FRAME_DURATIONS];
  size_t n_dur, dur_pos;
  uint64_t freeze_count;
  uint64_t freeze_ns;
} vc__video_timing;

void vc__video_timing_init(vc__video_timing *t, uint32_t max_delay_ms);
/* A frame captured at |capture_us| became complete at |ts|. */
void vc__video_timing_on_complete(vc__video_timing *t, uint64_t capture_us,
                                  vc_tstamp ts);
/* When a frame captured at |capture_us| (complete at |completed|) is due. */
vc_tstamp vc__video_timing_render_time(const vc__video_timing *t,
                                       uint64_t capture_us,
                                       vc_tstamp completed);
/* A frame was handed out at |ts|: counts a freeze when the gap is one. */
void vc__video_timing_on_output(vc__video_timing *t, vc_tstamp ts);

/*
 * Keyframe requests: wanted from a declared loss until a keyframe is
 * handed out; the first is due at once, repeats back off from
 * max(RTT, min) doubling to max.
 */
typedef struct vc__video_kfreq {
  int wanted;
  vc_tstamp due;
  uint64_t backoff_ns;
  uint64_t min_ns, max_ns;
  uint64_t rtt_ns;
  int sent_any;
  vc_tstamp last_sent;
  uint64_t n_sent;
} vc__video_kfreq;

void vc__video_kfreq_init(vc__video_kfreq *k, uint32_t min_ms, uint32_t max_ms,
                          uint32_t rtt_ms);
void vc__video_kfreq_set_rtt(vc__video_kfreq *k, uint32_t rtt_us);
/* A loss the buffer cannot repair: want a keyframe (no-op when wanted). */
void vc__video_kfreq_on_loss(vc__video_kfreq *k, vc_tstamp ts);
void vc__video_kfreq_on_keyframe_out(vc__video_kfreq *k);
int vc__video_kfreq_take(vc__video_kfreq *k, vc_tstamp ts);
vc_tstamp vc__video_kfreq_expiry(const vc__video_kfreq *k);

#endif /* VC_VIDEO_INTERNAL_H */

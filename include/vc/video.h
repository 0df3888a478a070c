/*
 * video.h: the receive side of one video stream (one sender, one layer):
 * the frame buffer between the network and the decoder (docs/VIDEO.md).
 *
 * Packets of encoded frames go in (vc_video_fb_insert); frames come out in
 * decode order when they are due (vc_video_fb_next_frame). On the way the
 * buffer reassembles split frames, reorders, holds each frame for a render
 * delay learnt from arrival jitter, never hands out a delta frame whose
 * references the decoder has not seen, skips to the newest keyframe when
 * the decoder falls behind, and asks for a keyframe (with backoff) when a
 * loss cannot be repaired. Sans-I/O: time is an argument, nothing is sent.
 */
#ifndef VC_VIDEO_H
#define VC_VIDEO_H

#include <vc/vc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A frame references at most this many earlier frames (temporal layers and
 * SVC use more than one). */
#define VC_VIDEO_MAX_REFS 4

/* One packet of an encoded frame, as the sender's packetiser made it. */
typedef struct vc_video_packet {
  uint32_t frame_id;     /* decode order; +1 per frame; wraps */
  uint16_t packet_index; /* 0 .. packet_count - 1 */
  uint16_t packet_count; /* packets of this frame; 1 is the common case */
  int keyframe;          /* 0 or 1; the same on every packet of a frame */
  /* Frames this one needs decoded first (older frame ids); ignored for a
   * keyframe. The same on every packet of a frame (the first kept wins). */
  uint32_t refs[VC_VIDEO_MAX_REFS];
  size_t n_refs;
  uint64_t timestamp_us; /* sender's capture time */
  const uint8_t *data;   /* payload; NULL when len is 0 */
  size_t len;
} vc_video_packet;

/* A frame ready for the decoder. */
typedef struct vc_video_frame {
  uint32_t frame_id;
  int keyframe;
  uint32_t refs[VC_VIDEO_MAX_REFS];
  size_t n_refs;
  uint64_t timestamp_us;
  const uint8_t *data; /* the whole frame, packets joined in index order */
  size_t len;
} vc_video_frame;

typedef struct vc_video_fb_settings {
  size_t max_frames;                /* frames held at once; default 64 */
  size_t max_bytes;                 /* payload bytes held; default 4 MiB */
  uint16_t max_packets;             /* per frame; default 1024 */
  uint32_t max_render_delay_ms;     /* target delay clamp; default 300 */
  uint32_t reorder_wait_ms;         /* a gap is a loss after min(max(this,
                                     * render delay), RTT / 2); default 20 */
  uint32_t keyframe_backoff_min_ms; /* first repeat after max(RTT, this);
                                     * default 100 */
  uint32_t keyframe_backoff_max_ms; /* repeats double up to this; default
                                     * 2000 */
  uint32_t rtt_ms;                  /* until vc_video_fb_set_rtt; 100 */
  int latest_frame_wins;            /* skip to the newest due keyframe;
                                     * default 1 */
} vc_video_fb_settings;

/* Counters, named after webrtc-stats RTCInboundRtpStreamStats (video). */
typedef struct vc_video_stats {
  uint64_t frames_received;        /* framesReceived: frames made complete */
  uint64_t frames_decoded;         /* framesDecoded: handed to the decoder */
  uint64_t frames_dropped;         /* framesDropped: complete, never handed */
  uint64_t key_frames_decoded;     /* keyFramesDecoded */
  uint64_t freeze_count;           /* freezeCount */
  double total_freezes_duration_s; /* totalFreezesDuration */
  double jitter_buffer_delay_s;    /* jitterBufferDelay */
  uint64_t jitter_buffer_emitted_count; /* jitterBufferEmittedCount */
  double jitter_buffer_target_delay_s;  /* jitterBufferTargetDelay (sum) */
  uint64_t pli_count;                   /* pliCount: keyframe requests taken */
  uint64_t frames_incomplete;           /* partial frames given up on */
  uint64_t packets_duplicate;           /* ignored: already held */
  uint64_t packets_too_old; /* ignored: frame handed out or given up */
  uint64_t packets_refused; /* VC_ERR_QUEUE_FULL at a cap */
  uint64_t packets_invalid; /* any other error */
  size_t bytes_held;        /* payload bytes held now (not counting the
                             * frame last handed out) */
  size_t frames_held;       /* frames (complete or not) held now */
  uint32_t target_delay_us; /* the render delay now */
  int waiting_for_keyframe; /* a loss was declared; none handed since */
} vc_video_stats;

typedef struct vc_video_fb vc_video_fb;

/* Fills |s| with the defaults written beside each field. */
void vc_video_fb_settings_default(vc_video_fb_settings *s);

/*
 * Creates a frame buffer in |*pfb|. |settings| NULL means the defaults; it
 * is copied. Returns 0, VC_ERR_INVALID_ARGUMENT (a zero cap, max_frames
 * over 4096, max_bytes over UINT32_MAX, backoff min over max) or
 * VC_ERR_NOMEM. Frame tables are allocated here; payload memory grows as
 * packets arrive and never holds more than max_bytes of payload (plus the
 * frame last handed out, until the next call).
 */
int vc_video_fb_new(vc_video_fb **pfb, const vc_video_fb_settings *settings);
void vc_video_fb_del(vc_video_fb *fb);

/* Another stream takes over from here (a simulcast layer switch): frames
 * held are dropped uncounted and frame ids start afresh; the next frame
 * out must be a keyframe of the new stream. Statistics, render timing and
 * keyframe-request pacing carry on. */
void vc_video_fb_restart(vc_video_fb *fb);

/* The round-trip time to the sender, which paces keyframe requests. */
void vc_video_fb_set_rtt(vc_video_fb *fb, uint32_t rtt_us);

/*
 * One packet that arrived at |ts|. The payload is copied; nothing of |pkt|
 * is kept after return. Returns 0 when kept, or (and then nothing held is
 * changed, apart from the counter named):
 *  - VC_ERR_INVALID_ARGUMENT: packet_index >= packet_count, packet_count 0
 *    or over max_packets, n_refs over VC_VIDEO_MAX_REFS or 0 on a delta
 *    frame, keyframe not 0 or 1, data NULL with len > 0, a reference not
 *    older than the frame, or packet_count, keyframe or timestamp_us unlike
 *    earlier packets of the same frame (packets_invalid);
 *  - VC_ERR_TOO_BIG: the frame would exceed max_bytes alone
 *    (packets_invalid);
 *  - VC_ERR_STATE: not needed: a duplicate (packets_duplicate), or its
 *    frame was already handed out, skipped or given up on
 *    (packets_too_old). Normal on a real network; the caller ignores it;
 *  - VC_ERR_QUEUE_FULL: max_frames or max_bytes would be passed even if
 *    every frame that cannot decode yet were given up; the frames held
 *    are kept and this packet is refused (packets_refused). When giving
 *    those frames up, oldest first, does make room, that is done (they
 *    count in frames_dropped or frames_incomplete) and the packet is kept;
 *  - VC_ERR_NOMEM.
 * Frames that can never decode are dropped here (docs/VIDEO.md).
 */
int vc_video_fb_insert(vc_video_fb *fb, const vc_video_packet *pkt,
                       vc_tstamp ts);

/*
 * The next frame for the decoder at |ts|: returns 1 and fills |out|, or 0
 * when none is due. |out->data| points into the buffer and stays valid
 * until the next call on |fb|. A frame is due when it is decodable (a
 * keyframe, or every reference already handed out) and its render time
 * (capture time mapped to the local clock, plus the target delay) has come.
 * When more than one frame is due, the newest due keyframe is handed out
 * and the older ones are skipped (latest_frame_wins); deltas are never
 * skipped over (docs/VIDEO.md). Every frame older than the one handed out
 * is given up (frames_dropped, or frames_incomplete when partial). Call
 * it until it returns 0.
 */
int vc_video_fb_next_frame(vc_video_fb *fb, vc_tstamp ts, vc_video_frame *out);

/*
 * As vc_video_fb_next_frame, but copies the payload into |dest|: returns
 * the frame's length (|out->data| is |dest|), 0 when none is due, or
 * VC_ERR_NOBUF when |destlen| is short (the frame stays queued).
 */
vc_ssize vc_video_fb_next_frame_write(vc_video_fb *fb, uint8_t *dest,
                                      size_t destlen, vc_tstamp ts,
                                      vc_video_frame *out);

/* When vc_video_fb_handle_expiry must be called next (a loss to declare,
 * a keyframe request due, a frame coming due); UINT64_MAX: never. A due
 * request keeps the expiry in the past until it is taken, and a due frame
 * until it is handed out. */
vc_tstamp vc_video_fb_get_expiry(const vc_video_fb *fb);
void vc_video_fb_handle_expiry(vc_video_fb *fb, vc_tstamp ts);

/*
 * Returns 1 when a keyframe request (a PLI) should be sent to the sender
 * now, and counts it; 0 otherwise. The first comes at the loss; repeats
 * follow at max(RTT, keyframe_backoff_min_ms), doubling up to
 * keyframe_backoff_max_ms, until a keyframe is handed out.
 */
int vc_video_fb_take_keyframe_request(vc_video_fb *fb, vc_tstamp ts);

/* Copies the counters into |out|. */
void vc_video_fb_get_stats(const vc_video_fb *fb, vc_video_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* VC_VIDEO_H */

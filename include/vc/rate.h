/*
 * rate.h: send-side rate control. The sender tells the controller about
 * every media packet it sends (a transport-wide sequence number, its size
 * and when it left); the receiver reports, per packet, whether and when it
 * arrived (on the receiver's own clock). From those reports the controller
 * estimates the bitrate the path carries (Google Congestion Control,
 * draft-ietf-rmcat-gcc: a delay-gradient detector and an AIMD controller,
 * capped by a loss-based controller) and splits it between audio and the
 * simulcast video layers. docs/RATE.md explains the choices.
 *
 * Sans-I/O like the rest of the core: no clock, no sockets, no globals;
 * every history is a ring with a cap fixed at vc_rate_new.
 */
#ifndef VC_RATE_H
#define VC_RATE_H

#include <vc/vc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Simulcast layers the allocator can choose from, lowest first. */
#define VC_RATE_MAX_LAYERS 4
/* Most per-packet entries one vc_rate_on_feedback call may carry. */
#define VC_RATE_MAX_FEEDBACK 2048
/* Bounds of vc_rate_settings.history_len (packets remembered). */
#define VC_RATE_MIN_HISTORY 64
#define VC_RATE_MAX_HISTORY 16384

typedef struct vc_rate vc_rate;

typedef struct vc_rate_settings {
  /* The target never leaves [min_bitrate_bps, max_bitrate_bps]. Defaults:
   * 50 kbps (Opus at 16 kbps plus a thin lowest layer), 2.5 Mbps (all
   * three default layers plus full-rate audio fit) and a start of
   * 800 kbps (two layers; a safe first guess for a home connection). */
  uint32_t min_bitrate_bps;
  uint32_t max_bitrate_bps;
  uint32_t start_bitrate_bps;
  /* Opus range. Audio gets its minimum before video gets anything and its
   * maximum once the lowest video layer is covered. Defaults 16000 and
   * 64000. */
  uint32_t audio_min_bps;
  uint32_t audio_max_bps;
  /* Default 1 each. With video off the whole target may go to audio. */
  int audio_enabled;
  int video_enabled;
  /* Nominal bitrate of each simulcast layer, lowest first. Default three
   * layers: 150 kbps (180p), 500 kbps (360p), 1.5 Mbps (720p). */
  size_t n_layers;
  uint32_t layer_bps[VC_RATE_MAX_LAYERS];
  /* A layer is added only when the video budget exceeds its cumulative
   * nominal by this much (default 10 %, so that all three default layers
   * come back under the default maximum) for layer_up_hold_ms (default
   * 1000 ms); it is dropped as soon as the budget no longer covers it. A
   * new controller starts with every layer its start bitrate covers. */
  uint32_t layer_up_margin_pct;
  uint32_t layer_up_hold_ms;
  /* Sent packets remembered for feedback: default 4096 (about 10 s at the
   * maximum rate), clamped to [VC_RATE_MIN_HISTORY, VC_RATE_MAX_HISTORY],
   * which stays below half the 16-bit sequence space. */
  size_t history_len;
} vc_rate_settings;

/* Fills |s| with the defaults above. */
void vc_rate_settings_default(vc_rate_settings *s);

/*
 * Returns 0 and sets |*prc|, VC_ERR_INVALID_ARGUMENT (min > max, min 0,
 * no layers with video on, a layer of 0 bps, audio_min > audio_max) or
 * VC_ERR_NOMEM. The start bitrate is clamped into [min, max]. |s| is
 * copied; NULL means the defaults.
 */
int vc_rate_new(vc_rate **prc, const vc_rate_settings *s);
void vc_rate_del(vc_rate *rc);

/*
 * A media packet of |size_bytes| (everything the path carries: headers
 * included) with transport-wide sequence |seq| left at |ts|. Sequences
 * count up by one per packet and wrap at 2^16 (a sequence that does not
 * move forward is refused). Returns 0, or VC_ERR_INVALID_ARGUMENT when
 * |ts| goes backwards or the size is 0 or over 64 KiB (the packet is then
 * not remembered). Also the feedback watchdog: after 1 s + 2 RTT of
 * sending with no report at all, the target halves, and again after each
 * further such period.
 */
int vc_rate_on_packet_sent(vc_rate *rc, uint16_t seq, size_t size_bytes,
                           vc_tstamp ts);

/* One packet's fate as the receiver reports it. */
typedef struct vc_rate_feedback {
  uint16_t seq;        /* transport-wide sequence of the packet */
  uint8_t received;    /* 0: the receiver declares it lost */
  uint64_t arrival_us; /* receiver's clock; any origin; ignored if lost */
} vc_rate_feedback;

/*
 * The receiver's report on |n| packets, at |ts| (the sender's clock).
 * Entries are expected in sequence order; each packet counts once. Entries
 * for unknown or already reported sequences are skipped and counted;
 * arrivals earlier than an earlier group's are used for loss only; a jump
 * of the arrival clock by more than 3 s against the send clock restarts
 * the delay detector (all counted in vc_rate_stats). Returns the number
 * of entries used, or VC_ERR_INVALID_ARGUMENT, using nothing, for NULL
 * with n > 0, n > VC_RATE_MAX_FEEDBACK or |ts| going backwards. |fb| is
 * not kept.
 */
int vc_rate_on_feedback(vc_rate *rc, const vc_rate_feedback *fb, size_t n,
                        vc_tstamp ts);

/* A round-trip time measured by the transport. Values of 0 or over 10 s
 * are ignored (VC_ERR_INVALID_ARGUMENT). Default before any: 100 ms. */
int vc_rate_on_rtt(vc_rate *rc, uint32_t rtt_us);

/*
 * An aggregate loss report (control.proto StreamReport: the deltas of
 * packets_received and packets_lost since the previous report), for paths
 * without per-packet feedback. Feeds only the loss-based controller; do
 * not also report the same packets through vc_rate_on_feedback, or their
 * loss counts twice.
 * Returns 0 or VC_ERR_INVALID_ARGUMENT (both 0, or over 100000 packets).
 */
int vc_rate_on_loss_report(vc_rate *rc, uint32_t n_received, uint32_t n_lost,
                           vc_tstamp ts);

/* The target total send bitrate (all media, headers included), bps. */
uint32_t vc_rate_target(const vc_rate *rc);

typedef struct vc_rate_alloc {
  uint32_t audio_bps;
  uint32_t video_bps; /* sum of layer_bps */
  size_t n_layers;    /* layers to send: 0 .. n_layers-1; 0 if video off */
  uint32_t layer_bps[VC_RATE_MAX_LAYERS]; /* per sent layer, else 0 */
} vc_rate_alloc;

/* How to spend the target now. Never fails. */
void vc_rate_allocation(const vc_rate *rc, vc_rate_alloc *out);

typedef enum vc_rate_usage {
  VC_RATE_NORMAL = 0,
  VC_RATE_UNDERUSE = 1, /* queues are draining */
  VC_RATE_OVERUSE = 2   /* queues are growing: the path is full */
} vc_rate_usage;

typedef struct vc_rate_stats {
  uint32_t target_bps;
  uint32_t delay_based_bps;  /* the AIMD controller's estimate */
  uint32_t loss_cap_bps;     /* the loss controller's cap (max: none) */
  uint32_t receive_rate_bps; /* measured from feedback; 0: not yet */
  vc_rate_usage usage;
  double trend_ms;        /* the detector's modified trend */
  double threshold_ms;    /* its adaptive threshold */
  uint32_t loss_permille; /* last loss window */
  uint32_t rtt_us;
  uint64_t n_sent, n_acked, n_lost;
  uint64_t n_overuse;     /* overuse episodes */
  uint64_t n_unknown_seq; /* feedback for a packet not remembered */
  uint64_t n_duplicate;   /* feedback for a packet already reported */
  uint64_t n_reordered;   /* arrivals earlier than an earlier group's */
  uint64_t n_bad_input;   /* rejected calls and absurd values */
  uint64_t n_resets;      /* arrival clock jumps that reset the detector */
  uint64_t n_feedback_timeouts; /* halvings for want of any report */
} vc_rate_stats;

void vc_rate_get_stats(const vc_rate *rc, vc_rate_stats *out);

/*
 * CPU adaptation (src/rate/cpu_adaptation.c), as WebRTC's overuse frame
 * detector: the encoder's own time says whether the machine keeps up.
 * Every check_interval_ms the encode usage is the time spent encoding
 * (wall clock, from a frame handed to the encoders to its last layer out,
 * summed over layers) over the time that passed. Over high_usage_pct on
 * overuse_checks checks in a row, or more than dropped_pct of frames
 * dropped before the encoder in one, or the engine's own timers running
 * late by more than lag_pct of the time (vc_cpu_adaptation_on_lag) on
 * overuse_checks checks in a row, is overuse: one level down. Under
 * low_usage_pct with no drops is underuse: one level up, but only after
 * up_wait_ms since the last step down; a step down soon after a step up
 * (within twice that wait) doubles the wait, to at most 8 times, so a
 * machine at the edge does not flap.
 */
typedef struct vc_cpu_adaptation vc_cpu_adaptation;

/* Levels: what the sender encodes at each (vc_cpu_adaptation_target). */
#define VC_CPU_MAX_LEVEL 3

typedef struct vc_cpu_adaptation_settings {
  uint32_t high_usage_pct;    /* default 85 */
  uint32_t low_usage_pct;     /* default 42 */
  uint32_t dropped_pct;       /* default 15 */
  uint32_t lag_pct;           /* default 10 */
  uint32_t check_interval_ms; /* default 2000 */
  uint32_t overuse_checks;    /* default 2 */
  uint32_t up_wait_ms;        /* default 10000 */
} vc_cpu_adaptation_settings;

void vc_cpu_adaptation_settings_default(vc_cpu_adaptation_settings *s);

/* Returns 0, VC_ERR_INVALID_ARGUMENT (low >= high, a zero interval or
 * count, high over 1000) or VC_ERR_NOMEM. NULL settings: the defaults. */
int vc_cpu_adaptation_new(vc_cpu_adaptation **pca,
                          const vc_cpu_adaptation_settings *s);
void vc_cpu_adaptation_del(vc_cpu_adaptation *ca);

/*
 * A frame was encoded: the encoders spent |encode_us| on it, reported at
 * |ts|. Runs the check when one is due. Returns 1 when the level changed,
 * 0 when not, VC_ERR_INVALID_ARGUMENT when |ts| goes backwards (ignored).
 */
int vc_cpu_adaptation_on_frame(vc_cpu_adaptation *ca, uint32_t encode_us,
                               vc_tstamp ts);

/* A frame dropped before the encoders because they were behind. Same
 * returns. */
int vc_cpu_adaptation_on_dropped(vc_cpu_adaptation *ca, vc_tstamp ts);

/* The caller's thread ran |late_us| late, at |ts|: in the browser, the
 * loudspeaker played that much silence waiting for the engine. Same
 * returns. */
int vc_cpu_adaptation_on_lag(vc_cpu_adaptation *ca, uint32_t late_us,
                             vc_tstamp ts);

typedef struct vc_cpu_adaptation_target {
  uint32_t level;        /* 0 (full) .. VC_CPU_MAX_LEVEL */
  uint32_t scale_pct;    /* of each layer's size: 100, 67, 50, 50 */
  uint32_t max_fps;      /* 30, 30, 30, 15 */
  uint32_t usage_pct;    /* of the last check */
  uint32_t lag_pct;      /* of the last check */
  uint64_t n_down, n_up; /* steps taken */
} vc_cpu_adaptation_target;

void vc_cpu_adaptation_get_target(const vc_cpu_adaptation *ca,
                                  vc_cpu_adaptation_target *out);

#ifdef __cplusplus
}
#endif

#endif /* VC_RATE_H */

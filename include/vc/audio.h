/*
 * audio.h: the core's audio path (docs/AUDIO.md). An Opus encoder with
 * in-band FEC and DTX; an Opus decoder with loss concealment; and a jitter
 * buffer built the NetEQ way: a bounded packet buffer, a delay manager that
 * sets the target from the distribution of arrival delay, and decision
 * logic that plays, conceals, merges, accelerates or stretches in 10 ms
 * pulls that advance its clock. Samples are 16-bit mono at 48 kHz.
 *
 * Like the rest of the core it never reads a clock: arrival and pull times
 * are passed in as vc_tstamp. Nothing here is thread-safe; one object per
 * thread (in the browser: per AudioWorklet).
 */
#ifndef VC_AUDIO_H
#define VC_AUDIO_H

#include <vc/vc.h>
#include <vc/wire.h> /* VC_AUDIO_LEVEL_SILENT */

#ifdef __cplusplus
extern "C" {
#endif

#define VC_AUDIO_SAMPLE_RATE_HZ 48000
/* One pull: 10 ms at 48 kHz. */
#define VC_AUDIO_PULL_SAMPLES 480
/* The longest Opus packet (120 ms) in samples. */
#define VC_AUDIO_MAX_PACKET_SAMPLES 5760
/* Largest encoded packet the core accepts or makes (Opus allows 1275 per
 * frame; a 20 ms mono packet at 128 kbps is 320). */
#define VC_AUDIO_MAX_PACKET_LEN 1500

/* ---- encoder ------------------------------------------------------------ */

typedef struct vc_audio_encoder vc_audio_encoder;

typedef struct vc_audio_encoder_settings {
  int sample_rate_hz;    /* of the input: 8000, 16000, 24000 or 48000 */
  int frame_ms;          /* 10 or 20 */
  int bitrate_bps;       /* 6000 .. 128000; rate control changes it */
  int fec;               /* in-band forward error correction on */
  int dtx;               /* discontinuous transmission in silence */
  int expected_loss_pct; /* tunes how much FEC the encoder spends */
  int complexity;        /* 0 .. 10 */
} vc_audio_encoder_settings;

/* Defaults: 48 kHz, 20 ms, 32 kbps, FEC on, DTX on, 10 % loss expected,
 * complexity 9 (the browser may lower it). */
void vc_audio_encoder_settings_default(vc_audio_encoder_settings *s);

/* VC_ERR_INVALID_ARGUMENT for settings out of range, VC_ERR_NOMEM. */
int vc_audio_encoder_new(vc_audio_encoder **pe,
                         const vc_audio_encoder_settings *s);
void vc_audio_encoder_del(vc_audio_encoder *e);

/* Samples per frame at the input rate (e.g. 960 for 20 ms at 48 kHz). */
size_t vc_audio_encoder_frame_samples(const vc_audio_encoder *e);

/*
 * Encodes one frame (exactly vc_audio_encoder_frame_samples() samples of
 * |pcm|) into |dest|. Returns the packet length; a packet of at most 2
 * bytes is a DTX packet (vc_audio_packet_is_dtx): the sender transmits the
 * first of a run and may skip the rest. VC_ERR_NOBUF when |destlen| is too
 * small (VC_AUDIO_MAX_PACKET_LEN always suffices).
 */
vc_ssize vc_audio_encode(vc_audio_encoder *e, const int16_t *pcm, uint8_t *dest,
                         size_t destlen);

int vc_audio_encoder_set_bitrate(vc_audio_encoder *e, int bitrate_bps);
int vc_audio_encoder_set_expected_loss(vc_audio_encoder *e, int pct);

/* Nonzero for a packet that carries no speech (Opus DTX, <= 2 bytes). */
int vc_audio_packet_is_dtx(size_t len);

/*
 * Samples at 48 kHz that the Opus packet |data| holds, or
 * VC_ERR_MALFORMED when it is not a valid Opus packet of one channel.
 */
int vc_audio_packet_samples(const uint8_t *data, size_t len);

/*
 * The level of |n| samples in -dBov, as RFC 6464 and the routing header
 * carry it: 0 is the loudest, VC_AUDIO_LEVEL_SILENT (127) silence.
 */
uint32_t vc_audio_level(const int16_t *pcm, size_t n);

/* ---- sender ------------------------------------------------------------- */

/*
 * The send side of one microphone: encodes 20 ms frames, numbers them on
 * the media clock (48 kHz samples, advancing while muted too), and decides
 * what goes on the wire: of a run of DTX packets only the first (it tells
 * receivers the silence is on purpose), and when muted, silence until one
 * DTX packet has gone, then nothing.
 */
typedef struct vc_audio_sender vc_audio_sender;

/* |s|: the encoder settings (NULL: defaults). VC_ERR_INVALID_ARGUMENT,
 * VC_ERR_NOMEM. */
int vc_audio_sender_new(vc_audio_sender **ps,
                        const vc_audio_encoder_settings *s);
void vc_audio_sender_del(vc_audio_sender *s);
size_t vc_audio_sender_frame_samples(const vc_audio_sender *s);

/* One packet to send, or none. */
typedef struct vc_audio_packet {
  uint64_t timestamp;   /* first sample, 48 kHz */
  uint32_t audio_level; /* of the frame, for the routing header */
  size_t len;           /* 0: send nothing for this frame */
} vc_audio_packet;

/*
 * Encodes the next frame (vc_audio_sender_frame_samples() samples; NULL
 * when muted) into |dest|. Returns 0 with |out| filled, or VC_ERR_NOBUF.
 */
int vc_audio_sender_encode(vc_audio_sender *s, const int16_t *pcm,
                           uint8_t *dest, size_t destlen, vc_audio_packet *out);
vc_audio_encoder *vc_audio_sender_encoder(vc_audio_sender *s);

/* ---- decoder ------------------------------------------------------------ */

typedef struct vc_audio_decoder vc_audio_decoder;

/* Decodes at 48 kHz mono. VC_ERR_NOMEM. */
int vc_audio_decoder_new(vc_audio_decoder **pd);
void vc_audio_decoder_del(vc_audio_decoder *d);

/*
 * Decodes |data| into |pcm| (capacity |cap| samples). With |data| NULL
 * conceals |n| samples of a lost packet (a multiple of 2.5 ms). With
 * |fec| set, recovers the |n| samples before |data| from its in-band FEC
 * (plain concealment when it carries none). Returns samples written,
 * VC_ERR_MALFORMED (output zeroed) or VC_ERR_NOBUF.
 */
int vc_audio_decode(vc_audio_decoder *d, const uint8_t *data, size_t len,
                    int fec, int16_t *pcm, size_t n, size_t cap);

/* ---- jitter buffer ------------------------------------------------------ */

typedef struct vc_jitter vc_jitter;

typedef struct vc_jitter_settings {
  size_t max_packets;    /* packet buffer cap; a full buffer is flushed */
  uint32_t min_delay_ms; /* floor for the target (lip sync, RTT-based) */
  uint32_t max_delay_ms; /* ceiling for the target */
  double delay_quantile; /* of relative arrival delay, e.g. 0.95 */
  int time_stretch;      /* 0: never accelerate or stretch (baseline) */
} vc_jitter_settings;

/* Defaults: 100 packets (2 s of 20 ms packets), min 0, max 1000 ms,
 * quantile 0.95, time stretching on. */
void vc_jitter_settings_default(vc_jitter_settings *s);

/* VC_ERR_INVALID_ARGUMENT, VC_ERR_NOMEM. */
int vc_jitter_new(vc_jitter **pj, const vc_jitter_settings *s);
/* Frees |j| and everything it holds; NULL is fine. */
void vc_jitter_del(vc_jitter *j);

/*
 * One received Opus packet whose first sample is at |timestamp| (the
 * sender's media clock, in 48 kHz samples), arrived at |ts|. The payload
 * is copied. Returns 0; VC_ERR_MALFORMED (not Opus, or longer than
 * VC_AUDIO_MAX_PACKET_LEN) and nothing is kept. Late packets, duplicates
 * and overflow are not errors: they are counted in the stats.
 */
int vc_jitter_insert(vc_jitter *j, uint64_t timestamp, const uint8_t *data,
                     size_t len, vc_tstamp ts);

/*
 * Writes the next VC_AUDIO_PULL_SAMPLES samples of playout into |pcm|: the
 * caller's audio clock asks every 10 ms at |ts|. Silence before the first
 * packet. Returns VC_AUDIO_PULL_SAMPLES.
 */
int vc_jitter_pull(vc_jitter *j, int16_t *pcm, vc_tstamp ts);

/* What the last pull did (counted per pull in the stats too). */
typedef enum vc_jitter_op {
  VC_JITTER_OP_NONE,       /* silence before the first packet */
  VC_JITTER_OP_NORMAL,     /* decoded as it came */
  VC_JITTER_OP_EXPAND,     /* concealed a missing or late packet */
  VC_JITTER_OP_MERGE,      /* decoded after concealment, blended in */
  VC_JITTER_OP_ACCELERATE, /* removed a pitch period: too much buffered */
  VC_JITTER_OP_PREEMPTIVE, /* added a pitch period: too little buffered */
  VC_JITTER_OP_FEC,        /* recovered a lost packet from the next's FEC */
  VC_JITTER_OP_CNG         /* comfort noise while the sender is in DTX */
} vc_jitter_op;

/* webrtc-stats names (RTCInboundRtpStreamStats), in samples and seconds. */
typedef struct vc_jitter_stats {
  double jitter_buffer_delay_s;         /* jitterBufferDelay */
  uint64_t jitter_buffer_emitted_count; /* jitterBufferEmittedCount */
  double jitter_buffer_target_delay_s;  /* jitterBufferTargetDelay */
  uint64_t total_samples_received;      /* totalSamplesReceived */
  uint64_t concealed_samples;           /* concealedSamples */
  uint64_t silent_concealed_samples;    /* silentConcealedSamples */
  uint64_t concealment_events;          /* concealmentEvents */
  uint64_t inserted_samples_for_deceleration;
  uint64_t removed_samples_for_acceleration;
  uint64_t packets_received;
  uint64_t packets_discarded; /* late, or flushed when the buffer was full */
  uint64_t packets_duplicated;
  uint64_t fec_packets_recovered;
  uint64_t buffer_flushes;
  uint32_t target_delay_ms;  /* now */
  uint32_t current_delay_ms; /* buffered now */
  vc_jitter_op last_op;
} vc_jitter_stats;

void vc_jitter_get_stats(const vc_jitter *j, vc_jitter_stats *out);

/* Changes the target's floor (e.g. to the RTT when retransmission is on,
 * or for lip sync with video). */
void vc_jitter_set_min_delay(vc_jitter *j, uint32_t min_delay_ms);

/* The sender timestamp of the next sample a pull returns (NetEQ's
 * playout timestamp), for lip sync; 0 before the first packet. */
uint64_t vc_jitter_playout_timestamp(const vc_jitter *j);

/* ---- mixer --------------------------------------------------------------- */

/*
 * Everyone's audio for one loudspeaker: a jitter buffer per sender, made
 * on the first packet, pulled and mixed in 10 ms. At most |max_streams|
 * senders at once (the server forwards the three loudest in large rooms);
 * a new sender beyond that replaces the one heard least recently.
 */
typedef struct vc_audio_mixer vc_audio_mixer;

/* |js|: settings for each jitter buffer (NULL: defaults). */
int vc_audio_mixer_new(vc_audio_mixer **pm, size_t max_streams,
                       const vc_jitter_settings *js);
void vc_audio_mixer_del(vc_audio_mixer *m);

/* A packet from |sender|: as vc_jitter_insert. VC_ERR_NOMEM when a new
 * stream cannot be made (the packet is dropped). */
int vc_audio_mixer_insert(vc_audio_mixer *m, uint32_t sender,
                          uint64_t timestamp, const uint8_t *data, size_t len,
                          vc_tstamp ts);
/* The next 10 ms of everyone, mixed (saturating), into |pcm|. */
int vc_audio_mixer_pull(vc_audio_mixer *m, int16_t *pcm, vc_tstamp ts);
/* |sender| left: its buffer is freed. */
void vc_audio_mixer_remove(vc_audio_mixer *m, uint32_t sender);
size_t vc_audio_mixer_streams(const vc_audio_mixer *m);
/* Stats of |sender|'s buffer and the level of its last 10 ms played;
 * VC_ERR_STATE when there is none. */
int vc_audio_mixer_stats(const vc_audio_mixer *m, uint32_t sender,
                         vc_jitter_stats *out, uint32_t *level);

#ifdef __cplusplus
}
#endif

#endif /* VC_AUDIO_H */

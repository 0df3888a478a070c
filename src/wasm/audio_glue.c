/*
 * audio_glue.c: the meeting's audio for JavaScript. web/js/audio/ moves
 * PCM only: 10 ms of microphone in (vcw_audio_send), 10 ms of everyone
 * out (vcw_audio_pull) each time the playout worklet asks. Opus, the
 * jitter buffers, mixing and sealing happen here, in the core; received
 * audio never leaves WASM as packets.
 *
 * Times are performance.now() milliseconds, the same clock the meeting
 * runs on, so arrival and pull times compare.
 */
#include <string.h>

#include <vc/audio.h>
#include <vc/meeting.h>
#include <vc/wire.h>

#include "glue.h"

/* Streams mixed at once: the server forwards three voices in large
 * rooms; a few more cover speakers changing places. */
#define MAX_VOICES 8
/* Opus frames of 10 ms, not WebRTC's 20: a frame's first sample waits a
 * whole frame before it can be sent, and the receiver's jitter buffer
 * keeps a packet's worth more than the delay it measures, so 20 ms
 * frames cost about 20 ms more mouth to ear than 10 ms ones. The price
 * is twice the packets (100 a second; some 20 kbit/s more in headers and
 * seals), which a voice call affords. */
#define FRAME_MS 10

/* Exported (src/wasm/exports.txt). */
int vcw_audio_start(vcw_meeting *w);
int vcw_audio_frame_samples(void);
int16_t *vcw_audio_in(vcw_meeting *w);
int vcw_audio_send(vcw_meeting *w, int muted, double ts_ms);
const int16_t *vcw_audio_pull(vcw_meeting *w, double ts_ms);
int vcw_audio_stats(vcw_meeting *w, uint32_t session_id, double *out);

/* Samples JS hands over per vcw_audio_send (480: 10 ms at 48 kHz). */
int vcw_audio_frame_samples(void) {
  return VC_AUDIO_SAMPLE_RATE_HZ / 1000 * FRAME_MS;
}

int vcw_audio_start(vcw_meeting *w) {
  vc_audio_encoder_settings s;
  int rv;

  if (w->sender) {
    return 0;
  }
  vc_audio_encoder_settings_default(&s);
  s.frame_ms = FRAME_MS;
  rv = vc_audio_sender_new(&w->sender, &s);
  if (rv != 0) {
    return rv;
  }
  rv = vc_audio_mixer_new(&w->mixer, MAX_VOICES, NULL);
  if (rv != 0) {
    vc_audio_sender_del(w->sender);
    w->sender = NULL;
  }
  return rv;
}

void vcw__audio_free(vcw_meeting *w) {
  vc_audio_sender_del(w->sender);
  vc_audio_mixer_del(w->mixer);
  w->sender = NULL;
  w->mixer = NULL;
}

/* Where JS writes the next frame of microphone (vcw_audio_frame_samples
 * samples; the buffer holds up to 20 ms). */
int16_t *vcw_audio_in(vcw_meeting *w) {
  return w->pcm_in;
}

/* Encodes vcw_audio_in (or silence when |muted|) and queues the packet
 * for the meeting. 1: a packet was queued; 0: nothing to send (a DTX run
 * or not in the meeting); negative: an error. */
int vcw_audio_send(vcw_meeting *w, int muted, double ts_ms) {
  vc_audio_packet p;
  vc_media_frame f;
  int rv;

  if (!w->sender) {
    return VC_ERR_STATE;
  }
  rv = vc_audio_sender_encode(w->sender, muted ? NULL : w->pcm_in, w->packet,
                              sizeof(w->packet), &p);
  if (rv != 0 || p.len == 0) {
    return rv;
  }
  memset(&f, 0, sizeof(f));
  f.kind = VC_STREAM_KIND_AUDIO;
  f.audio_level = p.audio_level;
  f.timestamp_us = p.timestamp * 125 / 6; /* 48 kHz samples to us */
  rv = vc_meeting_send_media(w->m, &f, w->packet, p.len, vcw__to_ts(ts_ms));
  return rv == 0 ? 1 : rv == VC_ERR_STATE ? 0 : rv;
}

/* 1 when |session_id| has said they are muted. */
static int is_muted(const vcw_meeting *w, uint32_t session_id) {
  const vc_participant *p = vc_meeting_find(w->m, session_id);
  return p && p->state.audio_muted;
}

void vcw__audio_on_media(vcw_meeting *w, const vc_meeting_event *ev) {
  uint64_t timestamp;

  if (!w->mixer || ev->route.kind != VC_STREAM_KIND_AUDIO ||
      is_muted(w, ev->session_id)) {
    return;
  }
  /* The sender's media clock back in 48 kHz samples. */
  timestamp = ev->route.timestamp_us * 6 / 125;
  (void)vc_audio_mixer_insert(w->mixer, ev->session_id, timestamp, ev->media,
                              ev->media_len, w->now);
}

/* Someone's media state changed. Muted means silent here at once: what
 * their codec and our jitter buffer still hold (its comfort noise, the
 * tail of the last word) is dropped rather than played after the mute
 * everyone sees. */
void vcw__audio_on_updated(vcw_meeting *w, uint32_t session_id) {
  if (w->mixer && is_muted(w, session_id)) {
    vc_audio_mixer_remove(w->mixer, session_id);
  }
}

void vcw__audio_on_left(vcw_meeting *w, uint32_t session_id) {
  if (w->mixer) {
    vc_audio_mixer_remove(w->mixer, session_id);
  }
}

/* The next 10 ms of everyone (480 samples at 48 kHz). */
const int16_t *vcw_audio_pull(vcw_meeting *w, double ts_ms) {
  if (!w->mixer) {
    memset(w->pcm_out, 0, sizeof(w->pcm_out));
  } else {
    vc_audio_mixer_pull(w->mixer, w->pcm_out, vcw__to_ts(ts_ms));
  }
  return w->pcm_out;
}

/*
 * What the stats overlay shows for |session_id|'s audio, as 9 doubles:
 * mean jitter-buffer delay (ms), target delay (ms), concealed share (%),
 * packets received, packets discarded, level of the last 10 ms (-dBov),
 * samples received, samples removed or inserted by time stretching,
 * samples concealed.
 */
int vcw_audio_stats(vcw_meeting *w, uint32_t session_id, double *out) {
  vc_jitter_stats st;
  uint32_t level;
  double played;
  int rv;

  if (!w->mixer) {
    return VC_ERR_STATE;
  }
  rv = vc_audio_mixer_stats(w->mixer, session_id, &st, &level);
  if (rv != 0) {
    return rv;
  }
  played = (double)(st.total_samples_received + st.concealed_samples);
  out[0] = st.jitter_buffer_emitted_count
               ? st.jitter_buffer_delay_s * 1e3 /
                     (double)st.jitter_buffer_emitted_count
               : 0;
  out[1] = st.target_delay_ms;
  out[2] = played > 0 ? 100.0 * (double)st.concealed_samples / played : 0;
  out[3] = (double)st.packets_received;
  out[4] = (double)st.packets_discarded;
  out[5] = level;
  out[6] = (double)st.total_samples_received;
  out[7] = (double)(st.removed_samples_for_acceleration +
                    st.inserted_samples_for_deceleration);
  out[8] = (double)st.concealed_samples;
  return 0;
}

/*
 * video_glue.c: the meeting's video for JavaScript. web/js/video/ encodes
 * and decodes with WebCodecs; everything between the encoder's chunks and
 * the decoder's input happens here: sealing and sending
 * (vcw_video_send), and on receipt a frame buffer per sender
 * (src/video/) that reorders, gates deltas on their references and asks
 * the sender for a keyframe after a loss. JS takes decodable frames with
 * vcw_video_next and draws the newest.
 *
 * Each encoded frame travels as one media frame; its routing header's
 * sequence is the frame id and a delta refers to the frame before it.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/meeting.h>
#include <vc/video.h>
#include <vc/wire.h>

#include "glue.h"

/* Exported (src/wasm/exports.txt). */
int vcw_video_send(vcw_meeting *w, const uint8_t *data, size_t len,
                   int keyframe, double timestamp_us, double ts_ms);
int vcw_video_next(vcw_meeting *w, double ts_ms);
const uint8_t *vcw_video_out(vcw_meeting *w);
uint32_t vcw_video_out_sender(vcw_meeting *w);
int vcw_video_out_keyframe(vcw_meeting *w);
void vcw_video_decoder_failed(vcw_meeting *w, uint32_t sender, double ts_ms);
int vcw_video_stats(vcw_meeting *w, uint32_t sender, double *out);

int vcw_video_send(vcw_meeting *w, const uint8_t *data, size_t len,
                   int keyframe, double timestamp_us, double ts_ms) {
  vc_media_frame f;
  int rv;

  memset(&f, 0, sizeof(f));
  f.kind = VC_STREAM_KIND_VIDEO;
  f.keyframe = keyframe ? 1 : 0;
  f.audio_level = VC_AUDIO_LEVEL_SILENT;
  f.timestamp_us = timestamp_us <= 0 ? 0 : (uint64_t)timestamp_us;
  rv = vc_meeting_send_media(w->m, &f, data, len, vcw__to_ts(ts_ms));
  return rv == 0 ? 1 : rv == VC_ERR_STATE ? 0 : rv;
}

static vcw_video_rx *find(vcw_meeting *w, uint32_t sender) {
  size_t i;
  for (i = 0; i < VCW_MAX_VIDEO_SENDERS; i++) {
    if (w->video[i].fb && w->video[i].sender == sender) {
      return &w->video[i];
    }
  }
  return NULL;
}

static void forget(vcw_video_rx *rx) {
  vc_video_fb_del(rx->fb);
  memset(rx, 0, sizeof(*rx));
}

/* A place for a new sender: a free one, or the one seen least recently. */
static vcw_video_rx *place_for(vcw_meeting *w) {
  vcw_video_rx *oldest = &w->video[0];
  size_t i;
  for (i = 0; i < VCW_MAX_VIDEO_SENDERS; i++) {
    if (!w->video[i].fb) {
      return &w->video[i];
    }
    if (w->video[i].last_seen < oldest->last_seen) {
      oldest = &w->video[i];
    }
  }
  forget(oldest);
  return oldest;
}

void vcw__video_on_media(vcw_meeting *w, const vc_meeting_event *ev) {
  vcw_video_rx *rx;
  vc_video_packet p;

  if (ev->route.kind != VC_STREAM_KIND_VIDEO) {
    return;
  }
  rx = find(w, ev->session_id);
  if (!rx) {
    rx = place_for(w);
    if (vc_video_fb_new(&rx->fb, NULL) != 0) {
      return;
    }
    rx->sender = ev->session_id;
  }
  rx->last_seen = w->now;
  memset(&p, 0, sizeof(p));
  p.frame_id = ev->route.sequence;
  p.packet_count = 1;
  p.keyframe = ev->route.keyframe ? 1 : 0;
  if (!p.keyframe) {
    p.refs[0] = ev->route.sequence - 1;
    p.n_refs = 1;
  }
  p.timestamp_us = ev->route.timestamp_us;
  p.data = ev->media;
  p.len = ev->media_len;
  (void)vc_video_fb_insert(rx->fb, &p, w->now);
}

void vcw__video_on_left(vcw_meeting *w, uint32_t session_id) {
  vcw_video_rx *rx = find(w, session_id);
  if (rx) {
    forget(rx);
  }
}

void vcw__video_after_receive(vcw_meeting *w, vc_tstamp ts) {
  vc_subscription *subs;
  size_t i, n;

  if (!w->resubscribe) {
    return;
  }
  w->resubscribe = 0;
  n = vc_meeting_roster_size(w->m);
  subs = calloc(n ? n : 1, sizeof(*subs));
  if (!subs) {
    w->resubscribe = 1; /* try again after the next frame */
    return;
  }
  for (i = 0; i < n; i++) {
    subs[i].session_id = vc_meeting_roster_at(w->m, i)->session_id;
    subs[i].kind = VC_STREAM_KIND_VIDEO;
    subs[i].max_layer = 0;
  }
  (void)vc_meeting_subscribe(w->m, subs, n, ts);
  free(subs);
}

void vcw__video_free(vcw_meeting *w) {
  size_t i;
  for (i = 0; i < VCW_MAX_VIDEO_SENDERS; i++) {
    if (w->video[i].fb) {
      forget(&w->video[i]);
    }
  }
  free(w->video_out);
  w->video_out = NULL;
}

/*
 * Runs every frame buffer's timers (sending the keyframe requests they
 * ask for) and hands out the next decodable frame of any sender: returns
 * its length (bytes at vcw_video_out), 0 when none is due. Call until 0.
 */
int vcw_video_next(vcw_meeting *w, double ts_ms) {
  vc_tstamp ts = vcw__to_ts(ts_ms);
  size_t i;

  if (!w->video_out) {
    w->video_out = malloc(VC_ENVELOPE_MAX_LEN);
    if (!w->video_out) {
      return VC_ERR_NOMEM;
    }
  }
  for (i = 0; i < VCW_MAX_VIDEO_SENDERS; i++) {
    vcw_video_rx *rx = &w->video[i];
    vc_ssize n;
    if (!rx->fb) {
      continue;
    }
    if (vc_video_fb_get_expiry(rx->fb) <= ts) {
      vc_video_fb_handle_expiry(rx->fb, ts);
    }
    if (vc_video_fb_take_keyframe_request(rx->fb, ts)) {
      (void)vc_meeting_request_keyframe(w->m, rx->sender, VC_STREAM_KIND_VIDEO,
                                        0, ts);
    }
    n = vc_video_fb_next_frame_write(rx->fb, w->video_out, VC_ENVELOPE_MAX_LEN,
                                     ts, &w->video_frame);
    if (n > 0) {
      w->video_sender = rx->sender;
      return (int)n;
    }
  }
  return 0;
}

const uint8_t *vcw_video_out(vcw_meeting *w) {
  return w->video_out;
}
uint32_t vcw_video_out_sender(vcw_meeting *w) {
  return w->video_sender;
}
int vcw_video_out_keyframe(vcw_meeting *w) {
  return w->video_frame.keyframe;
}

/* The browser's decoder refused a frame: what follows cannot be decoded
 * until a keyframe, so ask for one now. */
void vcw_video_decoder_failed(vcw_meeting *w, uint32_t sender, double ts_ms) {
  (void)vc_meeting_request_keyframe(w->m, sender, VC_STREAM_KIND_VIDEO, 0,
                                    vcw__to_ts(ts_ms));
}

/* For the stats overlay, 6 doubles: frames received, decoded, dropped,
 * freezes, keyframe requests, mean jitter-buffer delay (ms). */
int vcw_video_stats(vcw_meeting *w, uint32_t sender, double *out) {
  vcw_video_rx *rx = find(w, sender);
  vc_video_stats st;

  if (!rx) {
    return VC_ERR_STATE;
  }
  vc_video_fb_get_stats(rx->fb, &st);
  out[0] = (double)st.frames_received;
  out[1] = (double)st.frames_decoded;
  out[2] = (double)st.frames_dropped;
  out[3] = (double)st.freeze_count;
  out[4] = (double)st.pli_count;
  out[5] = st.jitter_buffer_emitted_count
               ? st.jitter_buffer_delay_s * 1e3 /
                     (double)st.jitter_buffer_emitted_count
               : 0;
  return 0;
}

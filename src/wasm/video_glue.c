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
 * A simulcast camera is one stream per layer, each numbered on its own;
 * the server sends a receiver one layer at a time and switches at a
 * keyframe, where the frame buffer starts over on the new layer. Which
 * layer the page wants of each camera goes in the subscription
 * (vcw_video_want_layer): by default the top one in a call of up to
 * SMALL_CALL people, the bottom one in larger calls until the page says.
 * A camera (VC_STREAM_KIND_VIDEO) and a shared screen
 * (VC_STREAM_KIND_SCREEN) of one sender are two streams with a buffer
 * each.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/meeting.h>
#include <vc/video.h>
#include <vc/wire.h>

#include "glue.h"

/* Exported (src/wasm/exports.txt). */
int vcw_video_send(vcw_meeting *w, const uint8_t *data, size_t len,
                   int keyframe, double timestamp_us, int kind, int layer,
                   double ts_ms);
int vcw_video_want_layer(vcw_meeting *w, uint32_t sender, int layer,
                         double ts_ms);
int vcw_video_next(vcw_meeting *w, double ts_ms);
const uint8_t *vcw_video_out(vcw_meeting *w);
uint32_t vcw_video_out_sender(vcw_meeting *w);
int vcw_video_out_keyframe(vcw_meeting *w);
int vcw_video_out_kind(vcw_meeting *w);
void vcw_video_decoder_failed(vcw_meeting *w, uint32_t sender, int kind,
                              double ts_ms);
int vcw_video_stats(vcw_meeting *w, uint32_t sender, int kind, double *out);

static int is_picture(uint32_t kind) {
  return kind == VC_STREAM_KIND_VIDEO || kind == VC_STREAM_KIND_SCREEN;
}

#define SMALL_CALL 4

int vcw_video_send(vcw_meeting *w, const uint8_t *data, size_t len,
                   int keyframe, double timestamp_us, int kind, int layer,
                   double ts_ms) {
  vc_media_frame f;
  int rv;

  if (!is_picture((uint32_t)kind) || layer < 0 ||
      layer > VC_MAX_SIMULCAST_LAYER) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memset(&f, 0, sizeof(f));
  f.kind = (uint32_t)kind;
  f.layer = (uint32_t)layer;
  f.keyframe = keyframe ? 1 : 0;
  f.audio_level = VC_AUDIO_LEVEL_SILENT;
  f.timestamp_us = timestamp_us <= 0 ? 0 : (uint64_t)timestamp_us;
  rv = vc_meeting_send_media(w->m, &f, data, len, vcw__to_ts(ts_ms));
  return rv == 0 ? 1 : rv == VC_ERR_STATE ? 0 : rv;
}

static vcw_video_rx *find(vcw_meeting *w, uint32_t sender, uint32_t kind) {
  size_t i;
  for (i = 0; i < VCW_MAX_VIDEO_SENDERS; i++) {
    if (w->video[i].fb && w->video[i].sender == sender &&
        w->video[i].kind == kind) {
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

  if (!is_picture(ev->route.kind)) {
    return;
  }
  rx = find(w, ev->session_id, ev->route.kind);
  if (rx && rx->layer != ev->route.layer) {
    if (!ev->route.keyframe) {
      return; /* the old layer's last, or the new one's before its start */
    }
    vc_video_fb_restart(rx->fb); /* the server switched us at this one */
    rx->layer = ev->route.layer;
  }
  if (!rx) {
    rx = place_for(w);
    vc_video_fb_settings fs;
    vc_video_fb_settings_default(&fs);
    /* Latency first: a frame goes to the decoder as soon as it can be
     * decoded; arrival jitter shows as uneven motion, not as delay (each
     * frame waits at most for the next display frame). Measured with
     * bench/glass_to_glass.mjs: 19 ms p50 instead of 35-52 ms with the
     * adaptive render delay, which also cost a display frame of polling. */
    fs.max_render_delay_ms = 0;
    if (vc_video_fb_new(&rx->fb, &fs) != 0) {
      return;
    }
    rx->sender = ev->session_id;
    rx->kind = ev->route.kind;
    rx->layer = ev->route.layer;
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

static uint32_t wished_layer(const vcw_meeting *w, uint32_t sender,
                             size_t roster) {
  size_t i;
  for (i = 0; i < VCW_MAX_LAYER_WISHES; i++) {
    if (w->layer_wish[i].sender == sender) {
      return w->layer_wish[i].layer;
    }
  }
  return roster <= SMALL_CALL ? VC_MAX_SIMULCAST_LAYER : 0;
}

/*
 * The page wants |sender|'s camera at |layer| (its tile's size). The
 * subscription goes out at once when that changes it. Returns 0, or
 * VC_ERR_INVALID_ARGUMENT for a layer over VC_MAX_SIMULCAST_LAYER.
 */
int vcw_video_want_layer(vcw_meeting *w, uint32_t sender, int layer,
                         double ts_ms) {
  size_t i, slot = VCW_MAX_LAYER_WISHES;

  if (sender == 0 || layer < 0 || layer > VC_MAX_SIMULCAST_LAYER) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < VCW_MAX_LAYER_WISHES; i++) {
    if (w->layer_wish[i].sender == sender) {
      if (w->layer_wish[i].layer == (uint32_t)layer) {
        return 0;
      }
      slot = i;
      break;
    }
    if (w->layer_wish[i].sender == 0 && slot == VCW_MAX_LAYER_WISHES) {
      slot = i;
    }
  }
  if (slot == VCW_MAX_LAYER_WISHES) {
    slot = sender % VCW_MAX_LAYER_WISHES; /* full: someone's goes */
  }
  w->layer_wish[slot].sender = sender;
  w->layer_wish[slot].layer = (uint32_t)layer;
  w->resubscribe = 1;
  vcw__video_after_receive(w, vcw__to_ts(ts_ms));
  return 0;
}

void vcw__video_on_left(vcw_meeting *w, uint32_t session_id) {
  vcw_video_rx *rx;
  size_t i;

  for (i = 0; i < VCW_MAX_LAYER_WISHES; i++) {
    if (w->layer_wish[i].sender == session_id) {
      w->layer_wish[i].sender = 0;
    }
  }
  while ((rx = find(w, session_id, VC_STREAM_KIND_VIDEO)) != NULL ||
         (rx = find(w, session_id, VC_STREAM_KIND_SCREEN)) != NULL) {
    forget(rx);
  }
}

void vcw__video_after_receive(vcw_meeting *w, vc_tstamp ts) {
  vc_subscription *subs;
  size_t i, k, n;

  if (!w->resubscribe) {
    return;
  }
  w->resubscribe = 0;
  /* Everyone's screen, and as many cameras as the cap leaves room for
   * (all of them below 500 people). */
  n = vc_meeting_roster_size(w->m);
  subs = calloc(VC_MEETING_MAX_SUBSCRIPTIONS, sizeof(*subs));
  if (!subs) {
    w->resubscribe = 1; /* try again after the next frame */
    return;
  }
  k = 0;
  for (i = 0; i < n && k < VC_MEETING_MAX_SUBSCRIPTIONS; i++) {
    subs[k].session_id = vc_meeting_roster_at(w->m, i)->session_id;
    subs[k++].kind = VC_STREAM_KIND_SCREEN;
  }
  for (i = 0; i < n && k < VC_MEETING_MAX_SUBSCRIPTIONS; i++) {
    subs[k].session_id = vc_meeting_roster_at(w->m, i)->session_id;
    subs[k].max_layer = wished_layer(w, subs[k].session_id, n + 1);
    subs[k++].kind = VC_STREAM_KIND_VIDEO;
  }
  (void)vc_meeting_subscribe(w->m, subs, k, ts);
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
      (void)vc_meeting_request_keyframe(w->m, rx->sender, rx->kind, 0, ts);
    }
    n = vc_video_fb_next_frame_write(rx->fb, w->video_out, VC_ENVELOPE_MAX_LEN,
                                     ts, &w->video_frame);
    if (n > 0) {
      w->video_sender = rx->sender;
      w->video_kind = rx->kind;
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
int vcw_video_out_kind(vcw_meeting *w) {
  return (int)w->video_kind;
}

/* The browser's decoder refused a frame: what follows cannot be decoded
 * until a keyframe, so ask for one now. */
void vcw_video_decoder_failed(vcw_meeting *w, uint32_t sender, int kind,
                              double ts_ms) {
  if (is_picture((uint32_t)kind)) {
    (void)vc_meeting_request_keyframe(w->m, sender, (uint32_t)kind, 0,
                                      vcw__to_ts(ts_ms));
  }
}

/* For the stats overlay, 7 doubles: frames received, decoded, dropped,
 * freezes, keyframe requests, mean jitter-buffer delay (ms), and the
 * simulcast layer arriving now. */
int vcw_video_stats(vcw_meeting *w, uint32_t sender, int kind, double *out) {
  vcw_video_rx *rx = find(w, sender, (uint32_t)kind);
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
  out[6] = (double)rx->layer;
  return 0;
}

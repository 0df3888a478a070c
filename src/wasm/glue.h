/*
 * glue.h: what the files of src/wasm share: the meeting as JavaScript
 * holds it (meeting_glue.c) with the audio it owns (audio_glue.c).
 */
#ifndef VC_WASM_GLUE_H
#define VC_WASM_GLUE_H

#include <vc/audio.h>
#include <vc/control.h>
#include <vc/frame.h>
#include <vc/meeting.h>
#include <vc/video.h>

#define EVENT_QUEUE_LEN 256
#define EVENT_TEXT_LEN 4096

/* One event, as core.js reads it (offsets checked in layout.c). */
typedef struct vcw_event {
  int32_t type;
  uint32_t session_id;
  int32_t reason;
  int32_t code;
  int32_t snapshot;
  int32_t resumed;
  int32_t chat_own;
  uint32_t text_len;
  char text[EVENT_TEXT_LEN + 4]; /* NUL-terminated copy */
} vcw_event;

/* Senders whose video is buffered at once; beyond, the one seen least
 * recently is forgotten (its next frame must be a keyframe). */
#define VCW_MAX_VIDEO_SENDERS 16
/* Cameras whose wanted simulcast layer is remembered: every tile of the
 * largest grid, with room to spare. */
#define VCW_MAX_LAYER_WISHES 64
/* Audio envelopes up to this size may go as WebTransport datagrams
 * (web/js/transport/webtransport.js MAX_DATAGRAM, less the frame prefix). */
#define VCW_DATAGRAM_ENVELOPE_MAX 1096

typedef struct vcw_video_rx {
  uint32_t sender; /* 0: free */
  uint32_t kind;   /* VC_STREAM_KIND_VIDEO or _SCREEN */
  uint32_t layer;  /* the simulcast layer its frames are of now */
  vc_video_fb *fb;
  vc_tstamp last_seen;
} vcw_video_rx;

typedef struct vcw_meeting {
  vc_meeting *m;
  vc_frame_reader frames;
  vcw_event queue[EVENT_QUEUE_LEN];
  size_t head, count;
  uint32_t dropped; /* events lost to a full queue: JS re-reads the roster */
  vcw_event current;
  uint8_t out[VC_FRAME_MAX_HEADER_LEN + VC_ENVELOPE_MAX_LEN];
  uint8_t frame_buf[VC_ENVELOPE_MAX_LEN];
  vc_tstamp now;    /* of the bytes being received */
  int out_is_media; /* of the frame in |out| */
  char token_hex[2 * VC_CONTROL_MAX_RESUME_TOKEN_LEN + 1];
  /* Audio (audio_glue.c); NULL until vcw_audio_start. */
  vc_audio_sender *sender;
  vc_audio_mixer *mixer;
  int16_t pcm_in[960];
  int16_t pcm_out[VC_AUDIO_PULL_SAMPLES];
  uint8_t packet[VC_AUDIO_MAX_PACKET_LEN];
  /* Video (video_glue.c): a frame buffer per sender, made on its first
   * frame; the frame handed to JS last. */
  vcw_video_rx video[VCW_MAX_VIDEO_SENDERS];
  int resubscribe; /* the roster changed: subscribe to everyone's video */
  /* The simulcast layer the page wants of each camera (by its tile's
   * size); senders not listed get the default (video_glue.c). */
  struct {
    uint32_t sender; /* 0: free */
    uint32_t layer;
  } layer_wish[VCW_MAX_LAYER_WISHES];
  uint8_t *video_out;
  vc_video_frame video_frame;
  uint32_t video_sender;
  uint32_t video_kind;
} vcw_meeting;

vc_tstamp vcw__to_ts(double ms);
/* meeting_glue.c hands these over instead of queueing them for JS. */
void vcw__audio_on_media(vcw_meeting *w, const vc_meeting_event *ev);
void vcw__audio_on_left(vcw_meeting *w, uint32_t session_id);
void vcw__audio_on_updated(vcw_meeting *w, uint32_t session_id);
void vcw__audio_free(vcw_meeting *w);
void vcw__video_on_media(vcw_meeting *w, const vc_meeting_event *ev);
void vcw__video_on_left(vcw_meeting *w, uint32_t session_id);
/* After a received frame: subscriptions follow the roster. */
void vcw__video_after_receive(vcw_meeting *w, vc_tstamp ts);
void vcw__video_free(vcw_meeting *w);

#endif /* VC_WASM_GLUE_H */

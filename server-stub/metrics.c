/*
 * metrics.c: see metrics.h. One HELP/TYPE pair per metric, so any
 * Prometheus scraper (or a test with grep) reads it.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct out {
  char *buf;
  size_t cap, len;
  int overflow;
} out;

static void emit(out *o, const char *name, const char *type, const char *help,
                 unsigned long long value) {
  int n = snprintf(o->buf + o->len, o->cap - o->len,
                   "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
                   type, name, value);

  if (n < 0 || (size_t)n >= o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
}

int vc_metrics_format(char *buf, size_t cap, const vc_ws_server_stats *st) {
  out o = {buf, cap, 0, 0};

  if (cap == 0) {
    return -1;
  }
  buf[0] = '\0';
  emit(&o, "vc_rooms", "gauge", "Meetings open now.", st->rooms.rooms);
  emit(&o, "vc_participants", "gauge",
       "Participants in all meetings, present or reconnecting.",
       st->rooms.participants);
  emit(&o, "vc_ws_connections", "gauge", "WebSocket connections open now.",
       st->connections);
  emit(&o, "vc_ws_upgrades_total", "counter", "WebSocket connections accepted.",
       st->upgrades);
  emit(&o, "vc_ws_bytes_in_total", "counter", "Bytes read from WebSocket.",
       st->bytes_in);
  emit(&o, "vc_ws_bytes_out_total", "counter", "Bytes queued to WebSocket.",
       st->bytes_out);
  emit(&o, "vc_frames_in_total", "counter", "Envelopes received.",
       st->frames_in);
  emit(&o, "vc_frames_out_total", "counter", "Envelopes sent.", st->frames_out);
  emit(&o, "vc_media_forwarded_total", "counter",
       "Media envelopes forwarded to a receiver.",
       st->rooms.total.media_forwarded);
  emit(&o, "vc_drops_media_slow_reader_total", "counter",
       "Media not sent because the receiver's queue was full.",
       st->media_dropped);
  emit(&o, "vc_drops_control_slow_reader_total", "counter",
       "Control frames refused by a full queue (the participant detached).",
       st->control_refused);
  emit(&o, "vc_drops_media_spoofed_total", "counter",
       "Media claiming another participant's session.",
       st->rooms.total.media_spoofed);
  emit(&o, "vc_drops_media_over_rate_total", "counter",
       "Media over a sender's rate limit (a flood is cut, not multiplied).",
       st->rooms.total.media_over_rate);
  emit(&o, "vc_audio_not_selected_total", "counter",
       "Audio not forwarded: not among the loudest in a large room.",
       st->rooms.total.audio_not_selected);
  emit(&o, "vc_frames_refused_total", "counter",
       "Envelopes a room refused (malformed, out of place).",
       st->rooms.total.frames_refused);
  emit(&o, "vc_ws_protocol_errors_total", "counter",
       "Connections closed for breaking WebSocket or framing rules.",
       st->protocol_errors);
  emit(&o, "vc_ws_refused_too_many_total", "counter",
       "WebSocket connections refused over the connection limit.",
       st->refused_too_many);
  emit(&o, "vc_refused_server_full_total", "counter",
       "Joins refused because the server holds its maximum of meetings.",
       st->rooms.refused_server_full);
  emit(&o, "vc_refused_not_joined_total", "counter",
       "Frames refused because they came before a Join.",
       st->rooms.refused_not_joined);
  emit(&o, "vc_keys_relayed_total", "counter",
       "E2EE key announcements and sealed deliveries passed on.",
       st->rooms.total.keys_relayed);
  emit(&o, "vc_keyframe_requests_forwarded_total", "counter",
       "Keyframe requests passed to a sender.",
       st->rooms.total.keyframe_requests_forwarded);
  emit(&o, "vc_keyframe_requests_coalesced_total", "counter",
       "Keyframe requests merged into one already on its way.",
       st->rooms.total.keyframe_requests_coalesced);
  emit(&o, "vc_resumes_total", "counter", "Sessions resumed after a reconnect.",
       st->rooms.total.resumes);
  emit(&o, "vc_chats_total", "counter", "Chat messages numbered and sent.",
       st->rooms.total.chats);
  return o.overflow ? -1 : (int)o.len;
}

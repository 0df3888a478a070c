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

/* The QUIC limits' counters, in one block (docs/SERVER.md "Limits: QUIC
 * and WebTransport"). */
static void emit_quic_limits(out *o, const vc_quic_limit_stats *q) {
  emit(o, "vc_wt_datagrams_bad_header_total", "counter",
       "Datagrams without a valid quarter stream id: dropped, the "
       "connection stays.",
       q->datagrams_bad_header);
  emit(o, "vc_wt_uni_streams_capped_total", "counter",
       "QUIC connections whose client used up its unidirectional streams "
       "(1000 a connection): no more credit for them.",
       q->uni_streams_capped);
  emit(o, "vc_wt_initials_refused_total", "counter",
       "QUIC Initials refused by the admission control per source address "
       "(rate, connections, handshakes): dropped silently.",
       q->initials_refused);
  emit(o, "vc_wt_initials_rate_limited_total", "counter",
       "Of those, refused for the address's rate of Initials.",
       q->initials_rate_limited);
  emit(o, "vc_wt_retries_sent_total", "counter",
       "QUIC Initials answered with a Retry (address validation under "
       "load).",
       q->retries_sent);
  emit(o, "vc_wt_retry_tokens_bad_total", "counter",
       "QUIC Initials with a Retry token that did not verify: dropped.",
       q->retry_tokens_bad);
  emit(o, "vc_wt_handshakes_evicted_total", "counter",
       "QUIC handshakes not done after 2 s, closed to make room in a "
       "connection table 7/8 full.",
       q->handshakes_evicted);
  emit(o, "vc_wt_packets_over_budget_total", "counter",
       "UDP packets of a QUIC connection over its budget (10000 a second, "
       "burst 2000): dropped before decryption, as congestion would.",
       q->packets_over_budget);
}

static void emit_wt(out *o, const vc_metrics_wt *wt) {
  emit(o, "vc_wt_connections", "gauge", "QUIC connections open now.",
       wt->connections);
  emit(o, "vc_wt_sessions", "gauge", "WebTransport sessions open now.",
       wt->sessions);
  emit(o, "vc_wt_handshakes_total", "counter", "QUIC handshakes completed.",
       wt->handshakes);
  emit(o, "vc_wt_packets_in_total", "counter", "UDP packets received.",
       wt->packets_in);
  emit(o, "vc_wt_packets_out_total", "counter", "UDP packets sent.",
       wt->packets_out);
  emit(o, "vc_wt_bytes_in_total", "counter", "UDP bytes received.",
       wt->bytes_in);
  emit(o, "vc_wt_bytes_out_total", "counter", "UDP bytes sent.", wt->bytes_out);
  emit(o, "vc_wt_packets_dropped_total", "counter",
       "UDP packets received and dropped: empty, malformed, or for no "
       "connection.",
       wt->packets_dropped);
  emit(o, "vc_wt_udp_receive_overflows_total", "counter",
       "UDP packets the kernel dropped before the server read them: the "
       "socket's receive buffer was full (see net.core.rmem_max).",
       wt->udp_overflows);
  emit(o, "vc_wt_datagrams_stale_total", "counter",
       "Datagrams (media) that waited over 200 ms in the server's socket "
       "before it read them: dropped as late, not relayed.",
       wt->datagrams_stale);
  emit(o, "vc_wt_send_failed_total", "counter",
       "UDP packets not sent: the socket's buffer was full (QUIC resends).",
       wt->send_failed);
  emit(o, "vc_wt_refused_too_many_total", "counter",
       "QUIC connections refused over the connection limit.",
       wt->refused_too_many);
  emit(o, "vc_wt_connection_errors_total", "counter",
       "QUIC connections closed on a protocol or TLS error.", wt->conn_errors);
  emit(o, "vc_wt_sessions_accepted_total", "counter",
       "WebTransport sessions accepted.", wt->sessions_accepted);
  emit(o, "vc_wt_sessions_refused_total", "counter",
       "WebTransport sessions refused (path, origin, limits).",
       wt->sessions_refused);
  emit(o, "vc_wt_frames_in_total", "counter",
       "Envelopes received over WebTransport.", wt->frames_in);
  emit(o, "vc_wt_frames_out_total", "counter",
       "Envelopes sent over WebTransport.", wt->frames_out);
  emit(o, "vc_wt_drops_media_slow_reader_total", "counter",
       "Media not sent over WebTransport: the stream's queue was full.",
       wt->media_dropped);
  emit(o, "vc_wt_drops_control_slow_reader_total", "counter",
       "Control frames refused by a full WebTransport stream.",
       wt->control_refused);
  emit(o, "vc_wt_protocol_errors_total", "counter",
       "WebTransport sessions closed for bad framing.", wt->protocol_errors);
  emit(o, "vc_wt_stream_queue_full_total", "counter",
       "Writes refused by a stream's send cap.", wt->stream_queue_full);
  emit(o, "vc_wt_datagrams_dropped_total", "counter",
       "Datagrams dropped by the QUIC layer: its queue full, too large for "
       "the path, or older than 200 ms (includes the slow-reader drops).",
       wt->datagrams_dropped);
  emit(o, "vc_wt_join_timeouts_total", "counter",
       "WebTransport sessions closed for not joining within 10 s.",
       wt->join_timeouts);
  emit(o, "vc_wt_datagrams_in_total", "counter",
       "Envelopes received as datagrams (media).", wt->datagrams_in);
  emit(o, "vc_wt_datagrams_out_total", "counter",
       "Envelopes sent as datagrams (media).", wt->datagrams_out);
  emit(o, "vc_wt_datagrams_malformed_total", "counter",
       "Datagrams that were not one framed envelope: dropped.",
       wt->datagrams_malformed);
  emit_quic_limits(o, &wt->quic_limits);
}

/* ---- limits on rooms and fan-out (issue 20; room_limits.c, rooms.c) --- */

static void append(out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append(out *o, const char *fmt, ...) {
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
}

static void emit_room_limits(out *o, const vc_rooms_stats *rooms) {
  int k;

  append(o, "# HELP vc_rate_limited_total Messages refused over a "
            "participant's rate, by kind (fanout_bytes: over the bytes it "
            "may make the room send to others).\n"
            "# TYPE vc_rate_limited_total counter\n");
  for (k = 0; k < VC_ROOM_LIMIT_KINDS && !o->overflow; k++) {
    append(o, "vc_rate_limited_total{kind=\"%s\"} %llu\n",
           vc_room_limit_name(k),
           (unsigned long long)rooms->total.rate_limited[k]);
  }
  emit(o, "vc_removed_for_flooding_total", "counter",
       "Participants removed from their meeting for too many refusals.",
       rooms->total.removed_for_flooding);
  emit(o, "vc_refused_meetings_per_address_total", "counter",
       "Joins refused: their address already opened as many meetings as "
       "--max-meetings-per-address allows.",
       rooms->refused_per_address);
  emit(o, "vc_meetings_closed_for_opener_total", "counter",
       "Meetings with nobody present closed before their resume grace "
       "ended, because their opener's address, at its cap, opened another.",
       rooms->closed_for_opener);
}

static void emit_server(out *o, const vc_metrics_server *srv) {
  emit(o, "vc_fd_limit", "gauge",
       "File descriptors the process may hold (RLIMIT_NOFILE, raised to "
       "the hard limit at start).",
       srv->fd_limit);
  emit(o, "vc_process_resident_bytes", "gauge",
       "Resident memory of the server (/proc/self/statm).",
       srv->resident_bytes);
  emit(o, "vc_http_connections", "gauge",
       "HTTP connections open now (before any WebSocket upgrade).",
       srv->http_connections);
  emit(o, "vc_http_refused_too_many_total", "counter",
       "HTTP connections answered 503 over --max-connections.",
       srv->http_refused_too_many);
  emit(o, "vc_http_lingering", "gauge",
       "Closed HTTP connections still reading what the client sent after "
       "the last response (at most 2 s), so it gets no reset.",
       srv->http_lingering);
  emit(o, "vc_http_linger_overflow_total", "counter",
       "Connections closed at once because 256 were lingering already.",
       srv->http_linger_closed_at_once);
  emit(o, "vc_accept_errors_total", "counter",
       "accept() failures for want of file descriptors or memory.",
       srv->accept_errors);
  emit(o, "vc_accept_backoffs_total", "counter",
       "Times the listeners rested 0.5 s after such a failure.",
       srv->accept_backoffs);
}

int vc_metrics_format(char *buf, size_t cap, const vc_ws_server_stats *st,
                      const vc_metrics_wt *wt, const vc_metrics_server *srv) {
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
  emit(&o, "vc_ws_connections_prejoin", "gauge",
       "WebSocket connections open now that have not joined (8 KiB "
       "buffers each until they do).",
       st->prejoin);
  emit(&o, "vc_ws_connection_bytes", "gauge",
       "Heap held by the WebSocket connections, as allocated (an upper "
       "estimate: pages never written are not resident).",
       st->buffer_bytes);
  emit(&o, "vc_ws_join_timeouts_total", "counter",
       "WebSocket connections closed for not joining in time (10 s).",
       st->join_timeouts);
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
  emit(&o, "vc_ws_read_budget_spent_total", "counter",
       "Reads from one WebSocket cut short after 64 KiB or 64 messages so "
       "that the event loop serves the others first.",
       st->read_budget_spent);
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
  emit(&o, "vc_drops_video_until_keyframe_total", "counter",
       "Video frames not sent after a receiver's queue dropped one: they "
       "could not be decoded before the next keyframe.",
       st->rooms.total.video_skipped_until_keyframe);
  emit(&o, "vc_drops_video_queue_delay_total", "counter",
       "Video frames not queued for a congested receiver whose queue "
       "already held more than 400 ms at its measured rate.",
       st->rooms.total.video_dropped_queue_delay);
  emit(&o, "vc_congestion_signals_total", "counter",
       "Senders told the rate their most congested receiver takes.",
       st->rooms.total.congestion_signals);
  emit(&o, "vc_simulcast_layer_switches_total", "counter",
       "Receivers moved to another simulcast layer of a sender.",
       st->rooms.total.layer_switches);
  emit(&o, "vc_simulcast_layer_sets_total", "counter",
       "Layer sets sent to simulcast senders (SendLayers).",
       st->rooms.total.layer_sets_sent);
  emit(&o, "vc_simulcast_layer_caps_lowered_total", "counter",
       "Congested receivers moved one simulcast layer lower instead of "
       "slowing the sender down.",
       st->rooms.total.layer_caps_lowered);
  emit(&o, "vc_leave_beacons_total", "counter",
       "Participants removed by their closing page's beacon (POST /leave).",
       st->rooms.total.beacon_leaves);
  emit(&o, "vc_resumes_total", "counter", "Sessions resumed after a reconnect.",
       st->rooms.total.resumes);
  emit(&o, "vc_chats_total", "counter", "Chat messages numbered and sent.",
       st->rooms.total.chats);
  emit_room_limits(&o, &st->rooms);
  if (srv) {
    emit_server(&o, srv);
  }
  if (wt) {
    emit_wt(&o, wt);
  }
  return o.overflow ? -1 : (int)o.len;
}

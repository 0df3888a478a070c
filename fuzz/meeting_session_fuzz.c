/*
 * meeting_session_fuzz.c: fuzz target for a joined vc_meeting fed a
 * script of server frames, clock jumps and transport changes. The input
 * is records of [op][len, 2 bytes little-endian][bytes]:
 *   op % 4 == 0: bytes are a Control message, sent in a control envelope
 *   op % 4 == 1: bytes are a whole frame
 *   op % 4 == 2: the clock moves on by bytes[0] * 100 ms; timers run
 *   op % 4 == 3: the transport breaks, or (when reconnecting) comes back
 * Invariants: nothing crashes or leaks, the roster stays within its cap,
 * and every frame the meeting sends decodes as a valid Control message.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/meeting.h>
#include <vc/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS ((vc_tstamp)1000000)

static void ignore(void *user_data, const vc_meeting_event *ev) {
  (void)user_data;
  if (ev->participant && strlen(ev->participant->user) > 64) {
    abort();
  }
}

static void check_outbox(vc_meeting *m, vc_control_decoder *dec) {
  static uint8_t frame[VC_ENVELOPE_MAX_LEN], payload[VC_ENVELOPE_MAX_LEN];
  Vc__Wire__Control *c;
  vc_route route;
  vc_ssize n, p;

  while ((n = vc_meeting_pop_frame(m, frame, sizeof(frame))) > 0) {
    p = vc_envelope_decode(&route, payload, sizeof(payload), frame, (size_t)n);
    if (p < 0 || vc_control_decode(dec, &c, payload, (size_t)p) != 0) {
      abort(); /* we sent something a server would refuse */
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t frame[VC_ENVELOPE_MAX_LEN];
  static vc_control_decoder *dec;
  vc_meeting_config cfg;
  vc_meeting *m;
  vc_tstamp now = MS;
  vc_route route;

  if (!dec && vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN) != 0) {
    abort();
  }
  memset(&cfg, 0, sizeof(cfg));
  cfg.meeting_id = "room1";
  cfg.user = "alice";
  cfg.display_name = "Alice";
  cfg.on_event = ignore;
  if (vc_meeting_new(&m, &cfg) != 0 || vc_meeting_connected(m, now) != 0) {
    abort();
  }
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_CONTROL;
  while (size >= 3) {
    uint8_t op = data[0];
    size_t len = (size_t)data[1] | (size_t)data[2] << 8;
    vc_ssize n;
    data += 3;
    size -= 3;
    len = len < size ? len : size;
    switch (op % 4) {
    case 0:
      n = vc_envelope_encode(frame, sizeof(frame), &route, data, len);
      if (n > 0) {
        vc_meeting_receive(m, frame, (size_t)n, now);
      }
      break;
    case 1:
      vc_meeting_receive(m, data, len, now);
      break;
    case 2:
      now += (len ? data[0] : 1) * 100 * MS;
      while (vc_meeting_get_expiry(m) <= now) {
        vc_meeting_handle_expiry(m, vc_meeting_get_expiry(m));
      }
      break;
    default:
      if (vc_meeting_get_phase(m) == VC_MEETING_RECONNECTING) {
        vc_meeting_connected(m, now);
      } else {
        vc_meeting_transport_lost(m, now);
      }
      break;
    }
    if (vc_meeting_roster_size(m) > VC_CONTROL_MAX_ROSTER) {
      abort();
    }
    check_outbox(m, dec);
    data += len;
    size -= len;
  }
  vc_meeting_del(m);
  return 0;
}

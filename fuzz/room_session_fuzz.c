/*
 * room_session_fuzz.c: fuzz target for the server's room logic
 * (server-stub/room.c) fed a script from four connections. The input is
 * records of [op][len, 2 bytes little-endian][bytes]; the connection is
 * 1 + (op / 4) % 4:
 *   op % 4 == 0: bytes are a Control message, sent in a control envelope
 *                whose sender is the connection's number
 *   op % 4 == 1: bytes are a whole frame
 *   op % 4 == 2: the clock moves on by bytes[0] * 100 ms; timers run
 *   op % 4 == 3: the connection closes
 * Invariants: nothing crashes or leaks, the room stays within its cap,
 * and every reliable frame it sends decodes as a valid Control message.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "room.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS ((vc_tstamp)1000000)

static vc_control_decoder *dec;

static int on_send(void *user_data, vc_conn_id conn, const uint8_t *frame,
                   size_t len, int reliable) {
  static uint8_t payload[VC_ENVELOPE_MAX_LEN];
  Vc__Wire__Control *c;
  vc_route route;
  vc_ssize p;

  (void)user_data;
  (void)conn;
  p = vc_envelope_decode(&route, payload, sizeof(payload), frame, len);
  if (p < 0 ||
      (reliable && vc_control_decode(dec, &c, payload, (size_t)p) != 0)) {
    abort(); /* the room sent something a client would refuse */
  }
  return 0;
}

static void on_close(void *user_data, vc_conn_id conn) {
  (void)user_data;
  (void)conn;
}

static void on_random(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  memset(buf, 7, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t frame[VC_ENVELOPE_MAX_LEN];
  vc_room_callbacks cb = {on_send, on_close, on_random, NULL, NULL};
  vc_room_limits lim;
  vc_room *r;
  vc_tstamp now = MS;
  vc_route route;

  if (!dec && vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN) != 0) {
    abort();
  }
  vc_room_default_limits(&lim);
  lim.max_participants = 3;
  if (vc_room_new(&r, "room1", &lim, &cb) != 0) {
    abort();
  }
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_CONTROL;
  while (size >= 3) {
    uint8_t op = data[0];
    vc_conn_id conn = 1 + (op / 4) % 4;
    size_t len = (size_t)data[1] | (size_t)data[2] << 8;
    vc_ssize n;
    data += 3;
    size -= 3;
    len = len < size ? len : size;
    switch (op % 4) {
    case 0:
      route.sender_session = (uint32_t)conn;
      n = vc_envelope_encode(frame, sizeof(frame), &route, data, len);
      if (n > 0) {
        vc_room_receive(r, conn, frame, (size_t)n, now);
      }
      break;
    case 1:
      vc_room_receive(r, conn, data, len, now);
      break;
    case 2:
      now += (len ? data[0] : 1) * 100 * MS;
      while (vc_room_get_expiry(r) <= now) {
        vc_room_handle_expiry(r, vc_room_get_expiry(r));
      }
      break;
    default:
      vc_room_conn_closed(r, conn, now);
      break;
    }
    if (vc_room_size(r) > lim.max_participants) {
      abort();
    }
    data += len;
    size -= len;
  }
  vc_room_del(r);
  return 0;
}

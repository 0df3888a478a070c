/*
 * server_rooms_test.c: the registry of meetings (server-stub/rooms.c):
 * a Join picks or opens its room, the room cap is reached with a clear
 * error, empty rooms close, and a connection of a closed room is in none.
 */
#include <stdio.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "rooms.h"
#include "test.h"

#define MS ((vc_tstamp)1000000)

typedef struct rooms_log {
  int errors;
  int last_error;
  int closed;
  vc_control_decoder *dec;
} rooms_log;

static int on_send(void *user_data, vc_conn_id conn, const uint8_t *frame,
                   size_t len, int reliable) {
  static uint8_t payload[VC_ENVELOPE_MAX_LEN];
  rooms_log *w = user_data;
  Vc__Wire__Control *c;
  vc_route route;
  vc_ssize n = vc_envelope_decode(&route, payload, sizeof(payload), frame, len);

  (void)conn;
  if (reliable && n >= 0 &&
      vc_control_decode(w->dec, &c, payload, (size_t)n) == 0 &&
      c->msg_case == VC__WIRE__CONTROL__MSG_ERROR) {
    w->errors++;
    w->last_error = (int)c->error->code;
  }
  return 0;
}

static void on_close(void *user_data, vc_conn_id conn) {
  (void)conn;
  ((rooms_log *)user_data)->closed++;
}

static void on_random(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  memset(buf, 1, len);
}

static size_t join_frame(uint8_t *out, size_t cap, const char *meeting,
                         const char *user) {
  static uint8_t body[1024];
  Vc__Wire__Control ctl;
  Vc__Wire__Join j;
  vc_route route;
  vc_ssize n;

  vc__wire__control__init(&ctl);
  vc__wire__join__init(&j);
  j.protocol_version = VC_WIRE_VERSION;
  j.meeting_id = (char *)(uintptr_t)meeting;
  j.user = (char *)(uintptr_t)user;
  j.display_name = (char *)(uintptr_t)user;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  ctl.join = &j;
  n = vc_control_encode(body, sizeof(body), &ctl);
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_CONTROL;
  n = vc_envelope_encode(out, cap, &route, body, (size_t)n);
  return n > 0 ? (size_t)n : 0;
}

void test_vc_rooms_joins_pick_rooms_up_to_the_cap(void) {
  vc_room_callbacks cb = {on_send, on_close, on_random, NULL, NULL};
  vc_rooms_limits lim;
  vc_rooms_stats st;
  vc_rooms *rs = NULL;
  vc_rooms_conn a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
  rooms_log w;
  uint8_t frame[512];
  size_t len;

  memset(&w, 0, sizeof(w));
  CHECK_INT_EQ(vc_control_decoder_new(&w.dec, VC_CONTROL_ARENA_LEN), 0);
  cb.user_data = &w;
  vc_rooms_default_limits(&lim);
  lim.max_rooms = 2;
  CHECK_INT_EQ(vc_rooms_new(&rs, &lim, &cb), 0);

  /* Anything but a Join first is refused, and opens nothing. */
  CHECK(vc_rooms_receive(rs, &a, (const uint8_t *)"\x08\x01", 2, MS) < 0);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_JOINED);

  len = join_frame(frame, sizeof(frame), "m1", "alice");
  CHECK_INT_EQ(vc_rooms_receive(rs, &a, frame, len, MS), 0);
  len = join_frame(frame, sizeof(frame), "m1", "bob");
  CHECK_INT_EQ(vc_rooms_receive(rs, &b, frame, len, MS), 0);
  CHECK_INT_EQ(a.slot, b.slot);
  len = join_frame(frame, sizeof(frame), "m2", "carol");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c, frame, len, MS), 0);
  CHECK(c.slot != a.slot);
  /* A third meeting is over the cap. */
  len = join_frame(frame, sizeof(frame), "m3", "dave");
  CHECK_INT_EQ(vc_rooms_receive(rs, &d, frame, len, MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_SERVER_FULL);
  vc_rooms_get_stats(rs, &st);
  CHECK_INT_EQ(st.rooms, 2);
  CHECK_INT_EQ(st.participants, 3);
  CHECK_INT_EQ(st.refused_server_full, 1);

  /* carol leaves for good (her transport ends, the grace passes): m2
   * closes, and its slot takes m3. */
  vc_rooms_conn_closed(rs, &c, 2 * MS);
  vc_rooms_handle_expiry(rs, 2 * MS + 10500 * MS);
  vc_rooms_get_stats(rs, &st);
  CHECK_INT_EQ(st.rooms, 1);
  len = join_frame(frame, sizeof(frame), "m3", "dave");
  CHECK_INT_EQ(vc_rooms_receive(rs, &d, frame, len, 2 * MS + 10600 * MS), 0);
  vc_rooms_del(rs);
  vc_control_decoder_del(w.dec);
}

void test_vc_rooms_a_closed_room_leaves_its_connections_in_none(void) {
  vc_room_callbacks cb = {on_send, on_close, on_random, NULL, NULL};
  vc_rooms *rs = NULL;
  vc_rooms_conn a = {.id = 1};
  rooms_log w;
  uint8_t frame[512];
  size_t len;
  vc_tstamp t;

  memset(&w, 0, sizeof(w));
  CHECK_INT_EQ(vc_control_decoder_new(&w.dec, VC_CONTROL_ARENA_LEN), 0);
  cb.user_data = &w;
  CHECK_INT_EQ(vc_rooms_new(&rs, NULL, &cb), 0);
  len = join_frame(frame, sizeof(frame), "m1", "alice");
  CHECK_INT_EQ(vc_rooms_receive(rs, &a, frame, len, MS), 0);
  /* alice goes silent: liveness, then the grace, then the room closes. */
  for (t = MS; t < 20000 * MS; t = vc_rooms_get_expiry(rs)) {
    if (t == UINT64_MAX) {
      break;
    }
    vc_rooms_handle_expiry(rs, t);
  }
  CHECK_INT_EQ(vc_rooms_get_expiry(rs), UINT64_MAX);
  /* Her connection is in no room: a frame that is not a Join is refused. */
  w.last_error = 0;
  CHECK(vc_rooms_receive(rs, &a, (const uint8_t *)"\x08\x01", 2, t) < 0);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_JOINED);
  vc_rooms_del(rs);
  vc_control_decoder_del(w.dec);
}

/* Issue 20: one address opening every meeting locked everyone else out
 * ("server full") until its rooms closed. */
void test_vc_rooms_one_address_opens_its_share_of_meetings(void) {
  vc_room_callbacks cb = {on_send, on_close, on_random, NULL, NULL};
  vc_rooms_limits lim;
  vc_rooms_stats st;
  vc_rooms *rs = NULL;
  vc_rooms_conn c[6];
  rooms_log w;
  uint8_t frame[512];
  char meeting[8];
  size_t len;
  int i;

  memset(&w, 0, sizeof(w));
  memset(c, 0, sizeof(c));
  CHECK_INT_EQ(vc_control_decoder_new(&w.dec, VC_CONTROL_ARENA_LEN), 0);
  cb.user_data = &w;
  vc_rooms_default_limits(&lim);
  CHECK_INT_EQ(lim.max_rooms_per_source, 16);
  lim.max_rooms_per_source = 3;
  CHECK_INT_EQ(vc_rooms_new(&rs, &lim, &cb), 0);
  /* The peer texts of both transports; a /64 is one source. */
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[0], "127.0.0.1:40000"), 0);
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[1], "127.0.0.1:40001"), 0);
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[2], "[2001:db8::1]:40002"), 0);
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[3], "[2001:db8::2]:40003"), 0);
  CHECK(memcmp(c[2].source, c[3].source, 16) == 0);
  CHECK(memcmp(c[0].source, c[2].source, 16) != 0);
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[4], "[::ffff:127.0.0.2]:1"), 0);
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[5], "nonsense"),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rooms_conn_set_source(&c[5], "127.0.0.2:9"), 0);
  CHECK(memcmp(c[4].source, c[5].source, 16) == 0);

  /* 127.0.0.1 opens three meetings, on one connection after another. */
  for (i = 0; i < 3; i++) {
    vc_rooms_conn one = c[0];
    one.id = (vc_conn_id)(10 + i);
    snprintf(meeting, sizeof(meeting), "m%d", i);
    len = join_frame(frame, sizeof(frame), meeting, "mallory");
    CHECK_INT_EQ(vc_rooms_receive(rs, &one, frame, len, MS), 0);
  }
  /* A fourth is refused, with the reason, and counted. */
  c[1].id = 20;
  len = join_frame(frame, sizeof(frame), "m3", "mallory");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[1], frame, len, MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_SERVER_FULL);
  CHECK_INT_EQ(w.closed, 1);
  /* It may still join meetings that are open. */
  c[1].id = 21;
  c[1].slot = 0;
  len = join_frame(frame, sizeof(frame), "m1", "mallory2");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[1], frame, len, MS), 0);
  /* Another address opens its own. */
  c[5].id = 30;
  len = join_frame(frame, sizeof(frame), "m3", "alice");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[5], frame, len, MS), 0);
  vc_rooms_get_stats(rs, &st);
  CHECK_INT_EQ(st.rooms, 4);
  CHECK_INT_EQ(st.refused_per_address, 1);
  CHECK_INT_EQ(st.refused_server_full, 0);
  vc_rooms_del(rs);
  vc_control_decoder_del(w.dec);
}

/* An address at its cap whose own meeting is left empty (its people
 * reconnecting, as just after they closed the tab) opens its next one
 * at once: the empty one closes for it instead of lingering for the
 * resume grace. One with someone present stays. */
void test_vc_rooms_an_empty_meeting_gives_way_to_its_openers_next(void) {
  vc_room_callbacks cb = {on_send, on_close, on_random, NULL, NULL};
  vc_rooms_limits lim;
  vc_rooms_stats st;
  vc_rooms *rs = NULL;
  vc_rooms_conn c[4];
  rooms_log w;
  uint8_t frame[512];
  size_t len;
  int i;

  memset(&w, 0, sizeof(w));
  memset(c, 0, sizeof(c));
  CHECK_INT_EQ(vc_control_decoder_new(&w.dec, VC_CONTROL_ARENA_LEN), 0);
  cb.user_data = &w;
  vc_rooms_default_limits(&lim);
  lim.max_rooms_per_source = 2;
  CHECK_INT_EQ(vc_rooms_new(&rs, &lim, &cb), 0);
  for (i = 0; i < 4; i++) {
    c[i].id = (vc_conn_id)(i + 1);
    CHECK_INT_EQ(vc_rooms_conn_set_source(&c[i], "[::1]:5000"), 0);
  }
  len = join_frame(frame, sizeof(frame), "a", "ann");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[0], frame, len, MS), 0);
  len = join_frame(frame, sizeof(frame), "b", "ann");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[1], frame, len, MS), 0);
  /* Both present: a third is refused. */
  len = join_frame(frame, sizeof(frame), "c", "ann");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[2], frame, len, MS), VC_ERR_QUEUE_FULL);
  /* "a" is left (its connection ended, its grace runs): it gives way. */
  vc_rooms_conn_closed(rs, &c[0], 2 * MS);
  c[2].slot = 0;
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[2], frame, len, 3 * MS), 0);
  vc_rooms_get_stats(rs, &st);
  CHECK_INT_EQ(st.rooms, 2);
  CHECK_INT_EQ(st.closed_for_opener, 1);
  CHECK_INT_EQ(st.refused_per_address, 1);
  /* "b" and "c" are present: a fourth is refused again. */
  len = join_frame(frame, sizeof(frame), "d", "ann");
  CHECK_INT_EQ(vc_rooms_receive(rs, &c[3], frame, len, 4 * MS),
               VC_ERR_QUEUE_FULL);
  vc_rooms_del(rs);
  vc_control_decoder_del(w.dec);
}

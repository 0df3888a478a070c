/*
 * meeting_test.c: the client's meeting state machine (src/meeting/),
 * driven with hand-made server frames: joins, paged rosters, hostile
 * frames, the caps on pending chat and on the outbox, de-duplication,
 * liveness and reconnect, and the active speaker's hysteresis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/e2ee.h>
#include <vc/meeting.h>
#include <vc/wire.h>

#include "meeting_fixtures.h"
#include "test.h"

#define MS ((vc_tstamp)1000000)

typedef struct recorder {
  int counts[VC_MEETING_EVENT_SEND_LAYERS + 1]; /* every type */
  int snapshots;
  uint32_t last_session;
  uint32_t bitrate_kbps;
  uint32_t layers;
} recorder;

static void record(void *user_data, const vc_meeting_event *ev) {
  recorder *r = user_data;

  r->counts[ev->type]++;
  r->snapshots += ev->snapshot;
  r->last_session = ev->session_id;
  r->bitrate_kbps = ev->bitrate_kbps;
  r->layers = ev->layers;
}

static vc_meeting *new_meeting(recorder *r) {
  vc_meeting_config cfg;
  vc_meeting *m = NULL;

  memset(r, 0, sizeof(*r));
  memset(&cfg, 0, sizeof(cfg));
  cfg.meeting_id = "room1";
  cfg.user = "alice";
  cfg.display_name = "Alice";
  cfg.seed = 42;
  cfg.on_event = record;
  cfg.user_data = r;
  if (vc_meeting_new(&m, &cfg) != 0) {
    return NULL;
  }
  return m;
}

/* Delivers a Welcome making us session 1 with |n_first| of 3 others in
 * it (the rest follow in a RosterPage when |page| is set). */
static int welcome(vc_meeting *m, size_t n_first, int page, vc_tstamp ts) {
  static uint8_t frame[8192], page_frame[8192];
  size_t page_len = 0;
  size_t len = vc_test_welcome_frame(frame, sizeof(frame), n_first,
                                     page ? page_frame : NULL,
                                     sizeof(page_frame), &page_len);
  int rv = vc_meeting_receive(m, frame, len, ts);

  if (rv != 0 || !page) {
    return rv;
  }
  return vc_meeting_receive(m, page_frame, page_len, ts);
}

/* Pops the next outgoing frame and decodes its Control message. */
static Vc__Wire__Control *next_sent(vc_meeting *m, vc_control_decoder *dec) {
  static uint8_t frame[VC_ENVELOPE_MAX_LEN], payload[VC_ENVELOPE_MAX_LEN];
  Vc__Wire__Control *c = NULL;
  vc_route route;
  vc_ssize n = vc_meeting_pop_frame(m, frame, sizeof(frame)), p;

  if (n <= 0) {
    return NULL;
  }
  p = vc_envelope_decode(&route, payload, sizeof(payload), frame, (size_t)n);
  if (p < 0 || route.kind != VC_STREAM_KIND_CONTROL ||
      vc_control_decode(dec, &c, payload, (size_t)p) != 0) {
    return NULL;
  }
  return c;
}

static void drain(vc_meeting *m) {
  uint8_t frame[VC_ENVELOPE_MAX_LEN];

  while (vc_meeting_pop_frame(m, frame, sizeof(frame)) > 0) {
  }
}

void test_vc_meeting_join_then_welcome(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_control_decoder *dec = NULL;
  Vc__Wire__Control *c;

  CHECK(m != NULL);
  CHECK_INT_EQ(vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN), 0);
  CHECK_INT_EQ(vc_meeting_connected(m, 0), 0);
  CHECK_INT_EQ(vc_meeting_connected(m, 0), VC_ERR_STATE);
  c = next_sent(m, dec);
  CHECK(c != NULL && c->msg_case == VC__WIRE__CONTROL__MSG_JOIN);
  CHECK(strcmp(c->join->user, "alice") == 0);
  CHECK_INT_EQ(c->join->resume_token.len, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_JOINED);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_JOINED], 1);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_PARTICIPANT_JOINED], 3);
  CHECK_INT_EQ(r.snapshots, 3);
  CHECK_INT_EQ(vc_meeting_roster_size(m), 3);
  CHECK_INT_EQ(vc_meeting_session_id(m), 1);
  CHECK_INT_EQ(vc_meeting_host(m), 1);
  CHECK(strcmp(vc_meeting_find(m, 3)->user, "carol") == 0);
  vc_control_decoder_del(dec);
  vc_meeting_del(m);
}

void test_vc_meeting_paged_roster_completes_at_the_last_page(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  drain(m);
  CHECK_INT_EQ(welcome(m, 1, 0, MS), 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_JOINING);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_JOINED], 0);
  vc_meeting_del(m);

  m = new_meeting(&r);
  vc_meeting_connected(m, 0);
  drain(m);
  CHECK_INT_EQ(welcome(m, 1, 1, MS), 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_JOINED);
  CHECK_INT_EQ(vc_meeting_roster_size(m), 3);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_JOINED], 1);
  vc_meeting_del(m);
}

void test_vc_meeting_hostile_frames_change_nothing(void) {
  static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x01, 0x02};
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_meeting_stats st;
  uint8_t frame[64];
  vc_route route;
  vc_ssize n;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  drain(m);
  CHECK(vc_meeting_receive(m, garbage, sizeof(garbage), MS) < 0);
  /* A control envelope whose payload is not a Control message. */
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_CONTROL;
  n = vc_envelope_encode(frame, sizeof(frame), &route, garbage,
                         sizeof(garbage));
  CHECK(n > 0);
  CHECK(vc_meeting_receive(m, frame, (size_t)n, MS) < 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_JOINING);
  CHECK_INT_EQ(welcome(m, 3, 0, 2 * MS), 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_JOINED);
  /* A second Welcome while joined is refused and changes nothing. */
  CHECK(welcome(m, 1, 0, 3 * MS) < 0);
  CHECK_INT_EQ(vc_meeting_roster_size(m), 3);
  vc_meeting_get_stats(m, &st);
  CHECK_INT_EQ(st.frames_skipped, 3);
  vc_meeting_del(m);
}

void test_vc_meeting_pending_chat_cap_is_reached(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  int i;

  CHECK(m != NULL);
  CHECK_INT_EQ(vc_meeting_send_chat(m, (const uint8_t *)"", 0, 0, 0, 0, NULL),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(
      vc_meeting_send_chat(m, (const uint8_t *)"\xff", 1, 0, 0, 0, NULL),
      VC_ERR_INVALID_ARGUMENT);
  for (i = 0; i < VC_MEETING_MAX_PENDING_CHAT; i++) {
    CHECK_INT_EQ(
        vc_meeting_send_chat(m, (const uint8_t *)"hi", 2, 0, 0, 0, NULL), 0);
  }
  CHECK_INT_EQ(vc_meeting_send_chat(m, (const uint8_t *)"hi", 2, 0, 0, 0, NULL),
               VC_ERR_QUEUE_FULL);
  vc_meeting_del(m);
}

void test_vc_meeting_outbox_cap_is_reached(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_media_state st;
  int i, rv = 0;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  memset(&st, 0, sizeof(st));
  for (i = 0; i < 2 * VC_MEETING_OUTBOX_FRAMES && rv == 0; i++) {
    st.hand_raised = (uint8_t)(i & 1);
    rv = vc_meeting_set_media_state(m, &st, MS);
  }
  CHECK_INT_EQ(rv, VC_ERR_QUEUE_FULL);
  CHECK(i <= VC_MEETING_OUTBOX_FRAMES);
  drain(m);
  CHECK_INT_EQ(vc_meeting_set_media_state(m, &st, MS), 0);
  vc_meeting_del(m);
}

static size_t chat_frame(uint8_t *out, size_t cap, uint64_t seq, uint64_t id) {
  Vc__Wire__Control ctl;
  Vc__Wire__Chat chat;

  vc__wire__control__init(&ctl);
  vc__wire__chat__init(&chat);
  chat.client_msg_id = id;
  chat.sender_session = 2;
  chat.seq = seq;
  chat.body.data = (uint8_t *)(uintptr_t) "hello";
  chat.body.len = 5;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_CHAT;
  ctl.chat = &chat;
  return vc_test_server_frame(out, cap, &ctl);
}

void test_vc_meeting_chat_is_delivered_once(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  uint8_t frame[256];
  size_t len;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  len = chat_frame(frame, sizeof(frame), 1, 77);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  /* The same message renumbered (a server restarted) is still a repeat. */
  len = chat_frame(frame, sizeof(frame), 9, 77);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  len = chat_frame(frame, sizeof(frame), 10, 78);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CHAT], 2);
  vc_meeting_del(m);
}

void test_vc_meeting_silent_server_means_reconnect_and_resume(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_control_decoder *dec = NULL;
  Vc__Wire__Control *c;
  vc_tstamp t;

  CHECK(m != NULL);
  CHECK_INT_EQ(vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN), 0);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  /* Heartbeats go out while the server is quiet... */
  for (t = vc_meeting_get_expiry(m);
       t < MS + VC_MEETING_DEFAULT_LIVENESS_MS * MS;
       t = vc_meeting_get_expiry(m)) {
    vc_meeting_handle_expiry(m, t);
  }
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CONNECTION_LOST], 0);
  /* ...until it has been silent for the liveness timeout. */
  vc_meeting_handle_expiry(m, t);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CONNECTION_LOST], 1);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_RECONNECTING);
  CHECK(vc_meeting_pop_frame(m, (uint8_t[16]){0}, 16) == 0);
  while (r.counts[VC_MEETING_EVENT_CONNECT] == 0) {
    t = vc_meeting_get_expiry(m);
    vc_meeting_handle_expiry(m, t);
  }
  /* The backoff starts at 250 ms, with up to half again of jitter. */
  CHECK(t >= MS + (VC_MEETING_DEFAULT_LIVENESS_MS + 250) * MS);
  CHECK(t <= MS + (VC_MEETING_DEFAULT_LIVENESS_MS + 375) * MS);
  CHECK_INT_EQ(vc_meeting_connected(m, t), 0);
  c = next_sent(m, dec);
  CHECK(c != NULL && c->msg_case == VC__WIRE__CONTROL__MSG_JOIN);
  CHECK_INT_EQ(c->join->resume_token.len, 16);
  CHECK_INT_EQ(c->join->resume_token.data[1], 2);
  /* A resumed Welcome with the same roster: nobody left, nobody joined. */
  r.counts[VC_MEETING_EVENT_PARTICIPANT_JOINED] = 0;
  CHECK_INT_EQ(welcome(m, 3, 0, t), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_PARTICIPANT_JOINED], 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_PARTICIPANT_LEFT], 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_RECONNECTED], 1);
  vc_control_decoder_del(dec);
  vc_meeting_del(m);
}

static void audio(vc_meeting *m, uint32_t session, uint32_t level,
                  vc_tstamp ts) {
  uint8_t frame[64];
  vc_route route;
  vc_ssize n;

  memset(&route, 0, sizeof(route));
  route.sender_session = session;
  route.kind = VC_STREAM_KIND_AUDIO;
  route.audio_level = level;
  n = vc_envelope_encode(frame, sizeof(frame), &route, (const uint8_t *)"x", 1);
  if (n > 0) {
    vc_meeting_receive(m, frame, (size_t)n, ts);
  }
}

void test_vc_meeting_speaker_switches_only_after_holding(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_tstamp t = MS, tick = VC_MEETING_SPEAKER_TICK_MS * MS;
  int i;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, t), 0);
  /* bob talks: after two ticks he is the speaker. */
  for (i = 0; i < 30; i++) {
    audio(m, 2, 30, t + (vc_tstamp)i * 20 * MS);
  }
  t += 30 * 20 * MS;
  vc_meeting_handle_expiry(m, t);
  CHECK_INT_EQ(vc_meeting_active_speaker(m), 0);
  vc_meeting_handle_expiry(m, t + tick);
  CHECK_INT_EQ(vc_meeting_active_speaker(m), 2);
  /* carol coughs once, loudly: one tick is not enough. */
  for (i = 0; i < 20; i++) {
    audio(m, 3, 0, t + tick);
  }
  audio(m, 2, 30, t + tick);
  vc_meeting_handle_expiry(m, t + tick + tick);
  CHECK_INT_EQ(vc_meeting_active_speaker(m), 2);
  /* Quiet: bob stays shown. */
  vc_meeting_handle_expiry(m, t + 20 * tick);
  CHECK_INT_EQ(vc_meeting_active_speaker(m), 2);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_ACTIVE_SPEAKER], 1);
  vc_meeting_del(m);
}

void test_vc_meeting_removal_ends_the_meeting(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  Vc__Wire__Control ctl;
  Vc__Wire__Leave leave;
  uint8_t frame[256];
  size_t len;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  vc__wire__control__init(&ctl);
  vc__wire__leave__init(&leave);
  leave.reason = VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED;
  leave.text = "removed";
  ctl.msg_case = VC__WIRE__CONTROL__MSG_LEAVE;
  ctl.leave = &leave;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_ENDED);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_ENDED], 1);
  /* Ended is final: no reconnect, no sending. */
  vc_meeting_transport_lost(m, 2 * MS);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CONNECTION_LOST], 0);
  CHECK_INT_EQ(vc_meeting_send_chat(m, (const uint8_t *)"x", 1, 0, 0, 0, NULL),
               VC_ERR_STATE);
  vc_meeting_del(m);
}

void test_vc_meeting_subscriptions_are_sent_after_every_join(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_control_decoder *dec = NULL;
  vc_subscription subs[2] = {{2, VC_STREAM_KIND_VIDEO, 1},
                             {3, VC_STREAM_KIND_SCREEN, 3}};
  vc_subscription bad = {2, VC_STREAM_KIND_VIDEO, 4};
  Vc__Wire__Control *c;
  int round, found;

  CHECK(m != NULL);
  CHECK_INT_EQ(vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN), 0);
  CHECK_INT_EQ(vc_meeting_subscribe(m, &bad, 1, 0), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_meeting_subscribe(m, subs, 2, 0), 0);
  for (round = 0; round < 2; round++) {
    if (round == 1) {
      vc_meeting_transport_lost(m, 2 * MS);
    }
    CHECK_INT_EQ(vc_meeting_connected(m, 3 * MS), 0);
    CHECK_INT_EQ(welcome(m, 3, 0, 3 * MS), 0);
    found = 0;
    while ((c = next_sent(m, dec)) != NULL) {
      if (c->msg_case == VC__WIRE__CONTROL__MSG_SUBSCRIBE) {
        CHECK_INT_EQ(c->subscribe->n_subscriptions, 2);
        CHECK_INT_EQ(c->subscribe->subscriptions[1]->max_layer, 3);
        found++;
      }
    }
    CHECK_INT_EQ(found, 1);
  }
  vc_control_decoder_del(dec);
  vc_meeting_del(m);
}

void test_vc_meeting_roster_cap_is_reached(void) {
  static Vc__Wire__Participant many[VC_CONTROL_MAX_ROSTER + 1];
  static Vc__Wire__Participant *ptrs[VC_CONTROL_MAX_ROSTER + 1];
  static char names[VC_CONTROL_MAX_ROSTER + 1][16];
  static uint8_t frame[VC_ENVELOPE_MAX_LEN];
  static const uint8_t token[16] = {9};
  recorder r;
  vc_meeting *m = new_meeting(&r);
  Vc__Wire__Control ctl;
  Vc__Wire__Welcome w;
  Vc__Wire__RosterPage page;
  Vc__Wire__ParticipantJoined pj;
  size_t i, len;

  CHECK(m != NULL);
  for (i = 0; i <= VC_CONTROL_MAX_ROSTER; i++) {
    snprintf(names[i], sizeof(names[i]), "u%zu", i);
    vc__wire__participant__init(&many[i]);
    many[i].session_id = (uint32_t)i + 2;
    many[i].user = names[i];
    many[i].display_name = names[i];
    ptrs[i] = &many[i];
  }
  vc_meeting_connected(m, 0);
  vc__wire__control__init(&ctl);
  vc__wire__welcome__init(&w);
  w.session_id = 1;
  w.resume_token.data = (uint8_t *)(uintptr_t)token;
  w.resume_token.len = sizeof(token);
  w.roster = ptrs;
  w.n_roster = VC_CONTROL_MAX_ROSTER_PAGE;
  w.roster_total = VC_CONTROL_MAX_ROSTER;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_WELCOME;
  ctl.welcome = &w;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK(len > 0);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  vc__wire__control__init(&ctl);
  vc__wire__roster_page__init(&page);
  page.participants = ptrs + VC_CONTROL_MAX_ROSTER_PAGE;
  page.n_participants = VC_CONTROL_MAX_ROSTER_PAGE;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_ROSTER_PAGE;
  ctl.roster_page = &page;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  CHECK_INT_EQ(vc_meeting_get_phase(m), VC_MEETING_JOINED);
  CHECK_INT_EQ(vc_meeting_roster_size(m), VC_CONTROL_MAX_ROSTER);
  /* One more is refused, and the roster stays as it was. */
  vc__wire__control__init(&ctl);
  vc__wire__participant_joined__init(&pj);
  pj.participant = ptrs[VC_CONTROL_MAX_ROSTER];
  ctl.msg_case = VC__WIRE__CONTROL__MSG_PARTICIPANT_JOINED;
  ctl.participant_joined = &pj;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(vc_meeting_roster_size(m), VC_CONTROL_MAX_ROSTER);
  CHECK(vc_meeting_find(m, VC_CONTROL_MAX_ROSTER + 2) == NULL);
  vc_meeting_del(m);
}

static void fake_random(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  memset(buf, 0x42, len);
}

/* Alice's meeting with E2EE, events into |r|; no randomness yet. */
static void e2ee_config(vc_meeting_config *cfg, recorder *r) {
  memset(r, 0, sizeof(*r));
  memset(cfg, 0, sizeof(*cfg));
  cfg->meeting_id = "room1";
  cfg->user = "alice";
  cfg->display_name = "Alice";
  cfg->on_event = record;
  cfg->user_data = r;
  cfg->e2ee = 1;
}

void test_vc_meeting_e2ee_needs_randomness_and_room_for_the_seal(void) {
  recorder r;
  vc_meeting_config cfg;
  vc_meeting *m = NULL;
  static uint8_t big[VC_CONTROL_MAX_CHAT_LEN];

  e2ee_config(&cfg, &r);
  /* Keys from a PRNG seeded by the page would be guessable: refused. */
  CHECK_INT_EQ(vc_meeting_new(&m, &cfg), VC_ERR_INVALID_ARGUMENT);
  cfg.random = fake_random;
  CHECK_INT_EQ(vc_meeting_new(&m, &cfg), 0);
  memset(big, 'a', sizeof(big));
  /* The sealed body must still fit a chat message. */
  CHECK_INT_EQ(vc_meeting_send_chat(m, big, sizeof(big), 0, 0, 0, NULL),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_meeting_send_chat(m, big, sizeof(big) - VC_E2EE_MAX_OVERHEAD,
                                    0, 0, 0, NULL),
               0);
  vc_meeting_del(m);
}

/* A chat from |sender|; |sealed|: its body is ciphertext (here bytes
 * no key opens). */
static size_t chat_from(uint8_t *out, size_t cap, uint64_t seq, uint32_t sender,
                        int sealed) {
  static const uint8_t body[40] = {0x10, 1, 2, 3};
  Vc__Wire__Control ctl;
  Vc__Wire__Chat chat;

  vc__wire__control__init(&ctl);
  vc__wire__chat__init(&chat);
  chat.client_msg_id = 1000 + seq;
  chat.sender_session = sender;
  chat.seq = seq;
  chat.encrypted = sealed;
  chat.body.data = sealed ? (uint8_t *)(uintptr_t)body
                          : (uint8_t *)(uintptr_t) "in the clear";
  chat.body.len = sealed ? sizeof(body) : 12;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_CHAT;
  ctl.chat = &chat;
  return vc_test_server_frame(out, cap, &ctl);
}

/* Sealed chats whose sender's key has not come wait for it, with every
 * chat behind them; the queue's cap lets the first go, and so does the
 * end of the wait. Nothing is lost or reordered. */
void test_vc_meeting_chats_wait_for_their_key_up_to_a_cap(void) {
  recorder r;
  vc_meeting_config cfg;
  vc_meeting *m = NULL;
  vc_meeting_stats st;
  uint8_t frame[256];
  size_t len;
  uint64_t seq;

  e2ee_config(&cfg, &r);
  cfg.random = fake_random;
  CHECK_INT_EQ(vc_meeting_new(&m, &cfg), 0);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  /* Bob (no key from him yet) seals one; Carol's plain one waits behind. */
  len = chat_from(frame, sizeof(frame), 1, 2, 1);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  len = chat_from(frame, sizeof(frame), 2, 3, 0);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CHAT], 0);
  CHECK(vc_meeting_get_expiry(m) <= MS + VC_MEETING_CHAT_KEY_WAIT_MS * MS);
  /* Up to the cap, and one more: the first goes (unreadable), then
   * Carol's, and Bob's next one waits again. */
  for (seq = 3; seq <= VC_MEETING_MAX_HELD_CHAT; seq++) {
    len = chat_from(frame, sizeof(frame), seq, 2, 1);
    CHECK_INT_EQ(vc_meeting_receive(m, frame, len, 2 * MS), 0);
  }
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CHAT], 0);
  len = chat_from(frame, sizeof(frame), seq, 2, 1);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, 2 * MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CHAT], 2);
  CHECK_INT_EQ(r.last_session, 3);
  /* The wait ends: every held one is shown, as unreadable. */
  vc_meeting_handle_expiry(m, 2 * MS + VC_MEETING_CHAT_KEY_WAIT_MS * MS);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_CHAT], (int)seq);
  vc_meeting_get_stats(m, &st);
  CHECK(st.undecryptable == seq - 1 && st.chats_held == seq);
  vc_meeting_del(m);
}

void test_vc_meeting_media_waits_behind_control_and_drops_oldest(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  vc_control_decoder *dec = NULL;
  vc_media_frame f;
  vc_media_state st;
  vc_meeting_stats stats;
  uint8_t frame[VC_ENVELOPE_MAX_LEN], payload[64];
  vc_route route;
  vc_ssize n;
  int i, is_media = -1;

  CHECK(m != NULL);
  CHECK_INT_EQ(vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN), 0);
  memset(&f, 0, sizeof(f));
  memset(payload, 7, sizeof(payload));
  f.kind = VC_STREAM_KIND_AUDIO;
  /* Not in the meeting: media is refused, never queued for later. */
  CHECK_INT_EQ(vc_meeting_send_media(m, &f, payload, 10, 0), VC_ERR_STATE);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  drain(m);
  f.kind = VC_STREAM_KIND_CONTROL;
  CHECK_INT_EQ(vc_meeting_send_media(m, &f, payload, 10, MS),
               VC_ERR_INVALID_ARGUMENT);
  f.kind = VC_STREAM_KIND_AUDIO;
  /* Past the media queue's cap: the oldest frames go, the newest stay. */
  for (i = 0; i < VC_MEETING_MEDIA_OUT_FRAMES + 10; i++) {
    f.timestamp_us = (uint64_t)i;
    CHECK_INT_EQ(vc_meeting_send_media(m, &f, payload, sizeof(payload), MS), 0);
  }
  vc_meeting_get_stats(m, &stats);
  CHECK_INT_EQ(stats.media_dropped, 10);
  /* Control queued after the media still goes first. */
  memset(&st, 0, sizeof(st));
  st.hand_raised = 1;
  CHECK_INT_EQ(vc_meeting_set_media_state(m, &st, MS), 0);
  CHECK_INT_EQ(vc_meeting_request_keyframe(m, 2, VC_STREAM_KIND_VIDEO, 0, MS),
               0);
  n = vc_meeting_pop_frame_kind(m, frame, sizeof(frame), &is_media);
  CHECK(n > 0 && is_media == 0);
  {
    Vc__Wire__Control *c = next_sent(m, dec);
    CHECK(c != NULL && c->msg_case == VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST);
    CHECK_INT_EQ(c->keyframe_request->session_id, 2);
  }
  /* Audio is the one kind that may go as a datagram. */
  n = vc_meeting_pop_frame_kind(m, frame, sizeof(frame), &is_media);
  CHECK(n > 0 && is_media == VC_MEETING_FRAME_DATAGRAM);
  CHECK(vc_envelope_decode(&route, payload, sizeof(payload), frame,
                           (size_t)n) == 64);
  CHECK_INT_EQ(route.kind, VC_STREAM_KIND_AUDIO);
  CHECK_INT_EQ(route.timestamp_us, 10); /* 0..9 were dropped */
  CHECK_INT_EQ(route.sequence, 10);
  CHECK_INT_EQ(route.sender_session, 1);
  vc_control_decoder_del(dec);
  vc_meeting_del(m);
}

void test_vc_meeting_media_and_keyframe_requests_are_reported(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  Vc__Wire__Control ctl;
  Vc__Wire__KeyframeRequest kr;
  vc_meeting_stats st;
  uint8_t frame[256];
  size_t len;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  audio(m, 2, 30, 2 * MS);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_MEDIA], 1);
  CHECK_INT_EQ(r.last_session, 2);
  /* Dave seals: without keys his frames are dropped, never handed on as
   * if they were sound. */
  audio(m, 4, 30, 2 * MS);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_MEDIA], 1);
  vc_meeting_get_stats(m, &st);
  CHECK(st.media_undecryptable == 1 && st.media_in_clear == 1);
  vc__wire__control__init(&ctl);
  vc__wire__keyframe_request__init(&kr);
  kr.session_id = 1;
  kr.kind = VC__WIRE__STREAM_KIND__STREAM_KIND_VIDEO;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST;
  ctl.keyframe_request = &kr;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK(len > 0);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, 3 * MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_KEYFRAME_REQUESTED], 1);
  vc_meeting_del(m);
}

/* The server's congestion signal becomes a send-rate limit; a report
 * without an estimate says nothing. */
void test_vc_meeting_congestion_signals_limit_the_send_rate(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  Vc__Wire__Control ctl;
  Vc__Wire__ReceiverReport rr;
  uint8_t frame[256];
  size_t len;

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  vc__wire__control__init(&ctl);
  vc__wire__receiver_report__init(&rr);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_RECEIVER_REPORT;
  ctl.receiver_report = &rr;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, 2 * MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_SEND_RATE_LIMIT], 0);
  rr.estimated_bandwidth_kbps = 420;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, 3 * MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_SEND_RATE_LIMIT], 1);
  CHECK_INT_EQ(r.bitrate_kbps, 420);
  vc_meeting_del(m);
}

/* The server's layer set reaches the page as an event, a set with a layer
 * over 3 is refused, and each layer numbers its frames on its own (the
 * receiver sees one layer's sequence at a time). */
void test_vc_meeting_simulcast_layers_are_streams_of_their_own(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  Vc__Wire__Control ctl;
  Vc__Wire__SendLayers sl;
  vc_media_frame f;
  uint8_t frame[VC_ENVELOPE_MAX_LEN], payload[64];
  vc_route route;
  vc_ssize n;
  size_t len;
  int i, is_media = -1;
  uint32_t seq[2] = {0, 0};

  CHECK(m != NULL);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  drain(m);
  vc__wire__control__init(&ctl);
  vc__wire__send_layers__init(&sl);
  sl.kind = VC__WIRE__STREAM_KIND__STREAM_KIND_VIDEO;
  sl.layers = 0x5;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_SEND_LAYERS;
  ctl.send_layers = &sl;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK_INT_EQ(vc_meeting_receive(m, frame, len, 2 * MS), 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_SEND_LAYERS], 1);
  CHECK_INT_EQ(r.layers, 0x5);
  sl.layers = 0x10;
  len = vc_test_server_frame(frame, sizeof(frame), &ctl);
  CHECK(vc_meeting_receive(m, frame, len, 3 * MS) < 0);
  CHECK_INT_EQ(r.counts[VC_MEETING_EVENT_SEND_LAYERS], 1);

  memset(&f, 0, sizeof(f));
  memset(payload, 7, sizeof(payload));
  f.kind = VC_STREAM_KIND_VIDEO;
  for (i = 0; i < 6; i++) {
    f.layer = (uint32_t)(i % 2) * 2; /* 0, 2, 0, 2, ... */
    CHECK_INT_EQ(vc_meeting_send_media(m, &f, payload, sizeof(payload), MS), 0);
  }
  f.layer = 4;
  CHECK_INT_EQ(vc_meeting_send_media(m, &f, payload, sizeof(payload), MS),
               VC_ERR_INVALID_ARGUMENT);
  for (i = 0; i < 6; i++) {
    n = vc_meeting_pop_frame_kind(m, frame, sizeof(frame), &is_media);
    CHECK(n > 0 && is_media == 1);
    CHECK(vc_envelope_decode(&route, payload, sizeof(payload), frame,
                             (size_t)n) == 64);
    CHECK_INT_EQ(route.layer, (uint32_t)(i % 2) * 2);
    CHECK_INT_EQ(route.sequence, seq[i % 2]++);
  }
  vc_meeting_del(m);
}

/* The resume token is there for the leave beacon once joined, never
 * before, and never cut short. */
void test_vc_meeting_resume_token_is_handed_out_whole(void) {
  recorder r;
  vc_meeting *m = new_meeting(&r);
  uint8_t token[32], small[8];

  CHECK(m != NULL);
  CHECK_INT_EQ(vc_meeting_resume_token(m, token, sizeof(token)), 0);
  vc_meeting_connected(m, 0);
  CHECK_INT_EQ(welcome(m, 3, 0, MS), 0);
  CHECK_INT_EQ(vc_meeting_resume_token(m, token, sizeof(token)), 16);
  CHECK_INT_EQ(token[1], 2);
  CHECK_INT_EQ(vc_meeting_resume_token(m, small, sizeof(small)), 0);
  vc_meeting_del(m);
}

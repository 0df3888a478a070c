/*
 * server_room_test.c: the server's room logic (server-stub/room.c) with
 * recorded callbacks: refusals carry an Error and change nothing, the
 * participant cap and the chat rate cap are reached, spoofed media is
 * dropped, and a resume keeps the session.
 */
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "room.h"
#include "test.h"

#define MS ((vc_tstamp)1000000)

typedef struct wire_log {
  int frames[16];    /* frames sent, per connection 1..15 */
  int full[16];      /* 1: media to this connection finds its queue full */
  size_t queued[16]; /* bytes its transport says are waiting */
  int keyframe_requests[16]; /* KeyframeRequests sent, per connection */
  int closed[16];            /* close callbacks, per connection */
  int errors[16];            /* Error messages, per connection */
  int last_error;            /* its code */
  int datagrams;
  int media[16];             /* media frames sent, per connection */
  int layer_sets[16];        /* SendLayers sent, per connection */
  uint32_t layers[16];       /* the last SendLayers' set */
  uint32_t keyframe_layer;   /* the last KeyframeRequest's layer */
  int bandwidth_reports[16]; /* ReceiverReports sent, per connection */
  uint32_t last_bandwidth_kbps;
  uint32_t announced_as;   /* session id of the last KeyAnnounce sent */
  uint32_t delivered_from; /* from_session of the last KeyDelivery sent */
  int updated[16];         /* ParticipantUpdated sent, per connection */
  int last_hand;           /* hand_raised in the last one */
  int leaves[16];          /* Leave sent, per connection */
  int left_removed;        /* ParticipantLeft with reason REMOVED */
  int last_leave_reason;
  vc_control_decoder *dec;
} wire_log;

static int on_send(void *user_data, vc_conn_id conn, const uint8_t *frame,
                   size_t len, int reliable) {
  static uint8_t payload[VC_ENVELOPE_MAX_LEN];
  wire_log *w = user_data;
  Vc__Wire__Control *c;
  vc_route route;
  vc_ssize n;

  if (conn >= 16) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (reliable != VC_ROOM_SEND_CONTROL && w->full[conn]) {
    return VC_ERR_QUEUE_FULL;
  }
  w->frames[conn]++;
  if (reliable != VC_ROOM_SEND_CONTROL) {
    w->datagrams++;
    w->media[conn]++;
    return 0;
  }
  n = vc_envelope_decode(&route, payload, sizeof(payload), frame, len);
  if (n >= 0 && vc_control_decode(w->dec, &c, payload, (size_t)n) == 0) {
    if (c->msg_case == VC__WIRE__CONTROL__MSG_ERROR) {
      w->errors[conn]++;
      w->last_error = (int)c->error->code;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_PARTICIPANT_UPDATED) {
      w->updated[conn]++;
      w->last_hand = c->participant_updated->state->hand_raised;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_LEAVE) {
      w->leaves[conn]++;
      w->last_leave_reason = (int)c->leave->reason;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_PARTICIPANT_LEFT) {
      w->left_removed += c->participant_left->reason ==
                         VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE) {
      w->announced_as = c->key_announce->session_id;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_KEY_DELIVERY) {
      w->delivered_from = c->key_delivery->from_session;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST) {
      w->keyframe_requests[conn]++;
      w->keyframe_layer = c->keyframe_request->layer;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_SEND_LAYERS) {
      w->layer_sets[conn]++;
      w->layers[conn] = c->send_layers->layers;
    } else if (c->msg_case == VC__WIRE__CONTROL__MSG_RECEIVER_REPORT) {
      w->bandwidth_reports[conn]++;
      w->last_bandwidth_kbps = c->receiver_report->estimated_bandwidth_kbps;
    }
  }
  return 0;
}

static size_t on_queued(void *user_data, vc_conn_id conn) {
  wire_log *w = user_data;

  return conn < 16 ? w->queued[conn] : 0;
}

static void on_close(void *user_data, vc_conn_id conn) {
  wire_log *w = user_data;

  if (conn < 16) {
    w->closed[conn]++;
  }
}

static void on_random(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  memset(buf, 0x5a, len);
}

/* Every session's resume token in these tests (on_random's bytes). */
static const uint8_t RESUME_TOKEN[16] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                         0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                         0x5a, 0x5a, 0x5a, 0x5a};

/* A room with |lim| (NULL: the tests' usual limits). */
static vc_room *new_room_with(wire_log *w, uint32_t max_participants,
                              const vc_room_limits *limits) {
  vc_room_callbacks cb;
  vc_room_limits lim;
  vc_room *r = NULL;

  memset(w, 0, sizeof(*w));
  if (vc_control_decoder_new(&w->dec, VC_CONTROL_ARENA_LEN) != 0) {
    return NULL;
  }
  cb.send = on_send;
  cb.close = on_close;
  cb.random = on_random;
  cb.user_data = w;
  cb.queued = on_queued;
  vc_room_default_limits(&lim);
  lim.max_participants = max_participants;
  lim.chat_per_second = 3;
  if (limits) {
    lim = *limits;
  }
  if (vc_room_new(&r, "room1", &lim, &cb) != 0) {
    return NULL;
  }
  return r;
}

static vc_room *new_room(wire_log *w, uint32_t max_participants) {
  return new_room_with(w, max_participants, NULL);
}

static void del_room(vc_room *r, wire_log *w) {
  vc_room_del(r);
  vc_control_decoder_del(w->dec);
}

static size_t control_frame(uint8_t *out, size_t cap, uint32_t sender,
                            const Vc__Wire__Control *msg) {
  static uint8_t body[VC_ENVELOPE_MAX_LEN];
  vc_route route;
  vc_ssize n = vc_control_encode(body, sizeof(body), msg), f;

  if (n < 0) {
    return 0;
  }
  memset(&route, 0, sizeof(route));
  route.sender_session = sender;
  route.kind = VC_STREAM_KIND_CONTROL;
  f = vc_envelope_encode(out, cap, &route, body, (size_t)n);
  return f < 0 ? 0 : (size_t)f;
}

/* Joins as |user|, offering |layers| simulcast layers (0: not said). */
static int join_offering(vc_room *r, vc_conn_id conn, const char *user,
                         const uint8_t *token, uint32_t layers, vc_tstamp ts) {
  uint8_t frame[512];
  Vc__Wire__Control ctl;
  Vc__Wire__Join j;
  Vc__Wire__Capabilities caps;

  vc__wire__control__init(&ctl);
  vc__wire__join__init(&j);
  vc__wire__capabilities__init(&caps);
  caps.max_simulcast_layers = layers;
  j.capabilities = layers ? &caps : NULL;
  j.protocol_version = VC_WIRE_VERSION;
  j.meeting_id = "room1";
  j.user = (char *)(uintptr_t)user;
  j.display_name = (char *)(uintptr_t)user;
  if (token) {
    j.resume_token.data = (uint8_t *)(uintptr_t)token;
    j.resume_token.len = 16;
  }
  ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  ctl.join = &j;
  return vc_room_receive(r, conn, frame,
                         control_frame(frame, sizeof(frame), 0, &ctl), ts);
}

static int join(vc_room *r, vc_conn_id conn, const char *user,
                const uint8_t *token, vc_tstamp ts) {
  return join_offering(r, conn, user, token, 0, ts);
}

static int chat(vc_room *r, vc_conn_id conn, uint32_t sender, uint64_t id,
                vc_tstamp ts) {
  uint8_t frame[512];
  Vc__Wire__Control ctl;
  Vc__Wire__Chat c;

  vc__wire__control__init(&ctl);
  vc__wire__chat__init(&c);
  c.client_msg_id = id;
  c.body.data = (uint8_t *)(uintptr_t) "hi";
  c.body.len = 2;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_CHAT;
  ctl.chat = &c;
  return vc_room_receive(r, conn, frame,
                         control_frame(frame, sizeof(frame), sender, &ctl), ts);
}

void test_vc_room_participant_cap_is_reached(void) {
  wire_log w;
  vc_room *r = new_room(&w, 2);

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_MEETING_FULL);
  CHECK_INT_EQ(w.closed[3], 1);
  CHECK_INT_EQ(vc_room_size(r), 2);
  del_room(r, &w);
}

void test_vc_room_refusals_explain_and_change_nothing(void) {
  static const uint8_t garbage[] = {0x08, 0x01, 0x12, 0xff};
  wire_log w;
  vc_room *r = new_room(&w, 10);

  CHECK(r != NULL);
  /* Before Join: an error, not a session. */
  CHECK_INT_EQ(chat(r, 1, 0, 5, MS), VC_ERR_STATE);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_JOINED);
  CHECK(vc_room_receive(r, 1, garbage, sizeof(garbage), MS) < 0);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_MALFORMED);
  CHECK_INT_EQ(vc_room_size(r), 0);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), VC_ERR_STATE);
  CHECK_INT_EQ(vc_room_size(r), 1);
  CHECK_INT_EQ(w.closed[1], 0);
  del_room(r, &w);
}

void test_vc_room_spoofed_media_is_dropped(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  uint8_t frame[128];
  vc_route route;
  vc_ssize n;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0); /* session 1 */
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);   /* session 2 */
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_AUDIO;
  route.sender_session = 2; /* alice's connection claims to be bob */
  n = vc_envelope_encode(frame, sizeof(frame), &route, (const uint8_t *)"a", 1);
  CHECK(n > 0);
  CHECK_INT_EQ(vc_room_receive(r, 1, frame, (size_t)n, MS),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(w.datagrams, 0);
  route.sender_session = 1;
  n = vc_envelope_encode(frame, sizeof(frame), &route, (const uint8_t *)"a", 1);
  CHECK_INT_EQ(vc_room_receive(r, 1, frame, (size_t)n, MS), 0);
  CHECK_INT_EQ(w.datagrams, 1); /* to bob only */
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.media_spoofed, 1);
  del_room(r, &w);
}

void test_vc_room_chat_rate_cap_is_reached(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(chat(r, 1, 1, 1, MS), 0);
  CHECK_INT_EQ(chat(r, 1, 1, 2, MS), 0);
  CHECK_INT_EQ(chat(r, 1, 1, 3, MS), 0);
  CHECK_INT_EQ(chat(r, 1, 1, 4, MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED);
  /* A resend of an accepted message is acknowledged, not repeated. */
  CHECK_INT_EQ(chat(r, 1, 1, 2, MS), 0);
  /* A second later the budget is back. */
  CHECK_INT_EQ(chat(r, 1, 1, 4, 1001 * MS), 0);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.chats, 4);
  CHECK_INT_EQ(st.chats_deduplicated, 1);
  del_room(r, &w);
}

void test_vc_room_resume_keeps_the_session(void) {
  static const uint8_t wrong[16] = {1};
  wire_log w;
  vc_room *r = new_room(&w, 10);
  int bob_frames;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  vc_room_conn_closed(r, 1, 2 * MS);
  CHECK_INT_EQ(vc_room_size(r), 2); /* reconnecting, still listed */
  bob_frames = w.frames[2];
  CHECK_INT_EQ(join(r, 3, "alice", RESUME_TOKEN, 3 * MS), 0);
  CHECK_INT_EQ(vc_room_size(r), 2);
  CHECK_INT_EQ(w.frames[2], bob_frames); /* bob was told nothing */
  /* A wrong token is a new participant, not a takeover. */
  CHECK_INT_EQ(join(r, 4, "alice", wrong, 3 * MS), 0);
  CHECK_INT_EQ(vc_room_size(r), 3);
  /* Past the grace, a silent participant is gone. */
  vc_room_handle_expiry(r, 3 * MS + 5000 * MS);
  vc_room_handle_expiry(r, 3 * MS + 5000 * MS + 10000 * MS);
  CHECK_INT_EQ(vc_room_size(r), 0);
  del_room(r, &w);
}

static int host_action(vc_room *r, vc_conn_id conn, uint32_t sender,
                       Vc__Wire__HostActionKind action, uint32_t target) {
  uint8_t frame[128];
  Vc__Wire__Control ctl;
  Vc__Wire__HostAction ha;

  vc__wire__control__init(&ctl);
  vc__wire__host_action__init(&ha);
  ha.action = action;
  ha.target_session = target;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_HOST_ACTION;
  ctl.host_action = &ha;
  return vc_room_receive(r, conn, frame,
                         control_frame(frame, sizeof(frame), sender, &ctl), MS);
}

void test_vc_room_only_the_host_acts(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  int before;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0); /* session 1, host */
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);   /* session 2 */
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0); /* session 3 */
  CHECK_INT_EQ(
      host_action(r, 2, 2, VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_REMOVE, 3),
      VC_ERR_STATE);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_HOST);
  CHECK_INT_EQ(vc_room_size(r), 3);
  CHECK_INT_EQ(
      host_action(r, 1, 1, VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_REMOVE, 9),
      VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(w.last_error,
               VC__WIRE__ERROR_CODE__ERROR_CODE_UNKNOWN_PARTICIPANT);
  /* A mute request reaches only its target. */
  before = w.frames[2];
  CHECK_INT_EQ(host_action(r, 1, 1,
                           VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_MUTE_REQUEST,
                           3),
               0);
  CHECK_INT_EQ(w.frames[2], before);
  /* Removal: the target's connection closes, the room shrinks. */
  CHECK_INT_EQ(
      host_action(r, 1, 1, VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_REMOVE, 3),
      0);
  CHECK_INT_EQ(w.closed[3], 1);
  CHECK_INT_EQ(vc_room_size(r), 2);
  /* Transfer: bob hosts now, so alice can no longer remove him. */
  CHECK_INT_EQ(
      host_action(r, 1, 1,
                  VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_TRANSFER_HOST, 2),
      0);
  CHECK_INT_EQ(
      host_action(r, 1, 1, VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_REMOVE, 2),
      VC_ERR_STATE);
  /* No waiting room: admitting is refused with a reason. */
  CHECK_INT_EQ(
      host_action(r, 2, 2, VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_ADMIT, 1),
      VC_ERR_STATE);
  del_room(r, &w);
}

static void send_layer_frame(vc_room *r, vc_conn_id conn, uint32_t sender,
                             uint32_t layer, uint32_t keyframe, vc_tstamp ts) {
  uint8_t frame[128];
  vc_route route;
  vc_ssize n;

  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_VIDEO;
  route.sender_session = sender;
  route.layer = layer;
  route.keyframe = keyframe;
  n = vc_envelope_encode(frame, sizeof(frame), &route, (const uint8_t *)"v", 1);
  if (n > 0) {
    vc_room_receive(r, conn, frame, (size_t)n, ts);
  }
}

static void send_video_frame(vc_room *r, vc_conn_id conn, uint32_t sender,
                             uint32_t layer, uint32_t keyframe) {
  send_layer_frame(r, conn, sender, layer, keyframe, MS);
}

static void send_video(vc_room *r, vc_conn_id conn, uint32_t sender,
                       uint32_t layer) {
  send_video_frame(r, conn, sender, layer, 0);
}

static void send_keyframe(vc_room *r, vc_conn_id conn, uint32_t sender) {
  send_video_frame(r, conn, sender, 0, 1);
}

/* |conn| (session |who|) subscribes to |sender|'s camera up to
 * |max_layer|. */
static int subscribe_video(vc_room *r, vc_conn_id conn, uint32_t who,
                           uint32_t sender, uint32_t max_layer) {
  uint8_t frame[128];
  Vc__Wire__Control ctl;
  Vc__Wire__Subscribe sub;
  Vc__Wire__Subscription one, *ones[1];

  vc__wire__control__init(&ctl);
  vc__wire__subscribe__init(&sub);
  vc__wire__subscription__init(&one);
  one.session_id = sender;
  one.kind = VC__WIRE__STREAM_KIND__STREAM_KIND_VIDEO;
  one.max_layer = max_layer;
  ones[0] = &one;
  sub.subscriptions = ones;
  sub.n_subscriptions = 1;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_SUBSCRIBE;
  ctl.subscribe = &sub;
  return vc_room_receive(r, conn, frame,
                         control_frame(frame, sizeof(frame), who, &ctl), MS);
}

void test_vc_room_video_follows_subscriptions(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  /* Nobody asked for video yet. */
  send_video(r, 1, 1, 0);
  CHECK_INT_EQ(w.datagrams, 0);
  /* bob wants alice's video up to layer 1. */
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 1), 0);
  send_video(r, 1, 1, 0);
  send_video(r, 1, 1, 1);
  send_video(r, 1, 1, 2); /* above bob's layer: not sent */
  send_video(r, 3, 3, 0); /* carol's video: bob did not ask */
  CHECK_INT_EQ(w.datagrams, 2);
  del_room(r, &w);
}

void test_vc_room_chat_history_cap_is_reached(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  uint64_t id;
  int before;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  /* 300 messages, three a second (the test room's rate). */
  for (id = 1; id <= 300; id++) {
    CHECK_INT_EQ(chat(r, 2, 2, id, (vc_tstamp)(id / 3) * 1000 * MS), 0);
  }
  vc_room_conn_closed(r, 1, 100 * 1000 * MS);
  before = w.frames[3];
  /* alice resumes having seen nothing: only the last 256 remain. */
  CHECK_INT_EQ(join(r, 3, "alice", RESUME_TOKEN, 100 * 1000 * MS + MS), 0);
  CHECK_INT_EQ(w.frames[3] - before, 1 + 256); /* Welcome and the replay */
  /* A resend of a message that fell out of the history is a new one. */
  CHECK_INT_EQ(chat(r, 2, 2, 1, 101 * 1000 * MS), 0);
  del_room(r, &w);
}

void test_vc_room_media_flood_is_cut_to_the_rate(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  uint8_t frame[1200], payload[1000];
  vc_route route;
  vc_ssize n;
  int i, accepted = 0;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  memset(&route, 0, sizeof(route));
  memset(payload, 1, sizeof(payload));
  route.kind = VC_STREAM_KIND_AUDIO;
  route.sender_session = 1;
  n = vc_envelope_encode(frame, sizeof(frame), &route, payload,
                         sizeof(payload));
  CHECK(n > 0);
  /* 10 000 packets of about 1 KB in one instant: a second's budget
   * (2.5 MB) passes, the rest is dropped and counted. */
  for (i = 0; i < 10000; i++) {
    accepted += vc_room_receive(r, 1, frame, (size_t)n, 2 * MS) == 0;
  }
  CHECK(accepted >= 2400 && accepted <= 2500);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.media_over_rate, (uint64_t)(10000 - accepted));
  CHECK_INT_EQ(w.datagrams, accepted);
  /* Half a second later, half a second's budget is back. */
  CHECK_INT_EQ(vc_room_receive(r, 1, frame, (size_t)n, 502 * MS), 0);
  del_room(r, &w);
}

/* Sends |msg| on |conn| as session |sender|. */
static int control(vc_room *r, vc_conn_id conn, uint32_t sender,
                   const Vc__Wire__Control *msg, vc_tstamp ts) {
  uint8_t frame[512];

  return vc_room_receive(r, conn, frame,
                         control_frame(frame, sizeof(frame), sender, msg), ts);
}

void test_vc_room_keys_are_relayed_in_the_senders_name_only(void) {
  static uint8_t identity[32] = {7}, sealed[48] = {9};
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  Vc__Wire__Control ctl;
  Vc__Wire__KeyAnnounce ka;
  Vc__Wire__KeyDelivery kd;
  int alice_before, carol_before;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0); /* session 1 */
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);   /* session 2 */
  /* bob announces his identity claiming to be alice: it goes out as his. */
  vc__wire__control__init(&ctl);
  vc__wire__key_announce__init(&ka);
  ka.session_id = 1;
  ka.identity_key.data = identity;
  ka.identity_key.len = sizeof(identity);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE;
  ctl.key_announce = &ka;
  alice_before = w.frames[1];
  CHECK_INT_EQ(control(r, 2, 2, &ctl, MS), 0);
  CHECK_INT_EQ(w.frames[1], alice_before + 1);
  CHECK_INT_EQ(w.announced_as, 2);
  /* carol, joining later, gets bob's announcement after her Welcome. */
  carol_before = w.frames[3];
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  CHECK_INT_EQ(w.frames[3], carol_before + 2); /* Welcome, announcement */
  /* A sealed key for carol reaches carol alone. */
  vc__wire__control__init(&ctl);
  vc__wire__key_delivery__init(&kd);
  kd.from_session = 3; /* a lie, overwritten */
  kd.to_session = 3;
  kd.key_id = 1;
  kd.sealed_key.data = sealed;
  kd.sealed_key.len = sizeof(sealed);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_DELIVERY;
  ctl.key_delivery = &kd;
  alice_before = w.frames[1];
  carol_before = w.frames[3];
  CHECK_INT_EQ(control(r, 2, 2, &ctl, MS), 0);
  CHECK_INT_EQ(w.frames[3], carol_before + 1);
  CHECK_INT_EQ(w.frames[1], alice_before);
  CHECK_INT_EQ(w.delivered_from, 2);
  /* To nobody: an error for the sender. */
  kd.to_session = 99;
  CHECK_INT_EQ(control(r, 2, 2, &ctl, MS), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(w.last_error,
               VC__WIRE__ERROR_CODE__ERROR_CODE_UNKNOWN_PARTICIPANT);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.keys_relayed, 2);
  del_room(r, &w);
}

/* bob's queue drops one of alice's video frames: the deltas after it
 * are not sent to him (he could not decode them), alice is asked for a
 * keyframe once, and from that keyframe on bob gets everything again. */
void test_vc_room_a_full_queue_skips_video_until_the_keyframe(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  int got;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 0), 0);
  send_video(r, 1, 1, 0);
  CHECK_INT_EQ(w.datagrams, 1);
  w.full[2] = 1; /* bob's queue is full for one frame */
  send_video(r, 1, 1, 0);
  w.full[2] = 0;
  CHECK_INT_EQ(w.keyframe_requests[1], 1);
  got = w.datagrams;
  send_video(r, 1, 1, 0); /* deltas: skipped */
  send_video(r, 1, 1, 0);
  CHECK_INT_EQ(w.datagrams, got);
  send_keyframe(r, 1, 1); /* the keyframe, and what follows it */
  send_video(r, 1, 1, 0);
  CHECK_INT_EQ(w.datagrams, got + 2);
  CHECK_INT_EQ(w.keyframe_requests[1], 1);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.video_skipped_until_keyframe, 2);
  del_room(r, &w);
}

/* A closing page's beacon removes its participant, given the session's
 * resume token; a wrong token, a short one or an unknown session change
 * nothing. (on_random makes every token 0x5a bytes.) */
void test_vc_room_a_beacon_with_the_token_leaves(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  uint8_t token[16], wrong[16];

  CHECK(r != NULL);
  memset(token, 0x5a, sizeof(token));
  memset(wrong, 0x5a, sizeof(wrong));
  wrong[15] ^= 1;
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(vc_room_leave_by_token(r, 2, wrong, 16, 2 * MS),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_room_leave_by_token(r, 2, token, 15, 2 * MS),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_room_leave_by_token(r, 7, token, 16, 2 * MS),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_room_size(r), 2);
  CHECK_INT_EQ(vc_room_leave_by_token(r, 2, token, 16, 2 * MS), 0);
  CHECK_INT_EQ(vc_room_size(r), 1);
  CHECK_INT_EQ(vc_room_leave_by_token(r, 2, token, 16, 2 * MS),
               VC_ERR_INVALID_ARGUMENT); /* gone already */
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.beacon_leaves, 1);
  del_room(r, &w);
}

/* |n| video deltas of |len| payload bytes from |sender|. */
static void send_video_bytes(vc_room *r, vc_conn_id conn, uint32_t sender,
                             int n, size_t len) {
  static const uint8_t payload[1100];
  uint8_t frame[1200];
  vc_route route;
  vc_ssize f;

  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_VIDEO;
  route.sender_session = sender;
  f = vc_envelope_encode(frame, sizeof(frame), &route, payload, len);
  while (f > 0 && n-- > 0) {
    vc_room_receive(r, conn, frame, (size_t)f, MS);
  }
}

static int control(vc_room *r, vc_conn_id conn, uint32_t sender,
                   const Vc__Wire__Control *msg, vc_tstamp ts);

/* Runs the room's timers up to |ts|, sessions 1 to 3 (on connections 1
 * to 3) sending heartbeats so that none goes silent. */
static void run_timers(vc_room *r, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__Heartbeat hb;
  uint32_t i;

  vc__wire__control__init(&ctl);
  vc__wire__heartbeat__init(&hb);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_HEARTBEAT;
  ctl.heartbeat = &hb;
  while (vc_room_get_expiry(r) <= ts) {
    vc_tstamp at = vc_room_get_expiry(r);
    for (i = 1; i <= 3; i++) {
      (void)control(r, i, i, &ctl, at);
    }
    vc_room_handle_expiry(r, at);
  }
}

/* bob's downlink is narrow: his queue refuses some of alice's video.
 * After the window alice alone is told about 85 % of what bob took; carol
 * (no drops) changes nothing; a window without drops says nothing. */
void test_vc_room_a_congested_receiver_limits_the_sender(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 0), 0);
  CHECK_INT_EQ(subscribe_video(r, 3, 3, 1, 0), 0);
  run_timers(r, 1100 * MS); /* the first heartbeat (1 s): a window starts */
  send_video_bytes(r, 1, 1, 100, 1000); /* bob takes these 100 */
  w.full[2] = 1;
  send_video_bytes(r, 1, 1, 50, 1000); /* and refuses 50 */
  w.full[2] = 0;
  run_timers(r, 2100 * MS); /* the next heartbeat ends the window */
  CHECK_INT_EQ(w.bandwidth_reports[1], 1);
  CHECK_INT_EQ(w.bandwidth_reports[2], 0);
  CHECK_INT_EQ(w.bandwidth_reports[3], 0);
  /* 100 frames of about 1020 bytes in 1 s, 85 % of it. */
  CHECK(w.last_bandwidth_kbps > 650 && w.last_bandwidth_kbps < 720);
  send_keyframe(r, 1, 1);               /* bob gets video again from here */
  send_video_bytes(r, 1, 1, 100, 1000); /* nobody refuses now */
  run_timers(r, 3100 * MS);
  CHECK_INT_EQ(w.bandwidth_reports[1], 1);
  /* No refusals, but bob's queue grows by 80 000 of the 102 000 bytes
   * he took: 22 000 left it in the second, so his queue holds 3.6 s. */
  send_video_bytes(r, 1, 1, 100, 1000);
  w.queued[2] = 80000;
  run_timers(r, 4100 * MS);
  CHECK_INT_EQ(w.bandwidth_reports[1], 2);
  CHECK(w.last_bandwidth_kbps > 140 && w.last_bandwidth_kbps < 160);
  /* The queue stays (nothing new, nothing left): still congested, and
   * the rate is what left (nothing): the floor. */
  run_timers(r, 5100 * MS);
  CHECK_INT_EQ(w.bandwidth_reports[1], 3);
  CHECK_INT_EQ(w.last_bandwidth_kbps, 50);
  /* Drained: quiet again. */
  w.queued[2] = 0;
  run_timers(r, 6100 * MS);
  CHECK_INT_EQ(w.bandwidth_reports[1], 3);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.congestion_signals, 3);
  del_room(r, &w);
}

/* Once bob is congested, video for him is not queued behind a queue that
 * already holds more than 400 ms at his measured rate (at least 16 KiB):
 * it waits for the keyframe the room asks for, as after a drop. Before
 * he was found congested, and after his queue drained, it is queued. */
void test_vc_room_a_congested_queue_has_a_time_budget(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  int got;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 0), 0);
  run_timers(r, 1100 * MS);
  w.queued[2] = 80000; /* deep, but nobody knows his rate yet: queued */
  got = w.datagrams;
  send_video_bytes(r, 1, 1, 10, 1000);
  CHECK_INT_EQ(w.datagrams, got + 10);
  run_timers(r, 2100 * MS); /* his queue held it all: congested */
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.congestion_signals, 1);
  got = w.datagrams;
  send_video_bytes(r, 1, 1, 5, 1000); /* over budget: not queued */
  CHECK_INT_EQ(w.datagrams, got);
  CHECK_INT_EQ(w.keyframe_requests[1], 1);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.video_dropped_queue_delay, 1);
  CHECK_INT_EQ(st.video_skipped_until_keyframe, 4);
  w.queued[2] = 1000; /* drained: the keyframe goes */
  send_keyframe(r, 1, 1);
  CHECK_INT_EQ(w.datagrams, got + 1);
  del_room(r, &w);
}

void test_vc_room_keyframe_requests_are_coalesced(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  Vc__Wire__Control ctl;
  Vc__Wire__KeyframeRequest kr;
  int before;

  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  vc__wire__control__init(&ctl);
  vc__wire__keyframe_request__init(&kr);
  kr.session_id = 1; /* alice's keyframe, please */
  kr.kind = VC__WIRE__STREAM_KIND__STREAM_KIND_VIDEO;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST;
  ctl.keyframe_request = &kr;
  before = w.frames[1];
  CHECK_INT_EQ(control(r, 2, 2, &ctl, 10 * MS), 0);
  CHECK_INT_EQ(control(r, 3, 3, &ctl, 20 * MS), 0);  /* merged */
  CHECK_INT_EQ(control(r, 2, 2, &ctl, 100 * MS), 0); /* merged */
  CHECK_INT_EQ(w.frames[1], before + 1);
  CHECK_INT_EQ(control(r, 3, 3, &ctl, 300 * MS), 0); /* a new one */
  CHECK_INT_EQ(w.frames[1], before + 2);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.keyframe_requests_forwarded, 2);
  CHECK_INT_EQ(st.keyframe_requests_coalesced, 2);
  del_room(r, &w);
}

/* The narrow-downlink freeze (e2e/network-impairment.spec.mjs): bob's
 * queue is over its budget when he steps down, so the smaller layer's
 * keyframe is dropped, and so is the one alice sends back within 50 ms.
 * Once his queue drains, the deltas he is held back from ask alice
 * again (bob, sent nothing, cannot notice), and the next keyframe
 * reaches him. Before, nothing more was asked: 8.5 s without a frame. */
void test_vc_room_a_dropped_keyframe_is_asked_for_again(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_tstamp t = 1100 * MS;
  int asked, got, i;

  CHECK(r != NULL);
  CHECK_INT_EQ(join_offering(r, 1, "alice", NULL, 3, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 3), 0);
  run_timers(r, t);
  send_layer_frame(r, 1, 1, 2, 1, t);
  CHECK_INT_EQ(w.media[2], 1);
  w.queued[2] = 80000; /* his path carries next to nothing */
  t += 1000 * MS;
  run_timers(r, t);
  CHECK_INT_EQ(w.layers[1], 0x6); /* down to layer 1 */
  asked = w.keyframe_requests[1];
  got = w.media[2];
  send_layer_frame(r, 1, 1, 1, 1, t + 10 * MS); /* over budget */
  CHECK_INT_EQ(w.keyframe_requests[1], asked + 1);
  send_layer_frame(r, 1, 1, 1, 1, t + 60 * MS); /* the answer: too */
  CHECK_INT_EQ(w.keyframe_requests[1], asked + 1);
  w.queued[2] = 0; /* drained */
  for (i = 1; i <= 10; i++) {
    send_layer_frame(r, 1, 1, 1, 0, t + (60 + (vc_tstamp)i * 40) * MS);
  }
  CHECK_INT_EQ(w.media[2], got);
  CHECK_INT_EQ(w.keyframe_requests[1], asked + 2); /* 250 ms apart */
  CHECK_INT_EQ(w.keyframe_layer, 1);
  send_layer_frame(r, 1, 1, 1, 1, t + 500 * MS);
  send_layer_frame(r, 1, 1, 1, 0, t + 540 * MS);
  CHECK_INT_EQ(w.media[2], got + 2);
  del_room(r, &w);
}

/* bob is stepped down a layer while his queue is over its budget: the
 * smaller layer's keyframe is dropped, so he stays on the top layer (its
 * frames are still whole, and reach him once his queue drains) and the
 * step waits, no second one in the next congested window. The smaller
 * layer's next delta asks for its keyframe, which switches him. Before,
 * the room switched him at the dropped keyframe: nothing of either layer
 * reached him, his page still said layer 2, and the next window stepped
 * him down again. */
void test_vc_room_a_layer_switch_waits_for_its_keyframe_to_be_queued(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  vc_tstamp t = 1100 * MS;
  int asked, got;

  CHECK(r != NULL);
  CHECK_INT_EQ(join_offering(r, 1, "alice", NULL, 3, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 3), 0);
  run_timers(r, t);
  send_layer_frame(r, 1, 1, 2, 1, t);
  w.queued[2] = 80000;
  t += 1000 * MS;
  run_timers(r, t);
  CHECK_INT_EQ(w.layers[1], 0x6); /* layer 1 asked for, 2 kept */
  got = w.media[2];
  send_layer_frame(r, 1, 1, 1, 1, t + 10 * MS); /* over budget */
  w.queued[2] = 0;
  send_layer_frame(r, 1, 1, 2, 0, t + 20 * MS);
  CHECK_INT_EQ(w.media[2], got + 1); /* layer 2 goes on */
  CHECK_INT_EQ(w.layers[1], 0x6);

  w.queued[2] = 80000; /* congested again, within the step's 2 s */
  t += 1000 * MS;
  run_timers(r, t);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.layer_caps_lowered, 1);
  CHECK_INT_EQ(st.layer_switches, 1);

  w.queued[2] = 0;
  asked = w.keyframe_requests[1];
  send_layer_frame(r, 1, 1, 1, 0, t + 10 * MS);
  CHECK_INT_EQ(w.keyframe_requests[1], asked + 1);
  CHECK_INT_EQ(w.keyframe_layer, 1);
  send_layer_frame(r, 1, 1, 1, 1, t + 50 * MS); /* queued: switched */
  send_layer_frame(r, 1, 1, 2, 0, t + 60 * MS);
  send_layer_frame(r, 1, 1, 1, 0, t + 60 * MS);
  CHECK_INT_EQ(w.media[2], got + 3);
  CHECK_INT_EQ(w.layers[1], 0x2);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.layer_switches, 2);
  del_room(r, &w);
}

static int audio(vc_room *r, vc_conn_id conn, uint32_t sender, uint32_t level,
                 vc_tstamp ts) {
  uint8_t frame[128];
  vc_route route;
  vc_ssize n;

  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_AUDIO;
  route.sender_session = sender;
  route.audio_level = level;
  n = vc_envelope_encode(frame, sizeof(frame), &route, (const uint8_t *)"a", 1);
  return n > 0 ? vc_room_receive(r, conn, frame, (size_t)n, ts) : (int)n;
}

void test_vc_room_large_rooms_forward_the_loudest_three(void) {
  static const char *const users[] = {"u1", "u2", "u3", "u4",  "u5",  "u6",
                                      "u7", "u8", "u9", "u10", "u11", "u12"};
  wire_log w;
  vc_room *r = new_room(&w, 20);
  vc_room_stats st;
  int i, k;

  CHECK(r != NULL);
  for (i = 0; i < 12; i++) {
    CHECK_INT_EQ(join(r, (vc_conn_id)i + 1, users[i], NULL, MS), 0);
  }
  w.datagrams = 0;
  /* Three talk loudly (-20 dBov), then a fourth, quieter, joins in. */
  for (k = 0; k < 10; k++) {
    for (i = 1; i <= 3; i++) {
      CHECK_INT_EQ(audio(r, (vc_conn_id)i, (uint32_t)i, 20,
                         1000 * MS + (vc_tstamp)k * 20 * MS),
                   0);
    }
  }
  for (k = 0; k < 5; k++) {
    CHECK_INT_EQ(audio(r, 4, 4, 60, 1200 * MS), 0);
  }
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.audio_not_selected, 5);
  CHECK_INT_EQ(w.datagrams, 30 * 11); /* each loud packet to 11 others */
  /* The three fall silent: the fourth takes a place. */
  CHECK_INT_EQ(audio(r, 4, 4, 60, 1800 * MS), 0);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.audio_not_selected, 5);
  CHECK_INT_EQ(w.datagrams, 31 * 11);
  del_room(r, &w);
}

/* alice offers three layers. bob wants the top, carol the bottom: alice
 * is asked for exactly those two, and each gets only theirs, from its
 * keyframe on. bob then steps down: he keeps layer 2 until layer 0's
 * keyframe (asked for), then alice stops sending layer 2. */
void test_vc_room_simulcast_sends_each_receiver_its_layer(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;

  CHECK(r != NULL);
  CHECK_INT_EQ(join_offering(r, 1, "alice", NULL, 3, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  CHECK_INT_EQ(w.layer_sets[1], 0); /* nobody watches: nothing to send */
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 3), 0); /* top: clamped to 2 */
  CHECK_INT_EQ(w.layer_sets[1], 1);
  CHECK_INT_EQ(w.layers[1], 0x4);
  CHECK_INT_EQ(subscribe_video(r, 3, 3, 1, 0), 0);
  CHECK_INT_EQ(w.layers[1], 0x5);

  /* A delta of bob's layer cannot start his picture: a keyframe of
   * layer 2 is asked for instead. */
  send_layer_frame(r, 1, 1, 2, 0, 10 * MS);
  CHECK_INT_EQ(w.media[2], 0);
  CHECK_INT_EQ(w.keyframe_requests[1], 1);
  CHECK_INT_EQ(w.keyframe_layer, 2);
  send_layer_frame(r, 1, 1, 2, 1, 20 * MS);
  send_layer_frame(r, 1, 1, 0, 1, 20 * MS);
  send_layer_frame(r, 1, 1, 2, 0, 50 * MS);
  send_layer_frame(r, 1, 1, 0, 0, 50 * MS);
  CHECK_INT_EQ(w.media[2], 2); /* layer 2's keyframe and delta */
  CHECK_INT_EQ(w.media[3], 2); /* layer 0's */

  /* bob's tile shrinks. Until layer 0's keyframe he keeps layer 2. */
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 0), 0);
  CHECK_INT_EQ(w.layer_sets[1], 2); /* still 0x5: not said again */
  send_layer_frame(r, 1, 1, 2, 0, 400 * MS);
  send_layer_frame(r, 1, 1, 0, 0, 400 * MS);
  CHECK_INT_EQ(w.media[2], 3);
  CHECK_INT_EQ(w.media[3], 3);
  CHECK_INT_EQ(w.keyframe_requests[1], 2);
  CHECK_INT_EQ(w.keyframe_layer, 0);
  send_layer_frame(r, 1, 1, 0, 1, 430 * MS);
  CHECK_INT_EQ(w.media[2], 4);
  CHECK_INT_EQ(w.layer_sets[1], 3);
  CHECK_INT_EQ(w.layers[1], 0x1);            /* layer 2 is nobody's now */
  send_layer_frame(r, 1, 1, 2, 0, 460 * MS); /* one already on its way */
  CHECK_INT_EQ(w.media[2], 4);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.layer_switches, 3);
  CHECK_INT_EQ(st.layer_sets_sent, 3);
  del_room(r, &w);
}

/* A resubscribe that keeps a stream (the roster changed) keeps its layer:
 * no new keyframe. A resume hears its layer set again. When the watchers
 * leave, the sender is told to send nothing. A sender of one layer is
 * never asked and is forwarded as before. */
void test_vc_room_simulcast_layer_sets_follow_the_room(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);

  CHECK(r != NULL);
  CHECK_INT_EQ(join_offering(r, 1, "alice", NULL, 2, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 1), 0);
  CHECK_INT_EQ(w.layers[1], 0x2);
  send_layer_frame(r, 1, 1, 1, 1, 10 * MS);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 1), 0);
  send_layer_frame(r, 1, 1, 1, 0, 20 * MS);
  CHECK_INT_EQ(w.media[2], 2);
  CHECK_INT_EQ(w.keyframe_requests[1], 0);

  /* bob's video (he offers one layer) reaches alice at any max_layer. */
  CHECK_INT_EQ(subscribe_video(r, 1, 1, 2, 3), 0);
  send_layer_frame(r, 2, 2, 0, 0, 30 * MS);
  CHECK_INT_EQ(w.media[1], 1);
  CHECK_INT_EQ(w.layer_sets[2], 0);

  /* alice's connection drops; she resumes on connection 3. */
  vc_room_conn_closed(r, 1, 40 * MS);
  CHECK_INT_EQ(join_offering(r, 3, "alice", RESUME_TOKEN, 2, 50 * MS), 0);
  CHECK_INT_EQ(w.layer_sets[3], 1);
  CHECK_INT_EQ(w.layers[3], 0x2);

  /* bob unsubscribes: nothing to send. */
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 1) == 0, 1);
  {
    uint8_t frame[64];
    Vc__Wire__Control ctl;
    Vc__Wire__Subscribe none;
    vc__wire__control__init(&ctl);
    vc__wire__subscribe__init(&none);
    ctl.msg_case = VC__WIRE__CONTROL__MSG_SUBSCRIBE;
    ctl.subscribe = &none;
    CHECK_INT_EQ(vc_room_receive(r, 2, frame,
                                 control_frame(frame, sizeof(frame), 2, &ctl),
                                 60 * MS),
                 0);
  }
  CHECK_INT_EQ(w.layer_sets[3], 2);
  CHECK_INT_EQ(w.layers[3], 0x0);
  del_room(r, &w);
}

/* alice sends three layers; bob and carol get the top one. bob's path
 * narrows: he is moved down a layer per congested window while carol
 * keeps the top, and alice is told to slow down only once bob is on the
 * lowest. When bob's path is wide again, a layer comes back after the
 * cap has held for 4 s. */
void test_vc_room_a_congested_receiver_steps_down_a_layer(void) {
  wire_log w;
  vc_room *r = new_room(&w, 10);
  vc_room_stats st;
  vc_tstamp t = 1100 * MS;
  int i;

  CHECK(r != NULL);
  CHECK_INT_EQ(join_offering(r, 1, "alice", NULL, 3, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  CHECK_INT_EQ(subscribe_video(r, 2, 2, 1, 3), 0);
  CHECK_INT_EQ(subscribe_video(r, 3, 3, 1, 3), 0);
  run_timers(r, t); /* the first heartbeat: a window starts */
  send_layer_frame(r, 1, 1, 2, 1, t);
  CHECK_INT_EQ(w.media[2], 1);
  CHECK_INT_EQ(w.media[3], 1);
  CHECK_INT_EQ(w.layers[1], 0x4);

  /* bob's queue refuses media for a window: down to layer 1. */
  w.full[2] = 1;
  send_layer_frame(r, 1, 1, 2, 0, t + 10 * MS);
  t += 1000 * MS;
  run_timers(r, t);
  CHECK_INT_EQ(w.layers[1], 0x6);
  CHECK_INT_EQ(w.bandwidth_reports[1], 0);
  w.full[2] = 0;
  send_layer_frame(r, 1, 1, 1, 1, t + 10 * MS); /* bob switches */
  send_layer_frame(r, 1, 1, 2, 1, t + 10 * MS); /* carol stays */
  CHECK_INT_EQ(w.layers[1], 0x6);
  CHECK_INT_EQ(w.media[2], 2);
  CHECK_INT_EQ(w.media[3], 3);

  /* Still too much: layer 0, then (nothing smaller) alice slows down. */
  for (i = 0; i < 2; i++) {
    w.full[2] = 1;
    send_layer_frame(r, 1, 1, (uint32_t)(1 - i), 0, t + 20 * MS);
    t += 1000 * MS;
    run_timers(r, t);
    w.full[2] = 0;
    send_layer_frame(r, 1, 1, 0, 1, t + 10 * MS);
  }
  CHECK_INT_EQ(w.layers[1], 0x5);
  CHECK_INT_EQ(w.bandwidth_reports[1], 1);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.layer_caps_lowered, 2);

  /* Wide again: 4 s after the last step down, layer 1 is tried (bob
   * keeps layer 0 until its keyframe). */
  for (i = 0; i < 2; i++) {
    t += 1000 * MS;
    run_timers(r, t);
    CHECK_INT_EQ(w.layers[1], 0x5);
  }
  t += 1000 * MS;
  run_timers(r, t);
  CHECK_INT_EQ(w.layers[1], 0x7);
  del_room(r, &w);
}

/* ---- limits on what one participant makes the room send (issue 20) --- */

static int set_hand(vc_room *r, vc_conn_id conn, uint32_t sender, int up,
                    vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__MediaStateUpdate up_msg;
  Vc__Wire__MediaState st;

  vc__wire__control__init(&ctl);
  vc__wire__media_state_update__init(&up_msg);
  vc__wire__media_state__init(&st);
  st.hand_raised = up;
  up_msg.state = &st;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_MEDIA_STATE;
  ctl.media_state = &up_msg;
  return control(r, conn, sender, &ctl, ts);
}

/* Toggles |sender|'s hand |n| times at |ts|; returns how many passed. */
static int toggle_hand(vc_room *r, vc_conn_id conn, uint32_t sender, int n,
                       vc_tstamp ts) {
  static int up;
  int i, passed = 0;

  for (i = 0; i < n; i++) {
    up = !up;
    passed += set_hand(r, conn, sender, up, ts) == 0;
  }
  return passed;
}

static vc_room *room_of_three(wire_log *w, const vc_room_limits *lim) {
  vc_room *r = new_room_with(w, 10, lim);

  if (r &&
      (join(r, 1, "alice", NULL, MS) != 0 || join(r, 2, "bob", NULL, MS) != 0 ||
       join(r, 3, "carol", NULL, MS) != 0)) {
    vc_room_del(r);
    return NULL;
  }
  return r;
}

void test_vc_room_hand_toggles_are_limited_and_the_last_state_kept(void) {
  wire_log w;
  vc_room *r = room_of_three(&w, NULL);
  vc_room_stats st;
  int bob_before;

  CHECK(r != NULL);
  bob_before = w.updated[2];
  /* 20 at once pass (a person clicking fast), each to the others. */
  CHECK_INT_EQ(toggle_hand(r, 1, 1, 20, 2 * MS), 20);
  CHECK_INT_EQ(w.updated[2], bob_before + 20);
  /* Past the burst: refused, explained once, counted each time. */
  CHECK_INT_EQ(set_hand(r, 1, 1, 1, 2 * MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED);
  CHECK_INT_EQ(set_hand(r, 1, 1, 0, 3 * MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(set_hand(r, 1, 1, 1, 4 * MS), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(w.errors[1], 1);
  CHECK_INT_EQ(w.updated[2], bob_before + 20);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_MEDIA_STATE], 3);
  CHECK_INT_EQ(st.removed_for_flooding, 0);
  /* The next sweep, a token later, tells the others the last state: the
   * hand is up, as alice left it. */
  vc_room_handle_expiry(r, 251 * MS);
  CHECK_INT_EQ(w.updated[2], bob_before + 21);
  CHECK_INT_EQ(w.last_hand, 1);
  /* A second later the rate is back; the error is said again when due. */
  CHECK_INT_EQ(toggle_hand(r, 1, 1, 10, 1300 * MS), 10);
  CHECK_INT_EQ(vc_room_size(r), 3);
  del_room(r, &w);
}

static int key_delivery(vc_room *r, vc_conn_id conn, uint32_t sender,
                        uint32_t to, vc_tstamp ts) {
  static uint8_t sealed[48] = {9};
  Vc__Wire__Control ctl;
  Vc__Wire__KeyDelivery kd;

  vc__wire__control__init(&ctl);
  vc__wire__key_delivery__init(&kd);
  kd.from_session = sender;
  kd.to_session = to;
  kd.sealed_key.data = sealed;
  kd.sealed_key.len = sizeof(sealed);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_DELIVERY;
  ctl.key_delivery = &kd;
  return control(r, conn, sender, &ctl, ts);
}

static int key_announce(vc_room *r, vc_conn_id conn, uint32_t sender,
                        vc_tstamp ts) {
  static uint8_t identity[32] = {7};
  Vc__Wire__Control ctl;
  Vc__Wire__KeyAnnounce ka;

  vc__wire__control__init(&ctl);
  vc__wire__key_announce__init(&ka);
  ka.session_id = sender;
  ka.identity_key.data = identity;
  ka.identity_key.len = sizeof(identity);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE;
  ctl.key_announce = &ka;
  return control(r, conn, sender, &ctl, ts);
}

static int keyframe_request(vc_room *r, vc_conn_id conn, uint32_t sender,
                            uint32_t of, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__KeyframeRequest kr;

  vc__wire__control__init(&ctl);
  vc__wire__keyframe_request__init(&kr);
  kr.session_id = of;
  kr.kind = VC__WIRE__STREAM_KIND__STREAM_KIND_VIDEO;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST;
  ctl.keyframe_request = &kr;
  return control(r, conn, sender, &ctl, ts);
}

/*
 * A client joining a meeting of 1000 seals its key to the 999 others,
 * twice while a key switch is pending (src/meeting/e2ee_keys.c), and
 * each departure then makes it deliver a fresh key to everyone left:
 * none of that may be refused. A flood past it is.
 */
void test_vc_room_key_deliveries_allow_a_meeting_of_1000(void) {
  wire_log w;
  vc_room *r = room_of_three(&w, NULL);
  vc_room_stats st;
  vc_tstamp t = 2 * MS;
  int i, passed = 0, sec;

  CHECK(r != NULL);
  for (i = 0; i < 2 * 999; i++) {
    passed += key_delivery(r, 1, 1, 2, t) == 0;
  }
  CHECK_INT_EQ(passed, 2 * 999);
  /* Then two departures a second for ten seconds: 999 deliveries each. */
  for (sec = 0; sec < 10; sec++) {
    t += 500 * MS;
    for (i = 0, passed = 0; i < 999; i++) {
      passed += key_delivery(r, 1, 1, 2, t) == 0;
    }
    CHECK_INT_EQ(passed, 999);
    t += 500 * MS;
    for (i = 0, passed = 0; i < 999; i++) {
      passed += key_delivery(r, 1, 1, 2, t) == 0;
    }
    CHECK_INT_EQ(passed, 999);
    vc_room_handle_expiry(r, t); /* heartbeats: the room keeps us */
    (void)set_hand(r, 2, 2, sec & 1, t);
    (void)set_hand(r, 3, 3, sec & 1, t);
  }
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_KEY_DELIVERY], 0);
  /* A flood: at most the burst passes, the rest is refused. */
  for (i = 0, passed = 0; i < 20000; i++) {
    int rv = key_delivery(r, 1, 1, 2, t);
    if (rv == VC_ERR_STATE) {
      break; /* removed */
    }
    passed += rv == 0;
  }
  CHECK(passed <= 8000);
  vc_room_get_stats(r, &st);
  CHECK(st.rate_limited[VC_ROOM_LIMIT_KEY_DELIVERY] > 0);
  CHECK_INT_EQ(st.removed_for_flooding, 1);
  del_room(r, &w);
}

/* Every kind that is passed on has its own rate and counter. */
void test_vc_room_each_relayed_kind_has_its_rate(void) {
  wire_log w;
  vc_room_limits lim;
  vc_room *r;
  vc_room_stats st;
  int i, passed;

  vc_room_default_limits(&lim);
  lim.max_participants = 10;
  lim.chat_per_second = 3;
  lim.message_rates[VC_ROOM_LIMIT_KEY_DELIVERY].burst = 5;
  lim.message_rates[VC_ROOM_LIMIT_KEYFRAME_REQUEST].burst = 5;
  r = room_of_three(&w, &lim);
  CHECK(r != NULL);
  for (i = 0, passed = 0; i < 12; i++) {
    passed += key_announce(r, 1, 1, 2 * MS) == 0;
  }
  CHECK_INT_EQ(passed, 10);
  for (i = 0, passed = 0; i < 7; i++) {
    passed += key_delivery(r, 1, 1, 2, 2 * MS) == 0;
  }
  CHECK_INT_EQ(passed, 5);
  for (i = 0, passed = 0; i < 7; i++) {
    passed += keyframe_request(r, 1, 1, 2, 2 * MS) == 0;
  }
  CHECK_INT_EQ(passed, 5);
  for (i = 0, passed = 0; i < 202; i++) {
    passed += subscribe_video(r, 2, 2, 1, 0) == 0;
  }
  CHECK_INT_EQ(passed, 200);
  /* alice hosts: 20 mute requests pass, then they are refused. */
  for (i = 0, passed = 0; i < 22; i++) {
    passed += host_action(r, 1, 1,
                          VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_MUTE_REQUEST,
                          3) == 0;
  }
  CHECK_INT_EQ(passed, 20);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_KEY_ANNOUNCE], 2);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_KEY_DELIVERY], 2);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_KEYFRAME_REQUEST], 2);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_SUBSCRIBE], 2);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_HOST_ACTION], 2);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_FANOUT_BYTES], 0);
  CHECK(strcmp(vc_room_limit_name(VC_ROOM_LIMIT_SUBSCRIBE), "subscribe") == 0);
  CHECK_INT_EQ(vc_room_size(r), 3);
  del_room(r, &w);
}

/* The bytes one sender makes the room write are capped, whatever the
 * message: in a meeting of ten, a state change costs nine copies. */
void test_vc_room_fanout_bytes_are_capped(void) {
  wire_log w;
  vc_room_limits lim;
  vc_room *r;
  vc_room_stats st;
  uint8_t frame[512];
  Vc__Wire__Control ctl;
  Vc__Wire__MediaStateUpdate up;
  Vc__Wire__MediaState ms;
  size_t len;
  int passed;

  vc_room_default_limits(&lim);
  lim.max_participants = 10;
  lim.message_rates[VC_ROOM_LIMIT_MEDIA_STATE].burst = 1000;
  lim.message_rates[VC_ROOM_LIMIT_FANOUT_BYTES].burst = 2000;
  r = new_room_with(&w, 10, &lim);
  CHECK(r != NULL);
  CHECK_INT_EQ(join(r, 1, "alice", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 2, "bob", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 3, "carol", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 4, "dave", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 5, "erin", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 6, "frank", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 7, "grace", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 8, "heidi", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 9, "ivan", NULL, MS), 0);
  CHECK_INT_EQ(join(r, 10, "judy", NULL, MS), 0);
  vc__wire__control__init(&ctl);
  vc__wire__media_state_update__init(&up);
  vc__wire__media_state__init(&ms);
  ms.hand_raised = 1;
  up.state = &ms;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_MEDIA_STATE;
  ctl.media_state = &up;
  len = control_frame(frame, sizeof(frame), 1, &ctl);
  CHECK(len > 0);
  passed = toggle_hand(r, 1, 1, 40, 2 * MS); /* under 50 strikes */
  /* Each toggle costs about len x 9 bytes of the 2000. */
  CHECK(passed >= (int)(2000 / (len * 9)) - 1);
  CHECK(passed <= (int)(2000 / (len * 9)) + 1);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_MEDIA_STATE], 0);
  CHECK(st.rate_limited[VC_ROOM_LIMIT_FANOUT_BYTES] > 0);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED);
  del_room(r, &w);
}

void test_vc_room_a_persistent_offender_is_removed(void) {
  wire_log w;
  vc_room_limits lim;
  vc_room *r;
  vc_room_stats st;
  int i, rv = 0, bob_passed;

  vc_room_default_limits(&lim);
  lim.max_participants = 10;
  lim.strikes.burst = 5;
  r = room_of_three(&w, &lim);
  CHECK(r != NULL);
  /* bob goes over once by accident and backs off: he stays. */
  bob_passed = toggle_hand(r, 2, 2, 21, 2 * MS);
  CHECK_INT_EQ(bob_passed, 20);
  CHECK_INT_EQ(toggle_hand(r, 2, 2, 4, 3000 * MS), 4);
  /* alice floods: 20 pass, 5 refusals are strikes, the next removes. */
  CHECK_INT_EQ(toggle_hand(r, 1, 1, 20, 3000 * MS), 20);
  for (i = 0; i < 100 && rv != VC_ERR_STATE; i++) {
    rv = set_hand(r, 1, 1, i & 1, 3000 * MS);
  }
  CHECK_INT_EQ(rv, VC_ERR_STATE);
  /* She is told why, her connection closed; the others see her removed. */
  CHECK_INT_EQ(w.leaves[1], 1);
  CHECK_INT_EQ(w.last_leave_reason,
               VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED);
  CHECK_INT_EQ(w.closed[1], 1);
  CHECK_INT_EQ(w.left_removed, 2); /* to bob and carol */
  CHECK_INT_EQ(vc_room_size(r), 2);
  vc_room_get_stats(r, &st);
  CHECK_INT_EQ(st.removed_for_flooding, 1);
  /* bob's one, and alice's five strikes and the sixth that removed her */
  CHECK_INT_EQ(st.rate_limited[VC_ROOM_LIMIT_MEDIA_STATE], 7);
  /* Her connection's later frames find no session. */
  CHECK_INT_EQ(set_hand(r, 1, 1, 1, 3000 * MS), VC_ERR_STATE);
  CHECK_INT_EQ(w.last_error, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_JOINED);
  del_room(r, &w);
}

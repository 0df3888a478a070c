/*
 * rooms.c: see rooms.h. Rooms live in slots; a slot's generation moves on
 * when its room closes, which is how connections of a closed room find
 * themselves in none. Joins look the meeting up by a scan over the slots
 * (joins are rare next to media), and a tick every TICK_MS runs the rooms'
 * timers and closes the empty ones. Each room remembers the source
 * address of the Join that opened it, so one address opens at most
 * max_rooms_per_source of them.
 */
#include "rooms.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#define MS ((vc_tstamp)1000000)
#define NEVER UINT64_MAX
#define TICK_MS 100

typedef struct rooms_slot {
  vc_room *room; /* NULL: free */
  uint32_t generation;
  char meeting_id[65];
  uint8_t opener[16]; /* the source of the Join that made it */
  int has_opener;
} rooms_slot;

struct vc_rooms {
  vc_rooms_limits limits;
  vc_room_callbacks cb;
  rooms_slot *slots; /* [1 .. max_rooms]; slot 0 means "no room" */
  uint32_t n_rooms;
  vc_tstamp next_tick;
  vc_control_decoder *dec;
  uint8_t *payload;
  uint8_t scratch[1024];
  vc_rooms_stats closed; /* totals of rooms already closed */
};

void vc_rooms_default_limits(vc_rooms_limits *limits) {
  limits->max_rooms = 1000;
  /* A person hops between a few meetings, an office behind one NAT
   * holds a handful at once; 16 leaves the other 984 to everyone else. */
  limits->max_rooms_per_source = 16;
  vc_room_default_limits(&limits->room);
}

int vc_rooms_new(vc_rooms **prs, const vc_rooms_limits *limits,
                 const vc_room_callbacks *cb) {
  vc_rooms *rs;

  if (!prs || !cb || !cb->send || !cb->close || !cb->random) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  rs = calloc(1, sizeof(*rs));
  if (!rs) {
    return VC_ERR_NOMEM;
  }
  if (limits) {
    rs->limits = *limits;
  } else {
    vc_rooms_default_limits(&rs->limits);
  }
  if (rs->limits.max_rooms == 0) {
    free(rs);
    return VC_ERR_INVALID_ARGUMENT;
  }
  rs->cb = *cb;
  rs->next_tick = NEVER;
  rs->slots = calloc((size_t)rs->limits.max_rooms + 1, sizeof(*rs->slots));
  rs->payload = malloc(VC_ENVELOPE_MAX_PAYLOAD_LEN);
  if (!rs->slots || !rs->payload ||
      vc_control_decoder_new(&rs->dec, VC_CONTROL_ARENA_LEN) != 0) {
    vc_rooms_del(rs);
    return VC_ERR_NOMEM;
  }
  *prs = rs;
  return 0;
}

void vc_rooms_del(vc_rooms *rs) {
  uint32_t i;

  if (!rs) {
    return;
  }
  for (i = 1; rs->slots && i <= rs->limits.max_rooms; i++) {
    vc_room_del(rs->slots[i].room);
  }
  free(rs->slots);
  free(rs->payload);
  vc_control_decoder_del(rs->dec);
  free(rs);
}

static vc_room *room_of(const vc_rooms *rs, const vc_rooms_conn *conn) {
  const rooms_slot *slot;

  if (conn->slot == 0 || conn->slot > rs->limits.max_rooms) {
    return NULL;
  }
  slot = &rs->slots[conn->slot];
  return slot->room && slot->generation == conn->generation ? slot->room : NULL;
}

static void send_error(vc_rooms *rs, vc_conn_id conn, Vc__Wire__ErrorCode code,
                       const char *text) {
  uint8_t frame[sizeof(rs->scratch) + VC_ENVELOPE_MAX_OVERHEAD];
  Vc__Wire__Control ctl;
  Vc__Wire__Error err;
  vc_ssize f;

  vc__wire__control__init(&ctl);
  vc__wire__error__init(&err);
  err.code = code;
  err.text = (char *)(uintptr_t)text;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_ERROR;
  ctl.error = &err;
  f = vc_control_encode_envelope(frame, sizeof(frame), rs->scratch,
                                 sizeof(rs->scratch), 0, 0, &ctl);
  if (f > 0) {
    (void)rs->cb.send(rs->cb.user_data, conn, frame, (size_t)f, 1);
  }
}

/* The slot of the room for |meeting_id|, 0 when there is none. */
static uint32_t find_room(const vc_rooms *rs, const char *meeting_id) {
  uint32_t i;

  for (i = 1; i <= rs->limits.max_rooms; i++) {
    const rooms_slot *slot = &rs->slots[i];
    if (slot->room && strcmp(slot->meeting_id, meeting_id) == 0) {
      return i;
    }
  }
  return 0;
}

int vc_rooms_conn_set_source(vc_rooms_conn *conn, const char *peer) {
  char host[INET6_ADDRSTRLEN + 1];
  const char *end;
  size_t len;

  conn->has_source = 0;
  memset(conn->source, 0, sizeof(conn->source));
  if (!peer) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (peer[0] == '[') {
    end = strchr(peer, ']');
    peer++;
  } else {
    end = strrchr(peer, ':');
  }
  len = end ? (size_t)(end - peer) : strlen(peer);
  if (len == 0 || len >= sizeof(host)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memcpy(host, peer, len);
  host[len] = '\0';
  if (inet_pton(AF_INET, host, conn->source + 12) == 1) {
    conn->source[10] = conn->source[11] = 0xff; /* ::ffff:a.b.c.d */
  } else if (inet_pton(AF_INET6, host, conn->source) == 1) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(conn->source, mapped, sizeof(mapped)) != 0) {
      /* One host or home gets a /64: its other addresses are free. */
      memset(conn->source + 8, 0, 8);
    }
  } else {
    return VC_ERR_INVALID_ARGUMENT;
  }
  conn->has_source = 1;
  return 0;
}

/* Rooms open now that |conn|'s source opened. */
static uint32_t rooms_opened_by(const vc_rooms *rs, const vc_rooms_conn *conn) {
  uint32_t i, n = 0;

  for (i = 1; i <= rs->limits.max_rooms; i++) {
    const rooms_slot *slot = &rs->slots[i];
    n += slot->room && slot->has_opener &&
         memcmp(slot->opener, conn->source, sizeof(slot->opener)) == 0;
  }
  return n;
}

static void add_stats(vc_room_stats *sum, const vc_room_stats *s) {
  int i;

  sum->frames_in += s->frames_in;
  sum->frames_refused += s->frames_refused;
  sum->media_forwarded += s->media_forwarded;
  sum->media_spoofed += s->media_spoofed;
  sum->media_over_rate += s->media_over_rate;
  sum->audio_not_selected += s->audio_not_selected;
  sum->keys_relayed += s->keys_relayed;
  sum->keyframe_requests_forwarded += s->keyframe_requests_forwarded;
  sum->keyframe_requests_coalesced += s->keyframe_requests_coalesced;
  sum->video_skipped_until_keyframe += s->video_skipped_until_keyframe;
  sum->video_dropped_queue_delay += s->video_dropped_queue_delay;
  sum->beacon_leaves += s->beacon_leaves;
  sum->congestion_signals += s->congestion_signals;
  sum->layer_switches += s->layer_switches;
  sum->layer_sets_sent += s->layer_sets_sent;
  sum->layer_caps_lowered += s->layer_caps_lowered;
  sum->resumes += s->resumes;
  sum->chats += s->chats;
  sum->chats_deduplicated += s->chats_deduplicated;
  for (i = 0; i < VC_ROOM_LIMIT_KINDS; i++) {
    sum->rate_limited[i] += s->rate_limited[i];
  }
  sum->removed_for_flooding += s->removed_for_flooding;
}

/* Closes the room in |slot|, keeping its counters. */
static void close_slot(vc_rooms *rs, rooms_slot *slot) {
  vc_room_stats st;

  vc_room_get_stats(slot->room, &st);
  add_stats(&rs->closed.total, &st);
  vc_room_del(slot->room);
  slot->room = NULL;
  slot->generation++; /* its connections are in no room now */
  rs->n_rooms--;
}

/*
 * |conn|'s source opened its share: a room of its where nobody is
 * present (all reconnecting, as after the last one's connection ended)
 * is closed now rather than after the resume grace, so a person moving
 * between meetings is not locked out by the ones it just left. Returns
 * 1 when one was closed. Whoever might still have resumed there joins
 * afresh (a new session) when back.
 */
static int close_an_empty_one(vc_rooms *rs, const vc_rooms_conn *conn) {
  uint32_t i;

  for (i = 1; i <= rs->limits.max_rooms; i++) {
    rooms_slot *slot = &rs->slots[i];
    if (slot->room && slot->has_opener &&
        memcmp(slot->opener, conn->source, sizeof(slot->opener)) == 0 &&
        vc_room_attached(slot->room) == 0) {
      close_slot(rs, slot);
      rs->closed.closed_for_opener++;
      return 1;
    }
  }
  return 0;
}

/* The room for |meeting_id|, made when there is none; 0 when all slots
 * are taken, VC_ERR_QUEUE_FULL (as uint32_t: never a slot) when
 * |conn|'s source opened its share. */
#define OVER_SOURCE_CAP ((uint32_t)-1)
static uint32_t find_or_open(vc_rooms *rs, const vc_rooms_conn *conn,
                             const char *meeting_id, vc_tstamp ts) {
  uint32_t i = find_room(rs, meeting_id), free_slot = 0;

  if (i) {
    return i;
  }
  if (conn->has_source && rs->limits.max_rooms_per_source &&
      rooms_opened_by(rs, conn) >= rs->limits.max_rooms_per_source &&
      !close_an_empty_one(rs, conn)) {
    return OVER_SOURCE_CAP;
  }
  for (i = 1; i <= rs->limits.max_rooms && !free_slot; i++) {
    if (!rs->slots[i].room) {
      free_slot = i;
    }
  }
  if (!free_slot || vc_room_new(&rs->slots[free_slot].room, meeting_id,
                                &rs->limits.room, &rs->cb) != 0) {
    return 0;
  }
  memcpy(rs->slots[free_slot].meeting_id, meeting_id, strlen(meeting_id) + 1);
  memcpy(rs->slots[free_slot].opener, conn->source, sizeof(conn->source));
  rs->slots[free_slot].has_opener = conn->has_source;
  rs->n_rooms++;
  if (rs->next_tick == NEVER) {
    rs->next_tick = ts + TICK_MS * MS;
  }
  return free_slot;
}

int vc_rooms_receive(vc_rooms *rs, vc_rooms_conn *conn, const uint8_t *frame,
                     size_t len, vc_tstamp ts) {
  vc_room *room = room_of(rs, conn);
  Vc__Wire__Control *c;
  vc_route route;
  vc_ssize n;
  uint32_t slot;

  if (room) {
    return vc_room_receive(room, conn->id, frame, len, ts);
  }
  /* Not in a room: only a Join makes sense, and it says which. */
  n = vc_envelope_decode(&route, rs->payload, VC_ENVELOPE_MAX_PAYLOAD_LEN,
                         frame, len);
  if (n < 0 || route.kind != VC_STREAM_KIND_CONTROL ||
      vc_control_decode(rs->dec, &c, rs->payload, (size_t)n) != 0 ||
      c->msg_case != VC__WIRE__CONTROL__MSG_JOIN) {
    rs->closed.refused_not_joined++;
    send_error(rs, conn->id,
               n == VC_ERR_UNSUPPORTED_VERSION
                   ? VC__WIRE__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION
                   : VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_JOINED,
               n == VC_ERR_UNSUPPORTED_VERSION
                   ? "this server speaks an older protocol"
                   : "send a valid Join first");
    return n < 0 ? (int)n : VC_ERR_STATE;
  }
  slot = find_or_open(rs, conn, c->join->meeting_id, ts);
  if (slot == OVER_SOURCE_CAP) {
    /* SERVER_FULL, not RATE_LIMITED: a joining client gives up on it
     * and shows the sentence (src/meeting/meeting.c on_error). */
    rs->closed.refused_per_address++;
    send_error(rs, conn->id, VC__WIRE__ERROR_CODE__ERROR_CODE_SERVER_FULL,
               "too many meetings are open from your address: end one "
               "first");
    rs->cb.close(rs->cb.user_data, conn->id);
    return VC_ERR_QUEUE_FULL;
  }
  if (!slot) {
    rs->closed.refused_server_full++;
    send_error(rs, conn->id, VC__WIRE__ERROR_CODE__ERROR_CODE_SERVER_FULL,
               "this server holds as many meetings as it can");
    rs->cb.close(rs->cb.user_data, conn->id);
    return VC_ERR_QUEUE_FULL;
  }
  conn->slot = slot;
  conn->generation = rs->slots[slot].generation;
  return vc_room_receive(rs->slots[slot].room, conn->id, frame, len, ts);
}

void vc_rooms_conn_closed(vc_rooms *rs, vc_rooms_conn *conn, vc_tstamp ts) {
  vc_room *room = room_of(rs, conn);

  if (room) {
    vc_room_conn_closed(room, conn->id, ts);
  }
  conn->slot = 0;
}

int vc_rooms_leave_by_token(vc_rooms *rs, const char *meeting_id,
                            uint32_t session, const uint8_t *token,
                            size_t token_len, vc_tstamp ts) {
  uint32_t i = find_room(rs, meeting_id);

  return i ? vc_room_leave_by_token(rs->slots[i].room, session, token,
                                    token_len, ts)
           : VC_ERR_INVALID_ARGUMENT;
}

vc_tstamp vc_rooms_get_expiry(const vc_rooms *rs) {
  return rs->next_tick;
}

void vc_rooms_handle_expiry(vc_rooms *rs, vc_tstamp ts) {
  uint32_t i;

  if (ts < rs->next_tick) {
    return;
  }
  for (i = 1; i <= rs->limits.max_rooms; i++) {
    rooms_slot *slot = &rs->slots[i];
    if (!slot->room) {
      continue;
    }
    if (vc_room_get_expiry(slot->room) <= ts) {
      vc_room_handle_expiry(slot->room, ts);
    }
    if (vc_room_size(slot->room) == 0) {
      close_slot(rs, slot);
    }
  }
  rs->next_tick = rs->n_rooms ? ts + TICK_MS * MS : NEVER;
}

void vc_rooms_shutdown(vc_rooms *rs, vc_tstamp ts) {
  uint32_t i;

  for (i = 1; i <= rs->limits.max_rooms; i++) {
    if (rs->slots[i].room) {
      vc_room_shutdown(rs->slots[i].room, ts);
    }
  }
}

void vc_rooms_get_stats(const vc_rooms *rs, vc_rooms_stats *stats) {
  uint32_t i;

  *stats = rs->closed;
  stats->rooms = rs->n_rooms;
  stats->participants = 0;
  for (i = 1; i <= rs->limits.max_rooms; i++) {
    if (rs->slots[i].room) {
      vc_room_stats st;
      vc_room_get_stats(rs->slots[i].room, &st);
      add_stats(&stats->total, &st);
      stats->participants += (uint32_t)vc_room_size(rs->slots[i].room);
    }
  }
}

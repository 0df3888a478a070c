/*
 * e2ee_keys.c: who holds which key, for a meeting with end-to-end
 * encryption on (docs/E2EE.md "Keys over time").
 *
 *   joined        draw an identity and a first key; announce the identity
 *   an announce   seal our current key to that identity and deliver it
 *   a delivery    open it: that is the sender's key now
 *   someone new   everyone ratchets every key one generation, so the
 *                 newcomer (who gets only the new generations) cannot
 *                 read what came before
 *   someone left  we draw fresh key material and deliver it to those who
 *                 stay, and seal with it VC_MEETING_KEY_SWITCH_MS later, so
 *                 media that overtakes the delivery (datagrams do) still
 *                 opens: the departed cannot read what follows the switch
 *
 * Key ids are the generation modulo 16; receivers keep four keys per
 * sender, so frames sealed just before a change still open.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/e2ee.h>

#include "meeting_internal.h"

/* A delivered key: its id, then its material. */
#define KEY_MSG_LEN (1 + VC_E2EE_KEY_LEN)

static void random_bytes(vc_meeting *m, uint8_t *buf, size_t len) {
  m->random(m->user_data, buf, len);
}

static void use_material(vc_meeting *m) {
  vc_e2ee_sender_set_key(&m->sender, m->key_id, m->material);
  vc_e2ee_receiver_set_key(&m->self_rx, m->key_id, m->material);
}

static void deliver_key(vc_meeting *m, const vc__member *peer, uint8_t key_id,
                        const uint8_t *material) {
  uint8_t msg[KEY_MSG_LEN], seed[VC_E2EE_SEED_LEN];
  uint8_t sealed[KEY_MSG_LEN + VC_E2EE_SEALED_OVERHEAD];
  Vc__Wire__Control ctl;
  Vc__Wire__KeyDelivery kd;
  vc_ssize n;

  msg[0] = key_id;
  memcpy(msg + 1, material, VC_E2EE_KEY_LEN);
  random_bytes(m, seed, sizeof(seed));
  n = vc_e2ee_seal_to(sealed, sizeof(sealed), msg, sizeof(msg), peer->identity,
                      seed);
  vc_e2ee_wipe(msg, sizeof(msg)); /* the key was only lent to the seal */
  if (n < 0) {
    return;
  }
  vc__wire__control__init(&ctl);
  vc__wire__key_delivery__init(&kd);
  kd.from_session = m->session_id;
  kd.to_session = peer->p.session_id;
  kd.key_id = key_id;
  kd.sealed_key.data = sealed;
  kd.sealed_key.len = (size_t)n;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_DELIVERY;
  ctl.key_delivery = &kd;
  (void)vc__meeting_send(m, &ctl);
}

/* Our current key, and the next one when a switch is pending. */
static void deliver_to(vc_meeting *m, const vc__member *peer) {
  deliver_key(m, peer, m->key_id, m->material);
  if (m->key_switch_at != VC__NEVER) {
    deliver_key(m, peer, m->next_key_id, m->next_material);
  }
}

static void switch_key(vc_meeting *m) {
  memcpy(m->material, m->next_material, sizeof(m->material));
  m->key_id = m->next_key_id;
  use_material(m);
  vc_e2ee_wipe(m->next_material, sizeof(m->next_material));
  m->key_switch_at = VC__NEVER;
}

void vc__keys_tick(vc_meeting *m, vc_tstamp ts) {
  if (ts >= m->key_switch_at) {
    switch_key(m);
  }
}

void vc__keys_on_joined(vc_meeting *m) {
  Vc__Wire__Control ctl;
  Vc__Wire__KeyAnnounce ka;
  uint8_t seed[VC_E2EE_SEED_LEN], tag[VC_E2EE_AUTH_TAG_LEN];

  if (!m->e2ee) {
    return;
  }
  if (!m->have_identity) {
    random_bytes(m, seed, sizeof(seed));
    vc_e2ee_identity(m->identity_pk, m->identity_sk, seed);
    m->have_identity = 1;
    random_bytes(m, m->material, sizeof(m->material));
    m->key_id = 0;
    use_material(m);
  }
  vc__wire__control__init(&ctl);
  vc__wire__key_announce__init(&ka);
  ka.session_id = m->session_id;
  ka.identity_key.data = m->identity_pk;
  ka.identity_key.len = sizeof(m->identity_pk);
  if (m->has_passphrase) {
    vc_e2ee_auth_tag(tag, m->auth_key, m->identity_pk);
    ka.auth_tag.data = tag;
    ka.auth_tag.len = sizeof(tag);
  }
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE;
  ctl.key_announce = &ka;
  (void)vc__meeting_send(m, &ctl);
}

void vc__keys_on_participant_joined(vc_meeting *m, uint32_t session) {
  size_t i;

  if (!m->e2ee || !m->have_identity) {
    return;
  }
  /* The newcomer must get only what comes after: take the pending key now
   * (those who stay already hold it) and ratchet that. */
  if (m->key_switch_at != VC__NEVER) {
    switch_key(m);
  }
  vc_e2ee_ratchet(m->material);
  m->key_id = (uint8_t)((m->key_id + 1) % (VC_E2EE_MAX_KEY_ID + 1));
  use_material(m);
  for (i = 0; i < m->roster.n; i++) {
    vc__member *mb = &m->roster.items[i];
    if (mb->p.session_id != session && mb->has_key) {
      vc_e2ee_ratchet(mb->material);
      mb->key_id = (uint8_t)((mb->key_id + 1) % (VC_E2EE_MAX_KEY_ID + 1));
      vc_e2ee_receiver_set_key(&mb->rx, mb->key_id, mb->material);
    }
  }
}

void vc__keys_on_participant_left(vc_meeting *m, vc_tstamp ts) {
  uint8_t base = m->key_switch_at != VC__NEVER ? m->next_key_id : m->key_id;
  size_t i;

  if (!m->e2ee || !m->have_identity) {
    return;
  }
  random_bytes(m, m->next_material, sizeof(m->next_material));
  m->next_key_id = (uint8_t)((base + 1) % (VC_E2EE_MAX_KEY_ID + 1));
  vc_e2ee_receiver_set_key(&m->self_rx, m->next_key_id, m->next_material);
  for (i = 0; i < m->roster.n; i++) {
    if (m->roster.items[i].has_identity && !m->roster.items[i].unverified) {
      deliver_key(m, &m->roster.items[i], m->next_key_id, m->next_material);
    }
  }
  m->key_switch_at = ts + VC_MEETING_KEY_SWITCH_MS * VC__MS;
}

void vc__keys_on_announce(vc_meeting *m, const Vc__Wire__KeyAnnounce *ka) {
  vc__member *mb = vc__roster_find(&m->roster, ka->session_id);

  if (!m->e2ee || !mb || ka->identity_key.len != VC_E2EE_PUBLIC_KEY_LEN) {
    return;
  }
  memcpy(mb->identity, ka->identity_key.data, VC_E2EE_PUBLIC_KEY_LEN);
  mb->has_identity = 1;
  if (m->has_passphrase &&
      !vc_e2ee_auth_check(ka->auth_tag.data, ka->auth_tag.len, m->auth_key,
                          mb->identity)) {
    vc_meeting_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = VC_MEETING_EVENT_UNVERIFIED;
    ev.session_id = mb->p.session_id;
    ev.participant = &mb->p;
    mb->unverified = 1;
    mb->has_key = 0; /* whatever it delivered before is not trusted */
    vc__meeting_emit(m, &ev);
    vc__chat_release(m, m->last_rx); /* its chats will never open */
    return;
  }
  mb->unverified = 0;
  if (m->have_identity) {
    deliver_to(m, mb);
  }
}

void vc__keys_on_delivery(vc_meeting *m, const Vc__Wire__KeyDelivery *kd) {
  vc__member *mb = vc__roster_find(&m->roster, kd->from_session);
  uint8_t msg[KEY_MSG_LEN];

  /* With a passphrase, keys count only from verified identities. */
  if (!m->e2ee || !m->have_identity || !mb || mb->unverified ||
      (m->has_passphrase && !mb->has_identity) ||
      kd->to_session != m->session_id ||
      vc_e2ee_open_sealed(msg, sizeof(msg), kd->sealed_key.data,
                          kd->sealed_key.len, m->identity_pk,
                          m->identity_sk) != KEY_MSG_LEN ||
      msg[0] > VC_E2EE_MAX_KEY_ID) {
    return;
  }
  mb->key_id = msg[0];
  memcpy(mb->material, msg + 1, VC_E2EE_KEY_LEN);
  mb->has_key = 1;
  vc_e2ee_receiver_set_key(&mb->rx, mb->key_id, mb->material);
  vc_e2ee_wipe(msg, sizeof(msg));
  vc__chat_release(m, m->last_rx); /* chats that waited for it */
}

static vc_route chat_route(uint32_t sender, uint64_t client_msg_id) {
  vc_route r;

  memset(&r, 0, sizeof(r));
  r.sender_session = sender;
  r.kind = VC_STREAM_KIND_DATA;
  r.timestamp_us = client_msg_id; /* binds the message id */
  return r;
}

vc_ssize vc__keys_seal(vc_meeting *m, const vc_route *route,
                       const uint8_t *body, size_t len, uint8_t *out,
                       size_t cap) {
  if (!m->have_identity) {
    return VC_ERR_STATE;
  }
  return vc_e2ee_seal(&m->sender, route, body, len, out, cap);
}

vc_ssize vc__keys_open(vc_meeting *m, const vc_route *route,
                       const uint8_t *body, size_t len, uint8_t *out,
                       size_t cap) {
  uint8_t next[VC_E2EE_KEY_LEN];
  vc_e2ee_receiver trial;
  vc__member *mb;
  unsigned ahead, i, kid;
  vc_ssize n;

  if (route->sender_session == m->session_id) {
    return vc_e2ee_open(&m->self_rx, route, body, len, out, cap);
  }
  mb = vc__roster_find(&m->roster, route->sender_session);
  if (!mb || !mb->has_key || len == 0) {
    return VC_ERR_DECRYPT;
  }
  kid = body[0] >> 4;
  n = vc_e2ee_open(&mb->rx, route, body, len, out, cap);
  if (n != VC_ERR_DECRYPT) {
    return n;
  }
  /*
   * A key id past the one we hold: the sender ratcheted for joins that
   * reached us before its key did (a delivery in flight while others
   * joined). Every generation is one KDF step from the last, so ratchet a
   * copy of ours forward to that id and try it; keep it only if it opens.
   */
  ahead = (kid + 16u - mb->key_id) % 16u;
  if (ahead == 0) {
    return VC_ERR_DECRYPT;
  }
  trial = mb->rx;
  memcpy(next, mb->material, sizeof(next));
  for (i = 0; i < ahead; i++) {
    vc_e2ee_ratchet(next);
  }
  vc_e2ee_receiver_set_key(&trial, kid, next);
  n = vc_e2ee_open(&trial, route, body, len, out, cap);
  if (n >= 0) {
    mb->rx = trial;
    memcpy(mb->material, next, sizeof(next));
    mb->key_id = kid;
  }
  vc_e2ee_wipe(next, sizeof(next));
  vc_e2ee_receiver_wipe(&trial);
  return n;
}

vc_ssize vc__keys_seal_chat(vc_meeting *m, uint64_t client_msg_id,
                            const uint8_t *body, size_t len, uint8_t *out,
                            size_t cap) {
  vc_route r = chat_route(m->session_id, client_msg_id);
  return vc__keys_seal(m, &r, body, len, out, cap);
}

vc_ssize vc__keys_open_chat(vc_meeting *m, uint32_t sender,
                            uint64_t client_msg_id, const uint8_t *body,
                            size_t len, uint8_t *out, size_t cap) {
  vc_route r = chat_route(sender, client_msg_id);
  return vc__keys_open(m, &r, body, len, out, cap);
}

int vc_meeting_safety_code(const vc_meeting *m, char out[24]) {
  uint8_t *keys;
  size_t i, n = 0;
  int rv;

  if (!m->e2ee || !m->have_identity) {
    return VC_ERR_STATE;
  }
  keys = malloc((m->roster.n + 1) * VC_E2EE_PUBLIC_KEY_LEN);
  if (!keys) {
    return VC_ERR_NOMEM;
  }
  memcpy(keys, m->identity_pk, VC_E2EE_PUBLIC_KEY_LEN);
  n = 1;
  for (i = 0; i < m->roster.n; i++) {
    const vc__member *mb = &m->roster.items[i];
    if (!mb->has_identity) {
      free(keys);
      return VC_ERR_STATE;
    }
    memcpy(keys + n * VC_E2EE_PUBLIC_KEY_LEN, mb->identity,
           VC_E2EE_PUBLIC_KEY_LEN);
    n++;
  }
  rv = vc_e2ee_safety_code(out, m->meeting_id, keys, n);
  free(keys);
  return rv;
}

void vc__keys_wipe(vc_meeting *m) {
  vc_e2ee_sender_wipe(&m->sender);
  vc_e2ee_receiver_wipe(&m->self_rx);
  vc_e2ee_wipe(m->material, sizeof(m->material));
  vc_e2ee_wipe(m->identity_sk, sizeof(m->identity_sk));
  vc_e2ee_wipe(m->auth_key, sizeof(m->auth_key));
}

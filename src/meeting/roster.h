/*
 * roster.h: the participants a meeting knows, sorted by session id, with
 * a hard cap. Each entry carries the speaker-detection state beside the
 * public vc_participant.
 */
#ifndef VC_MEETING_ROSTER_H
#define VC_MEETING_ROSTER_H

#include <vc/e2ee.h>
#include <vc/meeting.h>

typedef struct vc__member {
  vc_participant p; /* first: a vc__member* is a vc_participant* */
  uint32_t energy;  /* smoothed loudness x16 (0 silent .. 127*16) */
  vc_tstamp last_audio;
  /* E2EE (e2ee_keys.c): the peer's identity and its keys as we hold them. */
  int has_identity;
  int has_key;
  int unverified; /* its announcement failed the passphrase check */
  uint8_t identity[VC_E2EE_PUBLIC_KEY_LEN];
  uint8_t material[VC_E2EE_KEY_LEN]; /* its current generation */
  uint8_t key_id;
  vc_e2ee_receiver rx;
} vc__member;

typedef struct vc__roster {
  vc__member *items;
  size_t n;
  size_t cap;
} vc__roster;

int vc__roster_init(vc__roster *r, size_t cap); /* 0 or VC_ERR_NOMEM */
void vc__roster_free(vc__roster *r);

vc__member *vc__roster_find(const vc__roster *r, uint32_t session);

/* Inserts or replaces the public part of |p| (speaker state survives a
 * replace). Returns the entry, or NULL when the roster is full. */
vc__member *vc__roster_put(vc__roster *r, const vc_participant *p, int *added);

/* 1 when |session| was there and is gone now, else 0. */
int vc__roster_remove(vc__roster *r, uint32_t session);

/* Do the public parts differ (state, role, names)? */
int vc__participant_differs(const vc_participant *a, const vc_participant *b);

#endif /* VC_MEETING_ROSTER_H */

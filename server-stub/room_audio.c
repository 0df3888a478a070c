/*
 * room_audio.c: which voices a large room forwards. Every receiver gets
 * the audio of the VC__ROOM_AUDIO_TOP_N loudest senders at most, chosen
 * from the audio level each packet carries in its routing header, so a
 * room of a thousand costs each receiver three streams, not 999. Rooms of
 * up to VC__ROOM_ALL_AUDIO_MAX forward every voice.
 *
 * A sender takes a place when it is louder than the weakest holder, or
 * when a holder has been silent for SILENT_AFTER_MS: a cough does not
 * push out someone mid-sentence for long, and pauses free places fast.
 */
#include <vc/wire.h>

#include "room_internal.h"

#define MS ((vc_tstamp)1000000)
#define SILENT_AFTER_MS 500

/* What a place holder's claim is worth now: 0 when gone or silent. */
static uint32_t claim(vc_room *r, uint32_t session, vc_tstamp ts) {
  const vc__room_session *s = session ? vc__room_find(r, session) : NULL;

  if (!s || ts - s->audio_at > (vc_tstamp)SILENT_AFTER_MS * MS) {
    return 0;
  }
  return s->audio_energy;
}

int vc__room_audio_selected(vc_room *r, vc__room_session *s,
                            const vc_route *route, vc_tstamp ts) {
  uint32_t loud = route->audio_level <= VC_AUDIO_LEVEL_SILENT
                      ? (VC_AUDIO_LEVEL_SILENT - route->audio_level) * 16
                      : 0;
  uint32_t weakest_claim = UINT32_MAX;
  size_t i, weakest = 0;

  /* About eight packets (160 ms of Opus) of memory. */
  s->audio_energy = (s->audio_energy * 7 + loud) / 8;
  s->audio_at = ts;
  if (r->n_sessions <= VC__ROOM_ALL_AUDIO_MAX) {
    return 1;
  }
  for (i = 0; i < VC__ROOM_AUDIO_TOP_N; i++) {
    uint32_t c;
    if (r->loudest[i] == s->id) {
      return 1;
    }
    c = claim(r, r->loudest[i], ts);
    if (c < weakest_claim) {
      weakest_claim = c;
      weakest = i;
    }
  }
  if (s->audio_energy > weakest_claim || weakest_claim == 0) {
    r->loudest[weakest] = s->id;
    return 1;
  }
  return 0;
}

/*
 * speaker.c: the active speaker, from the audio level every audio packet
 * carries in its routing header (0 loud .. 127 silent, dBov).
 *
 * Each participant's loudness is smoothed per packet; every
 * VC_MEETING_SPEAKER_TICK_MS the loudest participant above a floor becomes
 * a candidate, and replaces the current speaker only after staying
 * clearly louder (by a margin) for VC_MEETING_SPEAKER_HOLD ticks in a row.
 * A cough does not steal the tile; silence keeps the last speaker shown.
 */
#include <vc/wire.h>

#include "meeting_internal.h"

/* Quieter than -60 dBov is not speech. */
#define FLOOR_X16 ((VC_AUDIO_LEVEL_SILENT - 60) * 16)
/* A new speaker must be 6 dB louder than the current one. */
#define MARGIN_X16 (6 * 16)
/* No packet for this long: the participant is silent (muted, or DTX). */
#define SILENT_AFTER (500 * VC__MS)

void vc__speaker_on_audio(vc_meeting *m, uint32_t session, uint32_t level,
                          vc_tstamp ts) {
  vc__member *mb = vc__roster_find(&m->roster, session);
  uint32_t loud;

  if (!mb || level > VC_AUDIO_LEVEL_SILENT) {
    return;
  }
  loud = (VC_AUDIO_LEVEL_SILENT - level) * 16;
  /* An exponential average over about eight packets (160 ms of Opus). */
  mb->energy = (mb->energy * 7 + loud) / 8;
  mb->last_audio = ts;
}

static uint32_t energy_of(const vc_meeting *m, uint32_t session) {
  const vc__member *mb = session ? vc__roster_find(&m->roster, session) : NULL;

  return mb ? mb->energy : 0;
}

void vc__speaker_tick(vc_meeting *m, vc_tstamp ts) {
  uint32_t best = 0, best_energy = 0;
  size_t i;

  for (i = 0; i < m->roster.n; i++) {
    vc__member *mb = &m->roster.items[i];
    if (ts - mb->last_audio > SILENT_AFTER || mb->last_audio > ts) {
      mb->energy = 0;
    }
    if (mb->energy > best_energy) {
      best_energy = mb->energy;
      best = mb->p.session_id;
    }
  }
  if (best == 0 || best == m->speaker || best_energy < FLOOR_X16 ||
      best_energy < energy_of(m, m->speaker) + MARGIN_X16) {
    m->speaker_candidate = 0;
    m->speaker_hold = 0;
    return;
  }
  if (best != m->speaker_candidate) {
    m->speaker_candidate = best;
    m->speaker_hold = 0;
  }
  if (++m->speaker_hold >= VC_MEETING_SPEAKER_HOLD) {
    vc_meeting_event ev = {0};
    m->speaker = best;
    m->speaker_candidate = 0;
    m->speaker_hold = 0;
    ev.type = VC_MEETING_EVENT_ACTIVE_SPEAKER;
    ev.session_id = best;
    ev.participant = (const vc_participant *)vc__roster_find(&m->roster, best);
    vc__meeting_emit(m, &ev);
  }
}

void vc__speaker_forget(vc_meeting *m, uint32_t session) {
  if (m->speaker_candidate == session) {
    m->speaker_candidate = 0;
    m->speaker_hold = 0;
  }
  if (m->speaker == session) {
    vc_meeting_event ev = {0};
    m->speaker = 0;
    ev.type = VC_MEETING_EVENT_ACTIVE_SPEAKER;
    vc__meeting_emit(m, &ev);
  }
}

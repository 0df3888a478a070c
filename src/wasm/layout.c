/*
 * layout.c: the parts of the core's ABI that web/js/core.js relies on
 * without a function call: the byte layout of vc_route, which it reads and
 * writes in the WASM heap. If a field moves, this file stops compiling
 * instead of core.js quietly reading the wrong bytes.
 */
#include <stddef.h>

#include <vc/meeting.h>
#include <vc/wire.h>

_Static_assert(sizeof(size_t) == 4, "core.js assumes wasm32");
_Static_assert(offsetof(vc_route, sender_session) == 0, "core.js layout");
_Static_assert(offsetof(vc_route, kind) == 4, "core.js layout");
_Static_assert(offsetof(vc_route, layer) == 8, "core.js layout");
_Static_assert(offsetof(vc_route, keyframe) == 12, "core.js layout");
_Static_assert(offsetof(vc_route, sequence) == 16, "core.js layout");
_Static_assert(offsetof(vc_route, audio_level) == 20, "core.js layout");
_Static_assert(offsetof(vc_route, timestamp_us) == 24, "core.js layout");
_Static_assert(sizeof(vc_route) == 32, "core.js layout");

/* core.js allocates routes with this size; exported for that. */
size_t vc_wasm_route_size(void);
size_t vc_wasm_route_size(void) {
  return sizeof(vc_route);
}

/* vc_participant, read by core.js from vcw_roster_at (meeting_glue.c). */
_Static_assert(offsetof(vc_participant, session_id) == 0, "core.js layout");
_Static_assert(offsetof(vc_participant, is_host) == 4, "core.js layout");
_Static_assert(offsetof(vc_participant, state) == 5, "core.js layout");
_Static_assert(offsetof(vc_participant, user) == 10, "core.js layout");
_Static_assert(offsetof(vc_participant, display_name) == 75, "core.js layout");

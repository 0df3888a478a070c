/*
 * meeting_fixtures.c: the server's side of a meeting, as bytes, for the
 * client unit tests (meeting_fixtures.h).
 */
#include "meeting_fixtures.h"

#include <string.h>

#include <vc/wire.h>

size_t vc_test_server_frame(uint8_t *out, size_t cap,
                            const Vc__Wire__Control *msg) {
  static uint8_t body[VC_ENVELOPE_MAX_LEN];
  vc_route route;
  vc_ssize n = vc_control_encode(body, sizeof(body), msg), f;

  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_CONTROL;
  route.audio_level = VC_AUDIO_LEVEL_SILENT;
  if (n < 0) {
    return 0;
  }
  f = vc_envelope_encode(out, cap, &route, body, (size_t)n);
  return f < 0 ? 0 : (size_t)f;
}

static Vc__Wire__Participant people[3];
static Vc__Wire__Participant *people_ptrs[3];
static Vc__Wire__MediaState in_clear;

static void make_people(void) {
  static const char *const users[] = {"bob", "carol", "dave"};
  size_t i;

  vc__wire__media_state__init(&in_clear);
  in_clear.e2ee_off = 1;
  for (i = 0; i < 3; i++) {
    vc__wire__participant__init(&people[i]);
    people[i].state = i < 2 ? &in_clear : NULL;
    people[i].session_id = (uint32_t)(i + 2);
    people[i].user = (char *)(uintptr_t)users[i];
    people[i].display_name = (char *)(uintptr_t)users[i];
    people_ptrs[i] = &people[i];
  }
}

size_t vc_test_welcome_frame(uint8_t *out, size_t cap, size_t n_first,
                             uint8_t *page_out, size_t page_cap,
                             size_t *page_len) {
  static uint8_t token[16] = {1, 2, 3};
  Vc__Wire__Control ctl;
  Vc__Wire__Welcome w;
  Vc__Wire__RosterPage rp;
  size_t len;

  make_people();
  vc__wire__control__init(&ctl);
  vc__wire__welcome__init(&w);
  w.session_id = 1;
  w.resume_token.data = token;
  w.resume_token.len = sizeof(token);
  w.roster = people_ptrs;
  w.n_roster = n_first;
  w.roster_total = 3;
  w.host_session = 1;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_WELCOME;
  ctl.welcome = &w;
  len = vc_test_server_frame(out, cap, &ctl);
  if (page_out) {
    vc__wire__control__init(&ctl);
    vc__wire__roster_page__init(&rp);
    rp.participants = people_ptrs + n_first;
    rp.n_participants = 3 - n_first;
    ctl.msg_case = VC__WIRE__CONTROL__MSG_ROSTER_PAGE;
    ctl.roster_page = &rp;
    *page_len = vc_test_server_frame(page_out, page_cap, &ctl);
  }
  return len;
}

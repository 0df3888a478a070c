/*
 * control_test.c: control messages (src/wire/control.c): they round-trip,
 * every bound holds on decode and on encode, newer message types are
 * skippable, and hostile input cannot make the decoder allocate without
 * limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "test.h"

/* A valid Join, in caller storage. */
typedef struct join_fixture {
  Vc__Wire__Control ctl;
  Vc__Wire__Join join;
  Vc__Wire__Capabilities caps;
  char *codecs[2];
} join_fixture;

static void make_join(join_fixture *f) {
  static const char *const codecs[] = {"vp8", "avc1.42E01F"};

  vc__wire__control__init(&f->ctl);
  vc__wire__join__init(&f->join);
  vc__wire__capabilities__init(&f->caps);
  f->codecs[0] = (char *)(uintptr_t)codecs[0];
  f->codecs[1] = (char *)(uintptr_t)codecs[1];
  f->caps.n_video_codecs = 2;
  f->caps.video_codecs = f->codecs;
  f->caps.max_simulcast_layers = 3;
  f->caps.e2ee = 1;
  f->join.protocol_version = VC_WIRE_VERSION;
  f->join.meeting_id = "room1";
  f->join.user = "alice";
  f->join.display_name = "Alice Ørsted";
  f->join.capabilities = &f->caps;
  f->ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  f->ctl.join = &f->join;
}

static vc_control_decoder *new_decoder(size_t arena) {
  vc_control_decoder *dec = NULL;
  if (vc_control_decoder_new(&dec, arena) != 0) {
    return NULL;
  }
  return dec;
}

void test_vc_control_join_roundtrips(void) {
  join_fixture f;
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out;
  uint8_t buf[512];
  vc_ssize n;
  int rv;

  CHECK(dec != NULL);
  make_join(&f);
  n = vc_control_encode(buf, sizeof(buf), &f.ctl);
  CHECK(n > 0);
  rv = vc_control_decode(dec, &out, buf, (size_t)n);
  if (rv != 0) {
    vc_control_decoder_del(dec);
    CHECK_INT_EQ(rv, 0);
  }
  CHECK(out->msg_case == VC__WIRE__CONTROL__MSG_JOIN);
  CHECK(strcmp(out->join->user, "alice") == 0);
  CHECK(strcmp(out->join->meeting_id, "room1") == 0);
  CHECK(strcmp(out->join->display_name, "Alice Ørsted") == 0);
  CHECK_INT_EQ(out->join->capabilities->n_video_codecs, 2);
  CHECK(strcmp(out->join->capabilities->video_codecs[1], "avc1.42E01F") == 0);
  CHECK_INT_EQ(out->join->capabilities->e2ee, 1);
  CHECK(strcmp(vc_control_decoder_reason(dec), "") == 0);
  vc_control_decoder_del(dec);
}

/* A roster page of VC_CONTROL_MAX_ROSTER_PAGE maximal participants. */
typedef struct roster_fixture {
  Vc__Wire__Control ctl;
  Vc__Wire__Welcome welcome;
  Vc__Wire__Participant people[VC_CONTROL_MAX_ROSTER_PAGE + 1];
  Vc__Wire__Participant *ptrs[VC_CONTROL_MAX_ROSTER_PAGE + 1];
  char users[VC_CONTROL_MAX_ROSTER_PAGE + 1][65];
  char display[VC_CONTROL_MAX_DISPLAY_NAME_LEN + 1];
  uint8_t token[VC_CONTROL_MAX_RESUME_TOKEN_LEN];
} roster_fixture;

static void make_roster(roster_fixture *f, size_t n) {
  size_t i;

  vc__wire__control__init(&f->ctl);
  vc__wire__welcome__init(&f->welcome);
  /* 64 four-byte characters: the longest display name allowed. */
  for (i = 0; i < VC_CONTROL_MAX_DISPLAY_NAME_CHARS; i++) {
    memcpy(f->display + 4 * i, "\xf0\x9f\x8e\xa5", 4);
  }
  f->display[VC_CONTROL_MAX_DISPLAY_NAME_LEN] = '\0';
  for (i = 0; i < n; i++) {
    vc__wire__participant__init(&f->people[i]);
    memset(f->users[i], 'u', 64);
    snprintf(f->users[i], 65, "user-%0*zu", 59, i);
    f->people[i].session_id = (uint32_t)(i + 1);
    f->people[i].user = f->users[i];
    f->people[i].display_name = f->display;
    f->ptrs[i] = &f->people[i];
  }
  memset(f->token, 7, sizeof(f->token));
  f->welcome.session_id = 9999;
  f->welcome.resume_token.data = f->token;
  f->welcome.resume_token.len = sizeof(f->token);
  f->welcome.roster = f->ptrs;
  f->welcome.n_roster = n;
  f->welcome.roster_total = VC_CONTROL_MAX_ROSTER;
  f->ctl.msg_case = VC__WIRE__CONTROL__MSG_WELCOME;
  f->ctl.welcome = &f->welcome;
}

void test_vc_control_full_roster_page_roundtrips(void) {
  static roster_fixture f;
  static uint8_t buf[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out;
  vc_ssize n;
  int rv;

  CHECK(dec != NULL);
  make_roster(&f, VC_CONTROL_MAX_ROSTER_PAGE);
  n = vc_control_encode(buf, sizeof(buf), &f.ctl);
  /* The largest page fits in one envelope. */
  CHECK(n > 0);
  rv = vc_control_decode(dec, &out, buf, (size_t)n);
  if (rv == 0) {
    CHECK_INT_EQ(out->welcome->n_roster, VC_CONTROL_MAX_ROSTER_PAGE);
    CHECK(strcmp(out->welcome->roster[499]->user, f.users[499]) == 0);
  }
  vc_control_decoder_del(dec);
  CHECK_INT_EQ(rv, 0);

  /* One more participant is refused on both sides. */
  make_roster(&f, VC_CONTROL_MAX_ROSTER_PAGE + 1);
  CHECK_INT_EQ(vc_control_encode(buf, sizeof(buf), &f.ctl),
               VC_ERR_INVALID_ARGUMENT);
}

/* Mutates a valid Join one way and expects decode to name the rule. */
struct join_case {
  const char *what;
  void (*mutate)(join_fixture *f);
  const char *reason_has;
};

static void bad_user(join_fixture *f) {
  f->join.user = "al ice";
}
static void long_user(join_fixture *f) {
  f->join.user =
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
}
static void bad_meeting(join_fixture *f) {
  f->join.meeting_id = "../x";
}
static void no_version(join_fixture *f) {
  f->join.protocol_version = 0;
}
static void empty_name(join_fixture *f) {
  f->join.display_name = "";
}
static void control_in_name(join_fixture *f) {
  f->join.display_name = "Alice\n(admin)";
}
static void bad_utf8_name(join_fixture *f) {
  f->join.display_name = "Alice \xc0\xaf";
}
static void long_name(join_fixture *f) {
  f->join.display_name =
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
}
static void many_codecs(join_fixture *f) {
  f->caps.n_video_codecs = 9;
}
static void many_layers(join_fixture *f) {
  f->caps.max_simulcast_layers = 5;
}
static void short_token(join_fixture *f) {
  static uint8_t t[15];
  f->join.resume_token.data = t;
  f->join.resume_token.len = sizeof(t);
}

void test_vc_control_every_bound_is_enforced(void) {
  static const struct join_case cases[] = {
      {"user with a space", bad_user, "join.user"},
      {"65-character user", long_user, "join.user"},
      {"meeting id with dots", bad_meeting, "join.meeting_id"},
      {"no protocol version", no_version, "protocol_version"},
      {"empty display name", empty_name, "display_name"},
      {"newline in display name", control_in_name, "display_name"},
      {"overlong UTF-8 in display name", bad_utf8_name, "display_name"},
      {"65-character display name", long_name, "display_name"},
      {"9 codecs", many_codecs, "video_codecs"},
      {"5 layers", many_layers, "max_simulcast_layers"},
      {"15-byte resume token", short_token, "resume_token"},
  };
  static char *nine[9];
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out;
  uint8_t buf[1024];
  size_t i, j;
  int failed = 0;

  CHECK(dec != NULL);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    join_fixture f;
    size_t n;
    const char *why;
    make_join(&f);
    for (j = 0; j < 9; j++) {
      nine[j] = "vp8";
    }
    f.caps.video_codecs = nine;
    cases[i].mutate(&f);
    /* Pack without validation, as a hostile peer would. */
    n = vc__wire__control__pack(&f.ctl, buf);
    if (vc_control_decode(dec, &out, buf, n) != VC_ERR_MALFORMED ||
        out != NULL) {
      fprintf(stderr, "  %s: accepted\n", cases[i].what);
      failed = 1;
      continue;
    }
    why = vc_control_decoder_reason(dec);
    if (strstr(why, cases[i].reason_has) == NULL) {
      fprintf(stderr, "  %s: reason '%s'\n", cases[i].what, why);
      failed = 1;
    }
  }
  vc_control_decoder_del(dec);
  CHECK(!failed);
}

void test_vc_control_encoder_refuses_what_decoders_reject(void) {
  join_fixture f;
  uint8_t buf[1024];

  make_join(&f);
  bad_user(&f);
  CHECK_INT_EQ(vc_control_encode(buf, sizeof(buf), &f.ctl),
               VC_ERR_INVALID_ARGUMENT);
  make_join(&f);
  CHECK_INT_EQ(vc_control_encode(buf, 10, &f.ctl), VC_ERR_NOBUF);
}

void test_vc_control_unknown_message_type_is_skippable(void) {
  /* Control field 99 (length-delimited, 2 bytes): a newer message. */
  static const uint8_t newer[] = {0x9a, 0x06, 0x02, 0x08, 0x01};
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out = (Vc__Wire__Control *)1;
  int rv;

  CHECK(dec != NULL);
  rv = vc_control_decode(dec, &out, newer, sizeof(newer));
  vc_control_decoder_del(dec);
  CHECK_INT_EQ(rv, VC_ERR_UNKNOWN_MESSAGE);
  CHECK(out == NULL);
  CHECK(!vc_err_is_fatal(rv));
}

void test_vc_control_garbage_is_malformed(void) {
  static const uint8_t garbage[][6] = {
      {0x0a, 0x05, 0x08},             /* join, length past the end */
      {0xff, 0xff, 0xff, 0xff, 0xff}, /* endless varint */
      {0x0a, 0x02, 0x12, 0x05},       /* join.meeting_id past its parent */
  };
  static const size_t lens[] = {3, 5, 4};
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out;
  size_t i;
  int ok = 1;

  CHECK(dec != NULL);
  for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    if (vc_control_decode(dec, &out, garbage[i], lens[i]) != VC_ERR_MALFORMED) {
      ok = 0;
    }
  }
  vc_control_decoder_del(dec);
  CHECK(ok);
}

/*
 * A roster of empty participants costs 2 bytes each on the wire and a
 * whole struct each in memory: 100 KiB of them would need megabytes.
 * The arena stops it.
 */
void test_vc_control_allocation_is_capped_by_the_arena(void) {
  static uint8_t buf[110 * 1024];
  vc_control_decoder *dec = new_decoder(64 * 1024);
  Vc__Wire__Control *out;
  size_t n = 0, inner = 50000 * 2;
  int rv;

  CHECK(dec != NULL);
  /* Control.welcome (field 2) { roster (field 3) x 50000, each empty } */
  buf[n++] = 0x12;
  buf[n++] = (uint8_t)(0x80 | (inner & 0x7f));
  buf[n++] = (uint8_t)(0x80 | ((inner >> 7) & 0x7f));
  buf[n++] = (uint8_t)(inner >> 14);
  while (n < 4 + inner) {
    buf[n++] = 0x1a;
    buf[n++] = 0x00;
  }
  rv = vc_control_decode(dec, &out, buf, n);
  vc_control_decoder_del(dec);
  CHECK_INT_EQ(rv, VC_ERR_TOO_BIG);
}

void test_vc_control_oversized_input_is_too_big(void) {
  static uint8_t big[VC_ENVELOPE_MAX_LEN + 1];
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out;
  int rv;

  CHECK(dec != NULL);
  rv = vc_control_decode(dec, &out, big, sizeof(big));
  vc_control_decoder_del(dec);
  CHECK_INT_EQ(rv, VC_ERR_TOO_BIG);
}

/*
 * Found by fuzz_control_decode: an empty RosterPage followed by field 0
 * with its tag as the non-minimal varint 82 00. protobuf-c kept it as an
 * unknown field, the encoder wrote it back as 02 00, and the second
 * decode refused it. Field 0 is invalid protobuf: refuse it at once.
 */
void test_vc_control_noncanonical_field_zero_is_malformed(void) {
  static const uint8_t in[] = {0x9a, 0x01, 0x00, 0x82, 0x00, 0x00};
  static const uint8_t nested[] = {0x9a, 0x01, 0x03, 0x82, 0x00, 0x00};
  vc_control_decoder *dec = new_decoder(VC_CONTROL_ARENA_LEN);
  Vc__Wire__Control *out;
  int top, inner;

  CHECK(dec != NULL);
  top = vc_control_decode(dec, &out, in, sizeof(in));
  inner = vc_control_decode(dec, &out, nested, sizeof(nested));
  vc_control_decoder_del(dec);
  CHECK_INT_EQ(top, VC_ERR_MALFORMED);
  CHECK_INT_EQ(inner, VC_ERR_MALFORMED);
}

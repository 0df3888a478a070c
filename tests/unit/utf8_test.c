/*
 * utf8_test.c: the strict UTF-8 check behind display names, chat and
 * reasons (src/wire/utf8.c).
 */
#include <string.h>

#include "test.h"
#include "wire/utf8.h"

static long count(const char *s, int no_controls) {
  return vc__utf8_count(s, strlen(s), no_controls);
}

void test_vc_utf8_accepts_every_plane(void) {
  CHECK_INT_EQ(count("", 1), 0);
  CHECK_INT_EQ(count("alice", 1), 5);
  CHECK_INT_EQ(count("Zoë", 1), 3);                  /* 2-byte */
  CHECK_INT_EQ(count("会议", 1), 2);                 /* 3-byte */
  CHECK_INT_EQ(count("\xf0\x9f\x8e\xa5 cam", 1), 5); /* 4-byte emoji */
  CHECK_INT_EQ(count("\xf4\x8f\xbf\xbf", 1), 1);     /* U+10FFFF */
  CHECK_INT_EQ(count("\xef\xbf\xbd", 1), 1);         /* U+FFFD */
}

void test_vc_utf8_rejects_ill_formed_sequences(void) {
  static const char *const bad[] = {
      "\xc0\xaf",         /* overlong '/' */
      "\xe0\x80\xaf",     /* overlong '/' */
      "\xf0\x80\x80\xaf", /* overlong '/' */
      "\xed\xa0\x80",     /* surrogate U+D800 */
      "\xf4\x90\x80\x80", /* U+110000 */
      "\xf5\x80\x80\x80", /* beyond Unicode */
      "\x80",             /* lone continuation */
      "\xe4\xbc",         /* truncated */
      "a\xffz",           /* never valid */
  };
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_INT_EQ(count(bad[i], 0), -1);
  }
}

void test_vc_utf8_controls_are_refused_only_when_asked(void) {
  static const char *const controls[] = {"a\tb", "a\nb", "\x7f",
                                         "\xc2\x85", /* NEL, C1 */
                                         "\xe2\x80\xa8" /* LINE SEP */};
  size_t i;

  for (i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
    CHECK_INT_EQ(count(controls[i], 1), -1);
    CHECK(count(controls[i], 0) > 0);
  }
}

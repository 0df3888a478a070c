/*
 * test.h: the unit-test harness. Tests are plain functions named
 * test_vc_<suite>_<behaviour>, listed once in test_list.h; the runner
 * (runner.c) runs one suite or all of them and prints one line per test.
 *
 * A failed CHECK prints where and why, marks the test failed and returns
 * from the test function, so one test's failure never hides another's.
 */
#ifndef VC_TEST_H
#define VC_TEST_H

#include <stdint.h>
#include <string.h>

#include "test_list.h"

/* Every test function, declared from the one list. */
#define VC_TEST_DECLARE(suite, name) void test_vc_##suite##_##name(void);
VC_UNIT_TESTS(VC_TEST_DECLARE)
#undef VC_TEST_DECLARE

void vc_test_fail(const char *file, int line, const char *what);
void vc_test_fail_int(const char *file, int line, const char *what,
                      long long got, long long want);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      vc_test_fail(__FILE__, __LINE__, #cond);                                 \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* Compares two integers and prints both values when they differ. */
#define CHECK_INT_EQ(got, want)                                                \
  do {                                                                         \
    long long vc_got_ = (long long)(got), vc_want_ = (long long)(want);        \
    if (vc_got_ != vc_want_) {                                                 \
      vc_test_fail_int(__FILE__, __LINE__, #got " == " #want, vc_got_,         \
                       vc_want_);                                              \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define CHECK_MEM_EQ(a, b, len) CHECK(memcmp((a), (b), (len)) == 0)

#endif /* VC_TEST_H */

/*
 * runner.c: runs the unit tests listed in test_list.h.
 *
 *   vc_unit_tests            every test
 *   vc_unit_tests <suite>    the tests of one suite (how ctest calls it)
 *   vc_unit_tests --list     suite and name of every test
 *
 * Exit status 0 when every test run passed, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"

struct test_case {
  const char *suite;
  const char *name;
  void (*run)(void);
};

static const struct test_case tests[] = {
#define VC_TEST_ENTRY(suite, name) {#suite, #name, test_vc_##suite##_##name},
    VC_UNIT_TESTS(VC_TEST_ENTRY)
#undef VC_TEST_ENTRY
};

static int current_failed;

void vc_test_fail(const char *file, int line, const char *what) {
  current_failed = 1;
  fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
}

void vc_test_fail_int(const char *file, int line, const char *what,
                      long long got, long long want) {
  current_failed = 1;
  fprintf(stderr, "  %s:%d: check failed: %s (got %lld, want %lld)\n", file,
          line, what, got, want);
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : NULL;
  size_t i, n = sizeof(tests) / sizeof(tests[0]);
  int run = 0, failed = 0;

  if (only && strcmp(only, "--list") == 0) {
    for (i = 0; i < n; i++) {
      printf("%s %s\n", tests[i].suite, tests[i].name);
    }
    return 0;
  }
  for (i = 0; i < n; i++) {
    if (only && strcmp(only, tests[i].suite) != 0) {
      continue;
    }
    current_failed = 0;
    tests[i].run();
    run++;
    failed += current_failed;
    printf("%s test_vc_%s_%s\n", current_failed ? "FAIL" : "ok  ",
           tests[i].suite, tests[i].name);
  }
  if (run == 0) {
    fprintf(stderr, "no tests match '%s'\n", only ? only : "");
    return 1;
  }
  printf("%d passed, %d failed\n", run - failed, failed);
  return failed ? 1 : 0;
}

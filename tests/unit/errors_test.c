/*
 * errors_test.c: the error table and its helpers (include/vc/vc.h).
 */
#include <string.h>

#include <vc/vc.h>

#include "test.h"

void test_vc_errors_strerror_covers_every_code(void) {
  static const int codes[] = {
#define VC_ERR_LIST(name, value, text) VC_ERR_##name,
      VC_ERRNO_MAP(VC_ERR_LIST)
#undef VC_ERR_LIST
  };
  size_t i;

  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    CHECK(strcmp(vc_strerror(codes[i]), "unknown error") != 0);
  }
  CHECK(strcmp(vc_strerror(0), "success") == 0);
  CHECK(strcmp(vc_strerror(-12345), "unknown error") == 0);
  CHECK(strcmp(vc_strerror(VC_ERR_MALFORMED), "malformed message") == 0);
}

void test_vc_errors_fatal_threshold(void) {
  CHECK(vc_err_is_fatal(VC_ERR_NOMEM));
  CHECK(!vc_err_is_fatal(VC_ERR_MALFORMED));
  CHECK(!vc_err_is_fatal(VC_ERR_NOBUF));
  CHECK(!vc_err_is_fatal(0));
}

/*
 * errors.c: the text of every VC_ERR_* code, from the one table in vc.h.
 */
#include <vc/vc.h>

const char *vc_strerror(int rv) {
  if (rv >= 0) {
    return "success";
  }
  switch (rv) {
#define VC_ERR_CASE(name, value, text)                                         \
  case VC_ERR_##name:                                                          \
    return text;
    VC_ERRNO_MAP(VC_ERR_CASE)
#undef VC_ERR_CASE
  default:
    return "unknown error";
  }
}

int vc_err_is_fatal(int rv) {
  return rv <= VC_ERR_FATAL;
}

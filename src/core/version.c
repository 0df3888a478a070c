/*
 * version.c: the core's version, taken from the top-level CMakeLists.txt.
 */
#include <vc/vc.h>
#include <vc/version.h>

const char *vc_version(void) {
  return VC_VERSION_STRING;
}

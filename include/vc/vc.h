/*
 * vc.h: the parts of the core's public API every module shares: the time
 * type, the signed size type, error codes and the library version.
 *
 * Conventions (docs/ARCHITECTURE.md): functions return 0 or a byte count on
 * success and a negative VC_ERR_* code on failure; the core never reads a
 * clock (time is passed in as vc_tstamp) and never draws randomness itself.
 */
#ifndef VC_VC_H
#define VC_VC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Nanoseconds on a monotonic clock chosen by the caller; never decreases. */
typedef uint64_t vc_tstamp;

/* A byte count, or a negative VC_ERR_* code. */
typedef ptrdiff_t vc_ssize;

/*
 * Error codes, one table (name, value, text). Codes at or below
 * VC_ERR_FATAL mean the object that returned them cannot be used again.
 */
#define VC_ERRNO_MAP(X)                                                        \
  X(INVALID_ARGUMENT, -201, "invalid argument")                                \
  X(NOBUF, -202, "output buffer too small")                                    \
  X(MALFORMED, -203, "malformed message")                                      \
  X(TOO_BIG, -204, "message larger than the protocol allows")                  \
  X(UNSUPPORTED_VERSION, -205, "unsupported protocol version")                 \
  X(UNKNOWN_MESSAGE, -206, "message type unknown to this version")             \
  X(QUEUE_FULL, -207, "queue full: try again later")                           \
  X(STATE, -208, "not possible in the current state")                          \
  X(DECRYPT, -209, "frame failed authentication or was replayed")              \
  X(NOMEM, -501, "out of memory")

enum {
#define VC_ERR_ENUM(name, value, text) VC_ERR_##name = (value),
  VC_ERRNO_MAP(VC_ERR_ENUM)
#undef VC_ERR_ENUM
      VC_ERR_FATAL = -500
};

/* A short English sentence for |rv|; "success" for rv >= 0. Never NULL. */
const char *vc_strerror(int rv);

/* Nonzero when |rv| leaves the object that returned it unusable. */
int vc_err_is_fatal(int rv);

/* "MAJOR.MINOR.PATCH" of this build of the core. Static storage. */
const char *vc_version(void);

#ifdef __cplusplus
}
#endif

#endif /* VC_VC_H */

/*
 * leave_beacon.h: a page's goodbye over HTTP. On pagehide the page sends
 * its Leave on the meeting connection and also, because that may not
 * make it out of a closing tab, navigator.sendBeacon of
 *
 *   POST /leave?meeting=<id>&session=<n>&token=<32 hex digits>
 *
 * with no body. The token is the session's resume token, which only the
 * participant holds. Sans-I/O: this parses; http_server.c answers.
 */
#ifndef VC_SERVER_LEAVE_BEACON_H
#define VC_SERVER_LEAVE_BEACON_H

#include <stddef.h>
#include <stdint.h>

#define VC_LEAVE_BEACON_TOKEN_LEN 16

typedef struct vc_leave_beacon {
  char meeting_id[65];
  uint32_t session;
  uint8_t token[VC_LEAVE_BEACON_TOKEN_LEN];
} vc_leave_beacon;

/* 1 when |target|'s path is /leave (with or without a query). */
int vc_leave_beacon_matches(const char *target);

/* Fills |out| from |target|: 0, or VC_ERR_MALFORMED when a field is
 * missing, repeated or out of its rule (meeting: the safe name set;
 * session: 1 to 4294967295 in decimal; token: exactly 32 hex digits).
 * Other parameters are ignored. */
int vc_leave_beacon_parse(vc_leave_beacon *out, const char *target);

#endif /* VC_SERVER_LEAVE_BEACON_H */

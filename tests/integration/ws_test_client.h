/*
 * ws_test_client.h: what the TCP-side abuse tests share. A real client
 * core (src/meeting) over a WebSocket to the real vc-server on loopback,
 * pumped by hand with poll(); and the raw pieces the attackers use (the
 * upgrade, one masked message).
 */
#ifndef VC_TEST_WS_TEST_CLIENT_H
#define VC_TEST_WS_TEST_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <vc/frame.h>
#include <vc/meeting.h>
#include <vc/wire.h>

#define WT_MS ((vc_tstamp)1000000)

extern uint16_t wtc_port; /* the server's HTTP port */

vc_tstamp wtc_now(void);

/* Connects to 127.0.0.1:wtc_port and upgrades to a WebSocket; returns
 * the socket (blocking) or -1. */
int wtc_ws_connect(void);

/* Writes one masked binary message header for |len| payload bytes into
 * |dest| (at least 14 bytes); returns its length. The mask is all zero
 * bytes, so the payload goes as it is. */
size_t wtc_ws_header(uint8_t *dest, size_t len);

typedef struct wtc_client {
  const char *user;
  vc_meeting *m;
  int fd;
  uint8_t in[VC_ENVELOPE_MAX_LEN + 64];
  size_t in_len;
  vc_frame_reader frames;
  uint8_t frame_buf[VC_ENVELOPE_MAX_LEN];
  int joined, ended, lost;
  int rtts; /* RTT pings the server answered: the loop served us */
  vc_tstamp last_rx, max_gap; /* the longest the server went silent */
} wtc_client;

/* Joins |meeting| as |user|; 0 or -1. |c| is big: make it static. */
int wtc_client_start(wtc_client *c, const char *meeting, const char *user,
                     uint64_t seed);

/* One round of I/O and timers for each of the |n| clients, waiting at
 * most |wait_ms| for something to read. */
void wtc_pump_once(wtc_client *cs, int n, int wait_ms);

/* Rounds for |ms| milliseconds. */
void wtc_pump(wtc_client *cs, int n, int ms);

void wtc_client_del(wtc_client *c);

/* Sends what the client's core has queued (after vc_meeting_send_media,
 * say); a failed write is a lost transport. */
void wtc_client_flush(wtc_client *c);

/* When set, called with every event of every client after the counts
 * above are kept (the flood benchmark takes RTTs and media from it). */
extern void (*wtc_event_hook)(wtc_client *c, const vc_meeting_event *ev);

#endif /* VC_TEST_WS_TEST_CLIENT_H */

/*
 * ws_join_check.c: one well-behaved participant joins a meeting over
 * WebSocket and stays for a while with its heartbeats answered. Exit 0
 * when it joined and never lost its connection; the shell tests run it
 * after (or while) something else has pushed at the server.
 *
 *   ws_join_check <port> <meeting> <stay_ms>
 */
#include <stdio.h>
#include <stdlib.h>

#include "ws_test_client.h"

int main(int argc, char **argv) {
  static wtc_client c;
  vc_tstamp until;

  if (argc != 4) {
    fprintf(stderr, "usage: ws_join_check <port> <meeting> <stay_ms>\n");
    return 2;
  }
  wtc_port = (uint16_t)atoi(argv[1]);
  if (wtc_client_start(&c, argv[2], "dora", 7) != 0) {
    printf("ws_join_check: could not connect and upgrade\n");
    return 1;
  }
  until = wtc_now() + 5000 * WT_MS;
  while (!c.joined && wtc_now() < until) {
    wtc_pump_once(&c, 1, 10);
  }
  if (!c.joined) {
    printf("ws_join_check: no Joined within 5 s\n");
    return 1;
  }
  wtc_pump(&c, 1, atoi(argv[3]));
  if (c.lost || c.ended || c.fd < 0) {
    printf("ws_join_check: the connection was lost\n");
    return 1;
  }
  wtc_client_del(&c);
  return 0;
}

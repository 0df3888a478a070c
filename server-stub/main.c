/*
 * main.c: vc-server's command line, signals and event loop. Everything
 * else lives in modules: http_server (sockets), http_request, routes and
 * http_response (sans-I/O), static_files, log. docs/SERVER.md is the
 * user's manual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include <vc/vc.h>

#include "cert_rotation.h"
#include "http_server.h"
#include "leave_beacon.h"
#include "log.h"
#include "meetings.h"
#include "metrics.h"
#include "process.h"
#include "static_files.h"
#include "ws_server.h"
#include "wt_server.h"

#define MAX_LISTEN 16
/* Meeting connections over every transport together. */
#define MAX_MEETING_CONNS 4096

static const char usage_text[] =
    "Usage: vc-server [OPTION]...\n"
    "Serve the vc web client and its meetings.\n"
    "\n"
    "  -l, --listen ADDR        listen on this numeric IPv4/IPv6 address;\n"
    "                           repeatable (default: 127.0.0.1 and ::1)\n"
    "  -p, --port N             HTTP port (default 8080; 0 picks a free one)\n"
    "  -w, --web-root DIR       built web client to serve (default "
    "build/web)\n"
    "      --max-connections N  refuse connections beyond N (default 1024)\n"
    "      --max-meetings-per-address N  meetings one client address may\n"
    "                           have open at once (default 16; 0: no cap)\n"
    "      --wt-port N          WebTransport (UDP) port (default: the HTTP\n"
    "                           port's number; 0 picks a free one)\n"
    "      --no-webtransport    serve meetings over WebSocket only\n"
    "      --cert FILE          TLS certificate chain (PEM), with --key: the\n"
    "                           HTTP port serves HTTPS and WSS, and\n"
    "                           WebTransport uses it too (default: HTTP in\n"
    "                           the clear, and for WebTransport a fresh\n"
    "                           self-signed certificate, renewed before it\n"
    "                           expires, its hash at /webtransport.json)\n"
    "      --key FILE           the certificate's private key (PEM)\n"
    "      --ws-join-timeout S  close a WebSocket that has not joined S\n"
    "                           seconds after its upgrade (default 10)\n"
    "      --log-level LEVEL    error, warn, info or debug (default info)\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "On start it prints to standard output, first:\n"
    "  vc-server VERSION listening on http[s]://localhost:PORT/ (ADDRESSES)\n"
    "then where WebTransport listens and the file descriptor limit.\n"
    "Logs go to standard error, one line per event.\n";

static vc_meetings *meetings;
static vc_ws_server *ws_meetings;
static vc_wt_server *wt_meetings;
static vc_quic_server *quic;
static vc_cert_rotation *certs;
static char wt_json[512];
static ev_timer drain_timer;
/* Gives freed memory back after a load, see on_trim_timer. */
#define TRIM_PERIOD_S 10.
static ev_timer trim_timer;
static vc_http_server *http;
static unsigned conns_at_last_trim_check;
static int stopping;

static void on_drained(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)w;
  (void)revents;
  ev_break(loop, EVBREAK_ALL);
}

/* First signal: tell every participant to reconnect later and give the
 * goodbyes a second to leave; a second signal stops at once. */
static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents) {
  (void)revents;
  if (stopping) {
    ev_break(loop, EVBREAK_ALL);
    return;
  }
  stopping = 1;
  vc_log(VC_LOG_INFO, "signal %d: shutting down", w->signum);
  vc_meetings_shutdown(meetings);
  vc_ws_server_shutdown(ws_meetings);
  ev_timer_init(&drain_timer, on_drained, 1.0, 0.);
  ev_timer_start(loop, &drain_timer);
}

/* glibc keeps the heap a load freed (an idle server sat at 780 MB after
 * one; issue 20, finding 6). Every 10 s, when fewer connections are open
 * than at the last look, the free memory goes back to the system. */
static void on_trim_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  vc_ws_server_stats ws;
  vc_http_server_stats hs;
  unsigned now;

  (void)loop;
  (void)w;
  (void)revents;
  vc_ws_server_get_stats(ws_meetings, &ws);
  vc_http_server_get_stats(http, &hs);
  now = ws.connections + hs.connections;
  if (now < conns_at_last_trim_check) {
    vc_process_trim();
  }
  conns_at_last_trim_check = now;
}

static void on_cert_switch(void *user_data,
                           gnutls_certificate_credentials_t cred) {
  (void)user_data;
  if (quic) {
    vc_quic_server_set_credentials(quic, cred);
  }
}

/* GET /webtransport.json: the port and the hashes a page pins. */
static const char *webtransport_json(void *user_data) {
  const char *hashes[2];
  size_t n, i;
  int len;

  (void)user_data;
  if (!quic) {
    return NULL;
  }
  n = vc_cert_rotation_hashes(certs, hashes);
  len = snprintf(wt_json, sizeof(wt_json),
                 "{\"port\":%u,\"path\":\"/meeting\",\"hashes\":[",
                 vc_quic_server_port(quic));
  for (i = 0; i < n; i++) {
    len += snprintf(wt_json + len, sizeof(wt_json) - (size_t)len, "%s\"%s\"",
                    i ? "," : "", hashes[i]);
  }
  snprintf(wt_json + len, sizeof(wt_json) - (size_t)len, "]}\n");
  return wt_json;
}

/* POST /leave: the beacon of a page going away. */
static int on_leave_beacon(void *user_data, const vc_leave_beacon *b) {
  (void)user_data;
  return vc_meetings_leave_by_token(meetings, b->meeting_id, b->session,
                                    b->token, sizeof(b->token));
}

static int webtransport_stats(void *user_data, vc_metrics_wt *out) {
  vc_quic_server_stats q;
  vc_wt_server_stats w;

  (void)user_data;
  if (!quic) {
    return 0;
  }
  vc_quic_server_get_stats(quic, &q);
  vc_wt_server_get_stats(wt_meetings, &w);
  out->connections = q.connections;
  out->sessions = q.sessions;
  out->handshakes = q.handshakes;
  out->packets_in = q.packets_in;
  out->packets_out = q.packets_out;
  out->bytes_in = q.bytes_in;
  out->bytes_out = q.bytes_out;
  out->packets_dropped = q.packets_dropped;
  out->udp_overflows = q.udp_overflows;
  out->datagrams_stale = q.datagrams_stale;
  out->send_failed = q.send_failed;
  out->refused_too_many = q.refused_too_many;
  out->conn_errors = q.conn_errors;
  out->sessions_accepted = w.accepted;
  out->sessions_refused = q.sessions_refused;
  out->frames_in = w.frames_in;
  out->frames_out = w.frames_out;
  out->media_dropped = w.media_dropped;
  out->control_refused = w.control_refused;
  out->protocol_errors = w.protocol_errors;
  out->stream_queue_full = q.stream_queue_full;
  out->datagrams_dropped = q.datagrams_dropped;
  out->datagrams_in = w.datagrams_in;
  out->datagrams_out = w.datagrams_out;
  out->datagrams_malformed = w.datagrams_malformed;
  out->join_timeouts = w.join_timeouts;
  out->quic_limits = q.limits;
  return 1;
}

/* Starts WebTransport; without it meetings still work over WebSocket,
 * so a failure is logged, not fatal. */
static void start_webtransport(struct ev_loop *loop,
                               const char *const *listen_addrs, size_t n_listen,
                               long wt_port, const char *cert,
                               const char *key) {
  vc_quic_server_config qcfg;
  vc_wt_app app;
  char why[512];

  if (vc_cert_rotation_start(&certs, loop, NULL, cert, key, on_cert_switch,
                             NULL, why, sizeof(why)) != 0) {
    vc_log(VC_LOG_ERROR, "WebTransport off: %s", why);
    return;
  }
  if (vc_wt_server_new(&wt_meetings, loop, meetings, NULL) != 0) {
    vc_log(VC_LOG_ERROR, "WebTransport off: out of memory");
    return;
  }
  vc_wt_server_app(wt_meetings, &app);
  vc_quic_server_default_config(&qcfg);
  qcfg.listen_addrs = listen_addrs;
  qcfg.n_listen_addrs = n_listen;
  qcfg.port = (uint16_t)wt_port;
  if (vc_quic_server_start(&quic, loop, &qcfg,
                           vc_cert_rotation_credentials(certs), &app) != 0) {
    vc_log(VC_LOG_ERROR, "WebTransport off: UDP port %ld could not be bound",
           wt_port);
    quic = NULL;
  }
}

/* Parses a decimal in [lo, hi]; -1 when |s| is not one. */
static long parse_number(const char *s, long lo, long hi) {
  char *end;
  long v;

  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    return -1;
  }
  return v;
}

static int bad_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "vc-server: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'vc-server --help' for more information.\n");
  return 2;
}

int main(int argc, char **argv) {
  enum {
    OPT_MAX_CONN = 256,
    OPT_LOG_LEVEL,
    OPT_WT_PORT,
    OPT_NO_WT,
    OPT_CERT,
    OPT_KEY,
    OPT_MAX_MEETINGS_PER_ADDR,
    OPT_WS_JOIN_TIMEOUT
  };
  static const struct option options[] = {
      {"listen", required_argument, NULL, 'l'},
      {"port", required_argument, NULL, 'p'},
      {"web-root", required_argument, NULL, 'w'},
      {"max-connections", required_argument, NULL, OPT_MAX_CONN},
      {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
      {"wt-port", required_argument, NULL, OPT_WT_PORT},
      {"no-webtransport", no_argument, NULL, OPT_NO_WT},
      {"cert", required_argument, NULL, OPT_CERT},
      {"key", required_argument, NULL, OPT_KEY},
      {"max-meetings-per-address", required_argument, NULL,
       OPT_MAX_MEETINGS_PER_ADDR},
      {"ws-join-timeout", required_argument, NULL, OPT_WS_JOIN_TIMEOUT},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  static const char *const default_listen[] = {"127.0.0.1", "::1"};
  const char *listen_addrs[MAX_LISTEN];
  size_t n_listen = 0;
  const char *web_dir = "build/web";
  long port = 8080, max_conn = 1024, wt_port = -1, max_per_addr = 16;
  long ws_join_timeout = 10;
  vc_ws_server_config ws_cfg;
  const char *cert = NULL, *key = NULL;
  int no_wt = 0;
  vc_http_server_config cfg;
  gnutls_certificate_credentials_t https_cred = NULL;
  vc_web_root root;
  vc_rooms_limits rooms_limits;
  struct ev_loop *loop;
  ev_signal sigint_w, sigterm_w;
  char index_path[PATH_MAX];
  uint64_t fd_limit, fd_limit_before;
  int opt;

  while ((opt = getopt_long(argc, argv, "l:p:w:hV", options, NULL)) != -1) {
    switch (opt) {
    case 'l':
      if (n_listen == MAX_LISTEN) {
        return bad_usage("at most %d --listen addresses", MAX_LISTEN);
      }
      listen_addrs[n_listen++] = optarg;
      break;
    case 'p':
      port = parse_number(optarg, 0, 65535);
      if (port < 0) {
        return bad_usage("--port: '%s' is not a port (0-65535)", optarg);
      }
      break;
    case 'w':
      web_dir = optarg;
      break;
    case OPT_MAX_CONN:
      max_conn = parse_number(optarg, 1, 1000000);
      if (max_conn < 0) {
        return bad_usage("--max-connections: '%s' is not 1-1000000", optarg);
      }
      break;
    case OPT_LOG_LEVEL:
      if (vc_log_set_level_name(optarg) != 0) {
        return bad_usage("--log-level: '%s' is not error, warn, info or "
                         "debug",
                         optarg);
      }
      break;
    case OPT_WT_PORT:
      wt_port = parse_number(optarg, 0, 65535);
      if (wt_port < 0) {
        return bad_usage("--wt-port: '%s' is not a port (0-65535)", optarg);
      }
      break;
    case OPT_NO_WT:
      no_wt = 1;
      break;
    case OPT_CERT:
      cert = optarg;
      break;
    case OPT_KEY:
      key = optarg;
      break;
    case OPT_MAX_MEETINGS_PER_ADDR:
      max_per_addr = parse_number(optarg, 0, 1000);
      if (max_per_addr < 0) {
        return bad_usage("--max-meetings-per-address: '%s' is not 0-1000",
                         optarg);
      }
      break;
    case OPT_WS_JOIN_TIMEOUT:
      ws_join_timeout = parse_number(optarg, 1, 3600);
      if (ws_join_timeout < 0) {
        return bad_usage("--ws-join-timeout: '%s' is not 1-3600", optarg);
      }
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'V':
      printf("vc-server %s\n", vc_version());
      return 0;
    default:
      fprintf(stderr, "Try 'vc-server --help' for more information.\n");
      return 2;
    }
  }
  if (optind < argc) {
    return bad_usage("unexpected argument '%s'", argv[optind]);
  }
  if ((cert == NULL) != (key == NULL)) {
    return bad_usage("--cert and --key go together");
  }
  if (n_listen == 0) {
    listen_addrs[n_listen++] = default_listen[0];
    listen_addrs[n_listen++] = default_listen[1];
  }
  if (vc_web_root_init(&root, web_dir) != 0) {
    fprintf(stderr,
            "vc-server: web root %s: %s (build it with "
            "scripts/build.sh)\n",
            web_dir, strerror(errno));
    return 1;
  }
  if ((size_t)snprintf(index_path, sizeof(index_path), "%s/index.html",
                       root.real) >= sizeof(index_path) ||
      access(index_path, R_OK) != 0) {
    fprintf(stderr,
            "vc-server: web root %s has no index.html (build it "
            "with scripts/build.sh)\n",
            root.real);
    return 1;
  }

  signal(SIGPIPE, SIG_IGN);
  /* Each connection is a descriptor: take all the system lets us. */
  fd_limit = vc_process_raise_fd_limit(&fd_limit_before);
  loop = ev_default_loop(EVFLAG_AUTO);
  memset(&cfg, 0, sizeof(cfg));
  cfg.listen_addrs = listen_addrs;
  cfg.n_listen_addrs = n_listen;
  cfg.port = (uint16_t)port;
  cfg.web_root = &root;
  cfg.max_connections = (unsigned)max_conn;
  cfg.fd_limit = fd_limit;
  cfg.header_timeout_s = 10;
  cfg.idle_timeout_s = 15;
  cfg.write_timeout_s = 30;
  vc_rooms_default_limits(&rooms_limits);
  rooms_limits.max_rooms_per_source = (uint32_t)max_per_addr;
  vc_ws_server_default_config(&ws_cfg);
  ws_cfg.join_timeout_s = (double)ws_join_timeout;
  if (vc_meetings_new(&meetings, loop, &rooms_limits, MAX_MEETING_CONNS) != 0 ||
      vc_ws_server_new(&ws_meetings, loop, meetings, &ws_cfg) != 0) {
    fprintf(stderr, "vc-server: out of memory\n");
    return 1;
  }
  if (cert) {
    if (gnutls_certificate_allocate_credentials(&https_cred) != 0 ||
        gnutls_certificate_set_x509_key_file(https_cred, cert, key,
                                             GNUTLS_X509_FMT_PEM) < 0) {
      fprintf(stderr, "vc-server: cannot load --cert %s with --key %s\n", cert,
              key);
      return 1;
    }
    cfg.tls = https_cred;
  }
  cfg.ws = ws_meetings;
  cfg.webtransport_json = webtransport_json;
  cfg.leave = on_leave_beacon;
  cfg.webtransport_stats = webtransport_stats;
  if (vc_http_server_start(&http, loop, &cfg) != 0) {
    return 1;
  }
  if (!no_wt) {
    if (wt_port < 0) {
      wt_port = port ? vc_http_server_port(http) : 0;
    }
    start_webtransport(loop, listen_addrs, n_listen, wt_port, cert, key);
  }
  ev_signal_init(&sigint_w, on_stop_signal, SIGINT);
  ev_signal_init(&sigterm_w, on_stop_signal, SIGTERM);
  ev_signal_start(loop, &sigint_w);
  ev_signal_start(loop, &sigterm_w);
  ev_timer_init(&trim_timer, on_trim_timer, TRIM_PERIOD_S, TRIM_PERIOD_S);
  ev_timer_start(loop, &trim_timer);
  ev_unref(loop); /* the timer alone must not keep the loop running */

  printf("vc-server %s listening on %s://localhost:%u/ (%s)\n", vc_version(),
         cfg.tls ? "https" : "http", vc_http_server_port(http),
         vc_http_server_addresses(http));
  if (quic) {
    printf("WebTransport on UDP port %u\n", vc_quic_server_port(quic));
  }
  /* A line of its own: scripts parse the first line as it is. */
  if (fd_limit > fd_limit_before) {
    printf("File descriptors: %llu (raised from %llu)\n",
           (unsigned long long)fd_limit, (unsigned long long)fd_limit_before);
  } else {
    printf("File descriptors: %llu\n", (unsigned long long)fd_limit);
  }
  fflush(stdout);
  vc_log(VC_LOG_INFO, "serving %s", root.real);

  ev_run(loop, 0);
  ev_ref(loop);
  ev_timer_stop(loop, &trim_timer);

  vc_http_server_stop(http);
  vc_quic_server_stop(quic);
  vc_wt_server_del(wt_meetings);
  vc_cert_rotation_stop(certs);
  vc_ws_server_del(ws_meetings);
  vc_meetings_del(meetings);
  if (https_cred) {
    gnutls_certificate_free_credentials(https_cred);
  }
  ev_loop_destroy(loop);
  vc_log(VC_LOG_INFO, "stopped");
  return 0;
}

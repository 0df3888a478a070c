/*
 * netem_proxy.c: vc-netem-proxy, a UDP relay that puts one tests/netem
 * path in each direction between its clients and one server. The browser
 * tests and the glass-to-glass benchmark send WebTransport (and WebRTC)
 * through it, because the kernels here have no netem qdisc
 * (docs/TESTING.md "Network impairment").
 *
 *   vc-netem-proxy --listen 127.0.0.1:0 [--listen [::1]:0]
 *                  --to 127.0.0.1:4433 [--profile NAME] [--seed N]
 *                  [--max-held N]
 *
 * A second --listen with port 0 takes the first one's port, so that
 * "localhost:PORT" reaches it whichever address the browser resolves.
 * Prints "netem proxy on udp HOST:PORT" per address, then reads
 * commands on stdin, one per line:
 *   profile NAME   every path from now on follows netem profile NAME
 *                  ("none": no delay, no loss); a capacity schedule starts
 *                  over at the switch
 *   rate KBPS      no delay or loss, but a bottleneck of KBPS each way
 *                  with a 200 ms drop-tail queue
 *   blackout       drop every packet both ways until the next "profile"
 *   stats          print one line of counters ("stats key value ...")
 * SIGTERM, SIGINT or the parent's death ends it.
 *
 * Each client address gets its own socket towards the server, so the
 * server sees one address per client, as it would without the proxy.
 * Packets waiting for their arrival time are held in one heap, capped at
 * --max-held packets and HELD_BYTES_MAX bytes; past the cap a packet is
 * dropped and counted (held_full).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netem.h"

#define MAX_FLOWS 64
#define FLOW_IDLE_NS (60 * 1000 * NETEM_MS)
#define PACKET_MAX 65536
#define HELD_BYTES_MAX (64u << 20)
#define READS_PER_WAKE 64
#define MAX_LISTEN 2

enum { UP, DOWN };

typedef struct flow {
  int fd;        /* towards the server; -1: slot free */
  int listen_fd; /* the socket the client talks to */
  struct sockaddr_storage client;
  socklen_t client_len;
  netem path[2];
  uint64_t last_ns;
  size_t held; /* packets of this flow in the heap */
} flow;

typedef struct held_packet {
  uint64_t due_ns;
  uint64_t order; /* ties keep arrival order */
  int flow, dir;
  size_t len;
  uint8_t *data;
} held_packet;

typedef struct counters {
  uint64_t in[2], out[2], lost[2];
  uint64_t blackout, held_full, flows_full, send_errors;
} counters;

typedef struct proxy {
  int listen_fd[MAX_LISTEN];
  int n_listen;
  struct sockaddr_storage server;
  socklen_t server_len;
  netem_profile profile;
  int blackout;
  uint64_t seed;
  flow flows[MAX_FLOWS];
  held_packet *heap;
  size_t n_held, max_held, held_bytes;
  uint64_t order;
  counters c;
} proxy;

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(FILE *f, int code) {
  fputs("usage: vc-netem-proxy --listen HOST:PORT --to HOST:PORT\n"
        "                      [--profile NAME] [--seed N] [--max-held N]\n"
        "Relays UDP between clients and one server through a netem path\n"
        "each way. Commands on stdin: profile NAME | rate KBPS | blackout |\n"
        "stats.\n",
        f);
  return code;
}

/* "127.0.0.1:4433", "[::1]:4433" or "localhost:4433". */
static int parse_addr(const char *text, struct sockaddr_storage *out,
                      socklen_t *out_len) {
  char host[256];
  const char *colon = strrchr(text, ':');
  struct addrinfo hints, *res = NULL;
  size_t n;
  if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host)) {
    return -1;
  }
  n = (size_t)(colon - text);
  if (text[0] == '[' && text[n - 1] == ']') {
    memcpy(host, text + 1, n - 2);
    host[n - 2] = '\0';
  } else {
    memcpy(host, text, n);
    host[n] = '\0';
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res) {
    return -1;
  }
  memcpy(out, res->ai_addr, res->ai_addrlen);
  *out_len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

static void use_profile(proxy *p, const netem_profile *np) {
  size_t i;
  p->profile = *np;
  p->blackout = 0;
  for (i = 0; i < MAX_FLOWS; i++) {
    if (p->flows[i].fd >= 0) {
      netem_init(&p->flows[i].path[UP], np, ++p->seed);
      netem_init(&p->flows[i].path[DOWN], np, ++p->seed);
    }
  }
}

static int set_profile(proxy *p, const char *name) {
  static const netem_profile none = {.name = "none"};
  const netem_profile *np =
      strcmp(name, "none") == 0 ? &none : netem_profile_named(name);
  if (!np) {
    return -1;
  }
  use_profile(p, np);
  return 0;
}

static int set_rate(proxy *p, const char *kbps) {
  char *end;
  unsigned long v = strtoul(kbps, &end, 10);
  netem_profile np = {.name = "rate", .queue_ms = 200, .n_rate = 1};
  if (end == kbps || *end != '\0' || v == 0 || v > 10000000) {
    return -1;
  }
  np.rate[0].rate_kbps = (uint32_t)v;
  use_profile(p, &np);
  return 0;
}

/* The heap of held packets, earliest due first. */
static int held_before(const held_packet *a, const held_packet *b) {
  return a->due_ns < b->due_ns ||
         (a->due_ns == b->due_ns && a->order < b->order);
}

static void heap_push(proxy *p, held_packet hp) {
  size_t i = p->n_held++;
  while (i > 0 && held_before(&hp, &p->heap[(i - 1) / 2])) {
    p->heap[i] = p->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  p->heap[i] = hp;
}

static held_packet heap_pop(proxy *p) {
  held_packet top = p->heap[0], last = p->heap[--p->n_held];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= p->n_held) {
      break;
    }
    if (child + 1 < p->n_held &&
        held_before(&p->heap[child + 1], &p->heap[child])) {
      child++;
    }
    if (!held_before(&p->heap[child], &last)) {
      break;
    }
    p->heap[i] = p->heap[child];
    i = child;
  }
  if (p->n_held > 0) {
    p->heap[i] = last;
  }
  return top;
}

static void deliver(proxy *p, int fi, int dir, const uint8_t *data,
                    size_t len) {
  flow *f = &p->flows[fi];
  ssize_t sent = dir == UP
                     ? send(f->fd, data, len, 0)
                     : sendto(f->listen_fd, data, len, 0,
                              (struct sockaddr *)&f->client, f->client_len);
  if (sent < 0) {
    p->c.send_errors++;
  } else {
    p->c.out[dir]++;
  }
}

/* A packet came in from one side: through the path, now or later. */
static void forward(proxy *p, int fi, int dir, const uint8_t *data, size_t len,
                    uint64_t t) {
  flow *f = &p->flows[fi];
  uint64_t due;
  held_packet hp;
  p->c.in[dir]++;
  f->last_ns = t;
  if (p->blackout) {
    p->c.blackout++;
    return;
  }
  if (!netem_send(&f->path[dir], t, len, &due)) {
    p->c.lost[dir]++;
    return;
  }
  if (due <= t && p->n_held == 0) {
    deliver(p, fi, dir, data, len);
    return;
  }
  if (p->n_held == p->max_held || p->held_bytes + len > HELD_BYTES_MAX) {
    p->c.held_full++;
    return;
  }
  hp.due_ns = due;
  hp.order = p->order++;
  hp.flow = fi;
  hp.dir = dir;
  hp.len = len;
  hp.data = malloc(len ? len : 1);
  if (!hp.data) {
    p->c.held_full++;
    return;
  }
  memcpy(hp.data, data, len);
  p->held_bytes += len;
  f->held++;
  heap_push(p, hp);
}

static void release_due(proxy *p, uint64_t t) {
  while (p->n_held > 0 && p->heap[0].due_ns <= t) {
    held_packet hp = heap_pop(p);
    deliver(p, hp.flow, hp.dir, hp.data, hp.len);
    p->held_bytes -= hp.len;
    p->flows[hp.flow].held--;
    free(hp.data);
  }
}

/* Bursts (a keyframe's packets at once) must not overflow the kernel's
 * default socket buffer before the loop reads them. */
static void big_buffers(int fd) {
  int size = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  }
}

static int same_addr(const struct sockaddr_storage *a, socklen_t alen,
                     const struct sockaddr_storage *b, socklen_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

/* The flow of a client address, made on its first packet; -1 when the
 * table is full. Idle flows with nothing held give their slot back. */
static int flow_of(proxy *p, int listen_fd, const struct sockaddr_storage *from,
                   socklen_t from_len, uint64_t t) {
  int i, free_slot = -1;
  for (i = 0; i < MAX_FLOWS; i++) {
    flow *f = &p->flows[i];
    if (f->fd >= 0 && f->listen_fd == listen_fd &&
        same_addr(&f->client, f->client_len, from, from_len)) {
      return i;
    }
    if (f->fd >= 0 && f->held == 0 && t - f->last_ns > FLOW_IDLE_NS) {
      close(f->fd);
      f->fd = -1;
    }
    if (f->fd < 0 && free_slot < 0) {
      free_slot = i;
    }
  }
  if (free_slot < 0) {
    return -1;
  }
  {
    flow *f = &p->flows[free_slot];
    int fd = socket(p->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 ||
        connect(fd, (struct sockaddr *)&p->server, p->server_len) != 0) {
      if (fd >= 0) {
        close(fd);
      }
      return -1;
    }
    big_buffers(fd);
    f->fd = fd;
    f->listen_fd = listen_fd;
    memcpy(&f->client, from, from_len);
    f->client_len = from_len;
    f->held = 0;
    f->last_ns = t;
    netem_init(&f->path[UP], &p->profile, ++p->seed);
    netem_init(&f->path[DOWN], &p->profile, ++p->seed);
  }
  return free_slot;
}

static void read_clients(proxy *p, int listen_fd, uint8_t *buf) {
  int n;
  for (n = 0; n < READS_PER_WAKE; n++) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof(from);
    ssize_t len = recvfrom(listen_fd, buf, PACKET_MAX, MSG_DONTWAIT,
                           (struct sockaddr *)&from, &from_len);
    uint64_t t = now_ns();
    int fi;
    if (len < 0) {
      return;
    }
    fi = flow_of(p, listen_fd, &from, from_len, t);
    if (fi < 0) {
      p->c.flows_full++;
      continue;
    }
    forward(p, fi, UP, buf, (size_t)len, t);
  }
}

static void read_server(proxy *p, int fi, uint8_t *buf) {
  int n;
  for (n = 0; n < READS_PER_WAKE; n++) {
    ssize_t len = recv(p->flows[fi].fd, buf, PACKET_MAX, MSG_DONTWAIT);
    if (len < 0) {
      return;
    }
    forward(p, fi, DOWN, buf, (size_t)len, now_ns());
  }
}

static void print_stats(const proxy *p) {
  int i, flows = 0;
  for (i = 0; i < MAX_FLOWS; i++) {
    flows += p->flows[i].fd >= 0;
  }
  printf(
      "stats profile %s blackout %d flows %d held %zu "
      "up_in %llu up_out %llu up_lost %llu "
      "down_in %llu down_out %llu down_lost %llu "
      "blackout_drops %llu held_full %llu flows_full %llu send_errors %llu\n",
      p->profile.name, p->blackout, flows, p->n_held,
      (unsigned long long)p->c.in[UP], (unsigned long long)p->c.out[UP],
      (unsigned long long)p->c.lost[UP], (unsigned long long)p->c.in[DOWN],
      (unsigned long long)p->c.out[DOWN], (unsigned long long)p->c.lost[DOWN],
      (unsigned long long)p->c.blackout, (unsigned long long)p->c.held_full,
      (unsigned long long)p->c.flows_full,
      (unsigned long long)p->c.send_errors);
  fflush(stdout);
}

/* One command line from stdin; answers "ok ..." or "error ...". */
static void command(proxy *p, char *line) {
  char *nl = strchr(line, '\n');
  if (nl) {
    *nl = '\0';
  }
  if (strncmp(line, "profile ", 8) == 0) {
    if (set_profile(p, line + 8) == 0) {
      printf("ok profile %s\n", p->profile.name);
    } else {
      printf("error unknown profile \"%s\"\n", line + 8);
    }
  } else if (strncmp(line, "rate ", 5) == 0) {
    if (set_rate(p, line + 5) == 0) {
      printf("ok rate %s\n", line + 5);
    } else {
      printf("error bad rate \"%s\"\n", line + 5);
    }
  } else if (strcmp(line, "blackout") == 0) {
    p->blackout = 1;
    printf("ok blackout\n");
  } else if (strcmp(line, "stats") == 0) {
    print_stats(p);
    return;
  } else if (line[0] != '\0') {
    printf("error unknown command \"%s\"\n", line);
  }
  fflush(stdout);
}

/* Whole lines from stdin; returns -1 at EOF (commands end, relaying not). */
static int read_commands(proxy *p, char *acc, size_t *acc_len, size_t cap) {
  ssize_t n = read(STDIN_FILENO, acc + *acc_len, cap - 1 - *acc_len);
  char *nl;
  if (n <= 0) {
    return n == 0 || (errno != EINTR && errno != EAGAIN) ? -1 : 0;
  }
  *acc_len += (size_t)n;
  acc[*acc_len] = '\0';
  while ((nl = strchr(acc, '\n')) != NULL) {
    size_t used = (size_t)(nl - acc) + 1;
    char line[256];
    size_t copy = used < sizeof(line) ? used : sizeof(line) - 1;
    memcpy(line, acc, copy);
    line[copy] = '\0';
    command(p, line);
    memmove(acc, acc + used, *acc_len - used + 1);
    *acc_len -= used;
  }
  if (*acc_len == cap - 1) {
    *acc_len = 0; /* a line too long for any command */
  }
  return 0;
}

/* |port|: 0 keeps the address's own port; else it replaces a port 0. */
static int open_listener(proxy *p, const char *addr, uint16_t *port_out) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  char host[NI_MAXHOST], port[NI_MAXSERV];
  int fd;
  if (parse_addr(addr, &ss, &len) != 0) {
    fprintf(stderr, "vc-netem-proxy: bad --listen address \"%s\"\n", addr);
    return -1;
  }
  if (*port_out) {
    uint16_t be = htons(*port_out);
    if (ss.ss_family == AF_INET6 &&
        ((struct sockaddr_in6 *)&ss)->sin6_port == 0) {
      ((struct sockaddr_in6 *)&ss)->sin6_port = be;
    } else if (ss.ss_family == AF_INET &&
               ((struct sockaddr_in *)&ss)->sin_port == 0) {
      ((struct sockaddr_in *)&ss)->sin_port = be;
    }
  }
  fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0) {
    fprintf(stderr, "vc-netem-proxy: cannot listen on %s: %s\n", addr,
            strerror(errno));
    return -1;
  }
  p->listen_fd[p->n_listen++] = fd;
  big_buffers(fd);
  len = sizeof(ss);
  getsockname(fd, (struct sockaddr *)&ss, &len);
  *port_out =
      ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
  getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
              sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
  printf(ss.ss_family == AF_INET6 ? "netem proxy on udp [%s]:%s\n"
                                  : "netem proxy on udp %s:%s\n",
         host, port);
  fflush(stdout);
  return 0;
}

static int run(proxy *p) {
  static uint8_t buf[PACKET_MAX];
  char acc[1024];
  size_t acc_len = 0;
  int stdin_open = 1;
  while (!stop) {
    struct pollfd pfd[MAX_FLOWS + MAX_LISTEN + 1];
    int who[MAX_FLOWS + MAX_LISTEN + 1];
    nfds_t n = 0, i;
    struct timespec wait, *wait_p = NULL;
    uint64_t t = now_ns();
    release_due(p, t);
    if (p->n_held > 0) {
      uint64_t d = p->heap[0].due_ns > t ? p->heap[0].due_ns - t : 0;
      wait.tv_sec = (time_t)(d / 1000000000u);
      wait.tv_nsec = (long)(d % 1000000000u);
      wait_p = &wait;
    }
    for (i = 0; i < (nfds_t)p->n_listen; i++) {
      pfd[n].fd = p->listen_fd[i];
      pfd[n].events = POLLIN;
      who[n++] = -1;
    }
    if (stdin_open) {
      pfd[n].fd = STDIN_FILENO;
      pfd[n].events = POLLIN;
      who[n++] = -2;
    }
    for (i = 0; i < MAX_FLOWS; i++) {
      if (p->flows[i].fd >= 0) {
        pfd[n].fd = p->flows[i].fd;
        pfd[n].events = POLLIN;
        who[n++] = (int)i;
      }
    }
    if (ppoll(pfd, n, wait_p, NULL) < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("vc-netem-proxy: ppoll");
      return 1;
    }
    for (i = 0; i < n; i++) {
      if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      if (who[i] == -1) {
        read_clients(p, pfd[i].fd, buf);
      } else if (who[i] == -2) {
        stdin_open = read_commands(p, acc, &acc_len, sizeof(acc)) == 0;
      } else {
        read_server(p, who[i], buf);
      }
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  static proxy p;
  const char *listen_at[MAX_LISTEN] = {NULL}, *to = NULL, *profile = "none";
  int i, rc, n_listen = 0;
  uint16_t port = 0;
  struct sigaction sa;
  p.max_held = 20000;
  p.seed = 1;
  for (i = 0; i < MAX_FLOWS; i++) {
    p.flows[i].fd = -1;
  }
  for (i = 1; i < argc; i++) {
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--help") == 0) {
      return usage(stdout, 0);
    } else if (!next) {
      return usage(stderr, 2);
    } else if (strcmp(argv[i], "--listen") == 0 && n_listen < MAX_LISTEN) {
      listen_at[n_listen++] = next;
    } else if (strcmp(argv[i], "--to") == 0) {
      to = next;
    } else if (strcmp(argv[i], "--profile") == 0) {
      profile = next;
    } else if (strcmp(argv[i], "--seed") == 0) {
      p.seed = strtoull(next, NULL, 10);
    } else if (strcmp(argv[i], "--max-held") == 0) {
      p.max_held = strtoul(next, NULL, 10);
    } else {
      return usage(stderr, 2);
    }
    i++;
  }
  if (n_listen == 0 || !to || p.max_held == 0) {
    return usage(stderr, 2);
  }
  if (parse_addr(to, &p.server, &p.server_len) != 0) {
    fprintf(stderr, "vc-netem-proxy: bad --to address \"%s\"\n", to);
    return 2;
  }
  if (set_profile(&p, profile) != 0) {
    fprintf(stderr, "vc-netem-proxy: unknown profile \"%s\"\n", profile);
    return 2;
  }
  p.heap = calloc(p.max_held, sizeof(*p.heap));
  if (!p.heap) {
    fputs("vc-netem-proxy: out of memory\n", stderr);
    return 1;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* a test that dies takes it along */
  for (i = 0; i < n_listen; i++) {
    if (open_listener(&p, listen_at[i], &port) != 0) {
      return 1;
    }
  }
  rc = run(&p);
  while (p.n_held > 0) {
    free(heap_pop(&p).data);
  }
  free(p.heap);
  for (i = 0; i < MAX_FLOWS; i++) {
    if (p.flows[i].fd >= 0) {
      close(p.flows[i].fd);
    }
  }
  for (i = 0; i < p.n_listen; i++) {
    close(p.listen_fd[i]);
  }
  return rc;
}

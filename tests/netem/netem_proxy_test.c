/*
 * netem_proxy_test.c: runs the real vc-netem-proxy between UDP sockets of
 * this process and checks what reaches the other side: everything, in
 * order, with profile "none"; nothing during a blackout; about 2 % lost
 * with "loss2", each packet at least the profile's delay late; the held
 * heap's cap reached and counted; one server-side address per client.
 *
 *   netem_proxy_test PATH/TO/vc-netem-proxy
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      failures++;                                                              \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

typedef struct proc {
  pid_t pid;
  FILE *in, *out;
  uint16_t port;
} proc;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int udp_socket(uint16_t *port) {
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 4 << 20;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    perror("bind");
    exit(1);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  }
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

static proc start_proxy(const char *bin, uint16_t server_port,
                        const char *extra) {
  int to_child[2], from_child[2];
  char to[64], line[256];
  proc p;
  snprintf(to, sizeof(to), "127.0.0.1:%u", server_port);
  if (pipe(to_child) != 0 || pipe(from_child) != 0) {
    perror("pipe");
    exit(1);
  }
  p.pid = fork();
  if (p.pid == 0) {
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    close(to_child[1]);
    close(from_child[0]);
    execl(bin, bin, "--listen", "127.0.0.1:0", "--to", to, "--max-held", extra,
          (char *)NULL);
    perror("exec");
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  p.in = fdopen(to_child[1], "w");
  p.out = fdopen(from_child[0], "r");
  if (!fgets(line, sizeof(line), p.out) ||
      sscanf(line, "netem proxy on udp 127.0.0.1:%hu", &p.port) != 1) {
    fprintf(stderr, "proxy did not start: %s\n", line);
    exit(1);
  }
  return p;
}

/* Sends |cmd| and returns the answer line (static). */
static const char *ask(proc *p, const char *cmd) {
  static char line[1024];
  fprintf(p->in, "%s\n", cmd);
  fflush(p->in);
  if (!fgets(line, sizeof(line), p->out)) {
    line[0] = '\0';
  }
  return line;
}

static unsigned long long stat_of(const char *stats, const char *key) {
  char pat[64];
  const char *at;
  snprintf(pat, sizeof(pat), " %s ", key);
  at = strstr(stats, pat);
  return at ? strtoull(at + strlen(pat), NULL, 10) : ~0ull;
}

static void send_seq(int fd, uint16_t port, uint32_t seq, size_t len) {
  uint8_t buf[1200];
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  memset(buf, 0xab, sizeof(buf));
  memcpy(buf, &seq, sizeof(seq));
  if (sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
    perror("sendto");
  }
}

/* Receives on |fd| until |quiet_ms| pass without a packet; records each
 * sequence number (in |seqs| up to |cap|) and the last sender's port. */
static size_t drain(int fd, int quiet_ms, uint32_t *seqs, size_t cap,
                    uint16_t *from_port) {
  size_t n = 0;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  while (poll(&pfd, 1, quiet_ms) > 0) {
    uint8_t buf[2048];
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    ssize_t len =
        recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&a, &alen);
    if (len >= 4) {
      uint32_t seq;
      memcpy(&seq, buf, sizeof(seq));
      if (n < cap) {
        seqs[n] = seq;
      }
      n++;
      if (from_port) {
        *from_port = ntohs(a.sin_port);
      }
    }
  }
  return n;
}

static uint32_t seqs[4096];

int main(int argc, char **argv) {
  uint16_t server_port, client_port, client2_port, from = 0, from2 = 0;
  int server, client, client2;
  proc p;
  size_t n, i, in_order = 1;
  const char *st;
  uint64_t t0;
  if (argc != 2) {
    fprintf(stderr, "usage: netem_proxy_test PATH/TO/vc-netem-proxy\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  server = udp_socket(&server_port);
  client = udp_socket(&client_port);
  client2 = udp_socket(&client2_port);
  p = start_proxy(argv[1], server_port, "300");

  /* "none": all 500 arrive, in order, from the proxy's socket. */
  for (i = 0; i < 500; i++) {
    send_seq(client, p.port, (uint32_t)i, 200);
    if (i % 100 == 99) {
      usleep(2000);
    }
  }
  n = drain(server, 300, seqs, 4096, &from);
  for (i = 0; i < n && i < 500; i++) {
    in_order &= seqs[i] == i;
  }
  CHECK(n == 500, "none: %zu of 500 arrived", n);
  CHECK(in_order, "none: out of order");
  CHECK(from != 0 && from != client_port && from != p.port,
        "none: server saw port %u", from);

  /* The way back: the server answers the proxy's socket for this client. */
  send_seq(server, from, 7, 100);
  n = drain(client, 300, seqs, 4096, NULL);
  CHECK(n == 1 && seqs[0] == 7, "none: %zu answers came back", n);

  /* A second client gets its own server-side socket. */
  send_seq(client2, p.port, 1, 100);
  n = drain(server, 300, seqs, 4096, &from2);
  CHECK(n == 1 && from2 != from, "second client: %zu, port %u vs %u", n, from2,
        from);

  /* Blackout: nothing either way, every packet counted. */
  CHECK(strncmp(ask(&p, "blackout"), "ok blackout", 11) == 0, "blackout");
  for (i = 0; i < 50; i++) {
    send_seq(client, p.port, (uint32_t)i, 200);
    send_seq(server, from, (uint32_t)i, 200);
  }
  CHECK(drain(server, 300, seqs, 4096, NULL) == 0, "blackout leaked up");
  CHECK(drain(client, 50, seqs, 4096, NULL) == 0, "blackout leaked down");
  st = ask(&p, "stats");
  CHECK(stat_of(st, "blackout_drops") == 100, "blackout: %s", st);

  /* loss2: about 2 % lost (seeded, so the same every run), each one at
   * least 20 - 3 sigma ms late. Paced, so the held cap is not reached. */
  CHECK(strncmp(ask(&p, "profile loss2"), "ok profile loss2", 16) == 0,
        "profile loss2");
  t0 = now_ms();
  for (i = 0; i < 2000; i++) {
    send_seq(client, p.port, (uint32_t)i, 200);
    if (i % 20 == 19) {
      usleep(2000); /* at most about 200 held at once */
    }
  }
  n = drain(server, 500, seqs, 4096, NULL);
  CHECK(n >= 1920 && n <= 1990, "loss2: %zu of 2000 arrived", n);
  st = ask(&p, "stats");
  CHECK(stat_of(st, "up_lost") == 2000 - n, "loss2: %zu arrived: %s", n, st);
  CHECK(now_ms() - t0 >= 14, "loss2: too early");

  /* The held heap's cap (300 here): a burst far past it with a 30 ms
   * path loses the excess, counted, and the rest still arrives. */
  CHECK(strncmp(ask(&p, "profile jitter"), "ok profile jitter", 17) == 0,
        "profile jitter");
  for (i = 0; i < 1000; i++) {
    send_seq(client, p.port, (uint32_t)i, 1000);
    if (i % 100 == 99) {
      usleep(1000);
    }
  }
  n = drain(server, 500, seqs, 4096, NULL);
  st = ask(&p, "stats");
  CHECK(stat_of(st, "held_full") > 0, "cap not reached: %s", st);
  CHECK(n >= 300 && n < 1000, "cap: %zu of 1000 arrived", n);
  CHECK(stat_of(st, "held") == 0, "held after drain: %s", st);

  /* A bottleneck of 800 kbps with a 200 ms queue: a burst of 200 packets
   * of 1000 bytes (1.6 Mbit) gets about 20 kB (200 ms) through at once
   * plus what drains meanwhile; the rest is dropped at the tail. */
  CHECK(strncmp(ask(&p, "rate 800"), "ok rate 800", 11) == 0, "rate");
  st = ask(&p, "stats");
  {
    unsigned long long lost_before = stat_of(st, "up_lost");
    for (i = 0; i < 200; i++) {
      send_seq(client, p.port, (uint32_t)i, 1000);
    }
    n = drain(server, 500, seqs, 4096, NULL);
    st = ask(&p, "stats");
    CHECK(n >= 15 && n <= 60, "rate: %zu of 200 through", n);
    CHECK(stat_of(st, "up_lost") - lost_before == 200 - n, "rate: %s", st);
  }
  st = ask(&p, "rate fast");
  CHECK(strncmp(st, "error bad rate", 14) == 0, "%s", st);

  /* Bad commands get an error line and change nothing. */
  st = ask(&p, "profile nosuch");
  CHECK(strncmp(st, "error unknown profile", 21) == 0, "%s", st);
  st = ask(&p, "reboot");
  CHECK(strncmp(st, "error unknown command", 21) == 0, "%s", st);

  kill(p.pid, SIGTERM);
  waitpid(p.pid, NULL, 0);
  printf("netem_proxy_test: %s\n", failures ? "FAILED" : "passed");
  return failures ? 1 : 0;
}

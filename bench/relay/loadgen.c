/*
 * loadgen.c: the relay benchmark's load generator (issue 7; run by
 * bench/relay.sh, figures in docs/BENCHMARKS.md).
 *
 *   relay_loadgen -t vc|nats -P port -n participants -r packets_per_s
 *                 [-s payload_bytes] [-d seconds] [-w warmup_seconds]
 *                 [-p server_pid] [-k video|audio|data] [-m meeting] [-q]
 *
 * One process, one thread, one epoll loop: n participants of one room,
 * each a sender and a receiver. Each sends an envelope (the core's
 * encoder, include/vc/wire.h) of |payload_bytes| every 1/rate seconds,
 * the senders' phases spread evenly over that interval; the payload
 * starts with the CLOCK_MONOTONIC time of the send() call, and every
 * receiver takes the time after the recv() that brought it, so a delay
 * is server forwarding plus both kernels' loopback plus our own loop.
 * Packets sent in the measured window (after the warm-up) are counted
 * wherever they arrive; the server's CPU time over the same window comes
 * from /proc (every thread's schedstat, cross-checked against stat's
 * utime + stime), ours from CLOCK_PROCESS_CPUTIME_ID. So does the time
 * either of us waited for a core: the machine is shared.
 *
 * On vc-server the default kind is video with every participant
 * subscribed to every other one's layer 0: the room then forwards each
 * packet to all n-1 others at every room size (audio goes to all only in
 * rooms of up to ten; above that the three loudest, room_audio.c). On
 * nats-server the room is one subject with echo off: the same n-1.
 *
 * -q sets TCP_QUICKACK after every read, to show how much of the delay
 * is the server's Nagle algorithm waiting for our delayed ACKs.
 *
 * Prints one line of name=value pairs for the script to tabulate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull
#define HEARTBEAT_NS NS_PER_S
/* Long enough for every packet of the window to arrive, unless the
 * server is saturated; then the loss says so. */
#define DRAIN_NS (500 * NS_PER_MS)

/* ---- delay histogram: 1 us steps to 1 ms, then 512 per doubling ---- */

#define H_LINEAR 1024u
#define H_SUB 512u
#define H_BINS (H_LINEAR + 40u * H_SUB)

static uint64_t hist[H_BINS];
static uint64_t hist_n;

static unsigned bin_of(uint64_t us) {
  unsigned shift = 0;

  if (us < H_LINEAR) {
    return (unsigned)us;
  }
  while ((us >> shift) >= 2 * H_SUB) {
    shift++;
  }
  if (shift > 40) {
    return H_BINS - 1;
  }
  return H_LINEAR + (shift - 1) * H_SUB + (unsigned)((us >> shift) - H_SUB);
}

static double value_of(unsigned bin) {
  unsigned shift, sub;

  if (bin < H_LINEAR) {
    return bin + 0.5;
  }
  shift = (bin - H_LINEAR) / H_SUB + 1;
  sub = (bin - H_LINEAR) % H_SUB + H_SUB;
  return ((double)sub + 0.5) * (double)(1ull << shift);
}

static double percentile_us(double q) {
  uint64_t want = (uint64_t)(q * (double)hist_n), seen = 0;
  unsigned i;

  for (i = 0; i < H_BINS; i++) {
    seen += hist[i];
    if (seen > want) {
      return value_of(i);
    }
  }
  return 0;
}

/* ---- the run ---------------------------------------------------------- */

enum { T_VC, T_NATS };

static struct {
  int transport;
  uint16_t port;
  int n;     /* participants per room */
  int rooms; /* side by side, each of n */
  double rate;
  size_t payload_len;
  double secs, warmup;
  int server_pid;
  int quickack;
  uint32_t kind;
  char meeting[80];
} opt = {T_VC, 0, 2, 1, 50, 160, 5, 1, 0, 0, VC_STREAM_KIND_VIDEO, ""};

static struct {
  uint64_t t0, t1;   /* the measured window, by send time */
  uint64_t sent_win; /* packets sent in the window */
  uint64_t recv_win; /* copies of those received */
  uint64_t recv_all, control_in;
  uint64_t late_sum_ns, late_max_ns, sends;
  int failed;
} st;

static char fail_reason[256];

void lg_fail(const char *fmt, ...) {
  va_list ap;

  if (st.failed) {
    return;
  }
  st.failed = 1;
  va_start(ap, fmt);
  vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
  va_end(ap);
}

uint64_t lg_now_ns(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * NS_PER_S + (uint64_t)t.tv_nsec;
}

static uint64_t own_cpu_ns(void) {
  struct timespec t;

  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (uint64_t)t.tv_sec * NS_PER_S + (uint64_t)t.tv_nsec;
}

/* utime + stime of |pid| (all threads) in ns, or 0 when unreadable.
 * Ticks of 10 ms: the cross-check of cpu_ns() below. */
static uint64_t stat_cpu_ns(int pid) {
  char path[64], buf[1024], *p;
  unsigned long long utime, stime;
  long tck = sysconf(_SC_CLK_TCK);
  FILE *f;
  size_t n;
  int i;

  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  f = fopen(path, "r");
  if (!f) {
    return 0;
  }
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: count fields from
   * the last ')'. Field 3 follows it; utime and stime are 14 and 15. */
  p = strrchr(buf, ')');
  if (!p) {
    return 0;
  }
  p++;
  for (i = 3; i < 14 && p; i++) {
    p = strchr(p + 1, ' ');
  }
  if (!p || sscanf(p, "%llu %llu", &utime, &stime) != 2 || tck <= 0) {
    return 0;
  }
  return (utime + stime) * (NS_PER_S / (uint64_t)tck);
}

/* CPU time of |pid| in ns, summed over its threads' schedstat (the
 * scheduler's own count, in ns: stat's 10 ms ticks are too coarse for a
 * 2-participant room, which costs the server milliseconds a second),
 * and in |*waited_ns| the time its threads were runnable but waited for
 * a core: on a shared machine, delay that is not the server's doing.
 * Falls back to stat when schedstat is missing. */
static uint64_t cpu_ns(int pid, uint64_t *waited_ns) {
  char path[300];
  struct dirent *d;
  uint64_t sum = 0;
  DIR *dir;

  *waited_ns = 0;
  snprintf(path, sizeof(path), "/proc/%d/task", pid);
  dir = opendir(path);
  if (!dir) {
    return stat_cpu_ns(pid);
  }
  while ((d = readdir(dir)) != NULL) {
    unsigned long long ns, wait;
    FILE *f;
    if (d->d_name[0] == '.') {
      continue;
    }
    snprintf(path, sizeof(path), "/proc/%d/task/%.20s/schedstat", pid,
             d->d_name);
    f = fopen(path, "r");
    if (!f) {
      continue;
    }
    if (fscanf(f, "%llu %llu", &ns, &wait) == 2) {
      sum += ns;
      *waited_ns += wait;
    }
    fclose(f);
  }
  closedir(dir);
  return sum ? sum : stat_cpu_ns(pid);
}

int lg_tcp_connect(uint16_t port) {
  struct sockaddr_in sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

static int epfd = -1;

static void arm_out(lg_conn *c, int on) {
  struct epoll_event ev;

  if (c->want_out == on) {
    return;
  }
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.ptr = c;
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = on;
}

static int queue_out(lg_conn *c, const uint8_t *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t live = c->out_len - c->out_off, cap = c->out_cap ? c->out_cap : 4096;
    uint8_t *grown;
    if (live + len > LG_OUT_CAP) {
      lg_fail("participant %d: the server stopped reading us", c->index);
      return -1;
    }
    memmove(c->out, c->out + c->out_off, live);
    c->out_len = live;
    c->out_off = 0;
    while (cap < live + len) {
      cap *= 2;
    }
    if (cap != c->out_cap) {
      grown = realloc(c->out, cap);
      if (!grown) {
        return -1;
      }
      c->out = grown;
      c->out_cap = cap;
    }
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
  return 0;
}

static int flush_out(lg_conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t w =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        arm_out(c, 1);
        return 0;
      }
      lg_fail("participant %d: send: %s", c->index, strerror(errno));
      return -1;
    }
    c->out_off += (size_t)w;
  }
  c->out_off = c->out_len = 0;
  arm_out(c, 0);
  return 0;
}

int lg_write(lg_conn *c, const uint8_t *a, size_t alen, const uint8_t *b,
             size_t blen) {
  struct iovec iov[2] = {{(void *)(uintptr_t)a, alen},
                         {(void *)(uintptr_t)b, blen}};
  struct msghdr mh;
  ssize_t w;
  size_t done;

  if (c->out_len > c->out_off) {
    /* Order: behind what is already waiting. */
    return queue_out(c, a, alen) || (blen && queue_out(c, b, blen)) ? -1 : 0;
  }
  memset(&mh, 0, sizeof(mh));
  mh.msg_iov = iov;
  mh.msg_iovlen = blen ? 2 : 1;
  do {
    w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
  } while (w < 0 && errno == EINTR);
  if (w < 0 && errno != EAGAIN) {
    lg_fail("participant %d: send: %s", c->index, strerror(errno));
    return -1;
  }
  done = w < 0 ? 0 : (size_t)w;
  if (done < alen) {
    if (queue_out(c, a + done, alen - done) ||
        (blen && queue_out(c, b, blen))) {
      return -1;
    }
  } else if (done < alen + blen) {
    if (queue_out(c, b + (done - alen), blen - (done - alen))) {
      return -1;
    }
  }
  if (c->out_len > c->out_off) {
    arm_out(c, 1);
  }
  return 0;
}

void lg_on_envelope(lg_conn *c, const uint8_t *frame, size_t len,
                    uint64_t now_ns) {
  static uint8_t payload[VC_ENVELOPE_MAX_LEN];
  vc_route route;
  vc_ssize n = vc_envelope_decode(&route, payload, sizeof(payload), frame, len);
  uint64_t sent_ns;

  if (n < 0) {
    lg_fail("participant %d: an envelope that does not decode", c->index);
    return;
  }
  if (route.kind == VC_STREAM_KIND_CONTROL) {
    st.control_in++;
    if (opt.transport == T_VC) {
      vc_ws_handle_control(c, payload, (size_t)n);
    }
    return;
  }
  if (n < 8) {
    return;
  }
  memcpy(&sent_ns, payload, sizeof(sent_ns));
  st.recv_all++;
  if (sent_ns >= st.t0 && sent_ns < st.t1) {
    uint64_t us = now_ns > sent_ns ? (now_ns - sent_ns) / 1000 : 0;
    st.recv_win++;
    hist[bin_of(us)]++;
    hist_n++;
  }
}

static int conn_send_media(lg_conn *c, uint64_t due_ns) {
  static uint8_t payload[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  static uint8_t frame[VC_ENVELOPE_MAX_LEN];
  vc_route route;
  vc_ssize f;
  uint64_t now = lg_now_ns();
  uint32_t index = (uint32_t)c->index;

  memset(&route, 0, sizeof(route));
  route.sender_session = c->session;
  route.kind = opt.kind;
  route.sequence = c->seq++;
  route.keyframe = c->keyframe_due ? 1 : 0;
  c->keyframe_due = 0;
  route.audio_level = 40;
  route.timestamp_us = now / 1000;
  memcpy(payload, &now, sizeof(now));
  memcpy(payload + 8, &index, sizeof(index));
  f = vc_envelope_encode(frame, sizeof(frame), &route, payload,
                         opt.payload_len);
  if (f < 0) {
    lg_fail("envelope encode: %d", (int)f);
    return -1;
  }
  st.sends++;
  st.late_sum_ns += now - due_ns;
  if (now - due_ns > st.late_max_ns) {
    st.late_max_ns = now - due_ns;
  }
  if (now >= st.t0 && now < st.t1) {
    st.sent_win++;
  }
  return opt.transport == T_VC ? vc_ws_send_frame(c, frame, (size_t)f)
                               : nats_publish(c, c->subject, frame, (size_t)f);
}

static int conn_read(lg_conn *c) {
  ssize_t r = recv(c->fd, c->in + c->in_len, LG_IN_CAP - c->in_len, 0);
  uint64_t now = lg_now_ns();

  if (r == 0) {
    lg_fail("participant %d: the server closed the connection", c->index);
    return -1;
  }
  if (r < 0) {
    if (errno == EAGAIN || errno == EINTR) {
      return 0;
    }
    lg_fail("participant %d: recv: %s", c->index, strerror(errno));
    return -1;
  }
  c->in_len += (size_t)r;
  if (opt.quickack) {
    /* Diagnosis only: ACK at once, so a sender held back by Nagle's
     * algorithm (waiting for our delayed ACK) is released. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
  }
  return opt.transport == T_VC ? vc_ws_consume(c, now) : nats_consume(c, now);
}

/* Waits for I/O, or until |wake_ns| at the latest, and handles what
 * came. epoll_pwait2 takes a timeout in ns: milliseconds are too coarse
 * for senders 100 us apart, and a timerfd costs a syscall more per wait.
 */
static void poll_once(uint64_t wake_ns) {
  struct epoll_event evs[256];
  struct timespec timeout = {0, 0};
  uint64_t now = lg_now_ns();
  int n, i;

  if (wake_ns > now) {
    timeout.tv_sec = (time_t)((wake_ns - now) / NS_PER_S);
    timeout.tv_nsec = (long)((wake_ns - now) % NS_PER_S);
  }
  n = epoll_pwait2(epfd, evs, 256, &timeout, NULL);
  for (i = 0; i < n; i++) {
    lg_conn *c = evs[i].data.ptr;
    if (evs[i].events & EPOLLOUT) {
      flush_out(c);
    }
    if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      conn_read(c);
    }
  }
}

static int all_joined(const lg_conn *cs, int n) {
  int i;

  for (i = 0; i < n; i++) {
    if (!cs[i].session) {
      return 0;
    }
  }
  return 1;
}

static void usage(void) {
  fprintf(stderr, "usage: relay_loadgen -t vc|nats -P port -n participants "
                  "-r packets_per_s\n       [-s payload_bytes] [-d seconds] "
                  "[-w warmup_seconds] [-p server_pid]\n       "
                  "[-k video|audio|data] [-m meeting] [-R rooms] [-q]\n");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  int ch;

  while ((ch = getopt(argc, argv, "t:P:n:r:s:d:w:p:k:m:R:q")) != -1) {
    switch (ch) {
    case 't':
      opt.transport = strcmp(optarg, "nats") == 0 ? T_NATS : T_VC;
      break;
    case 'P':
      opt.port = (uint16_t)atoi(optarg);
      break;
    case 'n':
      opt.n = atoi(optarg);
      break;
    case 'r':
      opt.rate = atof(optarg);
      break;
    case 's':
      opt.payload_len = (size_t)atol(optarg);
      break;
    case 'd':
      opt.secs = atof(optarg);
      break;
    case 'w':
      opt.warmup = atof(optarg);
      break;
    case 'p':
      opt.server_pid = atoi(optarg);
      break;
    case 'k':
      opt.kind = strcmp(optarg, "audio") == 0  ? VC_STREAM_KIND_AUDIO
                 : strcmp(optarg, "data") == 0 ? VC_STREAM_KIND_DATA
                                               : VC_STREAM_KIND_VIDEO;
      break;
    case 'q':
      opt.quickack = 1;
      break;
    case 'R':
      opt.rooms = atoi(optarg);
      break;
    case 'm':
      snprintf(opt.meeting, sizeof(opt.meeting), "%s", optarg);
      break;
    default:
      usage();
    }
  }
  if (!opt.port || opt.n < 2 || opt.rooms < 1 || opt.rooms > 1000 ||
      opt.rate <= 0 || opt.payload_len < 12 ||
      opt.payload_len > VC_ENVELOPE_MAX_PAYLOAD_LEN || opt.secs <= 0) {
    usage();
  }
  if (!opt.meeting[0]) {
    snprintf(opt.meeting, sizeof(opt.meeting), "relay%d", opt.n);
  }
}

/* What the window's figures are differences of. */
typedef struct sample {
  uint64_t wall_ns;
  uint64_t server_ns, server_ticks_ns, server_waited_ns;
  uint64_t own_ns, own_waited_ns;
} sample;

static void take_sample(sample *x, uint64_t now) {
  x->wall_ns = now;
  x->server_ns = cpu_ns(opt.server_pid, &x->server_waited_ns);
  x->server_ticks_ns = stat_cpu_ns(opt.server_pid);
  (void)cpu_ns(getpid(), &x->own_waited_ns);
  x->own_ns = own_cpu_ns();
}

static void report(const lg_conn *cs, const sample *a, const sample *b) {
  double secs = (double)(b->wall_ns - a->wall_ns) / 1e9;
  double server_s = (double)(b->server_ns - a->server_ns) / 1e9;
  uint64_t expected = st.sent_win * (uint64_t)(opt.n - 1), kf = 0;
  int i, total = opt.n * opt.rooms;

  for (i = 0; i < total; i++) {
    kf += cs[i].kf_requests;
  }
  printf(
      "transport=%s n=%d rooms=%d rate=%g payload=%zu secs=%.3f sent=%llu "
      "expected=%llu received=%llu lost=%lld fwd_per_s=%.0f "
      "server_cpu_s=%.3f stat_cpu_s=%.2f server_cpu_pct=%.1f "
      "fwd_per_cpu_s=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f "
      "p999_us=%.0f loadgen_cpu_pct=%.1f server_wait_pct=%.1f "
      "loadgen_wait_pct=%.1f late_mean_us=%.1f late_max_us=%.0f "
      "keyframe_requests=%llu\n",
      opt.transport == T_VC ? "vc" : "nats", opt.n, opt.rooms, opt.rate,
      opt.payload_len, secs, (unsigned long long)st.sent_win,
      (unsigned long long)expected, (unsigned long long)st.recv_win,
      (long long)expected - (long long)st.recv_win, (double)st.recv_win / secs,
      server_s, (double)(b->server_ticks_ns - a->server_ticks_ns) / 1e9,
      100.0 * server_s / secs,
      server_s > 0 ? (double)st.recv_win / server_s : 0.0, percentile_us(0.50),
      percentile_us(0.90), percentile_us(0.99), percentile_us(0.999),
      100.0 * (double)(b->own_ns - a->own_ns) / 1e9 / secs,
      100.0 * (double)(b->server_waited_ns - a->server_waited_ns) / 1e9 / secs,
      100.0 * (double)(b->own_waited_ns - a->own_waited_ns) / 1e9 / secs,
      st.sends ? (double)st.late_sum_ns / (double)st.sends / 1e3 : 0.0,
      (double)st.late_max_ns / 1e3, (unsigned long long)kf);
}

int main(int argc, char **argv) {
  lg_conn *cs;
  struct epoll_event ev;
  uint64_t interval_ns, start, deadline, now, end;
  uint64_t *hb_next;
  sample at_t0 = {0}, at_t1 = {0};
  int i, total, phase = 0;

  parse_args(argc, argv);
  total = opt.n * opt.rooms;
  cs = calloc((size_t)total, sizeof(*cs));
  hb_next = calloc((size_t)total, sizeof(*hb_next));
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (!cs || !hb_next || epfd < 0) {
    return 1;
  }
  for (i = 0; i < total; i++) {
    cs[i].fd = -1;
  }
  st.t0 = st.t1 = UINT64_MAX;

  /* Join everyone, one after the other, as a meeting fills. */
  for (i = 0; i < total && !st.failed; i++) {
    lg_conn *c = &cs[i];
    char meeting[96];
    c->index = i;
    /* One room keeps the plain name; side by side, each its own. */
    snprintf(meeting, sizeof(meeting), opt.rooms > 1 ? "%s-%d" : "%s",
             opt.meeting, i / opt.n);
    snprintf(c->subject, sizeof(c->subject), "room.%s", meeting);
    c->in = malloc(LG_IN_CAP);
    c->frame_buf = malloc(VC_ENVELOPE_MAX_LEN);
    c->fd = lg_tcp_connect(opt.port);
    if (!c->in || !c->frame_buf || c->fd < 0 ||
        vc_frame_reader_init(&c->frames, c->frame_buf, VC_ENVELOPE_MAX_LEN)) {
      lg_fail("participant %d: cannot connect to port %u", i, opt.port);
      break;
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    /* The handshakes read their first reply blocking: simpler, and the
     * join is not what is measured. */
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
    if ((opt.transport == T_VC ? vc_ws_start(c, meeting, i)
                               : nats_start(c, c->subject)) != 0) {
      lg_fail("participant %d: handshake failed", i);
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  }
  deadline = lg_now_ns() + 20 * NS_PER_S;
  while (!st.failed && !all_joined(cs, total)) {
    if (lg_now_ns() > deadline) {
      lg_fail("not everyone joined within 20 s");
      break;
    }
    poll_once(lg_now_ns() + 10 * NS_PER_MS);
  }
  if (!st.failed && opt.transport == T_VC &&
      (opt.kind == VC_STREAM_KIND_VIDEO || opt.kind == VC_STREAM_KIND_SCREEN)) {
    for (i = 0; i < total; i++) {
      vc_ws_subscribe(&cs[i], cs + i / opt.n * opt.n, opt.n, opt.kind);
    }
  }
  /* Let the subscriptions land and the join storm's messages drain. */
  deadline = lg_now_ns() + 300 * NS_PER_MS;
  while (!st.failed && (now = lg_now_ns()) < deadline) {
    poll_once(deadline);
  }

  interval_ns = (uint64_t)((double)NS_PER_S / opt.rate);
  start = lg_now_ns() + 10 * NS_PER_MS;
  for (i = 0; i < total; i++) {
    cs[i].next_send_ns = start + interval_ns * (uint64_t)i / (uint64_t)total;
    hb_next[i] = start + HEARTBEAT_NS * (uint64_t)i / (uint64_t)total;
  }
  st.t0 = start + (uint64_t)(opt.warmup * (double)NS_PER_S);
  st.t1 = st.t0 + (uint64_t)(opt.secs * (double)NS_PER_S);
  end = st.t1 + DRAIN_NS;
  while (!st.failed && (now = lg_now_ns()) < end) {
    uint64_t wake = end;
    if (phase == 0 && now >= st.t0) {
      take_sample(&at_t0, now);
      phase = 1;
    }
    if (phase == 1 && now >= st.t1) {
      take_sample(&at_t1, now);
      phase = 2;
    }
    for (i = 0; i < total && !st.failed; i++) {
      lg_conn *c = &cs[i];
      while (c->next_send_ns <= now && c->next_send_ns < st.t1) {
        if (conn_send_media(c, c->next_send_ns) != 0) {
          break;
        }
        c->next_send_ns += interval_ns;
      }
      if (c->next_send_ns < st.t1 && c->next_send_ns < wake) {
        wake = c->next_send_ns;
      }
      if (opt.transport == T_VC) {
        /* Media counts as liveness too, but slow senders in big rooms
         * would come close to the 5 s timeout without these. */
        if (hb_next[i] <= now) {
          vc_ws_heartbeat(c);
          hb_next[i] += HEARTBEAT_NS;
        }
        if (hb_next[i] < wake) {
          wake = hb_next[i];
        }
      }
    }
    if (phase == 0 && st.t0 < wake) {
      wake = st.t0;
    } else if (phase == 1 && st.t1 < wake) {
      wake = st.t1;
    }
    poll_once(wake);
  }
  if (st.failed) {
    printf("transport=%s n=%d failed=\"%s\"\n",
           opt.transport == T_VC ? "vc" : "nats", opt.n, fail_reason);
  } else {
    report(cs, &at_t0, &at_t1);
  }
  for (i = 0; i < total; i++) {
    if (cs[i].fd >= 0) {
      close(cs[i].fd);
    }
    free(cs[i].in);
    free(cs[i].out);
    free(cs[i].frame_buf);
  }
  free(cs);
  free(hb_next);
  close(epfd);
  return st.failed ? 1 : 0;
}

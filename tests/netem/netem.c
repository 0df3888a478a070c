/*
 * netem.c: the path model of netem.h. Each packet, in order: the
 * bottleneck queue (drop-tail when it holds more than queue_ms), random
 * and Gilbert-Elliott loss, then propagation delay with normal jitter,
 * held back while the link stalls in a spike, and kept in order unless the
 * profile allows reordering.
 */
#include "netem.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Issue 5's profiles. Burst10: 10 % of packets are lost in bursts of three
 * on average (stationary bad share enter/(enter+exit) = 0.1). */
static const netem_profile profiles[] = {
    {.name = "clean", .delay_ms = 20, .jitter_ms = 1},
    {.name = "jitter", .delay_ms = 30, .jitter_ms = 10, .reorder = 1},
    {.name = "loss2", .delay_ms = 20, .jitter_ms = 2, .loss = 0.02},
    {.name = "burst10",
     .delay_ms = 20,
     .jitter_ms = 2,
     .burst_enter = 0.037,
     .burst_exit = 0.333,
     .burst_loss = 1.0},
    {.name = "spikes",
     .delay_ms = 20,
     .jitter_ms = 2,
     .spike_every_ms = 5000,
     .spike_ms = 200},
    {.name = "drift_fast", .delay_ms = 20, .jitter_ms = 2, .drift_ppm = 1000},
    {.name = "drift_slow", .delay_ms = 20, .jitter_ms = 2, .drift_ppm = -1000},
    {.name = "capacity",
     .delay_ms = 20,
     .jitter_ms = 1,
     .queue_ms = 200,
     .rate = {{0, 2000}, {10000, 300}, {25000, 2000}},
     .n_rate = 3},
};

const netem_profile *netem_profiles(size_t *n) {
  *n = sizeof(profiles) / sizeof(profiles[0]);
  return profiles;
}

const netem_profile *netem_profile_named(const char *name) {
  size_t i, n;
  const netem_profile *all = netem_profiles(&n);
  for (i = 0; i < n; i++) {
    if (strcmp(all[i].name, name) == 0) {
      return &all[i];
    }
  }
  return NULL;
}

/* splitmix64: small, fast and the same on every platform. */
static uint64_t next_u64(netem *n) {
  uint64_t z = (n->rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double netem_unit(netem *n) {
  return (double)(next_u64(n) >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(netem *n) {
  double u1 = netem_unit(n), u2 = netem_unit(n);
  if (u1 < 1e-12) {
    u1 = 1e-12;
  }
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void netem_init(netem *n, const netem_profile *p, uint64_t seed) {
  memset(n, 0, sizeof(*n));
  n->p = *p;
  n->rng = seed * 0x2545f4914f6cdd1dULL + 1;
}

void netem_free(netem *n) {
  free(n->trace);
  n->trace = NULL;
  n->n_trace = 0;
}

uint32_t netem_rate_kbps(const netem *n, uint64_t ns) {
  uint64_t at_ms = n->started ? (ns - n->start_ns) / NETEM_MS : 0;
  uint32_t rate = 0;
  size_t i;
  for (i = 0; i < n->p.n_rate; i++) {
    if (n->p.rate[i].at_ms <= at_ms) {
      rate = n->p.rate[i].rate_kbps;
    }
  }
  return rate;
}

static int replay(netem *n, uint64_t send_ns, uint64_t *arrival_ns) {
  int32_t d = n->trace[n->trace_pos % n->n_trace];
  n->trace_pos++;
  if (d < 0) {
    n->n_lost++;
    return 0;
  }
  *arrival_ns = send_ns + (uint64_t)d * 1000;
  return 1;
}

static int lost_on_the_wire(netem *n) {
  if (n->p.burst_enter > 0) {
    double u = netem_unit(n);
    n->bad = n->bad ? u >= n->p.burst_exit : u < n->p.burst_enter;
    if (n->bad && netem_unit(n) < n->p.burst_loss) {
      return 1;
    }
  }
  return n->p.loss > 0 && netem_unit(n) < n->p.loss;
}

int netem_send(netem *n, uint64_t send_ns, size_t len, uint64_t *arrival_ns) {
  uint64_t leave_ns = send_ns, arrive;
  uint32_t rate;
  double jitter;

  if (!n->started) {
    n->started = 1;
    n->start_ns = send_ns;
    if (n->p.spike_every_ms) {
      n->next_spike_ns = send_ns + n->p.spike_every_ms * NETEM_MS;
    }
  }
  n->n_sent++;
  if (n->n_trace) {
    return replay(n, send_ns, arrival_ns);
  }

  rate = netem_rate_kbps(n, send_ns);
  if (rate) {
    uint64_t tx_ns = (uint64_t)len * 8 * 1000000 / rate;
    uint64_t queued_ns =
        n->link_free_ns > send_ns ? n->link_free_ns - send_ns : 0;
    if (n->p.queue_ms && queued_ns > n->p.queue_ms * NETEM_MS) {
      n->n_queue_drops++;
      n->n_lost++;
      return 0;
    }
    n->link_free_ns =
        (n->link_free_ns > send_ns ? n->link_free_ns : send_ns) + tx_ns;
    leave_ns = n->link_free_ns;
  }
  if (lost_on_the_wire(n)) {
    n->n_lost++;
    return 0;
  }

  jitter = n->p.jitter_ms ? normal(n) * n->p.jitter_ms : 0.0;
  if (jitter < -(double)n->p.delay_ms) {
    jitter = -(double)n->p.delay_ms;
  }
  /* delay + jitter >= 0 by the clamp above. */
  arrive = leave_ns + (uint64_t)llround(((double)n->p.delay_ms + jitter) * 1e6);

  /* A stall: the link holds what is sent during it and then lets it go. */
  if (n->p.spike_every_ms) {
    if (send_ns >= n->next_spike_ns) {
      double mean = (double)n->p.spike_every_ms;
      double gap = -log(1.0 - netem_unit(n)) * mean;
      n->spike_end_ns = n->next_spike_ns + n->p.spike_ms * NETEM_MS;
      n->next_spike_ns += (uint64_t)(gap * 1e6) + n->p.spike_ms * NETEM_MS;
    }
    if (send_ns < n->spike_end_ns &&
        arrive < n->spike_end_ns + n->p.delay_ms * NETEM_MS) {
      arrive = n->spike_end_ns + n->p.delay_ms * NETEM_MS;
    }
  }
  if (!n->p.reorder && arrive < n->last_arrival_ns) {
    arrive = n->last_arrival_ns;
  }
  if (arrive > n->last_arrival_ns) {
    n->last_arrival_ns = arrive;
  }
  *arrival_ns = arrive;
  return 1;
}

void netem_record(FILE *f, int delivered, uint64_t send_ns,
                  uint64_t arrival_ns) {
  if (delivered) {
    fprintf(f, "%llu\n", (unsigned long long)((arrival_ns - send_ns) / 1000));
  } else {
    fputs("lost\n", f);
  }
}

int netem_load_trace(netem *n, const char *path) {
  FILE *f = fopen(path, "r");
  char line[64];
  size_t cap = 1024;
  if (!f) {
    return -1;
  }
  free(n->trace);
  n->n_trace = 0;
  n->trace_pos = 0;
  n->trace = malloc(cap * sizeof(*n->trace));
  while (n->trace && fgets(line, sizeof(line), f)) {
    long v = strncmp(line, "lost", 4) == 0 ? -1 : strtol(line, NULL, 10);
    if (n->n_trace == NETEM_MAX_TRACE || v > INT32_MAX) {
      break;
    }
    if (n->n_trace == cap) {
      int32_t *more = realloc(n->trace, 2 * cap * sizeof(*more));
      if (!more) {
        break;
      }
      n->trace = more;
      cap *= 2;
    }
    n->trace[n->n_trace++] = (int32_t)v;
  }
  fclose(f);
  if (!n->trace || n->n_trace == 0) {
    free(n->trace);
    n->trace = NULL;
    n->n_trace = 0;
    errno = EINVAL;
    return -1;
  }
  return 0;
}

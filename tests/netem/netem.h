/*
 * netem.h: a deterministic model of one network path for media tests and
 * benchmarks, in the spirit of Linux netem: one-way delay with jitter,
 * random and bursty (Gilbert-Elliott) loss, delay spikes (the link stalls
 * and then releases its backlog at once), a bottleneck of scheduled
 * capacity with a drop-tail queue, and the sender's clock drift (which the
 * caller applies to its own media clock). A path can also replay a trace
 * of recorded one-way delays instead. Same seed, same arrivals.
 *
 * docs/MEDIA.md lists the named profiles and why each is shaped so.
 */
#ifndef VC_TESTS_NETEM_H
#define VC_TESTS_NETEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NETEM_MS ((uint64_t)1000000)
#define NETEM_MAX_RATE_STEPS 4
#define NETEM_MAX_TRACE 200000

typedef struct netem_rate_step {
  uint64_t at_ms;     /* from the path's first packet */
  uint32_t rate_kbps; /* 0: unlimited */
} netem_rate_step;

typedef struct netem_profile {
  const char *name;
  uint32_t delay_ms;       /* mean one-way delay */
  uint32_t jitter_ms;      /* standard deviation around it (normal) */
  int reorder;             /* 0: a packet never overtakes an earlier one */
  double loss;             /* independent loss per packet */
  double burst_enter;      /* Gilbert-Elliott: good -> bad per packet */
  double burst_exit;       /* bad -> good per packet */
  double burst_loss;       /* loss while bad */
  uint32_t spike_every_ms; /* mean time between stalls; 0: none */
  uint32_t spike_ms;       /* how long the link stalls */
  double drift_ppm;        /* the sender's clock runs this much fast */
  uint32_t queue_ms;       /* drop-tail limit of the bottleneck queue */
  netem_rate_step rate[NETEM_MAX_RATE_STEPS]; /* by at_ms; rate 0 ends */
  size_t n_rate;
} netem_profile;

/* The profiles of issue 5, by name: clean, jitter, loss2, burst10, spikes,
 * drift, capacity. NULL for an unknown name. */
const netem_profile *netem_profile_named(const char *name);
/* Every profile, in a fixed order, and how many. */
const netem_profile *netem_profiles(size_t *n);

typedef struct netem {
  netem_profile p;
  uint64_t rng;
  int bad;           /* Gilbert-Elliott state */
  uint64_t start_ns; /* first packet's send time */
  int started;
  uint64_t link_free_ns; /* when the bottleneck finishes its queue */
  uint64_t last_arrival_ns;
  uint64_t next_spike_ns;
  uint64_t spike_end_ns;
  /* Trace replay: one-way delay per packet in us, -1 for lost. */
  int32_t *trace;
  size_t n_trace, trace_pos;
  /* Counters. */
  uint64_t n_sent, n_lost, n_queue_drops;
} netem;

void netem_init(netem *n, const netem_profile *p, uint64_t seed);
void netem_free(netem *n);

/*
 * A packet of |len| bytes leaves the sender at |send_ns|: returns 1 and
 * sets |*arrival_ns| when it arrives, 0 when it is lost. Calls must come
 * in send order.
 */
int netem_send(netem *n, uint64_t send_ns, size_t len, uint64_t *arrival_ns);

/* The capacity in kbps at |ns| (0: unlimited). */
uint32_t netem_rate_kbps(const netem *n, uint64_t ns);

/*
 * Trace files: one line per packet, "<delay_us>" or "lost". netem_record
 * appends the fate of a packet; netem_load_trace makes |n| replay a file
 * (its profile no longer matters). Returns 0, or -1 with errno set.
 */
void netem_record(FILE *f, int delivered, uint64_t send_ns,
                  uint64_t arrival_ns);
int netem_load_trace(netem *n, const char *path);

/* Uniform in [0, 1) from the path's generator (for callers' own coins). */
double netem_unit(netem *n);

#endif /* VC_TESTS_NETEM_H */

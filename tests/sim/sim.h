/*
 * sim.h: a deterministic simulation of one meeting: N client cores
 * (src/meeting) and the server's room logic (server-stub/room.c) in one
 * process, on a fake clock, over a scripted network (delay, jitter, loss,
 * loss bursts, reordering and duplicates for datagrams, partitions, a
 * server restart). docs/SIMULATION.md explains the model; scenarios.c
 * holds the scenarios and what they assert.
 */
#ifndef VC_TESTS_SIM_H
#define VC_TESTS_SIM_H

#include <stdio.h>

#include <vc/meeting.h>

#include "room.h"

#define SIM_MS ((vc_tstamp)1000000)
#define SIM_S (1000 * SIM_MS)
#define SIM_MAX_CLIENTS 1000
#define SIM_MAX_CHATS 64 /* per sender */

/* Network behaviour of one client's path to the server. */
typedef struct sim_path {
  uint32_t delay_ms;  /* one way */
  uint32_t jitter_ms; /* uniform 0..jitter added per packet */
  double loss;        /* per packet; a reliable stream pays a resend */
  double burst;       /* chance a loss starts a burst of 5 more */
  double duplicate;   /* datagrams only */
} sim_path;

typedef struct sim_chat_rx {
  int sender; /* client index */
  int n;      /* the sender's message number */
} sim_chat_rx;

typedef struct sim sim;

typedef struct sim_client {
  sim *owner;
  int idx;
  vc_meeting *m;
  int alive;  /* the process runs (crashes end it) */
  int joined; /* has been in the meeting (JOINED seen, not ENDED) */
  int ended;
  vc_conn_id conn;   /* current transport, 0 when none */
  int conn_up;       /* established */
  uint32_t loudness; /* audio level sent every 20 ms; 0: silent (no packets) */
  vc_tstamp next_audio;
  uint32_t audio_seq;
  uint64_t media_sent, media_received, media_garbled;
  sim_path path;
  int partitioned;
  int burst_left;
  char user[16];
  /* What the user saw. */
  sim_chat_rx chats[2048];
  size_t n_chats;
  int chats_sent;
  int chats_acked;
  uint32_t speaker;
  uint32_t session_seen;        /* own session id at the last (re)join */
  int flicker[SIM_MAX_CLIENTS]; /* non-snapshot LEFT/JOINED about others */
  int left_seen[SIM_MAX_CLIENTS];
  int unverified_seen[SIM_MAX_CLIENTS]; /* passphrase check failed for */
  const char *passphrase;               /* with E2EE; NULL: none */
  int no_e2ee;           /* joins without E2EE even when the others have it */
  uint64_t markers_sent; /* frames it sent with the marker in the clear */
  int errors;
  int reconnects;
  int resumes;
} sim_client;

/* A scripted step: runs at its time with |arg|. */
typedef void (*sim_action_fn)(sim *s, int arg);

sim *sim_new(uint64_t seed, int n_clients, const sim_path *path);
void sim_del(sim *s);

vc_tstamp sim_now(const sim *s);
sim_client *sim_client_at(sim *s, int idx);
int sim_n_clients(const sim *s);
vc_room *sim_room(sim *s); /* NULL while the server is down */

void sim_at(sim *s, vc_tstamp at, sim_action_fn fn, int arg);
void sim_run_until(sim *s, vc_tstamp t);

/* Actions (usable directly or through sim_at). */
void sim_join(sim *s, int idx);
void sim_leave(sim *s, int idx);
void sim_crash(sim *s, int idx);          /* the process dies, nobody is told */
void sim_drop_transport(sim *s, int idx); /* the connection breaks */
void sim_partition(sim *s, int idx);
void sim_heal(sim *s, int idx);
void sim_server_crash(sim *s, uint32_t down_ms);
void sim_server_restart(sim *s, uint32_t down_ms); /* graceful */
void sim_chat(sim *s, int idx);
void sim_talk(sim *s, int idx, uint32_t loudness);

/*
 * Checks every live joined client's roster against the truth (every other
 * live joined client, by user name, with the session ids the room holds).
 * Returns the number of mismatches and prints each to |out|.
 */
int sim_check_rosters(sim *s, FILE *out);

/* FNV-1a over every event every client saw, with its time. */
uint64_t sim_trace_hash(const sim *s);
uint64_t sim_events(const sim *s);

/* Clients joining from now on encrypt end to end. */
void sim_set_e2ee(sim *s, int on);
/* The person switches end-to-end encryption of what they send off (1)
 * or back on (0), as the page's switch does. */
void sim_set_e2ee_off(sim *s, int idx, int off);
/* Frames on the wire (either direction) holding a chat's plaintext. */
uint64_t sim_markers_seen(const sim *s);
/* The room's counters (room.h), of the room open now and earlier ones. */
void sim_room_stats(const sim *s, vc_room_stats *st);

#endif /* VC_TESTS_SIM_H */

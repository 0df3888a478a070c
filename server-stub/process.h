/*
 * process.h: what vc-server knows of its own process: how many file
 * descriptors it may hold (raised to the hard limit at start), how much
 * memory is resident, and giving freed memory back to the system.
 */
#ifndef VC_SERVER_PROCESS_H
#define VC_SERVER_PROCESS_H

#include <stdint.h>

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit (capped at 1 << 20,
 * since an unlimited hard limit cannot be a soft one). Returns the soft
 * limit in force afterwards; |*before| gets the one found.
 */
uint64_t vc_process_raise_fd_limit(uint64_t *before);

/* Resident set size in bytes, from /proc/self/statm; 0 when unknown. */
uint64_t vc_process_resident_bytes(void);

/*
 * Returns freed heap memory to the system (malloc_trim). glibc keeps what
 * a load freed: after 2,000 connections an idle server held 780 MB
 * (issue 20). Costs a walk of the heap's free lists: call it when
 * connections have gone, not on every close.
 */
void vc_process_trim(void);

#endif /* VC_SERVER_PROCESS_H */

/*
 * process.c: see process.h. Linux and glibc: /proc/self/statm and
 * malloc_trim(3).
 */
#define _GNU_SOURCE
#include "process.h"

#include <malloc.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#define FD_LIMIT_CAP ((rlim_t)1 << 20)

uint64_t vc_process_raise_fd_limit(uint64_t *before) {
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    *before = 0;
    return 0;
  }
  *before = (uint64_t)rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < FD_LIMIT_CAP) {
    struct rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max < FD_LIMIT_CAP ? rl.rlim_max : FD_LIMIT_CAP;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      rl = raised;
    }
  }
  return (uint64_t)rl.rlim_cur;
}

uint64_t vc_process_resident_bytes(void) {
  unsigned long long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  int n;

  if (!f) {
    return 0;
  }
  n = fscanf(f, "%llu %llu", &size, &resident);
  fclose(f);
  if (n != 2) {
    return 0;
  }
  return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void vc_process_trim(void) {
  (void)malloc_trim(0);
}

/*
 * log.c: the server's log lines. Time first (ISO 8601, UTC, milliseconds)
 * so lines sort, then the level, then the event.
 */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static vc_log_level current_level = VC_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

int vc_log_set_level_name(const char *name) {
  size_t i;

  for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
    if (strcmp(name, level_names[i]) == 0) {
      current_level = (vc_log_level)i;
      return 0;
    }
  }
  return -1;
}

void vc_log(vc_log_level level, const char *fmt, ...) {
  struct timeval tv;
  struct tm tm;
  char when[32];
  va_list ap;

  if (level > current_level) {
    return;
  }
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03dZ %s ", when, (int)(tv.tv_usec / 1000),
          level_names[level]);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

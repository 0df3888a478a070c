/*
 * log.h: one line per event on stderr, "<UTC time> <level> <message>".
 */
#ifndef VC_SERVER_LOG_H
#define VC_SERVER_LOG_H

typedef enum vc_log_level {
  VC_LOG_ERROR = 0,
  VC_LOG_WARN = 1,
  VC_LOG_INFO = 2,
  VC_LOG_DEBUG = 3
} vc_log_level;

/* Returns 0 and sets the level named |name|, or -1 for an unknown name. */
int vc_log_set_level_name(const char *name);

void vc_log(vc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* VC_SERVER_LOG_H */

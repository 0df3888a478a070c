/*
 * static_files.h: files under the web root: content types, safe opening
 * (never outside the root, not even through a symlink) and validators.
 */
#ifndef VC_SERVER_STATIC_FILES_H
#define VC_SERVER_STATIC_FILES_H

#include <stddef.h>
#include <stdint.h>

/* A file larger than this is refused (it would not be ours to serve). */
#define VC_STATIC_MAX_FILE_LEN ((uint64_t)64 << 20)

typedef struct vc_web_root {
  char real[4096]; /* realpath of the root, without a trailing '/' */
} vc_web_root;

typedef struct vc_static_file {
  int fd;
  uint64_t size;
  char etag[64]; /* quoted strong validator */
  const char *content_type;
} vc_static_file;

/* Returns 0, or -1 with errno when |dir| is not a usable directory. */
int vc_web_root_init(vc_web_root *root, const char *dir);

/* The Content-Type for |path|, from its extension. Static text. */
const char *vc_content_type(const char *path);

/*
 * Opens |relpath| (no "." or ".." segments; see routes.c) under |root|.
 * Returns 0, or -404 (missing, not a regular file, or resolving outside
 * the root) or -500 (too large or unreadable). The caller closes f->fd.
 */
int vc_static_open(vc_static_file *f, const vc_web_root *root,
                   const char *relpath);

#endif /* VC_SERVER_STATIC_FILES_H */

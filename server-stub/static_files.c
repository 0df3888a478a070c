/*
 * static_files.c: serving the built web/ directory. The route already
 * refused "." and ".." segments; realpath() here also catches symlinks
 * that point out of the root, and the file is opened by the resolved
 * name so nothing can swap it between the check and the open.
 */
#define _GNU_SOURCE
#include "static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int vc_web_root_init(vc_web_root *root, const char *dir) {
  struct stat st;

  if (!realpath(dir, root->real)) {
    return -1;
  }
  if (stat(root->real, &st) != 0) {
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

static const struct {
  const char *ext;
  const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".wasm", "application/wasm"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".y4m", "video/x-yuv4mpeg"},
    {".wav", "audio/wav"},
};

const char *vc_content_type(const char *path) {
  const char *dot = strrchr(path, '.');
  size_t i;

  if (dot && !strchr(dot, '/')) {
    for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
      if (strcmp(dot, content_types[i].ext) == 0) {
        return content_types[i].type;
      }
    }
  }
  return "application/octet-stream";
}

int vc_static_open(vc_static_file *f, const vc_web_root *root,
                   const char *relpath) {
  char joined[PATH_MAX], resolved[PATH_MAX];
  size_t rootlen = strlen(root->real);
  struct stat st;
  int fd;

  memset(f, 0, sizeof(*f));
  f->fd = -1;
  if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", root->real, relpath) >=
      sizeof(joined)) {
    return -404;
  }
  if (!realpath(joined, resolved)) {
    return -404;
  }
  if (strncmp(resolved, root->real, rootlen) != 0 || resolved[rootlen] != '/') {
    vc_log(VC_LOG_WARN, "static: %s resolves outside the web root", relpath);
    return -404;
  }
  fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return errno == ENOENT ? -404 : -500;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -404;
  }
  if ((uint64_t)st.st_size > VC_STATIC_MAX_FILE_LEN) {
    vc_log(VC_LOG_ERROR, "static: %s is %lld bytes, over the limit", relpath,
           (long long)st.st_size);
    close(fd);
    return -500;
  }
  f->fd = fd;
  f->size = (uint64_t)st.st_size;
  f->content_type = vc_content_type(resolved);
  snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx-%llx\"",
           (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
           (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
               (unsigned long long)st.st_mtim.tv_nsec);
  return 0;
}

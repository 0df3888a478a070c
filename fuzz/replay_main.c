/*
 * replay_main.c: runs a fuzz target's LLVMFuzzerTestOneInput over every file
 * in a corpus directory, so ctest replays the seed corpus (and every crash
 * reproducer saved there) on builds without libFuzzer.
 *
 *   replay_<target> <dir-or-file>...
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not meaningful seeds; refuse them loudly. */
#define MAX_INPUT_LEN (4u << 20)

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  size_t n;

  if (!f) {
    perror(path);
    return -1;
  }
  buf = malloc(MAX_INPUT_LEN);
  if (!buf) {
    fclose(f);
    return -1;
  }
  n = fread(buf, 1, MAX_INPUT_LEN, f);
  if (!feof(f)) {
    fprintf(stderr, "%s: larger than %u bytes\n", path, MAX_INPUT_LEN);
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

static int replay_path(const char *path, int *count) {
  struct stat st;
  DIR *dir;
  struct dirent *ent;
  char child[4096];
  int rv = 0;

  if (stat(path, &st) != 0) {
    perror(path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return replay_file(path);
  }
  dir = opendir(path);
  if (!dir) {
    perror(path);
    return -1;
  }
  while ((ent = readdir(dir)) != NULL) {
    if (ent->d_name[0] == '.') {
      continue;
    }
    snprintf(child, sizeof(child), "%s/%s", path, ent->d_name);
    if (replay_path(child, count) != 0) {
      rv = -1;
    }
  }
  closedir(dir);
  return rv;
}

int main(int argc, char **argv) {
  int i, count = 0, rv = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s <corpus-dir-or-file>...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; i++) {
    if (replay_path(argv[i], &count) != 0) {
      rv = 1;
    }
  }
  if (count == 0) {
    fprintf(stderr, "no corpus inputs found\n");
    return 1;
  }
  printf("replayed %d inputs\n", count);
  return rv;
}

// Hostile: takes all the memory it can get and keeps it.
//
//   memory_hog eat K [MAX]
//                      grows its linear memory 1 MiB at a time (touching every page) until the
//                      kernel refuses (or MAX MiB), writes "N MiB" into /tmp/hog.K, then sleeps
//                      until it is ended
//   memory_hog wait N  waits until /tmp/hog.1 ... /tmp/hog.N exist (every hog has eaten), then
//                      exits 0
//
// The kernel keeps a reserve that only the first program (the shell) and its small tools may
// use, so however many hogs run, the shell can still list programs and end them.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int exists(const char* path) { return access(path, F_OK) == 0; }

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: memory_hog eat K [MAX] | wait N\n");
    return 2;
  }
  int k = atoi(argv[2]);
  char path[32];
  if (strcmp(argv[1], "wait") == 0) {
    for (int i = 1; i <= k; ++i) {
      snprintf(path, sizeof path, "/tmp/hog.%d", i);
      while (!exists(path)) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
    }
    return 0;
  }
  // The blocks are chained and the chain kept, so that the compiler cannot drop them.
  static void* volatile chain = NULL;
  unsigned mib = 0, max = argc > 3 ? (unsigned)atoi(argv[3]) : ~0u;
  while (mib < max) {
    char* block = malloc(1 << 20);
    if (block == NULL) break;
    memset(block, 0x5a, 1 << 20);
    *(void**)block = chain;
    chain = block;
    ++mib;
  }
  // Written whole under another name, then renamed: the waiter never sees half of it.
  char part[40], line[32];
  snprintf(part, sizeof part, "/tmp/hog.%d.part", k);
  snprintf(path, sizeof path, "/tmp/hog.%d", k);
  int fd = open(part, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd >= 0) {
    int n = snprintf(line, sizeof line, "%u MiB\n", mib);
    if (write(fd, line, (size_t)n) != n) mib = 0;
    close(fd);
    rename(part, path);
  }
  for (;;) sleep(3600);
}

// sleep MS: waits MS milliseconds (nanosleep, which wasi-libc turns into poll_oneoff).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sleep MILLISECONDS\n");
    return 2;
  }
  char* end;
  errno = 0;
  unsigned long long ms = strtoull(argv[1], &end, 10);
  if (*argv[1] == '\0' || *argv[1] == '-' || *end != '\0' || errno != 0) {
    fprintf(stderr, "sleep: '%s' is not a number of milliseconds\n", argv[1]);
    return 2;
  }
  struct timespec left = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0) {
    if (errno != EINTR) {
      fprintf(stderr, "sleep: %s\n", strerror(errno));
      return 1;
    }
  }
  return 0;
}

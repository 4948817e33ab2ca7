// spin [-p N]: computes forever (a 64-bit linear congruential generator, whose high bits feed
// back through a rotation so that no compiler can jump ahead in closed form); with -p N prints a
// counter every N million iterations. For watching the scheduler share the harts; end it with
// kill or Ctrl-C.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The state leaves every block of work through this, so the compiler cannot drop the loop.
static volatile uint64_t g_sink;

int main(int argc, char** argv) {
  unsigned long every = 0;  // millions of iterations between reports; 0: never report
  if (argc == 3 && strcmp(argv[1], "-p") == 0) {
    char* end;
    errno = 0;
    every = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *argv[2] == '-' || *end != '\0' || errno != 0 || every == 0) {
      fprintf(stderr, "spin: '%s' is not a positive number\n", argv[2]);
      return 2;
    }
  } else if (argc != 1) {
    fprintf(stderr, "usage: spin [-p MILLIONS]\n");
    return 2;
  }
  uint64_t x = 88172645463325252ull;
  for (unsigned long millions = 1;; ++millions) {
    for (int i = 0; i < 1000000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      x ^= x >> 29;
    }
    g_sink = x;
    if (every != 0 && millions % every == 0) {
      printf("spin: %lu million iterations (state %016llx)\n", millions, (unsigned long long)x);
      fflush(stdout);
    }
  }
}

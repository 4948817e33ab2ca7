// primes [N]: counts the primes up to N (default 1000000) with a sieve of Eratosthenes and prints
// the count and the time it took (CLOCK_MONOTONIC).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  unsigned long n = 1000000;
  if (argc > 2) {
    fprintf(stderr, "usage: primes [N]\n");
    return 2;
  }
  if (argc == 2) {
    char* end;
    errno = 0;
    n = strtoul(argv[1], &end, 10);
    if (*argv[1] == '\0' || *argv[1] == '-' || *end != '\0' || errno != 0 || n > UINT32_MAX) {
      fprintf(stderr, "primes: '%s' is not a number up to %u\n", argv[1], UINT32_MAX);
      return 2;
    }
  }
  double start = now_ms();
  // composite[i] says whether i is known to be composite; one byte per number up to n.
  unsigned char* composite = calloc(n + 1, 1);
  if (composite == NULL) {
    fprintf(stderr, "primes: no memory for %lu numbers\n", n + 1);
    return 1;
  }
  unsigned long count = 0;
  for (unsigned long i = 2; i <= n; ++i) {
    if (composite[i]) continue;
    ++count;
    for (unsigned long long j = (unsigned long long)i * i; j <= n; j += i) composite[j] = 1;
  }
  free(composite);
  double elapsed = now_ms() - start;
  printf("primes up to %lu: %lu (%.1f ms)\n", n, count, elapsed);
  return 0;
}

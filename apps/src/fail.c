// fail [STATUS | trap | div0]: ends badly on purpose, for testing how failures are reported.
//   fail          exits with status 3
//   fail N        exits with status N (0..255)
//   fail trap     executes an `unreachable` instruction (__builtin_trap)
//   fail div0     divides an integer by zero (a WebAssembly trap)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 2) return 3;
  if (strcmp(argv[1], "trap") == 0) __builtin_trap();
  if (strcmp(argv[1], "div0") == 0) {
    // Both operands volatile: the compiler can neither fold the division nor turn 1 / x into a
    // comparison, so an i32.div_s meets a zero divisor at run time.
    volatile int one = 1, zero = 0;
    int quotient = one / zero;
    printf("fail: 1 / 0 = %d\n", quotient);
    return 1;
  }
  char* end;
  long status = strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || status < 0 || status > 255) {
    fprintf(stderr, "fail: '%s' is not a status (0..255), trap or div0\n", argv[1]);
    return 2;
  }
  return (int)status;
}

// Hosted builds: a failed MUST() reports where and aborts the process (the kernel panics instead).
#include <support/result.h>

#include <cstdio>
#include <cstdlib>

[[noreturn]] void support_must_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "MUST(%s) failed at %s:%d\n", expr, file, line);
  std::abort();
}

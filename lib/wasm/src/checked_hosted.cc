// Checked builds (WARDEN_WASM_CHECKED) on the host: a type confusion is printed and the process
// aborts, so that a test, the spec runner or a fuzzer stops at the instruction that found it.
#include "code.h"

#if WARDEN_WASM_CHECKED
#include <cstdio>
#include <cstdlib>

namespace wasm {

[[noreturn]] void checked_failed(const char* message) {
  std::fprintf(stderr, "%s\n", message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace wasm
#endif

// PANIC("reason {}", x): print the reason, the CPU, the trap frame (when the panic comes from a
// trap), a symbolized backtrace; stop the other harts; then exit QEMU with status 2 through the
// test device (or halt, with the boot argument `onpanic=halt`). Never returns.
#pragma once

#include <arch/trap_frame.h>
#include <support/format.h>

namespace kpanic {

// Formats the reason; the caller then calls finish().
void begin(const char* file, int line);
support::FormatSink& reason_sink();
[[noreturn]] void finish(const arch::TrapFrame* frame);

// Prints the frame-pointer backtrace starting at (pc, fp).
void print_backtrace(u64 pc, u64 fp);

// True once any CPU has begun to panic.
bool in_progress();

}  // namespace kpanic

#define PANIC(...)                                           \
  do {                                                       \
    ::kpanic::begin(__FILE__, __LINE__);                     \
    ::support::format(::kpanic::reason_sink(), __VA_ARGS__); \
    ::kpanic::finish(nullptr);                               \
  } while (0)

#define ASSERT(cond)                        \
  do {                                      \
    if (!(cond)) [[unlikely]]               \
      PANIC("assertion failed: {}", #cond); \
  } while (0)

#include <kernel/console/log.h>
#include <kernel/diag/panic.h>
#include <kernel/diag/selftest.h>

namespace selftest {

// Three real frames on the way to the panic: the backtrace must name each of them.
[[gnu::noinline]] void panic_chain_third(int depth) {
  PANIC("deliberate panic (selftest) at depth {}", depth);
}
[[gnu::noinline]] void panic_chain_second(int depth) {
  panic_chain_third(depth + 1);
  __asm__ volatile("");  // keep the call from becoming a tail call
}
[[gnu::noinline]] void panic_chain_first(int depth) {
  panic_chain_second(depth + 1);
  __asm__ volatile("");
}

[[gnu::noinline]] void fault_chain(volatile u64* address) {
  *address = 1;  // unmapped: an unhandled store page fault in ordinary code
  __asm__ volatile("");
}

// Deep enough to run through any kernel stack: each level keeps 512 bytes live.
[[gnu::noinline]] u64 recurse_forever(u64 depth) {
  volatile u8 frame[512];
  frame[depth % sizeof frame] = static_cast<u8>(depth);
  return recurse_forever(depth + 1) + frame[0];
}

extern "C" const char _rodata_start[];

void run(support::StringView what) {
  if (what == "panic") {
    panic_chain_first(1);
  } else if (what == "fault") {
    fault_chain(reinterpret_cast<volatile u64*>(0xffff900000000000ull));
  } else if (what == "stackoverflow") {
    recurse_forever(0);
  } else if (what == "rofault") {
    // Ordinary kernel code writing to read-only memory: no fixup applies, so this panics.
    *const_cast<volatile char*>(_rodata_start) = 1;
  } else {
    LOG_WARN("unknown selftest '{}' (panic, fault, stackoverflow, rofault)", what);
  }
}

}  // namespace selftest

// The Supervisor Binary Interface calls Warden uses (OpenSBI provides them).
#pragma once

#include <support/types.h>

namespace arch::sbi {

struct Ret {
  i64 error;
  i64 value;
};

Ret call(u64 extension, u64 function, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0);

// Legacy console putchar: works before any device is known, even with a corrupt device tree.
void legacy_putchar(char c);
// Hart state management: status of `hart_id` (0 started, 1 stopped, 2 start pending, ...).
Ret hart_status(u64 hart_id);
// System reset (shutdown). QEMU exits 0 whatever the reason: tests use the sifive,test device.
[[noreturn]] void shutdown();

}  // namespace arch::sbi

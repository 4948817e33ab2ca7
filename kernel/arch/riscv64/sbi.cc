#include <arch/cpu.h>
#include <arch/sbi.h>

namespace arch::sbi {

namespace {
constexpr u64 kLegacyPutchar = 0x01;
constexpr u64 kHsm = 0x48534D;      // "HSM"
constexpr u64 kReset = 0x53525354;  // "SRST"
}  // namespace

Ret call(u64 extension, u64 function, u64 a0, u64 a1, u64 a2) {
  register u64 r_a0 __asm__("a0") = a0;
  register u64 r_a1 __asm__("a1") = a1;
  register u64 r_a2 __asm__("a2") = a2;
  register u64 r_a6 __asm__("a6") = function;
  register u64 r_a7 __asm__("a7") = extension;
  __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
  return {static_cast<i64>(r_a0), static_cast<i64>(r_a1)};
}

void legacy_putchar(char c) { call(kLegacyPutchar, 0, static_cast<u8>(c)); }

Ret hart_status(u64 hart_id) { return call(kHsm, 2, hart_id); }

void shutdown() {
  call(kReset, 0, 0, 0);  // shutdown, no reason
  halt_forever();
}

}  // namespace arch::sbi

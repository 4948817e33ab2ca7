#include <arch/cpu.h>
#include <arch/sbi.h>

namespace arch::sbi {

namespace {

struct Ret {
  i64 error;
  i64 value;
};

Ret call(u64 extension, u64 function, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0) {
  register u64 r_a0 __asm__("a0") = a0;
  register u64 r_a1 __asm__("a1") = a1;
  register u64 r_a2 __asm__("a2") = a2;
  register u64 r_a6 __asm__("a6") = function;
  register u64 r_a7 __asm__("a7") = extension;
  __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
  return {static_cast<i64>(r_a0), static_cast<i64>(r_a1)};
}

support::Result<void, Error> status_of(Ret r) {
  if (r.error != 0) return static_cast<Error>(r.error);
  return {};
}

}  // namespace

const char* error_name(Error error) {
  switch (error) {
    case Error::Failed: return "failed";
    case Error::NotSupported: return "not supported";
    case Error::InvalidParam: return "invalid parameter";
    case Error::Denied: return "denied";
    case Error::InvalidAddress: return "invalid address";
    case Error::AlreadyAvailable: return "already available";
    case Error::AlreadyStarted: return "already started";
    case Error::AlreadyStopped: return "already stopped";
    case Error::NoSharedMemory: return "no shared memory";
  }
  return "unknown SBI error";
}

void legacy_putchar(char c) { call(ARCH_SBI_EXT_LEGACY_PUTCHAR, 0, static_cast<u8>(c)); }

void set_timer(u64 ticks) { call(ARCH_SBI_EXT_TIME, 0, ticks); }

// hart_mask relative to hart_mask_base: one bit, the target.
support::Result<void, Error> send_ipi(u64 hart_id) {
  return status_of(call(ARCH_SBI_EXT_IPI, 0, 1, hart_id));
}

support::Result<void, Error> hart_start(u64 hart_id, u64 start_phys, u64 opaque) {
  return status_of(call(ARCH_SBI_EXT_HSM, ARCH_SBI_HSM_HART_START, hart_id, start_phys, opaque));
}

support::Result<HartState, Error> hart_status(u64 hart_id) {
  Ret r = call(ARCH_SBI_EXT_HSM, ARCH_SBI_HSM_HART_STATUS, hart_id);
  if (r.error != 0) return static_cast<Error>(r.error);
  return static_cast<HartState>(r.value);
}

void shutdown() {
  call(ARCH_SBI_EXT_SRST, 0, 0, 0);  // shutdown, no reason
  halt_forever();
}

}  // namespace arch::sbi

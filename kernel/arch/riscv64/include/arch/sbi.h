// The Supervisor Binary Interface calls Warden uses (OpenSBI provides them): one typed wrapper per
// call, grouped by extension, each returning the SBI error as a value.
#pragma once

// Extension ids (also for entry.S, which starts and stops harts before any C++ runs).
#define ARCH_SBI_EXT_LEGACY_PUTCHAR 0x01
#define ARCH_SBI_EXT_TIME 0x54494D45  // "TIME"
#define ARCH_SBI_EXT_IPI 0x735049     // "sPI"
#define ARCH_SBI_EXT_HSM 0x48534D     // "HSM"
#define ARCH_SBI_EXT_SRST 0x53525354  // "SRST"
#define ARCH_SBI_HSM_HART_START 0
#define ARCH_SBI_HSM_HART_STOP 1
#define ARCH_SBI_HSM_HART_STATUS 2

#ifndef __ASSEMBLER__
#include <support/result.h>
#include <support/types.h>

namespace arch::sbi {

// The standard SBI error codes.
enum class Error : i64 {
  Failed = -1,
  NotSupported = -2,
  InvalidParam = -3,
  Denied = -4,
  InvalidAddress = -5,
  AlreadyAvailable = -6,
  AlreadyStarted = -7,
  AlreadyStopped = -8,
  NoSharedMemory = -9,
};
const char* error_name(Error error);

// Legacy console putchar: works before any device is known, even with a corrupt device tree.
void legacy_putchar(char c);

// TIME: the hart's next timer interrupt at `ticks` of the time counter (clears a pending one).
void set_timer(u64 ticks);

// IPI: a supervisor software interrupt to hart `hart_id`.
support::Result<void, Error> send_ipi(u64 hart_id);

// HSM (hart state management).
enum class HartState : i64 {
  Started = 0,
  Stopped = 1,
  StartPending = 2,
  StopPending = 3,
  Suspended = 4,
  SuspendPending = 5,
  ResumePending = 6,
};
// Starts `hart_id` at physical `start_phys` with paging off, a0 = its hart id, a1 = `opaque`.
support::Result<void, Error> hart_start(u64 hart_id, u64 start_phys, u64 opaque);
support::Result<HartState, Error> hart_status(u64 hart_id);

// SRST: system reset (shutdown). QEMU exits 0 whatever the reason: tests use the sifive,test
// device.
[[noreturn]] void shutdown();

}  // namespace arch::sbi
#endif

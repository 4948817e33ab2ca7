// The per-CPU block, reached through `tp`, and the few CPU operations the rest of the kernel uses.
#pragma once

#include <arch/trap_frame.h>
#include <support/types.h>

namespace arch {

inline constexpr u32 kMaxCpus = 32;

struct Cpu {
  Cpu* self;        // first: lets assembly find the block from tp
  u32 id;           // logical CPU number; the boot hart is 0
  u64 hart_id;      // the hart's id in the device tree and for SBI
  TrapFrame* trap;  // innermost trap being handled on this CPU, or null
  u32 trap_depth;   // nested traps in progress (a fault inside a trap handler)
  bool online;
};

inline Cpu& this_cpu() {
  Cpu* cpu;
  __asm__ volatile("mv %0, tp" : "=r"(cpu));
  return *cpu;
}
inline bool has_cpu() {
  u64 tp;
  __asm__ volatile("mv %0, tp" : "=r"(tp));
  return tp != 0;
}
inline void set_this_cpu(Cpu* cpu) { __asm__ volatile("mv tp, %0" ::"r"(cpu)); }

// Supervisor interrupts: disable and return the previous state; restore it.
inline bool interrupts_disable() {
  u64 previous;
  __asm__ volatile("csrrci %0, sstatus, 2" : "=r"(previous)::"memory");
  return (previous & 2) != 0;
}
inline void interrupts_restore(bool enabled) {
  if (enabled) __asm__ volatile("csrsi sstatus, 2" ::: "memory");
}

[[noreturn]] inline void halt_forever() {
  interrupts_disable();
  for (;;) __asm__ volatile("wfi");
}

inline u64 read_time() {
  u64 t;
  __asm__ volatile("rdtime %0" : "=r"(t));
  return t;
}

// Caller's frame pointer (s0) and return address, for backtraces.
inline u64 frame_pointer() {
  u64 fp;
  __asm__ volatile("mv %0, s0" : "=r"(fp));
  return fp;
}

}  // namespace arch

// Fault-checked accessors (trap.S): each faulting access resumes at a recovery address from the
// exception table instead of panicking.
extern "C" int arch_probe_read_u64(const void* address, u64* out);
extern "C" int arch_probe_write_u64(void* address, u64 value);
extern "C" usize arch_copy_checked(void* dst, const void* src, usize n);

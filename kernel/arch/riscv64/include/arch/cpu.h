// The per-CPU block, reached through `tp`, and the few CPU operations the rest of the kernel uses.
#pragma once

#include <arch/trap_frame.h>
#include <support/types.h>

namespace arch {

inline constexpr u32 kMaxCpus = 32;
inline constexpr u64 kEmergencyStackSize = 8 * 1024;

// Why an inter-processor interrupt was sent (bits of Cpu::ipi_pending).
enum IpiReason : u32 {
  kIpiWake = 1u << 0,       // work arrived: leave wfi and look
  kIpiCall = 1u << 1,       // run the queued cross-calls
  kIpiStop = 1u << 2,       // a panic elsewhere: stop
  kIpiShootdown = 1u << 3,  // flush the TLB (queued as a cross-call)
};

// A function to run on another CPU (see smp::call_on / smp::post). Queued intrusively.
struct CallRequest {
  void (*fn)(void*);
  void* arg;
  u32 done;  // set (release) once fn has returned
  CallRequest* next;
};

// The per-CPU block. The first fields are read by trap.S through tp: keep offsets in step.
struct Cpu {
  Cpu* self;                // 0: lets assembly find the block from tp
  u64 stack_limit;          // 8: a trap with sp below this is a stack overflow
  u64 emergency_stack_top;  // 16: where such a trap runs
  u64 hart_id;              // 24: the hart's id in the device tree and for SBI
  u32 id;                   // 32: logical CPU number; the boot hart is 0
  u32 trap_depth;           // 36: nested traps in progress (a fault inside a trap handler)
  TrapFrame* trap;          // 40: innermost trap being handled on this CPU, or null
  u64 stack_top;            // 48
  u64 stack_bottom;         // 56

  bool online;
  u32 worker;       // the executor worker this CPU runs as, or ~0u outside run()
  u32 sleeping;     // set (atomically) while in the idle protocol's wfi window
  u32 ipi_pending;  // IpiReason bits, atomically
  // Cross-calls queued for this CPU (a lock-free push list; see smp.cc).
  CallRequest* calls;

  // Counters (only this CPU writes them).
  u64 interrupts;
  u64 timer_interrupts;
  u64 external_interrupts;
  u64 software_interrupts;
  u64 wfi_exits;

  // The last fault recovered through the exception table on this CPU.
  u64 fixup_count;
  u64 fixup_scause;
  u64 fixup_stval;
  u64 fixup_sepc;

  // The armed timer deadline (in time ticks; ~0 when none) and what it calls.
  u64 deadline_ticks;
  // What the timer hardware holds (~0: nothing). Never later than deadline_ticks: arm() writes
  // the hardware only to make it earlier, disarm() leaves it, and an interrupt that comes before
  // the deadline programs the deadline (time.cc: a write costs much more than a load, in QEMU).
  u64 hardware_ticks;
  void (*on_deadline)(void* context);
  void* deadline_context;
};
static_assert(__builtin_offsetof(Cpu, stack_limit) == 8);
static_assert(__builtin_offsetof(Cpu, emergency_stack_top) == 16);
static_assert(__builtin_offsetof(Cpu, hart_id) == 24);
static_assert(__builtin_offsetof(Cpu, stack_top) == 48);

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

// Stops the hart until an interrupt is pending (it need not be enabled: with interrupts off
// this returns without taking it, which the idle protocol relies on).
inline void wait_for_interrupt() { __asm__ volatile("wfi" ::: "memory"); }

[[noreturn]] inline void halt_forever() {
  interrupts_disable();
  for (;;) wait_for_interrupt();
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

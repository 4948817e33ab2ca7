#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <kernel/arch/time.h>
#include <kernel/boot/machine.h>
#include <support/clock.h>
#include <support/string_view.h>

// trap.S-style fault-checked probe of the stimecmp CSR: 0 when the hart has Sstc.
extern "C" int arch_probe_stimecmp();
__asm__(R"(
  .section .text
  .globl arch_probe_stimecmp
arch_probe_stimecmp:
1:
  csrr a0, 0x14d
  li a0, 0
  ret
2:
  li a0, -1
  ret
  .pushsection __ex_table, "a"
  .balign 8
  .dword 1b, 2b
  .popsection
)");

namespace ktime {

namespace {

bool g_sstc = false;  // the same on every hart of QEMU's virt; probed per hart, kept if all agree

void write_hardware(u64 ticks) {
  if (g_sstc) {
    ARCH_CSR_WRITE(0x14d, ticks);
  } else {
    arch::sbi::set_timer(ticks);  // also clears the pending bit
  }
}

// Makes the hardware fire at `ticks` (~0: never), interrupts off.
void program(arch::Cpu& cpu, u64 ticks) {
  cpu.hardware_ticks = ticks;
  write_hardware(ticks);
}

}  // namespace

void init_this_cpu() {
  const auto& m = machine::info();
  bool isa_says = false;
  for (u32 i = 0; i < m.hart_count; ++i)
    if (m.harts[i].hart_id == arch::this_cpu().hart_id) isa_says = m.harts[i].isa.contains("sstc");
  bool probed = arch_probe_stimecmp() == 0;
  g_sstc = probed && isa_says;
  arch::this_cpu().deadline_ticks = ~0ull;
  program(arch::this_cpu(), ~0ull);
  ARCH_CSR_SET(sie, arch::kSieTimer);
}

bool has_sstc() { return g_sstc; }

u64 ticks_now() { return arch::read_time(); }

u64 now_ns() {
  u64 hz = machine::info().timebase_hz;
  if (hz == 0) return 0;
  return support::ticks_to_ns(arch::read_time(), hz);
}

// A program's slice arms and disarms the deadline twice per host call that waits: writing the
// timer for each (a CSR or SBI write that QEMU turns into a host timer update) took most of a
// pipe round trip. So the hardware is written only to bring it earlier; a later deadline or none
// is left to the interrupt, which finds it early (or nothing due) and programs the deadline.
void arm(u64 deadline_ns, void (*fn)(void*), void* context) {
  bool enabled = arch::interrupts_disable();
  arch::Cpu& cpu = arch::this_cpu();
  u64 ticks = support::ns_to_ticks_ceil(deadline_ns, machine::info().timebase_hz);
  cpu.on_deadline = fn;
  cpu.deadline_context = context;
  cpu.deadline_ticks = ticks;
  if (ticks < cpu.hardware_ticks) program(cpu, ticks);
  arch::interrupts_restore(enabled);
}

void disarm() {
  bool enabled = arch::interrupts_disable();
  arch::Cpu& cpu = arch::this_cpu();
  cpu.deadline_ticks = ~0ull;
  cpu.on_deadline = nullptr;
  arch::interrupts_restore(enabled);
}

void handle_timer_interrupt() {
  arch::Cpu& cpu = arch::this_cpu();
  ++cpu.timer_interrupts;
  program(cpu, ~0ull);  // clears the pending bit
  if (cpu.deadline_ticks == ~0ull || arch::read_time() < cpu.deadline_ticks) {
    if (cpu.deadline_ticks != ~0ull) program(cpu, cpu.deadline_ticks);  // early: never fire before
    return;
  }
  auto fn = cpu.on_deadline;  // may be null: a deadline that only wakes the hart
  void* context = cpu.deadline_context;
  cpu.deadline_ticks = ~0ull;
  cpu.on_deadline = nullptr;
  if (fn != nullptr) fn(context);
}

void spin_for_ns(u64 ns) {
  u64 end = now_ns() + ns;
  while (now_ns() < end) {
  }
}

}  // namespace ktime

#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/trap.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/diag/panic.h>
#include <kernel/mm/memory.h>

#include <kernel/drivers/plic.h>

extern "C" void trap_entry();

namespace {

struct ExceptionEntry {
  u64 instruction;
  u64 recovery;
};

}  // namespace

extern "C" const ExceptionEntry __ex_table_start[], __ex_table_end[];

namespace arch {

namespace {

const ExceptionEntry* find_fixup(u64 pc) {
  for (const ExceptionEntry* e = __ex_table_start; e < __ex_table_end; ++e)
    if (e->instruction == pc) return e;
  return nullptr;
}

// RISC-V instruction fields for atomic memory operations (the A extension).
constexpr u32 kOpcodeMask = 0x7f;
constexpr u32 kOpcodeAmo = 0x2f;
constexpr u32 kFunct5Shift = 27;
constexpr u32 kFunct5LoadReserved = 0x02;  // lr.w / lr.d: a load, reported as one

// True when the instruction at `pc` is an AMO or a store-conditional (opcode AMO, not LR).
bool is_amo_store(u64 pc) {
  // The instruction was just fetched from here, so it is mapped; read it as two halves, since a
  // 32-bit instruction may sit at a 2-byte boundary (after compressed ones).
  const auto* half = reinterpret_cast<const volatile u16*>(pc);
  u32 low = half[0];
  if ((low & 3) != 3) return false;  // compressed: no AMO has a compressed form
  u32 insn = low | (static_cast<u32>(half[1]) << 16);
  return (insn & kOpcodeMask) == kOpcodeAmo && (insn >> kFunct5Shift) != kFunct5LoadReserved;
}

}  // namespace

u64 architectural_cause(u64 scause, u64 sepc) {
  Exception as_store;
  switch (static_cast<Exception>(scause)) {
    case Exception::LoadMisaligned: as_store = Exception::StoreMisaligned; break;
    case Exception::LoadAccessFault: as_store = Exception::StoreAccessFault; break;
    case Exception::LoadPageFault: as_store = Exception::StorePageFault; break;
    default: return scause;
  }
  return is_amo_store(sepc) ? static_cast<u64>(as_store) : scause;
}

void trap_init_this_cpu() { ARCH_CSR_WRITE(stvec, reinterpret_cast<u64>(&trap_entry)); }

FixupRecord last_fixup() {
  const Cpu& cpu = this_cpu();
  return {cpu.fixup_count, cpu.fixup_scause, cpu.fixup_stval, cpu.fixup_sepc};
}

const char* trap_cause_name(u64 scause) {
  if (scause & kScauseInterrupt) {
    switch (scause & ~kScauseInterrupt) {
      case 1: return "supervisor software interrupt";
      case 5: return "supervisor timer interrupt";
      case 9: return "supervisor external interrupt";
      default: return "unknown interrupt";
    }
  }
  switch (static_cast<Exception>(scause)) {
    case Exception::InstructionMisaligned: return "instruction address misaligned";
    case Exception::InstructionAccessFault: return "instruction access fault";
    case Exception::IllegalInstruction: return "illegal instruction";
    case Exception::Breakpoint: return "breakpoint";
    case Exception::LoadMisaligned: return "load address misaligned";
    case Exception::LoadAccessFault: return "load access fault";
    case Exception::StoreMisaligned: return "store/AMO address misaligned";
    case Exception::StoreAccessFault: return "store/AMO access fault";
    case Exception::EcallFromU: return "environment call from U-mode";
    case Exception::EcallFromS: return "environment call from S-mode";
    case Exception::InstructionPageFault: return "instruction page fault";
    case Exception::LoadPageFault: return "load page fault";
    case Exception::StorePageFault: return "store/AMO page fault";
  }
  return "unknown exception";
}

}  // namespace arch

namespace {

void handle_interrupt(arch::Cpu& cpu, u64 cause) {
  ++cpu.interrupts;
  switch (cause) {
    case 1: smp::handle_ipi(); return;
    case 5: ktime::handle_timer_interrupt(); return;
    case 9: {
      ++cpu.external_interrupts;
      const auto& m = machine::info();
      for (u32 i = 0; i < m.hart_count; ++i)
        if (m.harts[i].hart_id == cpu.hart_id) plic::handle(m.harts[i].plic_s_context);
      return;
    }
    default: PANIC("unexpected interrupt {}", cause);
  }
}

}  // namespace

extern "C" void trap_dispatch(arch::TrapFrame* frame) {
  using namespace arch;
  Cpu& cpu = this_cpu();
  TrapFrame* outer = cpu.trap;
  ++cpu.trap_depth;
  cpu.trap = frame;

  // trap.S moved to the emergency stack: the kernel stack ran into its limit (or guard page).
  u64 frame_address = reinterpret_cast<u64>(frame);
  if (frame_address < cpu.emergency_stack_top &&
      frame_address >= cpu.emergency_stack_top - kEmergencyStackSize) {
    kpanic::begin(__FILE__, __LINE__);
    support::format(kpanic::reason_sink(),
                    "kernel stack overflow on CPU {} ({} at {:#x}, address {:#x})", cpu.id,
                    trap_cause_name(frame->scause), frame->sepc, frame->stval);
    kpanic::finish(frame);
  }

  if (frame->scause & kScauseInterrupt) {
    handle_interrupt(cpu, frame->scause & ~kScauseInterrupt);
    cpu.trap = outer;
    --cpu.trap_depth;
    return;
  }

  // An AMO faults as a store (the privileged specification: "store/AMO" causes), whatever the
  // hart said: QEMU without multi-threaded TCG (one hart) runs an AMO as a load, then a store,
  // and reports a fault of the load part with the load's cause (QEMU 7.2: a misaligned
  // amoadd.w gives cause 4 at --smp 1, cause 6 at --smp 2 and more).
  frame->scause = architectural_cause(frame->scause, frame->sepc);

  char fault_report[160] = "";
  if (frame->scause == u64(Exception::LoadPageFault) ||
      frame->scause == u64(Exception::StorePageFault) ||
      frame->scause == u64(Exception::InstructionPageFault)) {
    mem::Access access = frame->scause == u64(Exception::LoadPageFault)    ? mem::Access::Read
                         : frame->scause == u64(Exception::StorePageFault) ? mem::Access::Write
                                                                           : mem::Access::Execute;
    if (kmem::handle_page_fault(frame->stval, access, fault_report, sizeof fault_report)) {
      cpu.trap = outer;
      --cpu.trap_depth;
      return;
    }
  }
  if ((frame->scause & kScauseInterrupt) == 0) {
    if (const auto* fixup = find_fixup(frame->sepc)) {
      ++cpu.fixup_count;
      cpu.fixup_scause = frame->scause;
      cpu.fixup_stval = frame->stval;
      cpu.fixup_sepc = frame->sepc;
      LOG_DEBUG("recovered {} at {:#x} (address {:#x}) {}", trap_cause_name(frame->scause),
                frame->sepc, frame->stval, static_cast<const char*>(fault_report));
      frame->sepc = fixup->recovery;
      cpu.trap = outer;
      --cpu.trap_depth;
      return;
    }
  }
  if (cpu.trap_depth > 1 && !kpanic::in_progress()) {
    kpanic::begin(__FILE__, __LINE__);
    support::format(kpanic::reason_sink(), "{} at {:#x} (stval {:#x}) inside a trap handler",
                    trap_cause_name(frame->scause), frame->sepc, frame->stval);
    kpanic::finish(frame);
  }
  kpanic::begin(__FILE__, __LINE__);
  support::format(kpanic::reason_sink(), "unhandled {} at {:#x} (stval {:#x}){}{}",
                  trap_cause_name(frame->scause), frame->sepc, frame->stval,
                  fault_report[0] != '\0' ? ": " : "", static_cast<const char*>(fault_report));
  kpanic::finish(frame);
}

// A trap before the kernel's vector and console exist: only SBI can say anything.
extern "C" [[noreturn]] void early_trap(u64 scause, u64 sepc, u64 stval) {
  char buffer[160];
  auto text = support::format_to_buffer(
      buffer, sizeof buffer, "\nearly boot trap: {} (scause {:#x}) at {:#x}, stval {:#x}\n",
      arch::trap_cause_name(scause), scause, sepc, stval);
  for (char c : text) arch::sbi::legacy_putchar(c);
  arch::sbi::shutdown();
}

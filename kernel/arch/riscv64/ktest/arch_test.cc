// Trap entry and return, the per-CPU block and the exception table, on the real hart.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/trap.h>
#include <kernel/boot/machine.h>
#include <kernel/ktest/ktest.h>

extern "C" int arch_test_breakpoint();
extern "C" u64 arch_test_illegal_instruction();
extern "C" u64 arch_test_misaligned_atomic(u32* address);
extern "C" u64 arch_test_misaligned_lr(u64* address);

namespace {
// Canonical in Sv48, mapped by nothing: the boot tables leave this whole 512 GiB slot empty.
constexpr u64 kUnmapped = 0xffff900000001000ull;
}  // namespace

KTEST(arch, tp_points_to_this_cpu_block) {
  arch::Cpu& cpu = arch::this_cpu();
  KEXPECT(cpu.self == &cpu);
  // Tests run as tasks on any worker: the block must be this hart's, whichever it is.
  KEXPECT_EQ(static_cast<i32>(cpu.id), machine::cpu_of_hart(cpu.hart_id));
  u64 tp;
  __asm__ volatile("mv %0, tp" : "=r"(tp));
  KEXPECT_EQ(tp, reinterpret_cast<u64>(&cpu));
  KEXPECT(cpu.online);
}

KTEST(arch, probe_read_of_mapped_memory_returns_the_value) {
  static u64 cell = 0x1122334455667788ull;
  u64 out = 0;
  KEXPECT_EQ(arch_probe_read_u64(&cell, &out), 0);
  KEXPECT_EQ(out, 0x1122334455667788ull);
  KEXPECT_EQ(arch_probe_write_u64(&cell, 7), 0);
  KEXPECT_EQ(cell, 7ull);
}

KTEST(arch, probe_read_of_unmapped_address_is_recovered) {
  u64 before = arch::last_fixup().count;
  u64 out = 0xabcd;
  KEXPECT_EQ(arch_probe_read_u64(reinterpret_cast<void*>(kUnmapped), &out), -1);
  KEXPECT_EQ(out, 0xabcdull);  // untouched
  auto fix = arch::last_fixup();
  KEXPECT_EQ(fix.count, before + 1);
  KEXPECT_EQ(fix.scause, static_cast<u64>(arch::Exception::LoadPageFault));
  KEXPECT_EQ(fix.stval, kUnmapped);
}

KTEST(arch, probe_write_of_unmapped_address_is_recovered) {
  KEXPECT_EQ(arch_probe_write_u64(reinterpret_cast<void*>(kUnmapped + 8), 1), -1);
  KEXPECT_EQ(arch::last_fixup().scause, static_cast<u64>(arch::Exception::StorePageFault));
  KEXPECT_EQ(arch::last_fixup().stval, kUnmapped + 8);
}

KTEST(arch, checked_copy_stops_at_the_fault) {
  static char source[16] = "fifteen chars..";
  char target[16] = {};
  KEXPECT_EQ(arch_copy_checked(target, source, 16), 0u);
  KEXPECT_EQ(target[0], 'f');
  KEXPECT_EQ(target[14], '.');
  // A source that starts mapped... and is not: the copy reports every byte it did not copy.
  KEXPECT_EQ(arch_copy_checked(target, reinterpret_cast<void*>(kUnmapped), 5), 5u);
}

KTEST(arch, breakpoint_trap_returns_through_the_table) {
  u64 before = arch::last_fixup().count;
  KEXPECT_EQ(arch_test_breakpoint(), 7);
  KEXPECT_EQ(arch::last_fixup().count, before + 1);
  KEXPECT_EQ(arch::last_fixup().scause, static_cast<u64>(arch::Exception::Breakpoint));
}

KTEST(arch, interrupt_state_is_saved_and_restored) {
  bool was = arch::interrupts_disable();
  KEXPECT((ARCH_CSR_READ(sstatus) & arch::kSstatusSie) == 0);
  arch::interrupts_restore(was);
  KEXPECT_EQ((ARCH_CSR_READ(sstatus) & arch::kSstatusSie) != 0, was);
}

KTEST(arch, illegal_instruction_is_reported_and_the_kernel_goes_on) {
  KASSERT_EQ(arch_test_illegal_instruction(), 1ull);
  auto fix = arch::last_fixup();
  KEXPECT_EQ(fix.scause, static_cast<u64>(arch::Exception::IllegalInstruction));
  KEXPECT(support::StringView(arch::trap_cause_name(fix.scause)) == "illegal instruction");
  KEXPECT_EQ(fix.sepc, reinterpret_cast<u64>(&arch_test_illegal_instruction));
}

KTEST(arch, misaligned_atomics_are_reported_with_their_address) {
  alignas(8) static u8 buffer[32];
  auto* odd32 = reinterpret_cast<u32*>(buffer + 2);
  KASSERT_EQ(arch_test_misaligned_atomic(odd32), 1ull);
  auto fix = arch::last_fixup();
  // QEMU reports a misaligned AMO as a store/AMO address-misaligned or access fault.
  KEXPECT(fix.scause == static_cast<u64>(arch::Exception::StoreMisaligned) ||
          fix.scause == static_cast<u64>(arch::Exception::StoreAccessFault));
  KEXPECT_EQ(fix.stval, reinterpret_cast<u64>(odd32));
  auto* odd64 = reinterpret_cast<u64*>(buffer + 4);
  KASSERT_EQ(arch_test_misaligned_lr(odd64), 1ull);
  fix = arch::last_fixup();
  KEXPECT(fix.scause == static_cast<u64>(arch::Exception::LoadMisaligned) ||
          fix.scause == static_cast<u64>(arch::Exception::LoadAccessFault));
  KEXPECT_EQ(arch::last_fixup().stval, reinterpret_cast<u64>(odd64));
}

// At one hart QEMU reports the load half of an AMO (cause 4, 5 or 13); the trap handler gives
// the architecture's store/AMO cause at every hart count.
KTEST(arch, an_amo_on_an_unmapped_address_is_a_store_page_fault) {
  KASSERT_EQ(arch_test_misaligned_atomic(reinterpret_cast<u32*>(kUnmapped + 16)), 1ull);
  auto fix = arch::last_fixup();
  KEXPECT_EQ(fix.scause, static_cast<u64>(arch::Exception::StorePageFault));
  KEXPECT_EQ(fix.stval, kUnmapped + 16);
  KEXPECT_EQ(arch::architectural_cause(static_cast<u64>(arch::Exception::LoadPageFault),
                                       reinterpret_cast<u64>(&arch_test_misaligned_lr)),
             static_cast<u64>(arch::Exception::LoadPageFault));  // lr.d is a load
}

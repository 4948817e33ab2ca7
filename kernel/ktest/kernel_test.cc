// Kernel services that every later part leans on: symbols, boot arguments, machine discovery.
#include <arch/cpu.h>
#include <arch/layout.h>
#include <kernel/arch/time.h>
#include <kernel/boot/boot_args.h>
#include <kernel/boot/machine.h>
#include <kernel/diag/symbols.h>
#include <kernel/ktest/ktest.h>

extern "C" const char _kernel_start[], _kernel_end[];

namespace {
[[gnu::noinline]] int symbolized_function(int x) { return x * 3 + 1; }
}  // namespace

KTEST(symbols, lookup_names_the_containing_function) {
  KASSERT(symbols::count() > 100);
  symbols::Symbol sym;
  u64 address = reinterpret_cast<u64>(&symbolized_function);
  KASSERT(symbols::lookup(address + 4, sym));
  KEXPECT(sym.name.contains("symbolized_function"));
  KEXPECT_EQ(sym.offset, 4ull);
  KEXPECT(!symbols::lookup(0x1000, sym));
  KEXPECT_EQ(symbolized_function(2), 7);
}

KTEST(boot_args, keys_values_and_bare_words) {
  support::StringView saved = boot_args::command_line();
  boot_args::set("  log=debug test  dtb=dump empty= ");
  KEXPECT(*boot_args::get("log") == "debug");
  KEXPECT(boot_args::has("test"));
  KEXPECT(boot_args::get("test")->empty());
  KEXPECT(*boot_args::get("dtb") == "dump");
  KEXPECT(boot_args::get("empty")->empty());
  KEXPECT(!boot_args::has("lo"));
  KEXPECT(!boot_args::has("missing"));
  boot_args::set(saved);
}

KTEST(machine, memory_and_harts_come_from_the_device_tree) {
  const auto& m = machine::info();
  KEXPECT(m.memory_count >= 1);
  KEXPECT(m.ram_bytes() >= (64ull << 20));
  for (u32 i = 0; i < m.memory_count; ++i)
    for (u32 j = i + 1; j < m.memory_count; ++j) KEXPECT(!m.memory[i].overlaps(m.memory[j]));
  KEXPECT(m.hart_count >= 1);
  KEXPECT_EQ(machine::cpu_of_hart(m.boot_hart), 0);
  // Logical CPU numbers are a permutation of 0..hart_count-1.
  u32 seen = 0;
  for (u32 i = 0; i < m.hart_count; ++i) seen |= 1u << m.harts[i].cpu;
  KEXPECT_EQ(seen, (m.hart_count == 32 ? ~0u : (1u << m.hart_count) - 1));
  KEXPECT(m.timebase_hz > 0);
}

KTEST(machine, devices_are_discovered) {
  const auto& m = machine::info();
  KEXPECT(m.uart.present());
  KEXPECT(m.plic.present());
  KEXPECT(m.test_device.present());
  KEXPECT(m.virtio_count >= 1);
  // Every hart has a supervisor context in the PLIC.
  for (u32 i = 0; i < m.hart_count; ++i) KEXPECT(m.harts[i].plic_s_context != ~0u);
}

KTEST(machine, image_device_tree_and_initrd_are_disjoint) {
  const auto& m = machine::info();
  machine::Range image{arch::image_phys(_kernel_start),
                       static_cast<u64>(_kernel_end - _kernel_start)};
  KEXPECT(!image.overlaps(m.dtb));
  KEXPECT(!image.overlaps(m.initrd));
  KEXPECT(!m.dtb.overlaps(m.initrd));
  KEXPECT(m.dtb.size >= 40);
}

KTEST(machine, clock_is_monotonic) {
  u64 previous = ktime::now_ns();
  for (int i = 0; i < 1000; ++i) {
    u64 now = ktime::now_ns();
    KASSERT(now >= previous);
    previous = now;
  }
  KEXPECT(previous > 0);
}

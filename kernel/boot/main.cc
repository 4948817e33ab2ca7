// Boot: from the assembly entry to the test runner or the console monitor.
#include <arch/cpu.h>
#include <arch/layout.h>
#include <arch/sbi.h>
#include <arch/trap.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/boot/boot_args.h>
#include <kernel/boot/machine.h>
#include <kernel/console/console.h>
#include <kernel/console/log.h>
#include <kernel/console/monitor.h>
#include <kernel/diag/panic.h>
#include <kernel/diag/selftest.h>
#include <kernel/drivers/power.h>
#include <kernel/drivers/ramdisk.h>
#include <kernel/drivers/virtio_blk.h>
#include <kernel/ktest/ktest.h>
#include <kernel/ktest/spec.h>
#include <kernel/mm/memory.h>
#include <kernel/net/stack.h>
#include <kernel/proc/disk.h>
#include <kernel/proc/programs.h>
#include <kernel/sched/executor.h>

#include <kernel/drivers/plic.h>

extern "C" void (*__init_array_start[])();
extern "C" i64 arch_hand_off_boot(u64 hart_id, u64 entry_phys, u64 opaque);
extern "C" const char _start[];
extern "C" [[noreturn]] void arch_run_on_stack(u64 top, void (*fn)());
namespace {
[[noreturn]] void kernel_main_continued();
async::Task<void> main_task();
}  // namespace
extern "C" void (*__init_array_end[])();

namespace {

void run_constructors() {
  for (auto* fn = __init_array_start; fn < __init_array_end; ++fn) (*fn)();
}

void apply_log_level() {
  auto level = boot_args::get("log");
  if (!level) return;
  klog::Level parsed;
  if (klog::parse_level(*level, parsed)) {
    klog::set_level(parsed);
  } else {
    LOG_WARN("unknown log level '{}' (error, warn, info, debug, trace)", *level);
  }
}

// `dtb=dump`: the device tree as received (OpenSBI edits QEMU's), in hex, for test fixtures.
void dump_device_tree() {
  const auto& dtb = machine::info().dtb;
  const u8* bytes = machine::phys_ptr<const u8>(dtb.base);
  console::print("dtb-dump begin {} bytes\n", dtb.size);
  char line[2 * 32 + 1];
  for (u64 offset = 0; offset < dtb.size; offset += 32) {
    u64 n = dtb.size - offset < 32 ? dtb.size - offset : 32;
    for (u64 i = 0; i < n; ++i) {
      line[2 * i] = "0123456789abcdef"[bytes[offset + i] >> 4];
      line[2 * i + 1] = "0123456789abcdef"[bytes[offset + i] & 15];
    }
    line[2 * n] = '\0';
    console::print("dtb-dump {}\n", static_cast<const char*>(line));
  }
  console::print("dtb-dump end\n");
}

// `boothart=N`: the firmware chose this hart; restart the boot on hart N (which goes through the
// whole entry path again, as a boot hart chosen by the firmware would). Lets tests cover boot
// harts other than 0, which OpenSBI picks only now and then.
void maybe_hand_off_boot(u64 hart_id, u64 dtb_phys) {
  auto wanted = boot_args::get("boothart");
  if (!wanted) return;
  u64 target = 0;
  for (char c : *wanted) {
    if (c < '0' || c > '9') {
      LOG_WARN("boothart={}: not a hart number", *wanted);
      return;
    }
    target = target * 10 + static_cast<u64>(c - '0');
  }
  if (target == hart_id) return;
  if (machine::cpu_of_hart(target) < 0) {
    LOG_WARN("boothart={}: no such hart in the device tree; staying on hart {}", target, hart_id);
    return;
  }
  LOG_INFO("handing the boot over from hart {} to hart {}", hart_id, target);
  i64 error = arch_hand_off_boot(target, arch::image_phys(_start), dtb_phys);
  LOG_WARN("boothart={}: SBI hart_start failed ({}); staying on hart {}", target, error, hart_id);
}

// Timer, interrupt controller, console input by interrupt, then the other harts.
void bring_up_event_core() {
  const auto& m = machine::info();
  ktime::init_this_cpu();
  if (m.plic.present()) {
    plic::init(machine::phys_to_virt(m.plic.base));
    for (u32 i = 0; i < m.hart_count; ++i) plic::init_context(m.harts[i].plic_s_context);
    u32 context = m.harts[0].plic_s_context;
    for (u32 i = 0; i < m.hart_count; ++i)
      if (m.harts[i].cpu == 0) context = m.harts[i].plic_s_context;
    if (m.uart.irq != 0) console::enable_input_interrupt(m.uart.irq, context);
  } else {
    LOG_WARN("no interrupt controller in the device tree: console input is polled");
  }
  sched::init(m.hart_count);
  u32 online = smp::start_secondaries();
  arch::interrupts_restore(true);
  LOG_INFO("smp: {} of {} harts online, boot hart {}, timer {}", online, m.hart_count, m.boot_hart,
           ktime::has_sstc() ? "sstc" : "sbi");
}

void print_banner() {
  const auto& m = machine::info();
  console::print("\nWarden {} (riscv64) - {} harts, boot hart {}, {} MiB RAM, timebase {} Hz\n",
                 WARDEN_VERSION, m.hart_count, m.boot_hart, m.ram_bytes() >> 20, m.timebase_hz);
}

}  // namespace

extern "C" [[noreturn]] void kernel_main(u64 hart_id, u64 dtb_phys, u64 phys_map_base) {
  smp::init_boot_cpu(hart_id);
  arch::trap_init_this_cpu();
  machine::set_phys_map_base(phys_map_base);
  run_constructors();

  // Until the UART is known, the console is SBI's putchar: even a bad device tree is reported.
  if (auto r = machine::discover(dtb_phys, hart_id); r.is_error()) {
    PANIC("cannot use the device tree at {:#x}: {}", dtb_phys, machine::error_name(r.error()));
  }
  const auto& m = machine::info();
  boot_args::set(m.bootargs);
  apply_log_level();
  if (m.test_device.present()) power::set_test_device(machine::phys_to_virt(m.test_device.base));
  if (m.uart.present()) {
    console::use_uart(machine::phys_to_virt(m.uart.base), m.uart_reg_shift, m.uart_reg_io_width);
  }
  maybe_hand_off_boot(hart_id, dtb_phys);

  print_banner();
  machine::log_summary();
  kmem::init();
  // From here on the boot CPU runs on a stack with a guard page below it.
  auto stack = kmem::allocate_stack(32 * 1024);
  if (stack.is_error()) PANIC("no boot stack: {}", support::error_name(stack.error()));
  smp::move_to_stack(stack.value().bottom, stack.value().top);
  arch_run_on_stack(stack.value().top, kernel_main_continued);
}

namespace {

[[noreturn]] void kernel_main_continued() {
  bring_up_event_core();
  ramdisk::init();
  drivers::init_disks();
  if (auto dtb = boot_args::get("dtb"); dtb && *dtb == "dump") dump_device_tree();

  // The rest of the boot flow is a task; this hart becomes worker 0 like every other.
  if (sched::executor().try_spawn_detached(main_task()).is_error()) {
    PANIC("cannot spawn the main task");
  }
  sched::run_this_cpu();
}

// A clean power-off: the disk written back and marked clean first.
[[noreturn]] void shut_down() {
  console::print("shutting down\n");
  disk::unmount();
  power::exit(0);
}

async::Task<void> main_task() {
  if (auto what = boot_args::get("selftest")) selftest::run(*what);

  // The root file system (from the initrd) and the console's line discipline.
  if (!co_await programs::init()) console::print("programs: the initrd could not be unpacked\n");
  // The network (after programs::init, which keys the entropy lwIP draws its ports from).
  net::start();

  if (auto filter = boot_args::get("test")) {
    ktest::Summary summary = co_await ktest::run(*filter);
    disk::unmount();
    power::exit(summary.failed == 0 && summary.passed > 0 ? 0 : 1);
  }

  // `spec` or `spec=DIR`: the WebAssembly spec scripts in the initrd, as a task of their own
  // (with `wasm-2.0`: compiled with the 2.0 feature set).
  if (auto dir = boot_args::get("spec")) {
    wasm::Features features;
    if (boot_args::get("wasm-2.0")) features = wasm::Features::wasm_2_0();
    auto spawned = sched::executor().try_spawn(spec_suite::run(*dir, features));
    if (spawned.is_error()) PANIC("cannot spawn the spec suite");
    auto summary = co_await spawned.value();
    bool passed = summary.is_ok() && summary.value().failed == 0 && summary.value().files > 0;
    power::exit(passed ? 0 : 1);
  }

  // The first program (the shell by default); the monitor when there is none.
  if (co_await programs::run_init()) {
    shut_down();
  }
  co_await monitor::run();
  shut_down();
}

}  // namespace

#include <arch/cpu.h>
#include <arch/layout.h>
#include <kernel/arch/smp.h>
#include <kernel/boot/boot_args.h>
#include <kernel/console/console.h>
#include <kernel/diag/panic.h>
#include <kernel/diag/symbols.h>
#include <kernel/drivers/power.h>

namespace kpanic {

namespace {

u32 g_panicking = 0;
const char* g_location_file = "?";
int g_location_line = 0;

class PanicSink final : public support::FormatSink {
 public:
  void write(const char* data, usize size) override { console::write_unlocked({data, size}); }
  using support::FormatSink::write;
};
PanicSink g_sink;

template <typename... Args> void say(support::StringView fmt, const Args&... args) {
  support::format(g_sink, fmt, args...);
}

bool is_kernel_address(u64 address) { return address >= arch::kKernelHalfBase; }

void print_frame(const arch::TrapFrame& f) {
  static constexpr const char* kNames[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                             "s0",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                             "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                             "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  say("trap frame: sepc {:#018x} scause {:#x} stval {:#018x} sstatus {:#x}\n", f.sepc, f.scause,
      f.stval, f.sstatus);
  for (int i = 1; i < 32; ++i) {
    say("  {:>4} {:#018x}{}", kNames[i], f.regs[i], i % 4 == 3 ? "\n" : "");
  }
  say("\n");
}

}  // namespace

bool in_progress() { return __atomic_load_n(&g_panicking, __ATOMIC_ACQUIRE) != 0; }

void begin(const char* file, int line) {
  arch::interrupts_disable();
  if (__atomic_fetch_add(&g_panicking, 1, __ATOMIC_ACQ_REL) != 0) {
    // A second panic (another CPU, or a fault while panicking): stop here quietly.
    arch::halt_forever();
  }
  u32 cpu = arch::has_cpu() ? arch::this_cpu().id : 0;
  say("\nKERNEL PANIC on CPU {}: ", cpu);
  // The location follows the reason (finish), so the reason reads first.
  g_location_file = file;
  g_location_line = line;
}

support::FormatSink& reason_sink() { return g_sink; }

void print_backtrace(u64 pc, u64 fp) {
  say("backtrace:\n");
  int depth = 0;
  auto emit = [&](u64 address) {
    symbols::Symbol sym;
    if (symbols::lookup(address, sym)) {
      say("  #{:<2} {:#018x} {}+{:#x}\n", depth, address, sym.name, sym.offset);
    } else {
      say("  #{:<2} {:#018x} ?\n", depth, address);
    }
    ++depth;
  };
  if (pc != 0) emit(pc);
  // RISC-V frame records: return address at fp-8, the caller's fp at fp-16. Every read is
  // fault-checked, so a corrupt chain ends the backtrace instead of faulting again.
  const char* stop = "end of the frame chain";
  while (depth < 48) {
    if (fp == 0 || (fp & 7) != 0 || !is_kernel_address(fp)) {
      stop = "frame pointer outside the kernel";
      break;
    }
    u64 ra = 0, next = 0;
    if (arch_probe_read_u64(reinterpret_cast<void*>(fp - 8), &ra) != 0 ||
        arch_probe_read_u64(reinterpret_cast<void*>(fp - 16), &next) != 0) {
      stop = "frame record unreadable";
      break;
    }
    if (ra == 0 || !is_kernel_address(ra)) break;
    emit(ra - 4);  // the call instruction, not the return point
    if (next != 0 && next <= fp) {
      stop = "frame chain goes backwards";
      break;
    }
    fp = next;
  }
  // Say why a walk stopped early: a short backtrace should not look complete.
  if (depth < 2) say("  ({} at fp {:#x})\n", stop, fp);
}

void finish(const arch::TrapFrame* frame) {
  say("\n  at {}:{}\n", g_location_file, g_location_line);
  if (frame == nullptr && arch::has_cpu()) frame = arch::this_cpu().trap;
  if (frame != nullptr) {
    print_frame(*frame);
    say("interrupted code:\n");
    print_backtrace(frame->sepc, frame->fp());
    say("handler:\n");
  }
  print_backtrace(0, arch::frame_pointer());
  smp::stop_others();  // they halt on the IPI (or at their next interrupt)
  auto on_panic = boot_args::get("onpanic");
  if (on_panic && *on_panic == "halt") {
    say("halted (onpanic=halt)\n");
    arch::halt_forever();
  }
  say("exiting with status 2\n");
  power::exit(2);
}

}  // namespace kpanic

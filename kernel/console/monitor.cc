#include <arch/cpu.h>
#include <arch/sbi.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/boot/boot_args.h>
#include <kernel/boot/machine.h>
#include <kernel/console/console.h>
#include <kernel/console/monitor.h>
#include <kernel/diag/selftest.h>
#include <kernel/diag/symbols.h>
#include <kernel/drivers/power.h>
#include <kernel/drivers/ramdisk.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/net/stack.h>
#include <kernel/sched/executor.h>
#include <support/spinlock.h>

namespace monitor {

namespace {

struct Command {
  const char* name;
  const char* help;
  bool (*run)(support::StringView args);
};

bool cmd_help(support::StringView);

bool cmd_info(support::StringView) {
  machine::log_summary();
  return true;
}

bool cmd_harts(support::StringView) {
  const auto& m = machine::info();
  for (u32 i = 0; i < m.hart_count; ++i) {
    const auto& h = m.harts[i];
    auto status = arch::sbi::hart_status(h.hart_id);
    const char* state = status.is_error()                                 ? "unknown"
                        : status.value() == arch::sbi::HartState::Started ? "started"
                        : status.value() == arch::sbi::HartState::Stopped ? "stopped"
                                                                          : "changing";
    console::print("  cpu {} hart {} {} {}{}\n", h.cpu, h.hart_id, state, h.isa,
                   h.hart_id == m.boot_hart ? " (boot)" : "");
  }
  return true;
}

bool cmd_bootargs(support::StringView) {
  console::print("  {}\n", boot_args::command_line());
  return true;
}

bool cmd_tests(support::StringView) {
  ktest::list();
  return true;
}

bool cmd_test(support::StringView) { return true; }  // run by execute(): it awaits the tests

bool cmd_uptime(support::StringView) {
  u64 ns = ktime::now_ns();
  console::print("  up {}.{:03} s\n", ns / 1000000000, (ns / 1000000) % 1000);
  return true;
}

void print_net_stats() {
  if (!net::up()) {
    console::print("  net: no network\n");
    return;
  }
  net::Stats n = net::stats();
  console::print(
      "  net: tcp pcbs {}/{} ({} in TIME_WAIT), listeners {}/{}, segments {}/{}, pbufs {}/{}, "
      "heap {}/{} KiB, refused {}\n",
      n.tcp_pcbs, n.tcp_pcbs_max, n.tcp_time_wait, n.tcp_listeners, n.tcp_listeners_max,
      n.tcp_segments, n.tcp_segments_max, n.pbufs, n.pbufs_max, n.heap_used >> 10,
      n.heap_size >> 10, n.pool_errors);
  console::print(
      "  net: frames received {} ({} bytes), sent {} ({} bytes); dropped: malformed {}, no "
      "buffer {}, transmit {}\n",
      n.rx_frames, n.rx_bytes, n.tx_frames, n.tx_bytes, n.rx_malformed, n.rx_no_buffer,
      n.tx_dropped);
}

bool cmd_stats(support::StringView) {
  for (u32 i = 0; i < arch::kMaxCpus; ++i) {
    arch::Cpu* c = smp::cpu(i);
    if (c == nullptr) continue;
    console::print(
        "  cpu {} hart {}: interrupts {} (timer {}, external {}, ipi {}), wfi exits {}\n", c->id,
        c->hart_id, c->interrupts, c->timer_interrupts, c->external_interrupts,
        c->software_interrupts, c->wfi_exits);
  }
  auto& ex = sched::executor();
  for (u32 w = 0; w < ex.worker_count(); ++w) {
    auto c = ex.counters(w);
    console::print(
        "  worker {}: polled {}, completed {}, spawned {}, woken {} inside {} outside, "
        "stolen {}, queued {}\n",
        w, c.polled, c.completed, c.spawned, c.woken_inside, c.woken_outside, c.stolen,
        ex.queued(w));
  }
  auto in = console::stats();
  console::print("  console: {} characters received by {} interrupts, {} dropped\n", in.received,
                 in.interrupts, in.dropped);
  print_net_stats();
  return true;
}

bool cmd_ls(support::StringView) {
  const initrd::Archive* a = ramdisk::archive();
  if (a == nullptr) {
    console::print("  no initrd\n");
    return true;
  }
  a->for_each([](const initrd::Entry& e) {
    if (e.is_file()) console::print("  {:>8}  {}\n", e.data.size(), e.name);
  });
  return true;
}

bool cmd_cat(support::StringView args) {
  const initrd::Archive* a = ramdisk::archive();
  auto entry = a ? a->find(args) : initrd::Error::NotFound;
  if (entry.is_error() || !entry.value().is_file()) {
    console::print("cat: {}: no such file\n", args);
    return true;
  }
  auto data = entry.value().data;
  console::write({reinterpret_cast<const char*>(data.data()), data.size()});
  return true;
}

bool cmd_mem(support::StringView) {
  kmem::print_stats();
  return true;
}

bool cmd_panic(support::StringView) {
  selftest::run("panic");
  return true;
}

bool cmd_shutdown(support::StringView) { return false; }

constexpr Command kCommands[] = {
    {"help", "this list", cmd_help},
    {"info", "the machine: memory map, harts, devices", cmd_info},
    {"harts", "every hart and its SBI state", cmd_harts},
    {"bootargs", "the kernel command line", cmd_bootargs},
    {"ls", "files in the initrd", cmd_ls},
    {"cat", "cat FILE: print a file of the initrd", cmd_cat},
    {"tests", "list the kernel tests", cmd_tests},
    {"test", "test [GLOB]: run kernel tests", cmd_test},
    {"uptime", "time since boot", cmd_uptime},
    {"stats", "per-CPU interrupt and idle counters, console input, the network's pools", cmd_stats},
    {"mem", "frame, heap and kernel address-space statistics", cmd_mem},
    {"panic", "panic on purpose (shows the panic report)", cmd_panic},
    {"shutdown", "power off", cmd_shutdown},
};

bool cmd_help(support::StringView) {
  for (const auto& c : kCommands) console::print("  {:<10} {}\n", c.name, c.help);
  return true;
}

support::StringView trim(support::StringView s) {
  usize a = 0, b = s.size();
  while (a < b && s[a] == ' ') ++a;
  while (b > a && s[b - 1] == ' ') --b;
  return s.substr(a, b - a);
}

// Reads one line with backspace editing and Ctrl-U; returns its length.
async::Task<usize> read_line(char* buffer, usize capacity) {
  usize length = 0;
  for (;;) {
    int c = static_cast<u8>(co_await console::read_char_async());
    if (c == '\r' || c == '\n') {
      console::write("\n");
      co_return length;
    }
    if (c == 0x7f || c == 0x08) {
      if (length > 0) {
        --length;
        console::write("\b \b");
      }
    } else if (c == 0x15) {  // Ctrl-U
      while (length > 0) {
        --length;
        console::write("\b \b");
      }
    } else if (c >= 0x20 && c < 0x7f && length + 1 < capacity) {
      buffer[length++] = static_cast<char>(c);
      char echo = static_cast<char>(c);
      console::write({&echo, 1});
    }
  }
}

}  // namespace

async::Task<bool> execute(support::StringView line) {
  line = trim(line);
  if (line.empty()) co_return true;
  usize space = line.find(' ');
  support::StringView name = line.substr(0, space);
  support::StringView args =
      space < line.size() ? trim(line.substr(space + 1)) : support::StringView();
  if (name == "test") {
    co_await ktest::run(args);
    co_return true;
  }
  for (const auto& c : kCommands) {
    if (name == c.name) co_return c.run(args);
  }
  console::print("unknown command '{}' (try help)\n", name);
  co_return true;
}

async::Task<void> run() {
  console::print("Warden kernel monitor. Type 'help' for commands.\n");
  char buffer[128];
  for (;;) {
    console::write("warden> ");
    usize length = co_await read_line(buffer, sizeof buffer);
    if (!co_await execute({buffer, length})) co_return;
  }
}

}  // namespace monitor

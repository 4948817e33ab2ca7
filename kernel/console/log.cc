#include <kernel/arch/time.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>

namespace klog {

namespace {
Level g_level = Level::Info;
constexpr const char* kNames[] = {"error", "warn", "info", "debug", "trace"};
}  // namespace

void set_level(Level level) { g_level = level; }
bool enabled(Level level) { return level <= g_level; }

bool parse_level(support::StringView name, Level& out) {
  for (u8 i = 0; i < 5; ++i) {
    if (name == kNames[i]) {
      out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

void write_prefix(Level level) {
  u64 ns = ktime::now_ns();
  console::print("[{:5}.{:06}] {}: ", ns / 1000000000, (ns / 1000) % 1000000,
                 kNames[static_cast<u8>(level)]);
}

}  // namespace klog

// Leveled kernel log: LOG_INFO("{} harts", n). The level comes from the `log=` boot argument
// (error, warn, info, debug, trace; default info). Each line carries the time since boot.
#pragma once

#include <kernel/console/console.h>

namespace klog {

enum class Level : u8 { Error, Warn, Info, Debug, Trace };

void set_level(Level level);
bool enabled(Level level);
// Parses a level name; false when `name` is not one.
bool parse_level(support::StringView name, Level& out);
// Writes the line prefix "[    1.234567] warn: ".
void write_prefix(Level level);

template <typename... Args> void log(Level level, support::StringView fmt, const Args&... args) {
  if (!enabled(level)) return;
  write_prefix(level);
  console::print(fmt, args...);
  console::write("\n");
}

}  // namespace klog

#define LOG_ERROR(...) ::klog::log(::klog::Level::Error, __VA_ARGS__)
#define LOG_WARN(...) ::klog::log(::klog::Level::Warn, __VA_ARGS__)
#define LOG_INFO(...) ::klog::log(::klog::Level::Info, __VA_ARGS__)
#define LOG_DEBUG(...) ::klog::log(::klog::Level::Debug, __VA_ARGS__)
#define LOG_TRACE(...) ::klog::log(::klog::Level::Trace, __VA_ARGS__)

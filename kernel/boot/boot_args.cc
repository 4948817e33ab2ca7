#include <kernel/boot/boot_args.h>

namespace boot_args {

namespace {
support::StringView g_line;

// Calls fn(key, value, has_value) for each word; stops when fn returns true.
template <typename Fn> bool each(Fn fn) {
  usize i = 0;
  while (i < g_line.size()) {
    while (i < g_line.size() && g_line[i] == ' ') ++i;
    usize start = i;
    while (i < g_line.size() && g_line[i] != ' ') ++i;
    if (i == start) break;
    support::StringView word = g_line.substr(start, i - start);
    usize eq = word.find('=');
    if (fn(word.substr(0, eq), eq < word.size() ? word.substr(eq + 1) : support::StringView()))
      return true;
  }
  return false;
}
}  // namespace

void set(support::StringView command_line) { g_line = command_line; }
support::StringView command_line() { return g_line; }

support::Optional<support::StringView> get(support::StringView key) {
  support::Optional<support::StringView> found;
  each([&](support::StringView k, support::StringView v) {
    if (k == key) {
      found = v;
      return true;
    }
    return false;
  });
  return found;
}

bool has(support::StringView key) { return get(key).has_value(); }

}  // namespace boot_args

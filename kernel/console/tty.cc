// The console's line discipline (see <kernel/console/tty.h>).
#include <kernel/console/console.h>
#include <kernel/console/tty.h>
#include <kernel/proc/programs.h>
#include <kernel/sched/executor.h>
#include <support/spinlock.h>

namespace tty {
namespace {

constexpr usize kBufferSize = 4096;  // readable bytes not yet read
constexpr usize kLineSize = 1024;    // the line being edited (cooked)
constexpr char kCtrlC = 0x03;
constexpr char kCtrlD = 0x04;
constexpr char kCtrlU = 0x15;

struct State {
  Mode mode = Mode::Cooked;
  u8 ready[kBufferSize];
  usize head = 0;  // ring: next byte to read
  usize count = 0;
  u32 eofs = 0;  // ends of input queued behind the readable bytes (at most one matters)
  char line[kLineSize];
  usize line_len = 0;
  u32 foreground = 0;  // the foreground group
};

// Taken by the input task, readers and the program table (the foreground, under the table's
// lock); never held while echoing, killing or ringing.
support::Locked<State> g_state;
bool g_started = false;

void push_ready(State& s, const char* data, usize len) {
  for (usize i = 0; i < len && s.count < kBufferSize; ++i) {
    s.ready[(s.head + s.count) % kBufferSize] = static_cast<u8>(data[i]);
    ++s.count;
  }
}

// Handles one typed character. Returns the group to end (Ctrl-C), or 0. Echo goes to `echo`.
u32 type(State& s, char c, char* echo, usize* echo_len, usize* erase) {
  auto say = [&](const char* text) {
    while (*text != '\0' && *echo_len < 8) echo[(*echo_len)++] = *text++;
  };
  if (s.mode == Mode::Raw) {
    push_ready(s, &c, 1);
    return 0;
  }
  switch (c) {
    case kCtrlC:
      s.line_len = 0;
      say("^C\n");
      return s.foreground;
    case kCtrlD:
      if (s.line_len == 0) {
        ++s.eofs;
      } else {
        push_ready(s, s.line, s.line_len);
        s.line_len = 0;
      }
      return 0;
    case kCtrlU:
      *erase = s.line_len;
      s.line_len = 0;
      return 0;
    case 0x7f:
    case '\b':
      if (s.line_len > 0) {
        --s.line_len;
        say("\b \b");
      }
      return 0;
    case '\r':
    case '\n':
      if (s.line_len < kLineSize) s.line[s.line_len++] = '\n';
      push_ready(s, s.line, s.line_len);
      s.line_len = 0;
      say("\n");
      return 0;
    default:
      if (s.line_len + 1 < kLineSize) {
        s.line[s.line_len++] = c;
        char typed[2] = {c, '\0'};
        say(typed);
      }
      return 0;
  }
}

void input(char c) {
  char echo[8];
  usize echo_len = 0, erase = 0;
  u32 group = g_state.with([&](State& s) { return type(s, c, echo, &echo_len, &erase); });
  if (echo_len > 0) console::write({echo, echo_len});
  for (usize i = 0; i < erase; ++i) console::write("\b \b");
  if (group != 0) programs::interrupt_group(group);
  programs::ring_console_readers();
}

async::Task<void> input_task() {
  for (;;) {
    char c = co_await console::read_char_async();
    input(c);
  }
}

}  // namespace

void start() {
  if (g_started) return;
  g_started = true;
  (void)sched::executor().try_spawn_detached(input_task());
}

void set_mode(Mode mode) {
  bool handed_over = g_state.with([&](State& s) {
    if (s.mode == mode) return false;
    // Switching to raw hands a half-typed line over as typed; to cooked starts a fresh line.
    bool hand_over = mode == Mode::Raw && s.line_len > 0;
    if (hand_over) {
      push_ready(s, s.line, s.line_len);
      s.line_len = 0;
    }
    s.mode = mode;
    return hand_over;
  });
  if (handed_over) programs::ring_console_readers();
}

Mode mode() {
  return g_state.with([](State& s) { return s.mode; });
}

u32 exchange_foreground(u32 group) {
  return g_state.with([&](State& s) {
    u32 previous = s.foreground;
    s.foreground = group;
    return previous;
  });
}

u32 foreground() {
  return g_state.with([](State& s) { return s.foreground; });
}

isize try_read(u8* buf, usize len) {
  return g_state.with([&](State& s) -> isize {
    if (s.count == 0) {
      if (s.eofs == 0) return -1;
      s.eofs = 0;
      return 0;
    }
    usize n = 0;
    // Cooked: one read returns at most one line, as a terminal does.
    while (n < len && s.count > 0) {
      u8 b = s.ready[s.head];
      buf[n++] = b;
      s.head = (s.head + 1) % kBufferSize;
      --s.count;
      if (s.mode == Mode::Cooked && b == '\n') break;
    }
    return static_cast<isize>(n);
  });
}

bool readable() {
  return g_state.with([](State& s) { return s.count > 0 || s.eofs > 0; });
}

void inject(const char* text, usize len) {
  for (usize i = 0; i < len; ++i) input(text[i]);
}

}  // namespace tty

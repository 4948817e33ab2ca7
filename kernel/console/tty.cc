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
  u32 foreground = 0;
};

support::SpinLock g_lock;
State g_state;
bool g_started = false;

void push_ready_locked(const char* data, usize len) {
  for (usize i = 0; i < len && g_state.count < kBufferSize; ++i) {
    g_state.ready[(g_state.head + g_state.count) % kBufferSize] = static_cast<u8>(data[i]);
    ++g_state.count;
  }
}

// Handles one typed character. Returns the pid to kill (Ctrl-C), or 0. Echo goes to `echo`.
u32 input_locked(char c, char* echo, usize* echo_len, usize* erase) {
  auto say = [&](const char* s) {
    while (*s != '\0' && *echo_len < 8) echo[(*echo_len)++] = *s++;
  };
  if (g_state.mode == Mode::Raw) {
    push_ready_locked(&c, 1);
    return 0;
  }
  switch (c) {
    case kCtrlC:
      g_state.line_len = 0;
      say("^C\n");
      return g_state.foreground;
    case kCtrlD:
      if (g_state.line_len == 0) {
        ++g_state.eofs;
      } else {
        push_ready_locked(g_state.line, g_state.line_len);
        g_state.line_len = 0;
      }
      return 0;
    case kCtrlU:
      *erase = g_state.line_len;
      g_state.line_len = 0;
      return 0;
    case 0x7f:
    case '\b':
      if (g_state.line_len > 0) {
        --g_state.line_len;
        say("\b \b");
      }
      return 0;
    case '\r':
    case '\n':
      if (g_state.line_len < kLineSize) g_state.line[g_state.line_len++] = '\n';
      push_ready_locked(g_state.line, g_state.line_len);
      g_state.line_len = 0;
      say("\n");
      return 0;
    default:
      if (g_state.line_len + 1 < kLineSize) {
        g_state.line[g_state.line_len++] = c;
        char s[2] = {c, '\0'};
        say(s);
      }
      return 0;
  }
}

void input(char c) {
  char echo[8];
  usize echo_len = 0, erase = 0;
  u32 kill = 0;
  {
    support::LockGuard guard(g_lock);
    kill = input_locked(c, echo, &echo_len, &erase);
  }
  if (echo_len > 0) console::write({echo, echo_len});
  for (usize i = 0; i < erase; ++i) console::write("\b \b");
  if (kill != 0) (void)programs::kill(kill, programs::EndBy::Interrupt);
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
  auto spawned = sched::executor().try_spawn(input_task());
  if (spawned.is_ok()) spawned.value().detach();
}

void set_mode(Mode mode) {
  bool handed_over = false;
  {
    support::LockGuard guard(g_lock);
    if (g_state.mode == mode) return;
    // Switching to raw hands a half-typed line over as typed; to cooked starts a fresh line.
    if (mode == Mode::Raw && g_state.line_len > 0) {
      push_ready_locked(g_state.line, g_state.line_len);
      g_state.line_len = 0;
      handed_over = true;
    }
    g_state.mode = mode;
  }
  if (handed_over) programs::ring_console_readers();
}

Mode mode() {
  support::LockGuard guard(g_lock);
  return g_state.mode;
}

u32 exchange_foreground(u32 pid) {
  support::LockGuard guard(g_lock);
  u32 previous = g_state.foreground;
  g_state.foreground = pid;
  return previous;
}

u32 foreground() {
  support::LockGuard guard(g_lock);
  return g_state.foreground;
}

isize try_read(u8* buf, usize len) {
  support::LockGuard guard(g_lock);
  if (g_state.count == 0) {
    if (g_state.eofs == 0) return -1;
    g_state.eofs = 0;
    return 0;
  }
  usize n = 0;
  // Cooked: one read returns at most one line, as a terminal does.
  while (n < len && g_state.count > 0) {
    u8 b = g_state.ready[g_state.head];
    buf[n++] = b;
    g_state.head = (g_state.head + 1) % kBufferSize;
    --g_state.count;
    if (g_state.mode == Mode::Cooked && b == '\n') break;
  }
  return static_cast<isize>(n);
}

bool readable() {
  support::LockGuard guard(g_lock);
  return g_state.count > 0 || g_state.eofs > 0;
}

void inject(const char* text, usize len) {
  for (usize i = 0; i < len; ++i) input(text[i]);
}

}  // namespace tty

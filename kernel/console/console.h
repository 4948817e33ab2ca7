// The console: SBI's legacy putchar until the UART is known, then the 16550 UART; input by
// interrupt into a ring buffer once enable_input_interrupt() has run.
// Writers take the console lock with interrupts saved; a panic writes without it (see panic.cc).
#pragma once

#include <async/task.h>
#include <support/format.h>
#include <support/string_view.h>

namespace console {

// Switches output (and input) from SBI to the UART at `base` (a virtual address).
void use_uart(uptr base, u32 reg_shift, u32 reg_io_width);
// Routes the UART's receive interrupt (PLIC `source`) to `plic_context`; input then arrives in a
// ring buffer and `on_input(context)` is called (in interrupt context) after each batch.
void enable_input_interrupt(u32 source, u32 plic_context);
void set_input_waiter(void (*on_input)(void*), void* context);

// Writes `text` in pieces of at most 256 bytes, each under the console lock with interrupts off;
// between pieces the lock is released and interrupts are on. A long text may therefore be
// interleaved with other writers' text at piece boundaries. Returns when all of it is written.
void write(support::StringView text);
// For the panic path: never waits for the lock longer than a bounded spin, then writes anyway.
void write_unlocked(support::StringView text);

// Non-blocking read of one input character; -1 when none is waiting.
int try_read_char();
// Waits for a character: the hart sleeps (idle protocol) until input arrives. For code that runs
// outside the executor; tasks use read_char_async.
char read_char();
// Waits for a character without holding a hart: the task is parked on the input wait queue,
// which the UART interrupt notifies.
async::Task<char> read_char_async();
bool input_pending();
// Feeds `text` to the input side as if it had been received (tests of input waiters).
void inject_input(support::StringView text);

struct Stats {
  u64 received;  // characters taken from the UART
  u64 dropped;   // characters lost because the ring was full
  u64 interrupts;
};
// A consistent snapshot (taken under the input producer's lock).
Stats stats();

class Sink final : public support::FormatSink {
 public:
  void write(const char* data, usize size) override { console::write({data, size}); }
  using support::FormatSink::write;
};

template <typename... Args> void print(support::StringView fmt, const Args&... args) {
  Sink sink;
  support::format(sink, fmt, args...);
}

}  // namespace console

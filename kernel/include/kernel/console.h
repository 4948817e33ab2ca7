// The console: SBI's legacy putchar until the UART is known, then the 16550 UART.
// Writers take the console lock with interrupts saved; a panic writes without it (see panic.cc).
#pragma once

#include <support/format.h>
#include <support/string_view.h>

namespace console {

// Switches output (and input) from SBI to the UART at `base` (a virtual address).
void use_uart(uptr base, u32 reg_shift, u32 reg_io_width);

void write(support::StringView text);
// For the panic path: never waits for the lock longer than a bounded spin, then writes anyway.
void write_unlocked(support::StringView text);

// Non-blocking read of one input character; -1 when none is waiting.
int try_read_char();

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

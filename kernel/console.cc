#include <arch/cpu.h>
#include <arch/sbi.h>
#include <kernel/console.h>
#include <support/spinlock.h>

#include "drivers/uart16550.h"

namespace console {

namespace {

support::SpinLock g_lock;
drivers::Uart16550 g_uart;

void put(char c) {
  if (c == '\n') put('\r');
  if (g_uart.ready()) {
    g_uart.put(c);
  } else {
    arch::sbi::legacy_putchar(c);
  }
}

void put_all(support::StringView text) {
  for (char c : text) put(c);
}

}  // namespace

void use_uart(uptr base, u32 reg_shift, u32 reg_io_width) {
  bool irq = arch::interrupts_disable();
  g_lock.lock();
  g_uart.init(base, reg_shift, reg_io_width);
  g_lock.unlock();
  arch::interrupts_restore(irq);
}

void write(support::StringView text) {
  bool irq = arch::interrupts_disable();
  g_lock.lock();
  put_all(text);
  g_lock.unlock();
  arch::interrupts_restore(irq);
}

void write_unlocked(support::StringView text) {
  // The holder may be a CPU that will never release it (it faulted, or it is being stopped).
  bool locked = false;
  for (int i = 0; i < 100000 && !locked; ++i) locked = g_lock.try_lock();
  put_all(text);
  if (locked) g_lock.unlock();
}

int try_read_char() {
  if (g_uart.ready()) return g_uart.try_get();
  return -1;
}

}  // namespace console

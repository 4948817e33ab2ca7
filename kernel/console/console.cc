#include <arch/cpu.h>
#include <arch/sbi.h>
#include <kernel/arch/smp.h>
#include <kernel/console/console.h>
#include <kernel/sched/irq_lock.h>

#include <async/async.h>

#include <kernel/drivers/plic.h>
#include <kernel/drivers/uart16550.h>

namespace console {

namespace {

IrqSpinLock g_lock;  // output: the UART's transmit side
// Bytes written per hold of g_lock: interrupts stay off for one piece at most.
constexpr usize kWritePiece = 256;
drivers::Uart16550 g_uart;

// Input ring: one producer at a time (under g_producer_lock: the UART interrupt, on one hart, and
// inject_input), any consumer under g_input_lock. Each side reads the other's index atomically.
constexpr u32 kRingSize = 1024;
char g_ring[kRingSize];
u32 g_head = 0;  // written by the producer
u32 g_tail = 0;  // written by consumers
IrqSpinLock g_input_lock;
IrqSpinLock g_producer_lock;
async::BasicWaitQueue<IrqSpinLock> g_input_waiters;
bool g_interrupt_driven = false;
Stats g_stats GUARDED_BY(g_producer_lock);
void (*g_waiter)(void*) = nullptr;
void* g_waiter_context = nullptr;

void put(char c) REQUIRES(g_lock) {
  if (c == '\n') put('\r');
  if (g_uart.ready()) {
    g_uart.put(c);
  } else {
    arch::sbi::legacy_putchar(c);
  }
}

void put_all(support::StringView text) REQUIRES(g_lock) {
  for (char c : text) put(c);
}

// UART interrupt: drain the receive FIFO into the ring. Takes no lock that task code holds
// with interrupts on (the ring is single-producer), allocates nothing.
void push(char c) REQUIRES(g_producer_lock) {
  ++g_stats.received;
  u32 head = g_head;
  if (head - __atomic_load_n(&g_tail, __ATOMIC_ACQUIRE) == kRingSize) {
    ++g_stats.dropped;
    return;
  }
  g_ring[head % kRingSize] = c;
  __atomic_store_n(&g_head, head + 1, __ATOMIC_RELEASE);
}

void announce() {
  g_input_waiters.notify_all();
  if (auto waiter = __atomic_load_n(&g_waiter, __ATOMIC_ACQUIRE)) waiter(g_waiter_context);
}

void on_uart_interrupt(u32, void*) {
  g_producer_lock.lock();
  ++g_stats.interrupts;
  for (;;) {
    int c = g_uart.try_get();
    if (c < 0) break;
    push(static_cast<char>(c));
  }
  g_producer_lock.unlock();
  announce();
}

bool has_input(void*) { return input_pending(); }

}  // namespace

void use_uart(uptr base, u32 reg_shift, u32 reg_io_width) {
  g_lock.lock();
  g_uart.init(base, reg_shift, reg_io_width);
  g_lock.unlock();
}

void enable_input_interrupt(u32 source, u32 plic_context) {
  if (!g_uart.ready() || !plic::ready()) return;
  if (plic::attach(source, plic_context, on_uart_interrupt, nullptr).is_error()) return;
  g_interrupt_driven = true;
  g_uart.enable_receive_interrupt();
}

void set_input_waiter(void (*on_input)(void*), void* context) {
  g_waiter_context = context;
  __atomic_store_n(&g_waiter, on_input, __ATOMIC_RELEASE);
}

void write(support::StringView text) {
  // One piece at a time, so that a long text holds the lock (and keeps interrupts off) for one
  // piece at most: other writers, input echo and interrupts get in between.
  for (usize at = 0; at < text.size(); at += kWritePiece) {
    usize n = text.size() - at < kWritePiece ? text.size() - at : kWritePiece;
    g_lock.lock();
    put_all(text.substr(at, n));
    g_lock.unlock();
  }
}

// Unchecked: writes without the lock when it cannot be had, on purpose.
void write_unlocked(support::StringView text) NO_THREAD_SAFETY_ANALYSIS {
  // The holder may be a CPU that will never release it (it faulted, or it is being stopped).
  bool locked = false;
  for (int i = 0; i < 100000 && !locked; ++i) locked = g_lock.try_lock();
  put_all(text);
  if (locked) g_lock.unlock();
}

bool input_pending() {
  if (!g_interrupt_driven) return true;  // polled: the caller must look
  return __atomic_load_n(&g_head, __ATOMIC_ACQUIRE) != __atomic_load_n(&g_tail, __ATOMIC_RELAXED);
}

int try_read_char() {
  if (!g_interrupt_driven) return g_uart.ready() ? g_uart.try_get() : -1;
  g_input_lock.lock();
  int c = -1;
  u32 tail = g_tail;
  if (__atomic_load_n(&g_head, __ATOMIC_ACQUIRE) != tail) {
    c = static_cast<u8>(g_ring[tail % kRingSize]);
    __atomic_store_n(&g_tail, tail + 1, __ATOMIC_RELEASE);
  }
  g_input_lock.unlock();
  return c;
}

char read_char() {
  for (;;) {
    int c = try_read_char();
    if (c >= 0) return static_cast<char>(c);
    if (g_interrupt_driven) {
      smp::idle(has_input, nullptr);
    } else {
      support::cpu_relax();
    }
  }
}

async::Task<char> read_char_async() {
  for (;;) {
    int c = try_read_char();
    if (c >= 0) co_return static_cast<char>(c);
    if (!g_interrupt_driven) {
      co_await async::yield_now();  // polled input: look again after the others had a turn
      continue;
    }
    co_await g_input_waiters.wait_until([] { return input_pending(); });
  }
}

void inject_input(support::StringView text) {
  g_producer_lock.lock();
  for (char c : text) push(c);
  g_producer_lock.unlock();
  announce();
}

Stats stats() {
  g_producer_lock.lock();
  Stats stats = g_stats;
  g_producer_lock.unlock();
  return stats;
}

}  // namespace console

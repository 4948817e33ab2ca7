// What the executor needs from the machine it runs on, and nothing more. The hosted build
// implements it with threads and futexes (async/host_platform.h); the kernel with one worker per
// hart, IPIs, `wfi` and the Sstc timer (see docs/executor.md, "Platform interface").
#pragma once

#include <support/types.h>

namespace async {

// Monotonic time in nanoseconds since an arbitrary epoch.
using Instant = u64;
using Duration = u64;
inline constexpr Instant kNever = ~u64{0};

constexpr Duration nanoseconds(u64 n) { return n; }
constexpr Duration microseconds(u64 n) { return n * 1000; }
constexpr Duration milliseconds(u64 n) { return n * 1000 * 1000; }
constexpr Duration seconds(u64 n) { return n * 1000 * 1000 * 1000; }

// Saturating deadline arithmetic.
constexpr Instant deadline_after(Instant now, Duration d) {
  return d >= kNever - now ? kNever : now + d;
}

inline constexpr u32 kNoWorker = ~u32{0};

class Platform {
 public:
  // The worker the calling CPU (thread) runs as for this platform, or kNoWorker outside any
  // worker (a plain thread on the host; an interrupt handler counts as its hart's worker).
  // Must be cheap: it is read on every spawn and wake.
  virtual u32 current_worker() const = 0;
  // Called by Executor::run on entry (worker id) and exit (kNoWorker) on the calling CPU.
  virtual void set_current_worker(u32 worker) = 0;
  // True while the calling CPU runs an interrupt (or other trap) handler. The executor then
  // leaves the worker's LIFO slot alone, which its task code changes with plain loads and
  // stores. Must be cheap: it is read on every spawn and wake on a worker. The host has none.
  virtual bool in_interrupt() const { return false; }
  // Both of the above at once (one call on every spawn and wake): a platform overrides it when it
  // can answer both from one look at the CPU's state.
  struct Here {
    u32 worker;
    bool in_interrupt;
  };
  virtual Here here() const { return {current_worker(), in_interrupt()}; }

  // The clock. now() is monotonic and callable from any context, including interrupts.
  virtual Instant now() const = 0;

  // The idle protocol (no lost wake-up). sleep() blocks the calling worker while
  // `*word == expected`, until wake(worker, word) is called, or `deadline` (kNever: none) passes,
  // or spuriously. It must re-check `*word` atomically with going to sleep: a wake() issued
  // after the executor changed `*word` must make sleep() return even when it comes before the
  // worker actually sleeps. Kernel: disable interrupts, compare, arm(deadline), wfi, enable
  // interrupts (wfi returns on a pending IPI or timer with interrupts masked). Host: futex.
  virtual void sleep(u32 worker, const u32* word, u32 expected, Instant deadline) = 0;
  // Wakes `worker` out of sleep() (or makes its next sleep() return at once). Called after the
  // executor changed `*word`. Callable from any context, including interrupt handlers; must not
  // allocate or take a lock that task code holds. Kernel: an IPI to the worker's hart.
  virtual void wake(u32 worker, const u32* word) = 0;

 protected:
  ~Platform() = default;
};

// Where task records and coroutine frames come from. allocate() returns nullptr when memory is
// exhausted; nothing in lib/async panics on that, it reports Error::NoMemory.
class Allocator {
 public:
  virtual void* allocate(usize size) = 0;  // 16-byte aligned, or nullptr
  virtual void deallocate(void* block, usize size) = 0;

 protected:
  ~Allocator() = default;
};

// The general-purpose allocator: `operator new(size, std::nothrow)` / `operator delete`, behind
// the calling CPU's block cache when the platform installed one (block_cache.h).
namespace detail {
extern Allocator* const g_default_allocator;  // support.cc
}  // namespace detail
inline Allocator& default_allocator() { return *detail::g_default_allocator; }

}  // namespace async

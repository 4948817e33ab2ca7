// The per-hart clock and deadline.
#include <arch/cpu.h>
#include <kernel/arch/ktest.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/ktest/ktest.h>

#include <async/timer_wheel.h>

namespace {
struct Fired {
  u32 done;
  u64 at_ns;
};
void record(void* arg) {
  auto* f = static_cast<Fired*>(arg);
  f->at_ns = ktime::now_ns();
  __atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
}
bool fired(void* arg) { return __atomic_load_n(&static_cast<Fired*>(arg)->done, __ATOMIC_ACQUIRE); }
}  // namespace

KTEST(time, deadline_fires_and_never_early) {
  static constexpr u64 kDelays[] = {0, 1000, 150000, 3000000};
  for (u64 delay : kDelays) {
    Fired f{0, 0};
    u64 deadline = ktime::now_ns() + delay;
    ktime::arm(deadline, record, &f);
    while (!fired(&f)) smp::idle(fired, &f);
    KEXPECT(f.at_ns >= deadline);
  }
}

KTEST(time, arming_again_replaces_the_deadline) {
  Fired first{0, 0}, second{0, 0};
  // Interrupts off across both arms: under load more than 1 ms may pass between them, and the
  // first must not get the chance to fire before it is replaced.
  bool irq = arch::interrupts_disable();
  u64 now = ktime::now_ns();
  ktime::arm(now + 1000000, record, &first);
  ktime::arm(now + 2000000, record, &second);
  arch::interrupts_restore(irq);
  while (!fired(&second)) smp::idle(fired, &second);
  KEXPECT(!fired(&first));
  KEXPECT(second.at_ns >= now + 2000000);
  irq = arch::interrupts_disable();
  ktime::arm(ktime::now_ns() + 1000000, record, &first);
  ktime::disarm();
  arch::interrupts_restore(irq);
  ktime::spin_for_ns(3000000);
  KEXPECT(!fired(&first));
}

namespace {
// A handler that uses the FPU as any C++ code may: clobbers every FP register and fcsr.
u64 g_ticks = 0;
void clobber_fpu_and_rearm(void*) {
  ktest::clobber_fpu();
  ++g_ticks;
  ktime::arm(ktime::now_ns() + 20000, clobber_fpu_and_rearm, nullptr);
}
[[gnu::noinline]] u64 fp_chunk(double seed) {
  double a = seed, b = 1.0 / 3.0, c = 0.0;
  for (int i = 0; i < 2000; ++i) {
    a = a * 1.0000001 + b;
    b = b * 0.9999999 - a * 1e-9;
    c += a * b;
    __asm__ volatile("" ::: "memory");  // a real loop every call: not hoisted, not folded
  }
  double r = a + b + c;
  u64 bits;
  __builtin_memcpy(&bits, &r, sizeof bits);
  return bits;
}
}  // namespace

KTEST(time, fpu_state_survives_ten_thousand_timer_interrupts) {
  volatile double seed = 1.5;
  bool enabled = arch::interrupts_disable();
  u64 reference = fp_chunk(seed);
  arch::interrupts_restore(enabled);
  g_ticks = 0;
  ktime::arm(ktime::now_ns() + 20000, clobber_fpu_and_rearm, nullptr);
  u64 chunks = 0, mismatches = 0;
  while (__atomic_load_n(&g_ticks, __ATOMIC_RELAXED) < 10000) {
    if (fp_chunk(seed) != reference) ++mismatches;
    ++chunks;
  }
  ktime::disarm();
  KEXPECT_EQ(mismatches, 0ull);
  KEXPECT(chunks > 0);
}

namespace {
// 1,500 timers in the executor's wheel (the one timer structure), driven by this hart's deadline.
constexpr u32 kLive = 1000;
constexpr u32 kCancelled = 500;
async::TimerWheel g_wheel;
async::TimerEntry g_entries[kLive + kCancelled];
u32 g_order[kLive + kCancelled];
u32 g_fired_count = 0;
u32 g_early = 0;
u64 g_latest_ns = 0;
u32 g_wheel_done = 0;

void on_wheel_deadline(void*) {
  u64 now = ktime::now_ns();
  while (async::TimerEntry* e = g_wheel.pop_expired(now)) {
    if (now < e->deadline) ++g_early;
    if (now - e->deadline > g_latest_ns) g_latest_ns = now - e->deadline;
    if (g_fired_count < kLive + kCancelled)
      g_order[g_fired_count] = static_cast<u32>(e - g_entries);
    ++g_fired_count;
  }
  async::Instant next = g_wheel.next_deadline();
  if (next == async::kNever) {
    __atomic_store_n(&g_wheel_done, 1, __ATOMIC_RELEASE);
  } else {
    ktime::arm(next, on_wheel_deadline, nullptr);
  }
}
bool wheel_done(void*) { return __atomic_load_n(&g_wheel_done, __ATOMIC_ACQUIRE) != 0; }
}  // namespace

KTEST(time, thousand_deadlines_fire_in_order_none_early_cancelled_never) {
  // Distinct deadlines 100 us apart, filed in a shuffled order; the last 500 are withdrawn.
  u32 perm[kLive + kCancelled];
  for (u32 i = 0; i < kLive + kCancelled; ++i) perm[i] = i;
  u64 seed = 0x2545f4914f6cdd1dull;
  for (u32 i = kLive + kCancelled - 1; i > 0; --i) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    u32 j = static_cast<u32>(seed % (i + 1));
    u32 t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  u64 start = ktime::now_ns() + 5000000;
  bool irq = arch::interrupts_disable();
  g_fired_count = g_early = 0;
  g_latest_ns = 0;
  g_wheel_done = 0;
  for (u32 i = 0; i < kLive + kCancelled; ++i) {
    g_entries[i].deadline = start + u64(perm[i]) * 100000;
    g_wheel.insert(g_entries[i]);
  }
  for (u32 i = kLive; i < kLive + kCancelled; ++i) g_wheel.remove(g_entries[i]);
  ktime::arm(g_wheel.next_deadline(), on_wheel_deadline, nullptr);
  arch::interrupts_restore(irq);
  while (!wheel_done(nullptr)) smp::idle(wheel_done, nullptr);

  KEXPECT_EQ(g_fired_count, kLive);
  KEXPECT_EQ(g_early, 0u);
  u32 out_of_order = 0, cancelled_fired = 0;
  for (u32 k = 0; k < g_fired_count && k < kLive; ++k) {
    if (g_order[k] >= kLive) ++cancelled_fired;
    if (k > 0 && g_entries[g_order[k]].deadline < g_entries[g_order[k - 1]].deadline)
      ++out_of_order;
  }
  KEXPECT_EQ(out_of_order, 0u);
  KEXPECT_EQ(cancelled_fired, 0u);
  KEXPECT(g_latest_ns < 1000000000ull);  // every deadline within 1 s (the figure is for bench)
}

// The per-hart clock and deadline.
#include <arch/cpu.h>
#include <kernel/ktest.h>
#include <kernel/smp.h>
#include <kernel/time.h>

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
  u64 now = ktime::now_ns();
  ktime::arm(now + 1000000, record, &first);
  ktime::arm(now + 2000000, record, &second);
  while (!fired(&second)) smp::idle(fired, &second);
  KEXPECT(!fired(&first));
  KEXPECT(second.at_ns >= now + 2000000);
  ktime::arm(ktime::now_ns() + 1000000, record, &first);
  ktime::disarm();
  ktime::spin_for_ns(3000000);
  KEXPECT(!fired(&first));
}

namespace {
// A handler that uses the FPU as any C++ code may: clobbers every FP register and fcsr.
u64 g_ticks = 0;
void clobber_fpu_and_rearm(void*) {
  __asm__ volatile(
      "fcvt.d.l f0, zero\n fmv.d f1, f0\n fmv.d f2, f0\n fmv.d f3, f0\n fmv.d f4, f0\n"
      "fmv.d f5, f0\n fmv.d f6, f0\n fmv.d f7, f0\n fmv.d f8, f0\n fmv.d f9, f0\n fmv.d f10, f0\n"
      "fmv.d f11, f0\n fmv.d f12, f0\n fmv.d f13, f0\n fmv.d f14, f0\n fmv.d f15, f0\n"
      "fmv.d f16, f0\n fmv.d f17, f0\n fmv.d f18, f0\n fmv.d f19, f0\n fmv.d f20, f0\n"
      "fmv.d f21, f0\n fmv.d f22, f0\n fmv.d f23, f0\n fmv.d f24, f0\n fmv.d f25, f0\n"
      "fmv.d f26, f0\n fmv.d f27, f0\n fmv.d f28, f0\n fmv.d f29, f0\n fmv.d f30, f0\n"
      "fmv.d f31, f0\n csrwi fcsr, 0x1f" ::
          : "memory");
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

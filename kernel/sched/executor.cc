#include <arch/cpu.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/console/log.h>
#include <kernel/diag/panic.h>
#include <kernel/sched/executor.h>
#include <support/new.h>

namespace sched {

namespace {

// The executor's view of the machine: worker = logical CPU; sleep = the idle protocol with the
// hart's deadline; wake = an IPI.
class KernelPlatform final : public async::Platform {
 public:
  u32 current_worker() const override { return here().worker; }
  void set_current_worker(u32 worker) override {
    __atomic_store_n(&arch::this_cpu().worker, worker, __ATOMIC_RELAXED);
  }
  bool in_interrupt() const override { return here().in_interrupt; }
  // The hart's worker and whether it is in a trap handler (trap_dispatch counts the traps in
  // progress on this hart; an interrupt is one), from one look at the per-hart block.
  Here here() const override {
    if (!arch::has_cpu()) return {async::kNoWorker, false};
    arch::Cpu& cpu = arch::this_cpu();
    return {__atomic_load_n(&cpu.worker, __ATOMIC_RELAXED),
            __atomic_load_n(&cpu.trap_depth, __ATOMIC_RELAXED) != 0};
  }
  async::Instant now() const override { return ktime::now_ns(); }
  void sleep(u32, const u32* word, u32 expected, async::Instant deadline) override {
    arch::Cpu& cpu = arch::this_cpu();
    arch::interrupts_disable();
    __atomic_store_n(&cpu.sleeping, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == expected &&
        __atomic_load_n(&cpu.calls, __ATOMIC_SEQ_CST) == nullptr) {
      // A stale deadline from an earlier sleep only makes this return early: harmless.
      if (deadline != async::kNever) ktime::arm(deadline, nullptr, nullptr);
      arch::wait_for_interrupt();
      ++cpu.wfi_exits;
    }
    __atomic_store_n(&cpu.sleeping, 0, __ATOMIC_RELAXED);
    arch::interrupts_restore(true);  // the interrupt that woke the hart is taken here
  }
  void wake(u32 worker, const u32*) override { smp::send_ipi(worker, arch::kIpiWake); }
};

KernelPlatform g_platform;
alignas(async::Executor) u8 g_storage[sizeof(async::Executor)];
bool g_ready = false;

}  // namespace

void init(u32 workers) {
  new (g_storage) async::Executor(g_platform, workers);
  g_ready = true;
}

async::Executor& executor() { return *reinterpret_cast<async::Executor*>(g_storage); }

void run_this_cpu() {
  if (!g_ready) PANIC("executor not initialised");
  u32 id = arch::this_cpu().id;
  auto result = executor().run(id);
  (void)result;  // only close() ends run(): nothing left to do on this hart
  LOG_DEBUG("cpu {}: executor closed", id);
  for (;;) smp::idle([](void*) { return false; }, nullptr);
}

}  // namespace sched

// The executor on every hart: stealing, sleeping, waiting for the console without a hart.
#include <arch/cpu.h>
#include <async/async.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/console/console.h>
#include <kernel/ktest/ktest.h>
#include <kernel/sched/executor.h>

namespace {

constexpr u32 kTasks = 10000;
constexpr u32 kYields = 100;
u32 g_finished = 0;
async::BasicWaitQueue<> g_all_done;

async::Task<void> yielder() {
  for (u32 i = 0; i < kYields; ++i) co_await async::yield_now();
  if (__atomic_add_fetch(&g_finished, 1, __ATOMIC_ACQ_REL) == kTasks) g_all_done.notify_all();
}

}  // namespace

KTEST_ASYNC(exec, ten_thousand_yielding_tasks_complete_and_every_hart_steals) {
  auto& ex = sched::executor();
  u32 workers = ex.worker_count();
  async::Counters before[arch::kMaxCpus];
  for (u32 w = 0; w < workers; ++w) before[w] = ex.counters(w);
  __atomic_store_n(&g_finished, 0, __ATOMIC_RELAXED);
  u32 spawned_on = arch::this_cpu().id;
  for (u32 i = 0; i < kTasks; ++i) {
    auto handle = ex.try_spawn(yielder());
    if (handle.is_error()) {
      kt.fail(__FILE__, __LINE__, "spawn failed");
      co_return;
    }
    handle.value().detach();
  }
  co_await g_all_done.wait_until(
      [] { return __atomic_load_n(&g_finished, __ATOMIC_ACQUIRE) == kTasks; });
  KEXPECT_EQ(__atomic_load_n(&g_finished, __ATOMIC_ACQUIRE), kTasks);
  for (u32 w = 0; w < workers; ++w) {
    if (w == spawned_on) continue;
    u64 stolen = ex.counters(w).stolen - before[w].stolen;
    if (stolen == 0) {
      char buffer[96];
      kt.fail(__FILE__, __LINE__,
              support::format_to_buffer(buffer, sizeof buffer, "worker {} stole nothing", w));
    }
  }
}

KTEST_ASYNC(exec, sleeping_tasks_wake_no_earlier_than_asked) {
  for (u32 i = 0; i < 5; ++i) {
    u64 start = ktime::now_ns();
    co_await async::sleep(async::milliseconds(100));
    KEXPECT(ktime::now_ns() - start >= 100000000ull);
  }
}

namespace {
u32 g_reader_state = 0;  // 1 waiting, 2 got the character
char g_read = 0;
async::Task<void> console_reader() {
  __atomic_store_n(&g_reader_state, 1, __ATOMIC_RELEASE);
  g_read = co_await console::read_char_async();
  __atomic_store_n(&g_reader_state, 2, __ATOMIC_RELEASE);
}
}  // namespace

KTEST_ASYNC(exec, a_task_waiting_for_input_holds_no_hart) {
  auto& ex = sched::executor();
  while (console::try_read_char() >= 0) {
  }
  __atomic_store_n(&g_reader_state, 0, __ATOMIC_RELAXED);
  auto handle = ex.try_spawn(console_reader());
  CO_KASSERT(handle.is_ok());
  while (__atomic_load_n(&g_reader_state, __ATOMIC_ACQUIRE) == 0) co_await async::yield_now();
  co_await async::sleep(async::milliseconds(50));
  // The reader is parked: every worker's queue is empty, and this task still runs.
  KEXPECT_EQ(__atomic_load_n(&g_reader_state, __ATOMIC_ACQUIRE), 1u);
  for (u32 w = 0; w < ex.worker_count(); ++w) KEXPECT_EQ(ex.queued(w), 0ull);
  console::inject_input("x");
  auto result = co_await handle.value();
  KEXPECT(result.is_ok());
  KEXPECT_EQ(__atomic_load_n(&g_reader_state, __ATOMIC_ACQUIRE), 2u);
  KEXPECT_EQ(g_read, 'x');
}

namespace {
// Two tasks parked on a wait queue, woken by a task that then keeps its hart busy (it spins, as a
// long program slice would): the first woken takes the waker's LIFO slot, the second displaces it
// to the run queue, which sends an IPI to a sleeping hart; that hart steals it, then takes the
// other from the slot.
struct SpinWake {
  async::BasicWaitQueue<> queue;
  u32 go = 0;
  u32 parked = 0;
  u32 ran = 0;
  u32 ran_on[2] = {~0u, ~0u};
};

async::Task<void> woken_while_waker_spins(SpinWake* wake, u32 index) {
  __atomic_add_fetch(&wake->parked, 1, __ATOMIC_ACQ_REL);
  co_await wake->queue.wait_until([wake] { return __atomic_load_n(&wake->go, __ATOMIC_ACQUIRE); });
  __atomic_store_n(&wake->ran_on[index], arch::this_cpu().id, __ATOMIC_RELEASE);
  __atomic_add_fetch(&wake->ran, 1, __ATOMIC_ACQ_REL);
}
}  // namespace

// The woken tasks run on other harts while the waker still spins; the spin gives up after a
// generous 10 s only so that a failure ends (order is asserted, not latency).
KTEST_ASYNC(exec, tasks_woken_by_a_task_that_keeps_its_hart_busy_run_on_other_harts) {
  if (smp::cpu_count() < 2) {
    kt.skip("needs 2 harts");
    co_return;
  }
  constexpr u64 kGiveUpNs = 10'000'000'000ull;
  auto& ex = sched::executor();
  constexpr u32 count = 2;
  for (u32 round = 0; round < 20; ++round) {
    SpinWake wake;
    for (u32 i = 0; i < count; ++i) {
      auto handle = ex.try_spawn(woken_while_waker_spins(&wake, i));
      CO_KASSERT(handle.is_ok());
      handle.value().detach();
    }
    while (__atomic_load_n(&wake.parked, __ATOMIC_ACQUIRE) < count) co_await async::yield_now();
    co_await async::sleep(async::milliseconds(2));  // they park, the other harts fall asleep
    u32 waker = arch::this_cpu().id;
    __atomic_store_n(&wake.go, 1, __ATOMIC_RELEASE);
    wake.queue.notify_all();
    u64 t0 = ktime::now_ns();
    bool ran = true;
    for (u32 spins = 1; __atomic_load_n(&wake.ran, __ATOMIC_ACQUIRE) < count; ++spins) {
      if (spins % 4096 == 0 && ktime::now_ns() - t0 >= kGiveUpNs) {
        ran = false;
        break;
      }
    }
    KEXPECT(ran);
    while (__atomic_load_n(&wake.ran, __ATOMIC_ACQUIRE) < count) co_await async::yield_now();
    for (u32 i = 0; i < count; ++i) {
      KEXPECT(__atomic_load_n(&wake.ran_on[i], __ATOMIC_ACQUIRE) != waker);
    }
  }
}

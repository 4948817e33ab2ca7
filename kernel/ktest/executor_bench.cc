// Figures for `./x bench executor-kernel` (a manual test: boot argument test=bench.executor):
// the kernel executor (kernel/sched/executor.h, lib/async) on the harts QEMU gives it. Nothing
// here asserts a time; the lines starting with "bench: executor." are the output, one per
// workload, read by tools/bench-async/kernel_table.py:
//   spawn_complete  the bench task spawns N empty tasks (its hart's queue; idle harts steal) and
//                   sleeps until the last has finished: ns per task
//   yield           one task, N yield_now(): ns per round trip
//   cross_hart_wake two tasks parked on a wait queue are woken by a task that then keeps its
//                   hart busy (it spins): the time until one of them runs, necessarily on another
//                   hart (an idle one, woken from wfi by an IPI, that steals it): ns per wake.
//                   Needs two harts. Also what the wakes did, summed over the rounds (the
//                   executor's counters just before and after notify_all): lifo= wakes that took
//                   the waker's LIFO slot (the rest went to its run queue), ipis= sleeping harts
//                   woken, and stolen= / rescued= tasks other harts stole meanwhile from run
//                   queues / from a busy hart's LIFO slot.
#include <arch/cpu.h>
#include <async/async.h>
#include <async/time.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/console/console.h>
#include <kernel/ktest/ktest.h>
#include <kernel/sched/executor.h>

namespace {

constexpr u32 kRuns = 5;            // spawn_complete and yield: the median of these runs
constexpr u32 kSpawnTasks = 20000;  // QEMU runs the guest some 10 to 50 times slower than a host
constexpr u32 kYields = 20000;
constexpr u32 kWakes = 200;                    // cross_hart_wake samples
constexpr u64 kWakeGiveUpNs = 100'000'000ull;  // a wake not served by then counts as lost

void sort(u64* v, u32 n) {
  for (u32 i = 1; i < n; ++i) {
    for (u32 j = i; j > 0 && v[j - 1] > v[j]; --j) {
      u64 t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  }
}

// One line: the median (and the spread) of `n` sorted samples, in ns per operation.
void report(const char* workload, u32 ops, u64* ns, u32 n, support::StringView extra = "") {
  sort(ns, n);
  console::print(
      "bench: executor.{} harts={} n={} median_ns={} min_ns={} p10_ns={} p90_ns={} max_ns={} "
      "samples={}{}\n",
      workload, smp::cpu_count(), ops, ns[n / 2], ns[0], ns[n / 10], ns[(n * 9) / 10], ns[n - 1], n,
      extra);
}

u32 g_left = 0;  // spawn_complete: tasks not yet finished
async::BasicWaitQueue<> g_finished;

async::Task<void> empty() {
  if (__atomic_sub_fetch(&g_left, 1, __ATOMIC_ACQ_REL) == 0) g_finished.notify_all();
  co_return;
}

async::Task<void> spawn_complete(ktest::Context& kt) {
  auto& executor = sched::executor();
  u64 ns[kRuns];
  for (u32 run = 0; run < kRuns; ++run) {
    __atomic_store_n(&g_left, kSpawnTasks, __ATOMIC_RELAXED);
    u64 t0 = ktime::now_ns();
    for (u32 i = 0; i < kSpawnTasks; ++i) {
      CO_KASSERT(executor.try_spawn_detached(empty()).is_ok());
    }
    co_await g_finished.wait_until([] { return __atomic_load_n(&g_left, __ATOMIC_ACQUIRE) == 0; });
    ns[run] = (ktime::now_ns() - t0) / kSpawnTasks;
  }
  report("spawn_complete", kSpawnTasks, ns, kRuns);
}

async::Task<void> yielder() {
  for (u32 i = 0; i < kYields; ++i) co_await async::yield_now();
}

async::Task<void> yield_round_trips(ktest::Context& kt) {
  auto& executor = sched::executor();
  u64 ns[kRuns];
  for (u32 run = 0; run < kRuns; ++run) {
    u64 t0 = ktime::now_ns();
    auto handle = executor.try_spawn(yielder());
    CO_KASSERT(handle.is_ok());
    CO_KASSERT((co_await handle.value()).is_ok());
    ns[run] = (ktime::now_ns() - t0) / kYields;
  }
  report("yield", kYields, ns, kRuns);
}

// cross_hart_wake: one round's two sleepers and what they saw.
struct WakeRound {
  async::BasicWaitQueue<> queue;
  u32 go = 0;       // set, then queue.notify_all()
  u32 parked = 0;   // sleepers about to wait
  u64 woke_ns = 0;  // when the first sleeper ran (0: none yet)
  u32 woke_on = 0;  // on which hart
  u32 done = 0;     // sleepers finished
};

async::Task<void> sleeper(WakeRound* round) {
  __atomic_add_fetch(&round->parked, 1, __ATOMIC_ACQ_REL);
  co_await round->queue.wait_until(
      [round] { return __atomic_load_n(&round->go, __ATOMIC_ACQUIRE); });
  u64 expected = 0;
  u64 now = ktime::now_ns();
  if (__atomic_compare_exchange_n(&round->woke_ns, &expected, now, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE)) {
    __atomic_store_n(&round->woke_on, arch::this_cpu().id, __ATOMIC_RELEASE);
  }
  __atomic_add_fetch(&round->done, 1, __ATOMIC_ACQ_REL);
}

// What the rounds' wakes did (executor counters around notify_all, summed).
struct WakeCounts {
  u64 lifo = 0, ipis = 0, stolen = 0, rescued = 0;
};

// One sample: ns from the wake to the first sleeper running, or 0 when none ran in time (or one
// ran on the waker's own hart, which a spinning waker rules out: counted as lost all the same).
async::Task<u64> wake_once(ktest::Context& kt, WakeCounts& counts) {
  WakeRound round;
  for (u32 i = 0; i < 2; ++i) {
    auto handle = sched::executor().try_spawn(sleeper(&round));
    if (handle.is_error()) co_return 0;
    handle.value().detach();
  }
  while (__atomic_load_n(&round.parked, __ATOMIC_ACQUIRE) < 2) co_await async::yield_now();
  // Lets both sleepers park and the other harts fall asleep in wfi.
  co_await async::sleep(async::milliseconds(1));
  u32 waker = arch::this_cpu().id;
  async::Counters before = sched::executor().counters();
  u64 t0 = ktime::now_ns();
  __atomic_store_n(&round.go, 1, __ATOMIC_RELEASE);
  round.queue.notify_all();
  async::Counters after = sched::executor().counters();
  counts.lifo += after.lifo - before.lifo;
  counts.ipis += after.wakeups - before.wakeups;
  // Keeps this hart busy (no co_await): a sleeper can only run on another hart.
  u64 woke = 0;
  for (u32 spins = 1; (woke = __atomic_load_n(&round.woke_ns, __ATOMIC_ACQUIRE)) == 0; ++spins) {
    // Reading the clock is an exit from QEMU's translated code: only every 4096 turns.
    if (spins % 4096 == 0 && ktime::now_ns() - t0 >= kWakeGiveUpNs) break;
  }
  async::Counters end = sched::executor().counters();
  counts.stolen += end.stolen - after.stolen;
  counts.rescued += end.lifo_stolen - after.lifo_stolen;
  while (__atomic_load_n(&round.done, __ATOMIC_ACQUIRE) < 2) co_await async::yield_now();
  bool crossed = woke != 0 && __atomic_load_n(&round.woke_on, __ATOMIC_ACQUIRE) != waker;
  co_return crossed ? (woke > t0 ? woke - t0 : 1) : 0;
}

async::Task<void> cross_hart_wake(ktest::Context& kt) {
  if (smp::cpu_count() < 2) {
    console::print("bench: executor.cross_hart_wake harts=1 skipped: needs two harts\n");
    co_return;
  }
  u64 ns[kWakes];
  u32 samples = 0, lost = 0;
  WakeCounts counts;
  for (u32 i = 0; i < kWakes; ++i) {
    u64 sample = co_await wake_once(kt, counts);
    if (sample == 0) {
      ++lost;
    } else {
      ns[samples++] = sample;
    }
  }
  CO_KASSERT(samples > 0);
  char extra[96];
  report("cross_hart_wake", 1, ns, samples,
         support::format_to_buffer(extra, sizeof extra,
                                   " lost={} lifo={} ipis={} stolen={} rescued={}", lost,
                                   counts.lifo, counts.ipis, counts.stolen, counts.rescued));
}

KTEST_ASYNC_MANUAL(bench, executor) {
  console::print("\nbench: executor, {} harts\n", smp::cpu_count());
  co_await spawn_complete(kt);
  co_await yield_round_trips(kt);
  co_await cross_hart_wake(kt);
}

}  // namespace

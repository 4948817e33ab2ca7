// Executor throughput and latency on the host, with 1 and 2 workers. Figures, not tests.
// Each iteration runs `n` operations; the figure is ns per operation (real time).
//   warden_spawn_complete: spawn+complete of n empty tasks from outside (ns per task), spawned
//     detached (try_spawn_detached: nobody joins them, as Asio posts its handlers and as tokio
//     drops its JoinHandles; the chained spawn below too)
//   warden_spawn_complete_inside: the same, spawned by one task on a worker
//   warden_chained_spawn: each task spawns the next (ns per task)
//   warden_yield: one yield_now() round trip
//   warden_ping_pong: a value to another task and back over two channels (ns per round trip)
// asio_reference.cc runs the same workloads on Boost.Asio's thread_pool (asio_*) when the Boost
// headers are found; tools/x.d/async.sh (bench_executor) prints both side by side.
#include <async/async.h>
#include <async/host_platform.h>
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "workloads.h"

#if WARDEN_BENCH_ASIO
const char* asio_reference_version();  // asio_reference.cc
#endif

namespace {

using async::Executor;
using async::HostPlatform;
using async::Task;
using async::WorkerThreads;
using bench::Completion;
using bench::operations;
using bench::time_rounds;
using bench::workers;

template <typename T> async::JoinHandle<T> must_spawn(Executor& executor, Task<T> task) {
  auto handle = executor.try_spawn(std::move(task));
  if (handle.is_error()) std::abort();
  return handle.release_value();
}

// A task nobody joins (Asio's post, tokio's spawn with its JoinHandle dropped).
template <typename T> void must_spawn_detached(Executor& executor, Task<T> task) {
  if (executor.try_spawn_detached(std::move(task)).is_error()) std::abort();
}

// An executor with workers(state) worker threads, for one benchmark.
struct Pool {
  explicit Pool(const benchmark::State& state)
      : executor(platform, workers(state)), threads(executor, workers(state)) {}
  HostPlatform platform;
  Executor executor;
  WorkerThreads threads;
};

Task<void> empty(Completion* done) {
  done->arrive();
  co_return;
}

void warden_spawn_complete(benchmark::State& state) {
  Pool pool(state);
  Executor& executor = pool.executor;
  Completion done;
  time_rounds(state, done, operations(state), [&] {
    for (u64 i = 0; i < operations(state); ++i) must_spawn_detached(executor, empty(&done));
  });
}
BENCH_WORKLOAD(warden_spawn_complete, bench::kSpawnTasks);

Task<void> spawn_many(u64 count, Completion* done) {
  Executor& executor = co_await async::current_executor();
  for (u64 i = 0; i < count; ++i) must_spawn_detached(executor, empty(done));
}

void warden_spawn_complete_inside(benchmark::State& state) {
  Pool pool(state);
  Executor& executor = pool.executor;
  Completion done;
  time_rounds(state, done, operations(state),
              [&] { must_spawn_detached(executor, spawn_many(operations(state), &done)); });
}
BENCH_WORKLOAD(warden_spawn_complete_inside, bench::kSpawnTasks);

Task<void> chain(u64 left, Completion* done) {
  if (left == 0) {
    done->arrive();
    co_return;
  }
  Executor& executor = co_await async::current_executor();
  must_spawn_detached(executor, chain(left - 1, done));
}

void warden_chained_spawn(benchmark::State& state) {
  Pool pool(state);
  Executor& executor = pool.executor;
  Completion done;
  time_rounds(state, done, 1,
              [&] { must_spawn_detached(executor, chain(operations(state), &done)); });
}
BENCH_WORKLOAD(warden_chained_spawn, bench::kChainLength);

Task<void> yielder(u64 count) {
  for (u64 i = 0; i < count; ++i) co_await async::yield_now();
}

void warden_yield(benchmark::State& state) {
  Pool pool(state);
  Executor& executor = pool.executor;
  for (auto _ : state) {
    auto handle = must_spawn(executor, yielder(operations(state)));
    (void)async::block_on(handle);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * operations(state)));
}
BENCH_WORKLOAD(warden_yield, bench::kYields);

Task<void> pinger(async::Channel<u64, 1>* ping, async::Channel<u64, 1>* pong, u64 rounds) {
  for (u64 i = 0; i < rounds; ++i) {
    (void)co_await ping->send(i);
    (void)co_await pong->recv();
  }
}

Task<void> ponger(async::Channel<u64, 1>* ping, async::Channel<u64, 1>* pong) {
  for (;;) {
    auto value = co_await ping->recv();
    if (value.is_error()) co_return;
    (void)co_await pong->send(value.value());
  }
}

void warden_ping_pong(benchmark::State& state) {
  Pool pool(state);
  Executor& executor = pool.executor;
  async::Channel<u64, 1> ping, pong;
  auto echo = must_spawn(executor, ponger(&ping, &pong));
  for (auto _ : state) {
    auto handle = must_spawn(executor, pinger(&ping, &pong, operations(state)));
    (void)async::block_on(handle);
  }
  ping.close();
  (void)async::block_on(echo);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * operations(state)));
}
BENCH_WORKLOAD(warden_ping_pong, bench::kPingPongRounds);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#if WARDEN_BENCH_ASIO
  benchmark::AddCustomContext("asio_reference", asio_reference_version());
#else
  std::fprintf(stderr, "Boost.Asio not installed: reference skipped\n");
  benchmark::AddCustomContext("asio_reference", "not installed");
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

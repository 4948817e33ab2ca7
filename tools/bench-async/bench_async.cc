// Executor throughput and latency on the host, with 1 and 2 workers. Figures, not tests.
//   spawn_complete: spawn+complete of empty tasks from outside (ns per task)
//   spawn_complete_inside: the same, spawned from a task on a worker
//   chained_spawn: each task spawns the next
//   yield: one yield_now() round trip
//   ping_pong: a value to another task and back over two channels
#include <async/async.h>
#include <async/host_platform.h>
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>

namespace {

using async::Executor;
using async::HostPlatform;
using async::Task;
using async::WorkerThreads;

template <typename T> async::JoinHandle<T> must_spawn(Executor& executor, Task<T> task) {
  auto handle = executor.try_spawn(std::move(task));
  if (handle.is_error()) std::abort();
  return handle.release_value();
}

Task<void> empty(std::atomic<u64>* done) {
  done->fetch_add(1, std::memory_order_relaxed);
  co_return;
}

void spawn_complete(benchmark::State& state) {
  constexpr u64 kBatch = 10'000;
  HostPlatform platform;
  Executor executor(platform, static_cast<u32>(state.range(0)));
  WorkerThreads threads(executor, static_cast<u32>(state.range(0)));
  std::atomic<u64> done{0};
  u64 target = 0;
  for (auto _ : state) {
    for (u64 i = 0; i < kBatch; ++i) must_spawn(executor, empty(&done)).detach();
    target += kBatch;
    while (done.load() < target) {
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(target));
}
BENCHMARK(spawn_complete)->Arg(1)->Arg(2)->UseRealTime();

Task<void> spawn_many(u64 count, std::atomic<u64>* done) {
  Executor& executor = co_await async::current_executor();
  for (u64 i = 0; i < count; ++i) must_spawn(executor, empty(done)).detach();
}

void spawn_complete_inside(benchmark::State& state) {
  constexpr u64 kBatch = 10'000;
  HostPlatform platform;
  Executor executor(platform, static_cast<u32>(state.range(0)));
  WorkerThreads threads(executor, static_cast<u32>(state.range(0)));
  std::atomic<u64> done{0};
  u64 target = 0;
  for (auto _ : state) {
    must_spawn(executor, spawn_many(kBatch, &done)).detach();
    target += kBatch;
    while (done.load() < target) {
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(target));
}
BENCHMARK(spawn_complete_inside)->Arg(1)->Arg(2)->UseRealTime();

Task<void> chain(u64 left, std::atomic<u64>* done) {
  if (left == 0) {
    done->fetch_add(1);
    co_return;
  }
  Executor& executor = co_await async::current_executor();
  must_spawn(executor, chain(left - 1, done)).detach();
}

void chained_spawn(benchmark::State& state) {
  constexpr u64 kLength = 10'000;
  HostPlatform platform;
  Executor executor(platform, static_cast<u32>(state.range(0)));
  WorkerThreads threads(executor, static_cast<u32>(state.range(0)));
  std::atomic<u64> done{0};
  u64 rounds = 0;
  for (auto _ : state) {
    must_spawn(executor, chain(kLength, &done)).detach();
    ++rounds;
    while (done.load() < rounds) {
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(rounds * kLength));
}
BENCHMARK(chained_spawn)->Arg(1)->Arg(2)->UseRealTime();

Task<void> yielder(u64 count) {
  for (u64 i = 0; i < count; ++i) co_await async::yield_now();
}

void yield(benchmark::State& state) {
  constexpr u64 kYields = 100'000;
  HostPlatform platform;
  Executor executor(platform, static_cast<u32>(state.range(0)));
  WorkerThreads threads(executor, static_cast<u32>(state.range(0)));
  for (auto _ : state) {
    auto handle = must_spawn(executor, yielder(kYields));
    (void)async::block_on(handle);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kYields));
}
BENCHMARK(yield)->Arg(1)->Arg(2)->UseRealTime();

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

void ping_pong(benchmark::State& state) {
  constexpr u64 kRounds = 20'000;
  HostPlatform platform;
  Executor executor(platform, static_cast<u32>(state.range(0)));
  WorkerThreads threads(executor, static_cast<u32>(state.range(0)));
  async::Channel<u64, 1> ping, pong;
  auto echo = must_spawn(executor, ponger(&ping, &pong));
  for (auto _ : state) {
    auto handle = must_spawn(executor, pinger(&ping, &pong, kRounds));
    (void)async::block_on(handle);
  }
  ping.close();
  (void)async::block_on(echo);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRounds));
}
BENCHMARK(ping_pong)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

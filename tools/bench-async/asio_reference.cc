// The reference for the executor benchmark: the same workloads as bench_async.cc on Boost.Asio's
// thread_pool (header-only Asio, Debian libboost-dev), posting handlers instead of spawning
// tasks. Built into bench_async only when the Boost headers are found (CMakeLists.txt).
//   asio_spawn_complete: post n empty handlers from outside the pool and wait
//   asio_spawn_complete_inside: one handler on the pool posts the n handlers
//   asio_chained_spawn: each handler posts the next
//   asio_yield: one handler that re-posts itself n times
//   asio_ping_pong: two strands (the two parties) posting to each other; a round trip is
//     A -> B -> A
#include <benchmark/benchmark.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/version.hpp>
#include <cstdint>

#include "workloads.h"

const char* asio_reference_version() { return "Boost.Asio " BOOST_LIB_VERSION " thread_pool"; }

namespace {

using bench::Completion;
using bench::operations;
using bench::time_rounds;
using bench::workers;
using boost::asio::thread_pool;
using Strand = boost::asio::strand<thread_pool::executor_type>;

void asio_spawn_complete(benchmark::State& state) {
  thread_pool pool(workers(state));
  Completion done;
  time_rounds(state, done, operations(state), [&] {
    for (std::uint64_t i = 0; i < operations(state); ++i) {
      boost::asio::post(pool, [&done] { done.arrive(); });
    }
  });
  pool.join();
}
BENCH_WORKLOAD(asio_spawn_complete, bench::kSpawnTasks);

void asio_spawn_complete_inside(benchmark::State& state) {
  thread_pool pool(workers(state));
  Completion done;
  time_rounds(state, done, operations(state), [&] {
    boost::asio::post(pool, [&pool, &done, count = operations(state)] {
      for (std::uint64_t i = 0; i < count; ++i) {
        boost::asio::post(pool, [&done] { done.arrive(); });
      }
    });
  });
  pool.join();
}
BENCH_WORKLOAD(asio_spawn_complete_inside, bench::kSpawnTasks);

// A handler that posts itself again until `left` runs out, then arrives. It serves both the chain
// (a new handler per link, like a new task per link) and the yield (the same handler put back
// onto the queue, Asio's closest thing to yield_now()): Asio posts a copy either way.
struct Repost {
  thread_pool* pool;
  std::uint64_t left;
  Completion* done;
  void operator()() const {
    if (left == 0) {
      done->arrive();
      return;
    }
    boost::asio::post(*pool, Repost{pool, left - 1, done});
  }
};

void asio_chained_spawn(benchmark::State& state) {
  thread_pool pool(workers(state));
  Completion done;
  time_rounds(state, done, 1,
              [&] { boost::asio::post(pool, Repost{&pool, operations(state), &done}); });
  pool.join();
}
BENCH_WORKLOAD(asio_chained_spawn, bench::kChainLength);

// In Asio a yield is a re-post: the chain's workload, with its own count.
void asio_yield(benchmark::State& state) { asio_chained_spawn(state); }
BENCH_WORKLOAD(asio_yield, bench::kYields);

// Two parties, each a strand (serialised like a task); A posts to B, B posts back to A.
struct Rally {
  Strand a;
  Strand b;
  std::uint64_t left;
  Completion* done;
};

void pong(Rally* rally);

void ping(Rally* rally) {
  if (rally->left == 0) {
    rally->done->arrive();
    return;
  }
  --rally->left;
  boost::asio::post(rally->b, [rally] { pong(rally); });
}

void pong(Rally* rally) {
  boost::asio::post(rally->a, [rally] { ping(rally); });
}

void asio_ping_pong(benchmark::State& state) {
  thread_pool pool(workers(state));
  Completion done;
  Rally rally{boost::asio::make_strand(pool), boost::asio::make_strand(pool), 0, &done};
  time_rounds(state, done, 1, [&] {
    rally.left = operations(state);
    boost::asio::post(rally.a, [&rally] { ping(&rally); });
  });
  pool.join();
}
BENCH_WORKLOAD(asio_ping_pong, bench::kPingPongRounds);

}  // namespace

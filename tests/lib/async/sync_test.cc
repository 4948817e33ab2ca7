// Wait queue, semaphore, mutex, channels.
#include "async_test_util.h"

#include <vector>

namespace async_test {
namespace {

using async::Channel;
using async::Mutex;
using async::Oneshot;
using async::Semaphore;
using async::WaitQueue;

Task<void> locked_increments(Mutex* mutex, int* counter, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    async::MutexGuard guard = co_await mutex->lock();
    int seen = *counter;
    co_await async::yield_now();  // hold the lock across a suspension: others must wait
    *counter = seen + 1;
  }
}

TEST(Mutex, serialises_critical_sections_across_workers) {
  const int tasks = 16;
  const int rounds = kUnderTsan ? 50 : 200;
  HostPlatform platform;
  Executor executor(platform, 4);
  WorkerThreads threads(executor, 4);
  Mutex mutex;
  int counter = 0;
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < tasks; ++i)
    handles.push_back(spawn(executor, locked_increments(&mutex, &counter, rounds)));
  for (auto& handle : handles) ASSERT_TRUE(async::block_on(handle).is_ok());
  threads.stop();
  EXPECT_EQ(counter, tasks * rounds);
  EXPECT_FALSE(mutex.is_locked());
}

Task<void> hold_and_wait(Mutex* mutex, async::WaitQueue* release, std::atomic<int>* holding) {
  auto guard = co_await mutex->lock();
  holding->store(1);
  co_await release->wait();
}

Task<void> lock_once(Mutex* mutex, std::atomic<int>* got) {
  auto guard = co_await mutex->lock();
  got->fetch_add(1);
}

TEST(Mutex, a_cancelled_holder_releases_the_lock_to_the_next_waiter) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  Mutex mutex;
  WaitQueue never;
  std::atomic<int> holding{0}, got{0};
  auto holder = spawn(executor, hold_and_wait(&mutex, &never, &holding));
  wait_for([&] { return holding.load() == 1; });
  auto waiter = spawn(executor, lock_once(&mutex, &got));
  holder.cancel();
  EXPECT_EQ(async::block_on(holder).error(), Error::Cancelled);
  ASSERT_TRUE(async::block_on(waiter).is_ok());
  EXPECT_EQ(got.load(), 1);
}

Task<void> bounded(Semaphore* semaphore, std::atomic<int>* inside, std::atomic<int>* peak) {
  co_await semaphore->acquire();
  int now = inside->fetch_add(1) + 1;
  int seen = peak->load();
  while (now > seen && !peak->compare_exchange_weak(seen, now)) {
  }
  co_await async::yield_now();
  inside->fetch_sub(1);
  semaphore->release();
}

TEST(Semaphore, never_admits_more_than_its_permits) {
  HostPlatform platform;
  Executor executor(platform, 4);
  WorkerThreads threads(executor, 4);
  Semaphore semaphore(3);
  std::atomic<int> inside{0}, peak{0};
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < 200; ++i)
    handles.push_back(spawn(executor, bounded(&semaphore, &inside, &peak)));
  for (auto& handle : handles) ASSERT_TRUE(async::block_on(handle).is_ok());
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 1);
  EXPECT_EQ(semaphore.available(), 3u);
}

Task<void> acquire_then_mark(Semaphore* semaphore, std::atomic<int>* got) {
  co_await semaphore->acquire();
  got->fetch_add(1);
}

TEST(Semaphore, a_woken_but_cancelled_waiter_passes_the_permit_on) {
  HostPlatform platform;
  Executor executor(platform, 1);
  Semaphore semaphore(0);
  std::atomic<int> got{0};
  platform.set_current_worker(0);
  auto first = spawn(executor, acquire_then_mark(&semaphore, &got));
  auto second = spawn(executor, acquire_then_mark(&semaphore, &got));
  executor.tick(0);     // both wait, first in line first
  semaphore.release();  // wakes `first`...
  first.cancel();       // ...which is cancelled before it can take the permit
  executor.tick(0);
  executor.tick(0);
  platform.set_current_worker(async::kNoWorker);
  ASSERT_TRUE(first.is_finished());
  EXPECT_EQ(first.take_result().error(), Error::Cancelled);
  ASSERT_TRUE(second.is_finished());
  EXPECT_TRUE(second.take_result().is_ok());
  EXPECT_EQ(got.load(), 1);
}

Task<void> wait_for_flag(WaitQueue* queue, bool* flag, std::atomic<int>* woken) {
  co_await queue->wait_until([flag] { return *flag; });
  woken->fetch_add(1);
}

TEST(WaitQueue, wait_until_resumes_only_when_the_condition_holds) {
  HostPlatform platform;
  Executor executor(platform, 1);
  WaitQueue queue;
  bool flag = false;  // read under the queue's lock; written on this thread, which also ticks
  std::atomic<int> woken{0};
  platform.set_current_worker(0);
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < 3; ++i)
    handles.push_back(spawn(executor, wait_for_flag(&queue, &flag, &woken)));
  executor.tick(0);
  EXPECT_EQ(queue.waiting(), 3u);
  queue.notify_all();  // condition still false: they wait again
  executor.tick(0);
  EXPECT_EQ(woken.load(), 0);
  EXPECT_EQ(queue.waiting(), 3u);
  flag = true;
  queue.notify_one();
  executor.tick(0);
  EXPECT_EQ(woken.load(), 1);
  queue.notify_all();
  executor.tick(0);
  EXPECT_EQ(woken.load(), 3);
  platform.set_current_worker(async::kNoWorker);
}

Task<void> wait_once(WaitQueue* queue, std::atomic<int>* woken) {
  co_await queue->wait();
  woken->fetch_add(1);
}

TEST(WaitQueue, notify_one_wakes_exactly_one_waiter_in_order) {
  HostPlatform platform;
  Executor executor(platform, 1);
  WaitQueue queue;
  std::atomic<int> woken{0};
  platform.set_current_worker(0);
  auto a = spawn(executor, wait_once(&queue, &woken));
  auto b = spawn(executor, wait_once(&queue, &woken));
  executor.tick(0);
  queue.notify_one();
  executor.tick(0);
  EXPECT_EQ(woken.load(), 1);
  EXPECT_TRUE(a.is_finished());
  EXPECT_FALSE(b.is_finished());
  queue.notify_one();
  executor.tick(0);
  EXPECT_TRUE(b.is_finished());
  platform.set_current_worker(async::kNoWorker);
}

Task<void> produce(Channel<int, 4>* channel, int base, int count) {
  for (int i = 0; i < count; ++i) {
    auto sent = co_await channel->send(base + i);
    if (sent.is_error()) std::abort();
  }
}

Task<void> consume(Channel<int, 4>* channel, std::vector<int>* got) {
  for (;;) {
    auto value = co_await channel->recv();
    if (value.is_error()) break;  // closed and drained
    got->push_back(value.value());
  }
}

TEST(Channel, delivers_every_value_once_and_in_order_per_sender) {
  constexpr int kSenders = 4;
  const int per_sender = kUnderTsan ? 500 : 5000;
  HostPlatform platform;
  Executor executor(platform, 4);
  WorkerThreads threads(executor, 4);
  Channel<int, 4> channel;
  std::vector<int> got[2];
  auto consumer_a = spawn(executor, consume(&channel, &got[0]));
  auto consumer_b = spawn(executor, consume(&channel, &got[1]));
  std::vector<JoinHandle<void>> producers;
  for (int s = 0; s < kSenders; ++s)
    producers.push_back(spawn(executor, produce(&channel, s * 1'000'000, per_sender)));
  for (auto& producer : producers) ASSERT_TRUE(async::block_on(producer).is_ok());
  channel.close();
  ASSERT_TRUE(async::block_on(consumer_a).is_ok());
  ASSERT_TRUE(async::block_on(consumer_b).is_ok());
  std::vector<int> seen(kSenders * per_sender, 0);
  for (auto& list : got) {
    int last[kSenders] = {-1, -1, -1, -1};
    for (int value : list) {
      int sender = value / 1'000'000, index = value % 1'000'000;
      EXPECT_GT(index, last[sender]);  // each consumer sees a sender's values in order
      last[sender] = index;
      seen[sender * per_sender + index]++;
    }
  }
  for (int count : seen) ASSERT_EQ(count, 1);
}

Task<int> ping_pong(Channel<int, 1>* ping, Channel<int, 1>* pong, int rounds) {
  int total = 0;
  for (int i = 0; i < rounds; ++i) {
    (void)co_await ping->send(i);
    auto back = co_await pong->recv();
    total += back.value();
  }
  co_return total;
}

Task<void> echo(Channel<int, 1>* ping, Channel<int, 1>* pong) {
  for (;;) {
    auto value = co_await ping->recv();
    if (value.is_error()) co_return;
    (void)co_await pong->send(value.value() + 1);
  }
}

TEST(Channel, ping_pong_between_two_tasks) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  Channel<int, 1> ping, pong;
  auto echoer = spawn(executor, echo(&ping, &pong));
  auto player = spawn(executor, ping_pong(&ping, &pong, 1000));
  auto total = async::block_on(player);
  ASSERT_TRUE(total.is_ok());
  EXPECT_EQ(total.value(), 1000 * 999 / 2 + 1000);
  ping.close();
  ASSERT_TRUE(async::block_on(echoer).is_ok());
}

Task<void> send_one(Channel<int, 1>* channel, int value, std::atomic<int>* sent) {
  auto result = co_await channel->send(value);
  if (result.is_ok()) sent->fetch_add(1);
}

TEST(Channel, close_wakes_blocked_senders_with_closed) {
  HostPlatform platform;
  Executor executor(platform, 1);
  Channel<int, 1> channel;
  std::atomic<int> sent{0};
  platform.set_current_worker(0);
  auto first = spawn(executor, send_one(&channel, 1, &sent));
  auto second = spawn(executor, send_one(&channel, 2, &sent));
  executor.tick(0);
  EXPECT_EQ(sent.load(), 1);
  EXPECT_FALSE(second.is_finished());
  channel.close();
  executor.tick(0);
  EXPECT_TRUE(second.is_finished());
  EXPECT_EQ(sent.load(), 1);
  EXPECT_EQ(channel.try_recv().value_or(-1), 1);  // queued values survive the close
  platform.set_current_worker(async::kNoWorker);
}

Task<int> receive_oneshot(Oneshot<int>* oneshot) {
  auto value = co_await oneshot->recv();
  co_return value.is_ok() ? value.value() : -1;
}

TEST(Oneshot, hands_one_value_across_threads_and_reports_closed) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  Oneshot<int> oneshot;
  auto receiver = spawn(executor, receive_oneshot(&oneshot));
  ASSERT_TRUE(oneshot.send(99).is_ok());
  EXPECT_EQ(oneshot.send(100).error(), Error::Closed);
  EXPECT_EQ(async::block_on(receiver).value(), 99);

  Oneshot<int> closed;
  auto orphan = spawn(executor, receive_oneshot(&closed));
  closed.close();
  EXPECT_EQ(async::block_on(orphan).value(), -1);
}

}  // namespace
}  // namespace async_test

// Reads and writes copy in steps of kCopyStep bytes with the lock released between them (issue
// 12, finding 4: a large transfer held the file system's one lock for the whole copy). Each test
// makes another thread wait for the lock while a large transfer runs, and checks that the other
// operation got in between two steps, and that the transfer's result is still whole: appends
// never overlap, a truncate between steps leaves no stale bytes, the quota comes back to zero.
// The order is arranged through the clock, which the file system calls with the lock held.
#include <fs/file_system.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fs_test_util.h"

namespace {

using fs::CreateMode;
using fs::NodeRef;
using fs_test::bytes;

// The clock, called under the lock: in the transfer's thread it first waits until the other
// thread waits for the lock, so that the other operation is due while the transfer runs.
struct Rendezvous {
  fs::FileSystem* fs = nullptr;
  std::atomic<bool> armed{false};
  std::atomic<u64> now{1000};
  static inline thread_local bool transfer_thread = false;

  static u64 read(void* self) {
    auto* r = static_cast<Rendezvous*>(self);
    if (transfer_thread && r->armed.exchange(false)) {
      while (r->fs->waiters() == 0) std::this_thread::yield();
    }
    return r->now.fetch_add(1);
  }
};

constexpr usize kBig = 16 << 20;  // 256 steps
// The transfer waits for the waiting thread to get the lock however long the host's scheduler
// keeps it off a CPU (a loaded test machine), so the order the tests check never depends on time.
constexpr u64 kForever = ~u64{0};

// A file system whose clock is a Rendezvous, and transfers started so that the next operation
// gets in between two of their steps.
struct SteppedFs {
  Rendezvous clock;
  fs::FileSystem fs{1ull << 30, &Rendezvous::read, &clock};
  SteppedFs() {
    clock.fs = &fs;
    fs.set_step_patience(kForever);
  }
  // Runs `transfer` in a thread of its own and returns once it holds the lock at its commit
  // point: the caller's next operation waits for the lock and gets it between two steps.
  std::thread start(std::function<void()> transfer) {
    clock.armed = true;
    std::thread thread([transfer = std::move(transfer)] {
      Rendezvous::transfer_thread = true;
      transfer();
    });
    while (clock.armed.load()) std::this_thread::yield();
    return thread;
  }
  // start()s writing `data` at offset 0 of `file`; sets `wrote` when the write has succeeded.
  std::thread start_write(const NodeRef& file, const std::string& data) {
    return start([this, &file, &data] {
      EXPECT_TRUE(fs.write(file, 0, bytes(data)).is_ok());
      wrote = true;
    });
  }
  std::atomic<bool> wrote{false};
};

std::string pattern(usize size, u32 seed) {
  std::string s(size, '\0');
  for (usize i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

TEST(Steps, AWriteLetsAnotherOperationInBetweenItsSteps) {
  SteppedFs stepped;
  fs::FileSystem& fs = stepped.fs;
  NodeRef file = fs.create_file(fs.root(), "big", CreateMode::Exclusive).release_value();
  std::string data = pattern(kBig, 1);
  // Once the writer holds the lock at its commit point, waits for it: the clock holds the writer
  // until this thread waits, and the writer lets it in before its next step.
  std::thread writer = stepped.start_write(file, data);
  u8 last = 0xff;
  auto got = fs.read(file, kBig - 1, support::Span<u8>(&last, 1));
  writer.join();
  // The write had taken its whole range (the file's size) and not yet copied its last byte: a
  // write done in one hold of the lock would show either no byte there or the written one.
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got.value(), 1u);
  EXPECT_EQ(last, 0);
  EXPECT_TRUE(stepped.wrote.load());
  EXPECT_EQ(fs_test::read_string(fs, file, 0, kBig), data);
}

TEST(Steps, AReadLetsAnotherOperationInBetweenItsSteps) {
  SteppedFs stepped;
  fs::FileSystem& fs = stepped.fs;
  NodeRef file = fs.create_file(fs.root(), "big", CreateMode::Exclusive).release_value();
  std::string data = pattern(kBig, 2);
  ASSERT_TRUE(fs.write(file, 0, bytes(data)).is_ok());
  std::string out(kBig, '\0');
  std::atomic<bool> read_done{false};
  std::thread reader = stepped.start([&] {
    auto got = fs.read(file, 0, support::Span<u8>(reinterpret_cast<u8*>(out.data()), kBig));
    EXPECT_TRUE(got.is_ok() && got.value() == kBig);
    read_done = true;
  });
  // Overwrites the last bytes while the reader is between steps: it reads the new bytes, which
  // a read done in one hold of the lock (before this write) could not have seen.
  std::string tail(16, '#');
  ASSERT_TRUE(fs.write(file, kBig - tail.size(), bytes(tail)).is_ok());
  reader.join();
  EXPECT_TRUE(read_done.load());
  EXPECT_EQ(out.substr(0, kBig - tail.size()), data.substr(0, kBig - tail.size()));
  EXPECT_EQ(out.substr(kBig - tail.size()), tail);
}

TEST(Steps, ATruncateBetweenStepsCutsTheWriteOffAndLeavesNoStaleBytes) {
  SteppedFs stepped;
  fs::FileSystem& fs = stepped.fs;
  NodeRef file = fs.create_file(fs.root(), "cut", CreateMode::Exclusive).release_value();
  std::string data = pattern(kBig, 3);
  std::thread writer = stepped.start_write(file, data);
  ASSERT_TRUE(fs.truncate(file, 100).is_ok());
  writer.join();
  EXPECT_TRUE(stepped.wrote.load());
  // As if the truncate came after the write: 100 bytes of it, and zeros when the file grows.
  EXPECT_EQ(fs.stat(file).size, 100u);
  ASSERT_TRUE(fs.truncate(file, 3 * fs::kChunkSize).is_ok());
  std::string after = fs_test::read_string(fs, file, 0, 3 * fs::kChunkSize);
  EXPECT_EQ(after.substr(0, 100), data.substr(0, 100));
  EXPECT_EQ(after.substr(100), std::string(3 * fs::kChunkSize - 100, '\0'));
  file.reset();
  ASSERT_TRUE(fs.unlink(fs.root(), "cut").is_ok());
  EXPECT_EQ(fs.used(), 0u);
}

// After a truncate between its steps, a write that finds the file grown again (by another write)
// copies its own bytes at their own offsets: what it skipped does not shift the rest.
TEST(Steps, AWriteCutOffAndGrownAgainKeepsItsBytesInPlace) {
  SteppedFs stepped;
  fs::FileSystem& fs = stepped.fs;
  NodeRef file = fs.create_file(fs.root(), "regrown", CreateMode::Exclusive).release_value();
  std::string data = pattern(kBig, 4);
  std::thread writer = stepped.start_write(file, data);
  ASSERT_TRUE(fs.truncate(file, 100).is_ok());
  // Until the writer has copied a step while the file was 100 bytes long (the rest of it cut).
  for (u8 first = 0; first != static_cast<u8>(data[0]);) {
    ASSERT_TRUE(fs.read(file, 0, support::Span<u8>(&first, 1)).is_ok());
  }
  std::string marks(16, '#');
  ASSERT_TRUE(fs.write(file, kBig / 2, bytes(marks)).is_ok());
  writer.join();
  EXPECT_EQ(fs.stat(file).size, kBig / 2 + marks.size());
  // The writer's step over kBig / 2 came before the marks (it copied nothing there: past the size
  // then), or after them: its own bytes, in their place; never bytes from elsewhere in `data`.
  std::string there = fs_test::read_string(fs, file, kBig / 2, marks.size());
  EXPECT_TRUE(there == marks || there == data.substr(kBig / 2, 16)) << there;
  EXPECT_EQ(fs_test::read_string(fs, file, 0, 100), data.substr(0, 100));
}

// Gathered appends (O_APPEND's writev) of parts that span several steps, from two threads: each
// lands whole, its parts in order.
TEST(Steps, GatheredAppendsAcrossStepsLandWhole) {
  std::atomic<u64> now{0};
  fs::FileSystem fs(
      1ull << 30, [](void* c) { return static_cast<std::atomic<u64>*>(c)->load(); }, &now);
  NodeRef log = fs.create_file(fs.root(), "log", CreateMode::Exclusive).release_value();
  const std::string a(fs::kCopyStep + 5, 'a'), b(7, 'b'), none, c(2 * fs::kCopyStep, 'c');
  const usize record = a.size() + b.size() + c.size() + 1;
  constexpr int kRecords = 8;
  auto appender = [&](char last) {
    std::string d(1, last);
    support::Bytes parts[] = {bytes(a), bytes(b), bytes(none), bytes(c), bytes(d)};
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(fs.append(log, support::Span<const support::Bytes>(parts)).is_ok());
    }
  };
  std::thread one(appender, '1'), two(appender, '2');
  one.join();
  two.join();
  std::string all = fs_test::read_string(fs, log, 0, 2 * kRecords * record);
  ASSERT_EQ(all.size(), 2 * kRecords * record);
  for (usize i = 0; i < all.size(); i += record) {
    char last = all[i + record - 1];
    EXPECT_TRUE(last == '1' || last == '2');
    EXPECT_EQ(all.substr(i, record), a + b + c + std::string(1, last)) << "record at " << i;
  }
}

// Appends of several steps each, from four threads at once, with readers and small writers in
// between: every record lands whole, none overlaps another.
TEST(Steps, LargeAppendsFromManyThreadsNeverOverlap) {
  std::atomic<u64> now{0};
  fs::FileSystem fs(
      1ull << 30, [](void* c) { return static_cast<std::atomic<u64>*>(c)->load(); }, &now);
  NodeRef log = fs.create_file(fs.root(), "log", CreateMode::Exclusive).release_value();
  NodeRef other = fs.create_file(fs.root(), "other", CreateMode::Exclusive).release_value();
  constexpr int kThreads = 4;
  constexpr int kRecords = 6;
  constexpr usize kRecord = 3 * fs::kCopyStep + 1000;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      std::string record(kRecord, static_cast<char>('A' + id));
      ready.fetch_add(1);
      while (ready.load() < kThreads + 1) std::this_thread::yield();
      for (int i = 0; i < kRecords; ++i) {
        auto at = fs.append(log, bytes(record));
        ASSERT_TRUE(at.is_ok());
        EXPECT_EQ(at.value() % kRecord, 0u);
      }
    });
  }
  threads.emplace_back([&] {
    ready.fetch_add(1);
    while (ready.load() < kThreads + 1) std::this_thread::yield();
    u8 buf[64];
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(fs.write(other, i % 1000, support::Bytes(buf, sizeof buf)).is_ok());
      (void)fs.read(log, static_cast<u64>(i) * 4096, support::Span<u8>(buf, sizeof buf));
    }
  });
  for (auto& t : threads) t.join();
  std::string all = fs_test::read_string(fs, log, 0, kThreads * kRecords * kRecord);
  ASSERT_EQ(all.size(), kThreads * kRecords * kRecord);
  for (usize i = 0; i < all.size(); i += kRecord) {
    EXPECT_EQ(all.substr(i, kRecord), std::string(kRecord, all[i])) << "record at " << i;
  }
}

}  // namespace

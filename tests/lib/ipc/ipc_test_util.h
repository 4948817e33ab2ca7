// Helpers for lib/ipc's host tests: byte strings, a leak-checking fixture over ipc::stats, and a
// Waker that a thread can sleep on.
#pragma once

#include <gtest/gtest.h>
#include <ipc/account.h>
#include <ipc/handle_table.h>
#include <ipc/object.h>
#include <ipc/wait_set.h>

#include <condition_variable>
#include <mutex>
#include <string>

namespace ipc {
// gtest prints errors by name.
inline void PrintTo(Error error, std::ostream* out) { *out << error_name(error); }
}  // namespace ipc

namespace ipc_test {

// The tests live in this namespace and name the library's types without ipc:: (right::kRead,
// signal::kReadable, Ref<Object>).
using namespace ipc;

inline support::Bytes bytes(const std::string& s) {
  return support::Bytes(reinterpret_cast<const u8*>(s.data()), s.size());
}
inline support::Span<u8> span(std::string& s) {
  return support::Span<u8>(reinterpret_cast<u8*>(s.data()), s.size());
}

// The live counters at one moment.
struct Counts {
  u64 objects = 0;
  u64 handles = 0;
  u64 messages = 0;
  static Counts now() {
    return {ipc::stats::objects(), ipc::stats::handles(), ipc::stats::messages()};
  }
  bool operator==(const Counts&) const = default;
};
inline std::ostream& operator<<(std::ostream& out, const Counts& c) {
  return out << "{objects " << c.objects << ", handles " << c.handles << ", messages " << c.messages
             << "}";
}

// Every test ends with the objects, handles and messages it made gone, and its accounts back
// at zero.
class IpcTest : public ::testing::Test {
 protected:
  void SetUp() override { before_ = Counts::now(); }
  void TearDown() override {
    table.close_all();
    other.close_all();
    EXPECT_EQ(Counts::now(), before_);
    EXPECT_EQ(account.used(), 0u);
    EXPECT_EQ(other_account.used(), 0u);
  }

  ipc::BoundedAccount account{16 << 20};
  ipc::BoundedAccount other_account{16 << 20};
  ipc::HandleTable table{account, 64};
  ipc::HandleTable other{other_account, 64};

 private:
  Counts before_;
};

// A doorbell: wake() rings it, wait() sleeps until it was rung (since the last wait) and
// clears it. A ring before the wait is kept, so nothing is lost between a poll and the wait.
class Doorbell final : public ipc::WaitSet::Waker {
 public:
  void wake() override {
    std::lock_guard<std::mutex> guard(mutex_);
    rung_ = true;
    ++rings_;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return rung_; });
    rung_ = false;
  }
  // For tests that check whether it rang without sleeping.
  bool take() {
    std::lock_guard<std::mutex> guard(mutex_);
    bool rung = rung_;
    rung_ = false;
    return rung;
  }
  u64 rings() {
    std::lock_guard<std::mutex> guard(mutex_);
    return rings_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool rung_ = false;
  u64 rings_ = 0;
};

}  // namespace ipc_test

// A program that rewrites its argument areas while its calls run: one thread stores random
// values into the iovec arrays, paths, link targets and poll subscriptions of a guest page, as
// fast as it can, while this thread makes WASI calls that use them in a loop. Every call reads
// each structure once, so whatever it copied is what it checks and uses: nothing is written or
// read outside the memory (a write there faults the test, and ASan in tier 15 watches the host
// side), no path with '/' or ".." reaches the Os (FakeOs fails the test), and nothing outside the
// preopen changes. (Inside it anything may happen: the program asked for it.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "wasi_fixture.h"

namespace wasi_test {
namespace {

// The argument areas in the guest page.
constexpr u32 kIovs = 0x100;    // 8 iovecs
constexpr u32 kPath = 0x200;    // 64 path bytes
constexpr u32 kTarget = 0x240;  // 32 link-target bytes
constexpr u32 kSubs = 0x300;    // 4 subscriptions (192 bytes)
constexpr u32 kEvents = 0x400;  // 4 events
constexpr u32 kOut = 0x500;     // results
constexpr u32 kData = 0x1000;   // where iovecs point when the rewriter leaves them alone

class RaceTest : public WasiTest {
 protected:
  // Relaxed atomic stores: the rewriter's side of the race is well defined; the host's reads are
  // the plain copies under test.
  void store8(u32 at_offset, u8 v) { __atomic_store_n(at(at_offset), v, __ATOMIC_RELAXED); }
  void store32(u32 at_offset, u32 v) {
    for (int i = 0; i < 4; ++i) store8(at_offset + i, static_cast<u8>(v >> (8 * i)));
  }

  void rewrite(std::mt19937& rng) {
    // Values that matter: inside, at the edge, past the end, wrapping, covering the areas.
    static const u32 kBufs[] = {kData, kIovs, kSubs, kPage - 8, kPage, 0xfffffff0u, 0};
    static const u32 kLens[] = {0, 8, 16, 64, kPage, kPage - kData, 0xffffffffu, 0x80000000u};
    static const char kPathBytes[] = "a./\0.fsub/inlr";
    switch (rng() % 4) {
      case 0: {
        u32 i = rng() % 8;
        store32(kIovs + 8 * i, rng() % 4 ? kBufs[rng() % 7] : static_cast<u32>(rng()));
        store32(kIovs + 8 * i + 4, rng() % 4 ? kLens[rng() % 8] : static_cast<u32>(rng()));
        break;
      }
      case 1: store8(kPath + rng() % 64, static_cast<u8>(kPathBytes[rng() % 15])); break;
      case 2: store8(kTarget + rng() % 32, static_cast<u8>(kPathBytes[rng() % 15])); break;
      case 3: {
        u32 s = kSubs + 48 * (rng() % 4);
        switch (rng() % 4) {
          case 0: store8(s + 8, static_cast<u8>(rng() % 4)); break;     // tag
          case 1: store32(s + 16, rng() % 8); break;                    // clock id or fd
          case 2: store32(s + 24, rng() % 3 ? 0 : 0xffffffffu); break;  // timeout (low half)
          default: store8(s + 40, static_cast<u8>(rng() % 2)); break;   // abstime
        }
        break;
      }
    }
  }

  void initial_arguments() {
    for (u32 i = 0; i < 8; ++i) {
      put32(kIovs + 8 * i, kData + 64 * i);
      put32(kIovs + 8 * i + 4, 16);
    }
    put_string(kPath, "sub/inner");
    put_string(kTarget, "file");
    memset(at(kSubs), 0, 192);
    for (u32 i = 0; i < 4; ++i) at(kSubs + 48 * i + 8)[0] = i % 3;
  }
};

TEST_F(RaceTest, rewriting_arguments_during_calls_stays_inside_memory) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
  GTEST_SKIP() << "the race with the program is the point of this test";
#endif
#endif
  int file = os.find("dir/file");
  u32 rw, ro;
  ASSERT_EQ(open("file", wasi::right::kAll, 0, &rw), 0u);
  ASSERT_EQ(open("sub/inner", wasi::right::kFdRead | wasi::right::kFdSeek, 0, &ro), 0u);
  u32 app;
  ASSERT_EQ(open("file", wasi::right::kAll, 0, &app), 0u);
  ASSERT_EQ(call("fd_fdstat_set_flags", "ii>i", {app, wasi::kFdflagAppend}), 0u);
  initial_arguments();

  std::atomic<bool> stop{false};
  std::atomic<u64> rewrites{0};
  std::thread rewriter([&] {
    std::mt19937 rng(12345);
    while (!stop.load(std::memory_order_relaxed)) {
      rewrite(rng);
      rewrites.fetch_add(1, std::memory_order_relaxed);
    }
  });

  std::mt19937 rng(7);
  constexpr int kCalls = 100000;
  int ok = 0;
  for (int i = 0; i < kCalls; ++i) {
    u32 count = 1 + rng() % 8;
    u32 plen = 1 + rng() % 64, tlen = rng() % 33;
    u64 e = 0;
    switch (rng() % 12) {
      case 0: e = direct("fd_read", "iiii>i", {ro, kIovs, count, kOut}); break;
      case 1: e = direct("fd_pread", "iiiIi>i", {ro, kIovs, count, rng() % 8, kOut}); break;
      case 2: e = direct("fd_write", "iiii>i", {1, kIovs, count, kOut}); break;
      case 3: e = direct("fd_pwrite", "iiiIi>i", {rw, kIovs, count, rng() % 64, kOut}); break;
      case 4: e = direct("fd_write", "iiii>i", {app, kIovs, count, kOut}); break;
      case 5:
        os.input = "typed input";
        e = direct("fd_read", "iiii>i", {0, kIovs, count, kOut});
        break;
      case 6: {
        e = direct("path_open", "iiiiiIIii>i",
                   {3, rng() % 2, kPath, plen, 0, wasi::right::kFdRead, 0, 0, kOut});
        u32 fd;
        memcpy(&fd, at(kOut), 4);
        if (e == 0 && fd > app) (void)direct("fd_close", "i>i", {fd});
        break;
      }
      case 7: e = direct("path_filestat_get", "iiiii>i", {3, rng() % 2, kPath, plen, kOut}); break;
      case 8:
        e = direct("path_symlink", "iiiii>i", {kTarget, tlen, 3, kPath, plen});
        if (e == 0) (void)direct("path_unlink_file", "iii>i", {3, kPath, plen});
        break;
      case 9: e = direct("path_readlink", "iiiiii>i", {3, kPath, plen, kData, 64, kOut}); break;
      case 10:
        os.input = rng() % 2 ? "x" : "";
        e = direct("poll_oneoff", "iiii>i", {kSubs, kEvents, 1 + rng() % 4, kOut});
        break;
      case 11: e = direct("path_create_directory", "iii>i", {3, kPath, plen}); break;
    }
    if (e == 0) ++ok;
    // Keep the files small: appends and positioned writes would grow them for ever.
    if (os.node(file).data.size() > 4096) os.node(file).data.resize(64);
  }
  stop.store(true);
  rewriter.join();
  EXPECT_GT(rewrites.load(), 0u);
  EXPECT_GT(ok, 0);
  ASSERT_GE(os.find("outside"), 0);
  EXPECT_EQ(os.node(os.find("outside")).data, "secret");
}

}  // namespace
}  // namespace wasi_test

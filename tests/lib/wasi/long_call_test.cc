// Long calls stop when the Os says the program's time is up (Os::yield_due): transfers return a
// short count, random_get and fd_readdir go pending with their progress kept and finish in
// retries; every attempt makes progress, and a new call never continues an abandoned one. Also
// the other bounds and answers from the same review: an append takes at most a piece, a transfer
// less than 2 GiB, a far Realtime deadline does not wrap, path_open creates no directory.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "wasi_fixture.h"

namespace wasi_test {
namespace {

constexpr u32 kPiece = 256 * 1024;       // wasi.cc's kTransferPiece
constexpr u32 kRandomPiece = 64 * 1024;  // wasi.cc's kRandomPiece

class LongCallTest : public WasiTest {
 protected:
  // Binds a memory of `pages` pages instead of the fixture's one page.
  void big_memory(u32 pages) {
    auto m = store.create_memory(wasm::MemoryType{wasm::Limits{pages, pages, true}});
    ASSERT_TRUE(m.is_ok());
    mem = m.value();
    wasi.bind_memory(mem);
  }
  // The fake Os's random pattern for byte `i` of the whole buffer, filled in pieces.
  static u8 pattern(u32 i) { return static_cast<u8>((i % kRandomPiece) * 7 + 1); }
};

TEST_F(LongCallTest, a_file_read_stops_after_a_piece_once_the_time_is_up) {
  big_memory(16);  // 1 MiB
  os.add("dir/big", FileType::RegularFile, std::string(4 * kPiece, 'x'));
  u32 fd;
  ASSERT_EQ(open("big", wasi::right::kFdRead | wasi::right::kFdSeek, 0, &fd), 0u);
  put32(16, 4096);  // one iovec of 3 pieces and a bit
  put32(20, 3 * kPiece + 100);
  os.time_up = true;
  ASSERT_EQ(call("fd_read", "iiii>i", {fd, 16, 1, 8}), 0u);
  EXPECT_EQ(get32(8), kPiece);  // one piece, then the time was up
  EXPECT_EQ(at(4096)[kPiece - 1], 'x');
  EXPECT_EQ(at(4096)[kPiece], 0);
  // The position moved by what was read; with time left the rest comes in one call.
  os.time_up = false;
  ASSERT_EQ(call("fd_read", "iiii>i", {fd, 16, 1, 8}), 0u);
  EXPECT_EQ(get32(8), 3 * kPiece);  // what is left of the file
}

TEST_F(LongCallTest, iovecs_over_the_same_buffer_stop_between_entries) {
  // The program's 4 GiB read of a sparse file: many iovecs over one buffer.
  os.add("dir/hole", FileType::RegularFile, std::string(1 << 20, '\0'));
  u32 fd;
  ASSERT_EQ(open("hole", wasi::right::kFdRead | wasi::right::kFdSeek, 0, &fd), 0u);
  for (u32 i = 0; i < 16; ++i) {
    put32(16 + 8 * i, 1024);
    put32(20 + 8 * i, 32768);
  }
  os.time_up = true;
  ASSERT_EQ(call("fd_pread", "iiiIi>i", {fd, 16, 16, 0, 8}), 0u);
  EXPECT_EQ(get32(8), kPiece);  // the entries that make a piece, then the time was up
  EXPECT_GE(os.yield_asks, 1);
  os.time_up = false;
  ASSERT_EQ(call("fd_pread", "iiiIi>i", {fd, 16, 16, 0, 8}), 0u);
  EXPECT_EQ(get32(8), 16u * 32768);
}

// A transfer of at most a piece is never cut for time, however many entries it has (a writev
// of "abc", "", "defgh" to a file wrote 3 bytes when the slice ended between its entries).
TEST_F(LongCallTest, a_transfer_of_less_than_a_piece_is_whole_when_the_time_is_up) {
  u32 fd;
  ASSERT_EQ(open("small", wasi::right::kAll, wasi::kOflagCreat, &fd), 0u);
  put32(16, 100);  // three entries: "abc", an empty one, "defgh"
  put32(20, put_string(100, "abc"));
  put32(24, 110);
  put32(28, 0);
  put32(32, 120);
  put32(36, put_string(120, "defgh"));
  os.time_up = true;
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 16, 3, 8}), 0u);
  EXPECT_EQ(get32(8), 8u);
  EXPECT_EQ(os.node(os.find("dir/small")).data, "abcdefgh");
  ASSERT_EQ(call("fd_pread", "iiiIi>i", {fd, 16, 3, 0, 8}), 0u);
  EXPECT_EQ(get32(8), 8u);
}

TEST_F(LongCallTest, writes_stop_too_and_report_what_was_written) {
  big_memory(16);
  u32 fd;
  ASSERT_EQ(open("out", wasi::right::kAll, wasi::kOflagCreat, &fd), 0u);
  memset(at(4096), 'w', 2 * kPiece);
  put32(16, 4096);
  put32(20, 2 * kPiece);
  os.time_up = true;
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 16, 1, 8}), 0u);
  EXPECT_EQ(get32(8), kPiece);
  EXPECT_EQ(os.node(os.find("dir/out")).data, std::string(kPiece, 'w'));
  // A stream (the console) is written in pieces too.
  ASSERT_EQ(call("fd_write", "iiii>i", {1, 16, 1, 8}), 0u);
  EXPECT_EQ(get32(8), kPiece);
  EXPECT_EQ(os.output.size(), kPiece);
}

TEST_F(LongCallTest, nothing_stops_before_the_first_piece) {
  os.input = "abc";
  put32(16, 100);
  put32(20, 10);
  os.time_up = true;
  ASSERT_EQ(call("fd_read", "iiii>i", {0, 16, 1, 8}), 0u);
  EXPECT_EQ(get32(8), 3u);
  EXPECT_EQ(os.yield_asks, 0);
}

TEST_F(LongCallTest, random_get_continues_in_retries_until_the_buffer_is_full) {
  big_memory(8);  // 512 KiB
  constexpr u32 kSize = 8 * kPage - 4096;
  os.time_up = true;
  ASSERT_EQ(call("random_get", "ii>i", {4096, kSize}), kPending);
  EXPECT_TRUE(wasi.pending());
  EXPECT_STREQ(wasi.pending_name(), "random_get");
  EXPECT_EQ(at(4096)[0], pattern(0));
  EXPECT_EQ(at(4096)[kRandomPiece], 0);  // the rest comes in retries
  int attempts = 1;
  u64 r;
  do {
    ++attempts;  // each attempt fills at least one piece
  } while ((r = retry()) == kPending);
  EXPECT_EQ(r, 0u);
  EXPECT_EQ(attempts, static_cast<int>((kSize + kRandomPiece - 1) / kRandomPiece));
  EXPECT_FALSE(wasi.pending());
  for (u32 i = 0; i < kSize; ++i) {
    if (at(4096)[i] != pattern(i)) {
      ADD_FAILURE() << "byte " << i;
      break;
    }
  }
}

TEST_F(LongCallTest, a_new_call_never_continues_an_abandoned_one) {
  big_memory(8);
  os.time_up = true;
  ASSERT_EQ(call("random_get", "ii>i", {0, 4 * kRandomPiece}), kPending);
  // The execution is dropped and a new one calls random_get: it fills from its start.
  os.time_up = false;
  memset(at(0), 0, 4 * kRandomPiece);
  ASSERT_EQ(call("random_get", "ii>i", {0, 4 * kRandomPiece}), 0u);
  EXPECT_EQ(at(0)[0], pattern(0));
  EXPECT_EQ(at(0)[kRandomPiece - 1], pattern(kRandomPiece - 1));
}

TEST_F(LongCallTest, fd_readdir_continues_in_retries_as_one_call) {
  os.add("dir/many", FileType::Directory);
  for (int i = 0; i < 400; ++i)
    os.add("dir/many/f" + std::to_string(1000 + i), FileType::RegularFile);
  u32 fd;
  ASSERT_EQ(open("many", wasi::right::kFdReaddir, wasi::kOflagDirectory, &fd), 0u);
  // At once, for comparison.
  ASSERT_EQ(call("fd_readdir", "iiiIi>i", {fd, 4096, 8192, 0, 8}), 0u);
  u32 used = get32(8);
  std::string whole(reinterpret_cast<char*>(at(4096)), used);
  EXPECT_EQ(used, 8192u);  // 400 entries of 29 bytes do not fit
  memset(at(4096), 0, 8192);
  os.time_up = true;
  ASSERT_EQ(call("fd_readdir", "iiiIi>i", {fd, 4096, 8192, 0, 8}), kPending);
  int attempts = 1;
  u64 r;
  while ((r = retry()) == kPending) ++attempts;
  EXPECT_EQ(r, 0u);
  EXPECT_GT(attempts, 100);  // one entry per attempt
  EXPECT_EQ(get32(8), used);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(4096)), used), whole);
}

TEST_F(LongCallTest, an_append_takes_at_most_a_piece_per_call) {
  big_memory(8);
  u32 fd;
  ASSERT_EQ(open("log", wasi::right::kAll, wasi::kOflagCreat, &fd), 0u);
  ASSERT_EQ(call("fd_fdstat_set_flags", "ii>i", {fd, wasi::kFdflagAppend}), 0u);
  memset(at(4096), 'a', 200 * 1024);
  memset(at(4096 + 200 * 1024), 'b', 200 * 1024);
  put32(16, 4096);  // 200 KiB of a, then 200 KiB of b
  put32(20, 200 * 1024);
  put32(24, 4096 + 200 * 1024);
  put32(28, 200 * 1024);
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 16, 2, 8}), 0u);
  EXPECT_EQ(get32(8), kPiece);  // one atomic append of the first 256 KiB
  EXPECT_EQ(os.appends, 1);
  const std::string& data = os.node(os.find("dir/log")).data;
  EXPECT_EQ(data, std::string(200 * 1024, 'a') + std::string(kPiece - 200 * 1024, 'b'));
  // Small appends are whole, one Os call each.
  put32(20, 10);
  put32(28, 5);
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 16, 2, 8}), 0u);
  EXPECT_EQ(get32(8), 15u);
  EXPECT_EQ(os.appends, 2);
}

TEST_F(LongCallTest, one_transfer_moves_less_than_2_gib) {
  // A count of 2 GiB or more would be negative in wasi-libc's 32-bit ssize_t: a transfer stops
  // at Linux's MAX_RW_COUNT, 0x7ffff000 bytes.
  big_memory(64);  // 4 MiB
  os.sparse_size = 1ull << 40;
  os.add("dir/sparse", FileType::RegularFile);
  u32 fd;
  ASSERT_EQ(open("sparse", wasi::right::kFdRead | wasi::right::kFdSeek, 0, &fd), 0u);
  constexpr u32 kCount = 1000;  // 1000 x 4 MiB - 64 KiB, about 3.9 GiB
  for (u32 i = 0; i < kCount; ++i) {
    put32(8 * i, 65536);
    put32(8 * i + 4, 63 * 65536);
  }
  ASSERT_EQ(call("fd_read", "iiii>i", {fd, 0, kCount, 16}), 0u);
  EXPECT_EQ(get32(16), 0x7ffff000u);
}

TEST_F(LongCallTest, an_absolute_realtime_deadline_far_away_does_not_wrap_to_now) {
  // Monotonic 1000, Realtime 500: a Realtime deadline near 2^64 is far away, not at once.
  os.realtime_behind = 500;
  memset(at(100), 0, 48);
  at(108)[0] = wasi::kEventClock;
  put32(116, static_cast<u32>(wasi::ClockId::Realtime));
  put64(124, ~0ull - 100);
  memcpy(at(140), &wasi::kSubclockAbstime, 2);
  ASSERT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 1, 2000}), 0u);
  EXPECT_EQ(os.last_poll_deadline, ~0ull - 1);  // the fake lets the time pass to it
}

TEST_F(LongCallTest, creating_a_directory_with_path_open_makes_nothing) {
  EXPECT_EQ(open("newdir", wasi::right::kAll, wasi::kOflagCreat | wasi::kOflagDirectory),
            err(Errno::Inval));
  EXPECT_EQ(os.find("dir/newdir"), -1);
  EXPECT_EQ(open("newfile/", wasi::right::kAll & ~wasi::right::kFdWrite, wasi::kOflagCreat),
            err(Errno::Isdir));
  EXPECT_EQ(os.find("dir/newfile"), -1);
  // Without the directory flag or the slash it is created as before.
  EXPECT_EQ(open("newfile", wasi::right::kAll, wasi::kOflagCreat), 0u);
  EXPECT_NE(os.find("dir/newfile"), -1);
}

}  // namespace
}  // namespace wasi_test

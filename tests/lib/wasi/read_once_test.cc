// Guest structures are read once: a program that changes its arguments while a call runs (here
// through FakeOs::hook, or through the data the call itself writes) never makes the call use a
// value other than the one it checked. Also the bounds on what a call copies, the conformance
// answers for directories and symbolic links, and append mode.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "wasi_fixture.h"

namespace wasi_test {
namespace {

class ReadOnceTest : public WasiTest {
 protected:
  // The iovec array at 16: {16, 16} covers the array itself, {1024, 16} is where the rest goes.
  void overlapping_iovecs() {
    put32(16, 16);
    put32(20, 16);
    put32(24, 1024);
    put32(28, 16);
  }
  // Bytes that, read into the array, point its second entry at `buf`, then 16 bytes of data.
  static std::string rewriting_data(u32 buf) {
    std::string s(32, 'B');
    u32 words[4] = {16, 16, buf, 16};
    memcpy(s.data(), words, 16);
    return s;
  }
};

TEST_F(ReadOnceTest, fd_read_whose_first_iovec_covers_the_array_uses_the_copy) {
  for (u32 target : {0xfffffff0u, kPage - 8, kPage, 0u}) {
    int id =
        os.add("dir/input" + std::to_string(target), FileType::RegularFile, rewriting_data(target));
    (void)id;
    u32 fd;
    ASSERT_EQ(
        open("input" + std::to_string(target), wasi::right::kAll & ~wasi::right::kFdWrite, 0, &fd),
        0u);
    memset(at(1024), 0, 64);
    memset(at(0), 0, 8);
    overlapping_iovecs();
    ASSERT_EQ(call("fd_read", "iiii>i", {fd, 16, 2, 8}), 0u) << target;
    EXPECT_EQ(get32(8), 32u) << target;
    EXPECT_EQ(get32(24), target);  // the array was rewritten, as the program asked
    EXPECT_EQ(std::string(reinterpret_cast<char*>(at(1024)), 16), std::string(16, 'B'));
    EXPECT_EQ(at(1040)[0], 0);
  }
}

TEST_F(ReadOnceTest, stream_read_and_pread_use_the_copy_too) {
  os.input = rewriting_data(0xfffffff0u);
  overlapping_iovecs();
  ASSERT_EQ(call("fd_read", "iiii>i", {0, 16, 2, 8}), 0u);
  // The fake console hands out what fits the first buffer, then the rest to the second.
  EXPECT_EQ(get32(8), 32u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(1024)), 16), std::string(16, 'B'));
  os.add("dir/pin", FileType::RegularFile, rewriting_data(0xfffffff0u));
  u32 fd;
  ASSERT_EQ(open("pin", wasi::right::kFdRead | wasi::right::kFdSeek, 0, &fd), 0u);
  memset(at(1024), 0, 16);
  overlapping_iovecs();
  ASSERT_EQ(call("fd_pread", "iiiIi>i", {fd, 16, 2, 0, 8}), 0u);
  EXPECT_EQ(get32(8), 32u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(1024)), 16), std::string(16, 'B'));
}

TEST_F(ReadOnceTest, iovecs_are_checked_before_anything_moves) {
  os.input = "abc";
  put32(16, 100);
  put32(20, 2);
  put32(24, kPage - 1);
  put32(28, 2);  // one byte outside
  EXPECT_EQ(call("fd_read", "iiii>i", {0, 16, 2, 8}), err(Errno::Fault));
  EXPECT_EQ(os.input, "abc");
  // More than kMaxIovecs entries, or lengths that add up past what a u32 result can say: EINVAL.
  for (u32 i = 0; i < wasi::kMaxIovecs + 1; ++i) {
    put32(4096 + 8 * i, 100);
    put32(4096 + 8 * i + 4, 0);
  }
  EXPECT_EQ(call("fd_write", "iiii>i", {1, 4096, wasi::kMaxIovecs + 1, 8}), err(Errno::Inval));
  EXPECT_EQ(call("fd_write", "iiii>i", {1, 4096, wasi::kMaxIovecs, 8}), 0u);
  // 1024 iovecs of a 4 MiB memory add up to more than 4 GiB.
  auto m = store.create_memory(wasm::MemoryType{wasm::Limits{65, 65, true}});
  ASSERT_TRUE(m.is_ok());
  wasi.bind_memory(m.value());
  u8* base = m.value()->base;
  for (u32 i = 0; i < wasi::kMaxIovecs; ++i) {
    u32 entry[2] = {0, 65 * kPage};
    memcpy(base + 64 + 8 * i, entry, 8);
  }
  EXPECT_EQ(call("fd_write", "iiii>i", {1, 64, wasi::kMaxIovecs, 8}), err(Errno::Inval));
  wasi.bind_memory(mem);
  EXPECT_EQ(os.output.size(), 0u);
}

TEST_F(ReadOnceTest, a_path_rewritten_during_resolution_is_not_seen) {
  u32 len = put_string(1000, "sub/inner");
  put32(900, 0);
  int stats = 0;
  os.hook = [&](const char* what) {
    if (std::string(what) == "stat_at" && stats++ == 0) put_string(1000, "../outside");
  };
  ASSERT_EQ(call("path_open", "iiiiiIIii>i",
                 {3, wasi::kLookupSymlinkFollow, 1000, len, 0, wasi::right::kFdRead, 0, 0, 900}),
            0u);
  os.hook = nullptr;
  u32 fd = get32(900);
  put32(100, 200);
  put32(104, 16);
  ASSERT_EQ(call("fd_read", "iiii>i", {fd, 100, 1, 120}), 0u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(200)), get32(120)), "inner");
}

TEST_F(ReadOnceTest, symlink_target_is_checked_and_stored_from_the_copy) {
  u32 tlen = put_string(1000, "file");
  u32 nlen = put_string(1100, "alias");
  os.hook = [&](const char* what) {
    if (std::string(what) == "symlink_at") put_string(1000, "/etc");
  };
  ASSERT_EQ(call("path_symlink", "iiiii>i", {1000, tlen, 3, 1100, nlen}), 0u);
  os.hook = nullptr;
  EXPECT_EQ(os.node(os.find("dir/alias")).data, "file");
  // An absolute target is refused (it could never be followed inside the sandbox); so is an
  // empty one, and one with a NUL byte.
  tlen = put_string(1000, "/etc/passwd");
  nlen = put_string(1100, "abs");
  EXPECT_EQ(call("path_symlink", "iiiii>i", {1000, tlen, 3, 1100, nlen}), err(Errno::Notcapable));
  EXPECT_EQ(call("path_symlink", "iiiii>i", {1000, 0, 3, 1100, nlen}), err(Errno::Noent));
  memcpy(at(1000), "a\0b", 3);
  EXPECT_EQ(call("path_symlink", "iiiii>i", {1000, 3, 3, 1100, nlen}), err(Errno::Inval));
  EXPECT_EQ(os.find("dir/abs"), -1);
}

TEST_F(ReadOnceTest, long_paths_are_nametoolong) {
  std::string path;
  while (path.size() <= wasi::kMaxPathSize) path += "a/";
  put_string(1000, path);
  u32 len = wasi::kMaxPathSize + 1;
  EXPECT_EQ(call("path_filestat_get", "iiiii>i", {3, 0, 1000, len, 100}), err(Errno::Nametoolong));
  EXPECT_EQ(call("path_filestat_get", "iiiii>i", {3, 0, 1000, len - 2, 100}), err(Errno::Noent));
}

// Subscription layout (abi.h): userdata @0, tag @8, clock id or fd @16, timeout @24, flags @40.
TEST_F(ReadOnceTest, poll_uses_the_subscriptions_it_copied_across_retries) {
  memset(at(100), 0, 96);
  put64(100, 0x1111);
  at(108)[0] = wasi::kEventFdRead;
  put32(116, 0);  // the console: no input, so the call waits
  put64(148, 0x2222);
  at(156)[0] = wasi::kEventClock;
  put32(164, static_cast<u32>(ClockId::Monotonic));
  put64(172, 5000);  // relative
  os.hook = [&](const char* what) {
    if (std::string(what) != "poll") return;
    // Rewrite both: a bad tag, another fd, another userdata.
    put64(100, 0xdead);
    at(108)[0] = 9;
    put32(116, 77);
    put64(148, 0xbeef);
    put64(172, 0);
  };
  os.block_polls = 1;
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 2, 2000}), kPending);
  os.now += 6000;  // the clock subscription's deadline has passed
  EXPECT_EQ(retry(), 0u);
  os.hook = nullptr;
  ASSERT_EQ(get32(2000), 1u);
  EXPECT_EQ(get64(1000), 0x2222u);  // the clock, as copied
  EXPECT_EQ(get32(1008) & 0xffff, 0u);
  EXPECT_EQ(at(1010)[0], wasi::kEventClock);
}

TEST_F(ReadOnceTest, poll_events_may_overlap_the_subscriptions) {
  // The events are written over the subscriptions they answer; every event still comes from
  // the copy (an in-place rewrite would have read back the first event as the second input).
  memset(at(100), 0, 96);
  for (u32 i = 0; i < 2; ++i) {
    put64(100 + 48 * i, 0x100 + i);
    at(108 + 48 * i)[0] = wasi::kEventClock;
    put32(116 + 48 * i, static_cast<u32>(ClockId::Monotonic));
    put64(124 + 48 * i, 0);  // due now
  }
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 100, 2, 2000}), 0u);
  ASSERT_EQ(get32(2000), 2u);
  EXPECT_EQ(get64(100), 0x100u);
  EXPECT_EQ(get64(132), 0x101u);
}

TEST_F(ReadOnceTest, poll_with_too_many_subscriptions_is_einval) {
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {0, 0, wasi::kMaxSubscriptions + 1, 8}),
            err(Errno::Fault));  // larger than the page: the range check comes first
  wasm::MemoryType big{wasm::Limits{8, 8, true}};
  auto m = store.create_memory(big);
  ASSERT_TRUE(m.is_ok());
  wasi.bind_memory(m.value());
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {0, 0, wasi::kMaxSubscriptions + 1, 8}),
            err(Errno::Inval));
  wasi.bind_memory(mem);
}

TEST_F(ReadOnceTest, data_calls_on_a_directory_are_eisdir) {
  u32 fd;
  ASSERT_EQ(open("sub", wasi::right::kAll & ~wasi::right::kFdWrite, wasi::kOflagDirectory, &fd),
            0u);
  put32(100, 200);
  put32(104, 4);
  for (u32 d : {3u, fd}) {
    EXPECT_EQ(call("fd_read", "iiii>i", {d, 100, 1, 120}), err(Errno::Isdir));
    EXPECT_EQ(call("fd_write", "iiii>i", {d, 100, 1, 120}), err(Errno::Isdir));
    EXPECT_EQ(call("fd_pread", "iiiIi>i", {d, 100, 1, 0, 120}), err(Errno::Isdir));
    EXPECT_EQ(call("fd_pwrite", "iiiIi>i", {d, 100, 1, 0, 120}), err(Errno::Isdir));
    EXPECT_EQ(call("fd_seek", "iIii>i", {d, 0, wasi::kWhenceSet, 120}), err(Errno::Isdir));
    EXPECT_EQ(call("fd_seek", "iIii>i", {d, 0, wasi::kWhenceCur, 120}), err(Errno::Isdir));
    EXPECT_EQ(call("fd_tell", "ii>i", {d, 120}), err(Errno::Isdir));
  }
  // A stream stays ESPIPE for the positioned calls, a closed number EBADF.
  EXPECT_EQ(call("fd_pread", "iiiIi>i", {0, 100, 1, 0, 120}), err(Errno::Spipe));
  EXPECT_EQ(call("fd_seek", "iIii>i", {1, 0, wasi::kWhenceSet, 120}), err(Errno::Spipe));
  EXPECT_EQ(call("fd_read", "iiii>i", {40, 100, 1, 120}), err(Errno::Badf));
}

TEST_F(ReadOnceTest, append_goes_to_the_os_as_one_write) {
  int id = os.add("dir/log", FileType::RegularFile, "0123");
  u32 fd;
  ASSERT_EQ(open("log", wasi::right::kAll, 0, &fd), 0u);
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {fd, wasi::kFdflagAppend}), 0u);
  put32(100, 200);
  put32(104, put_string(200, "ab"));
  put32(108, 300);
  put32(112, put_string(300, "cde"));
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 100, 2, 120}), 0u);
  EXPECT_EQ(get32(120), 5u);
  EXPECT_EQ(os.appends, 1);
  EXPECT_EQ(os.node(id).data, "0123abcde");
  // The position is the end of what was written; another writer's append moves the end.
  EXPECT_EQ(call("fd_tell", "ii>i", {fd, 400}), 0u);
  EXPECT_EQ(get64(400), 9u);
  os.node(id).data += "XY";
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 100, 1, 120}), 0u);
  EXPECT_EQ(os.node(id).data, "0123abcdeXYab");
  EXPECT_EQ(call("fd_tell", "ii>i", {fd, 400}), 0u);
  EXPECT_EQ(get64(400), 13u);
  // Without the flag: positioned writes at the descriptor's offset.
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {fd, 0}), 0u);
  EXPECT_EQ(call("fd_seek", "iIii>i", {fd, 0, wasi::kWhenceSet, 400}), 0u);
  ASSERT_EQ(call("fd_write", "iiii>i", {fd, 100, 1, 120}), 0u);
  EXPECT_EQ(os.node(id).data, "ab23abcdeXYab");
  EXPECT_EQ(os.appends, 2);
}

}  // namespace
}  // namespace wasi_test

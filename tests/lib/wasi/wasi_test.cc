// lib/wasi against the in-memory FakeOs: host functions called directly (one memory page bound
// to the context) and, end to end, small text modules.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <wat/module.h>

#include "wasi_fixture.h"

namespace wasi_test {
namespace {

using wasm::FuncInst;
using wasm::RunStatus;

TEST_F(WasiTest, args_and_environ_sizes_and_contents) {
  ASSERT_TRUE(wasi.add_arg("prog").is_ok());
  ASSERT_TRUE(wasi.add_arg("a b").is_ok());
  ASSERT_TRUE(wasi.add_env("K=V").is_ok());
  EXPECT_EQ(call("args_sizes_get", "ii>i", {100, 104}), 0u);
  EXPECT_EQ(get32(100), 2u);
  EXPECT_EQ(get32(104), 9u);  // "prog\0a b\0"
  EXPECT_EQ(call("args_get", "ii>i", {200, 300}), 0u);
  EXPECT_EQ(get32(200), 300u);
  EXPECT_EQ(get32(204), 305u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(300)), 9), std::string("prog\0a b\0", 9));
  EXPECT_EQ(call("environ_sizes_get", "ii>i", {100, 104}), 0u);
  EXPECT_EQ(get32(100), 1u);
  EXPECT_EQ(get32(104), 4u);
  EXPECT_EQ(call("environ_get", "ii>i", {200, 400}), 0u);
  EXPECT_EQ(get32(200), 400u);
  EXPECT_STREQ(reinterpret_cast<char*>(at(400)), "K=V");
}

TEST_F(WasiTest, pointers_outside_memory_are_efault_and_change_nothing) {
  ASSERT_TRUE(wasi.add_arg("prog").is_ok());
  EXPECT_EQ(call("args_get", "ii>i", {kPage - 2, 0}), err(Errno::Fault));
  EXPECT_EQ(call("args_get", "ii>i", {0, kPage - 2}), err(Errno::Fault));
  EXPECT_EQ(call("clock_time_get", "iIi>i", {1, 0, kPage - 7}), err(Errno::Fault));
  EXPECT_EQ(call("random_get", "ii>i", {kPage - 1, 2}), err(Errno::Fault));
  // fd_write: the iovec array, one buffer, the result pointer.
  put32(100, 200);
  put32(104, 2);
  put32(108, kPage - 1);
  put32(112, 2);
  put_string(200, "hi");
  EXPECT_EQ(call("fd_write", "iiii>i", {1, kPage - 4, 1, 0}), err(Errno::Fault));
  EXPECT_EQ(call("fd_write", "iiii>i", {1, 100, 2, 0}), err(Errno::Fault));
  EXPECT_EQ(call("fd_write", "iiii>i", {1, 100, 1, kPage}), err(Errno::Fault));
  EXPECT_EQ(os.output, "");
  // fd_read with a bad result pointer consumes no input.
  os.input = "abc";
  EXPECT_EQ(call("fd_read", "iiii>i", {0, 100, 1, kPage - 3}), err(Errno::Fault));
  EXPECT_EQ(os.input, "abc");
  // path_open with a bad result pointer opens nothing.
  int handles = static_cast<int>(os.handles_.size());
  u32 len = put_string(1000, "file");
  EXPECT_EQ(call("path_open", "iiiiiIIii>i", {3, 0, 1000, len, 0, ~0ull, ~0ull, 0, kPage}),
            err(Errno::Fault));
  EXPECT_EQ(call("path_open", "iiiiiIIii>i", {3, 0, kPage - 2, 4, 0, ~0ull, ~0ull, 0, 900}),
            err(Errno::Fault));
  EXPECT_EQ(static_cast<int>(os.handles_.size()), handles);
  EXPECT_EQ(call("fd_write", "iiii>i", {1, 100, 1, 120}), 0u);
  EXPECT_EQ(os.output, "hi");
  EXPECT_EQ(get32(120), 2u);
}

TEST_F(WasiTest, descriptor_table_renumber_and_close) {
  u32 a, b;
  ASSERT_EQ(open("file", wasi::right::kAll, 0, &a), 0u);
  EXPECT_EQ(a, 4u);
  EXPECT_EQ(call("fd_renumber", "ii>i", {4, 9}), err(Errno::Badf));  // target must be open
  ASSERT_EQ(open("sub/inner", wasi::right::kAll, 0, &b), 0u);
  EXPECT_EQ(b, 5u);
  int closes = os.closes;
  EXPECT_EQ(call("fd_renumber", "ii>i", {4, 5}), 0u);
  EXPECT_EQ(os.closes, closes + 1);  // 5's old handle
  EXPECT_EQ(wasi.descriptor(4), nullptr);
  // 5 now reads "hello world".
  put32(100, 200);
  put32(104, 5);
  EXPECT_EQ(call("fd_read", "iiii>i", {5, 100, 1, 120}), 0u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(200)), 5), "hello");
  EXPECT_EQ(call("fd_close", "i>i", {4}), err(Errno::Badf));
  EXPECT_EQ(call("fd_close", "i>i", {5}), 0u);
  EXPECT_EQ(call("fd_close", "i>i", {5}), err(Errno::Badf));
  EXPECT_EQ(call("fd_renumber", "ii>i", {5, 1}), err(Errno::Badf));
  // The lowest free number is reused.
  ASSERT_EQ(open("file", wasi::right::kAll, 0, &a), 0u);
  EXPECT_EQ(a, 4u);
}

TEST_F(WasiTest, prestat_scan_ends_at_ebadf) {
  EXPECT_EQ(call("fd_prestat_get", "ii>i", {3, 100}), 0u);
  EXPECT_EQ(at(100)[0], 0);  // a directory
  EXPECT_EQ(get32(104), 1u);
  EXPECT_EQ(call("fd_prestat_dir_name", "iii>i", {3, 200, 1}), 0u);
  EXPECT_EQ(at(200)[0], '/');
  EXPECT_EQ(call("fd_prestat_dir_name", "iii>i", {3, 200, 0}), err(Errno::Nametoolong));
  EXPECT_EQ(call("fd_prestat_get", "ii>i", {4, 100}), err(Errno::Badf));
  EXPECT_EQ(call("fd_prestat_get", "ii>i", {1, 100}), err(Errno::Badf));  // not a preopen
}

TEST_F(WasiTest, rights_are_masked_and_checked) {
  // The terminal: a character device without seek or tell (isatty).
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {1, 100}), 0u);
  EXPECT_EQ(at(100)[0], static_cast<u8>(FileType::CharacterDevice));
  EXPECT_EQ(get64(108) & (wasi::right::kFdSeek | wasi::right::kFdTell), 0u);
  EXPECT_EQ(call("fd_seek", "iIii>i", {1, 0, 1, 100}), err(Errno::Spipe));
  // The preopen: every inheriting right.
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {3, 100}), 0u);
  EXPECT_EQ(at(100)[0], static_cast<u8>(FileType::Directory));
  EXPECT_EQ(get64(116) & wasi::right::kRegularFile, wasi::right::kRegularFile);
  // A file opened for reading only cannot be written; rights only shrink.
  u32 fd;
  ASSERT_EQ(open("file", wasi::right::kFdRead | wasi::right::kFdSeek, 0, &fd), 0u);
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {fd, 100}), 0u);
  EXPECT_EQ(get64(108), wasi::right::kFdRead | wasi::right::kFdSeek);
  EXPECT_EQ(get64(116), 0u);
  put32(100, 200);
  put32(104, 1);
  EXPECT_EQ(call("fd_write", "iiii>i", {fd, 100, 1, 120}), err(Errno::Notcapable));
  EXPECT_EQ(call("fd_fdstat_set_rights", "iII>i", {fd, wasi::right::kAll, 0}),
            err(Errno::Notcapable));
  EXPECT_EQ(call("fd_fdstat_set_rights", "iII>i", {fd, wasi::right::kFdSeek, 0}), 0u);
  EXPECT_EQ(call("fd_read", "iiii>i", {fd, 100, 1, 120}), err(Errno::Notcapable));
  // A directory's rights exclude reading and writing data; asking to write one is EISDIR.
  EXPECT_EQ(open("sub", wasi::right::kAll, wasi::kOflagDirectory, &fd), err(Errno::Isdir));
  EXPECT_EQ(open("sub", wasi::right::kFdWrite, 0, &fd), err(Errno::Isdir));
  ASSERT_EQ(open("sub", wasi::right::kAll & ~wasi::right::kFdWrite, wasi::kOflagDirectory, &fd),
            0u);
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {fd, 100}), 0u);
  EXPECT_EQ(get64(108) & (wasi::right::kFdRead | wasi::right::kFdWrite), 0u);
  EXPECT_EQ(call("fd_write", "iiii>i", {fd, 100, 1, 120}), err(Errno::Isdir));
  // Opening needs PATH_OPEN on the directory descriptor.
  EXPECT_EQ(call("fd_fdstat_set_rights", "iII>i",
                 {3, wasi::right::kDirectory & ~wasi::right::kPathOpen,
                  wasi::right::kDirectoryInheriting}),
            0u);
  EXPECT_EQ(open("file"), err(Errno::Notcapable));
}

TEST_F(WasiTest, paths_never_escape_the_preopen) {
  os.add("dir/etc_link", FileType::SymbolicLink, "/etc");
  os.add("dir/up_link", FileType::SymbolicLink, "../outside");
  os.add("dir/sub/deep_up", FileType::SymbolicLink, "../../outside");
  os.add("dir/loop", FileType::SymbolicLink, "loop");
  os.add("dir/sub_link", FileType::SymbolicLink, "sub");
  os.add("dir/file_link", FileType::SymbolicLink, "sub/../file");
  EXPECT_EQ(open("../outside"), err(Errno::Notcapable));
  EXPECT_EQ(open("sub/../../outside"), err(Errno::Notcapable));
  EXPECT_EQ(open("/etc/passwd"), err(Errno::Notcapable));
  EXPECT_EQ(open("etc_link/passwd"), err(Errno::Notcapable));
  EXPECT_EQ(open("etc_link"), err(Errno::Notcapable));
  EXPECT_EQ(open("up_link"), err(Errno::Notcapable));
  EXPECT_EQ(open("sub/deep_up"), err(Errno::Notcapable));
  EXPECT_EQ(open("loop"), err(Errno::Loop));
  // Without SYMLINK_FOLLOW the last component is the link itself: not opened through.
  EXPECT_EQ(open("up_link", wasi::right::kAll, 0, nullptr, 0), err(Errno::Loop));
  // Inside the preopen everything resolves.
  EXPECT_EQ(open("sub/../file"), 0u);
  EXPECT_EQ(open("./sub//inner"), 0u);
  EXPECT_EQ(open("sub_link/inner"), 0u);
  EXPECT_EQ(open("file_link"), 0u);
  EXPECT_EQ(open("file/"), err(Errno::Notdir));
  // Other path functions use the same walk.
  u32 len = put_string(1000, "../outside");
  EXPECT_EQ(call("path_unlink_file", "iii>i", {3, 1000, len}), err(Errno::Notcapable));
  len = put_string(1000, "up_link");
  EXPECT_EQ(call("path_filestat_get", "iiiii>i", {3, 1, 1000, len, 2000}), err(Errno::Notcapable));
  EXPECT_EQ(call("path_filestat_get", "iiiii>i", {3, 0, 1000, len, 2000}), 0u);
  EXPECT_EQ(at(2016)[0], static_cast<u8>(FileType::SymbolicLink));
  EXPECT_GE(os.find("outside"), 0);  // still there
}

TEST_F(WasiTest, path_operations) {
  u32 len = put_string(1000, "newdir");
  EXPECT_EQ(call("path_create_directory", "iii>i", {3, 1000, len}), 0u);
  EXPECT_EQ(call("path_create_directory", "iii>i", {3, 1000, len}), err(Errno::Exist));
  u32 fd;
  EXPECT_EQ(open("newdir/f", wasi::right::kAll, wasi::kOflagCreat, &fd), 0u);
  put32(100, 200);
  put32(104, put_string(200, "data"));
  EXPECT_EQ(call("fd_write", "iiii>i", {fd, 100, 1, 120}), 0u);
  EXPECT_EQ(os.node(os.find("dir/newdir/f")).data, "data");
  EXPECT_EQ(call("path_remove_directory", "iii>i", {3, 1000, len}), err(Errno::Notempty));
  u32 l1 = put_string(1000, "newdir/f"), l2 = put_string(1100, "moved");
  EXPECT_EQ(call("path_rename", "iiiiii>i", {3, 1000, l1, 3, 1100, l2}), 0u);
  EXPECT_EQ(os.find("dir/newdir/f"), -1);
  len = put_string(1000, "newdir");
  EXPECT_EQ(call("path_remove_directory", "iii>i", {3, 1000, len}), 0u);
  // symlink + readlink
  l1 = put_string(1000, "moved");
  l2 = put_string(1100, "alias");
  EXPECT_EQ(call("path_symlink", "iiiii>i", {1000, l1, 3, 1100, l2}), 0u);
  EXPECT_EQ(call("path_readlink", "iiiiii>i", {3, 1100, l2, 1200, 64, 1300}), 0u);
  EXPECT_EQ(get32(1300), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(1200)), 5), "moved");
  EXPECT_EQ(call("path_unlink_file", "iii>i", {3, 1100, l2}), 0u);
  len = put_string(1000, "sub");
  EXPECT_EQ(call("path_unlink_file", "iii>i", {3, 1000, len}), err(Errno::Isdir));
}

// O_CREAT|O_EXCL on a symlink fails with EEXIST even when the link dangles (POSIX); without
// O_EXCL, O_CREAT through a dangling link creates its target, as Linux does.
TEST_F(WasiTest, exclusive_create_never_follows_a_final_symlink) {
  os.add("dir/dangling", FileType::SymbolicLink, "target");
  EXPECT_EQ(open("dangling", wasi::right::kAll, wasi::kOflagCreat | wasi::kOflagExcl),
            err(Errno::Exist));
  EXPECT_EQ(os.find("dir/target"), -1);
  EXPECT_EQ(open("dangling", wasi::right::kAll, wasi::kOflagCreat), 0u);
  EXPECT_GE(os.find("dir/target"), 0);
}

TEST_F(WasiTest, seek_tell_and_positioned_io) {
  u32 fd;
  ASSERT_EQ(open("file", wasi::right::kAll, 0, &fd), 0u);
  EXPECT_EQ(call("fd_seek", "iIii>i", {fd, 6, wasi::kWhenceSet, 100}), 0u);
  EXPECT_EQ(get64(100), 6u);
  put32(200, 300);
  put32(204, 5);
  EXPECT_EQ(call("fd_read", "iiii>i", {fd, 200, 1, 120}), 0u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(300)), 5), "world");
  EXPECT_EQ(call("fd_tell", "ii>i", {fd, 100}), 0u);
  EXPECT_EQ(get64(100), 11u);
  EXPECT_EQ(call("fd_seek", "iIii>i", {fd, static_cast<u64>(-20), wasi::kWhenceEnd, 100}),
            err(Errno::Inval));
  EXPECT_EQ(call("fd_pread", "iiiIi>i", {fd, 200, 1, 0, 120}), 0u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(300)), 5), "hello");
  EXPECT_EQ(call("fd_tell", "ii>i", {fd, 100}), 0u);
  EXPECT_EQ(get64(100), 11u);  // pread leaves the position
  EXPECT_EQ(call("fd_pread", "iiiIi>i", {1, 200, 1, 0, 120}), err(Errno::Spipe));
}

TEST_F(WasiTest, poll_without_subscriptions_is_einval) {
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 0, 2000}), err(Errno::Inval));
}

TEST_F(WasiTest, poll_clock_relative_and_absolute) {
  // One relative timeout of 500 ns from now = 1000.
  memset(at(100), 0, 48);
  put64(100, 77);
  at(108)[0] = wasi::kEventClock;
  put32(116, 1);
  put64(124, 500);
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 1, 2000}), 0u);
  EXPECT_EQ(os.last_poll_deadline, 1500u);
  EXPECT_EQ(get32(2000), 1u);
  EXPECT_EQ(get64(1000), 77u);
  EXPECT_EQ(at(1010)[0], wasi::kEventClock);
  // Absolute: the deadline is the timeout itself.
  put64(124, 5000);
  memcpy(at(140), &wasi::kSubclockAbstime, 2);
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 1, 2000}), 0u);
  EXPECT_EQ(os.last_poll_deadline, 5000u);
  EXPECT_EQ(os.now, 5000u);
}

TEST_F(WasiTest, blocked_read_is_pending_then_retried) {
  os.block_reads = 1;
  put32(100, 200);
  put32(104, 16);
  put32(120, 0xaaaaaaaa);
  EXPECT_EQ(call("fd_read", "iiii>i", {0, 100, 1, 120}), kPending);
  EXPECT_TRUE(wasi.pending());
  EXPECT_STREQ(wasi.pending_name(), "fd_read");
  EXPECT_EQ(get32(120), 0xaaaaaaaau);  // nothing written
  EXPECT_EQ(retry(), kPending);        // still no input: pending again
  os.input = "hey";
  EXPECT_EQ(retry(), 0u);
  EXPECT_FALSE(wasi.pending());
  EXPECT_EQ(get32(120), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(at(200)), 3), "hey");
  // With the non-blocking flag the same situation is EAGAIN.
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {0, wasi::kFdflagNonblock}), 0u);
  EXPECT_EQ(call("fd_read", "iiii>i", {0, 100, 1, 120}), err(Errno::Again));
}

TEST_F(WasiTest, blocked_poll_keeps_its_deadline_across_retries) {
  memset(at(100), 0, 96);
  at(108)[0] = wasi::kEventClock;
  put32(116, 1);
  put64(124, 500);  // relative to now = 1000
  at(156)[0] = wasi::kEventFdRead;
  put32(164, 0);
  os.block_polls = 1;
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 2, 2000}), kPending);
  put32(2000, 0xaaaa);
  os.now = 1400;  // time passed while suspended
  EXPECT_EQ(retry(), 0u);
  EXPECT_EQ(os.last_poll_deadline, 1500u);  // not 1900
  EXPECT_EQ(get32(2000), 1u);
  EXPECT_EQ(at(1010)[0], wasi::kEventClock);
  // Input makes the read subscription fire instead.
  os.input = "x";
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 2, 2000}), 0u);
  EXPECT_EQ(get32(2000), 1u);
  EXPECT_EQ(at(1010)[0], wasi::kEventFdRead);
  EXPECT_EQ(get64(1016), 1u);
}

// What poll_oneoff keeps of a program's subscriptions (4,096 of them at most, kept while it waits
// and reused after) is charged to it through the Os, once for the largest poll; a refused charge
// is ENOMEM and keeps nothing.
TEST_F(WasiTest, poll_charges_the_subscriptions_it_keeps) {
  constexpr u32 kSubs = 600;  // 48 bytes each, from 4096 (the events, 32 bytes each, at 33,000)
  memset(at(4096), 0, kSubs * 48);
  for (u32 i = 0; i < kSubs; ++i) {
    at(4096 + i * 48 + 8)[0] = wasi::kEventFdRead;
    put32(4096 + i * 48 + 16, 0);
  }
  os.charge_limit = kSubs * 48;  // less than the copy and its deadlines
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {4096, 33000, kSubs, 2000}), err(Errno::Nomem));
  EXPECT_EQ(os.charged, 0u);
  os.charge_limit = ~0ull;
  os.block_polls = 1;
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {4096, 33000, kSubs, 2000}), kPending);
  const u64 charged = os.charged;
  EXPECT_GE(charged, u64{kSubs} * (48 + 8));
  os.input = "x";
  EXPECT_EQ(retry(), 0u);
  EXPECT_EQ(get32(2000), kSubs);
  // A smaller poll reuses what is kept: no new charge.
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {4096, 33000, 2, 2000}), 0u);
  EXPECT_EQ(os.charged, charged);
}

TEST_F(WasiTest, readdir_walks_with_cookies) {
  // Entries of "dir": file, sub (the fake lists names in order, cookies 1, 2, ...).
  std::vector<std::string> names;
  u64 cookie = 0;
  for (int guard = 0; guard < 10; ++guard) {
    // A buffer that holds one header and part of a name: forces the cookie walk.
    EXPECT_EQ(call("fd_readdir", "iiiIi>i", {3, 100, 24 + 3, cookie, 500}), 0u);
    u32 used = get32(500);
    if (used < 24) break;
    u32 namlen = get32(100 + 16);
    EXPECT_EQ(used, 27u);
    // Re-read the whole entry with a larger buffer.
    EXPECT_EQ(call("fd_readdir", "iiiIi>i", {3, 100, 24 + namlen, cookie, 500}), 0u);
    std::string name(reinterpret_cast<char*>(at(124)), namlen);
    names.push_back(name);
    // d_ino equals the stat's ino.
    u32 len = put_string(1000, name);
    EXPECT_EQ(call("path_filestat_get", "iiiii>i", {3, 0, 1000, len, 2000}), 0u);
    EXPECT_EQ(get64(108), get64(2008)) << name;
    cookie = get64(100);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"file", "sub"}));
  // A large buffer returns everything, bufused < size meaning the end.
  EXPECT_EQ(call("fd_readdir", "iiiIi>i", {3, 100, 4096, 0, 500}), 0u);
  EXPECT_EQ(get32(500), 2 * 24u + 4 + 3);
  u32 fd;
  ASSERT_EQ(open("file", wasi::right::kAll, 0, &fd), 0u);
  EXPECT_EQ(call("fd_readdir", "iiiIi>i", {fd, 100, 4096, 0, 500}), err(Errno::Notcapable));
}

TEST_F(WasiTest, sockets_and_unsupported_calls_return_errnos) {
  EXPECT_EQ(call("sock_shutdown", "ii>i", {1, 2}), err(Errno::Notsock));
  EXPECT_EQ(call("sock_shutdown", "ii>i", {42, 2}), err(Errno::Badf));
  EXPECT_EQ(call("sock_accept", "iii>i", {3, 0, 100}), err(Errno::Notsock));
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {77, 100, 1, 0, 200, 204}), err(Errno::Badf));
  EXPECT_EQ(call("sock_send", "iiiii>i", {1, 100, 1, 0, 200}), err(Errno::Notsock));
  EXPECT_EQ(call("proc_raise", "i>i", {6}), err(Errno::Notsup));
  EXPECT_EQ(call("sched_yield", ">i", {}), 0u);
  EXPECT_EQ(call("clock_res_get", "ii>i", {9, 100}), err(Errno::Inval));
  for (u32 id = 0; id < 4; ++id) EXPECT_EQ(call("clock_time_get", "iIi>i", {id, 0, 100}), 0u);
}

TEST_F(WasiTest, resolver_reports_wrong_types_and_unknown_names) {
  FuncType bad = make_type("ii>i");
  auto r = wasi.resolve_import(store, "wasi_snapshot_preview1", "fd_write", bad);
  EXPECT_EQ(r.kind, wasi::ImportResolution::Kind::WrongType);
  EXPECT_STREQ(r.message,
               "wasi_snapshot_preview1.fd_write: the module imports it as (i32 i32) -> (i32), "
               "WASI defines (i32 i32 i32 i32) -> (i32)");
  r = wasi.resolve_import(store, "wasi_snapshot_preview1", "fd_frobnicate", bad);
  EXPECT_EQ(r.kind, wasi::ImportResolution::Kind::Unknown);
  EXPECT_STREQ(r.message, "unknown import wasi_snapshot_preview1.fd_frobnicate");
  r = wasi.resolve_import(store, "warden", "spawn", bad);
  EXPECT_EQ(r.kind, wasi::ImportResolution::Kind::NotMine);
}

// The module of `text`, compiled; null (and a test failure) when it does not assemble or compile.
std::unique_ptr<wasm::Module> compile_text(const char* text) {
  auto bytes = wat::encode_module(text);
  EXPECT_TRUE(bytes.is_ok()) << text;
  if (bytes.is_error()) return nullptr;
  auto compiled = wasm::Module::compile(bytes.value().span());
  EXPECT_TRUE(compiled.is_ok()) << text;
  return std::unique_ptr<wasm::Module>(compiled.is_ok() ? compiled.value() : nullptr);
}

// End to end: a text module linked through the resolver, bound to its memory, run to proc_exit.
TEST(WasiModule, runs_a_text_module_to_proc_exit) {
  const char* text = R"((module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hi\n")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 3))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $proc_exit (i32.load (i32.const 8)))
      unreachable))
  )";
  std::unique_ptr<wasm::Module> module = compile_text(text);
  ASSERT_NE(module, nullptr);
  wasm::MmapMemoryProvider provider;
  wasm::Store store(provider);
  FakeOs os;
  wasi::Wasi wasi(os);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(wasi.add_fd(os.console()).is_ok());
  std::vector<wasm::Extern> imports;
  for (const wasm::Import& im : module->imports) {
    auto r = wasi.resolve_import(store, module->name_of(im.module), module->name_of(im.name),
                                 module->types[im.func_type]);
    ASSERT_EQ(r.kind, wasi::ImportResolution::Kind::Found) << r.message;
    imports.push_back(wasm::Extern::func(r.func));
  }
  auto inst =
      store.instantiate(*module, support::Span<const wasm::Extern>(imports.data(), imports.size()));
  ASSERT_TRUE(inst.is_ok());
  ASSERT_TRUE(wasi.bind(inst.value()).is_ok());
  wasm::Execution ex(store);
  auto start = inst.value()->find_export("_start");
  ASSERT_TRUE(ex.start(static_cast<FuncInst*>(start.ptr), {}).is_ok());
  EXPECT_EQ(ex.run(1000), RunStatus::Exit);
  EXPECT_EQ(ex.exit_code(), 3u);  // bytes written
  EXPECT_EQ(os.output, "hi\n");
}

}  // namespace
}  // namespace wasi_test

namespace wasi_test {
namespace {

// The engine's backtrace, as the runner prints it: innermost first, names from exports here
// (lib/wat writes no name section).
TEST(WasiModule, trap_backtrace_lists_the_call_stack) {
  const char* text = R"((module
    (func $inner (export "inner") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
    (func $middle (result i32) (call $inner (i32.const 0)))
    (func (export "_start") (drop (call $middle))))
  )";
  std::unique_ptr<wasm::Module> module = compile_text(text);
  ASSERT_NE(module, nullptr);
  wasm::MmapMemoryProvider provider;
  wasm::Store store(provider);
  auto inst = store.instantiate(*module, {});
  ASSERT_TRUE(inst.is_ok());
  wasm::Execution ex(store);
  auto start = inst.value()->find_export("_start");
  ASSERT_TRUE(ex.start(static_cast<FuncInst*>(start.ptr), {}).is_ok());
  ASSERT_EQ(ex.run(1000), RunStatus::Trap);
  wasm::Execution::BacktraceFrame frames[8];
  u32 n = ex.backtrace(support::Span<wasm::Execution::BacktraceFrame>(frames, 8));
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(frames[0].func_index, 0u);
  EXPECT_EQ(frames[1].func_index, 1u);
  EXPECT_EQ(frames[2].func_index, 2u);
  EXPECT_TRUE(module->function_name(0) == "inner");
  EXPECT_TRUE(module->function_name(1).empty());
  EXPECT_TRUE(module->function_name(2) == "_start");
  // A smaller buffer keeps the innermost frames.
  EXPECT_EQ(ex.backtrace(support::Span<wasm::Execution::BacktraceFrame>(frames, 1)), 1u);
  EXPECT_EQ(frames[0].func_index, 0u);
}

TEST_F(WasiTest, inherited_files_are_streams_without_seek) {
  int id = os.add("dir/log", FileType::RegularFile, "");
  u32 fd = wasi.add_fd(os.open_node(id)).value();
  EXPECT_EQ(fd, 4u);
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {fd, 100}), 0u);
  EXPECT_EQ(at(100)[0], static_cast<u8>(FileType::RegularFile));
  EXPECT_EQ(get64(108) & (wasi::right::kFdSeek | wasi::right::kFdTell), 0u);
  put32(200, 300);
  put32(204, put_string(300, "out"));
  EXPECT_EQ(call("fd_write", "iiii>i", {fd, 200, 1, 120}), 0u);
  EXPECT_EQ(os.output, "out");  // through Os::write, not pwrite at a WASI offset
  EXPECT_EQ(call("fd_seek", "iIii>i", {fd, 0, wasi::kWhenceSet, 100}), err(Errno::Spipe));
}

TEST_F(WasiTest, pending_poll_writes_no_events) {
  memset(at(100), 0, 48);
  at(108)[0] = wasi::kEventFdRead;
  put32(116, 0);
  put32(2000, 0xaaaa);
  memset(at(1000), 0x55, 32);
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {100, 1000, 1, 2000}), kPending);  // no input
  EXPECT_EQ(get32(2000), 0xaaaau);
  EXPECT_EQ(at(1000)[0], 0x55);
  EXPECT_EQ(retry(), kPending);
  os.input = "ab";
  EXPECT_EQ(retry(), 0u);
  EXPECT_EQ(get32(2000), 1u);
  EXPECT_EQ(get64(1016), 2u);
}

TEST_F(WasiTest, a_descriptor_at_a_number_leaves_the_ones_below_closed_and_its_rights_reduced) {
  int id = os.add("dir/log", FileType::RegularFile, "");
  u32 count = wasi.descriptor_count();
  u32 fd =
      wasi.add_fd_at(count + 3, os.open_node(id), ~wasi::right::kFdWrite, ~wasi::Rights{0}).value();
  EXPECT_EQ(fd, count + 3);
  EXPECT_EQ(wasi.descriptor(count), nullptr);
  EXPECT_EQ(wasi.descriptor(count + 2), nullptr);
  EXPECT_EQ(wasi.descriptor(fd)->base, wasi::right::kStream & ~wasi::right::kFdWrite);
  put32(200, 300);
  put32(204, put_string(300, "out"));
  EXPECT_EQ(call("fd_write", "iiii>i", {fd, 200, 1, 120}), err(Errno::Notcapable));
  EXPECT_TRUE(os.output.empty());
  // The number is taken now; the lowest free one is still the first below it.
  EXPECT_TRUE(wasi.add_fd_at(fd, os.open_node(id), ~wasi::Rights{0}, ~wasi::Rights{0}).is_error());
  EXPECT_EQ(wasi.add_fd(os.console()).value(), count);
}

}  // namespace
}  // namespace wasi_test

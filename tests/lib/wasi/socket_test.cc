// lib/wasi's sockets against the FakeOs: a listener handed to the program (add_socket), accepted
// connections, sock_recv (RECV_PEEK, RECV_WAITALL), sock_send, sock_shutdown, fd_read/fd_write
// and poll_oneoff on them, rights, FDFLAGS_NONBLOCK, and hostile iovec arrays.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "wasi_fixture.h"

namespace wasi_test {
namespace {

using wasi::SocketRole;
namespace right = wasi::right;

constexpr u32 kResult = 100, kRoFlags = 104, kIovecs = 200;

class SocketTest : public WasiTest {
 protected:
  void SetUp() override {
    WasiTest::SetUp();
    listener = os.listener();
    auto fd = wasi.add_socket(listener, SocketRole::Listener);
    ASSERT_TRUE(fd.is_ok());
    ASSERT_EQ(fd.value(), 4u);  // after the preopen
  }
  // Accepts a connection on descriptor 4; its descriptor (0xdeadbeef when none came).
  u32 accept(u32 flags = 0) {
    put32(kResult, 0xdeadbeef);
    EXPECT_EQ(call("sock_accept", "iii>i", {4, flags, kResult}), 0u);
    return get32(kResult);
  }
  // Writes an iovec array at kIovecs for (buffer, length) pairs.
  void iovecs(const std::vector<std::pair<u32, u32>>& bufs) {
    for (size_t i = 0; i < bufs.size(); ++i) {
      put32(kIovecs + 8 * static_cast<u32>(i), bufs[i].first);
      put32(kIovecs + 8 * static_cast<u32>(i) + 4, bufs[i].second);
    }
  }
  u64 recv(u32 fd, const std::vector<std::pair<u32, u32>>& bufs, u32 flags = 0) {
    iovecs(bufs);
    put32(kResult, 0xdeadbeef);
    put32(kRoFlags, 0xffff);
    return call("sock_recv", "iiiiii>i",
                {fd, kIovecs, static_cast<u32>(bufs.size()), flags, kResult, kRoFlags});
  }
  u64 send(u32 fd, const std::string& data, u32 flags = 0) {
    put_string(3000, data);
    iovecs({{3000, static_cast<u32>(data.size())}});
    return call("sock_send", "iiiii>i", {fd, kIovecs, 1, flags, kResult});
  }
  std::string text(u32 p, u32 n) { return std::string(reinterpret_cast<char*>(at(p)), n); }
  FakeOs::Socket& socket(u32 fd) { return *os.socket_of(wasi.descriptor(fd)->handle); }

  Handle listener = 0;
};

TEST_F(SocketTest, listener_comes_after_the_preopens_with_listener_rights) {
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {4, 300}), 0u);
  EXPECT_EQ(at(300)[0], static_cast<u8>(FileType::SocketStream));
  EXPECT_EQ(get64(308), right::kSocketListener);
  EXPECT_EQ(get64(316), 0u);
  EXPECT_EQ(call("fd_prestat_get", "ii>i", {4, 300}), err(Errno::Badf));  // ends the scan
  EXPECT_EQ(call("fd_seek", "iIii>i", {4, 0, 1, 300}), err(Errno::Spipe));
  EXPECT_EQ(call("fd_filestat_get", "ii>i", {4, 300}), 0u);
  EXPECT_EQ(at(316)[0], static_cast<u8>(FileType::SocketStream));
  // Only accepting: no bytes, no shutdown.
  EXPECT_EQ(recv(4, {{1000, 8}}), err(Errno::Notcapable));
  EXPECT_EQ(send(4, "x"), err(Errno::Notcapable));
  EXPECT_EQ(call("sock_shutdown", "ii>i", {4, 3}), err(Errno::Notcapable));
  put32(300, 1000);
  put32(304, 8);
  EXPECT_EQ(call("fd_read", "iiii>i", {4, 300, 1, 310}), err(Errno::Notcapable));
}

TEST_F(SocketTest, accept_gives_the_lowest_free_descriptor_a_connection_with_its_rights) {
  os.connect(listener, "GET / HTTP/1.1\r\n\r\n");
  os.connect(listener);
  EXPECT_EQ(call("fd_close", "i>i", {2}), 0u);
  EXPECT_EQ(accept(), 2u);
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {2, 300}), 0u);
  EXPECT_EQ(at(300)[0], static_cast<u8>(FileType::SocketStream));
  EXPECT_EQ(get32(300) >> 16, 0u);  // no fdflags
  EXPECT_EQ(get64(308), right::kSocketConnection);
  EXPECT_EQ(get64(308) & (right::kFdSeek | right::kFdTell), 0u);
  EXPECT_EQ(accept(wasi::kFdflagNonblock), 5u);
  EXPECT_EQ(call("fd_fdstat_get", "ii>i", {5, 300}), 0u);
  EXPECT_EQ(get32(300) >> 16, u32{wasi::kFdflagNonblock});
  EXPECT_TRUE(os.nonblocking[wasi.descriptor(5)->handle]);
  // A connection does not accept; what is not a socket is ENOTSOCK; no descriptor is EBADF.
  EXPECT_EQ(call("sock_accept", "iii>i", {2, 0, kResult}), err(Errno::Notcapable));
  EXPECT_EQ(call("sock_accept", "iii>i", {3, 0, kResult}), err(Errno::Notsock));
  EXPECT_EQ(call("sock_accept", "iii>i", {1, 0, kResult}), err(Errno::Notsock));
  EXPECT_EQ(call("sock_accept", "iii>i", {77, 0, kResult}), err(Errno::Badf));
  EXPECT_EQ(recv(2, {{1000, 64}}), 0u);
  EXPECT_EQ(get32(kResult), 18u);
  EXPECT_EQ(text(1000, 4), "GET ");
}

TEST_F(SocketTest, accept_checks_its_arguments_before_taking_a_connection) {
  os.connect(listener);
  const int calls = os.sock_calls;
  EXPECT_EQ(call("sock_accept", "iii>i", {4, 0, kPage - 2}), err(Errno::Fault));
  EXPECT_EQ(call("sock_accept", "iii>i", {4, 1, kResult}), err(Errno::Inval));  // only NONBLOCK
  EXPECT_EQ(call("sock_accept", "iii>i", {4, 8, kResult}), err(Errno::Inval));
  EXPECT_EQ(os.sock_calls, calls);
  EXPECT_EQ(os.socket(os.handles_.at(listener)).backlog.size(), 1u);
  EXPECT_EQ(accept(), 5u);
}

TEST_F(SocketTest, accept_waits_or_is_eagain_with_nonblock) {
  EXPECT_EQ(call("sock_accept", "iii>i", {4, 0, kResult}), kPending);
  EXPECT_STREQ(wasi.pending_name(), "sock_accept");
  EXPECT_EQ(retry(), kPending);
  os.connect(listener);
  EXPECT_EQ(retry(), 0u);
  EXPECT_EQ(get32(kResult), 5u);
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {4, wasi::kFdflagNonblock}), 0u);
  EXPECT_TRUE(os.nonblocking[listener]);
  EXPECT_EQ(call("sock_accept", "iii>i", {4, 0, kResult}), err(Errno::Again));
  EXPECT_EQ(wasi.descriptor(6), nullptr);
  // Clearing the flag is told to the Os too; a refusal leaves the flags as they were.
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {4, 0}), 0u);
  EXPECT_FALSE(os.nonblocking[listener]);
  os.nonblocking_answer = Errno::Notsup;
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {4, wasi::kFdflagNonblock}), err(Errno::Notsup));
  EXPECT_EQ(wasi.descriptor(4)->flags, 0u);
  EXPECT_EQ(call("sock_accept", "iii>i", {4, 0, kResult}), kPending);
}

TEST_F(SocketTest, recv_peek_waitall_and_end_of_stream) {
  int id = os.connect(listener, "hello world");
  const u32 fd = accept();
  // A peek leaves the bytes; a receive takes them.
  EXPECT_EQ(recv(fd, {{1000, 5}}, wasi::kRiflagRecvPeek), 0u);
  EXPECT_EQ(get32(kResult), 5u);
  EXPECT_EQ(get32(kRoFlags) & 0xffff, 0u);
  EXPECT_EQ(text(1000, 5), "hello");
  EXPECT_EQ(recv(fd, {{1100, 5}}), 0u);
  EXPECT_EQ(text(1100, 5), "hello");
  // Without WAITALL: what has come, one segment at a time.
  os.socket(id).recv_chunk = 3;
  EXPECT_EQ(recv(fd, {{1200, 6}}), 0u);
  EXPECT_EQ(get32(kResult), 3u);
  EXPECT_EQ(text(1200, 3), " wo");
  // With WAITALL: receives until the buffers are full (here over two of them).
  os.socket(id).in += "abcdefgh";
  EXPECT_EQ(recv(fd, {{1300, 4}, {1400, 6}}, wasi::kRiflagRecvWaitall), 0u);
  EXPECT_EQ(get32(kResult), 10u);
  EXPECT_EQ(text(1300, 4), "rlda");
  EXPECT_EQ(text(1400, 6), "bcdefg");
  // ... or until nothing more comes now (an Os that would wait: a short count), or the end.
  EXPECT_EQ(recv(fd, {{1500, 8}}, wasi::kRiflagRecvWaitall), 0u);
  EXPECT_EQ(get32(kResult), 1u);
  EXPECT_EQ(recv(fd, {{1500, 8}}), kPending);
  os.socket(id).in = "xyz";
  os.socket(id).peer_closed = true;
  EXPECT_EQ(retry(), 0u);
  EXPECT_EQ(get32(kResult), 3u);
  EXPECT_EQ(recv(fd, {{1500, 8}}, wasi::kRiflagRecvWaitall), 0u);
  EXPECT_EQ(get32(kResult), 0u);  // the end of the stream
}

TEST_F(SocketTest, recv_goes_on_to_the_next_buffer_only_with_bytes_waiting) {
  int id = os.connect(listener, "0123456789");
  const u32 fd = accept();
  EXPECT_EQ(recv(fd, {{1000, 4}, {1100, 4}, {1200, 8}}), 0u);
  EXPECT_EQ(get32(kResult), 10u);
  EXPECT_EQ(text(1000, 4) + text(1100, 4) + text(1200, 2), "0123456789");
  // Exactly the first buffer's worth: no second receive (it would wait on a blocking Os).
  os.socket(id).in = "abcd";
  const int calls = os.sock_calls;
  EXPECT_EQ(recv(fd, {{1000, 4}, {1100, 4}}), 0u);
  EXPECT_EQ(get32(kResult), 4u);
  EXPECT_EQ(os.sock_calls, calls + 1);
}

TEST_F(SocketTest, recv_checks_flags_and_pointers_before_taking_bytes) {
  os.connect(listener, "data");
  const u32 fd = accept();
  EXPECT_EQ(recv(fd, {{1000, 4}}, 4), err(Errno::Inval));
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {fd, kIovecs, 1, 0, kPage - 2, kRoFlags}),
            err(Errno::Fault));
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {fd, kIovecs, 1, 0, kResult, kPage - 1}),
            err(Errno::Fault));
  EXPECT_EQ(recv(fd, {{kPage - 2, 4}}), err(Errno::Fault));
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {fd, kPage - 4, 1, 0, kResult, kRoFlags}),
            err(Errno::Fault));
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {fd, kIovecs, 1025, 0, kResult, kRoFlags}),
            err(Errno::Inval));  // more than kMaxIovecs
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {3, kIovecs, 1, 0, kResult, kRoFlags}),
            err(Errno::Notsock));
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {42, kIovecs, 1, 0, kResult, kRoFlags}),
            err(Errno::Badf));
  EXPECT_EQ(socket(fd).in, "data");
  EXPECT_EQ(recv(fd, {{1000, 4}}), 0u);
  EXPECT_EQ(text(1000, 4), "data");
}

// The first buffer covers the iovec array itself: the bytes received into it rewrite the
// second entry (to point outside memory) before the second receive; only the copy is used.
TEST_F(SocketTest, recv_into_its_own_iovec_array_uses_the_copy) {
  int id = os.connect(listener);
  const u32 fd = accept();
  std::string first(16, 'A');
  const u32 hostile[2] = {kPage - 4, 4096};  // iovec[1] as the received bytes rewrite it
  memcpy(&first[8], hostile, 8);
  os.socket(id).in = first + "TAILDATA";
  memset(at(3000), 0, 16);
  EXPECT_EQ(recv(fd, {{kIovecs, 16}, {3000, 8}}), 0u);
  EXPECT_EQ(get32(kResult), 24u);
  EXPECT_EQ(get32(kIovecs + 8), kPage - 4);  // the array was rewritten, by the program's bytes
  EXPECT_EQ(text(3000, 8), "TAILDATA");      // the second receive went where the copy said
  // A program that rewrites its array while the Os receives gets the same.
  os.socket(id).in = "0123456789";
  iovecs({{1000, 4}, {1100, 6}});
  os.hook = [&](const char* what) {
    if (std::string(what) == "sock_recv") put32(kIovecs + 8, kPage - 1);
  };
  EXPECT_EQ(call("sock_recv", "iiiiii>i", {fd, kIovecs, 2, 0, kResult, kRoFlags}), 0u);
  os.hook = nullptr;
  EXPECT_EQ(get32(kResult), 10u);
  EXPECT_EQ(text(1000, 4) + text(1100, 6), "0123456789");
}

TEST_F(SocketTest, send_takes_no_flags_and_is_eagain_with_nonblock_when_full) {
  int id = os.connect(listener);
  const u32 fd = accept();
  EXPECT_EQ(send(fd, "hello", 1), err(Errno::Inval));
  EXPECT_EQ(call("sock_send", "iiiii>i", {fd, kIovecs, 1, 0, kPage - 1}), err(Errno::Fault));
  EXPECT_EQ(socket(fd).out, "");
  EXPECT_EQ(send(fd, "hello"), 0u);
  EXPECT_EQ(get32(kResult), 5u);
  // fd_write on a connection goes to sock_send too (the fake fails a write() on a socket).
  put_string(3100, "abc");
  iovecs({{3100, 3}});
  EXPECT_EQ(call("fd_write", "iiii>i", {fd, kIovecs, 1, kResult}), 0u);
  EXPECT_EQ(os.socket(id).out, "helloabc");
  os.socket(id).send_room = 2;
  EXPECT_EQ(send(fd, "world"), 0u);
  EXPECT_EQ(get32(kResult), 2u);  // a short count
  EXPECT_EQ(send(fd, "rld"), kPending);
  ex.reset();
  EXPECT_EQ(call("fd_fdstat_set_flags", "ii>i", {fd, wasi::kFdflagNonblock}), 0u);
  EXPECT_EQ(send(fd, "rld"), err(Errno::Again));
  EXPECT_EQ(os.socket(id).out, "helloabcwo");
}

TEST_F(SocketTest, fd_read_on_a_connection_receives_and_is_eagain_with_nonblock) {
  int id = os.connect(listener, "line\n");
  const u32 fd = accept(wasi::kFdflagNonblock);
  put32(300, 1000);
  put32(304, 64);
  EXPECT_EQ(call("fd_read", "iiii>i", {fd, 300, 1, 310}), 0u);
  EXPECT_EQ(get32(310), 5u);
  EXPECT_EQ(call("fd_read", "iiii>i", {fd, 300, 1, 310}), err(Errno::Again));
  os.socket(id).peer_closed = true;
  EXPECT_EQ(call("fd_read", "iiii>i", {fd, 300, 1, 310}), 0u);
  EXPECT_EQ(get32(310), 0u);
}

TEST_F(SocketTest, shutdown_takes_rd_wr_or_both) {
  int id = os.connect(listener);
  const u32 fd = accept();
  EXPECT_EQ(call("sock_shutdown", "ii>i", {fd, 0}), err(Errno::Inval));
  EXPECT_EQ(call("sock_shutdown", "ii>i", {fd, 4}), err(Errno::Inval));
  EXPECT_EQ(call("sock_shutdown", "ii>i", {fd, 7}), err(Errno::Inval));
  EXPECT_FALSE(os.socket(id).shut_rd || os.socket(id).shut_wr);
  EXPECT_EQ(call("sock_shutdown", "ii>i", {fd, wasi::kSdflagWr}), 0u);
  EXPECT_TRUE(os.socket(id).shut_wr);
  EXPECT_FALSE(os.socket(id).shut_rd);
  EXPECT_EQ(send(fd, "late"), err(Errno::Pipe));
  EXPECT_EQ(call("sock_shutdown", "ii>i", {fd, 3}), 0u);
  EXPECT_TRUE(os.socket(id).shut_rd);
  EXPECT_EQ(call("sock_shutdown", "ii>i", {1, 3}), err(Errno::Notsock));
  EXPECT_EQ(call("sock_shutdown", "ii>i", {99, 3}), err(Errno::Badf));
}

TEST_F(SocketTest, poll_oneoff_reports_listeners_connections_and_hangup) {
  int id = os.connect(listener, "", false);
  // Subscriptions at 2000: read on the listener, read on a connection (after the accept).
  auto subscribe = [&](u32 i, u64 userdata, u8 tag, u32 fd) {
    wasi::Subscription sub{};
    sub.userdata = userdata;
    sub.tag = tag;
    sub.clock_id_or_fd = fd;
    memcpy(at(2000 + 48 * i), &sub, sizeof sub);
  };
  subscribe(0, 7, wasi::kEventFdRead, 4);
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {2000, 2500, 1, kResult}), 0u);
  EXPECT_EQ(get32(kResult), 1u);
  EXPECT_EQ(get64(2500), 7u);
  const u32 fd = accept();
  subscribe(0, 7, wasi::kEventFdRead, 4);
  subscribe(1, 8, wasi::kEventFdRead, fd);
  subscribe(2, 9, wasi::kEventFdWrite, fd);
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {2000, 2500, 3, kResult}), 0u);
  EXPECT_EQ(get32(kResult), 1u);  // writable only
  EXPECT_EQ(get64(2500), 9u);
  os.socket(id).in = "abc";
  os.socket(id).peer_closed = true;
  EXPECT_EQ(call("poll_oneoff", "iiii>i", {2000, 2500, 2, kResult}), 0u);
  EXPECT_EQ(get32(kResult), 1u);
  EXPECT_EQ(get64(2500), 8u);
  EXPECT_EQ(get64(2500 + 16), 3u);                                      // nbytes
  EXPECT_EQ(get32(2500 + 24) & 0xffff, wasi::kEventFdReadwriteHangup);  // flags
}

TEST_F(SocketTest, add_fd_of_a_socket_cannot_tell_its_role_and_gives_both) {
  Handle h = os.listener();
  auto fd = wasi.add_fd(h);
  ASSERT_TRUE(fd.is_ok());
  EXPECT_EQ(wasi.descriptor(fd.value())->type, FileType::SocketStream);
  EXPECT_EQ(wasi.descriptor(fd.value())->base, right::kSocketListener | right::kSocketConnection);
  // A descriptor sent by another program keeps its FDFLAGS_NONBLOCK, and the Os learns it.
  os.connect(listener);
  const u32 nb = accept(wasi::kFdflagNonblock);
  Handle other = os.listener();
  auto like = wasi.add_fd_like(other, *wasi.descriptor(nb));
  ASSERT_TRUE(like.is_ok());
  EXPECT_TRUE(os.nonblocking[other]);
  EXPECT_EQ(wasi.descriptor(like.value())->flags, wasi::kFdflagNonblock);
}

}  // namespace
}  // namespace wasi_test

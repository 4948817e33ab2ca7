// wasi::HostOs's sockets on Linux's loopback: a listener from listen_tcp, accept, recv (peek),
// send, shutdown, poll (readiness, hangup) and FDFLAGS_NONBLOCK kept per handle (Again instead of
// waiting, the Linux descriptor left blocking).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <wasi/host_os.h>

namespace wasi_test {
namespace {

using namespace wasi;

class HostSocketTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(os.listen_tcp("127.0.0.1:0", &listener, &port), Errno::Success);
    ASSERT_NE(port, 0u);
  }
  void TearDown() override { (void)os.close(listener); }
  // A Linux client connected to the listener.
  int connect_client() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return fd;
  }
  std::string recv_all(Handle h, size_t want) {
    std::string got;
    char buf[256];
    while (got.size() < want) {
      u64 n = 0;
      EXPECT_EQ(
          os.sock_recv(h, support::Span<u8>(reinterpret_cast<u8*>(buf), sizeof buf), false, &n),
          Errno::Success);
      if (n == 0) break;
      got.append(buf, n);
    }
    return got;
  }
  static support::Span<const u8> bytes(const std::string& s) {
    return support::Span<const u8>(reinterpret_cast<const u8*>(s.data()), s.size());
  }

  HostOs os;
  Handle listener = 0;
  u16 port = 0;
};

TEST_F(HostSocketTest, listen_tcp_refuses_malformed_addresses) {
  Handle h;
  u16 p;
  EXPECT_EQ(os.listen_tcp("127.0.0.1", &h, &p), Errno::Inval);
  EXPECT_EQ(os.listen_tcp("127.0.0.1:", &h, &p), Errno::Inval);
  EXPECT_EQ(os.listen_tcp("127.0.0.1:70000", &h, &p), Errno::Inval);
  EXPECT_EQ(os.listen_tcp("localhost:80x", &h, &p), Errno::Inval);
  EXPECT_EQ(os.listen_tcp("1.2.3:80", &h, &p), Errno::Inval);
  std::string taken = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(os.listen_tcp(taken.c_str(), &h, &p), Errno::Addrinuse);
}

TEST_F(HostSocketTest, accept_recv_peek_send_shutdown) {
  FileStat st;
  ASSERT_EQ(os.stat(listener, &st), Errno::Success);
  EXPECT_EQ(st.type, FileType::SocketStream);
  int client = connect_client();
  Handle conn;
  ASSERT_EQ(os.sock_accept(listener, &conn), Errno::Success);
  ASSERT_EQ(os.stat(conn, &st), Errno::Success);
  EXPECT_EQ(st.type, FileType::SocketStream);
  EXPECT_EQ(fcntl(static_cast<int>(conn), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ASSERT_EQ(write(client, "ping", 4), 4);
  char buf[8];
  u64 n = 0;
  auto span = support::Span<u8>(reinterpret_cast<u8*>(buf), sizeof buf);
  ASSERT_EQ(os.sock_recv(conn, span, true, &n), Errno::Success);
  EXPECT_EQ(std::string(buf, n), "ping");
  EXPECT_EQ(recv_all(conn, 4), "ping");  // the peek left them
  ASSERT_EQ(os.sock_send(conn, bytes("pong"), &n), Errno::Success);
  EXPECT_EQ(n, 4u);
  ASSERT_EQ(os.sock_shutdown(conn, false, true), Errno::Success);
  char back[8];
  EXPECT_EQ(read(client, back, sizeof back), 4);
  EXPECT_EQ(read(client, back, sizeof back), 0);  // the end, after the shutdown
  EXPECT_EQ(os.sock_send(conn, bytes("late"), &n), Errno::Pipe);
  EXPECT_EQ(os.sock_shutdown(listener, true, true), Errno::Notconn);
  close(client);
  EXPECT_EQ(os.close(conn), Errno::Success);
}

TEST_F(HostSocketTest, nonblocking_handles_answer_again_and_poll_reports_hangup) {
  ASSERT_EQ(os.set_nonblocking(listener, true), Errno::Success);
  Handle conn;
  EXPECT_EQ(os.sock_accept(listener, &conn), Errno::Again);
  EXPECT_EQ(fcntl(static_cast<int>(listener), F_GETFL) & O_NONBLOCK, 0);  // Linux's untouched
  int client = connect_client();
  PollFd p;
  p.handle = listener;
  ASSERT_EQ(os.poll(support::Span<PollFd>(&p, 1), ~0ull), Errno::Success);
  EXPECT_TRUE(p.ready);
  ASSERT_EQ(os.sock_accept(listener, &conn), Errno::Success);
  ASSERT_EQ(os.set_nonblocking(conn, true), Errno::Success);
  char buf[8];
  u64 n = 0;
  auto span = support::Span<u8>(reinterpret_cast<u8*>(buf), sizeof buf);
  EXPECT_EQ(os.sock_recv(conn, span, false, &n), Errno::Again);
  EXPECT_EQ(os.read(conn, span, &n), Errno::Again);
  // Sending until the buffers are full ends in Again, not in a wait.
  std::string block(65536, 'x');
  Errno e = Errno::Success;
  for (int i = 0; i < 10000 && e == Errno::Success; ++i) e = os.sock_send(conn, bytes(block), &n);
  EXPECT_EQ(e, Errno::Again);
  // The peer goes: readable, with hangup; a send is then an error, never a signal.
  close(client);
  PollFd r;
  r.handle = conn;
  ASSERT_EQ(os.poll(support::Span<PollFd>(&r, 1), ~0ull), Errno::Success);
  EXPECT_TRUE(r.ready);
  for (int i = 0; i < 100 && e != Errno::Pipe && e != Errno::Connreset; ++i)
    e = os.sock_send(conn, bytes(block), &n);
  EXPECT_TRUE(e == Errno::Pipe || e == Errno::Connreset) << static_cast<int>(e);
  ASSERT_EQ(os.set_nonblocking(conn, false), Errno::Success);
  EXPECT_EQ(os.close(conn), Errno::Success);
}

TEST_F(HostSocketTest, nonblocking_pipe_reads_answer_again) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(os.set_nonblocking(static_cast<Handle>(fds[0]), true), Errno::Success);
  char buf[4];
  u64 n = 0;
  auto span = support::Span<u8>(reinterpret_cast<u8*>(buf), sizeof buf);
  EXPECT_EQ(os.read(static_cast<Handle>(fds[0]), span, &n), Errno::Again);
  ASSERT_EQ(write(fds[1], "ab", 2), 2);
  EXPECT_EQ(os.read(static_cast<Handle>(fds[0]), span, &n), Errno::Success);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(os.close(static_cast<Handle>(fds[0])), Errno::Success);
  close(fds[1]);
}

// More than 64 handles in one poll (an HTTP server's connections).
TEST_F(HostSocketTest, poll_takes_many_handles) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::vector<PollFd> polls(200);
  for (PollFd& p : polls) p.handle = static_cast<Handle>(fds[0]);
  polls[150].handle = static_cast<Handle>(fds[1]);
  polls[150].write = true;
  ASSERT_EQ(os.poll(support::Span<PollFd>(polls.data(), polls.size()), ~0ull), Errno::Success);
  EXPECT_TRUE(polls[150].ready);
  EXPECT_FALSE(polls[0].ready);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace wasi_test

// nc: a TCP client. Connects to ADDRESS (warden_tcp_connect: "A.B.C.D:PORT", IPv4) and copies
// standard input to the connection and what comes back to standard output, both at once (poll),
// until the connection ends. The end of standard input shuts down the sending side (the peer
// sees the end of its input) and nc goes on printing until the peer closes too.
//
//   nc ADDRESS            e.g. `echo hello | nc 10.0.2.2:7777`
//
// Status 0 when the peer ended the connection, 1 on an error (a refused connection, a reset).
// It imports warden.tcp_connect, so it runs in Warden only (the hosted runner has no network
// client).
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tool.h>
#include <warden.h>

int main(int argc, char** argv) {
  tool_name = "nc";
  if (argc != 2 || argv[1][0] == '-') return tool_usage("ADDRESS (A.B.C.D:PORT)");
  uint32_t conn;
  int32_t err = warden_tcp_connect(argv[1], (uint32_t)strlen(argv[1]), &conn);
  if (err != 0) {
    tool_error("%s: %s", argv[1], strerror(err));
    return 1;
  }
  const int fd = (int)conn;
  static char buf[16384];
  bool input_open = true;
  for (;;) {
    struct pollfd polled[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    if (poll(polled, input_open ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return tool_fail("poll");
    }
    if (polled[0].revents != 0) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return tool_fail(argv[1]);
      if (n == 0) break;  // the peer closed
      if (tool_write_all(1, buf, (size_t)n) != 0) return tool_fail("standard output");
    }
    if (input_open && polled[1].revents != 0) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        input_open = false;
        if (shutdown(fd, SHUT_WR) != 0) return tool_fail(argv[1]);
        continue;
      }
      if (tool_write_all(fd, buf, (size_t)n) != 0) return tool_fail(argv[1]);
    }
  }
  close(fd);
  return 0;
}

// Hostile: misuses TCP sockets (warden_tcp_listen, warden_tcp_connect; docs/net.md, "Programs on
// the network"). ADDR is the machine's own address (connections to it loop back inside the
// kernel's stack) and PORT the first of the 100 ports a mode may use.
//
//   socket_abuse args ADDR PORT      each call with a bad argument: the address or the fd
//                                    out-pointer out of linear memory, straddling its end or
//                                    wrapping, a huge length, length 0, a length past the 32 the
//                                    kernel reads, malformed addresses, backlog 0, 129, 1000 and
//                                    2^32-1, an address that is not the machine's, a port in
//                                    use, a refused connect: each answers its errno and leaves no
//                                    descriptor behind (the next descriptor number is the same);
//                                    a connect whose fd pointer was bad made no connection
//   socket_abuse limits ADDR PORT    listeners on successive ports until the kernel says no (its
//                                    share of the pool of listeners, or the descriptor limit); then
//                                    listeners of backlog 128 (with 40 MiB of linear memory
//                                    held) until the memory a program may hold
//                                    says no; then connections to its own listener until the
//                                    descriptor limit, an accept there (EMFILE), and the queued
//                                    connections accepted once the clients are gone
//   socket_abuse backlog ADDR PORT   5 connections to a listener of backlog 2 that nobody
//                                    accepts: 2 are accepted (non-blocking, then EAGAIN), the
//                                    others are reset; then everything closed with unread bytes
//                                    queued both ways and a full send buffer
//   socket_abuse closed ADDR PORT    writes to a connection whose peer closed (the first may go
//                                    out; then EPIPE, never a trap), reads after shutdown(SHUT_RD)
//                                    and writes after shutdown(SHUT_WR), a listener read and shut
//   socket_abuse exit ADDR PORT      ends with a listener, connections with unread bytes both
//                                    ways, a full send buffer and a connection nobody accepted
//                                    still open: the kernel takes them back
//   socket_abuse connecting ADDR PORT  connects to ADDR:PORT, an address nobody answers (the
//                                    test kills it while it waits: the connection being made
//                                    must be closed with it)
//
// Prints one line per attack; "FAILED: ..." lines when an answer was not the documented one.
// Exits 0 when every answer was the documented one, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <warden.h>

#define MAX_SOCKETS 256
#define NO_FD 0xdeadbeefu

static const char* own;  // the machine's address, "A.B.C.D"
static unsigned base_port;
static int failures;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s (errno %s)\n", what, strerror(errno));
    ++failures;
  }
}

// The errno names the kernel test compares (strerror's texts are libc's, not the ABI's).
static const char* name(int32_t e) {
  switch (e) {
    case 0: return "ok";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENOTCONN: return "ENOTCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case EBADF: return "EBADF";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: return strerror(e);
  }
}

static void nap(int ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

// The lowest free descriptor number (what the next socket would get).
static uint32_t next_fd(void) {
  uint32_t r = NO_FD, w = NO_FD;
  if (warden_pipe(&r, &w) != 0) return NO_FD;
  close((int)r);
  close((int)w);
  return r;
}

static const char* endpoint(const char* address, unsigned port) {
  static char text[64];
  snprintf(text, sizeof text, "%s:%u", address, port);
  return text;
}

static int32_t listen_on(unsigned port, uint32_t backlog, uint32_t* fd) {
  const char* text = endpoint("*", port);
  return warden_tcp_listen(text, (uint32_t)strlen(text), backlog, fd);
}

static int32_t connect_to(unsigned port, uint32_t* fd) {
  const char* text = endpoint(own, port);
  return warden_tcp_connect(text, (uint32_t)strlen(text), fd);
}

// A connection accepted from `listener` (which is non-blocking): its descriptor, or -1 with
// errno.
static int accept_one(uint32_t listener) {
  struct sockaddr_storage address;
  socklen_t address_len = sizeof address;
  return accept4((int)listener, (struct sockaddr*)&address, &address_len, SOCK_NONBLOCK);
}

static void nonblocking(uint32_t fd) {
  check(fcntl((int)fd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
}

// Waits for any of `events` on `fd` (no timeout: the kernel test bounds the run).
static short wait_for(uint32_t fd, short events) {
  struct pollfd p = {.fd = (int)fd, .events = events};
  check(poll(&p, 1, -1) == 1, "poll");
  return p.revents;
}

// A listener on `port` and a connection to it, accepted: client and server non-blocking.
static int make_pair(unsigned port, uint32_t* listener, uint32_t* client, int* server) {
  if (listen_on(port, 4, listener) != 0 || connect_to(port, client) != 0) return 0;
  nonblocking(*listener);
  nonblocking(*client);
  wait_for(*listener, POLLIN);
  *server = accept_one(*listener);
  return *server >= 0;
}

// ---- args ----

// One call with a bad argument: its answer must be `want`, with nothing written to the fd
// out-pointer and no descriptor made.
static void refused(const char* what, int32_t got, int32_t want, uint32_t fd, uint32_t next) {
  printf("%s: %s\n", what, name(got));
  if (got != want) {
    printf("FAILED: %s: %s, expected %s\n", what, name(got), name(want));
    ++failures;
  }
  if (fd != NO_FD) {
    printf("FAILED: %s: wrote descriptor %u\n", what, (unsigned)fd);
    ++failures;
  }
  if (next_fd() != next) {
    printf("FAILED: %s: left a descriptor behind\n", what);
    ++failures;
  }
}

static int args_mode(void) {
  // A page of its own at the end of linear memory, for arguments that straddle the end.
  uint32_t pages = (uint32_t)__builtin_wasm_memory_grow(0, 1);
  check(pages != (uint32_t)-1, "memory.grow");
  uint32_t end = (pages + 1) * 65536u;
  char* const last = (char*)(uintptr_t)end;
  uint32_t next = next_fd();
  printf("args: next descriptor %u\n", (unsigned)next);
  char any[32], mine[32];
  snprintf(any, sizeof any, "*:%u", base_port);
  snprintf(mine, sizeof mine, "%s:%u", own, base_port);
  uint32_t la = (uint32_t)strlen(any), lm = (uint32_t)strlen(mine);
  // An address whose bytes all but the last are inside memory (written before each use).
  char* straddle_any = last - (la - 1);
  char* straddle_mine = last - (lm - 1);
  char* far = (char*)(uintptr_t)(end + 4096);
  char* wraps = (char*)(uintptr_t)0xfffffff8u;
  static char long_address[64];
  memset(long_address, '1', sizeof long_address);
  uint32_t fd = NO_FD;
  uint32_t* fd_past = (uint32_t*)(uintptr_t)end;
  uint32_t* fd_straddle = (uint32_t*)(uintptr_t)(end - 2);
  uint32_t* fd_wraps = (uint32_t*)(uintptr_t)0xfffffffeu;

#define LISTEN(what, a, l, b, out, want) \
  (fd = NO_FD, refused("listen " what, warden_tcp_listen(a, l, b, out), want, fd, next))
  LISTEN("address past the end", far, la, 4, &fd, EFAULT);
  memcpy(straddle_any, any, la - 1);
  LISTEN("address straddling the end", straddle_any, la, 4, &fd, EFAULT);
  LISTEN("address wrapping around", wraps, 16, 4, &fd, EFAULT);
  LISTEN("length 2^32-1", any, 0xffffffffu, 4, &fd, EFAULT);
  LISTEN("length of all memory", (const char*)(uintptr_t)1, end - 1, 4, &fd, EINVAL);
  LISTEN("length 33", long_address, 33, 4, &fd, EINVAL);
  LISTEN("length 0", any, 0, 4, &fd, EINVAL);
  LISTEN("port 0", "*:0", 3, 4, &fd, EINVAL);
  LISTEN("port 65536", "*:65536", 7, 4, &fd, EINVAL);
  LISTEN("five octets", "1.2.3.4.5:80", 12, 4, &fd, EINVAL);
  LISTEN("octet 256", "256.0.0.1:80", 12, 4, &fd, EINVAL);
  LISTEN("trailing byte", "*:80x", 5, 4, &fd, EINVAL);
  LISTEN("a NUL inside",
         "*:8\0"
         "0",
         5, 4, &fd, EINVAL);
  LISTEN("32 digits", long_address, 32, 4, &fd, EINVAL);
  LISTEN("backlog 0", any, la, 0, &fd, EINVAL);
  LISTEN("backlog 129", any, la, 129, &fd, EINVAL);
  LISTEN("backlog 1000", any, la, 1000, &fd, EINVAL);
  LISTEN("backlog 2^32-1", any, la, 0xffffffffu, &fd, EINVAL);
  LISTEN("fd pointer past the end", any, la, 4, fd_past, EFAULT);
  LISTEN("fd pointer straddling the end", any, la, 4, fd_straddle, EFAULT);
  LISTEN("fd pointer wrapping around", any, la, 4, fd_wraps, EFAULT);
  LISTEN("an address not the machine's", "10.9.9.9:80", 11, 4, &fd, EADDRNOTAVAIL);

  uint32_t listener = NO_FD;
  int32_t e = warden_tcp_listen(any, la, 1, &listener);
  printf("listen %s: %s\n", any, name(e));
  check(e == 0 && listener == next, "a listener with good arguments");
  next = next_fd();
  LISTEN("its port again, on every address", any, la, 4, &fd, EADDRINUSE);
  LISTEN("its port again, on the machine's address", mine, lm, 4, &fd, EADDRINUSE);

#define CONNECT(what, a, l, out, want) \
  (fd = NO_FD, refused("connect " what, warden_tcp_connect(a, l, out), want, fd, next))
  CONNECT("address past the end", far, lm, &fd, EFAULT);
  memcpy(straddle_mine, mine, lm - 1);
  CONNECT("address straddling the end", straddle_mine, lm, &fd, EFAULT);
  CONNECT("address wrapping around", wraps, 16, &fd, EFAULT);
  CONNECT("length 2^32-1", mine, 0xffffffffu, &fd, EFAULT);
  CONNECT("length 33", long_address, 33, &fd, EINVAL);
  CONNECT("length 0", mine, 0, &fd, EINVAL);
  CONNECT("every address", any, la, &fd, EINVAL);
  CONNECT("0.0.0.0", "0.0.0.0:80", 10, &fd, EINVAL);
  CONNECT("port 0", "10.0.2.15:0", 11, &fd, EINVAL);
  CONNECT("no port", "10.0.2.15", 9, &fd, EINVAL);
  CONNECT("fd pointer past the end", mine, lm, fd_past, EFAULT);
  CONNECT("fd pointer straddling the end", mine, lm, fd_straddle, EFAULT);
  CONNECT("fd pointer wrapping around", mine, lm, fd_wraps, EFAULT);
  char refused_port[32];
  snprintf(refused_port, sizeof refused_port, "%s:%u", own, base_port + 1);
  CONNECT("a port nobody listens on", refused_port, (uint32_t)strlen(refused_port), &fd,
          ECONNREFUSED);
  CONNECT("127.0.0.1, nobody listening", "127.0.0.1:1", 11, &fd, ECONNREFUSED);

  // The connects whose fd pointer was bad reached no listener: the first connection it
  // queues is this one.
  uint32_t client = NO_FD;
  e = warden_tcp_connect(mine, lm, &client);
  printf("connect %s: %s\n", mine, name(e));
  check(e == 0 && client == next, "a connection with good arguments");
  nonblocking(listener);
  wait_for(listener, POLLIN);
  int server = accept_one(listener);
  check(server >= 0, "accept it");
  int again = accept_one(listener);
  printf("args: the listener queued %s connection\n",
         server >= 0 && again < 0 && errno == EAGAIN ? "one" : "NOT one");
  check(write((int)client, "ping", 4) == 4, "write");
  char buf[8] = {0};
  wait_for((uint32_t)server, POLLIN);
  check(read(server, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0, "read");
  check(close(server) == 0 && close((int)client) == 0 && close((int)listener) == 0, "close");
  printf("args: next descriptor %u\n", (unsigned)next_fd());
  printf("args: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

// ---- limits ----

static uint32_t sockets[MAX_SOCKETS];

static void close_all(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) check(close((int)sockets[i]) == 0, "close a socket");
}

static char* volatile g_ballast;

// Listeners of `backlog` on successive ports until the kernel says no.
static uint32_t listeners_until_refused(uint32_t backlog, int32_t* err) {
  uint32_t n = 0;
  *err = 0;
  while (n < MAX_SOCKETS && (*err = listen_on(base_port + n, backlog, &sockets[n])) == 0) ++n;
  return n;
}

static int limits_mode(void) {
  uint32_t next = next_fd();
  int32_t err;
  uint32_t n = listeners_until_refused(1, &err);
  printf("listeners: %u, then %s\n", (unsigned)n, name(err));
  check(err == ENOMEM || err == EMFILE, "listeners stop at ENOMEM or EMFILE");
  close_all(n);
  uint32_t fd = NO_FD;
  err = listen_on(base_port, 1, &fd);
  printf("listeners: after closing them, a listener: %s\n", name(err));
  if (err == 0) close((int)fd);

  // Half of program.memory (80 MiB by default) held in linear memory first, so that the memory
  // limit stops the listeners (about 8.6 MiB charged each) before their count limit (8) does.
  size_t ballast_bytes = (size_t)40 << 20;
  char* ballast = malloc(ballast_bytes);
  check(ballast != NULL, "40 MiB of linear memory");
  memset(ballast, 1, ballast_bytes);
  g_ballast = ballast;  // kept: the compiler may not drop the allocation
  n = listeners_until_refused(128, &err);
  printf("listeners of backlog 128: %u, then %s\n", (unsigned)n, name(err));
  check(err == ENOMEM, "listeners of backlog 128 stop at ENOMEM");
  close_all(n);
  free(ballast);

  uint32_t listener = NO_FD;
  check(listen_on(base_port, 128, &listener) == 0, "a listener of backlog 128");
  nonblocking(listener);
  n = 0;
  while (n < MAX_SOCKETS && (err = connect_to(base_port, &sockets[n])) == 0) ++n;
  printf("connections to itself: %u, then %s\n", (unsigned)n, name(err));
  check(err == EMFILE, "connections stop at EMFILE");
  int fd2 = accept_one(listener);
  printf("accept at the descriptor limit: %s\n", name(fd2 < 0 ? errno : 0));
  check(fd2 < 0 && errno == EMFILE, "accept at the limit is EMFILE");
  close_all(n);
  // The connections the listener queued are still there, ended by their clients' close.
  uint32_t accepted = 0, ended = 0;
  for (;;) {
    int s = accept_one(listener);
    if (s < 0) break;
    ++accepted;
    wait_for((uint32_t)s, POLLIN);
    char byte;
    ended += read(s, &byte, 1) == 0;
    check(close(s) == 0, "close an accepted connection");
  }
  printf("accepted once the clients were gone: %u, each at the end of its stream: %s\n",
         (unsigned)accepted, ended == accepted ? "yes" : "NO");
  check(accepted == n && errno == EAGAIN, "every queued connection accepted, then EAGAIN");
  check(close((int)listener) == 0, "close the listener");
  printf("limits: next descriptor %s\n", next_fd() == next ? "as before" : "NOT as before");
  check(next_fd() == next, "no descriptor left behind");
  printf("limits: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

// ---- backlog ----

#define CLIENTS 5
#define BACKLOG 2

// Writes non-blocking until the kernel has no room: the bytes queued.
static uint64_t fill(uint32_t fd) {
  static char block[16384];
  uint64_t queued = 0;
  for (;;) {
    ssize_t n = write((int)fd, block, sizeof block);
    if (n <= 0) break;
    queued += (uint64_t)n;
  }
  check(errno == EAGAIN, "a full send buffer says EAGAIN");
  return queued;
}

static int backlog_mode(void) {
  uint32_t listener = NO_FD, sync = NO_FD, clients[CLIENTS], last = NO_FD;
  int32_t made[CLIENTS];
  check(listen_on(base_port, BACKLOG, &listener) == 0, "the listener");
  check(listen_on(base_port + 1, 1, &sync) == 0, "a second listener");
  nonblocking(listener);
  for (int i = 0; i < CLIENTS; ++i) made[i] = connect_to(base_port, &clients[i]);
  // Connections to the machine's own address loop back in order: once the second listener has
  // this one, the first has seen every handshake above (and refused those past its backlog).
  check(connect_to(base_port + 1, &last) == 0, "a connection to the second listener");
  wait_for(sync, POLLIN);
  int servers[CLIENTS];
  uint32_t accepted = 0;
  while (accepted < CLIENTS && (servers[accepted] = accept_one(listener)) >= 0) ++accepted;
  int then = errno;
  printf("backlog: %d connections to a backlog of %d: %u accepted, then %s\n", CLIENTS, BACKLOG,
         (unsigned)accepted, name(then));
  check(accepted == BACKLOG && then == EAGAIN, "the backlog's worth accepted, then EAGAIN");
  // The accepted ones say so to their client; the others were reset.
  for (uint32_t i = 0; i < accepted; ++i) check(write(servers[i], "!", 1) == 1, "write");
  uint32_t up = 0, reset = 0;
  for (int i = 0; i < CLIENTS; ++i) {
    if (made[i] == ECONNRESET) {
      ++reset;
      continue;
    }
    check(made[i] == 0, "a connect made or reset");
    if (made[i] != 0) continue;
    wait_for(clients[i], POLLIN);
    char byte;
    ssize_t n = read((int)clients[i], &byte, 1);
    if (n == 1) {
      ++up;
    } else if (n < 0 && errno == ECONNRESET) {
      ++reset;
      check(close((int)clients[i]) == 0, "close a reset client");
      made[i] = ECONNRESET;
    }
  }
  printf("backlog: %u clients up, %u reset\n", (unsigned)up, (unsigned)reset);
  check(up == BACKLOG && reset == CLIENTS - BACKLOG, "2 up, 3 reset");
  // Unread bytes both ways, and a full send buffer, then everything closed in a mixed order.
  uint64_t queued = 0;
  uint32_t pair = 0;
  for (int i = 0; i < CLIENTS && pair < accepted; ++i) {
    if (made[i] != 0) continue;
    nonblocking(clients[i]);
    check(write(servers[pair], "unread by the client", 20) == 20, "server writes");
    if (pair == 0) {
      queued += fill(clients[i]);
    } else {
      check(write((int)clients[i], "unread by the server", 20) == 20, "client writes");
    }
    ++pair;
  }
  printf("backlog: a full send buffer (%s), unread bytes both ways\n",
         queued > 0 ? "over 0 bytes" : "EMPTY");
  check(close(servers[0]) == 0, "close the first server");
  for (int i = 0; i < CLIENTS; ++i) {
    if (made[i] == 0) check(close((int)clients[i]) == 0, "close a client");
  }
  for (uint32_t i = 1; i < accepted; ++i) check(close(servers[i]) == 0, "close a server");
  check(close((int)last) == 0 && close((int)sync) == 0 && close((int)listener) == 0,
        "close the rest");
  printf("backlog: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

// ---- closed ----

static int closed_mode(void) {
  uint32_t listener, client;
  int server;
  check(make_pair(base_port, &listener, &client, &server), "a connection");
  check(close(server) == 0, "the peer closes");
  char buf[64];
  wait_for(client, POLLIN);
  ssize_t n = read((int)client, buf, sizeof buf);
  printf("closed: the peer closed; read: %s\n", n == 0 ? "end of stream" : "NOT end of stream");
  check(n == 0, "end of stream");
  // The first write may go out (the peer's side was only half closed as far as this side
  // knows); the peer answers with a reset, and writes fail from then on.
  int err = 0;
  for (int i = 0; i < 1000; ++i) {
    if (write((int)client, "x", 1) == 1) {
      nap(2);
      continue;
    }
    err = errno;
    break;
  }
  printf("closed: write after the peer closed: %s\n", name(err));
  check(err == EPIPE, "writing to a closed peer is EPIPE");
  n = read((int)client, buf, sizeof buf);
  printf("closed: read after the reset: %s\n", name(n < 0 ? errno : 0));
  check(n < 0 && errno == ECONNRESET, "reading after the reset is ECONNRESET");
  check(write((int)client, "x", 1) < 0 && errno == EPIPE, "again EPIPE");
  check(close((int)client) == 0 && close((int)listener) == 0, "close");

  check(make_pair(base_port + 1, &listener, &client, &server), "a second connection");
  check(shutdown((int)client, SHUT_RD) == 0, "shutdown(SHUT_RD)");
  check(write(server, "dropped", 7) == 7, "the peer writes");
  n = read((int)client, buf, sizeof buf);
  printf("shut: read after shutdown(SHUT_RD): %s\n", n == 0 ? "0" : name(n < 0 ? errno : 0));
  check(n == 0, "read after shutdown(SHUT_RD) is 0");
  check(shutdown((int)client, SHUT_WR) == 0, "shutdown(SHUT_WR)");
  n = write((int)client, "x", 1);
  printf("shut: write after shutdown(SHUT_WR): %s\n", name(n < 0 ? errno : 0));
  check(n < 0 && errno == EPIPE, "write after shutdown(SHUT_WR) is EPIPE");
  check(shutdown((int)client, SHUT_RDWR) == 0, "shutting down twice");
  wait_for((uint32_t)server, POLLIN);
  n = read(server, buf, sizeof buf);
  printf("shut: the peer reads %s\n", n == 0 ? "the end of the stream" : "NOT the end");
  n = read((int)listener, buf, sizeof buf);
  printf("shut: read a listener: %s\n", name(n < 0 ? errno : 0));
  int s = shutdown((int)listener, SHUT_RDWR);
  printf("shut: shutdown a listener: %s\n", name(s < 0 ? errno : 0));
  check(close(server) == 0 && close((int)client) == 0 && close((int)listener) == 0, "close");
  printf("closed: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

// ---- exit ----

static int exit_mode(void) {
  uint32_t listener, client, full, queued;
  int server;
  check(make_pair(base_port, &listener, &client, &server), "a connection");
  check(write((int)client, "unread by the server", 20) == 20, "client writes");
  check(write(server, "unread by the client", 20) == 20, "server writes");
  check(connect_to(base_port, &full) == 0, "a second connection");
  wait_for(listener, POLLIN);
  int other = accept_one(listener);
  check(other >= 0, "accept it");
  nonblocking(full);
  uint64_t bytes = fill(full);
  check(connect_to(base_port, &queued) == 0, "a connection nobody accepts");
  wait_for((uint32_t)server, POLLIN);
  wait_for(client, POLLIN);
  printf(
      "exit: leaving a listener, 3 connections (unread bytes both ways, a full send buffer%s)"
      " and 1 nobody accepted\n",
      bytes > 0 ? "" : " EMPTY");
  fflush(stdout);
  _exit(failures == 0 ? 0 : 1);
}

// ---- connecting ----

static int connecting_mode(void) {
  printf("connecting: to %s\n", endpoint(own, base_port));
  fflush(stdout);
  uint32_t fd = NO_FD;
  int32_t e = connect_to(base_port, &fd);
  printf("connecting: ended by itself: %s\n", name(e));
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    printf("usage: socket_abuse args|limits|backlog|closed|exit|connecting ADDR PORT\n");
    return 2;
  }
  own = argv[2];
  base_port = (unsigned)strtoul(argv[3], NULL, 10);
  const char* mode = argv[1];
  if (strcmp(mode, "args") == 0) return args_mode();
  if (strcmp(mode, "limits") == 0) return limits_mode();
  if (strcmp(mode, "backlog") == 0) return backlog_mode();
  if (strcmp(mode, "closed") == 0) return closed_mode();
  if (strcmp(mode, "exit") == 0) return exit_mode();
  if (strcmp(mode, "connecting") == 0) return connecting_mode();
  printf("usage: socket_abuse args|limits|backlog|closed|exit|connecting ADDR PORT\n");
  return 2;
}

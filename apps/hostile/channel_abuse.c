// Hostile: uses and misuses channels and services (warden_channel*, warden_service_*).
//
//   channel_abuse abuse        one program against its own channels and services: floods a
//                              queue (64 messages, then 256 KiB: EAGAIN), sends every kind of
//                              descriptor (a file keeps its position, and stays when the write is
//                              refused; a directory; /dev/null; the console), sends its own end, a
//                              descriptor it does not have, one twice, ends in a cycle, a
//                              service with pending connections, messages over the limits
//                              (EMSGSIZE), reads into buffers too small (ENOBUFS, the message
//                              kept), reads with a full table (EMFILE, kept), rights reduced on
//                              transfer, a channel end as a child's stdio (EBADF), a closed peer
//                              (EPIPE), poll on ends and services, the registry's refusals
//   channel_abuse block        writes into a channel nobody reads until it blocks, and stays
//                              blocked (the test kills it)
//   channel_abuse pass-file SVC PATH
//                              publishes SVC, starts `take-file SVC` as a child, opens PATH for
//                              reading and writing and sends it to the child read-only; the
//                              child reads the file through it and answers with what it read
//   channel_abuse dead-receiver SVC
//                              publishes SVC, starts `linger SVC`, sends it a pipe's write end
//                              that it never reads, kills it: the pipe's reader sees end of file
//   channel_abuse roundtrip SVC N
//                              publishes SVC, starts `echo SVC`, makes N round trips through the
//                              connection (every tenth carries a fresh channel end) and prints
//                              how long they took
//
// Prints "MODE: ..." lines; exits 0 when every answer was the documented one, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include <warden.h>

#include "tool.h"

static int failures;
static const char* self = "/hostile/channel_abuse.wasm";

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    fflush(stdout);
    ++failures;
  }
}
static void check_errno(int32_t got, int32_t want, const char* what) {
  if (got != want) {
    printf("FAILED: %s: got %s, want %s\n", what, got ? strerror(got) : "success",
           want ? strerror(want) : "success");
    fflush(stdout);
    ++failures;
  }
}
static int is_open(uint32_t fd) { return fcntl((int)fd, F_GETFL) >= 0; }

static int32_t send_bytes(uint32_t fd, const void* bytes, uint32_t len) {
  return warden_channel_write(fd, bytes, len, NULL, 0);
}
static int32_t send_fd(uint32_t fd, uint32_t moved, uint32_t flags, uint64_t rights) {
  struct warden_transfer t = {.fd = moved, .flags = flags, .rights = rights};
  return warden_channel_write(fd, "h", 1, &t, 1);
}
// Reads one message into buf (NUL-terminated); returns the errno.
static int32_t recv_msg(uint32_t fd, char* buf, uint32_t len, uint32_t* fds, uint32_t max_fds,
                        uint32_t* nbytes, uint32_t* nfds) {
  int32_t err = warden_channel_read(fd, buf, len - 1, fds, max_fds, nbytes, nfds);
  if (err == 0) buf[*nbytes] = 0;
  return err;
}

// Starts self with `argc` arguments (argv[0] first) and the caller's stdio; returns the errno.
static int32_t start(const char* const* args, uint32_t argc, uint32_t* pid) {
  return tool_spawn(self, args, argc, pid);
}

static int wait_end(uint32_t pid, int32_t* code) {
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return -1;
  if (code) *code = exit.code;
  return (int)exit.end;
}

// Connects to `svc`, waiting while it is not published yet.
static uint32_t connect_to(const char* svc) {
  uint32_t fd = 0;
  for (int i = 0; i < 5000; ++i) {
    int32_t err = warden_service_connect(svc, (uint32_t)strlen(svc), &fd);
    if (err == 0) return fd;
    if (err != ENOENT) break;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  printf("FAILED: cannot connect to %s\n", svc);
  exit(1);
}

// --- abuse

static void flood(void) {
  uint32_t a, b;
  check_errno(warden_channel(&a, &b), 0, "warden_channel");
  check(fcntl((int)a, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK on an end");
  uint32_t n = 0;
  int32_t err;
  while ((err = send_bytes(a, &n, sizeof n)) == 0) ++n;
  printf("abuse: %u messages queued, then %s\n", (unsigned)n, strerror(err));
  check(err == EAGAIN && n == 64, "a queue holds 64 messages, then EAGAIN");
  uint32_t got, nbytes, nfds, in_order = 1;
  for (uint32_t i = 0; i < n; ++i) {
    err = warden_channel_read(b, &got, sizeof got, NULL, 0, &nbytes, &nfds);
    in_order &= err == 0 && got == i && nbytes == 4 && nfds == 0;
  }
  check(in_order, "every message read back in order");
  check(fcntl((int)b, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK on the other end");
  check_errno(warden_channel_read(b, &got, sizeof got, NULL, 0, &nbytes, &nfds), EAGAIN,
              "an empty queue with a writer: EAGAIN");
  // By bytes: 256 KiB toward one end.
  static char big[WARDEN_CHANNEL_MAX_BYTES + 1];
  n = 0;
  while ((err = send_bytes(a, big, WARDEN_CHANNEL_MAX_BYTES)) == 0) ++n;
  printf("abuse: %u messages of 64 KiB queued, then %s\n", (unsigned)n, strerror(err));
  check(err == EAGAIN && n == 4, "a queue holds 256 KiB, then EAGAIN");
  check_errno(send_bytes(a, big, WARDEN_CHANNEL_MAX_BYTES + 1), EMSGSIZE,
              "a message over 64 KiB: EMSGSIZE");
  struct warden_transfer many[WARDEN_CHANNEL_MAX_HANDLES + 1];
  for (uint32_t i = 0; i <= WARDEN_CHANNEL_MAX_HANDLES; ++i) many[i] = (struct warden_transfer){0};
  check_errno(warden_channel_write(a, "x", 1, many, WARDEN_CHANNEL_MAX_HANDLES + 1), EMSGSIZE,
              "65 descriptors: EMSGSIZE");
  // Too small: the message stays, its sizes told.
  err = warden_channel_read(b, big, 10, NULL, 0, &nbytes, &nfds);
  check(err == ENOBUFS && nbytes == WARDEN_CHANNEL_MAX_BYTES && nfds == 0,
        "a buffer too small: ENOBUFS with the size");
  check_errno(warden_channel_read(b, big, sizeof big, NULL, 0, &nbytes, &nfds), 0,
              "then read with room");
  check(close((int)a) == 0 && close((int)b) == 0, "close both ends");
}

static void refusals(void) {
  uint32_t a, b, c, d, x, y;
  check_errno(warden_channel(&a, &b), 0, "warden_channel");
  check_errno(warden_channel(&c, &d), 0, "a second channel");
  check_errno(send_fd(a, a, 0, 0), EINVAL, "sending the end written to: EINVAL");
  check_errno(send_fd(a, b, 0, 0), EINVAL, "sending its peer: EINVAL");
  check_errno(send_fd(a, 999, 0, 0), EBADF, "a descriptor it does not have: EBADF");
  check_errno(send_fd(a, c, 2, 0), EINVAL, "unknown transfer flags: EINVAL");
  check_errno(send_fd(999, c, 0, 0), EBADF, "writing a descriptor it does not have: EBADF");
  check_errno(send_fd(1, c, 0, 0), EBADF, "writing stdout as a channel: EBADF");
  struct warden_transfer twice[2] = {{.fd = c}, {.fd = c}};
  check_errno(warden_channel_write(a, "x", 1, twice, 2), EINVAL, "a descriptor twice: EINVAL");
  check(is_open(a) && is_open(b) && is_open(c) && is_open(d), "refused writes moved nothing");
  // A cycle: b holds d; then sending b into c->d's queue would make d hold b.
  check_errno(send_fd(a, d, 0, 0), 0, "d sent to b");
  check(!is_open(d), "the sent descriptor left the sender");
  check_errno(send_fd(c, b, 0, 0), EINVAL, "b (holding d) sent to d: EINVAL (a cycle)");
  check(is_open(b) && is_open(c), "the refused cycle moved nothing");
  char buf[16];
  uint32_t fds[4], nbytes, nfds;
  check_errno(recv_msg(b, buf, sizeof buf, fds, 4, &nbytes, &nfds), 0, "b reads d back");
  check(nfds == 1 && is_open(fds[0]), "d arrives as a new descriptor");
  d = fds[0];
  // Now b holds nothing: it can go.
  check_errno(send_fd(c, b, 0, 0), 0, "b, holding nothing, sent to d");
  check_errno(recv_msg(d, buf, sizeof buf, fds, 4, &nbytes, &nfds), 0, "d reads b back");
  b = fds[0];
  // Rights: an end sent read-only cannot be written by its receiver.
  check_errno(warden_channel(&x, &y), 0, "a third channel");
  check_errno(send_fd(a, x, WARDEN_TRANSFER_REDUCE,
                      __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_POLL_FD_READWRITE),
              0, "x sent read-only");
  check_errno(recv_msg(b, buf, sizeof buf, fds, 4, &nbytes, &nfds), 0, "x received");
  check_errno(send_bytes(fds[0], "z", 1), ENOTCAPABLE, "writing a read-only end: ENOTCAPABLE");
  check_errno(send_bytes(y, "w", 1), 0, "its peer writes");
  check_errno(recv_msg(fds[0], buf, sizeof buf, NULL, 0, &nbytes, &nfds), 0, "it reads");
  check(close((int)fds[0]) == 0, "close x");
  // EMFILE on a read: the message stays queued until there is room.
  check_errno(warden_channel(&x, &y), 0, "a fourth channel");
  check_errno(send_fd(x, c, 0, 0), 0, "c sent");
  int filler[128];
  uint32_t filled = 0;
  while (filled < 128) {
    int f = open("/dev/null", O_RDONLY);
    if (f < 0) break;
    filler[filled++] = f;
  }
  check(filled > 0 && filled < 128 && errno == EMFILE, "opening stops at the limit: EMFILE");
  // A path walk takes one more descriptor for a moment: the last one goes to a service.
  uint32_t last, more;
  check_errno(warden_service_publish("abuse.fill", 10, &last), 0, "the last descriptor");
  check_errno(warden_service_publish("abuse.more", 10, &more), EMFILE, "then none: EMFILE");
  check_errno(recv_msg(y, buf, sizeof buf, fds, 4, &nbytes, &nfds), EMFILE,
              "a full table cannot take a descriptor: EMFILE");
  close((int)last);
  check_errno(recv_msg(y, buf, sizeof buf, fds, 4, &nbytes, &nfds), 0, "it stayed queued");
  while (filled > 0) close(filler[--filled]);
  c = fds[0];
  check(close((int)x) == 0 && close((int)y) == 0, "close the fourth channel");
  // A closed peer.
  check_errno(send_bytes(a, "last", 4), 0, "a message before the close");
  check(close((int)a) == 0, "close a");
  check_errno(send_bytes(b, "x", 1), EPIPE, "writing to a closed peer: EPIPE");
  check_errno(recv_msg(b, buf, sizeof buf, NULL, 0, &nbytes, &nfds), 0,
              "what was queued is still read");
  check(strcmp(buf, "last") == 0, "the last message");
  check_errno(recv_msg(b, buf, sizeof buf, NULL, 0, &nbytes, &nfds), EPIPE,
              "then EPIPE, without waiting");
  // A channel end cannot be a child's stdio (no duplicate right).
  uint32_t pid;
  const uint32_t stdio[3] = {0, c, 2};
  const char argv[] = "x";
  check_errno(
      warden_spawn(self, (uint32_t)strlen(self), argv, 2, 1, "", 0, 0, "/", 1, stdio, 0, &pid),
      EBADF, "a channel end as a child's stdout: EBADF");
  close((int)b);
  close((int)c);
  close((int)d);
  close((int)y);
}

static void services(void) {
  const char* name = "abuse.svc";
  uint32_t s, s2, ends[20], n = 0;
  check_errno(warden_service_publish(name, 9, &s), 0, "publish");
  check_errno(warden_service_publish("/svc/abuse.svc", 14, &s2), EEXIST, "publish twice: EEXIST");
  check_errno(warden_service_publish("a/b", 3, &s2), EINVAL, "a bad name: EINVAL");
  check_errno(warden_service_publish("..", 2, &s2), EINVAL, "'..': EINVAL");
  static char long_name[200];
  memset(long_name, 'a', sizeof long_name);
  check_errno(warden_service_publish(long_name, sizeof long_name, &s2), ENAMETOOLONG,
              "a long name: ENAMETOOLONG");
  check_errno(warden_service_connect("abuse.none", 10, &s2), ENOENT, "no such service: ENOENT");
  check(fcntl((int)s, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK on the service");
  check_errno(warden_service_accept(s, &s2), EAGAIN, "accept with none pending: EAGAIN");
  struct pollfd p = {.fd = (int)s, .events = POLLIN};
  check(poll(&p, 1, 0) == 0, "a service with none pending is not readable");
  int32_t err;
  while (n < 20 && (err = warden_service_connect(name, 9, &ends[n])) == 0) ++n;
  printf("abuse: %u connections pending, then %s\n", (unsigned)n, strerror(err));
  check(n == 16 && err == EAGAIN, "16 pending connections, then EAGAIN");
  check(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "a service with connections is readable");
  uint32_t a, b;
  check_errno(warden_channel(&a, &b), 0, "a channel");
  check_errno(send_fd(a, s, 0, 0), EINVAL, "a service with pending connections sent: EINVAL");
  uint32_t conn;
  check_errno(warden_service_accept(s, &conn), 0, "accept");
  check_errno(send_bytes(ends[0], "hi", 2), 0, "the client writes");
  char buf[8];
  uint32_t nbytes, nfds;
  check_errno(recv_msg(conn, buf, sizeof buf, NULL, 0, &nbytes, &nfds), 0, "the service reads");
  check(strcmp(buf, "hi") == 0, "what the client wrote");
  struct pollfd q = {.fd = (int)ends[1], .events = POLLIN};
  check(close((int)s) == 0, "unpublish (close the service)");
  check(poll(&q, 1, 0) == 1 && (q.revents & POLLHUP), "pending clients see the hangup");
  check_errno(send_bytes(ends[1], "x", 1), EPIPE, "and EPIPE");
  check_errno(warden_service_publish(name, 9, &s), 0, "the name is free again");
  for (uint32_t i = 0; i < n; ++i) close((int)ends[i]);
  close((int)conn);
  close((int)s);
  close((int)a);
  close((int)b);
}

// Receives one descriptor from `fd` (a message "h" carrying it); returns it, or -1.
static int recv_fd(uint32_t fd) {
  char buf[8];
  uint32_t fds[2], nbytes, nfds;
  if (recv_msg(fd, buf, sizeof buf, fds, 2, &nbytes, &nfds) != 0 || nfds != 1) return -1;
  return (int)fds[0];
}

// Every kind of descriptor travels: a file (with its position, and back unchanged when the write
// is refused), a directory, /dev/null and the console.
static void kinds(void) {
  uint32_t a, b;
  check_errno(warden_channel(&a, &b), 0, "warden_channel");
  int file = open("/tmp/chan_kinds.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  check(file >= 0 && write(file, "0123456789", 10) == 10, "a file");
  check(lseek(file, 0, SEEK_SET) == 0, "rewound");
  char got[16] = {0};
  check(read(file, got, 3) == 3 && memcmp(got, "012", 3) == 0, "read 012");
  // A full queue refuses the write: the file stays, its position too.
  check(fcntl((int)a, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
  uint32_t n = 0;
  while (send_bytes(a, &n, sizeof n) == 0) ++n;
  check_errno(send_fd(a, (uint32_t)file, 0, 0), EAGAIN, "a file sent into a full queue: EAGAIN");
  check(read(file, got, 3) == 3 && memcmp(got, "345", 3) == 0, "the file is still here, at 3");
  uint32_t nbytes, nfds;
  for (uint32_t i = 0; i < n; ++i) warden_channel_read(b, got, sizeof got, NULL, 0, &nbytes, &nfds);
  check_errno(send_fd(a, (uint32_t)file, 0, 0), 0, "then sent");
  int moved = recv_fd(b);
  check(moved >= 0 && read(moved, got, 4) == 4 && memcmp(got, "6789", 4) == 0,
        "received, at its position");
  close(moved);
  // A directory: the receiver opens files in it.
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  check(dir >= 0, "open /tmp");
  check_errno(send_fd(a, (uint32_t)dir, 0, 0), 0, "a directory sent");
  int received = recv_fd(b);
  int inside = received >= 0 ? openat(received, "chan_kinds.txt", O_RDONLY) : -1;
  check(inside >= 0 && read(inside, got, 2) == 2 && memcmp(got, "01", 2) == 0,
        "a file opened through the received directory");
  close(inside);
  check(unlinkat(received, "chan_kinds.txt", 0) == 0, "removed through it");
  close(received);
  // /dev/null and the console (standard input, when the test gives the console).
  int null = open("/dev/null", O_WRONLY);
  check_errno(send_fd(a, (uint32_t)null, 0, 0), 0, "/dev/null sent");
  received = recv_fd(b);
  check(received >= 0 && write(received, "gone", 4) == 4, "the received /dev/null takes writes");
  close(received);
  struct stat st;
  if (fstat(0, &st) == 0 && S_ISCHR(st.st_mode)) {
    check_errno(send_fd(a, 0, 0, 0), 0, "the console sent");
    received = recv_fd(b);
    check(received >= 0 && fstat(received, &st) == 0 && S_ISCHR(st.st_mode),
          "the received console is a character device");
    close(received);
    printf("abuse: a file, a directory, /dev/null and the console travelled\n");
  }
  close((int)a);
  close((int)b);
}

static void polling(void) {
  uint32_t a, b;
  check_errno(warden_channel(&a, &b), 0, "warden_channel");
  struct pollfd p[2] = {{.fd = (int)b, .events = POLLIN}, {.fd = (int)a, .events = POLLOUT}};
  check(poll(p, 1, 30) == 0, "an empty end is not readable: the timeout fires");
  check(poll(&p[1], 1, 0) == 1 && (p[1].revents & POLLOUT), "an end with room is writable");
  check_errno(send_bytes(a, "hello", 5), 0, "write");
  check(poll(p, 1, -1) == 1 && (p[0].revents & POLLIN), "readable with a message");
  char buf[8];
  uint32_t nbytes, nfds;
  check_errno(recv_msg(b, buf, sizeof buf, NULL, 0, &nbytes, &nfds), 0, "read it");
  check(close((int)a) == 0, "close the peer");
  check(poll(p, 1, -1) == 1 && (p[0].revents & POLLHUP), "hangup once the peer is closed");
  close((int)b);
}

static int abuse(void) {
  flood();
  kinds();
  refusals();
  services();
  polling();
  printf("abuse: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static int block(void) {
  uint32_t a, b;
  check_errno(warden_channel(&a, &b), 0, "warden_channel");
  uint32_t n = 0;
  printf("block: writing\n");
  fflush(stdout);
  while (send_bytes(a, &n, sizeof n) == 0) ++n;
  printf("block: a write failed after %u messages\n", (unsigned)n);
  return 1;
}

// --- between programs

static uint32_t publish(const char* svc) {
  uint32_t s;
  int32_t err = warden_service_publish(svc, (uint32_t)strlen(svc), &s);
  if (err != 0) {
    printf("FAILED: publish %s: %s\n", svc, strerror(err));
    exit(1);
  }
  return s;
}

static int pass_file(const char* svc, const char* path) {
  uint32_t s = publish(svc), pid, conn;
  const char* args[] = {self, "take-file", svc};
  check_errno(start(args, 3, &pid), 0, "start the receiver");
  check_errno(warden_service_accept(s, &conn), 0, "accept");
  int file = open(path, O_RDWR);
  check(file >= 0, "open the file");
  check_errno(send_fd(conn, (uint32_t)file, WARDEN_TRANSFER_REDUCE,
                      __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                          __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_POLL_FD_READWRITE),
              0, "send the file read-only");
  check(!is_open((uint32_t)file), "the file left the sender");
  char buf[256];
  uint32_t nbytes, nfds;
  check_errno(recv_msg(conn, buf, sizeof buf, NULL, 0, &nbytes, &nfds), 0, "the answer");
  printf("pass-file: the receiver says: %s\n", buf);
  int32_t code = -1;
  check(wait_end(pid, &code) == WARDEN_END_EXITED && code == 0, "the receiver exits 0");
  printf("pass-file: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static int take_file(const char* svc) {
  uint32_t conn = connect_to(svc), fds[2], nbytes, nfds;
  char msg[8], text[128];
  check_errno(recv_msg(conn, msg, sizeof msg, fds, 2, &nbytes, &nfds), 0, "receive");
  check(nfds == 1, "one descriptor");
  ssize_t n = read((int)fds[0], text, sizeof text - 1);
  check(n > 0, "read the file through it");
  text[n > 0 ? n : 0] = 0;
  while (n > 0 && text[n - 1] == '\n') text[--n] = 0;
  // wasi-libc's write() reports ENOTCAPABLE as EBADF: ask WASI itself.
  __wasi_ciovec_t iov = {.buf = (const uint8_t*)"x", .buf_len = 1};
  __wasi_size_t written = 0;
  check(__wasi_fd_write(fds[0], &iov, 1, &written) == __WASI_ERRNO_NOTCAPABLE,
        "writing a file received read-only: ENOTCAPABLE");
  char answer[200];
  snprintf(answer, sizeof answer, "read '%s'%s", text,
           failures == 0 ? ", could not write" : ", NOT as documented");
  check_errno(send_bytes(conn, answer, (uint32_t)strlen(answer)), 0, "answer");
  return failures == 0 ? 0 : 1;
}

static int dead_receiver(const char* svc) {
  uint32_t s = publish(svc), pid, conn, r, w;
  const char* args[] = {self, "linger", svc};
  check_errno(start(args, 3, &pid), 0, "start the receiver");
  check_errno(warden_service_accept(s, &conn), 0, "accept");
  char buf[16];
  uint32_t nbytes, nfds;
  check_errno(recv_msg(conn, buf, sizeof buf, NULL, 0, &nbytes, &nfds), 0, "it is ready");
  check_errno(warden_pipe(&r, &w), 0, "a pipe");
  check_errno(send_fd(conn, w, 0, 0), 0, "its write end sent, never read");
  check_errno(warden_kill(pid), 0, "kill the receiver");
  check(wait_end(pid, NULL) == WARDEN_END_KILLED, "it ended killed");
  ssize_t n = read((int)r, buf, sizeof buf);
  check(n == 0, "the pipe's reader sees end of file: the write end went with the message");
  check_errno(send_bytes(conn, "x", 1), EPIPE, "the connection's peer is closed");
  printf("dead-receiver: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static int linger(const char* svc) {
  uint32_t conn = connect_to(svc);
  check_errno(send_bytes(conn, "ready", 5), 0, "ready");
  for (;;) sleep(1000);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int roundtrip(const char* svc, uint32_t count) {
  uint32_t s = publish(svc), pid, conn;
  const char* args[] = {self, "echo", svc};
  check_errno(start(args, 3, &pid), 0, "start the echo");
  check_errno(warden_service_accept(s, &conn), 0, "accept");
  uint64_t start_ns = now_ns();
  uint32_t done = 0;
  for (uint32_t i = 0; i < count && failures == 0; ++i) {
    uint32_t ask[4] = {i, i * 3, i * 7, 0}, got[4], nbytes, nfds, fds[1];
    int32_t err;
    if (i % 10 == 0) {
      // A fresh channel end goes along (and comes back, and is closed).
      uint32_t x, y;
      check_errno(warden_channel(&x, &y), 0, "a fresh channel");
      struct warden_transfer t = {.fd = x};
      err = warden_channel_write(conn, ask, sizeof ask, &t, 1);
      close((int)y);
    } else {
      err = warden_channel_write(conn, ask, sizeof ask, NULL, 0);
    }
    check_errno(err, 0, "write");
    err = warden_channel_read(conn, got, sizeof got, fds, 1, &nbytes, &nfds);
    check_errno(err, 0, "read");
    if (nfds == 1) close((int)fds[0]);
    check(nbytes == sizeof got && got[0] == i && got[1] == i * 3 && got[2] == i * 7, "the echo");
    check(nfds == (i % 10 == 0 ? 1u : 0u), "the channel end came back");
    ++done;
  }
  uint64_t ns = now_ns() - start_ns;
  close((int)conn);
  int32_t code = -1;
  check(wait_end(pid, &code) == WARDEN_END_EXITED && code == 0, "the echo ends when its peer does");
  printf("roundtrip: %u round trips in %llu ms (%llu per second)\n", (unsigned)done,
         (unsigned long long)(ns / 1000000),
         (unsigned long long)(ns ? (uint64_t)done * 1000000000u / ns : 0));
  printf("roundtrip: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static int echo(const char* svc) {
  uint32_t conn = connect_to(svc);
  for (;;) {
    char buf[64];
    uint32_t fds[1], nbytes, nfds;
    int32_t err = warden_channel_read(conn, buf, sizeof buf, fds, 1, &nbytes, &nfds);
    if (err == EPIPE) return 0;
    if (err != 0) return 1;
    struct warden_transfer t = {.fd = nfds ? fds[0] : 0};
    if (warden_channel_write(conn, buf, nbytes, &t, nfds) != 0) return 1;
  }
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "abuse";
  if (argc > 0 && strchr(argv[0], '/')) self = argv[0];
  if (strcmp(mode, "abuse") == 0) return abuse();
  if (strcmp(mode, "block") == 0) return block();
  if (strcmp(mode, "pass-file") == 0 && argc == 4) return pass_file(argv[2], argv[3]);
  if (strcmp(mode, "take-file") == 0 && argc == 3) return take_file(argv[2]);
  if (strcmp(mode, "dead-receiver") == 0 && argc == 3) return dead_receiver(argv[2]);
  if (strcmp(mode, "linger") == 0 && argc == 3) return linger(argv[2]);
  if (strcmp(mode, "roundtrip") == 0 && argc == 4)
    return roundtrip(argv[2], (uint32_t)atoi(argv[3]));
  if (strcmp(mode, "echo") == 0 && argc == 3) return echo(argv[2]);
  printf("usage: channel_abuse abuse|block|pass-file SVC PATH|dead-receiver SVC|roundtrip SVC N\n");
  return 2;
}

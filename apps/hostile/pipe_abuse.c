// Hostile: misuses pipes (warden_pipe).
//
//   pipe_abuse fill     makes pipes until warden_pipe fails: the per-program descriptor limit
//                       (program.files) stops it with EMFILE, never the kernel; closes them all
//                       and makes one more (that works again)
//   pipe_abuse ends     a pipe of its own: non-blocking writes until EAGAIN (the pipe is
//                       bounded), every byte read back in order, end of file once the write end
//                       is closed, EPIPE once the read end is closed, EBADF on the wrong end
//   pipe_abuse block    writes into a pipe nobody reads until it blocks, and stays blocked (the
//                       test kills it: a program waiting for a pipe holds no hart and ends
//                       when killed)
//   pipe_abuse poll     poll_oneoff on a pipe: not ready while empty (the timeout fires),
//                       readable with nbytes after a write, hangup once the write end is closed
//
// Prints "MODE: ..." lines; exits 0 when every refusal was the documented one, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#define MAX_PIPES 4096

static uint32_t ends[MAX_PIPES][2];
static int failures;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s (errno %s)\n", what, strerror(errno));
    ++failures;
  }
}

static int fill(void) {
  uint32_t n = 0;
  int32_t err = 0;
  while (n < MAX_PIPES && (err = warden_pipe(&ends[n][0], &ends[n][1])) == 0) ++n;
  printf("fill: %u pipes, then %s\n", (unsigned)n, err != 0 ? strerror(err) : "no error");
  check(err == EMFILE, "the descriptor limit stops pipe making with EMFILE");
  for (uint32_t i = 0; i < n; ++i) {
    check(close((int)ends[i][0]) == 0 && close((int)ends[i][1]) == 0, "close both ends");
  }
  err = warden_pipe(&ends[0][0], &ends[0][1]);
  printf("after closing: pipe %s\n", err != 0 ? strerror(err) : "works");
  check(err == 0, "a pipe after closing the others");
  return failures == 0 ? 0 : 1;
}

static int ends_mode(void) {
  uint32_t r, w;
  check(warden_pipe(&r, &w) == 0, "warden_pipe");
  check(fcntl((int)w, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK on the write end");
  static unsigned char block[1000];
  uint64_t written = 0;
  for (;;) {
    for (size_t i = 0; i < sizeof block; ++i) block[i] = (unsigned char)((written + i) * 7);
    ssize_t n = write((int)w, block, sizeof block);
    if (n < 0) break;
    written += (uint64_t)n;
    if (written > (64u << 20)) break;
  }
  int full = errno;
  printf("ends: %llu bytes written, then %s\n", (unsigned long long)written, strerror(full));
  check(full == EAGAIN && written > 0 && written <= (16u << 20), "a full pipe says EAGAIN");
  uint64_t got = 0;
  int in_order = 1;
  check(fcntl((int)r, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK on the read end");
  for (;;) {
    ssize_t n = read((int)r, block, sizeof block);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) in_order &= block[i] == (unsigned char)((got + i) * 7);
    got += (uint64_t)n;
  }
  check(errno == EAGAIN, "an empty pipe with a writer says EAGAIN");
  check(got == written && in_order, "every byte read back in order");
  check(read((int)w, block, 1) < 0 && errno == EBADF, "reading the write end is EBADF");
  check(write((int)r, block, 1) < 0 && errno == EBADF, "writing the read end is EBADF");
  check(write((int)w, "xyz", 3) == 3, "a small write");
  check(close((int)w) == 0, "close the write end");
  check(read((int)r, block, sizeof block) == 3, "what was written before the close");
  check(read((int)r, block, sizeof block) == 0, "then end of file");
  check(warden_pipe(&r, &w) == 0, "a second pipe");
  check(close((int)r) == 0, "close its read end");
  errno = 0;
  check(write((int)w, "x", 1) < 0 && errno == EPIPE, "writing with no reader is EPIPE");
  printf("ends: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static int block_mode(void) {
  uint32_t r, w;
  check(warden_pipe(&r, &w) == 0, "warden_pipe");
  static char block[4096];
  uint64_t written = 0;
  printf("block: writing\n");
  fflush(stdout);
  for (;;) {
    ssize_t n = write((int)w, block, sizeof block);
    if (n < 0) break;
    written += (uint64_t)n;
  }
  printf("block: a write failed after %llu bytes: %s\n", (unsigned long long)written,
         strerror(errno));
  return 1;
}

static int poll_mode(void) {
  uint32_t r, w;
  check(warden_pipe(&r, &w) == 0, "warden_pipe");
  struct pollfd p = {.fd = (int)r, .events = POLLIN};
  check(poll(&p, 1, 50) == 0, "an empty pipe is not ready: the timeout fires");
  check(write((int)w, "hello", 5) == 5, "write");
  check(poll(&p, 1, -1) == 1 && (p.revents & POLLIN), "readable after a write");
  char buf[8];
  check(read((int)r, buf, sizeof buf) == 5, "read it");
  check(close((int)w) == 0, "close the write end");
  check(poll(&p, 1, -1) == 1 && (p.revents & (POLLIN | POLLHUP)), "hangup once the writer is gone");
  printf("poll: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "ends";
  if (strcmp(mode, "fill") == 0) return fill();
  if (strcmp(mode, "ends") == 0) return ends_mode();
  if (strcmp(mode, "block") == 0) return block_mode();
  if (strcmp(mode, "poll") == 0) return poll_mode();
  printf("usage: pipe_abuse fill|ends|block|poll\n");
  return 2;
}

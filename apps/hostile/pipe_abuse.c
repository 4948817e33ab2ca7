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
//   pipe_abuse spawnfds  warden_spawn_fds: starts itself ("fdchild") with its stdio, a pipe's
//                       write end as descriptor 5 and a file reduced to no fd_write as 6, reads
//                       what the child wrote; then each refusal (EINVAL a number twice or too
//                       large, unknown flags, a nonzero pad; EBADF a closed descriptor or a
//                       channel end, also after a pipe end was copied; E2BIG a map over
//                       program.files)
//   pipe_abuse fdchild   (started by spawnfds) writes to 5, reads 6 and fails to write it, finds
//                       the preopened "/" at 3, has no 4
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
#include <wasi/api.h>

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

#define FD_FILE "/tmp/pipe_abuse_spawnfds"
#define FD_TEXT "file for descriptor 6"
#define FD_PING "ping on descriptor 5"

static int fdchild(void) {
  check(write(5, FD_PING, strlen(FD_PING)) == (ssize_t)strlen(FD_PING), "write descriptor 5");
  char buf[64] = {0};
  check(read(6, buf, sizeof buf - 1) == (ssize_t)strlen(FD_TEXT) && strcmp(buf, FD_TEXT) == 0,
        "read descriptor 6 from its start");
  // The WASI call itself: wasi-libc's write() reports ENOTCAPABLE as EBADF.
  __wasi_ciovec_t x = {(const uint8_t*)"x", 1};
  __wasi_size_t n = 0;
  check(__wasi_fd_write(6, &x, 1, &n) == __WASI_ERRNO_NOTCAPABLE,
        "writing the reduced 6 is ENOTCAPABLE");
  errno = 0;
  check(fcntl(4, F_GETFL) < 0 && errno == EBADF, "descriptor 4 is not open");
  int fd = open(FD_FILE, O_RDONLY);
  check(fd == 4, "a path through the preopened / (at 3), opened as 4");
  if (fd >= 0) close(fd);
  printf("fdchild: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static const char* self = "/hostile/pipe_abuse.wasm";
static struct warden_fd_map big_map[8193];

static int32_t spawn_map(const struct warden_fd_map* map, uint32_t count, uint32_t* pid) {
  static const char argv[] = "pipe_abuse\0fdchild";
  fflush(NULL);
  return warden_spawn_fds(self, (uint32_t)strlen(self), argv, sizeof argv, 2, "", 0, 0, "/", 1, map,
                          count, 0, pid);
}

static void expect(int32_t got, int32_t want, const char* what) {
  if (got != want) {
    printf("FAILED: %s: %s, expected %s\n", what, strerror(got), strerror(want));
    ++failures;
  }
}

static int spawnfds(void) {
  int f = open(FD_FILE, O_CREAT | O_TRUNC | O_RDWR, 0644);
  check(f >= 0 && write(f, FD_TEXT, strlen(FD_TEXT)) == (ssize_t)strlen(FD_TEXT), "the file");
  uint32_t r, w, pid = 0;
  check(warden_pipe(&r, &w) == 0, "warden_pipe");
  struct warden_fd_map map[] = {
      {0, 0, 0, 0, 0},
      {1, 1, 0, 0, 0},
      {2, 2, 0, 0, 0},
      {5, w, 0, 0, 0},
      {6, (uint32_t)f, WARDEN_FD_REDUCE, 0, ~(uint64_t)__WASI_RIGHTS_FD_WRITE},
  };
  expect(spawn_map(map, 5, &pid), 0, "warden_spawn_fds");
  check(close((int)w) == 0, "close the parent's write end");
  char buf[64] = {0};
  size_t got = 0;
  for (;;) {
    ssize_t n = read((int)r, buf + got, sizeof buf - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  check(strcmp(buf, FD_PING) == 0, "the child's bytes, then end of file once it ended");
  struct warden_exit exit;
  char reason[128];
  check(warden_wait(pid, &exit, reason, sizeof reason) == 0 && exit.end == WARDEN_END_EXITED &&
            exit.code == 0,
        "the child saw its descriptors as documented");
  check(lseek(f, 0, SEEK_CUR) == (off_t)strlen(FD_TEXT), "the parent's position did not move");
  check(write(f, "!", 1) == 1, "the parent still writes its file");

  struct warden_fd_map twice[] = {{0, 0, 0, 0, 0}, {0, 1, 0, 0, 0}};
  expect(spawn_map(twice, 2, &pid), EINVAL, "a child number twice");
  struct warden_fd_map large[] = {{100000, 0, 0, 0, 0}};
  expect(spawn_map(large, 1, &pid), EINVAL, "a child number over program.files");
  struct warden_fd_map flags[] = {{0, 0, 2, 0, 0}};
  expect(spawn_map(flags, 1, &pid), EINVAL, "unknown flags");
  struct warden_fd_map pad[] = {{0, 0, 0, 1, 0}};
  expect(spawn_map(pad, 1, &pid), EINVAL, "a nonzero pad");
  struct warden_fd_map closed[] = {{0, 200, 0, 0, 0}};
  expect(spawn_map(closed, 1, &pid), EBADF, "a descriptor that is not open");
  uint32_t a, b;
  check(warden_channel(&a, &b) == 0, "warden_channel");
  struct warden_fd_map channel[] = {{0, r, 0, 0, 0}, {1, a, 0, 0, 0}};
  expect(spawn_map(channel, 2, &pid), EBADF, "a channel end (after a pipe end was copied)");
  expect(spawn_map(big_map, sizeof big_map / sizeof big_map[0], &pid), E2BIG,
         "a map over program.files");
  check(close((int)a) == 0 && close((int)b) == 0 && close((int)r) == 0 && close(f) == 0,
        "close everything");
  unlink(FD_FILE);
  printf("spawnfds: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "ends";
  if (strcmp(mode, "fill") == 0) return fill();
  if (strcmp(mode, "ends") == 0) return ends_mode();
  if (strcmp(mode, "block") == 0) return block_mode();
  if (strcmp(mode, "poll") == 0) return poll_mode();
  if (argc > 0 && strchr(argv[0], '/')) self = argv[0];
  if (strcmp(mode, "spawnfds") == 0) return spawnfds();
  if (strcmp(mode, "fdchild") == 0) return fdchild();
  printf("usage: pipe_abuse fill|ends|block|poll|spawnfds\n");
  return 2;
}

// Hostile: what the review of the kernel's IPC (pipes, channels, services, waiting) found.
//
//   ipc_review spawn-rights PATH
//                              opens PATH read-only, and a pipe whose write end it reduces to
//                              reading (fd_fdstat_set_rights), and starts `write-stdout` with
//                              each as its standard output: the child must not gain the right
//                              to write what its parent could only read (ENOTCAPABLE), and
//                              PATH keeps its size
//   ipc_review write-stdout    writes one byte to its standard output; exits 0 when that was
//                              refused with ENOTCAPABLE and fd 1 has no fd_write right, 3 when
//                              it wrote
//   ipc_review poll-many N     fills a channel toward its peer, then polls its end with N
//                              subscriptions (for reading and writing in turn), none of which
//                              comes: a wait without a hart, whatever N (the test kills it)
//
// Prints "MODE: ..." lines; exits 0 when every answer was the documented one, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include <warden.h>

static int failures;
static const char* self = "/hostile/ipc_review.wasm";

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    fflush(stdout);
    ++failures;
  }
}

// Starts `write-stdout` with `out` as its standard output; its exit code, or -1.
static int run_writer(uint32_t out) {
  static const char argv[] = "ipc_review\0write-stdout";
  uint32_t stdio[3] = {0, out, 2}, pid;
  fflush(NULL);
  int32_t err = warden_spawn(self, (uint32_t)strlen(self), argv, sizeof argv, 2, "", 0, 0, "/", 1,
                             stdio, 0, &pid);
  if (err != 0) {
    printf("FAILED: spawn: %s\n", strerror(err));
    return -1;
  }
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return -1;
  return exit.end == WARDEN_END_EXITED ? exit.code : -1;
}

static int spawn_rights(const char* path) {
  struct stat before, after;
  check(stat(path, &before) == 0, "stat the file");
  int file = open(path, O_RDONLY);
  check(file >= 0, "open the file read-only");
  int code = run_writer((uint32_t)file);
  if (code != 0) printf("write-stdout on the file: exit %d\n", code);
  check(code == 0, "a read-only file as a child's stdout stays read-only");
  check(stat(path, &after) == 0 && after.st_size == before.st_size, "the file kept its size");

  uint32_t r, w;
  check(warden_pipe(&r, &w) == 0, "warden_pipe");
  __wasi_fdstat_t st;
  check(__wasi_fd_fdstat_get(w, &st) == 0, "fdstat of the write end");
  check(__wasi_fd_fdstat_set_rights(w, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE,
                                    st.fs_rights_inheriting) == 0,
        "drop fd_write from the write end");
  code = run_writer(w);
  if (code != 0) printf("write-stdout on the pipe: exit %d\n", code);
  check(code == 0, "a write end without fd_write as a child's stdout stays so");
  close((int)w);
  char c;
  check(read((int)r, &c, 1) == 0, "nothing went through the pipe");
  printf("spawn-rights: %s\n", failures == 0 ? "as documented" : "NOT as documented");
  return failures == 0 ? 0 : 1;
}

static int write_stdout(void) {
  __wasi_ciovec_t iov = {.buf = (const uint8_t*)"x", .buf_len = 1};
  __wasi_size_t written = 0;
  __wasi_errno_t err = __wasi_fd_write(1, &iov, 1, &written);
  if (err == 0) return 3;  // it wrote
  if (err != __WASI_ERRNO_NOTCAPABLE) return 4;
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(1, &st) != 0) return 5;
  return (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0 ? 6 : 0;
}

static int poll_many(int n) {
  uint32_t a, b;
  check(warden_channel(&a, &b) == 0, "warden_channel");
  // Fill b's side so that a is not writable: messages toward b until EAGAIN.
  check(fcntl((int)a, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
  while (warden_channel_write(a, "m", 1, NULL, 0) == 0) {
  }
  // poll_oneoff itself (wasi-libc's poll keeps the subscriptions on its stack): up to 4,096.
  __wasi_subscription_t* subs = calloc((size_t)n, sizeof *subs);
  __wasi_event_t* events = calloc((size_t)n, sizeof *events);
  if (subs == NULL || events == NULL) return 1;
  for (int i = 0; i < n; ++i) {
    subs[i].userdata = (uint64_t)i;
    subs[i].u.tag = i % 2 == 0 ? __WASI_EVENTTYPE_FD_READ : __WASI_EVENTTYPE_FD_WRITE;
    subs[i].u.u.fd_read.file_descriptor = a;  // fd_read and fd_write share the layout
  }
  printf("poll-many: polling %d\n", n);
  fflush(stdout);
  __wasi_size_t got = 0;
  __wasi_errno_t err = __wasi_poll_oneoff(subs, events, (__wasi_size_t)n, &got);
  printf("poll-many: FAILED: poll_oneoff returned %d with %u events\n", err, (unsigned)got);
  return 1;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "spawn-rights") == 0) return spawn_rights(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "write-stdout") == 0) return write_stdout();
  if (argc >= 3 && strcmp(argv[1], "poll-many") == 0) return poll_many(atoi(argv[2]));
  fprintf(stderr, "usage: ipc_review spawn-rights PATH | write-stdout | poll-many N\n");
  return 2;
}

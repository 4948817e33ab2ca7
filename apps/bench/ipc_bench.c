// The figures of `./x bench ipc` (kernel/ktest/ipc_bench.cc runs it under QEMU; nothing here is
// pass or fail): in one run, the costs to compare IPC with.
//
//   sched_yield round trip    one sched_yield call that comes back: the program alone, and beside
//                             a second program that yields too (on one hart: through it and back)
//   file read                 reading a 16 MiB in-memory file four times (64 MiB) in 64 KiB reads
//   pipe throughput           64 MiB through a pipe to a child that reads it (64 KiB writes)
//   pipe round trip           one byte there and back between two programs over two pipes
//   pipe within one program   one byte written and read back by the same program (no wait)
//   channel round trip        a 1-byte message there and back between two programs (the child
//                             connects to a service this program publishes)
//
// Each figure is the median of 5 runs. Lines start with "bench:". Modes other than the default
// are the child's sides: `sink` reads standard input to its end and exits 0 if it got 64 MiB;
// `echo` answers every byte on standard input with one byte on standard output; `yield` yields
// until it is killed; `channel` connects to the service and answers every message.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <warden.h>

#include "tool.h"

#define SELF "/bench/ipc_bench.wasm"
#define RUNS 5
#define CHUNK (64u << 10)
#define PIPE_BYTES (64ull << 20)
#define FILE_BYTES (16u << 20)
#define YIELDS 20000
#define ROUND_TRIPS 2000

static unsigned char g_buffer[CHUNK];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int compare(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t* v) {
  qsort(v, RUNS, sizeof *v, compare);
  return v[RUNS / 2];
}

static int32_t spawn_child(const char* mode, uint32_t in, uint32_t out, uint32_t* pid) {
  char argv[32];
  int len = snprintf(argv, sizeof argv, "ipc_bench%c%s", 0, mode) + 1;
  const uint32_t stdio[3] = {in, out, 2};
  return warden_spawn(SELF, sizeof SELF - 1, argv, (uint32_t)len, 2, "", 0, 0, "/", 1, stdio, 0,
                      pid);
}

static int wait_child(uint32_t pid) {
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return -1;
  return exit.end == WARDEN_END_EXITED ? exit.code : -1;
}

static uint64_t yield_ns(void) {
  uint64_t t0 = now_ns();
  for (int i = 0; i < YIELDS; ++i) sched_yield();
  return (now_ns() - t0) / YIELDS;
}

// Nanoseconds to read the file 4 times, or 0 on failure.
static uint64_t file_read_ns(const char* path) {
  uint64_t t0 = now_ns();
  uint64_t total = 0;
  for (int pass = 0; pass < 4; ++pass) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    for (;;) {
      ssize_t n = read(fd, g_buffer, CHUNK);
      if (n <= 0) break;
      total += (uint64_t)n;
    }
    close(fd);
  }
  uint64_t t = now_ns() - t0;
  return total == 4ull * FILE_BYTES ? t : 0;
}

// Nanoseconds to move PIPE_BYTES to a child, or 0 on failure.
static uint64_t pipe_ns(void) {
  uint32_t r, w, pid;
  if (warden_pipe(&r, &w) != 0) return 0;
  if (spawn_child("sink", r, 1, &pid) != 0) return 0;
  close((int)r);
  uint64_t t0 = now_ns();
  for (uint64_t sent = 0; sent < PIPE_BYTES; sent += CHUNK) {
    if (tool_write_all((int)w, g_buffer, CHUNK) != 0) return 0;
  }
  close((int)w);
  int status = wait_child(pid);
  uint64_t t = now_ns() - t0;
  return status == 0 ? t : 0;
}

// Nanoseconds per one-byte write to `out` and read from `in` (ROUND_TRIPS of them, after one to
// warm up), or 0 on failure.
static uint64_t write_read_ns(uint32_t out, uint32_t in) {
  unsigned char byte = 'x';
  uint64_t t0 = 0;
  for (int i = 0; i <= ROUND_TRIPS; ++i) {
    if (i == 1) t0 = now_ns();
    if (write((int)out, &byte, 1) != 1 || read((int)in, &byte, 1) != 1) return 0;
  }
  return (now_ns() - t0) / ROUND_TRIPS;
}

// Nanoseconds per round trip of one byte between two programs over two pipes, or 0 on failure.
static uint64_t pipe_round_trip_ns(void) {
  uint32_t to_r, to_w, back_r, back_w, pid;
  if (warden_pipe(&to_r, &to_w) != 0 || warden_pipe(&back_r, &back_w) != 0) return 0;
  if (spawn_child("echo", to_r, back_w, &pid) != 0) return 0;
  close((int)to_r);
  close((int)back_w);
  uint64_t t = write_read_ns(to_w, back_r);
  close((int)to_w);
  close((int)back_r);
  return wait_child(pid) == 0 ? t : 0;
}

// Nanoseconds per one-byte write and read back through a pipe within this program (no other
// program involved, no wait), or 0 on failure.
static uint64_t pipe_self_ns(void) {
  uint32_t r, w;
  if (warden_pipe(&r, &w) != 0) return 0;
  uint64_t t = write_read_ns(w, r);
  close((int)r);
  close((int)w);
  return t;
}

// Nanoseconds per sched_yield while a second program yields too: on one hart, a round trip
// through the other program (0 on failure).
static uint64_t yield_pair_ns(void) {
  uint32_t pid;
  if (spawn_child("yield", 0, 1, &pid) != 0) return 0;
  for (int i = 0; i < 100; ++i) sched_yield();  // let it start
  uint64_t t = yield_ns();
  warden_kill(pid);
  wait_child(pid);
  return t;
}

#define SERVICE "ipc_bench"

// Nanoseconds per round trip of a 1-byte message over a channel between two programs (the child
// connects to a service this program publishes), or 0 on failure.
static uint64_t channel_round_trip_ns(void) {
  uint32_t service, end, pid, n, fds;
  if (warden_service_publish(SERVICE, sizeof SERVICE - 1, &service) != 0) return 0;
  if (spawn_child("channel", 0, 1, &pid) != 0) return 0;
  int32_t err = warden_service_accept(service, &end);
  close((int)service);
  if (err != 0) return 0;
  unsigned char byte = 'x';
  uint64_t t0 = 0;
  for (int i = 0; i <= ROUND_TRIPS; ++i) {
    if (i == 1) t0 = now_ns();  // the first one warms up
    if (warden_channel_write(end, &byte, 1, NULL, 0) != 0 ||
        warden_channel_read(end, &byte, 1, NULL, 0, &n, &fds) != 0 || n != 1) {
      return 0;
    }
  }
  uint64_t t = (now_ns() - t0) / ROUND_TRIPS;
  close((int)end);
  return wait_child(pid) == 0 ? t : 0;
}

// The child's side: connects and answers every message with one of one byte until the peer
// closes.
static int channel_echo(void) {
  uint32_t end, n, fds;
  int32_t err;
  for (int tries = 0; (err = warden_service_connect(SERVICE, sizeof SERVICE - 1, &end)) != 0;) {
    if (err != ENOENT || ++tries > 1000) return 1;
    sched_yield();
  }
  unsigned char byte;
  while (warden_channel_read(end, &byte, 1, NULL, 0, &n, &fds) == 0) {
    if (warden_channel_write(end, &byte, 1, NULL, 0) != 0) return 1;
  }
  return 0;
}

static int sink(void) {
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(0, g_buffer, CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += (uint64_t)n;
  }
  return total == PIPE_BYTES ? 0 : 1;
}

static int echo(void) {
  unsigned char byte;
  while (read(0, &byte, 1) == 1) {
    if (write(1, &byte, 1) != 1) return 1;
  }
  return 0;
}

static double mib_per_s(uint64_t bytes, uint64_t ns) {
  return ns == 0 ? 0 : (double)bytes / (1 << 20) / ((double)ns / 1e9);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "sink") == 0) return sink();
  if (argc > 1 && strcmp(argv[1], "echo") == 0) return echo();
  if (argc > 1 && strcmp(argv[1], "channel") == 0) return channel_echo();
  if (argc > 1 && strcmp(argv[1], "yield") == 0) {
    for (;;) sched_yield();
  }

  const char* path = "/tmp/ipc_bench.data";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("bench: cannot make %s: %s\n", path, strerror(errno));
    return 1;
  }
  for (size_t i = 0; i < CHUNK; ++i) g_buffer[i] = (unsigned char)(i * 31);
  for (uint32_t at = 0; at < FILE_BYTES; at += CHUNK) {
    if (tool_write_all(fd, g_buffer, CHUNK) != 0) {
      printf("bench: cannot write %s: %s\n", path, strerror(errno));
      return 1;
    }
  }
  close(fd);

  uint64_t yields[RUNS], pairs[RUNS], files[RUNS], pipes[RUNS], trips[RUNS], selfs[RUNS];
  uint64_t channels[RUNS];
  int failed = 0;
  for (int i = 0; i < RUNS; ++i) {
    yields[i] = yield_ns();
    pairs[i] = yield_pair_ns();
    files[i] = file_read_ns(path);
    pipes[i] = pipe_ns();
    trips[i] = pipe_round_trip_ns();
    selfs[i] = pipe_self_ns();
    channels[i] = channel_round_trip_ns();
    failed |= channels[i] == 0 || pairs[i] == 0 || files[i] == 0 || pipes[i] == 0 ||
              trips[i] == 0 || selfs[i] == 0;
  }
  unlink(path);
  if (failed) {
    printf("bench: a run failed (file %llu, pipe %llu, round trip %llu ns)\n",
           (unsigned long long)files[0], (unsigned long long)pipes[0],
           (unsigned long long)trips[0]);
    return 1;
  }
  uint64_t y = median(yields), f = median(files), p = median(pipes), t = median(trips);
  uint64_t self = median(selfs), pair = median(pairs), channel = median(channels);
  printf("bench: sched_yield round trip: %llu ns alone, %llu ns beside a second program yielding\n",
         (unsigned long long)y, (unsigned long long)pair);
  printf("bench: file read, 64 MiB from memory: %.0f MiB/s (%llu ms)\n",
         mib_per_s(4ull * FILE_BYTES, f), (unsigned long long)(f / 1000000));
  printf("bench: pipe, 64 MiB to another program: %.0f MiB/s (%llu ms), %.2f of the file read\n",
         mib_per_s(PIPE_BYTES, p), (unsigned long long)(p / 1000000), (double)f / (double)p);
  printf(
      "bench: pipe round trip, one byte between two programs: %llu ns (%.1f sched_yield beside "
      "a second program)\n",
      (unsigned long long)t, (double)t / (double)(pair == 0 ? 1 : pair));
  printf(
      "bench: channel round trip, a 1-byte message between two programs: %llu ns (%.1f "
      "sched_yield beside a second program)\n",
      (unsigned long long)channel, (double)channel / (double)(pair == 0 ? 1 : pair));
  printf("bench: pipe write and read back within one program (no wait): %llu ns\n",
         (unsigned long long)self);
  return 0;
}

// The guest side of the power-loss test (tests/boot/disk_test.py): files with known content are
// written, made durable and renamed into place while the machine may be switched off at any
// moment; after the next boot, a check finds every file that was reported durable intact, and no
// file under its final name that is not whole.
//
//   crash write DIR SEED   makes DIR if needed and writes DIR/fN (N = 0, 1, ...) for ever: each is
//   written as DIR/tN,
//                          fsync'ed, renamed to DIR/fN and fsync'ed again, then reported on
//                          standard output as "durable fN"; every 4th file also removes the one
//                          three before it ("removing fM" first, "removed fM" once durable).
//   crash check DIR SEED   checks every DIR/fN against its content; prints
//                          "check: N intact, M damaged" and exits 1 when any is damaged (the
//                          harness compares the names with what `write` reported); then removes
//                          DIR and its files ("cleared DIR").
//
// The content of fN depends only on SEED and N (its length too), so the check needs no record
// of what was written: a file under its final name is either whole and right, or damaged.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// Up to 96 KiB: files of one block, of a few, and past the direct blocks of a 1 KiB block size.
static size_t length_of(uint64_t seed, uint64_t n) { return 1 + mix(seed * 1000003 + n) % 98304; }

static void fill(uint64_t seed, uint64_t n, unsigned char* buf, size_t len) {
  uint64_t state = mix(seed ^ (n << 20) ^ 0x5bd1e995);
  for (size_t i = 0; i < len; ++i) {
    if (i % 8 == 0) state = mix(state + i);
    buf[i] = (unsigned char)(state >> (8 * (i % 8)));
  }
}

static int fsync_path(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int r = fsync(fd);
  close(fd);
  return r;
}

static int write_one(const char* dir, uint64_t seed, uint64_t n, unsigned char* buf) {
  char tmp[512], final[512];
  snprintf(tmp, sizeof tmp, "%s/t%llu", dir, (unsigned long long)n);
  snprintf(final, sizeof final, "%s/f%llu", dir, (unsigned long long)n);
  size_t len = length_of(seed, n);
  fill(seed, n, buf, len);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return tool_fail(tmp);
  // In two pieces, so a crash can also come between two writes of one file.
  size_t half = len / 2;
  if (tool_write_all(fd, buf, half) != 0 || tool_write_all(fd, buf + half, len - half) != 0 ||
      fsync(fd) != 0) {
    close(fd);
    return tool_fail(tmp);
  }
  close(fd);
  if (rename(tmp, final) != 0) return tool_fail(final);
  if (fsync_path(final) != 0) return tool_fail(final);
  printf("durable f%llu\n", (unsigned long long)n);
  fflush(stdout);
  return 0;
}

static int write_loop(const char* dir, uint64_t seed) {
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) return tool_fail(dir);
  unsigned char* buf = malloc(98304);
  if (buf == NULL) return tool_fail("malloc");
  for (uint64_t n = 0;; ++n) {
    if (write_one(dir, seed, n, buf) != 0) return 1;
    if (n % 4 == 3) {
      char old[512];
      snprintf(old, sizeof old, "%s/f%llu", dir, (unsigned long long)(n - 3));
      // Said before: the removal may reach the disk (a commit) before its own fsync returns.
      printf("removing f%llu\n", (unsigned long long)(n - 3));
      fflush(stdout);
      if (unlink(old) != 0) return tool_fail(old);
      if (fsync_path(dir) != 0) return tool_fail(dir);
      printf("removed f%llu\n", (unsigned long long)(n - 3));
      fflush(stdout);
    }
  }
}

// 1 when DIR/NAME (fN) holds exactly its content; 0 otherwise (said on standard output).
static int intact(const char* dir, const char* name, uint64_t seed, unsigned char* want,
                  unsigned char* got) {
  uint64_t n = strtoull(name + 1, NULL, 10);
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len = length_of(seed, n);
  fill(seed, n, want, len);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("damaged %s: cannot open: %s\n", name, strerror(errno));
    return 0;
  }
  size_t have = 0;
  for (;;) {
    ssize_t r = read(fd, got + have, 98305 - have);
    if (r < 0) {
      printf("damaged %s: read: %s\n", name, strerror(errno));
      close(fd);
      return 0;
    }
    if (r == 0 || (have += (size_t)r) == 98305) break;
  }
  close(fd);
  if (have != len || memcmp(want, got, len) != 0) {
    printf("damaged %s: %zu bytes, expected %zu%s\n", name, have, len,
           have == len ? " (content differs)" : "");
    return 0;
  }
  printf("intact %s\n", name);
  return 1;
}

// Removes DIR and the files in it, so that trial after trial fits on one disk.
static int clear(const char* dir) {
  DIR* d = opendir(dir);
  if (d == NULL) return tool_fail(dir);
  struct dirent* e;
  char path[512];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] != 'f' && e->d_name[0] != 't') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (unlink(path) != 0) return tool_fail(path);
  }
  closedir(d);
  if (rmdir(dir) != 0) return tool_fail(dir);
  printf("cleared %s\n", dir);
  return 0;
}

static int check(const char* dir, uint64_t seed) {
  unsigned char* want = malloc(98305);
  unsigned char* got = malloc(98305);
  if (want == NULL || got == NULL) return tool_fail("malloc");
  DIR* d = opendir(dir);
  if (d == NULL) return tool_fail(dir);
  unsigned good = 0, bad = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] != 'f') continue;
    if (intact(dir, e->d_name, seed, want, got)) {
      ++good;
    } else {
      ++bad;
    }
  }
  closedir(d);
  printf("check: %u intact, %u damaged\n", good, bad);
  fflush(stdout);
  if (bad != 0) return 1;
  return clear(dir);
}

int main(int argc, char** argv) {
  tool_name = "crash";
  uint64_t seed = 0;
  if (argc != 4 || !tool_parse_count(argv[3], &seed)) return tool_usage("write|check DIR SEED");
  if (strcmp(argv[1], "write") == 0) return write_loop(argv[2], seed);
  if (strcmp(argv[1], "check") == 0) return check(argv[2], seed);
  return tool_usage("write|check DIR SEED");
}

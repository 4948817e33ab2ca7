// Hostile: host calls that would hold a hart for seconds, and a spawn whose arguments would make
// the kernel keep 40 times their size.
//
//   long_calls random MIB   one random_get of MIB MiB (64 MiB held a hart and the generator's lock
//                           for 2 s): every 4 KiB of the buffer must come back written
//   long_calls hole         reads a 1 TiB sparse file with 16 iovecs of 32 MiB in one readv (a
//                           4 GiB read held a hart for 17 s): the read must come back short, all
//                           zeros
//   long_calls append       one O_APPEND write of 8 MiB (48 MiB held a hart for 0.6 s: an append
//                           cannot stop in the middle): must come back short, the file holding
//                           exactly what it said; and open(O_CREAT | O_DIRECTORY) must fail
//                           without making anything
//   long_calls args         spawns itself with 200,000 arguments, nearly all empty (195 KiB that
//                           made the kernel keep 8 MiB for the child): must be E2BIG; with 4,000
//                           it must start, and the child sees them all
//   long_calls count N      the child: exits 0 when it has N arguments
//
// Exits 0 when everything was as documented, else the number of the check that failed.
// kernel/ktest/hostile_review_test.cc runs it.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wasi/api.h>

#include <warden.h>

#define SELF "/hostile/long_calls.wasm"

static int random_mib(size_t mib) {
  size_t size = mib << 20;
  uint8_t* p = calloc(1, size);
  if (p == NULL) return 10;
  if (__wasi_random_get(p, size) != 0) return 11;
  // A page of zeros in 4 KiB of random bytes: 2^-32768.
  for (size_t page = 0; page < size; page += 4096) {
    size_t i = 0;
    while (i < 4096 && p[page + i] == 0) ++i;
    if (i == 4096) return 12;
  }
  return 0;
}

static int hole(void) {
  enum { kIovecs = 16, kMiB = 32 };
  uint8_t* p = malloc((size_t)kMiB << 20);
  if (p == NULL) return 20;
  for (size_t i = 0; i < ((size_t)kMiB << 20); i += 4096) p[i] = 0xff;
  int fd = open("/tmp/hole.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 21;
  if (ftruncate(fd, 1ll << 40) != 0) return 22;
  struct iovec iov[kIovecs];
  for (int i = 0; i < kIovecs; ++i) iov[i] = (struct iovec){p, (size_t)kMiB << 20};
  ssize_t got = readv(fd, iov, kIovecs);
  close(fd);
  unlink("/tmp/hole.dat");
  if (got <= 0) return 23;
  if ((uint64_t)got >= (uint64_t)kIovecs * ((uint64_t)kMiB << 20)) return 24;  // all at once
  size_t seen = (size_t)got < ((size_t)kMiB << 20) ? (size_t)got : (size_t)kMiB << 20;
  for (size_t i = 0; i < seen; i += 4096) {
    if (p[i] != 0) return 25;
  }
  return 0;
}

static int append(void) {
  enum { kSize = 8 << 20 };
  char* p = malloc(kSize);
  if (p == NULL) return 50;
  memset(p, 'a', kSize);
  int fd = open("/tmp/append.dat", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) return 51;
  ssize_t n = write(fd, p, kSize);
  off_t end = lseek(fd, 0, SEEK_END);
  close(fd);
  unlink("/tmp/append.dat");
  if (n <= 0) return 52;
  if (n == kSize) return 53;  // all in one call
  if (end != n) return 54;
  if (open("/tmp/newdir", O_RDONLY | O_CREAT | O_DIRECTORY, 0755) >= 0) return 55;
  if (access("/tmp/newdir", F_OK) == 0) return 56;  // the failed open made a file
  return 0;
}

// Spawns SELF "count" N with N - 2 empty arguments after them; returns the errno.
static int32_t spawn_with(uint32_t n, uint32_t* pid) {
  char head[32];
  int k = snprintf(head, sizeof head, "%s%c%s%c%u", "long_calls", 0, "count", 0, n);
  size_t len = (size_t)k + 1 + (n - 3);
  char* argv = calloc(1, len);
  if (argv == NULL) return 48;
  memcpy(argv, head, (size_t)k + 1);
  static const uint32_t stdio[3] = {0, 1, 2};
  int32_t e = warden_spawn(SELF, (uint32_t)strlen(SELF), argv, (uint32_t)len, n, "", 0, 0, "/", 1,
                           stdio, 0, pid);
  free(argv);
  return e;
}

static int args(void) {
  uint32_t pid = 0;
  if (spawn_with(200000, &pid) != 1) return 30;  // E2BIG
  if (spawn_with(4000, &pid) != 0) return 31;
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return 32;
  if (exit.end != WARDEN_END_EXITED || exit.code != 0) return 33;
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "random") == 0) return random_mib((size_t)atoi(argv[2]));
  if (argc == 2 && strcmp(argv[1], "hole") == 0) return hole();
  if (argc == 2 && strcmp(argv[1], "args") == 0) return args();
  if (argc == 2 && strcmp(argv[1], "append") == 0) return append();
  if (argc > 2 && strcmp(argv[1], "count") == 0) return argc == atoi(argv[2]) ? 0 : 40;
  return 1;
}

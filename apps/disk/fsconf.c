// File-system conformance: the WASI preview 1 file-system calls as POSIX programs reach them
// through wasi-libc (open, read, write, lseek, stat, utimensat, mkdir, rename, link, symlink,
// readdir, ...), with their error cases, checked on one directory.
//
//   fsconf DIR    makes DIR/fsconf.tmp (removing a leftover first), runs every check inside it,
//                 removes it; prints one line per failed check (what was expected, what came),
//                 then "fsconf: N checks, M failed"; exits 1 when any failed
//
// The same program runs on the hosted runner over a Linux folder (the reference: tier 40_apps)
// and in Warden on each of its file systems (tests/boot/boot_test.py), so "works on one file
// system" and "works on another" mean the same checks. Only behaviour a program can rely on is
// checked; where POSIX or Linux allow several answers (unlink of a directory: EISDIR or EPERM;
// rmdir of a non-empty one: ENOTEMPTY or EEXIST; a directory's link count: 2 + subdirectories or
// always 1; times kept to the second or to the nanosecond) each of them is accepted. A read of
// more than 256 KiB may come back short in Warden with more to read (docs/wasi.md), so the one
// such read loops (pread_all).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int g_checks, g_failed;
static char g_base[1024];
static const char* g_dir;

// ---- reporting ----

static const char* errno_name(int e) {
  switch (e) {
    case 0: return "0";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    case EFBIG: return "EFBIG";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSUP: return "ENOTSUP";
    case ENOTTY: return "ENOTTY";
    case EPERM: return "EPERM";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: return strerror(e);
  }
}

static void fail(const char* what, const char* fmt, ...) {
  ++g_failed;
  printf("FAIL %s: ", what);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

// A condition; `detail` says what came when it is false.
static int check(int ok, const char* what, const char* detail) {
  ++g_checks;
  if (!ok) fail(what, "%s", detail);
  return ok;
}

// A call that must succeed (result >= 0).
static int ok(long long r, const char* what) {
  ++g_checks;
  if (r < 0) {
    fail(what, "expected success, got %s", errno_name(errno));
    return 0;
  }
  return 1;
}

// A call that must fail with one of the errnos given (a list ending in 0).
static int fails(long long r, const char* what, ...) {
  int e = errno;
  ++g_checks;
  va_list ap;
  va_start(ap, what);
  char expected[128] = "";
  int matched = 0;
  for (int want = va_arg(ap, int); want != 0; want = va_arg(ap, int)) {
    if (r < 0 && e == want) matched = 1;
    if (expected[0] != '\0') strncat(expected, " or ", sizeof expected - strlen(expected) - 1);
    strncat(expected, errno_name(want), sizeof expected - strlen(expected) - 1);
  }
  va_end(ap);
  if (matched) return 1;
  if (r >= 0)
    fail(what, "expected %s, got success (%lld)", expected, r);
  else
    fail(what, "expected %s, got %s", expected, errno_name(e));
  return 0;
}

static int eq(long long got, long long want, const char* what) {
  ++g_checks;
  if (got != want) {
    fail(what, "expected %lld, got %lld", want, got);
    return 0;
  }
  return 1;
}

static int same_bytes(const void* got, const void* want, size_t n, const char* what) {
  ++g_checks;
  if (memcmp(got, want, n) != 0) {
    size_t i = 0;
    while (((const unsigned char*)got)[i] == ((const unsigned char*)want)[i]) ++i;
    fail(what, "bytes differ at %zu of %zu: expected 0x%02x, got 0x%02x", i, n,
         ((const unsigned char*)want)[i], ((const unsigned char*)got)[i]);
    return 0;
  }
  return 1;
}

// ---- helpers ----

// DIR/fsconf.tmp/REL, in one of a few rotating buffers (several may be live in one call).
static const char* at(const char* fmt, ...) {
  static char buffers[8][1024];
  static int next;
  char* out = buffers[next++ % 8];
  int n = snprintf(out, sizeof buffers[0], "%s/", g_base);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out + n, sizeof buffers[0] - (size_t)n, fmt, ap);
  va_end(ap);
  return out;
}

static int make_file(const char* path, const char* content) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return -1;
  size_t n = strlen(content);
  ssize_t w = write(fd, content, n);
  close(fd);
  return w == (ssize_t)n ? 0 : -1;
}

// The whole content of PATH (at most size - 1 bytes, NUL-terminated), or "<errno name>".
static const char* slurp(const char* path, char* out, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    snprintf(out, size, "<%s>", errno_name(errno));
    return out;
  }
  size_t used = 0;
  for (;;) {
    ssize_t n = read(fd, out + used, size - 1 - used);
    if (n <= 0) break;
    used += (size_t)n;
  }
  out[used] = '\0';
  close(fd);
  return out;
}

static int content_is(const char* path, const char* want, const char* what) {
  char got[256];
  slurp(path, got, sizeof got);
  ++g_checks;
  if (strcmp(got, want) != 0) {
    fail(what, "expected \"%s\", got \"%s\"", want, got);
    return 0;
  }
  return 1;
}

static long long size_of(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

// Removes PATH and everything below it (no symlink is followed).
static void remove_tree(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    unlink(path);
    return;
  }
  for (;;) {
    DIR* d = opendir(path);
    if (d == NULL) break;
    int removed = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char* child = malloc(strlen(path) + strlen(e->d_name) + 2);
      if (child == NULL) break;
      sprintf(child, "%s/%s", path, e->d_name);
      remove_tree(child);
      free(child);
      ++removed;
    }
    closedir(d);
    if (removed == 0) break;
  }
  rmdir(path);
}

static struct timespec now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

// A time set explicitly reads back to the second, and to the nanosecond or truncated to what the
// file system keeps (ext2 with small inodes keeps seconds).
static int time_is(struct timespec got, long long sec, long nsec, const char* what) {
  ++g_checks;
  if (got.tv_sec != sec || got.tv_nsec > nsec) {
    fail(what, "expected %lld.%09ld, got %lld.%09ld", sec, nsec, (long long)got.tv_sec,
         (long)got.tv_nsec);
    return 0;
  }
  return 1;
}

// A time set to "now" lies between the clock read before and after, give or take 2 s (file
// times come from a coarser clock, and may be truncated to the second).
static int time_near(struct timespec got, struct timespec before, struct timespec after,
                     const char* what) {
  ++g_checks;
  if (got.tv_sec < before.tv_sec - 2 || got.tv_sec > after.tv_sec + 2) {
    fail(what, "expected about %lld, got %lld.%09ld", (long long)before.tv_sec,
         (long long)got.tv_sec, (long)got.tv_nsec);
    return 0;
  }
  return 1;
}

// fd_filestat_set_times itself, for what wasi-libc cannot ask (see check_times).
static int wasi_set_times(int fd, unsigned long long atim, unsigned long long mtim, int flags) {
  __wasi_errno_t e = __wasi_fd_filestat_set_times(fd, atim, mtim, (__wasi_fstflags_t)flags);
  if (e == 0) return 0;
  errno = e;
  return -1;
}

// ---- open ----

static void check_open(void) {
  int fd;
  fails(open(at("missing"), O_RDONLY), "open of a missing file", ENOENT, 0);
  fd = open(at("a"), O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (ok(fd, "open O_CREAT|O_EXCL of a new file")) {
    eq(write(fd, "hello", 5), 5, "write to a new file");
    close(fd);
  }
  fd = open(at("a"), O_CREAT | O_EXCL | O_WRONLY, 0644);
  fails(fd, "open O_CREAT|O_EXCL of an existing file", EEXIST, 0);
  if (fd >= 0) close(fd);
  fd = open(at("a"), O_CREAT | O_RDWR, 0644);
  if (ok(fd, "open O_CREAT of an existing file")) close(fd);
  eq(size_of(at("a")), 5, "O_CREAT without O_TRUNC keeps the content");
  fd = open(at("a"), O_WRONLY | O_TRUNC);
  if (ok(fd, "open O_TRUNC")) close(fd);
  eq(size_of(at("a")), 0, "O_TRUNC empties the file");
  make_file(at("a"), "hello");

  make_file(at("a"), "hello world, a longer text");
  make_file(at("a"), "hello");
  content_is(at("a"), "hello", "a shorter rewrite with O_TRUNC leaves no old tail");

  fd = open(at("a"), O_RDONLY | O_DIRECTORY);
  fails(fd, "open O_DIRECTORY of a file", ENOTDIR, 0);
  if (fd >= 0) close(fd);
  fd = open(at("a/"), O_RDONLY);
  fails(fd, "open of a file with a trailing slash", ENOTDIR, EISDIR, 0);
  if (fd >= 0) close(fd);
  fails(open(at("a/x"), O_RDONLY), "open of a path through a file", ENOTDIR, 0);
  fails(open(at("nodir/x"), O_CREAT | O_WRONLY, 0644), "open O_CREAT in a missing directory",
        ENOENT, 0);

  ok(mkdir(at("d"), 0755), "mkdir for the open checks");
  fd = open(at("d"), O_RDONLY | O_DIRECTORY);
  if (ok(fd, "open O_DIRECTORY of a directory")) {
    char c;
    fails(read(fd, &c, 1), "read from a directory", EISDIR, EBADF, ENOTCAPABLE, 0);
    close(fd);
  }
  fd = open(at("d/"), O_RDONLY);
  if (ok(fd, "open of a directory with a trailing slash")) close(fd);
  fd = open(at("d"), O_WRONLY);
  fails(fd, "open O_WRONLY of a directory", EISDIR, 0);
  if (fd >= 0) close(fd);
  fd = open(at("d"), O_RDWR);
  fails(fd, "open O_RDWR of a directory", EISDIR, 0);
  if (fd >= 0) close(fd);

  ok(symlink("a", at("sa")), "symlink for the open checks");
  fd = open(at("sa"), O_RDONLY | O_NOFOLLOW);
  fails(fd, "open O_NOFOLLOW of a symlink", ELOOP, 0);
  if (fd >= 0) close(fd);
  fd = open(at("a"), O_RDONLY | O_NOFOLLOW);
  if (ok(fd, "open O_NOFOLLOW of a file")) close(fd);
  fd = open(at("sa"), O_RDONLY);
  if (ok(fd, "open through a symlink")) {
    char buf[8] = {0};
    eq(read(fd, buf, sizeof buf), 5, "read through a symlink");
    same_bytes(buf, "hello", 5, "content read through a symlink");
    close(fd);
  }
  ok(symlink("target", at("dangling")), "symlink to a missing name");
  fd = open(at("dangling"), O_CREAT | O_EXCL | O_WRONLY, 0644);
  fails(fd, "open O_CREAT|O_EXCL of a dangling symlink", EEXIST, 0);
  if (fd >= 0) close(fd);
  fd = open(at("dangling"), O_CREAT | O_WRONLY, 0644);
  if (ok(fd, "open O_CREAT through a dangling symlink")) {
    close(fd);
    check(exists(at("target")), "open O_CREAT through a dangling symlink creates its target",
          "the target is missing");
  }

  fd = open(at("a"), O_RDONLY);
  if (ok(fd, "open O_RDONLY")) {
    fails(write(fd, "x", 1), "write to a read-only descriptor", EBADF, ENOTCAPABLE, 0);
    eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY, "F_GETFL of an O_RDONLY descriptor");
    close(fd);
  }
  fd = open(at("a"), O_WRONLY);
  if (ok(fd, "open O_WRONLY")) {
    char c;
    fails(read(fd, &c, 1), "read from a write-only descriptor", EBADF, ENOTCAPABLE, 0);
    eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY, "F_GETFL of an O_WRONLY descriptor");
    check(!isatty(fd), "isatty of a file", "true");
    ok(close(fd), "close");
    fails(close(fd), "close of a closed descriptor", EBADF, 0);
  }
  fd = open(at("a"), O_RDWR);
  if (ok(fd, "open O_RDWR")) {
    eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR, "F_GETFL of an O_RDWR descriptor");
    close(fd);
  }
  ok(access(at("a"), F_OK), "access of a file");
  fails(access(at("missing"), F_OK), "access of a missing file", ENOENT, 0);
}

// ---- read, write, seek ----

static void check_read_write(void) {
  char buf[128];
  int fd = open(at("rw"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (!ok(fd, "open for the read/write checks")) return;
  eq(write(fd, "0123456789", 10), 10, "write 10 bytes");
  eq(write(fd, "", 0), 0, "write of 0 bytes");
  eq(lseek(fd, 0, SEEK_CUR), 10, "position after a write");
  eq(lseek(fd, 0, SEEK_SET), 0, "lseek SEEK_SET");
  eq(read(fd, buf, 4), 4, "read 4 bytes");
  same_bytes(buf, "0123", 4, "bytes read");
  eq(lseek(fd, 0, SEEK_CUR), 4, "position after a read");
  eq(lseek(fd, 2, SEEK_CUR), 6, "lseek SEEK_CUR");
  eq(lseek(fd, -3, SEEK_END), 7, "lseek SEEK_END backwards");
  eq(read(fd, buf, sizeof buf), 3, "read to the end");
  same_bytes(buf, "789", 3, "bytes read at the end");
  eq(read(fd, buf, sizeof buf), 0, "read at the end gives 0");
  fails(lseek(fd, -1, SEEK_SET), "lseek to a negative offset", EINVAL, 0);
  fails(lseek(fd, -20, SEEK_END), "lseek SEEK_END before the start", EINVAL, 0);
  eq(lseek(fd, 0, SEEK_CUR), 10, "a failed lseek keeps the position");

  // Past the end: the hole reads as zeros.
  eq(lseek(fd, 20, SEEK_END), 30, "lseek past the end");
  eq(read(fd, buf, sizeof buf), 0, "read past the end gives 0");
  eq(write(fd, "X", 1), 1, "write past the end");
  eq(size_of(at("rw")), 31, "size after a write past the end");
  memset(buf, 1, sizeof buf);
  eq(pread(fd, buf, 21, 10), 21, "pread over the hole");
  static const char zeros[8192];
  same_bytes(buf, zeros, 20, "a hole reads as zeros");
  eq(buf[20], 'X', "the byte after the hole");

  eq(lseek(fd, 3, SEEK_SET), 3, "lseek before pread");
  eq(pread(fd, buf, 4, 2), 4, "pread");
  same_bytes(buf, "2345", 4, "bytes from pread");
  eq(pwrite(fd, "ab", 2, 5), 2, "pwrite");
  eq(lseek(fd, 0, SEEK_CUR), 3, "pread and pwrite keep the position");
  eq(pread(fd, buf, 10, 0), 10, "pread after pwrite");
  same_bytes(buf, "01234ab789", 10, "bytes after pwrite");
  eq(pread(fd, buf, 10, 31), 0, "pread at the end gives 0");
  eq(pread(fd, buf, 10, 1000), 0, "pread past the end gives 0");
  eq(pread(fd, buf, 10, 30), 1, "pread of the last byte");
  fails(pread(fd, buf, 1, -1), "pread at a negative offset", EINVAL, 0);
  eq(pwrite(fd, "Z", 1, 100), 1, "pwrite past the end");
  eq(size_of(at("rw")), 101, "size after pwrite past the end");
  eq(pread(fd, buf, 69, 31), 69, "pread of the hole pwrite left");
  same_bytes(buf, zeros, 69, "pwrite's hole reads as zeros");

  // Gather and scatter.
  eq(ftruncate(fd, 0), 0, "ftruncate before writev");
  eq(lseek(fd, 0, SEEK_SET), 0, "lseek before writev");
  struct iovec out[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
  eq(writev(fd, out, 3), 8, "writev of three buffers, one empty");
  eq(lseek(fd, 0, SEEK_SET), 0, "lseek before readv");
  char x[2], y[4], z[8];
  struct iovec in[4] = {{x, 2}, {y, 0}, {y, 4}, {z, 8}};
  eq(readv(fd, in, 4), 8, "readv into four buffers, one empty");
  same_bytes(x, "ab", 2, "readv's first buffer");
  same_bytes(y, "cdef", 4, "readv's third buffer");
  same_bytes(z, "gh", 2, "readv's last buffer");
  ok(close(fd), "close after read/write");
}

// ---- truncate ----

static void check_truncate(void) {
  char buf[16];
  static const char zeros[8192];
  static char big[9000];
  int fd = open(at("t"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (!ok(fd, "open for the truncate checks")) return;
  eq(write(fd, "abcdef", 6), 6, "write before truncate");
  ok(ftruncate(fd, 2), "ftruncate shrinks");
  eq(size_of(at("t")), 2, "size after shrinking");
  ok(ftruncate(fd, 6), "ftruncate grows");
  eq(size_of(at("t")), 6, "size after growing");
  memset(buf, 1, sizeof buf);
  eq(pread(fd, buf, sizeof buf, 0), 6, "read after shrink and grow");
  same_bytes(buf, "ab\0\0\0\0", 6, "bytes cut off and grown back read as zeros");
  eq(lseek(fd, 0, SEEK_CUR), 6, "ftruncate keeps the position");
  ok(ftruncate(fd, 1), "ftruncate below the position");
  eq(read(fd, buf, sizeof buf), 0, "read beyond a shrunk end gives 0");
  eq(write(fd, "Q", 1), 1, "write beyond a shrunk end");
  eq(pread(fd, buf, sizeof buf, 0), 7, "read after writing beyond a shrunk end");
  same_bytes(buf, "a\0\0\0\0\0Q", 7, "writing beyond a shrunk end leaves a hole");

  // Across block boundaries: what was cut off must not come back.
  memset(big, 'x', sizeof big);
  eq(pwrite(fd, big, sizeof big, 0), (long long)sizeof big, "write 9000 bytes");
  ok(ftruncate(fd, 5000), "ftruncate to 5000");
  ok(ftruncate(fd, 9000), "ftruncate back to 9000");
  memset(big, 1, sizeof big);
  eq(pread(fd, big, sizeof big, 0), 9000, "read 9000 bytes");
  check(big[0] == 'x' && big[4999] == 'x', "the kept part after shrink and grow", "changed");
  same_bytes(big + 5000, zeros, 4000, "9000 bytes cut to 5000 and grown back read zeros");
  ok(ftruncate(fd, 100000), "ftruncate grows to 100000");
  eq(size_of(at("t")), 100000, "size after growing to 100000");
  eq(pread(fd, big, 8192, 90000), 8192, "read in the grown part");
  same_bytes(big, zeros, 8192, "the grown part reads as zeros");
  ok(ftruncate(fd, 0), "ftruncate to 0");
  eq(size_of(at("t")), 0, "size after ftruncate to 0");
  fails(ftruncate(fd, -1), "ftruncate to a negative size", EINVAL, 0);
  close(fd);
  ok(truncate(at("t"), 3), "truncate by path");
  eq(size_of(at("t")), 3, "size after truncate by path");
  fails(truncate(at("missing"), 3), "truncate of a missing file", ENOENT, 0);
  fd = open(at("t"), O_RDONLY);
  if (ok(fd, "open O_RDONLY for ftruncate")) {
    fails(ftruncate(fd, 1), "ftruncate of a read-only descriptor", EINVAL, EBADF, ENOTCAPABLE, 0);
    close(fd);
  }
}

// ---- stat ----

static void check_stat(void) {
  struct stat st, fst, lst, st2;
  make_file(at("s"), "12345");
  make_file(at("s2"), "");
  if (ok(stat(at("s"), &st), "stat of a file")) {
    check(S_ISREG(st.st_mode), "stat of a file gives a regular file", "another type");
    eq(st.st_size, 5, "stat's size");
    eq(st.st_nlink, 1, "a new file's link count");
  }
  int fd = open(at("s"), O_RDONLY);
  if (ok(fd, "open for fstat") && ok(fstat(fd, &fst), "fstat")) {
    eq((long long)fst.st_ino, (long long)st.st_ino, "fstat and stat give the same inode");
    eq(fst.st_size, 5, "fstat's size");
    check(S_ISREG(fst.st_mode), "fstat of a file gives a regular file", "another type");
  }
  if (fd >= 0) close(fd);
  if (ok(lstat(at("s"), &lst), "lstat of a file"))
    eq((long long)lst.st_ino, (long long)st.st_ino, "lstat of a file is its stat");
  if (ok(stat(at("s2"), &st2), "stat of a second file")) {
    check(st2.st_ino != st.st_ino, "two files have different inodes", "the same");
    eq((long long)st2.st_dev, (long long)st.st_dev, "two files on one device");
  }
  fails(stat(at("missing"), &st), "stat of a missing name", ENOENT, 0);
  fails(stat(at("s/x"), &st), "stat of a path through a file", ENOTDIR, 0);
  fails(stat(at("s/"), &st), "stat of a file with a trailing slash", ENOTDIR, 0);

  // Directories: the type, and the link count (2 + subdirectories, or always 1).
  ok(mkdir(at("sd"), 0755), "mkdir for stat");
  if (ok(stat(at("sd"), &st), "stat of a directory")) {
    check(S_ISDIR(st.st_mode), "stat of a directory gives a directory", "another type");
    check(st.st_nlink == 2 || st.st_nlink == 1, "an empty directory's link count",
          "neither 2 nor 1");
  }
  fd = open(at("sd"), O_RDONLY | O_DIRECTORY);
  if (ok(fd, "open a directory for fstat") && ok(fstat(fd, &fst), "fstat of a directory"))
    check(S_ISDIR(fst.st_mode), "fstat of a directory gives a directory", "another type");
  if (fd >= 0) close(fd);
  nlink_t before = st.st_nlink;
  ok(mkdir(at("sd/sub"), 0755), "mkdir of a subdirectory");
  if (ok(stat(at("sd"), &st), "stat of a directory with a subdirectory"))
    check(before == 1 ? st.st_nlink == 1 : st.st_nlink == before + 1,
          "a subdirectory adds one to its parent's link count", "it did not");
  ok(rmdir(at("sd/sub")), "rmdir of the subdirectory");
  if (ok(stat(at("sd"), &st), "stat after rmdir of the subdirectory"))
    eq(st.st_nlink, before, "rmdir of a subdirectory takes one from its parent's link count");
}

// ---- times ----

static void check_times(void) {
  struct stat st;
  make_file(at("tm"), "time");
  struct timespec set[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
  if (ok(utimensat(AT_FDCWD, at("tm"), set, 0), "utimensat") &&
      ok(stat(at("tm"), &st), "stat after utimensat")) {
    time_is(st.st_atim, 1000000000, 123456789, "utimensat sets the access time");
    time_is(st.st_mtim, 1100000000, 987654321, "utimensat sets the modification time");
  }
  // UTIME_OMIT and UTIME_NOW in the access time's place. (Debian's wasi-libc, 0.0~git20220510,
  // handles them only there: in the modification time's place utimensat and futimens refuse
  // them with EINVAL before any WASI call. The flags WASI has for that, MTIM_NOW and no MTIM, are
  // checked with fd_filestat_set_times below.)
  struct timespec omit[2] = {{0, UTIME_OMIT}, {1200000000, 5}};
  if (ok(utimensat(AT_FDCWD, at("tm"), omit, 0), "utimensat with UTIME_OMIT") &&
      ok(stat(at("tm"), &st), "stat after UTIME_OMIT")) {
    time_is(st.st_mtim, 1200000000, 5, "the time set next to UTIME_OMIT");
    time_is(st.st_atim, 1000000000, 123456789, "UTIME_OMIT keeps the time");
  }
  struct timespec before = now();
  struct timespec now_set[2] = {{0, UTIME_NOW}, {1100000000, 987654321}};
  if (ok(utimensat(AT_FDCWD, at("tm"), now_set, 0), "utimensat with UTIME_NOW") &&
      ok(stat(at("tm"), &st), "stat after UTIME_NOW")) {
    time_near(st.st_atim, before, now(), "UTIME_NOW sets the current time");
    time_is(st.st_mtim, 1100000000, 987654321, "the time set next to UTIME_NOW");
  }
  fails(utimensat(AT_FDCWD, at("missing"), set, 0), "utimensat of a missing file", ENOENT, 0);

  int fd = open(at("tm"), O_RDWR);
  if (!ok(fd, "open for futimens")) return;
  struct timespec fset[2] = {{1300000000, 0}, {1400000000, 999999999}};
  if (ok(futimens(fd, fset), "futimens") && ok(fstat(fd, &st), "fstat after futimens")) {
    time_is(st.st_atim, 1300000000, 0, "futimens sets the access time");
    time_is(st.st_mtim, 1400000000, 999999999, "futimens sets the modification time");
  }
  struct timespec fomit[2] = {{0, UTIME_OMIT}, {1500000000, 1}};
  if (ok(futimens(fd, fomit), "futimens with UTIME_OMIT") && ok(fstat(fd, &st), "fstat")) {
    time_is(st.st_atim, 1300000000, 0, "futimens UTIME_OMIT keeps the time");
    time_is(st.st_mtim, 1500000000, 1, "futimens sets the time next to UTIME_OMIT");
  }
  struct timespec fnow[2] = {{0, UTIME_NOW}, {1400000000, 999999999}};
  before = now();
  if (ok(futimens(fd, fnow), "futimens with UTIME_NOW") && ok(fstat(fd, &st), "fstat again")) {
    time_near(st.st_atim, before, now(), "futimens UTIME_NOW sets the current time");
    time_is(st.st_mtim, 1400000000, 999999999, "futimens sets the time next to UTIME_NOW");
  }
  // The modification time omitted, then set to now, through WASI's own flags.
  if (ok(wasi_set_times(fd, 1600000000ull * 1000000000ull, 0, __WASI_FSTFLAGS_ATIM),
         "fd_filestat_set_times leaving the modification time") &&
      ok(fstat(fd, &st), "fstat after fd_filestat_set_times")) {
    time_is(st.st_atim, 1600000000, 0, "fd_filestat_set_times sets the access time");
    time_is(st.st_mtim, 1400000000, 999999999, "fd_filestat_set_times keeps what it omits");
  }
  before = now();
  if (ok(wasi_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
         "fd_filestat_set_times with MTIM_NOW") &&
      ok(fstat(fd, &st), "fstat after MTIM_NOW")) {
    time_near(st.st_mtim, before, now(), "MTIM_NOW sets the current time");
    time_is(st.st_atim, 1600000000, 0, "MTIM_NOW keeps the access time");
  }
  // A write moves the modification time to now.
  before = now();
  eq(write(fd, "x", 1), 1, "write after futimens");
  if (ok(fstat(fd, &st), "fstat after a write"))
    time_near(st.st_mtim, before, now(), "a write sets the modification time");
  ok(futimens(fd, set), "futimens before ftruncate");
  before = now();
  ok(ftruncate(fd, 1), "ftruncate after futimens");
  if (ok(fstat(fd, &st), "fstat after ftruncate"))
    time_near(st.st_mtim, before, now(), "ftruncate sets the modification time");
  close(fd);

  // A directory's modification time moves when an entry is added or removed.
  ok(mkdir(at("tmd"), 0755), "mkdir for directory times");
  ok(utimensat(AT_FDCWD, at("tmd"), set, 0), "utimensat of a directory");
  before = now();
  make_file(at("tmd/f"), "");
  if (ok(stat(at("tmd"), &st), "stat of the directory after a create"))
    time_near(st.st_mtim, before, now(), "creating an entry sets the directory's time");
  ok(utimensat(AT_FDCWD, at("tmd"), set, 0), "utimensat of a directory again");
  before = now();
  ok(unlink(at("tmd/f")), "unlink in the directory");
  if (ok(stat(at("tmd"), &st), "stat of the directory after an unlink"))
    time_near(st.st_mtim, before, now(), "removing an entry sets the directory's time");

  // A symlink's own times (AT_SYMLINK_NOFOLLOW) leave its target's alone.
  ok(symlink("tm", at("tml")), "symlink for times");
  ok(utimensat(AT_FDCWD, at("tm"), set, 0), "utimensat of the target");
  if (ok(utimensat(AT_FDCWD, at("tml"), fset, AT_SYMLINK_NOFOLLOW),
         "utimensat AT_SYMLINK_NOFOLLOW of a symlink")) {
    if (ok(lstat(at("tml"), &st), "lstat of the symlink"))
      time_is(st.st_mtim, 1400000000, 999999999, "the symlink's own time is set");
    if (ok(stat(at("tm"), &st), "stat of the symlink's target"))
      time_is(st.st_mtim, 1100000000, 987654321, "the target's time is left alone");
  }
  if (ok(utimensat(AT_FDCWD, at("tml"), fset, 0), "utimensat through a symlink") &&
      ok(stat(at("tm"), &st), "stat of the target"))
    time_is(st.st_mtim, 1400000000, 999999999, "utimensat through a symlink sets the target");
}

// ---- fsync ----

static void check_sync(void) {
  int fd = open(at("sy"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (ok(fd, "open for fsync")) {
    eq(write(fd, "sync", 4), 4, "write before fsync");
    ok(fsync(fd), "fsync");
    ok(fdatasync(fd), "fdatasync");
    close(fd);
  }
  fd = open(at("sy"), O_RDONLY);
  if (ok(fd, "open read-only for fsync")) {
    ok(fsync(fd), "fsync of a read-only descriptor");
    close(fd);
  }
  fd = open(g_base, O_RDONLY | O_DIRECTORY);
  if (ok(fd, "open a directory for fsync")) {
    ok(fsync(fd), "fsync of a directory");
    close(fd);
  }
}

// ---- mkdir, rmdir, unlink ----

static void check_mkdir_rmdir_unlink(void) {
  struct stat st;
  ok(mkdir(at("m"), 0755), "mkdir");
  fails(mkdir(at("m"), 0755), "mkdir of an existing directory", EEXIST, 0);
  make_file(at("mf"), "f");
  fails(mkdir(at("mf"), 0755), "mkdir over a file", EEXIST, 0);
  fails(mkdir(at("nodir/m"), 0755), "mkdir in a missing directory", ENOENT, 0);
  fails(mkdir(at("mf/m"), 0755), "mkdir under a file", ENOTDIR, 0);
  ok(mkdir(at("m2/"), 0755), "mkdir with a trailing slash");
  check(stat(at("m2"), &st) == 0 && S_ISDIR(st.st_mode), "mkdir with a trailing slash makes it",
        "no directory");

  make_file(at("m/f"), "f");
  fails(rmdir(at("m")), "rmdir of a non-empty directory", ENOTEMPTY, EEXIST, 0);
  fails(rmdir(at("mf")), "rmdir of a file", ENOTDIR, 0);
  fails(rmdir(at("missing")), "rmdir of a missing name", ENOENT, 0);
  fails(unlink(at("m")), "unlink of a directory", EISDIR, EPERM, 0);
  fails(unlink(at("missing")), "unlink of a missing name", ENOENT, 0);
  fails(unlink(at("mf/")), "unlink of a file with a trailing slash", ENOTDIR, EISDIR, 0);
  ok(unlink(at("m/f")), "unlink of a file");
  fails(stat(at("m/f"), &st), "stat after unlink", ENOENT, 0);
  ok(rmdir(at("m")), "rmdir of an empty directory");
  fails(stat(at("m"), &st), "stat after rmdir", ENOENT, 0);
  ok(rmdir(at("m2")), "rmdir of the second directory");
  ok(symlink("mf", at("ml")), "symlink for unlink");
  ok(unlink(at("ml")), "unlink of a symlink");
  check(!exists(at("ml")) && exists(at("mf")), "unlink of a symlink removes only the link",
        "wrong names left");
  fails(rmdir(at("mf")), "rmdir of a file (again)", ENOTDIR, 0);
}

// ---- rename ----

static void check_rename(void) {
  struct stat st, st2;
  char buf[16];
  make_file(at("r1"), "one");
  ok(rename(at("r1"), at("r2")), "rename to a new name");
  check(!exists(at("r1")), "rename removes the old name", "still there");
  content_is(at("r2"), "one", "rename keeps the content");

  // Over a file: the target is replaced at once; an open descriptor keeps the old file.
  make_file(at("rt"), "old");
  int fd = open(at("rt"), O_RDONLY);
  ok(fd, "open the rename target");
  ok(stat(at("r2"), &st), "stat of the rename source");
  ok(rename(at("r2"), at("rt")), "rename over a file");
  content_is(at("rt"), "one", "rename over a file replaces it");
  check(!exists(at("r2")), "rename over a file removes the old name", "still there");
  if (ok(stat(at("rt"), &st2), "stat of the replaced name"))
    eq((long long)st2.st_ino, (long long)st.st_ino, "the new name is the source's inode");
  if (fd >= 0) {
    memset(buf, 0, sizeof buf);
    eq(pread(fd, buf, sizeof buf, 0), 3, "read the replaced file through its descriptor");
    same_bytes(buf, "old", 3, "a replaced file stays readable through its descriptor");
    close(fd);
  }

  // Directories.
  ok(mkdir(at("rd"), 0755), "mkdir rename source");
  make_file(at("rd/inside"), "in");
  ok(mkdir(at("re"), 0755), "mkdir empty rename target");
  ok(rename(at("rd"), at("re")), "rename a directory over an empty directory");
  content_is(at("re/inside"), "in", "the moved directory keeps its entries");
  check(!exists(at("rd")), "rename of a directory removes the old name", "still there");
  ok(mkdir(at("rf"), 0755), "mkdir another directory");
  fails(rename(at("rf"), at("re")), "rename a directory over a non-empty one", ENOTEMPTY, EEXIST,
        0);
  make_file(at("rfile"), "file");
  fails(rename(at("rfile"), at("rf")), "rename a file over a directory", EISDIR, 0);
  fails(rename(at("rf"), at("rfile")), "rename a directory over a file", ENOTDIR, 0);
  ok(mkdir(at("re/sub"), 0755), "mkdir a subdirectory");
  fails(rename(at("re"), at("re/sub/x")), "rename a directory into its own subdirectory", EINVAL,
        0);
  fails(rename(at("re"), at("re/sub")), "rename a directory over its own subdirectory", EINVAL,
        ENOTEMPTY, EEXIST, 0);
  fails(rename(at("missing"), at("x")), "rename of a missing name", ENOENT, 0);
  fails(rename(at("rfile"), at("nodir/x")), "rename into a missing directory", ENOENT, 0);
  ok(rename(at("rfile"), at("rfile")), "rename a name to itself");
  content_is(at("rfile"), "file", "rename to itself keeps the file");
  ok(link(at("rfile"), at("rfile2")), "link for rename");
  ok(rename(at("rfile"), at("rfile2")), "rename between two links of one file");
  check(exists(at("rfile")) && exists(at("rfile2")),
        "rename between two links of one file does nothing", "a name went");

  // Between directories: the moved directory's parent, and the parents' link counts.
  struct stat a0, b0, a1, b1;
  ok(mkdir(at("ra"), 0755), "mkdir ra");
  ok(mkdir(at("rb"), 0755), "mkdir rb");
  ok(mkdir(at("ra/mv"), 0755), "mkdir ra/mv");
  make_file(at("ra/mv/f"), "moved");
  ok(stat(at("ra"), &a0), "stat ra");
  ok(stat(at("rb"), &b0), "stat rb");
  ok(rename(at("ra/mv"), at("rb/mv")), "rename a directory to another directory");
  content_is(at("rb/mv/f"), "moved", "a directory moved to another keeps its entries");
  if (ok(stat(at("ra"), &a1), "stat ra after") && ok(stat(at("rb"), &b1), "stat rb after")) {
    check(a0.st_nlink == 1 ? a1.st_nlink == 1 : a1.st_nlink == a0.st_nlink - 1,
          "moving a directory out takes one from the old parent's link count", "it did not");
    check(b0.st_nlink == 1 ? b1.st_nlink == 1 : b1.st_nlink == b0.st_nlink + 1,
          "moving a directory in adds one to the new parent's link count", "it did not");
  }
  make_file(at("ra/f"), "file");
  ok(rename(at("ra/f"), at("rb/f")), "rename a file to another directory");
  content_is(at("rb/f"), "file", "a file moved to another directory");
}

// A tree 16 directories deep: made, moved by its top, read through the new path, removed.
static void check_deep_tree(void) {
  char path[512] = "deep";
  int made = 1;
  made &= mkdir(at("%s", path), 0755) == 0;
  for (int i = 0; i < 15; ++i) {
    size_t n = strlen(path);
    snprintf(path + n, sizeof path - n, "/level%02d", i);
    made &= mkdir(at("%s", path), 0755) == 0;
  }
  check(made, "mkdir of 16 nested directories", "a mkdir failed");
  size_t n = strlen(path);
  snprintf(path + n, sizeof path - n, "/leaf");
  make_file(at("%s", path), "deep leaf");
  ok(rename(at("deep"), at("moved_deep")), "rename the top of a deep tree");
  content_is(at("moved_deep%s", path + 4), "deep leaf", "a file at the bottom of a moved tree");
  remove_tree(at("moved_deep"));
  check(!exists(at("moved_deep")), "a deep tree removed bottom-up", "it is still there");
}

// ---- link ----

static void check_link(void) {
  struct stat st, st2;
  make_file(at("l1"), "linked");
  ok(link(at("l1"), at("l2")), "link");
  if (ok(stat(at("l1"), &st), "stat after link") && ok(stat(at("l2"), &st2), "stat the link")) {
    eq(st.st_nlink, 2, "a hard link makes the link count 2");
    eq((long long)st2.st_ino, (long long)st.st_ino, "a hard link has the same inode");
  }
  int fd = open(at("l2"), O_WRONLY | O_APPEND);
  if (ok(fd, "open the hard link")) {
    eq(write(fd, "!", 1), 1, "write through the hard link");
    close(fd);
  }
  content_is(at("l1"), "linked!", "a write through one link shows through the other");
  fails(link(at("l1"), at("l2")), "link over an existing name", EEXIST, 0);
  ok(mkdir(at("ld"), 0755), "mkdir for link");
  fails(link(at("ld"), at("ld2")), "link of a directory", EPERM, 0);
  fails(link(at("missing"), at("l3")), "link of a missing name", ENOENT, 0);
  fails(link(at("l1"), at("nodir/l3")), "link into a missing directory", ENOENT, 0);
  ok(unlink(at("l1")), "unlink one of two links");
  if (ok(stat(at("l2"), &st), "stat the remaining link")) eq(st.st_nlink, 1, "link count after");
  content_is(at("l2"), "linked!", "the remaining link keeps the content");
}

// ---- symlink, readlink ----

static void check_symlink(void) {
  struct stat st, lst, target;
  char buf[64];
  make_file(at("sf"), "target file");
  ok(mkdir(at("sdir"), 0755), "mkdir for symlinks");
  make_file(at("sdir/inner"), "inner");
  ok(symlink("sf", at("sl")), "symlink with a relative target");
  memset(buf, 0, sizeof buf);
  if (eq(readlink(at("sl"), buf, sizeof buf), 2, "readlink's length"))
    same_bytes(buf, "sf", 3, "readlink's target (and no byte written past it)");
  eq(readlink(at("sl"), buf, 1), 1, "readlink into a short buffer");
  if (ok(lstat(at("sl"), &lst), "lstat of a symlink")) {
    check(S_ISLNK(lst.st_mode), "lstat of a symlink gives a symlink", "another type");
    eq(lst.st_size, 2, "a symlink's size is its target's length");
  }
  if (ok(stat(at("sl"), &st), "stat through a symlink") && ok(stat(at("sf"), &target), "stat")) {
    check(S_ISREG(st.st_mode), "stat through a symlink gives the target's type", "another type");
    eq((long long)st.st_ino, (long long)target.st_ino, "stat through a symlink is the target's");
  }
  ok(symlink("../sf", at("sdir/up")), "symlink with a target in the parent");
  content_is(at("sdir/up"), "target file", "a symlink to ../name");
  ok(symlink("sdir", at("sdl")), "symlink to a directory");
  content_is(at("sdl/inner"), "inner", "a path through a symlink to a directory");
  if (ok(stat(at("sdl"), &st), "stat of a symlink to a directory"))
    check(S_ISDIR(st.st_mode), "stat of a symlink to a directory gives a directory", "no");

  ok(symlink("nothing", at("sdang")), "symlink to a missing name");
  fails(stat(at("sdang"), &st), "stat of a dangling symlink", ENOENT, 0);
  if (ok(lstat(at("sdang"), &lst), "lstat of a dangling symlink"))
    check(S_ISLNK(lst.st_mode), "lstat of a dangling symlink gives a symlink", "another type");
  fails(open(at("sdang"), O_RDONLY), "open of a dangling symlink", ENOENT, 0);
  fails(symlink("sf", at("sl")), "symlink over an existing name", EEXIST, 0);
  fails(symlink("sf", at("sf")), "symlink over an existing file", EEXIST, 0);
  fails(symlink("", at("sempty")), "symlink with an empty target", ENOENT, 0);
  fails(readlink(at("sf"), buf, sizeof buf), "readlink of a file", EINVAL, 0);
  fails(readlink(at("missing"), buf, sizeof buf), "readlink of a missing name", ENOENT, 0);
  ok(symlink("sloop2", at("sloop1")), "symlink loop, first");
  ok(symlink("sloop1", at("sloop2")), "symlink loop, second");
  fails(stat(at("sloop1"), &st), "stat of a symlink loop", ELOOP, 0);
  ok(unlink(at("sl")), "unlink a symlink");
  content_is(at("sf"), "target file", "unlink of a symlink keeps its target");
}

// ---- readdir ----

enum { kMany = 300 };

static void many_name(char* out, size_t size, int i) {
  // Names of many lengths, so that entries cross wasi-libc's buffer boundaries unevenly.
  int len = snprintf(out, size, "e%03d_", i);
  int extra = (i * 37) % 120;
  for (int k = 0; k < extra && len + 1 < (int)size; ++k) out[len++] = (char)('a' + (i + k) % 26);
  out[len] = '\0';
}

static int many_index(const char* name) {
  if (name[0] != 'e' || strlen(name) < 5 || name[4] != '_') return -1;
  int i = atoi(name + 1);
  if (i < 0 || i >= kMany) return -1;
  char want[160];
  many_name(want, sizeof want, i);
  return strcmp(want, name) == 0 ? i : -1;
}

// Every name exactly once, twice over (rewinddir, and a second opendir). telldir and seekdir are
// not checked: wasm32's long has 32 bits, WASI's directory cookies 64, and a Linux host's (ext4:
// hashes) do not fit, so wasi-libc's telldir truncates them there and no program can rely on it.
static void check_readdir(void) {
  char name[160];
  ok(mkdir(at("many"), 0755), "mkdir for readdir");
  int made = 0;
  for (int i = 0; i < kMany; ++i) {
    many_name(name, sizeof name, i);
    if (make_file(at("many/%s", name), "") == 0) ++made;
  }
  eq(made, kMany, "files made for readdir");
  ok(mkdir(at("many/zdir"), 0755), "mkdir a subdirectory for readdir");
  struct stat st;
  ok(lstat(at("many/zdir"), &st), "lstat of the subdirectory");
  ino_t zdir_ino = st.st_ino;

  for (int pass = 0; pass < 2; ++pass) {
    DIR* d = opendir(at("many"));
    if (!ok(d == NULL ? -1 : 0, "opendir")) return;
    static int seen[kMany];
    memset(seen, 0, sizeof seen);
    int dots = 0, dotdots = 0, zdir = 0, strangers = 0, bad_type = 0, bad_ino = 0;
    struct dirent* e;
    int count = 0;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
      ++count;
      if (strcmp(e->d_name, ".") == 0) {
        ++dots;
      } else if (strcmp(e->d_name, "..") == 0) {
        ++dotdots;
      } else if (strcmp(e->d_name, "zdir") == 0) {
        ++zdir;
        if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ++bad_type;
        if (e->d_ino != zdir_ino) ++bad_ino;
      } else {
        int i = many_index(e->d_name);
        if (i < 0) {
          ++strangers;
        } else {
          ++seen[i];
          if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) ++bad_type;
          if (pass == 0 && i % 50 == 0 &&
              (lstat(at("many/%s", e->d_name), &st) != 0 || st.st_ino != e->d_ino))
            ++bad_ino;
        }
      }
      errno = 0;
    }
    eq(errno, 0, "readdir ends without an error");
    int missing = 0, twice = 0;
    for (int i = 0; i < kMany; ++i) {
      if (seen[i] == 0) ++missing;
      if (seen[i] > 1) ++twice;
    }
    eq(missing, 0, "readdir: names not returned");
    eq(twice, 0, "readdir: names returned more than once");
    eq(strangers, 0, "readdir: names that are not in the directory");
    eq(zdir, 1, "readdir returns a subdirectory once");
    check(dots <= 1 && dotdots <= 1 && dots == dotdots,
          "readdir: \".\" and \"..\" once each, or neither", "another count");
    eq(bad_type, 0, "readdir: entries with a wrong d_type");
    eq(bad_ino, 0, "readdir: entries whose d_ino is not lstat's st_ino");
    if (pass == 0) {
      rewinddir(d);
      int again = 0;
      while (readdir(d) != NULL) ++again;
      eq(again, count, "rewinddir reads the same number of entries again");
    }
    closedir(d);
  }
  errno = 0;
  DIR* d = opendir(at("many/zdir"));
  if (ok(d == NULL ? -1 : 0, "opendir of an empty directory")) {
    int others = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++others;
    eq(others, 0, "an empty directory lists only . and ..");
    closedir(d);
  }
  d = opendir(at("many/e000_"));
  fails(d == NULL ? -1 : 0, "opendir of a file", ENOTDIR, 0);
  if (d != NULL) closedir(d);
  d = opendir(at("missing"));
  fails(d == NULL ? -1 : 0, "opendir of a missing name", ENOENT, 0);
  if (d != NULL) closedir(d);
}

// Entries removed or added while a directory is read: every entry present throughout is returned
// exactly once; a removed or added one at most once.
static void check_readdir_changes(void) {
  enum { kFiles = 200 };
  static int seen[kFiles];
  char name[32];
  ok(mkdir(at("ch"), 0755), "mkdir for readdir while removing");
  for (int i = 0; i < kFiles; ++i) {
    snprintf(name, sizeof name, "c%03d", i);
    make_file(at("ch/%s", name), "");
  }
  // 1. Each entry removed as soon as it is read (rm -r): all are returned, the directory empties.
  DIR* d = opendir(at("ch"));
  if (!ok(d == NULL ? -1 : 0, "opendir for removing while reading")) return;
  memset(seen, 0, sizeof seen);
  struct dirent* e;
  int strangers = 0, unlink_failed = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    int i = (e->d_name[0] == 'c') ? atoi(e->d_name + 1) : -1;
    if (i < 0 || i >= kFiles) {
      ++strangers;
      continue;
    }
    ++seen[i];
    if (unlink(at("ch/%s", e->d_name)) != 0) ++unlink_failed;
  }
  closedir(d);
  int missing = 0, twice = 0;
  for (int i = 0; i < kFiles; ++i) {
    missing += seen[i] == 0;
    twice += seen[i] > 1;
  }
  eq(missing, 0, "removing each entry read: entries not returned");
  eq(twice, 0, "removing each entry read: entries returned twice");
  eq(strangers, 0, "removing each entry read: strange names");
  eq(unlink_failed, 0, "removing each entry read: unlinks that failed");
  ok(rmdir(at("ch")), "rmdir of the directory emptied while reading");

  // 2. Odd entries removed and new ones added after the first read.
  ok(mkdir(at("ch"), 0755), "mkdir for changes while reading");
  for (int i = 0; i < kFiles; ++i) {
    snprintf(name, sizeof name, "c%03d", i);
    make_file(at("ch/%s", name), "");
  }
  d = opendir(at("ch"));
  if (!ok(d == NULL ? -1 : 0, "opendir for changes while reading")) return;
  memset(seen, 0, sizeof seen);
  static int added_seen[50];
  memset(added_seen, 0, sizeof added_seen);
  int first = 1, removed_first = -1;
  strangers = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_name[0] == 'n') {
      int k = atoi(e->d_name + 1);
      if (k >= 0 && k < 50) ++added_seen[k];
      continue;
    }
    int i = (e->d_name[0] == 'c') ? atoi(e->d_name + 1) : -1;
    if (i < 0 || i >= kFiles) {
      ++strangers;
      continue;
    }
    ++seen[i];
    if (first) {
      first = 0;
      for (int k = 1; k < kFiles; k += 2) unlink(at("ch/c%03d", k));
      if (i % 2 == 1) removed_first = i;
      for (int k = 0; k < 50; ++k) make_file(at("ch/n%02d", k), "");
    }
  }
  closedir(d);
  missing = 0;
  twice = 0;
  int added_twice = 0;
  for (int i = 0; i < kFiles; ++i) {
    if (i % 2 == 0 || i == removed_first) missing += seen[i] == 0;
    twice += seen[i] > 1;
  }
  for (int k = 0; k < 50; ++k) added_twice += added_seen[k] > 1;
  eq(missing, 0, "changes while reading: entries kept but not returned");
  eq(twice, 0, "changes while reading: entries returned twice");
  eq(added_twice, 0, "changes while reading: added entries returned twice");
  eq(strangers, 0, "changes while reading: strange names");
}

// ---- names ----

static void check_long_names(void) {
  char name[300];
  struct stat st;
  memset(name, 'n', 255);
  name[255] = '\0';
  int fd = open(at("%s", name), O_CREAT | O_WRONLY, 0644);
  if (ok(fd, "open O_CREAT of a 255-byte name")) close(fd);
  ok(stat(at("%s", name), &st), "stat of a 255-byte name");
  DIR* d = opendir(g_base);
  int found = 0;
  if (d != NULL) {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) found += strcmp(e->d_name, name) == 0;
    closedir(d);
  }
  eq(found, 1, "readdir returns a 255-byte name once");
  char other[300];
  memset(other, 'o', 255);
  other[255] = '\0';
  ok(rename(at("%s", name), at("%s", other)), "rename between 255-byte names");
  ok(unlink(at("%s", other)), "unlink of a 255-byte name");
  ok(mkdir(at("%s", name), 0755), "mkdir of a 255-byte name");
  ok(rmdir(at("%s", name)), "rmdir of a 255-byte name");
  ok(symlink("x", at("%s", name)), "symlink named with 255 bytes");
  ok(unlink(at("%s", name)), "unlink of the 255-byte symlink");

  memset(name, 'n', 256);
  name[256] = '\0';
  fd = open(at("%s", name), O_CREAT | O_WRONLY, 0644);
  fails(fd, "open O_CREAT of a 256-byte name", ENAMETOOLONG, 0);
  if (fd >= 0) close(fd);
  fails(stat(at("%s", name), &st), "stat of a 256-byte name", ENAMETOOLONG, 0);
  fails(mkdir(at("%s", name), 0755), "mkdir of a 256-byte name", ENAMETOOLONG, 0);
  fails(symlink("x", at("%s", name)), "symlink named with 256 bytes", ENAMETOOLONG, 0);
  make_file(at("short"), "");
  fails(rename(at("short"), at("%s", name)), "rename to a 256-byte name", ENAMETOOLONG, 0);
  fails(link(at("short"), at("%s", name)), "link to a 256-byte name", ENAMETOOLONG, 0);
}

// pread until `n` bytes or the end. One call may move less than asked with more to come: Warden
// moves at most 256 KiB per call once the program's time slice is over (docs/wasi.md, "Long
// calls"), so large transfers loop, as portable programs do for every transfer.
static long long pread_all(int fd, void* buf, size_t n, off_t offset) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (char*)buf + done, n - done, offset + (off_t)done);
    if (r < 0) return -1;
    if (r == 0) break;
    done += (size_t)r;
  }
  return (long long)done;
}

// ---- a large file ----

static unsigned char pattern(long i) { return (unsigned char)(i * 131 + (i >> 12) + 7); }

static void check_big_file(void) {
  enum { kSize = 1 << 20 };
  static const int pieces[] = {1, 7, 4093, 4099, 65537, 511, 8191, 12289, 100003, 3};
  static unsigned char data[kSize], back[kSize];
  for (long i = 0; i < kSize; ++i) data[i] = pattern(i);
  int fd = open(at("big"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (!ok(fd, "open for the 1 MiB file")) return;
  long done = 0;
  int bad_write = 0;
  for (int k = 0; done < kSize; ++k) {
    long n = pieces[k % 10];
    if (n > kSize - done) n = kSize - done;
    ssize_t w = write(fd, data + done, (size_t)n);
    if (w <= 0) {
      bad_write = 1;
      break;
    }
    done += w;
  }
  eq(bad_write, 0, "writes of odd sizes to 1 MiB");
  struct stat st;
  if (ok(fstat(fd, &st), "fstat of the 1 MiB file"))
    eq(st.st_size, kSize, "size of the 1 MiB file");
  eq(lseek(fd, 0, SEEK_SET), 0, "lseek to the start of the 1 MiB file");
  memset(back, 0, sizeof back);
  done = 0;
  for (int k = 3; done < kSize; ++k) {
    long n = pieces[k % 10] + 2;
    if (n > kSize - done) n = kSize - done;
    ssize_t r = read(fd, back + done, (size_t)n);
    if (r <= 0) break;
    done += r;
  }
  eq(done, kSize, "bytes read back in odd sizes");
  same_bytes(back, data, kSize, "the 1 MiB file reads back");
  static const long spots[] = {0, 4095, 4096, 65535, 65536, 524287, 1048570};
  int bad = 0;
  for (int k = 0; k < 7; ++k) {
    unsigned char b[8];
    ssize_t r = pread(fd, b, 6, spots[k]);
    if (r != 6 || memcmp(b, data + spots[k], 6) != 0) ++bad;
  }
  eq(bad, 0, "pread at block boundaries of the 1 MiB file");
  // Overwrite a range that spans blocks, in place.
  memset(data + 4000, 0xee, 9000);
  eq(pwrite(fd, data + 4000, 9000, 4000), 9000, "overwrite across blocks");
  eq(pread_all(fd, back, kSize, 0), kSize, "read after the overwrite");
  same_bytes(back, data, kSize, "the overwritten 1 MiB file");
  close(fd);

  // A sparse file: one byte at 8 MiB, zeros before it.
  fd = open(at("sparse"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (!ok(fd, "open for the sparse file")) return;
  eq(pwrite(fd, "S", 1, 8 << 20), 1, "write at 8 MiB");
  eq(size_of(at("sparse")), (8 << 20) + 1, "size of the sparse file");
  memset(back, 1, 65536);
  eq(pread(fd, back, 65536, 4 << 20), 65536, "read in the middle of the sparse file");
  static const unsigned char zeros[65536];
  same_bytes(back, zeros, 65536, "the sparse file's hole reads as zeros");
  eq(pread(fd, back, 2, (8 << 20) - 1), 2, "read the sparse file's end");
  check(back[0] == 0 && back[1] == 'S', "the sparse file's last bytes", "other bytes");
  // Filling a hole in the middle keeps the size and the zeros around it.
  eq(pwrite(fd, "M", 1, (4 << 20) + 5), 1, "write into the sparse file's hole");
  eq(size_of(at("sparse")), (8 << 20) + 1, "filling a hole keeps the size");
  memset(back, 1, 16);
  eq(pread(fd, back, 16, 4 << 20), 16, "read around the filled byte");
  check(memcmp(back, zeros, 5) == 0 && back[5] == 'M' && memcmp(back + 6, zeros, 10) == 0,
        "a byte written into a hole, zeros around it", "other bytes");
  close(fd);
  ok(unlink(at("sparse")), "unlink the sparse file");
  ok(unlink(at("big")), "unlink the 1 MiB file");
}

// ---- lifetimes and small cases ----

static void check_unlinked_open(void) {
  char buf[32];
  struct stat st;
  make_file(at("u"), "still here");
  int fd = open(at("u"), O_RDWR);
  if (!ok(fd, "open before unlink")) return;
  ok(unlink(at("u")), "unlink of an open file");
  fails(stat(at("u"), &st), "stat of an unlinked name", ENOENT, 0);
  if (ok(fstat(fd, &st), "fstat of an unlinked open file")) {
    eq(st.st_nlink, 0, "an unlinked open file's link count");
    eq(st.st_size, 10, "an unlinked open file's size");
  }
  memset(buf, 0, sizeof buf);
  eq(pread(fd, buf, sizeof buf, 0), 10, "read an unlinked open file");
  same_bytes(buf, "still here", 10, "an unlinked open file keeps its content");
  eq(pwrite(fd, "!", 1, 10), 1, "write to an unlinked open file");
  eq(pread(fd, buf, sizeof buf, 0), 11, "read it back");
  make_file(at("u"), "new");
  content_is(at("u"), "new", "a new file under the unlinked name is another file");
  eq(pread(fd, buf, sizeof buf, 0), 11, "the unlinked file is untouched by the new one");
  close(fd);
}

static void check_empty_files(void) {
  char buf[8];
  struct stat st;
  int fd = open(at("empty"), O_CREAT | O_RDWR | O_EXCL, 0644);
  if (!ok(fd, "create an empty file")) return;
  if (ok(fstat(fd, &st), "fstat of an empty file")) eq(st.st_size, 0, "an empty file's size");
  eq(read(fd, buf, sizeof buf), 0, "read of an empty file");
  eq(pread(fd, buf, sizeof buf, 0), 0, "pread of an empty file");
  eq(lseek(fd, 0, SEEK_END), 0, "lseek SEEK_END of an empty file");
  close(fd);
  fd = open(at("empty"), O_RDWR | O_TRUNC);
  if (ok(fd, "O_TRUNC of an empty file")) close(fd);
  content_is(at("empty"), "", "an empty file stays empty");
  ok(link(at("empty"), at("empty2")), "link to an empty file");
  ok(rename(at("empty2"), at("empty3")), "rename of an empty file");
  eq(size_of(at("empty3")), 0, "an empty file renamed");
}

static void check_append(void) {
  int a = open(at("ap"), O_CREAT | O_WRONLY | O_APPEND | O_TRUNC, 0644);
  int b = open(at("ap"), O_WRONLY | O_APPEND);
  if (!ok(a, "open O_APPEND") || !ok(b, "open O_APPEND again")) return;
  eq(write(a, "A1", 2), 2, "append from one descriptor");
  eq(write(b, "B1", 2), 2, "append from another");
  eq(write(a, "A2", 2), 2, "append from the first again");
  eq(write(b, "B22", 3), 3, "append from the second again");
  eq(lseek(a, 0, SEEK_SET), 0, "lseek an append descriptor to the start");
  eq(write(a, "C", 1), 1, "append after lseek to the start");
  eq(lseek(a, 0, SEEK_CUR), 10, "an append leaves the position at the end");
  struct iovec parts[2] = {{"D", 1}, {"EF", 2}};
  eq(writev(b, parts, 2), 3, "writev to an append descriptor");
  check((fcntl(a, F_GETFL) & O_APPEND) != 0, "F_GETFL shows O_APPEND", "it does not");
  close(a);
  close(b);
  content_is(at("ap"), "A1B1A2B22CDEF", "appends from two descriptors, in order");

  int fd = open(at("ap"), O_WRONLY);
  if (ok(fd, "open without O_APPEND")) {
    ok(fcntl(fd, F_SETFL, O_APPEND), "F_SETFL O_APPEND");
    eq(write(fd, "G", 1), 1, "write after F_SETFL O_APPEND");
    close(fd);
  }
  content_is(at("ap"), "A1B1A2B22CDEFG", "F_SETFL O_APPEND appends");
  fd = open(at("ap"), O_RDWR | O_APPEND);
  if (ok(fd, "open O_RDWR|O_APPEND")) {
    char buf[4] = {0};
    eq(read(fd, buf, 2), 2, "read from an O_RDWR|O_APPEND descriptor starts at 0");
    same_bytes(buf, "A1", 2, "bytes read from an append descriptor");
    close(fd);
  }
}

static void check_stdio_and_misc(void) {
  FILE* f = fopen(at("stdio"), "w");
  if (ok(f == NULL ? -1 : 0, "fopen \"w\"")) {
    fprintf(f, "line %d\n", 1);
    ok(fclose(f) == 0 ? 0 : -1, "fclose");
  }
  f = fopen(at("stdio"), "a");
  if (ok(f == NULL ? -1 : 0, "fopen \"a\"")) {
    fputs("line 2\n", f);
    fclose(f);
  }
  content_is(at("stdio"), "line 1\nline 2\n", "stdio writes and appends");
  f = fopen(at("stdio"), "r");
  if (ok(f == NULL ? -1 : 0, "fopen \"r\"")) {
    char line[32] = "";
    check(fgets(line, sizeof line, f) != NULL && strcmp(line, "line 1\n") == 0, "fgets", line);
    ok(fseek(f, -7, SEEK_END), "fseek");
    eq(ftell(f), 7, "ftell");
    fclose(f);
  }
  errno = 0;
  f = fopen(at("missing"), "r");
  fails(f == NULL ? -1 : 0, "fopen \"r\" of a missing file", ENOENT, 0);
  if (f != NULL) fclose(f);

  int fd = open(at("alloc"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (ok(fd, "open for posix_fallocate")) {
    int r = posix_fallocate(fd, 0, 10000);
    errno = r;
    ok(r == 0 ? 0 : -1, "posix_fallocate");
    struct stat st;
    if (ok(fstat(fd, &st), "fstat after posix_fallocate"))
      eq(st.st_size, 10000, "posix_fallocate grows the file");
    r = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    errno = r;
    ok(r == 0 ? 0 : -1, "posix_fadvise");
    close(fd);
  }

  // Relative paths from a working directory.
  if (ok(chdir(g_base), "chdir")) {
    make_file("rel", "relative");
    content_is(at("rel"), "relative", "a file made by a relative path");
    ok(mkdir("reldir", 0755), "mkdir by a relative path");
    ok(chdir("reldir"), "chdir by a relative path");
    content_is("../rel", "relative", "a relative path with ..");
    ok(chdir(g_dir), "chdir back to DIR");
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fsconf DIR\n");
    return 2;
  }
  g_dir = argv[1];
  snprintf(g_base, sizeof g_base, "%s/fsconf.tmp", g_dir);
  remove_tree(g_base);
  if (mkdir(g_base, 0755) != 0) {
    printf("fsconf: cannot make %s: %s\n", g_base, strerror(errno));
    return 1;
  }
  check_open();
  check_read_write();
  check_truncate();
  check_stat();
  check_times();
  check_sync();
  check_mkdir_rmdir_unlink();
  check_rename();
  check_deep_tree();
  check_link();
  check_symlink();
  check_readdir();
  check_readdir_changes();
  check_long_names();
  check_big_file();
  check_unlinked_open();
  check_empty_files();
  check_append();
  check_stdio_and_misc();
  remove_tree(g_base);
  struct stat st;
  if (lstat(g_base, &st) == 0) fail("cleanup", "%s is left", g_base);
  printf("fsconf: %d checks, %d failed\n", g_checks, g_failed);
  return g_failed == 0 ? 0 : 1;
}

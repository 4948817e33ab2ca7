// The guest side of the disk file system's end-to-end test (tests/boot/disk_test.py): one program
// that changes a tree in every way a program can (writes, renames over a file, truncates,
// removes, links, a sparse file, a symlink) and checks it afterwards. The harness then checks the
// same tree with the host's e2fsprogs (e2fsck, debugfs), and boots again to check it from Warden.
//
//   ops make DIR    builds DIR/tree (DIR must exist; the tree must not), prints "ops: made"
//   ops check DIR   checks DIR/tree; prints "ops: N checks, M failed", exits 1 when any failed
//
// The tree (what debugfs must show too):
//   tree/a.txt     "alpha\n" written, renamed from tree/draft.txt
//   tree/b.txt     "second version\n": tree/new.txt renamed over the first version
//   tree/big       pattern(i) = (i * 7 + i / 4096) & 0xff, written as 300,000 bytes and
//                  truncated to 100,000
//   tree/sparse    one byte 'z' at offset 5 MiB, nothing before it (a hole)
//   tree/hard      a hard link to tree/a.txt (2 links)
//   tree/link      a symlink to "a.txt"
//   tree/sub/      an empty directory; tree/gone and tree/empty/ were made and removed
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

enum { kBig = 300000, kBigAfter = 100000, kSparseAt = 5 << 20 };

static unsigned char pattern(size_t i) { return (unsigned char)((i * 7 + i / 4096) & 0xff); }

static char g_path[1024];

static const char* at(const char* dir, const char* name) {
  snprintf(g_path, sizeof g_path, "%s/tree/%s", dir, name);
  return g_path;
}

static int put(const char* path, const void* data, size_t len, off_t offset) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return tool_fail(path);
  int bad = (offset != 0 && lseek(fd, offset, SEEK_SET) != offset) ||
            tool_write_all(fd, data, len) != 0 || fsync(fd) != 0;
  close(fd);
  return bad ? tool_fail(path) : 0;
}

static int make(const char* dir) {
  char top[1024], from[1024];
  snprintf(top, sizeof top, "%s/tree", dir);
  if (mkdir(top, 0755) != 0) return tool_fail(top);
  if (mkdir(at(dir, "sub"), 0755) != 0 || mkdir(at(dir, "empty"), 0755) != 0) {
    return tool_fail(g_path);
  }
  if (put(at(dir, "draft.txt"), "alpha\n", 6, 0) != 0) return 1;
  snprintf(from, sizeof from, "%s", g_path);
  if (rename(from, at(dir, "a.txt")) != 0) return tool_fail(g_path);
  if (put(at(dir, "b.txt"), "first version\n", 14, 0) != 0) return 1;
  if (put(at(dir, "new.txt"), "second version\n", 15, 0) != 0) return 1;
  snprintf(from, sizeof from, "%s", g_path);
  if (rename(from, at(dir, "b.txt")) != 0) return tool_fail(g_path);
  unsigned char* big = malloc(kBig);
  if (big == NULL) return tool_fail("malloc");
  for (size_t i = 0; i < kBig; ++i) big[i] = pattern(i);
  if (put(at(dir, "big"), big, kBig, 0) != 0) return 1;
  free(big);
  if (truncate(at(dir, "big"), kBigAfter) != 0) return tool_fail(g_path);
  if (put(at(dir, "sparse"), "z", 1, kSparseAt) != 0) return 1;
  snprintf(from, sizeof from, "%s/tree/a.txt", dir);
  if (link(from, at(dir, "hard")) != 0) return tool_fail(g_path);
  if (symlink("a.txt", at(dir, "link")) != 0) return tool_fail(g_path);
  if (put(at(dir, "gone"), "x", 1, 0) != 0 || unlink(at(dir, "gone")) != 0) {
    return tool_fail(g_path);
  }
  if (rmdir(at(dir, "empty")) != 0) return tool_fail(g_path);
  int fd = open(top, O_RDONLY | O_DIRECTORY);
  if (fd < 0 || fsync(fd) != 0) return tool_fail(top);
  close(fd);
  printf("ops: made\n");
  return 0;
}

static int g_checks, g_failed;

static void expect(int ok, const char* what) {
  ++g_checks;
  if (!ok) {
    ++g_failed;
    printf("ops: FAILED: %s (%s)\n", what, strerror(errno));
  }
}

// 1 when the file at PATH holds exactly LEN bytes equal to WANT (or, with WANT null, the pattern).
static int holds(const char* path, const char* want, size_t len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  unsigned char* got = malloc(len + 1);
  size_t have = 0;
  ssize_t r;
  while (got != NULL && have <= len && (r = read(fd, got + have, len + 1 - have)) > 0) {
    have += (size_t)r;
  }
  close(fd);
  int same = got != NULL && have == len;
  for (size_t i = 0; same && i < len; ++i) {
    same = got[i] == (want != NULL ? (unsigned char)want[i] : pattern(i));
  }
  free(got);
  return same;
}

static int check(const char* dir) {
  struct stat st;
  expect(holds(at(dir, "a.txt"), "alpha\n", 6), "a.txt holds alpha");
  expect(holds(at(dir, "b.txt"), "second version\n", 15), "b.txt is the second version");
  expect(holds(at(dir, "big"), NULL, kBigAfter), "big is the pattern, cut to 100,000 bytes");
  expect(stat(at(dir, "sparse"), &st) == 0 && st.st_size == kSparseAt + 1, "sparse's size");
  char* zeros = calloc(kSparseAt + 1, 1);
  if (zeros != NULL) zeros[kSparseAt] = 'z';
  expect(zeros != NULL && holds(at(dir, "sparse"), zeros, kSparseAt + 1), "sparse's bytes");
  free(zeros);
  expect(stat(at(dir, "hard"), &st) == 0 && st.st_nlink == 2, "hard has 2 links");
  expect(holds(at(dir, "hard"), "alpha\n", 6), "hard holds alpha");
  char target[64] = "";
  ssize_t n = readlink(at(dir, "link"), target, sizeof target - 1);
  expect(n == 5 && memcmp(target, "a.txt", 5) == 0, "link points to a.txt");
  expect(stat(at(dir, "sub"), &st) == 0 && S_ISDIR(st.st_mode), "sub is a directory");
  expect(stat(at(dir, "draft.txt"), &st) != 0 && errno == ENOENT, "draft.txt is gone");
  expect(stat(at(dir, "new.txt"), &st) != 0 && errno == ENOENT, "new.txt is gone");
  expect(stat(at(dir, "gone"), &st) != 0 && errno == ENOENT, "gone is gone");
  expect(stat(at(dir, "empty"), &st) != 0 && errno == ENOENT, "empty is gone");
  printf("ops: %d checks, %d failed\n", g_checks, g_failed);
  return g_failed == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  tool_name = "ops";
  if (argc == 3 && strcmp(argv[1], "make") == 0) return make(argv[2]);
  if (argc == 3 && strcmp(argv[1], "check") == 0) return check(argv[2]);
  return tool_usage("make|check DIR");
}

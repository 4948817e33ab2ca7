// Hostile: fills the file system's quota with hard links. A link used to be charged only its
// name's bytes, about 22 times less than its entry costs; now it is charged its entry, so the
// links stop with ENOSPC at about what they really cost.
//
//   hard_links fill    writes /tmp/fill until the quota is reached (ENOSPC), gives back 1 MiB
//                      (ftruncate), then links /tmp/target under /tmp/links/dNN/lNNNNN until
//                      link fails; gives back 64 KiB more and prints "... N links in 1 MiB,
//                      then ERROR" (standard output is a file too), and leaves it all
//   hard_links clean   removes what `fill` made
//
// Exits 0 when the links stopped with ENOSPC (fill) or everything was removed (clean).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRS 32
#define MAX_LINKS 1000000

static void name_of(char* out, size_t size, int i) {
  snprintf(out, size, "/tmp/links/d%02d/l%05d", i % DIRS, i / DIRS);
}

static int fill(void) {
  static char block[65536];
  memset(block, 'f', sizeof block);
  int fd = open("/tmp/fill", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return 1;
  long long size = 0;
  for (;;) {
    ssize_t n = write(fd, block, sizeof block);
    if (n <= 0) break;
    size += n;
  }
  int full = errno;
  if (ftruncate(fd, size - (1 << 20)) != 0) return 1;
  close(fd);
  fd = open("/tmp/target", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0 || write(fd, "target\n", 7) != 7) return 1;
  close(fd);
  if (mkdir("/tmp/links", 0755) != 0) return 1;
  char path[64];
  for (int d = 0; d < DIRS; ++d) {
    snprintf(path, sizeof path, "/tmp/links/d%02d", d);
    if (mkdir(path, 0755) != 0) return 1;
  }
  int links = 0, err = 0;
  while (links < MAX_LINKS) {
    name_of(path, sizeof path, links);
    if (link("/tmp/target", path) != 0) {
      err = errno;
      break;
    }
    ++links;
  }
  // Standard output is a file too: room for this line.
  if (truncate("/tmp/fill", size - (1 << 20) - 65536) != 0) return 1;
  printf("filled %lld MiB (%s), then %d links in 1 MiB, then %s\n", size >> 20, strerror(full),
         links, err != 0 ? strerror(err) : "no error");
  return err == ENOSPC ? 0 : 1;
}

static int clean(void) {
  char path[64];
  for (int i = 0;; ++i) {
    name_of(path, sizeof path, i);
    if (unlink(path) != 0) break;
  }
  int failed = 0;
  for (int d = 0; d < DIRS; ++d) {
    snprintf(path, sizeof path, "/tmp/links/d%02d", d);
    failed |= rmdir(path) != 0;
  }
  failed |= rmdir("/tmp/links") != 0;
  failed |= unlink("/tmp/target") != 0;
  failed |= unlink("/tmp/fill") != 0;
  printf("cleaned%s\n", failed ? ": something was left" : "");
  return failed;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "clean") == 0) return clean();
  return fill();
}

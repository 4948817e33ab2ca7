// cat [FILE...]: copies each file (or standard input, also for "-") to standard output.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// Writes all of buf, retrying short writes. Returns 0, or -1 with errno set.
static int write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

// Copies fd to standard output until end of file. Returns 0, or 1 after reporting an error.
static int copy(int fd, const char* name) {
  static char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
      return 1;
    }
    if (write_all(STDOUT_FILENO, buf, (size_t)n) != 0) {
      fprintf(stderr, "cat: write: %s\n", strerror(errno));
      return 1;
    }
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return copy(STDIN_FILENO, "stdin");
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-") == 0) {
      status |= copy(STDIN_FILENO, "stdin");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}

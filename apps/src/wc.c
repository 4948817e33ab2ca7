// wc [FILE...]: prints the lines, words and bytes of each file (or standard input, also for "-"),
// and a total when given more than one file.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct counts {
  unsigned long long lines, words, bytes;
};

// Counts fd into *c. Returns 0, or 1 after reporting a read error.
static int count(int fd, const char* name, struct counts* c) {
  static char buf[16384];
  bool in_word = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "wc: %s: %s\n", name, strerror(errno));
      return 1;
    }
    c->bytes += (unsigned long long)n;
    for (ssize_t i = 0; i < n; ++i) {
      char ch = buf[i];
      if (ch == '\n') ++c->lines;
      bool space = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
      if (!space && !in_word) ++c->words;
      in_word = !space;
    }
  }
}

static void print(const struct counts* c, const char* name) {
  printf("%7llu %7llu %7llu%s%s\n", c->lines, c->words, c->bytes, name ? " " : "",
         name ? name : "");
}

int main(int argc, char** argv) {
  if (argc < 2) {
    struct counts c = {0};
    int status = count(STDIN_FILENO, "stdin", &c);
    print(&c, NULL);
    return status;
  }
  struct counts total = {0};
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    struct counts c = {0};
    int fd = strcmp(argv[i], "-") == 0 ? STDIN_FILENO : open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= count(fd, argv[i], &c);
    if (fd != STDIN_FILENO) close(fd);
    print(&c, argv[i]);
    total.lines += c.lines;
    total.words += c.words;
    total.bytes += c.bytes;
  }
  if (argc > 2) print(&total, "total");
  return status;
}

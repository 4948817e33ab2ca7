// wc [-lwc] [FILE...]: prints the lines, words and bytes of each file (or standard input, also
// for "-"), and a total when given more than one file. With -l, -w or -c, only those counts, in
// that order; a count alone for standard input is printed without padding (`... | wc -l` gives
// "1").
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct counts {
  unsigned long long lines, words, bytes;
};

static bool g_lines, g_words, g_bytes;

// Counts fd into *c. Returns 0, or 1 after reporting a read error.
static int count(int fd, const char* name, struct counts* c) {
  static char buf[16384];
  bool in_word = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      tool_error("%s: %s", name, strerror(errno));
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
  unsigned long long values[3];
  int n = 0;
  if (g_lines) values[n++] = c->lines;
  if (g_words) values[n++] = c->words;
  if (g_bytes) values[n++] = c->bytes;
  bool bare = n == 1 && name == NULL;
  for (int i = 0; i < n; ++i) {
    if (bare) {
      printf("%llu", values[i]);
    } else {
      printf("%s%7llu", i > 0 ? " " : "", values[i]);
    }
  }
  printf("%s%s\n", name ? " " : "", name ? name : "");
}

static int option(int option, const char* value, void* context) {
  (void)value;
  (void)context;
  if (option == 'l') g_lines = true;
  if (option == 'w') g_words = true;
  if (option == 'c') g_bytes = true;
  return 0;
}

int main(int argc, char** argv) {
  tool_name = "wc";
  int bad = tool_options(argc, argv, ":lwc", "[-lwc] [FILE...]", option, NULL);
  if (bad) return bad;
  if (!g_lines && !g_words && !g_bytes) g_lines = g_words = g_bytes = true;
  int files = argc - optind;
  if (files == 0) {
    struct counts c = {0};
    int status = count(STDIN_FILENO, "stdin", &c);
    print(&c, NULL);
    return tool_finish(status);
  }
  struct counts total = {0};
  int status = 0;
  for (int i = optind; i < argc; ++i) {
    struct counts c = {0};
    int fd = strcmp(argv[i], "-") == 0 ? STDIN_FILENO : open(argv[i], O_RDONLY);
    if (fd < 0) {
      tool_error("%s: %s", argv[i], strerror(errno));
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
  if (files > 1) print(&total, "total");
  return tool_finish(status);
}

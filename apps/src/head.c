// head [-n N | -c N] [FILE...]: the first N lines (default 10) or, with -c, the first N bytes of
// each file (or standard input, also for "-"); before each of several files a "==> FILE <=="
// line. Stops reading once it has them, so `yes | head` ends.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

static uint64_t g_count = 10;
static bool g_bytes;

static int option(int option, const char* value, void* context) {
  g_bytes = option == 'c';
  if (tool_parse_count(value, &g_count)) return 0;
  tool_error("-%c %s: not a count", option, value);
  return 1;
}

// Copies the first g_count lines or bytes of file to standard output. Returns 0, or 1 after
// reporting a read error.
static int head(FILE* file, const char* name) {
  char* line = NULL;
  size_t size = 0;
  ssize_t n;
  for (uint64_t left = g_count; left > 0; left -= g_bytes ? (uint64_t)n : 1) {
    if (g_bytes) {
      static char buf[16384];
      n = (ssize_t)fread(buf, 1, left < sizeof buf ? (size_t)left : sizeof buf, file);
      if (n == 0) break;
      fwrite(buf, 1, (size_t)n, stdout);
    } else {
      if ((n = getline(&line, &size, file)) <= 0) break;
      fwrite(line, 1, (size_t)n, stdout);
    }
  }
  free(line);
  return ferror(file) ? tool_fail(name) : 0;
}

int main(int argc, char** argv) {
  tool_name = "head";
  if (tool_options(argc, argv, ":n:c:", "[-n N | -c N] [FILE...]", option, NULL) != 0) return 2;
  return tool_finish(tool_each_input(argc - optind, argv + optind, true, head));
}

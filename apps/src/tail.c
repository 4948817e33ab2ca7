// tail [-n N] [FILE...]: the last N lines (default 10) of each file (or standard input, also for
// "-"); before each of several files a "==> FILE <==" line. Holds at most the last N lines in
// memory, and no more than kMaxBytes of them (an error beyond).
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const size_t kMaxBytes = 16u << 20;
static uint64_t g_lines = 10;

static int option(int option, const char* value, void* context) {
  if (tool_parse_count(value, &g_lines)) return 0;
  tool_error("-n %s: not a count", value);
  return 1;
}

// Where the last n lines of buf[0, len) begin; a last line without '\n' counts as a line.
static size_t last_lines(const char* buf, size_t len, uint64_t n) {
  if (n == 0) return len;
  size_t i = len;
  if (i > 0 && buf[i - 1] == '\n') --i;  // the final newline belongs to the last line
  for (; i > 0; --i) {
    if (buf[i - 1] == '\n' && --n == 0) return i;
  }
  return 0;
}

// Prints the last g_lines lines of file. Returns 0, or 1 after reporting an error.
static int tail(FILE* file, const char* name) {
  size_t capacity = 65536, len = 0;
  char* buf = malloc(capacity);
  if (buf == NULL) return tool_fail(name);
  int status = 0;
  for (;;) {
    if (len == capacity) {
      // Full: drop the lines before the last N when that frees half, else grow up to the bound.
      size_t start = last_lines(buf, len, g_lines);
      if (start < capacity / 2 && capacity < kMaxBytes) {
        char* grown = realloc(buf, capacity * 2);
        if (grown == NULL) {
          status = tool_fail(name);
          break;
        }
        buf = grown;
        capacity *= 2;
      } else if (start == 0) {
        tool_error("%s: the last %llu lines are over %zu MiB (tail holds them in memory)", name,
                   (unsigned long long)g_lines, kMaxBytes >> 20);
        status = 1;
        break;
      } else {
        memmove(buf, buf + start, len - start);
        len -= start;
      }
    }
    size_t n = fread(buf + len, 1, capacity - len, file);
    len += n;
    if (n == 0) {
      if (ferror(file)) status = tool_fail(name);
      break;
    }
  }
  if (status == 0) {
    size_t start = last_lines(buf, len, g_lines);
    if (fwrite(buf + start, 1, len - start, stdout) != len - start) {
      status = tool_fail("standard output");
    }
  }
  free(buf);
  return status;
}

int main(int argc, char** argv) {
  tool_name = "tail";
  if (tool_options(argc, argv, ":n:", "[-n N] [FILE...]", option, NULL) != 0) return 2;
  return tool_finish(tool_each_input(argc - optind, argv + optind, true, tail));
}

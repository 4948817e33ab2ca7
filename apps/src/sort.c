// sort [-r] [-n] [-u] [FILE...]: the lines of the files (or standard input, also for "-") in
// byte order; -n by the number each line starts with (as strtod reads it; none counts as 0), ties
// in byte order; -r reversed; -u one line of each run of equal keys. Holds all its input in
// memory: more than kMaxBytes (the lines' text and a record for each) is an error (status 1,
// nothing printed).
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const size_t kMaxBytes = 16u << 20;
static bool g_reverse, g_numeric, g_unique;

struct line {
  const char* text;  // NUL-terminated, without its '\n'
  double number;     // -n: the key
};

static int option(int option, const char* value, void* context) {
  if (option == 'r') g_reverse = true;
  if (option == 'n') g_numeric = true;
  if (option == 'u') g_unique = true;
  return 0;
}

// Compares keys only: bytes, or with -n numbers.
static int compare_keys(const struct line* a, const struct line* b) {
  if (!g_numeric) return strcmp(a->text, b->text);
  return a->number < b->number ? -1 : a->number > b->number ? 1 : 0;
}

static int compare_lines(const void* pa, const void* pb) {
  const struct line *a = pa, *b = pb;
  int c = compare_keys(a, b);
  if (c == 0 && g_numeric) c = strcmp(a->text, b->text);
  return g_reverse ? -c : c;
}

// All the input: the lines' text back to back (each ending in NUL), then the lines.
static char* g_text;
static size_t g_text_len, g_text_capacity, g_lines;

// Appends the lines of file to g_text. Returns 0, or 1 after reporting an error.
static int read_lines(FILE* file, const char* name) {
  char* line = NULL;
  size_t size = 0;
  ssize_t n;
  while ((n = getline(&line, &size, file)) > 0) {
    if (line[n - 1] == '\n') line[--n] = '\0';
    if (g_text_len + (size_t)n + 1 + (g_lines + 1) * sizeof(struct line) > kMaxBytes) {
      tool_error("%s: input over %zu MiB (sort holds all of it in memory)", name, kMaxBytes >> 20);
      free(line);
      return 1;
    }
    while (g_text_len + (size_t)n + 1 > g_text_capacity) {
      size_t capacity = g_text_capacity ? g_text_capacity * 2 : 65536;
      char* grown = realloc(g_text, capacity);
      if (grown == NULL) {
        free(line);
        return tool_fail(name);
      }
      g_text = grown;
      g_text_capacity = capacity;
    }
    memcpy(g_text + g_text_len, line, (size_t)n + 1);
    g_text_len += (size_t)n + 1;
    ++g_lines;
  }
  free(line);
  return ferror(file) ? tool_fail(name) : 0;
}

int main(int argc, char** argv) {
  tool_name = "sort";
  if (tool_options(argc, argv, ":rnu", "[-r] [-n] [-u] [FILE...]", option, NULL) != 0) return 2;
  int status = tool_each_input(argc - optind, argv + optind, false, read_lines);
  if (status != 0) return status;
  size_t count = g_lines;
  struct line* lines = malloc((count ? count : 1) * sizeof *lines);
  if (lines == NULL) return tool_fail("lines");
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    lines[i].text = g_text + at;
    lines[i].number = g_numeric ? strtod(lines[i].text, NULL) : 0;
    if (lines[i].number != lines[i].number) lines[i].number = 0;  // "nan" must not break the order
    at += strlen(lines[i].text) + 1;
  }
  qsort(lines, count, sizeof *lines, compare_lines);
  for (size_t i = 0; i < count; ++i) {
    if (g_unique && i > 0 && compare_keys(&lines[i - 1], &lines[i]) == 0) continue;
    fputs(lines[i].text, stdout);
    putchar('\n');
  }
  return tool_finish(0);
}

// uniq [-c] [FILE]: the lines of FILE (or standard input, also for "-") with each run of equal
// adjacent lines printed once; -c puts the run's length before each.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "tool.h"

static bool g_count;

static int option(int option, const char* value, void* context) {
  g_count = true;
  return 0;
}

static void print_run(const char* line, unsigned long long run) {
  if (g_count) printf("%7llu ", run);
  fputs(line, stdout);
  putchar('\n');
}

int main(int argc, char** argv) {
  tool_name = "uniq";
  static const char kUsage[] = "[-c] [FILE]";
  if (tool_options(argc, argv, ":c", kUsage, option, NULL) != 0) return 2;
  if (argc - optind > 1) return tool_usage(kUsage);
  const char* name = optind < argc ? argv[optind] : "standard input";
  FILE* file = tool_open_input(optind < argc ? argv[optind] : NULL);
  if (file == NULL) return 1;
  char *line = NULL, *previous = NULL;
  size_t size = 0, previous_size = 0;
  unsigned long long run = 0;
  for (ssize_t n; (n = getline(&line, &size, file)) > 0;) {
    if (line[n - 1] == '\n') line[n - 1] = '\0';
    if (run > 0 && strcmp(line, previous) == 0) {
      ++run;
      continue;
    }
    if (run > 0) print_run(previous, run);
    // Swap the buffers: the line just read becomes the previous one.
    char* t = previous;
    previous = line;
    line = t;
    size_t ts = previous_size;
    previous_size = size;
    size = ts;
    run = 1;
  }
  int status = ferror(file) ? tool_fail(name) : 0;
  if (run > 0) print_run(previous, run);
  free(line);
  free(previous);
  tool_close_input(file);
  return tool_finish(status);
}

// tee [-a] [FILE...]: copies standard input to standard output and to each FILE (created or
// truncated; -a appends). A file that fails is reported and dropped; the others go on.
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "tool.h"

static bool g_append;

static int option(int option, const char* value, void* context) {
  g_append = true;
  return 0;
}

int main(int argc, char** argv) {
  tool_name = "tee";
  if (tool_options(argc, argv, ":a", "[-a] [FILE...]", option, NULL) != 0) return 2;
  int count = argc - optind + 1;  // the files, then standard output
  int* fds = malloc((size_t)count * sizeof *fds);
  if (fds == NULL) return tool_fail("files");
  const char** names = (const char**)argv + optind;
  int status = 0;
  int flags = O_WRONLY | O_CREAT | (g_append ? O_APPEND : O_TRUNC);
  for (int i = 0; i < count - 1; ++i) {
    if ((fds[i] = open(names[i], flags, 0666)) < 0) status = tool_fail(names[i]);
  }
  fds[count - 1] = STDOUT_FILENO;
  static char buf[16384];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      status = tool_fail("standard input");
      break;
    }
    for (int i = 0; i < count; ++i) {
      if (fds[i] < 0 || tool_write_all(fds[i], buf, (size_t)n) == 0) continue;
      status = tool_fail(i < count - 1 ? names[i] : "standard output");
      if (i < count - 1) close(fds[i]);
      fds[i] = -1;
    }
  }
  for (int i = 0; i < count - 1; ++i) {
    if (fds[i] >= 0 && close(fds[i]) != 0) status = tool_fail(names[i]);
  }
  free(fds);
  return status;
}

// mv SRC DST, mv SRC... DIR: renames (moves) files and directories; into DIR when the last path
// is a directory.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

static int move(const char* src, const char* dst) {
  struct stat st;
  if (lstat(src, &st) != 0) return tool_fail(src);
  if (rename(src, dst) == 0) return 0;
  tool_error("%s to %s: %s", src, dst, strerror(errno));
  return 1;
}

int main(int argc, char** argv) {
  tool_name = "mv";
  if (argc < 3 || argv[1][0] == '-') return tool_usage("SRC DST | SRC... DIR");
  return tool_each_target(argc - 1, argv + 1, move);
}

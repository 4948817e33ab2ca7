// cp [-r] SRC DST, cp [-r] SRC... DIR: copies files (DST is created or truncated); -r copies
// directories and everything in them (into DST, created when missing).
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static bool g_recursive;
// The directory the current -r copy made at its top: never copied into itself.
static struct stat g_top;
static bool g_top_made;

static int option(int option, const char* value, void* context) {
  g_recursive = true;
  return 0;
}

static int copy_file(const char* src, const char* dst) {
  int in = open(src, O_RDONLY);
  if (in < 0) return tool_fail(src);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (out < 0) {
    close(in);
    return tool_fail(dst);
  }
  int status = tool_copy(in, src, out, dst);
  close(in);
  if (close(out) != 0 && status == 0) status = tool_fail(dst);
  return status;
}

static int copy(const char* src, const char* dst);

static int copy_entry(const char* src, void* dst_dir) {
  char* dst = tool_path(dst_dir, tool_base_name(src));
  if (dst == NULL) return 1;
  int status = copy(src, dst);
  free(dst);
  return status;
}

static int copy(const char* src, const char* dst) {
  struct stat from, to;
  if (stat(src, &from) != 0) return tool_fail(src);
  bool exists = stat(dst, &to) == 0;
  if (exists && from.st_dev == to.st_dev && from.st_ino == to.st_ino) {
    tool_error("%s and %s are the same file", src, dst);
    return 1;
  }
  if (!S_ISDIR(from.st_mode)) return copy_file(src, dst);
  if (!g_recursive) {
    tool_error("%s: is a directory (-r copies it and what it holds)", src);
    return 1;
  }
  if (g_top_made && from.st_dev == g_top.st_dev && from.st_ino == g_top.st_ino) {
    tool_error("%s: not copied into itself", src);
    return 1;
  }
  if (!exists && mkdir(dst, 0777) != 0) return tool_fail(dst);
  if (exists && !S_ISDIR(to.st_mode)) {
    errno = ENOTDIR;
    return tool_fail(dst);
  }
  if (!g_top_made) g_top_made = stat(dst, &g_top) == 0;
  return tool_each_entry(src, copy_entry, (void*)dst);
}

static int copy_top(const char* src, const char* dst) {
  g_top_made = false;
  return copy(src, dst);
}

int main(int argc, char** argv) {
  tool_name = "cp";
  static const char kUsage[] = "[-r] SRC DST | [-r] SRC... DIR";
  if (tool_options(argc, argv, ":rR", kUsage, option, NULL) != 0) return 2;
  if (argc - optind < 2) return tool_usage(kUsage);
  return tool_each_target(argc - optind, argv + optind, copy_top);
}

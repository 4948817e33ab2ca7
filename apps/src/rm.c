// rm [-r] [-f] PATH...: removes files; -r also directories with everything in them; -f: a path
// that does not exist is no error (and no PATH is no error either).
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static bool g_recursive, g_force;

static int option(int option, const char* value, void* context) {
  if (option == 'f') {
    g_force = true;
  } else {
    g_recursive = true;
  }
  return 0;
}

static int remove_path(const char* path, void* context) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT && g_force ? 0 : tool_fail(path);
  if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 ? 0 : tool_fail(path);
  if (!g_recursive) {
    tool_error("%s: is a directory (-r removes it and what it holds)", path);
    return 1;
  }
  int status = tool_each_entry(path, remove_path, NULL);
  if (status != 0) return status;  // something inside stays: rmdir could only fail
  return rmdir(path) == 0 ? 0 : tool_fail(path);
}

int main(int argc, char** argv) {
  tool_name = "rm";
  static const char kUsage[] = "[-r] [-f] PATH...";
  if (tool_options(argc, argv, ":rRf", kUsage, option, NULL) != 0) return 2;
  if (optind == argc && !g_force) return tool_usage(kUsage);
  int status = 0;
  for (int i = optind; i < argc; ++i) {
    const char* base = tool_base_name(argv[i]);
    if (strcmp(base, "/") == 0 || strncmp(base, "./", 2) == 0 || strcmp(base, ".") == 0 ||
        strncmp(base, "../", 3) == 0 || strcmp(base, "..") == 0) {
      tool_error("%s: refusing to remove '/', '.' or '..'", argv[i]);
      status = 1;
      continue;
    }
    status |= remove_path(argv[i], NULL);
  }
  return status;
}

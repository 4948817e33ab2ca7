// mkdir [-p] DIR...: creates directories; -p also creates missing parents, and a directory that
// already exists is no error.
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

static bool g_parents;

static int option(int option, const char* value, void* context) {
  g_parents = true;
  return 0;
}

static bool is_directory(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// Creates path (and with -p its parents). Returns 0, or -1 with errno set.
static int make(const char* path) {
  if (mkdir(path, 0777) == 0) return 0;
  if (!g_parents) return -1;
  if (errno == EEXIST) return is_directory(path) ? 0 : (errno = EEXIST, -1);
  if (errno != ENOENT) return -1;
  // The parent: path without its last component and the '/' before it ("a/b/" gives "a").
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') --len;
  while (len > 0 && path[len - 1] != '/') --len;
  while (len > 1 && path[len - 1] == '/') --len;
  if (len == 0 || strncmp(path, "/", len) == 0) return errno = ENOENT, -1;  // no parent to make
  char* parent = strndup(path, len);
  if (parent == NULL) return -1;
  int made = make(parent);
  free(parent);
  if (made != 0) return -1;
  return mkdir(path, 0777) == 0 || (errno == EEXIST && is_directory(path)) ? 0 : -1;
}

int main(int argc, char** argv) {
  tool_name = "mkdir";
  static const char kUsage[] = "[-p] DIR...";
  if (tool_options(argc, argv, ":p", kUsage, option, NULL) != 0) return 2;
  if (optind == argc) return tool_usage(kUsage);
  int status = 0;
  for (int i = optind; i < argc; ++i) {
    if (make(argv[i]) != 0) status = tool_fail(argv[i]);
  }
  return status;
}

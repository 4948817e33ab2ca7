#include "tool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <warden.h>

const char* tool_name = "?";

void tool_error(const char* format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "%s: ", tool_name);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
}

int tool_fail(const char* what) {
  tool_error("%s: %s", what, strerror(errno));
  return 1;
}

int tool_usage(const char* usage) {
  fprintf(stderr, "usage: %s %s\n", tool_name, usage);
  return 2;
}

int tool_options(int argc, char** argv, const char* options, const char* usage,
                 int (*fn)(int option, const char* value, void* context), void* context) {
  opterr = 0;  // the messages below name the tool, not argv[0] (which may be a path)
  for (int c; (c = getopt(argc, argv, options)) != -1;) {
    bool bad = c == '?' || c == ':';
    if (c == '?') tool_error("unknown option -%c", optopt);
    if (c == ':') tool_error("option -%c needs a value", optopt);
    if (bad || fn(c, optarg, context) != 0) return tool_usage(usage);
  }
  return 0;
}

bool tool_parse_count(const char* text, uint64_t* out) {
  uint64_t value = 0;
  if (*text == '\0') return false;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9' || value > (UINT64_C(1) << 63) / 10) return false;
    value = value * 10 + (uint64_t)(*p - '0');
  }
  if (value > (UINT64_C(1) << 63)) return false;
  *out = value;
  return true;
}

int tool_finish(int status) { return fflush(stdout) == 0 ? status : tool_fail("standard output"); }

int tool_write_all(int fd, const void* buf, size_t len) {
  const char* p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int tool_copy(int in, const char* in_name, int out, const char* out_name) {
  static char buf[16384];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return tool_fail(in_name);
    }
    if (tool_write_all(out, buf, (size_t)n) != 0) return tool_fail(out_name);
  }
}

FILE* tool_open_input(const char* path) {
  if (path == NULL || strcmp(path, "-") == 0) return stdin;
  FILE* file = fopen(path, "r");
  if (file == NULL) tool_fail(path);
  return file;
}

void tool_close_input(FILE* file) {
  if (file != stdin) fclose(file);
}

int tool_each_input(int count, char** names, bool titles, int (*fn)(FILE* file, const char* name)) {
  if (count == 0) return fn(stdin, "standard input");
  int status = 0;
  for (int i = 0; i < count; ++i) {
    FILE* file = tool_open_input(names[i]);
    if (file == NULL) {
      status = 1;
      continue;
    }
    if (titles && count > 1) printf("%s==> %s <==\n", i > 0 ? "\n" : "", names[i]);
    status |= fn(file, file == stdin ? "standard input" : names[i]);
    tool_close_input(file);
  }
  return status;
}

char* tool_path(const char* dir, const char* name) {
  size_t dir_len = strlen(dir), name_len = strcspn(name, "/");
  while (dir_len > 1 && dir[dir_len - 1] == '/') --dir_len;
  bool slash = dir_len == 0 || dir[dir_len - 1] != '/';
  char* path = malloc(dir_len + slash + name_len + 1);
  if (path == NULL) {
    tool_error("%s/%s: out of memory", dir, name);
    return NULL;
  }
  memcpy(path, dir, dir_len);
  if (slash) path[dir_len] = '/';
  memcpy(path + dir_len + slash, name, name_len);
  path[dir_len + slash + name_len] = '\0';
  return path;
}

const char* tool_base_name(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (p[0] == '/' && p[1] != '\0' && p[1] != '/') base = p + 1;
  }
  return base;
}

int tool_each_entry(const char* dir, int (*fn)(const char* path, void* context), void* context) {
  DIR* d = opendir(dir);
  if (d == NULL) return tool_fail(dir);
  char** names = NULL;
  size_t count = 0, capacity = 0;
  int status = 0;
  errno = 0;
  for (struct dirent* entry; (entry = readdir(d)) != NULL; errno = 0) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    if (count == capacity) {
      capacity = capacity ? capacity * 2 : 16;
      char** grown = realloc(names, capacity * sizeof *names);
      if (grown == NULL) break;
      names = grown;
    }
    if ((names[count] = strdup(entry->d_name)) == NULL) break;
    ++count;
  }
  if (errno != 0) status = tool_fail(dir);  // a read error, or out of memory (ENOMEM)
  closedir(d);
  for (size_t i = 0; i < count; ++i) {
    char* path = tool_path(dir, names[i]);
    status |= path != NULL ? fn(path, context) : 1;
    free(path);
    free(names[i]);
  }
  free(names);
  return status;
}

int tool_each_target(int count, char** paths, int (*fn)(const char* src, const char* dst)) {
  const char* last = paths[count - 1];
  struct stat st;
  bool into_dir = stat(last, &st) == 0 && S_ISDIR(st.st_mode);
  if (count > 2 && !into_dir) {
    if (stat(last, &st) != 0) return tool_fail(last);
    tool_error("%s: Not a directory", last);
    return 1;
  }
  if (!into_dir) return fn(paths[0], last);
  int status = 0;
  for (int i = 0; i < count - 1; ++i) {
    char* target = tool_path(last, tool_base_name(paths[i]));
    status |= target != NULL ? fn(paths[i], target) : 1;
    free(target);
  }
  return status;
}

int32_t tool_spawn(const char* path, const char* const* args, uint32_t argc, uint32_t* pid) {
  char argv[256];
  uint32_t len = 0;
  for (uint32_t i = 0; i < argc; ++i) {
    size_t n = strlen(args[i]) + 1;
    if (len + n > sizeof argv) return E2BIG;
    memcpy(argv + len, args[i], n);
    len += (uint32_t)n;
  }
  static const uint32_t stdio[3] = {0, 1, 2};
  fflush(NULL);
  return warden_spawn(path, (uint32_t)strlen(path), argv, len, argc, "", 0, 0, "/", 1, stdio, 0,
                      pid);
}

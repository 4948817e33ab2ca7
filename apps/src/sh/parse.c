#include "parse.h"

#include <stdio.h>
#include <string.h>

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool fail(char* error, size_t error_len, const char* message) {
  snprintf(error, error_len, "%s", message);
  return false;
}

bool sh_parse(const char* line, struct sh_command* cmd, char* error, size_t error_len) {
  cmd->argc = 0;
  cmd->argv[0] = NULL;
  cmd->background = false;
  if (strlen(line) >= sizeof cmd->storage) return fail(error, error_len, "line too long");
  // Every word is at most as long as its text, so the words fit in storage.
  char* out = cmd->storage;
  const char* s = line;
  for (;;) {
    while (is_blank(*s)) ++s;
    if (*s == '\0' || *s == '#') break;
    if (cmd->background) return fail(error, error_len, "'&' must end the command");
    if (*s == '&') {
      cmd->background = true;
      ++s;
      continue;
    }
    if (cmd->argc == SH_ARGS_MAX - 1) return fail(error, error_len, "too many words");
    cmd->argv[cmd->argc++] = out;
    // One word: runs of plain, quoted and escaped text up to an unquoted blank or '&'.
    while (*s != '\0' && !is_blank(*s) && *s != '&') {
      char quote = *s;
      if (quote == '\'' || quote == '"') {
        for (++s; *s != quote; ++s) {
          if (*s == '\0') return fail(error, error_len, "unterminated quote");
          if (quote == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\')) ++s;
          *out++ = *s;
        }
        ++s;
      } else if (*s == '\\') {
        if (s[1] == '\0' || s[1] == '\n')
          return fail(error, error_len, "'\\' at the end of the line");
        *out++ = s[1];
        s += 2;
      } else {
        *out++ = *s++;
      }
    }
    *out++ = '\0';
  }
  cmd->argv[cmd->argc] = NULL;
  if (cmd->background && cmd->argc == 0) return fail(error, error_len, "'&' without a command");
  return true;
}

bool sh_resolve_path(const char* cwd, const char* path, char* out, size_t out_len) {
  char joined[2 * SH_PATH_MAX + 2];
  int n = path[0] == '/' ? snprintf(joined, sizeof joined, "%s", path)
                         : snprintf(joined, sizeof joined, "%s/%s", cwd, path);
  if (n < 0 || (size_t)n >= sizeof joined) return false;
  size_t len = 0;  // of out so far; the root is "" until the end
  char* save = NULL;
  for (char* part = strtok_r(joined, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0) continue;
    if (strcmp(part, "..") == 0) {
      while (len > 0 && out[len - 1] != '/') --len;
      if (len > 0) --len;  // and the '/' before the component
      continue;
    }
    size_t part_len = strlen(part);
    if (len + 1 + part_len + 1 > out_len) return false;
    out[len++] = '/';
    memcpy(out + len, part, part_len);
    len += part_len;
  }
  if (len == 0) {
    if (out_len < 2) return false;
    out[len++] = '/';
  }
  out[len] = '\0';
  return true;
}

// The shell's command-line parser (words, quotes and a trailing '&'; no allocation: the words live
// in the command's own storage) and its path arithmetic.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SH_LINE_MAX 1024  // bytes in a command line, with its NUL
#define SH_ARGS_MAX 64    // words in a command, with the NULL after the last
#define SH_PATH_MAX 1024  // bytes in a path, with its NUL

struct sh_command {
  int argc;                   // 0 for an empty line or a comment
  char* argv[SH_ARGS_MAX];    // argc words, then NULL
  bool background;            // the line ended in an unquoted '&'
  char storage[SH_LINE_MAX];  // the words, each NUL-terminated
};

// Splits `line` into words: blanks (space, tab) separate words; "..." and '...' quote (inside
// double quotes a backslash escapes '"' and '\'; outside quotes it escapes any character); an
// unquoted '#' at the start of a word begins a comment; an unquoted '&' ends the command and puts
// it in the background, and only blanks or a comment may follow it. A trailing newline is
// ignored. Returns true with *cmd filled, or false with a message ("unterminated quote", ...) in
// `error` (NUL-terminated, truncated to error_len).
bool sh_parse(const char* line, struct sh_command* cmd, char* error, size_t error_len);

// Writes to `out` the absolute form of `path`: joined to `cwd` (an absolute path) unless it starts
// with '/', with ".", ".." and repeated '/' removed (".." at the root stays at the root) and no
// trailing '/' except for "/" itself. Returns false when the result does not fit in out_len.
bool sh_resolve_path(const char* cwd, const char* path, char* out, size_t out_len);

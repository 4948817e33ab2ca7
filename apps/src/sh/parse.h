// The shell's language: a command line parsed into a small tree that lives in the line's own
// bounded storage (no allocation), the expansion of its words when they run, and path arithmetic.
// Nothing here uses WASI or Warden, so it is tested on the host (apps/tests/sh_test.c).
//
// Grammar (docs/programs.md, "The shell"):
//   line      := [ chain { (';' | '&') chain } [ ';' | '&' ] ]     a '#' word starts a comment
//   chain     := pipeline { ('&&' | '||') pipeline }
//   pipeline  := command { '|' command }
//   command   := { word | redirection }+
//   redirection := [DIGIT] ('<' | '>' | '>>') word | [DIGIT] ('>&' | '<&') DIGIT
// A chain followed by '&' runs in the background.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SH_LINE_MAX 1024    // bytes in a command line, with its NUL
#define SH_ARGS_MAX 64      // words in a command, with the NULL after the last
#define SH_WORDS_MAX 128    // words in a line (file names of redirections too)
#define SH_COMMANDS_MAX 32  // commands in a line
#define SH_REDIRS_MAX 32    // redirections in a line
#define SH_EXPAND_MAX 8192  // bytes of a command's words once expanded, each with its NUL
#define SH_PATH_MAX 1024    // bytes in a path, with its NUL

enum sh_redir_op {
  SH_REDIR_IN,      // N<FILE (N is 0 unless written): FILE opened for reading
  SH_REDIR_OUT,     // N>FILE (N is 1 unless written): FILE created or truncated
  SH_REDIR_APPEND,  // N>>FILE: FILE created, written at its end
  SH_REDIR_DUP,     // N>&M, N<&M: descriptor N becomes what descriptor M is at that point
};

struct sh_redir {
  enum sh_redir_op op;
  int fd;            // the command's descriptor it sets, 0..9
  int from;          // SH_REDIR_DUP: the descriptor copied, 0..9
  const char* word;  // the file, as written (expanded when the command runs)
};

struct sh_command {
  int word_count;            // 1..SH_ARGS_MAX-1, or 0 for redirections alone ("> f")
  const char* const* words;  // as written: quotes, escapes and '$' still in them
  int redir_count;
  const struct sh_redir* redirs;  // in the order written (they apply in that order)
};

// How a pipeline joins the one before it in its chain.
enum sh_link {
  SH_LINK_FIRST,  // the chain's first pipeline
  SH_LINK_AND,    // '&&': runs when the status so far is 0
  SH_LINK_OR,     // '||': runs when the status so far is not 0
};

struct sh_pipeline {
  enum sh_link link;
  int command_count;  // 1..SH_COMMANDS_MAX
  const struct sh_command* commands;
};

struct sh_chain {
  int pipeline_count;
  const struct sh_pipeline* pipelines;
  bool background;  // ended by '&'
};

// A parsed line: chains, in order. The other arrays hold what the chains point to.
struct sh_line {
  int chain_count;  // 0 for an empty line or a comment
  struct sh_chain chains[SH_COMMANDS_MAX];
  struct sh_pipeline pipelines[SH_COMMANDS_MAX];
  struct sh_command commands[SH_COMMANDS_MAX];
  struct sh_redir redirs[SH_REDIRS_MAX];
  const char* words[SH_WORDS_MAX];
  char storage[2 * SH_LINE_MAX];  // each word's text with a NUL
};

// Parses `line` (a trailing newline is ignored). Words are separated by blanks (space, tab) and
// end at an unquoted operator ('|', '&', ';', '<', '>'); '...' quotes everything, "..." quotes
// all but '$' (and '\' before '"', '\', '$'), '\' outside quotes takes the next character as it
// is; an unquoted '#' at the start of a word begins a comment. Returns true with *out filled, or
// false with a message in `error` (NUL-terminated, truncated to error_len): "syntax error near
// 'TOKEN'" (an operator where a command or a file name must be, or an operator at the end that
// needs something after it), "unterminated quote", "'\' at the end of the line", "bad
// substitution '${...}'", "line too long", "too many words" (SH_ARGS_MAX - 1 in a command,
// SH_WORDS_MAX in the line), "too many commands", "too many redirections".
bool sh_parse(const char* line, struct sh_line* out, char* error, size_t error_len);

// Looks up a variable for expansion: NAME (len bytes, not NUL-terminated; "?" for $?). Returns
// its value, or NULL when it is not set (which expands to nothing).
typedef const char* (*sh_lookup_fn)(void* context, const char* name, size_t len);

// A command's words, expanded.
struct sh_argv {
  int argc;
  char* argv[SH_ARGS_MAX];  // argc words, then NULL
  char storage[SH_EXPAND_MAX];
};

// Expands a command's words: quotes and escapes removed, $NAME, ${NAME} and $? replaced by their
// values (not inside '...'; a '$' before anything else stays a '$'). The value of an expansion is
// never split into several words, and an unquoted word that expands to nothing is dropped
// (quoted, as "$UNSET", it stays: an empty word). Returns false with "expansion too long" in
// `error` when the words take more than SH_EXPAND_MAX bytes.
bool sh_expand_command(const struct sh_command* cmd, sh_lookup_fn lookup, void* context,
                       struct sh_argv* out, char* error, size_t error_len);

// Expands one word (as sh_expand_command does) into out, NUL-terminated. Returns false when it
// takes more than out_len bytes.
bool sh_expand_word(const char* word, sh_lookup_fn lookup, void* context, char* out,
                    size_t out_len);

// Whether text[0, len) is a variable name: a letter or '_', then letters, digits and '_'.
bool sh_is_name(const char* text, size_t len);

// Writes to `out` the absolute form of `path`: joined to `cwd` (an absolute path) unless it starts
// with '/', with ".", ".." and repeated '/' removed (".." at the root stays at the root) and no
// trailing '/' except for "/" itself. Returns false when the result does not fit in out_len.
bool sh_resolve_path(const char* cwd, const char* path, char* out, size_t out_len);

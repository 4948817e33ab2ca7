// What the file tools in apps/src (rm, cp, sort, head, ...) share: messages in one form
// ("NAME: PATH: reason" on standard error, a usage line for a bad option) and the loops each would
// otherwise repeat (writing all of a buffer, copying a descriptor, opening an input, walking a
// directory, the SRC... DIR form of cp and mv). Linked into every program with apps/lib/*.c;
// what a program does not call is dropped by the linker.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>  // getopt's optind, for tool_options' callers

// The program's name in messages ("rm"); set first thing in main.
extern const char* tool_name;

// Prints "NAME: " and the formatted message, then a newline, on standard error.
void tool_error(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Prints "NAME: WHAT: " and strerror(errno) on standard error. Returns 1, the failing status.
int tool_fail(const char* what);

// Prints "usage: NAME USAGE" on standard error. Returns 2, the status for a usage error.
int tool_usage(const char* usage);

// Parses options with getopt(argc, argv, OPTIONS) where OPTIONS starts with ':' and calls
// fn(option, optarg, context) for each; afterwards optind is the first operand. An unknown option
// or a missing value prints "NAME: unknown option -C" or "NAME: option -C needs a value", then
// "usage: NAME USAGE". Returns 0, or 2 (the status for a usage error) after a bad option or when
// fn returns nonzero (fn reports its own message, e.g. a bad count).
int tool_options(int argc, char** argv, const char* options, const char* usage,
                 int (*fn)(int option, const char* value, void* context), void* context);

// Parses a count (decimal digits only, at most 2^63). Returns false for anything else.
bool tool_parse_count(const char* text, uint64_t* out);

// Flushes standard output. Returns status, or 1 after reporting a write error.
int tool_finish(int status);

// Writes all of buf, retrying short writes and EINTR. Returns 0, or -1 with errno set.
int tool_write_all(int fd, const void* buf, size_t len);

// Copies `in` to `out` until end of file. Returns 0, or 1 after reporting "NAME: IN_NAME: ..."
// (a read error) or "NAME: OUT_NAME: ..." (a write error).
int tool_copy(int in, const char* in_name, int out, const char* out_name);

// Opens PATH for reading as a stream; NULL or "-" is standard input. Returns NULL after
// reporting "NAME: PATH: reason".
FILE* tool_open_input(const char* path);

// Closes a stream from tool_open_input (standard input stays open).
void tool_close_input(FILE* file);

// Calls fn(file, name) for each of the `count` files named (standard input when count is 0, and
// for "-"), with a "==> NAME <==" line on standard output before each when `titles` and there are
// several. Returns the OR of fn's results, and 1 when a file does not open (reported).
int tool_each_input(int count, char** names, bool titles, int (*fn)(FILE* file, const char* name));

// Joins DIR and NAME with one '/' ("d" or "d/" and "x" give "d/x"; NAME may be "a/b/" style, then
// its first component only is used). Returns a malloc'ed path, or NULL after reporting "out of
// memory".
char* tool_path(const char* dir, const char* name);

// The last component of PATH ("a/b" and "a/b/" give "b" and "b/"; "/" gives "/").
const char* tool_base_name(const char* path);

// Calls fn(path, context) for each entry of the directory DIR but "." and "..", with path
// DIR/NAME, after reading the whole directory (fn may remove or add entries). Returns the OR of
// fn's results, or 1 after reporting a directory that cannot be read.
int tool_each_entry(const char* dir, int (*fn)(const char* path, void* context), void* context);

// The two forms of cp and mv: `SRC DST`, or `SRC... DIR` when there are more than two paths or
// the last is a directory; then each SRC goes to DIR/BASENAME. Calls fn(src, dst) for each pair.
// Returns the OR of fn's results, or 1 after reporting a missing or non-directory DIR.
int tool_each_target(int count, char** paths, int (*fn)(const char* src, const char* dst));

// Starts the program at PATH with the `argc` strings ARGS as its arguments (argv[0] first), the
// caller's standard descriptors, no environment and "/" as its working directory, after flushing
// the caller's streams. Returns warden_spawn's errno (E2BIG when the arguments pass 256 bytes);
// writes the child's id to *pid on success.
int32_t tool_spawn(const char* path, const char* const* args, uint32_t argc, uint32_t* pid);

// Startup code linked into every Warden program: enter the working directory the parent chose.
//
// Debian's wasi-libc (0.0~git20220510) keeps the working directory in the program itself: it
// starts as "/" whatever the environment says, relative paths are joined to it once chdir() is
// linked, and without chdir() a relative path is looked up exactly like an absolute one. The
// kernel passes the directory given to warden_spawn as PWD in the environment, next to one
// preopened directory named "/" (fd 3); entering PWD here, before main, makes "ls" and "cat file"
// in a child resolve against the parent's directory. See docs/programs.md.
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void warden_enter_working_directory(void) {
  const char* pwd = getenv("PWD");
  // A directory that is gone or not absolute leaves the program in "/", as plain WASI would.
  if (pwd != NULL && pwd[0] == '/') (void)chdir(pwd);
}

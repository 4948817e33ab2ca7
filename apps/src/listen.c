// listen: starts a server with a listening TCP socket, the way `./x wasm --tcplisten` and the
// boot argument `listen=` do.
//
//   listen ADDRESS:PORT PROGRAM [ARGUMENT...]     e.g.  listen *:80 httpd /www
//
// Makes the listener (warden_tcp_listen; "*:PORT" is every address of the machine), starts
// /bin/PROGRAM.wasm (or PROGRAM when it holds a '/') with the same standard descriptors, the
// preopened "/" at descriptor 3 and the listener at 4 (wasi-libc finds its preopens from 3 up and
// stops at the first descriptor that is not one), waits for it and ends with its status. In the
// foreground the program gets the console (Ctrl-C ends it); in the background it runs without.
// Exit status: the program's, 1 when the listener or the program cannot be made, 2 for a usage
// error.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#define MAX_ARGS 8192

static char packed[MAX_ARGS];

// The environment as warden_spawn takes it: "K=V\0" back to back.
extern char** environ;
static char env_packed[MAX_ARGS];

static int pack(char* out, size_t room, char** strings, int count, uint32_t* len) {
  size_t at = 0;
  for (int i = 0; i < count; ++i) {
    size_t n = strlen(strings[i]) + 1;
    if (at + n > room) return -1;
    memcpy(out + at, strings[i], n);
    at += n;
  }
  *len = (uint32_t)at;
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: listen ADDRESS:PORT PROGRAM [ARGUMENT...]\n");
    return 2;
  }
  const char* address = argv[1];
  uint32_t listener = 0;
  int32_t err = warden_tcp_listen(address, (uint32_t)strlen(address), 64, &listener);
  if (err != 0) {
    fprintf(stderr, "listen: %s: %s\n", address, strerror(err));
    return 1;
  }
  char path[512];
  if (strchr(argv[2], '/') != NULL) {
    snprintf(path, sizeof path, "%s", argv[2]);
  } else {
    snprintf(path, sizeof path, "/bin/%s.wasm", argv[2]);
  }
  uint32_t argv_len = 0, env_len = 0, envc = 0;
  if (pack(packed, sizeof packed, argv + 2, argc - 2, &argv_len) != 0) {
    fprintf(stderr, "listen: arguments too long\n");
    return 1;
  }
  while (environ != NULL && environ[envc] != NULL) ++envc;
  if (pack(env_packed, sizeof env_packed, environ, (int)envc, &env_len) != 0) {
    env_len = 0;
    envc = 0;
  }
  char cwd[1024];
  if (getcwd(cwd, sizeof cwd) == NULL) snprintf(cwd, sizeof cwd, "/");
  struct warden_fd_map fds[4] = {
      {0, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {2, 2, 0, 0, 0}, {4, listener, 0, 0, 0}};
  uint32_t pid = 0;
  err = warden_spawn_fds(path, (uint32_t)strlen(path), packed, argv_len, (uint32_t)(argc - 2),
                         env_packed, env_len, envc, cwd, (uint32_t)strlen(cwd), fds, 4,
                         WARDEN_SPAWN_FOREGROUND, &pid);
  if (err == EPERM) {  // in the background: no console to give
    err = warden_spawn_fds(path, (uint32_t)strlen(path), packed, argv_len, (uint32_t)(argc - 2),
                           env_packed, env_len, envc, cwd, (uint32_t)strlen(cwd), fds, 4, 0, &pid);
  }
  close((int)listener);  // the program holds the listener now
  if (err != 0) {
    fprintf(stderr, "listen: %s: %s\n", path, strerror(err));
    return 1;
  }
  struct warden_exit exit_info;
  char reason[256];
  err = warden_wait(pid, &exit_info, reason, sizeof reason);
  if (err != 0) {
    fprintf(stderr, "listen: wait: %s\n", strerror(err));
    return 1;
  }
  if (exit_info.end != WARDEN_END_EXITED && reason[0] != '\0') {
    fprintf(stderr, "listen: %s: %s\n", argv[2], reason);
  }
  return exit_info.code;
}

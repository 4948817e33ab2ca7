// Hostile: spawns children and never waits for them.
//
//   spawn_loop zombies    spawns children that exit at once until warden_spawn fails: ended
//                         children nobody waited for (program.unreaped) and running ones
//                         (program.children) are limited per parent, so it fails with EAGAIN
//                         instead of filling the kernel's program table for everyone; then waits
//                         for them all and spawns once more (that works again)
//   spawn_loop sleepers   spawns children that sleep until program.children of them run and
//                         spawn fails with EAGAIN, then ends them all
//   spawn_loop exit       exits 0
//   spawn_loop rest       sleeps for an hour
//
// Prints "MODE: N spawned, then ERROR" and "after waiting: spawn ERROR"; exits 0 when the
// attack was refused as documented, 1 otherwise.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#define SELF "/hostile/spawn_loop.wasm"
#define MAX_CHILDREN 4096

static uint32_t children[MAX_CHILDREN];

static int32_t start(const char* mode, uint32_t* pid) {
  char argv[32];
  int len = snprintf(argv, sizeof argv, "child%c%s", 0, mode) + 1;
  static const uint32_t stdio[3] = {0, 1, 2};
  return warden_spawn(SELF, sizeof SELF - 1, argv, (uint32_t)len, 2, "", 0, 0, "/", 1, stdio, 0,
                      pid);
}

static int32_t wait_for(uint32_t pid) {
  struct warden_exit exit;
  char reason[128];
  return warden_wait(pid, &exit, reason, sizeof reason);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "zombies";
  if (strcmp(mode, "exit") == 0) return 0;
  if (strcmp(mode, "rest") == 0) {
    sleep(3600);
    return 0;
  }
  int sleepers = strcmp(mode, "sleepers") == 0;
  uint32_t n = 0;
  int32_t err = 0;
  while (n < MAX_CHILDREN) {
    err = start(sleepers ? "rest" : "exit", &children[n]);
    if (err != 0) break;
    ++n;
  }
  printf("%s: %u spawned, then %s\n", mode, (unsigned)n, err != 0 ? strerror(err) : "no error");
  int ok = err == EAGAIN;
  for (uint32_t i = 0; i < n; ++i) {
    if (sleepers && warden_kill(children[i]) != 0) ok = 0;
    if (wait_for(children[i]) != 0) ok = 0;
  }
  uint32_t pid;
  err = start("exit", &pid);
  printf("after waiting: spawn %s\n", err != 0 ? strerror(err) : "works");
  if (err != 0 || wait_for(pid) != 0) ok = 0;
  return ok ? 0 : 1;
}

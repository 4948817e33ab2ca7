// Hostile: programs that read the console without owning it, and a foreground child that
// outlives the parent that gave it the console.
//
//   console_family read     reads one line from standard input and prints "read: LINE"
//   console_family hello    prints "hello"
//   console_family parent   starts `read` in the foreground (named "outliver") and exits at once
//   console_family shell    acts as a shell: runs `parent` in the foreground and waits for it;
//                           then must own the console again: switches the console's mode, runs
//                           `hello` in the foreground, prints "ready" and reads a line itself
//   console_family pipeline acts as a shell running a pipeline twice: `read` named "first" and
//                           "second" in one foreground group (WARDEN_SPAWN_GROUP), "ready N"
//                           once both are started, their ends once both ended; then owns the
//                           console again: switches its mode, prints "ready" and reads a line
//   console_family grab     without the console: asks for a foreground child, alone and in a
//                           group (both refused)
//
// kernel/ktest/hostile_authority_test.cc runs them and feeds the console.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <warden.h>

#define SELF "/hostile/console_family.wasm"

// Starts SELF as `name MODE` with the caller's stdio; returns the errno.
static int32_t start(const char* name, const char* mode, uint32_t flags, uint32_t* pid) {
  char argv[64];
  size_t a = strlen(name) + 1, b = strlen(mode) + 1;
  memcpy(argv, name, a);
  memcpy(argv + a, mode, b);
  static const uint32_t stdio[3] = {0, 1, 2};
  fflush(NULL);
  return warden_spawn(SELF, (uint32_t)strlen(SELF), argv, (uint32_t)(a + b), 2, "", 0, 0, "/", 1,
                      stdio, flags, pid);
}

static int run(const char* name, const char* mode) {
  uint32_t pid;
  int32_t err = start(name, mode, WARDEN_SPAWN_FOREGROUND, &pid);
  printf("start %s: %d\n", name, (int)err);
  if (err != 0) return 1;
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return 1;
  printf("%s: end %u, status %d\n", name, (unsigned)exit.end, (int)exit.code);
  return exit.end == WARDEN_END_EXITED && exit.code == 0 ? 0 : 1;
}

// Runs `read` twice as one foreground group, as a shell runs `read | read`: prints "ready
// ROUND" once both started, then how each ended. Returns 0 when both exited with status 0.
static int run_group(int round) {
  static const char* const kNames[2] = {"first", "second"};
  uint32_t pids[2];
  for (int i = 0; i < 2; ++i) {
    uint32_t flags = WARDEN_SPAWN_FOREGROUND | (i > 0 ? WARDEN_SPAWN_GROUP : 0);
    int32_t err = start(kNames[i], "read", flags, &pids[i]);
    printf("start %s: %d\n", kNames[i], (int)err);
    if (err != 0) return 1;
  }
  printf("ready %d\n", round);
  fflush(stdout);
  int failed = 0;
  for (int i = 0; i < 2; ++i) {
    struct warden_exit exit;
    char reason[128];
    if (warden_wait(pids[i], &exit, reason, sizeof reason) != 0) return 1;
    printf("%s: end %u, status %d\n", kNames[i], (unsigned)exit.end, (int)exit.code);
    failed |= exit.end != WARDEN_END_EXITED || exit.code != 0;
  }
  return failed;
}

static int read_line(const char* who) {
  char line[128];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("%s: end of input\n", who);
    return 1;
  }
  printf("%s read: %s", who, line);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc >= 2 ? argv[1] : "";
  if (strcmp(mode, "read") == 0) return read_line(argv[0]);
  if (strcmp(mode, "hello") == 0) {
    printf("hello\n");
    return 0;
  }
  if (strcmp(mode, "parent") == 0) {
    uint32_t pid;
    int32_t err = start("outliver", "read", WARDEN_SPAWN_FOREGROUND, &pid);
    printf("start outliver: %d\n", (int)err);
    return err == 0 ? 0 : 1;  // without waiting: the child outlives its parent
  }
  if (strcmp(mode, "pipeline") == 0) {
    uint32_t pid;
    printf("group alone: %d\n", (int)start("hello", "hello", WARDEN_SPAWN_GROUP, &pid));
    int failed = warden_console_mode(WARDEN_CONSOLE_COOKED) != 0;  // Ctrl-C acts when cooked
    failed |= run_group(1);                                        // each reads a line
    run_group(2);                                                  // Ctrl-C ends both
    int32_t err = warden_console_mode(WARDEN_CONSOLE_COOKED);
    printf("console mode: %d\n", (int)err);
    printf("ready\n");
    fflush(stdout);
    return failed | (err != 0) | read_line("shell");
  }
  if (strcmp(mode, "grab") == 0) {
    uint32_t pid;
    printf("alone: %d\n", (int)start("hello", "hello", WARDEN_SPAWN_FOREGROUND, &pid));
    printf("group: %d\n",
           (int)start("hello", "hello", WARDEN_SPAWN_FOREGROUND | WARDEN_SPAWN_GROUP, &pid));
    return 0;
  }
  if (strcmp(mode, "shell") == 0) {
    int failed = run("parent", "parent");
    int32_t err = warden_console_mode(WARDEN_CONSOLE_COOKED);
    printf("console mode: %d\n", (int)err);
    failed |= err != 0;
    failed |= run("hello", "hello");
    printf("ready\n");
    fflush(stdout);
    failed |= read_line("shell");
    return failed;
  }
  fprintf(stderr, "usage: console_family read|hello|parent|shell|pipeline|grab\n");
  return 2;
}

// Hostile: a program tries to end programs it did not start, and ends its own descendants.
//
//   kill_family X        the root: starts a resting sibling S and the attacker A, waits for A,
//                        then ends S (its own child) and exits with A's status
//   kill_family attack P S X
//                        tries warden_kill on its parent P, its sibling S, the unrelated program
//                        X, the first program (1) and itself: each must fail (EPERM; ESRCH for a
//                        program 1 that is gone); then ends a grandchild, an orphan whose parent
//                        ended (it answers to the attacker now) and a child: each must succeed.
//                        Exits with the number of answers that were not as documented.
//   kill_family rest     sleeps until ended
//   kill_family keeper   starts `rest` and waits for it: exits 0 when it ended killed
//   kill_family dropper  starts `rest` and exits at once, leaving it an orphan
//
// Every line it prints is "what: errno"; kernel/ktest/hostile_authority_test.cc checks them.
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#include "tool.h"

#define SELF "/hostile/kill_family.wasm"

// Starts SELF with `argc` arguments (argv[0] first) and the caller's stdio; returns the errno.
static int32_t start(const char* const* args, uint32_t argc, uint32_t* pid) {
  return tool_spawn(SELF, args, argc, pid);
}

// Waits for child `pid`; returns its end (enum warden_end), or -1.
static int wait_end(uint32_t pid) {
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return -1;
  return (int)exit.end;
}

// Finds a program in the kernel's list: the parent of `pid` (by_parent = 0), or a living child
// of `pid` (by_parent = 1). Returns 0 when there is none.
static uint32_t look_up(uint32_t pid, int by_parent) {
  struct warden_program programs[64];
  uint32_t count = 0;
  if (warden_list(programs, 64, &count) != 0) return 0;
  for (uint32_t i = 0; i < count && i < 64; ++i) {
    if (!by_parent && programs[i].pid == pid) return programs[i].parent;
    if (by_parent && programs[i].parent == pid && programs[i].state != WARDEN_STATE_ENDED) {
      return programs[i].pid;
    }
  }
  return 0;
}

// A living child of `pid`, once it is there (it may still be starting).
static uint32_t child_of(uint32_t pid) {
  for (;;) {
    uint32_t child = look_up(pid, 1);
    if (child != 0) return child;
    sched_yield();
  }
}

static int failures = 0;

// One warden_kill, reported as "what: errno", counted as a failure unless it answered `want`
// (or `also`).
static void try_kill(const char* what, uint32_t pid, int32_t want, int32_t also) {
  int32_t got = warden_kill(pid);
  printf("%s: %d\n", what, (int)got);
  if (got != want && got != also) ++failures;
}

static int attack(uint32_t parent, uint32_t sibling, uint32_t unrelated) {
  try_kill("parent", parent, EPERM, EPERM);
  try_kill("sibling", sibling, EPERM, EPERM);
  try_kill("unrelated", unrelated, EPERM, EPERM);
  try_kill("first program", 1, EPERM, ESRCH);
  try_kill("no such program", 0x7fffffff, ESRCH, ESRCH);

  // Its own child: allowed; and its own id (found as the child's parent): refused.
  static const char* const rest[] = {"rest", "rest"};
  uint32_t child;
  if (start(rest, 2, &child) != 0) return 100;
  try_kill("itself", look_up(child, 0), EPERM, EPERM);
  try_kill("child", child, 0, 0);
  if (wait_end(child) != WARDEN_END_KILLED) ++failures;

  // A grandchild: allowed; its parent sees it killed.
  static const char* const keeper[] = {"keeper", "keeper"};
  uint32_t middle;
  if (start(keeper, 2, &middle) != 0) return 100;
  try_kill("grandchild", child_of(middle), 0, 0);
  if (wait_end(middle) != WARDEN_END_EXITED) ++failures;

  // An orphan: its parent ended, so it answers to the attacker, its nearest living ancestor.
  static const char* const dropper[] = {"dropper", "dropper"};
  uint32_t gone;
  if (start(dropper, 2, &gone) != 0) return 100;
  uint32_t orphan = child_of(gone);
  if (wait_end(gone) != WARDEN_END_EXITED) ++failures;
  try_kill("orphan", orphan, 0, 0);
  return failures;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "rest") == 0) {
    for (;;) sleep(3600);
  }
  if (argc >= 2 && strcmp(argv[1], "keeper") == 0) {
    static const char* const rest[] = {"rest", "rest"};
    uint32_t child;
    if (start(rest, 2, &child) != 0) return 2;
    return wait_end(child) == WARDEN_END_KILLED ? 0 : 1;
  }
  if (argc >= 2 && strcmp(argv[1], "dropper") == 0) {
    static const char* const rest[] = {"rest", "rest"};
    uint32_t child;
    return start(rest, 2, &child) == 0 ? 0 : 2;
  }
  if (argc == 5 && strcmp(argv[1], "attack") == 0) {
    return attack((uint32_t)strtoul(argv[2], NULL, 10), (uint32_t)strtoul(argv[3], NULL, 10),
                  (uint32_t)strtoul(argv[4], NULL, 10));
  }
  if (argc != 2) {
    fprintf(stderr, "usage: kill_family UNRELATED_ID\n");
    return 2;
  }
  // The root: a sibling for the attacker, then the attacker with the ids it goes after.
  static const char* const rest[] = {"sibling", "rest"};
  uint32_t sibling, attacker;
  if (start(rest, 2, &sibling) != 0) return 100;
  char self_id[16], sibling_id[16];
  snprintf(self_id, sizeof self_id, "%u", (unsigned)look_up(sibling, 0));
  snprintf(sibling_id, sizeof sibling_id, "%u", (unsigned)sibling);
  const char* const attack_args[] = {"attacker", "attack", self_id, sibling_id, argv[1]};
  if (start(attack_args, 5, &attacker) != 0) return 100;
  struct warden_exit exit;
  char reason[128];
  if (warden_wait(attacker, &exit, reason, sizeof reason) != 0) return 100;
  // The sibling lived through the attack; its parent may end it.
  uint32_t still = look_up(sibling, 0);
  printf("sibling still there: %s\n", still != 0 ? "yes" : "no");
  try_kill("root ends its child", sibling, 0, 0);
  if (wait_end(sibling) != WARDEN_END_KILLED) ++failures;
  if (still == 0) ++failures;
  printf("attacker: end %u, status %d\n", (unsigned)exit.end, (int)exit.code);
  return exit.end == WARDEN_END_EXITED ? exit.code + failures : 100;
}

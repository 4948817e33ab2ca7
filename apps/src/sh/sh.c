// sh: Warden's shell, the first program the kernel runs. Reads commands from the console with line
// editing (raw mode), or line by line from a pipe or a script file (`sh FILE`), and runs programs
// from /bin through the `warden` import module. Commands and keys: docs/programs.md.
//
// The console is raw only while a line is being edited; builtins and programs run with it cooked.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#include "line.h"
#include "parse.h"

extern char** environ;

#define JOBS_MAX 32
#define REASON_MAX 256

struct job {
  uint32_t pid;  // 0: free slot
  char name[32];
};

static struct {
  char cwd[SH_PATH_MAX];  // absolute, normalized, no trailing '/' except for "/" itself
  bool prompt;            // stdin is a terminal: show prompts
  bool raw;               // ... and we may put the console in raw mode: edit lines ourselves
  int input;              // commands come from this descriptor when not editing
  int status;             // of the last command, for `exit` without a number
  struct job jobs[JOBS_MAX];
  struct sh_editor editor;
} g;

static void write_stdout(void* context, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, data, len);
    if (n <= 0) return;  // nowhere to show it; the shell goes on
    data += n;
    len -= (size_t)n;
  }
}

static void console_mode(uint32_t mode) {
  if (g.raw) (void)warden_console_mode(mode);
}

// --- Programs ---------------------------------------------------------------------------------

// Lists the programs the kernel knows. Returns a malloc'ed array (its length in *count), or NULL.
static struct warden_program* list_programs(uint32_t* count) {
  uint32_t max = 16;
  for (;;) {
    struct warden_program* programs = malloc(max * sizeof *programs);
    if (programs == NULL) return NULL;
    int32_t err = warden_list(programs, max, count);
    if (err != 0) {
      fprintf(stderr, "sh: cannot list programs: %s\n", strerror(err));
      free(programs);
      return NULL;
    }
    if (*count <= max) return programs;
    free(programs);
    max = *count + 8;  // more started meanwhile? ask again with room to spare
  }
}

static const char* state_name(uint32_t state) {
  switch (state) {
    case WARDEN_STATE_LOADING: return "loading";
    case WARDEN_STATE_READY: return "ready";
    case WARDEN_STATE_WAITING: return "waiting";
    case WARDEN_STATE_ENDED: return "ended";
    default: return "?";
  }
}

// How a program ended, in words: "exit status N", or the kernel's reason, or a fallback.
static void describe_end(const struct warden_exit* end, const char* reason, char* out, size_t len) {
  if (end->end == WARDEN_END_EXITED) {
    snprintf(out, len, "exit status %d", end->code);
  } else if (reason[0] != '\0') {
    snprintf(out, len, "%s", reason);
  } else if (end->end == WARDEN_END_TRAPPED) {
    snprintf(out, len, "trap (status %d)", end->code);
  } else if (end->end == WARDEN_END_KILLED) {
    snprintf(out, len, "killed");
  } else {
    snprintf(out, len, "did not start (status %d)", end->code);
  }
}

static struct job* find_job(uint32_t pid) {
  for (int i = 0; i < JOBS_MAX; ++i) {
    if (g.jobs[i].pid == pid) return &g.jobs[i];
  }
  return NULL;
}

// Waits for a background job and reports how it ended. Returns false when warden_wait failed.
static bool finish_job(struct job* job) {
  struct warden_exit end;
  char reason[REASON_MAX] = "";
  int32_t err = warden_wait(job->pid, &end, reason, sizeof reason);
  if (err != 0) {
    fprintf(stderr, "sh: wait %u: %s\n", (unsigned)job->pid, strerror(err));
    job->pid = 0;
    return false;
  }
  char what[REASON_MAX + 32];
  describe_end(&end, reason, what, sizeof what);
  if (end.end == WARDEN_END_EXITED) {
    printf("[%u] done status %d\n", (unsigned)job->pid, end.code);
  } else {
    printf("[%u] %s: %s\n", (unsigned)job->pid, job->name, what);
  }
  g.status = end.code;
  job->pid = 0;
  return true;
}

// Reports the background jobs that have ended, without blocking: a job is waited for only once
// warden_list shows it ENDED.
static void reap_finished_jobs(void) {
  bool any = false;
  for (int i = 0; i < JOBS_MAX; ++i) any |= g.jobs[i].pid != 0;
  if (!any) return;
  uint32_t count;
  struct warden_program* programs = list_programs(&count);
  if (programs == NULL) return;
  for (int i = 0; i < JOBS_MAX; ++i) {
    if (g.jobs[i].pid == 0) continue;
    bool listed = false;
    for (uint32_t k = 0; k < count; ++k) {
      if (programs[k].pid != g.jobs[i].pid) continue;
      listed = true;
      if (programs[k].state == WARDEN_STATE_ENDED) finish_job(&g.jobs[i]);
    }
    if (!listed) g.jobs[i].pid = 0;  // already waited for elsewhere: nothing left to report
  }
  free(programs);
  fflush(stdout);
}

// Packs strings back to back, each with its NUL. Returns a malloc'ed block (length in *len).
static char* pack_strings(char* const* strings, uint32_t count, uint32_t* len) {
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) total += strlen(strings[i]) + 1;
  char* block = malloc(total ? total : 1);
  if (block == NULL) return NULL;
  char* p = block;
  for (uint32_t i = 0; i < count; ++i) {
    size_t n = strlen(strings[i]) + 1;
    memcpy(p, strings[i], n);
    p += n;
  }
  *len = (uint32_t)total;
  return block;
}

// Starts the program a command names: /bin/NAME.wasm, or NAME itself (resolved against the
// working directory) when it contains a '/'. Returns 0 with *pid set, or a WASI errno after
// reporting it.
static int32_t start_program(const struct sh_command* cmd, uint32_t flags, uint32_t* pid) {
  const char* name = cmd->argv[0];
  char path[SH_PATH_MAX];
  bool fits = strchr(name, '/') != NULL
                  ? sh_resolve_path(g.cwd, name, path, sizeof path)
                  : snprintf(path, sizeof path, "/bin/%s.wasm", name) < (int)sizeof path;
  if (!fits) {
    fprintf(stderr, "sh: %s: name too long\n", name);
    return ENAMETOOLONG;
  }
  uint32_t envc = 0;
  while (environ != NULL && environ[envc] != NULL) ++envc;
  uint32_t argv_len = 0, env_len = 0;
  char* argv = pack_strings(cmd->argv, (uint32_t)cmd->argc, &argv_len);
  char* env = pack_strings(environ, envc, &env_len);
  int32_t err = ENOMEM;
  if (argv != NULL && env != NULL) {
    static const uint32_t stdio[3] = {0, 1, 2};
    fflush(NULL);  // what the shell printed must come before what the program prints
    err = warden_spawn(path, (uint32_t)strlen(path), argv, argv_len, (uint32_t)cmd->argc, env,
                       env_len, envc, g.cwd, (uint32_t)strlen(g.cwd), stdio, flags, pid);
  }
  free(argv);
  free(env);
  if (err == ENOENT) {
    fprintf(stderr, "sh: %s: not found\n", name);
  } else if (err != 0) {
    fprintf(stderr, "sh: %s: cannot start: %s\n", name, strerror(err));
  }
  return err;
}

static void run_program(const struct sh_command* cmd) {
  uint32_t pid;
  if (!cmd->background) {
    // The console is in cooked mode here (edit_line switches back after each line), so the program
    // gets line input with echo and Ctrl-C.
    if (start_program(cmd, WARDEN_SPAWN_FOREGROUND, &pid) != 0) {
      g.status = 127;
      return;
    }
    struct warden_exit end;
    char reason[REASON_MAX] = "";
    int32_t err = warden_wait(pid, &end, reason, sizeof reason);
    if (err != 0) {
      fprintf(stderr, "sh: wait %u: %s\n", (unsigned)pid, strerror(err));
      g.status = 1;
      return;
    }
    g.status = end.code;
    if (end.end != WARDEN_END_EXITED || end.code != 0) {
      char what[REASON_MAX + 32];
      describe_end(&end, reason, what, sizeof what);
      fprintf(stderr, "%s: %s\n", cmd->argv[0], what);
    }
    return;
  }
  struct job* slot = NULL;
  for (int i = 0; slot == NULL && i < JOBS_MAX; ++i) {
    if (g.jobs[i].pid == 0) slot = &g.jobs[i];
  }
  if (slot == NULL) {
    fprintf(stderr, "sh: too many background jobs (wait for some first)\n");
    g.status = 1;
    return;
  }
  if (start_program(cmd, 0, &pid) != 0) {
    g.status = 127;
    return;
  }
  slot->pid = pid;
  snprintf(slot->name, sizeof slot->name, "%s", cmd->argv[0]);
  printf("[%u] %s\n", (unsigned)pid, cmd->argv[0]);
  g.status = 0;
}

// --- Builtins ---------------------------------------------------------------------------------

// Parses a decimal id or status. Returns false for anything else.
static bool parse_number(const char* s, uint32_t* out) {
  char* end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

static int builtin_help(int argc, char** argv);

static int builtin_cd(int argc, char** argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: cd [DIR]\n");
    return 2;
  }
  char path[SH_PATH_MAX];
  if (!sh_resolve_path(g.cwd, argc == 2 ? argv[1] : "/", path, sizeof path)) {
    fprintf(stderr, "cd: %s: name too long\n", argv[1]);
    return 1;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    fprintf(stderr, "cd: %s: %s\n", argc == 2 ? argv[1] : "/", strerror(errno));
    return 1;
  }
  close(fd);
  // wasi-libc keeps its own working directory for the shell's own relative paths.
  if (chdir(path) != 0) {
    fprintf(stderr, "cd: %s: %s\n", argc == 2 ? argv[1] : "/", strerror(errno));
    return 1;
  }
  snprintf(g.cwd, sizeof g.cwd, "%s", path);
  setenv("PWD", g.cwd, 1);
  return 0;
}

static int builtin_pwd(int argc, char** argv) {
  printf("%s\n", g.cwd);
  return 0;
}

static int builtin_ps(int argc, char** argv) {
  uint32_t count;
  struct warden_program* programs = list_programs(&count);
  if (programs == NULL) return 1;
  printf("%5s %6s %-8s %4s %9s %9s  %s\n", "ID", "PARENT", "STATE", "HART", "MEM KiB", "CPU ms",
         "NAME");
  for (uint32_t i = 0; i < count; ++i) {
    const struct warden_program* p = &programs[i];
    printf("%5u %6u %-8s %4u %9llu %9llu  %.*s\n", (unsigned)p->pid, (unsigned)p->parent,
           state_name(p->state), (unsigned)p->hart, (unsigned long long)(p->memory_bytes / 1024),
           (unsigned long long)(p->cpu_ns / 1000000), (int)sizeof p->name, p->name);
  }
  free(programs);
  return 0;
}

static int builtin_kill(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: kill ID...\n");
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    uint32_t pid;
    if (!parse_number(argv[i], &pid)) {
      fprintf(stderr, "kill: %s: not a program id\n", argv[i]);
      status = 2;
      continue;
    }
    int32_t err = warden_kill(pid);
    if (err == ESRCH) {
      fprintf(stderr, "kill: %s: no such program\n", argv[i]);
      status = 1;
    } else if (err != 0) {
      fprintf(stderr, "kill: %s: %s\n", argv[i], strerror(err));
      status = 1;
    }
  }
  return status;
}

static int builtin_jobs(int argc, char** argv) {
  uint32_t count = 0;
  struct warden_program* programs = list_programs(&count);
  for (int i = 0; i < JOBS_MAX; ++i) {
    if (g.jobs[i].pid == 0) continue;
    const char* state = "?";
    for (uint32_t k = 0; programs != NULL && k < count; ++k) {
      if (programs[k].pid == g.jobs[i].pid) state = state_name(programs[k].state);
    }
    printf("[%u] %-8s %s\n", (unsigned)g.jobs[i].pid, state, g.jobs[i].name);
  }
  free(programs);
  return 0;
}

static int builtin_wait(int argc, char** argv) {
  if (argc == 1) {
    for (int i = 0; i < JOBS_MAX; ++i) {
      if (g.jobs[i].pid != 0) finish_job(&g.jobs[i]);
    }
    return g.status;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    uint32_t pid;
    if (!parse_number(argv[i], &pid)) {
      fprintf(stderr, "wait: %s: not a program id\n", argv[i]);
      status = 2;
      continue;
    }
    struct job* job = find_job(pid);
    if (job == NULL) {
      fprintf(stderr, "wait: %s: not a background job of this shell\n", argv[i]);
      status = 1;
      continue;
    }
    status = finish_job(job) ? g.status : 1;
  }
  return status;
}

static int builtin_stats(int argc, char** argv) {
  static char report[8192];
  uint32_t written = 0;
  int32_t err = warden_stats(report, sizeof report, &written);
  if (err != 0) {
    fprintf(stderr, "stats: %s\n", strerror(err));
    return 1;
  }
  if (written >= sizeof report) written = sizeof report - 1;
  fwrite(report, 1, written, stdout);
  if (written > 0 && report[written - 1] != '\n') putchar('\n');
  return 0;
}

static int builtin_exit(int argc, char** argv) {
  uint32_t status = (uint32_t)g.status;
  if (argc > 2 || (argc == 2 && (!parse_number(argv[1], &status) || status > 255))) {
    fprintf(stderr, "usage: exit [STATUS 0..255]\n");
    return 2;
  }
  console_mode(WARDEN_CONSOLE_COOKED);
  fflush(NULL);
  exit((int)status);
}

static const struct builtin {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* usage;
} kBuiltins[] = {
    {"help", builtin_help, "help             this list, and the programs in /bin"},
    {"cd", builtin_cd, "cd [DIR]         change the working directory (default /)"},
    {"pwd", builtin_pwd, "pwd              print the working directory"},
    {"ps", builtin_ps, "ps               list the programs running"},
    {"kill", builtin_kill, "kill ID...       end programs"},
    {"jobs", builtin_jobs, "jobs             the background programs not yet waited for"},
    {"wait", builtin_wait, "wait [ID...]     wait for background programs (default: all)"},
    {"stats", builtin_stats, "stats            memory and scheduler statistics"},
    {"exit", builtin_exit, "exit [N]         leave the shell with status N"},
};

static int compare_names(const void* a, const void* b) { return strcmp(a, b); }

static int builtin_help(int argc, char** argv) {
  printf("Commands:\n");
  for (size_t i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; ++i) {
    printf("  %s\n", kBuiltins[i].usage);
  }
  printf("  NAME [ARGS...]   run /bin/NAME.wasm; add '&' at the end to run it in the background\n");
  printf(
      "Keys: Left/Right, Home/End (Ctrl-A/E), Backspace, Ctrl-U, Up/Down (history),\n"
      "      Ctrl-C (drop the line), Ctrl-D (on an empty line: leave)\n");
  DIR* bin = opendir("/bin");
  if (bin == NULL) return 0;
  char names[128][32];
  size_t count = 0;
  struct dirent* entry;
  while ((entry = readdir(bin)) != NULL && count < sizeof names / sizeof names[0]) {
    size_t n = strlen(entry->d_name);
    if (n > 5 && n - 5 < sizeof names[0] && strcmp(entry->d_name + n - 5, ".wasm") == 0) {
      snprintf(names[count++], sizeof names[0], "%.*s", (int)(n - 5), entry->d_name);
    }
  }
  closedir(bin);
  qsort(names, count, sizeof names[0], compare_names);
  printf("Programs:");
  for (size_t i = 0; i < count; ++i) printf(" %s", names[i]);
  printf("\n");
  return 0;
}

static void run_line(const char* line) {
  struct sh_command cmd;
  char error[64];
  if (!sh_parse(line, &cmd, error, sizeof error)) {
    fprintf(stderr, "sh: %s\n", error);
    g.status = 2;
    return;
  }
  if (cmd.argc == 0) return;
  for (size_t i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; ++i) {
    if (strcmp(cmd.argv[0], kBuiltins[i].name) != 0) continue;
    if (cmd.background) fprintf(stderr, "sh: %s: a builtin runs in the foreground\n", cmd.argv[0]);
    g.status = kBuiltins[i].run(cmd.argc, cmd.argv);
    return;
  }
  run_program(&cmd);
}

// --- Input ------------------------------------------------------------------------------------

// Reads one line with the line editor. Returns false at the end of input.
static bool edit_line(char* line, size_t len) {
  char prompt[SH_PATH_MAX + 16];
  snprintf(prompt, sizeof prompt, "warden:%s$ ", g.cwd);
  console_mode(WARDEN_CONSOLE_RAW);
  sh_editor_start(&g.editor, prompt);
  for (;;) {
    unsigned char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      console_mode(WARDEN_CONSOLE_COOKED);
      write_stdout(NULL, "\n", 1);
      return false;
    }
    switch (sh_editor_feed(&g.editor, c)) {
      case SH_EDIT_MORE: continue;
      case SH_EDIT_CANCEL:
        g.status = 130;
        sh_editor_start(&g.editor, prompt);
        continue;
      case SH_EDIT_EOF: console_mode(WARDEN_CONSOLE_COOKED); return false;
      case SH_EDIT_LINE:
        console_mode(WARDEN_CONSOLE_COOKED);
        snprintf(line, len, "%s", g.editor.line);
        sh_history_add(&g.editor, line);
        return true;
    }
  }
}

// Reads one line without editing (a pipe, a script, or a console we may not switch to raw), a
// byte at a time: the programs the shell starts share its standard input, so the shell must not
// read ahead of the line it runs. Returns false at the end of input.
static bool read_line(char* line, size_t len) {
  if (g.prompt) {
    printf("warden:%s$ ", g.cwd);
    fflush(stdout);
  }
  size_t n = 0;
  bool too_long = false;
  for (;;) {
    char c;
    ssize_t got = read(g.input, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (n == 0 && !too_long) return false;
      break;  // the last line, without a newline
    }
    if (c == '\n') break;
    if (n + 1 < len) {
      line[n++] = c;
    } else {
      too_long = true;
    }
  }
  line[n] = '\0';
  if (too_long) {
    fprintf(stderr, "sh: line too long (over %zu bytes)\n", len - 1);
    line[0] = '\0';
    g.status = 2;
  }
  return true;
}

int main(int argc, char** argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: sh [SCRIPT]\n");
    return 2;
  }
  // The working directory comes from PWD (entered before main, apps/lib/cwd.c).
  char start[SH_PATH_MAX];
  if (getcwd(start, sizeof start) == NULL || !sh_resolve_path("/", start, g.cwd, sizeof g.cwd)) {
    snprintf(g.cwd, sizeof g.cwd, "/");
  }
  setenv("PWD", g.cwd, 1);
  g.input = STDIN_FILENO;
  if (argc == 2) {
    g.input = open(argv[1], O_RDONLY);
    if (g.input < 0) {
      fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
      return 127;
    }
  } else if (isatty(STDIN_FILENO)) {
    g.prompt = true;
    g.raw = warden_console_mode(WARDEN_CONSOLE_RAW) == 0;
    console_mode(WARDEN_CONSOLE_COOKED);
  }
  sh_editor_init(&g.editor, write_stdout, NULL);
  char line[SH_LINE_MAX];
  for (;;) {
    reap_finished_jobs();
    fflush(NULL);
    bool more = g.raw ? edit_line(line, sizeof line) : read_line(line, sizeof line);
    if (!more) break;
    run_line(line);
  }
  fflush(NULL);
  return g.status;
}

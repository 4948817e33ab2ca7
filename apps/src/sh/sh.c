// sh: Warden's shell, the first program the kernel runs. Reads commands from the console with line
// editing (raw mode), or line by line from a pipe or a script file (`sh FILE`), and runs programs
// from /bin through the `warden` import module. Its language (lists, pipelines, redirections,
// variables) is parsed and expanded by parse.c; commands and keys: docs/programs.md.
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

// A background pipeline: its programs, in order; the last one's end is the job's.
struct job {
  int count;  // 0: free slot
  uint32_t pids[SH_COMMANDS_MAX];
  bool waited[SH_COMMANDS_MAX];
  char name[64];                 // the commands' names, "a | b"
  char report[REASON_MAX + 96];  // how the last program ended, once it has
};

static struct {
  char cwd[SH_PATH_MAX];  // absolute, normalized, no trailing '/' except for "/" itself
  bool prompt;            // stdin is a terminal: show prompts
  bool raw;               // ... and we may put the console in raw mode: edit lines ourselves
  int input;              // commands come from this descriptor when not editing
  int status;             // of the last pipeline: $?, and `exit` without a number
  struct job jobs[JOBS_MAX];
  struct sh_editor editor;
  struct sh_line line;  // the line being run
  struct sh_argv argv;  // the command being started, expanded
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

// Variables for expansion: $? is the last status, any other name the environment's.
static const char* lookup(void* context, const char* name, size_t len) {
  static char value[16];
  if (len == 1 && name[0] == '?') {
    snprintf(value, sizeof value, "%d", g.status);
    return value;
  }
  char key[SH_LINE_MAX];  // a name is part of a line
  snprintf(key, sizeof key, "%.*s", (int)len, name);
  return getenv(key);
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

// Waits for program pid. Returns its status, or -1 when warden_wait failed (reported). Writes how
// it ended in words to `what` unless it exited (with any status: that is $?, and a program says
// itself what went wrong): a trap, a kill, a failure to start; otherwise `what` is empty.
static int wait_program(uint32_t pid, char* what, size_t len) {
  struct warden_exit end;
  char reason[REASON_MAX] = "";
  what[0] = '\0';
  int32_t err = warden_wait(pid, &end, reason, sizeof reason);
  if (err != 0) {
    fprintf(stderr, "sh: wait %u: %s\n", (unsigned)pid, strerror(err));
    return -1;
  }
  if (end.end == WARDEN_END_EXITED) return end.code;
  if (reason[0] != '\0') {
    snprintf(what, len, "%s", reason);
  } else if (end.end == WARDEN_END_TRAPPED) {
    snprintf(what, len, "trap (status %d)", end.code);
  } else if (end.end == WARDEN_END_KILLED) {
    snprintf(what, len, "killed");
  } else {
    snprintf(what, len, "did not start (status %d)", end.code);
  }
  return end.code;
}

static struct job* find_job(uint32_t pid) {
  for (int i = 0; i < JOBS_MAX; ++i) {
    for (int k = 0; k < g.jobs[i].count; ++k) {
      if (g.jobs[i].pids[k] == pid) return &g.jobs[i];
    }
  }
  return NULL;
}

// Waits for the k-th program of a background job. When it was the job's last one to end, prints
// how the job ended ("[ID] done status N" or "[ID] NAME: REASON", ID the last program's) and
// frees the slot. Returns the program's status, or -1 when warden_wait failed.
static int finish_job_program(struct job* job, int k) {
  char what[REASON_MAX + 32];
  int last = job->count - 1;
  int status = wait_program(job->pids[k], what, sizeof what);
  job->waited[k] = true;
  if (k == last) {
    if (what[0] != '\0' || status < 0) {
      snprintf(job->report, sizeof job->report, "[%u] %s: %s", (unsigned)job->pids[k], job->name,
               status < 0 ? "not waited for" : what);
    } else {
      snprintf(job->report, sizeof job->report, "[%u] done status %d", (unsigned)job->pids[k],
               status);
    }
  } else if (what[0] != '\0') {
    printf("[%u] %s: %s\n", (unsigned)job->pids[k], job->name, what);
  }
  for (int i = 0; i < job->count; ++i) {
    if (!job->waited[i]) return status;
  }
  printf("%s\n", job->report);
  job->count = 0;
  return status;
}

// Waits for every program of a job still running. Returns the last program's status (-1 when it
// could not be waited for).
static int finish_job(struct job* job) {
  int status = -1;
  for (int k = 0, count = job->count; k < count; ++k) {
    if (job->waited[k]) continue;
    int s = finish_job_program(job, k);
    if (k == count - 1) status = s;
  }
  return status;
}

// Reports the background jobs that have ended, without blocking: a program is waited for only
// once warden_list shows it ENDED.
static void reap_finished_jobs(void) {
  bool any = false;
  for (int i = 0; i < JOBS_MAX; ++i) any |= g.jobs[i].count != 0;
  if (!any) return;
  uint32_t count;
  struct warden_program* programs = list_programs(&count);
  if (programs == NULL) return;
  for (int i = 0; i < JOBS_MAX; ++i) {
    struct job* job = &g.jobs[i];
    for (int k = 0, n = job->count; k < n && job->count != 0; ++k) {
      if (job->waited[k]) continue;
      uint32_t state = WARDEN_STATE_ENDED;  // not listed: waited for elsewhere, nothing to wait for
      for (uint32_t p = 0; p < count; ++p) {
        if (programs[p].pid == job->pids[k]) state = programs[p].state;
      }
      if (state == WARDEN_STATE_ENDED) finish_job_program(job, k);
    }
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

// Starts the program argv names: /bin/NAME.wasm, or NAME itself (resolved against the working
// directory) when it contains a '/', with the shell's environment and working directory, and
// stdio[i] as its descriptor i; `flags` as warden_spawn's, except that without the console a
// WARDEN_SPAWN_FOREGROUND program starts without it too. Returns 0 with *pid set, or a WASI
// errno after reporting it.
static int32_t start_program(const struct sh_argv* args, const int stdio[3], uint32_t flags,
                             uint32_t* pid) {
  const char* name = args->argv[0];
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
  char* argv = pack_strings(args->argv, (uint32_t)args->argc, &argv_len);
  char* env = pack_strings(environ, envc, &env_len);
  int32_t err = ENOMEM;
  if (argv != NULL && env != NULL) {
    const uint32_t descriptors[3] = {(uint32_t)stdio[0], (uint32_t)stdio[1], (uint32_t)stdio[2]};
    fflush(NULL);  // what the shell printed must come before what the program prints
    for (;;) {
      err = warden_spawn(path, (uint32_t)strlen(path), argv, argv_len, (uint32_t)args->argc, env,
                         env_len, envc, g.cwd, (uint32_t)strlen(g.cwd), descriptors, flags, pid);
      if (err != EPERM || (flags & WARDEN_SPAWN_FOREGROUND) == 0) break;
      flags = 0;  // the console is not the shell's (a script run in the background)
    }
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

// --- Redirections and pipes -------------------------------------------------------------------

// The descriptors a command gets: stdio[i] is the shell's descriptor that becomes the command's
// descriptor i; `opened` are the files (and pipe ends) the shell opened for it, closed once the
// command has started.
struct plumbing {
  int stdio[3];
  int opened[SH_REDIRS_MAX + 2];
  int opened_count;
};

static void close_opened(struct plumbing* io) {
  for (int i = 0; i < io->opened_count; ++i) close(io->opened[i]);
  io->opened_count = 0;
}

// Applies a command's redirections to io->stdio, in order, opening their files. Returns false
// after reporting a file that does not open.
static bool redirect(const struct sh_command* cmd, struct plumbing* io) {
  for (int i = 0; i < cmd->redir_count; ++i) {
    const struct sh_redir* r = &cmd->redirs[i];
    // FIXME(spawn-fds): descriptors above 2 need the spawn extension of docs/programs.md,
    // "Pipelines and descriptors".
    if (r->fd > 2 || (r->op == SH_REDIR_DUP && r->from > 2)) {
      fprintf(stderr, "sh: only descriptors 0, 1 and 2 can be redirected (not %d)\n",
              r->fd > 2 ? r->fd : r->from);
      return false;
    }
    if (r->op == SH_REDIR_DUP) {
      io->stdio[r->fd] = io->stdio[r->from];
      continue;
    }
    char path[SH_PATH_MAX];
    if (!sh_expand_word(r->word, lookup, NULL, path, sizeof path)) {
      fprintf(stderr, "sh: %s: name too long\n", r->word);
      return false;
    }
    if (path[0] == '\0') {
      fprintf(stderr, "sh: %s: redirection to an empty name\n", r->word);
      return false;
    }
    int flags = r->op == SH_REDIR_IN    ? O_RDONLY
                : r->op == SH_REDIR_OUT ? O_WRONLY | O_CREAT | O_TRUNC
                                        : O_WRONLY | O_CREAT | O_APPEND;
    int fd = open(path, flags, 0666);
    if (fd < 0) {
      fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
      return false;
    }
    io->opened[io->opened_count++] = fd;
    io->stdio[r->fd] = fd;
  }
  return true;
}

// Opens a pipe: ends[0] to read, ends[1] to write. Returns 0 or a WASI errno.
static int32_t open_pipe(int ends[2]) {
  uint32_t read_end, write_end;
  int32_t err = warden_pipe(&read_end, &write_end);
  ends[0] = err == 0 ? (int)read_end : -1;
  ends[1] = err == 0 ? (int)write_end : -1;
  return err;
}

// --- Builtins ---------------------------------------------------------------------------------

// Where a builtin writes: the shell's descriptors for the builtin's standard output and error
// (redirections apply to builtins too).
struct io {
  int out, err;
};

// Parses a decimal id or status. Returns false for anything else.
static bool parse_number(const char* s, uint32_t* out) {
  char* end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

static int builtin_help(int argc, char** argv, const struct io* io);

static int builtin_cd(int argc, char** argv, const struct io* io) {
  if (argc > 2) {
    dprintf(io->err, "usage: cd [DIR]\n");
    return 2;
  }
  const char* dir = argc == 2 ? argv[1] : "/";
  char path[SH_PATH_MAX];
  if (!sh_resolve_path(g.cwd, dir, path, sizeof path)) {
    dprintf(io->err, "cd: %s: name too long\n", dir);
    return 1;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    dprintf(io->err, "cd: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  close(fd);
  // wasi-libc keeps its own working directory for the shell's own relative paths.
  if (chdir(path) != 0) {
    dprintf(io->err, "cd: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  snprintf(g.cwd, sizeof g.cwd, "%s", path);
  setenv("PWD", g.cwd, 1);
  return 0;
}

static int builtin_pwd(int argc, char** argv, const struct io* io) {
  dprintf(io->out, "%s\n", g.cwd);
  return 0;
}

static int builtin_ps(int argc, char** argv, const struct io* io) {
  uint32_t count;
  struct warden_program* programs = list_programs(&count);
  if (programs == NULL) return 1;
  dprintf(io->out, "%5s %6s %-8s %4s %9s %9s  %s\n", "ID", "PARENT", "STATE", "HART", "MEM KiB",
          "CPU ms", "NAME");
  for (uint32_t i = 0; i < count; ++i) {
    const struct warden_program* p = &programs[i];
    dprintf(io->out, "%5u %6u %-8s %4u %9llu %9llu  %.*s\n", (unsigned)p->pid, (unsigned)p->parent,
            state_name(p->state), (unsigned)p->hart, (unsigned long long)(p->memory_bytes / 1024),
            (unsigned long long)(p->cpu_ns / 1000000), (int)sizeof p->name, p->name);
  }
  free(programs);
  return 0;
}

static int builtin_kill(int argc, char** argv, const struct io* io) {
  if (argc < 2) {
    dprintf(io->err, "usage: kill ID...\n");
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    uint32_t pid;
    if (!parse_number(argv[i], &pid)) {
      dprintf(io->err, "kill: %s: not a program id\n", argv[i]);
      status = 2;
      continue;
    }
    int32_t err = warden_kill(pid);
    if (err == ESRCH) {
      dprintf(io->err, "kill: %s: no such program\n", argv[i]);
      status = 1;
    } else if (err != 0) {
      dprintf(io->err, "kill: %s: %s\n", argv[i], strerror(err));
      status = 1;
    }
  }
  return status;
}

static int builtin_jobs(int argc, char** argv, const struct io* io) {
  uint32_t count = 0;
  struct warden_program* programs = list_programs(&count);
  for (int i = 0; i < JOBS_MAX; ++i) {
    const struct job* job = &g.jobs[i];
    if (job->count == 0) continue;
    uint32_t last = job->pids[job->count - 1];
    const char* state = job->waited[job->count - 1] ? "ended" : "?";
    for (uint32_t k = 0; programs != NULL && k < count; ++k) {
      if (programs[k].pid == last) state = state_name(programs[k].state);
    }
    dprintf(io->out, "[%u] %-8s %s\n", (unsigned)last, state, job->name);
  }
  free(programs);
  return 0;
}

static int builtin_wait(int argc, char** argv, const struct io* io) {
  fflush(stdout);  // job reports go through stdout
  int status = 0;
  if (argc == 1) {
    for (int i = 0; i < JOBS_MAX; ++i) {
      if (g.jobs[i].count != 0) status = finish_job(&g.jobs[i]);
    }
    fflush(stdout);
    return status < 0 ? 1 : status;
  }
  for (int i = 1; i < argc; ++i) {
    uint32_t pid;
    if (!parse_number(argv[i], &pid)) {
      dprintf(io->err, "wait: %s: not a program id\n", argv[i]);
      status = 2;
      continue;
    }
    struct job* job = find_job(pid);
    if (job == NULL) {
      dprintf(io->err, "wait: %s: not a background job of this shell\n", argv[i]);
      status = 1;
      continue;
    }
    status = finish_job(job);
    if (status < 0) status = 1;
  }
  fflush(stdout);
  return status;
}

static int builtin_stats(int argc, char** argv, const struct io* io) {
  static char report[8192];
  uint32_t written = 0;
  int32_t err = warden_stats(report, sizeof report, &written);
  if (err != 0) {
    dprintf(io->err, "stats: %s\n", strerror(err));
    return 1;
  }
  if (written >= sizeof report) written = sizeof report - 1;
  dprintf(io->out, "%.*s%s", (int)written, report,
          written > 0 && report[written - 1] != '\n' ? "\n" : "");
  return 0;
}

// Whether text is NAME=VALUE with a valid NAME.
static bool is_assignment(const char* text) {
  const char* equals = strchr(text, '=');
  return equals != NULL && sh_is_name(text, (size_t)(equals - text));
}

static int builtin_env(int argc, char** argv, const struct io* io) {
  if (argc > 1) {
    dprintf(io->err, "usage: env (export K=V and unset K change it)\n");
    return 2;
  }
  for (char** e = environ; e != NULL && *e != NULL; ++e) dprintf(io->out, "%s\n", *e);
  return 0;
}

// Sets NAME=VALUE in the environment, which every program started gets.
static int assign(const char* text, const struct io* io) {
  const char* equals = strchr(text, '=');
  char name[SH_LINE_MAX];
  snprintf(name, sizeof name, "%.*s", (int)(equals - text), text);
  if (setenv(name, equals + 1, 1) != 0) {
    dprintf(io->err, "sh: %s: %s\n", name, strerror(errno));
    return 1;
  }
  return 0;
}

static int builtin_export(int argc, char** argv, const struct io* io) {
  if (argc == 1) return builtin_env(argc, argv, io);
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    if (is_assignment(argv[i])) {
      status |= assign(argv[i], io);
    } else if (!sh_is_name(argv[i], strlen(argv[i]))) {
      dprintf(io->err, "export: %s: not a variable name\n", argv[i]);
      status = 1;
    }
    // `export NAME` alone: every variable is in the environment already.
  }
  return status;
}

static int builtin_unset(int argc, char** argv, const struct io* io) {
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    if (!sh_is_name(argv[i], strlen(argv[i]))) {
      dprintf(io->err, "unset: %s: not a variable name\n", argv[i]);
      status = 1;
    } else {
      unsetenv(argv[i]);
    }
  }
  return status;
}

static int builtin_exit(int argc, char** argv, const struct io* io) {
  uint32_t status = (uint32_t)g.status;
  if (argc > 2 || (argc == 2 && (!parse_number(argv[1], &status) || status > 255))) {
    dprintf(io->err, "usage: exit [STATUS 0..255]\n");
    return 2;
  }
  console_mode(WARDEN_CONSOLE_COOKED);
  fflush(NULL);
  exit((int)status);
}

static const struct builtin {
  const char* name;
  int (*run)(int argc, char** argv, const struct io* io);
  const char* usage;
} kBuiltins[] = {
    {"help", builtin_help, "help             this list, and the programs in /bin"},
    {"cd", builtin_cd, "cd [DIR]         change the working directory (default /)"},
    {"pwd", builtin_pwd, "pwd              print the working directory"},
    {"export", builtin_export, "export K=V...    set variables (every variable is exported)"},
    {"unset", builtin_unset, "unset K...       remove variables"},
    {"env", builtin_env, "env              print the variables"},
    {"ps", builtin_ps, "ps               list the programs running"},
    {"kill", builtin_kill, "kill ID...       end programs"},
    {"jobs", builtin_jobs, "jobs             the background jobs not yet waited for"},
    {"wait", builtin_wait, "wait [ID...]     wait for background jobs (default: all)"},
    {"stats", builtin_stats, "stats            memory and scheduler statistics"},
    {"exit", builtin_exit, "exit [N]         leave the shell with status N (default: $?)"},
};

static int compare_names(const void* a, const void* b) { return strcmp(a, b); }

static int builtin_help(int argc, char** argv, const struct io* io) {
  dprintf(io->out, "Builtins:\n");
  for (size_t i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; ++i) {
    dprintf(io->out, "  %s\n", kBuiltins[i].usage);
  }
  dprintf(io->out,
          "  NAME [ARGS...]   run /bin/NAME.wasm (or the file NAME when it has a '/')\n"
          "Syntax: a; b   a && b   a || b   a &   a | b | c\n"
          "        < FILE  > FILE  >> FILE  2> FILE  2>&1   $NAME ${NAME} $?   NAME=VALUE\n"
          "        '...' (as written)  \"...\" ($NAME expands)  \\C  # comment\n"
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
  // The names wrapped at 78 columns.
  size_t column = 0;
  dprintf(io->out, "Programs (in /bin):");
  column = 19;
  for (size_t i = 0; i < count; ++i) {
    size_t n = strlen(names[i]) + 1;
    if (column + n > 78) {
      dprintf(io->out, "\n ");
      column = 1;
    }
    dprintf(io->out, " %s", names[i]);
    column += n;
  }
  dprintf(io->out, "\n");
  return 0;
}

static const struct builtin* find_builtin(const char* name) {
  for (size_t i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; ++i) {
    if (strcmp(name, kBuiltins[i].name) == 0) return &kBuiltins[i];
  }
  return NULL;
}

// --- Running a line ---------------------------------------------------------------------------

// Runs a command that is a builtin or assignments, with its redirections. Returns its status.
static int run_builtin(const struct builtin* builtin, const struct sh_command* cmd) {
  struct plumbing io = {{STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}, {0}, 0};
  int status = 1;
  if (redirect(cmd, &io)) {
    struct io out = {io.stdio[1], io.stdio[2]};
    fflush(NULL);  // the shell's buffered output comes first
    if (builtin != NULL) {
      status = builtin->run(g.argv.argc, g.argv.argv, &out);
    } else {
      status = 0;
      for (int i = 0; i < g.argv.argc; ++i) status |= assign(g.argv.argv[i], &out);
    }
  }
  close_opened(&io);
  return status;
}

// Records a started background pipeline (a free slot was checked for before it started) and
// prints "[ID] NAME".
static void add_job(const uint32_t* pids, int count, const char* name) {
  struct job* slot = NULL;
  for (int i = 0; slot == NULL && i < JOBS_MAX; ++i) {
    if (g.jobs[i].count == 0) slot = &g.jobs[i];
  }
  if (slot == NULL) return;  // checked before starting: cannot happen
  memcpy(slot->pids, pids, (size_t)count * sizeof *pids);
  memset(slot->waited, 0, sizeof slot->waited);
  slot->count = count;
  snprintf(slot->name, sizeof slot->name, "%s", name);
  printf("[%u] %s\n", (unsigned)pids[count - 1], slot->name);
}

static bool job_slot_free(void) {
  for (int i = 0; i < JOBS_MAX; ++i) {
    if (g.jobs[i].count == 0) return true;
  }
  return false;
}

// Runs a pipeline: its commands started left to right, each one's standard output the next one's
// standard input, then redirections. In the foreground it waits for them all and returns the last
// one's status; in the background it records them as a job and returns 0.
static int run_pipeline(const struct sh_pipeline* pipeline, bool background) {
  char error[64];
  if (background && !job_slot_free()) {
    fprintf(stderr, "sh: too many background jobs (wait for some first)\n");
    return 1;
  }
  if (pipeline->command_count == 1) {
    const struct sh_command* cmd = &pipeline->commands[0];
    if (!sh_expand_command(cmd, lookup, NULL, &g.argv, error, sizeof error)) {
      fprintf(stderr, "sh: %s\n", error);
      return 2;
    }
    bool assignments = g.argv.argc > 0;
    for (int i = 0; i < g.argv.argc; ++i) assignments &= is_assignment(g.argv.argv[i]);
    const struct builtin* builtin = g.argv.argc > 0 ? find_builtin(g.argv.argv[0]) : NULL;
    if (g.argv.argc == 0 || assignments || builtin != NULL) {
      if (background && builtin != NULL) {
        fprintf(stderr, "sh: %s: a builtin runs in the foreground\n", g.argv.argv[0]);
      }
      return run_builtin(builtin, cmd);
    }
  }
  uint32_t pids[SH_COMMANDS_MAX];
  char names[SH_COMMANDS_MAX][32];  // argv[0] of each program started
  int started = 0;
  int status = 0;
  int input = -1;  // the read end of the pipe from the command before, if any
  for (int i = 0; i < pipeline->command_count; ++i) {
    const struct sh_command* cmd = &pipeline->commands[i];
    bool last = i == pipeline->command_count - 1;
    struct plumbing io = {{STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}, {0}, 0};
    if (input >= 0) {
      io.stdio[0] = input;
      io.opened[io.opened_count++] = input;
      input = -1;
    }
    status = 2;
    if (!sh_expand_command(cmd, lookup, NULL, &g.argv, error, sizeof error)) {
      fprintf(stderr, "sh: %s\n", error);
    } else if (g.argv.argc == 0 || find_builtin(g.argv.argv[0]) != NULL) {
      fprintf(stderr, "sh: %s: a builtin or an empty command cannot be part of a pipeline\n",
              g.argv.argc ? g.argv.argv[0] : "''");
    } else if (!last) {
      int ends[2];
      int32_t err = open_pipe(ends);
      if (err != 0) {
        fprintf(stderr, "sh: pipe: %s\n", strerror(err));
      } else {
        io.stdio[1] = ends[1];
        io.opened[io.opened_count++] = ends[1];
        input = ends[0];
        status = 0;
      }
    } else {
      status = 0;
    }
    if (status == 0) {
      status = redirect(cmd, &io) ? 0 : 1;
    }
    if (status == 0) {
      // A foreground pipeline gets the console as one group: each of its programs may read
      // console input, Ctrl-C ends them all, and the console comes back once all have ended.
      uint32_t flags = background ? 0
                       : i == 0   ? WARDEN_SPAWN_FOREGROUND
                                  : WARDEN_SPAWN_FOREGROUND | WARDEN_SPAWN_GROUP;
      if (start_program(&g.argv, io.stdio, flags, &pids[started]) != 0) {
        status = 127;
      } else {
        snprintf(names[started++], sizeof names[0], "%s", g.argv.argv[0]);
      }
    }
    close_opened(&io);
    if (status != 0) break;
  }
  if (input >= 0) close(input);
  if (background) {
    char name[64] = "";
    for (int i = 0; i < started; ++i) {
      size_t n = strlen(name);
      snprintf(name + n, sizeof name - n, "%s%s", i > 0 ? " | " : "", names[i]);
    }
    if (started > 0) add_job(pids, started, name);
    return status;
  }
  // The programs started end on their own: a pipe's reader sees the end of its input once the
  // writers have gone, a writer gets EPIPE once the readers have.
  for (int i = 0; i < started; ++i) {
    char what[REASON_MAX + 32];
    bool last = i == pipeline->command_count - 1;
    int code = wait_program(pids[i], what, sizeof what);
    if (what[0] != '\0') fprintf(stderr, "%s: %s\n", names[i], what);
    if (last) status = code < 0 ? 1 : code;
  }
  return status;
}

// Parses and runs one line: its chains in order, each pipeline of a chain run or skipped by its
// '&&' or '||' and the status so far; a chain ended by '&' runs in the background.
static void run_line(const char* text) {
  char error[96];
  if (!sh_parse(text, &g.line, error, sizeof error)) {
    fprintf(stderr, "sh: %s\n", error);
    g.status = 2;
    return;
  }
  for (int c = 0; c < g.line.chain_count; ++c) {
    const struct sh_chain* chain = &g.line.chains[c];
    if (chain->background) {
      // FIXME(subshell): `a && b &` needs a shell of its own to run in the background.
      if (chain->pipeline_count > 1) {
        fprintf(stderr, "sh: only a pipeline runs in the background (not '&&' or '||' lists)\n");
        g.status = 2;
      } else {
        g.status = run_pipeline(&chain->pipelines[0], true);
      }
      continue;
    }
    for (int p = 0; p < chain->pipeline_count; ++p) {
      const struct sh_pipeline* pipeline = &chain->pipelines[p];
      if (pipeline->link == SH_LINK_AND && g.status != 0) continue;
      if (pipeline->link == SH_LINK_OR && g.status == 0) continue;
      g.status = run_pipeline(pipeline, false);
    }
  }
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

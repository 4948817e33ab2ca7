// Programs: WebAssembly modules from the file system, each running as a task on the executor.
//
// A program's task loads its module (through the module cache), instantiates it against WASI and
// the `warden` module, then runs `_start` in fuel slices: after each slice it yields, so an
// endless loop never keeps a hart from other tasks, and a slice that runs long is interrupted by
// the hart's timer. A host call that must wait (console input, a timer, a child) suspends the
// task without holding a hart. A trap, a failed load or instantiation, proc_exit, a kill: the
// program ends alone, its store (linear memory, tables, instances) and descriptors are released,
// and whoever waits for it learns the status and a one-line reason. See docs/programs.md.
#pragma once

#include <arch/cpu.h>
#include <async/task.h>
#include <support/result.h>
#include <support/string_view.h>
#include <support/vector.h>

namespace ipc {
class Handle;
}

namespace fs {
class FileSystem;
}

namespace programs {

using support::StringView;

enum class End : u8 { Exited = 0, Trapped = 1, Killed = 2, Failed = 3 };
enum class State : u8 { Loading = 0, Ready = 1, Waiting = 2, Ended = 3 };
enum class EndBy : u8 { Kill, Interrupt };  // warden_kill / Ctrl-C (both End::Killed)

struct Exit {
  End end = End::Exited;
  i32 code = 0;
  char reason[256] = {};  // one line, empty for a normal exit
};

// Exit::code for the ends a program does not choose (the shell's conventions; warden.h tells
// programs the same numbers).
inline constexpr i32 kExitFailed = 126;    // End::Failed: it did not start
inline constexpr i32 kExitTrapBase = 128;  // End::Trapped: kExitTrapBase + the trap's number
inline constexpr i32 kExitKilled = 130;    // End::Killed, by warden_kill or Ctrl-C

// Per-program limits and what programs may hold together (docs/programs.md, "Limits"); the
// defaults, overridden by boot arguments `program.NAME=N`.
struct Limits {
  u32 memory_pages = 1024;       // program.pages: linear memory, in 64 KiB pages (64 MiB)
  u64 memory_bytes = 80 << 20;   // program.memory (MiB): everything charged to one program
  u64 stack_bytes = 8 << 20;     // program.stack (KiB): value stack
  u32 call_depth = 10000;        // program.depth: nested calls
  u32 open_files = 64;           // program.files: open descriptors
  u32 children = 64;             // program.children: running children per parent
  u32 unreaped = 32;             // program.unreaped: ended children not yet waited for
  u32 max_programs = 0;          // program.max: programs at once (0: as many as memory holds)
  u64 reserve_bytes = 16 << 20;  // program.reserve (MiB): kept for the first program and its tools
  u64 cache_bytes = 16 << 20;    // program.cache (MiB): compiled modules kept while unused
  // program.pipe (KiB, 4 to 16384): the buffer of a pipe a program makes, charged to it. 1 MiB:
  // a reader and a writer switch once per MiB, not per 64 KiB (docs/ipc.md, "Figures").
  u32 pipe_bytes = 1 << 20;
};
const Limits& limits();

// A copy of `text` as bytes (Error::NoMemory).
support::Result<support::Vector<u8>> bytes_of(StringView text);

// Which part of the memory reserve a program may use once programs hold all the rest: the first
// program (the shell) all of it, its children (the tools it runs) half of it while each holds
// less than kToolBytes, every other program none.
enum class Reserve : u8 { None, Tools, All };
inline constexpr u64 kToolBytes = 4 << 20;

// Where a child's standard descriptors come from: the parent's descriptor numbers, or -1 for
// the console.
struct SpawnRequest {
  StringView path;  // absolute, or relative to `cwd`
  support::Vector<support::Vector<u8>> argv;
  support::Vector<support::Vector<u8>> env;  // "KEY=VALUE"
  StringView cwd = "/";
  u32 parent = 0;
  i32 stdio[3] = {-1, -1, -1};
  // For programs the kernel starts: a file for descriptor i instead (stdin read from it, stdout
  // and stderr created or truncated), when not empty.
  StringView stdio_path[3];
  // For warden_spawn_fds: the child's descriptors are exactly `fds` instead of `stdio` (each
  // `child` at most once, below program.files), then the preopened "/" at the first number none
  // of them takes. Each is a copy of the parent's descriptor `parent` (BadDescriptor when it is
  // not open or cannot be duplicated), its WASI rights ANDed with the parent's and with `rights`.
  struct Fd {
    u32 child = 0;
    u32 parent = 0;
    u64 rights = ~u64{0};
  };
  bool map_fds = false;
  support::Vector<Fd> fds;
  // For the first program (boot argument `listen=`): a listening socket (kernel/net/socket.h)
  // moved into the child's table after the preopened "/", when set.
  ipc::Handle* listener = nullptr;
  // Gives it the console in a foreground group of its own: it alone reads console input, Ctrl-C
  // ends it; only the console's owner (or the kernel, parent 0) may ask (SpawnError::NotOwner).
  // When the group's last program ends, or a program they answer to ends (see kill_as), the
  // console goes back (docs/programs.md, "The console's owner").
  bool foreground = false;
  // With `foreground`: the child joins the foreground group its parent made with its last
  // foreground child, while a program of that group runs (a pipeline: every program of it reads
  // console input once the group has the console, Ctrl-C ends them all); the parent needs not
  // own the console then (it gave it to that group). Otherwise as `foreground` alone.
  bool join_group = false;
  // For programs the kernel starts (parent 0): may it use the memory reserve? (A program's
  // children get it from their parent: see Reserve.)
  Reserve reserve = Reserve::None;

  // Copy `arg` / `entry` ("KEY=VALUE") to the end of argv / env.
  support::Result<void> add_arg(StringView arg) { return argv.try_push(TRY(bytes_of(arg))); }
  support::Result<void> add_env(StringView entry) { return env.try_push(TRY(bytes_of(entry))); }
};

// TooMany: program.max programs, or the parent's program.children running or program.unreaped
// ended children; NoMemory: no memory for the program's record (or the pool is full).
enum class SpawnError : u8 { NotFound, BadDescriptor, Invalid, NoMemory, TooMany, NotOwner };
const char* spawn_error_name(SpawnError error);

// Makes the root file system from the initrd (unpacked in steps that yield; an empty file system
// without an initrd), reads the limits from the boot arguments, starts the console's line
// discipline. Call once before spawning; false if the initrd could not be unpacked.
async::Task<bool> init();
fs::FileSystem& root();

// Runs the first program and waits for it: boot argument `init=PATH` (arguments after a `--` in
// the command line), by default /bin/sh. Returns false without running anything when there is
// no such program or `init=monitor` asks for the kernel monitor instead.
async::Task<bool> run_init();

// Starts a program; it loads in its own task. Its id is never 0 and never reused.
support::Result<u32, SpawnError> spawn(SpawnRequest& request);

// Suspends until program `pid` has ended and returns how (once per program; the program's record
// goes away). `waiter` must be its parent (0: the kernel may wait for any program).
async::Task<support::Result<Exit, SpawnError>> wait(u32 pid, u32 waiter = 0);

// Asks program `pid` to end; false if there is no such program (or it has ended). The kernel
// may end any program.
bool kill(u32 pid, EndBy by = EndBy::Kill);

// Ctrl-C: asks every living program of foreground group `group` to end (EndBy::Interrupt).
void interrupt_group(u32 group);

// warden_kill: program `caller` asks program `pid` to end. Allowed only for its descendants: its
// children, their children, and programs whose parents ended and that now answer to it (an
// ended program's children answer to its nearest living ancestor). NoSuchProgram when `pid` is
// unknown or has ended; NotPermitted for anything else (itself, its parent, a sibling, the
// first program).
enum class KillError : u8 { NoSuchProgram, NotPermitted };
support::Result<void, KillError> kill_as(u32 caller, u32 pid);

struct Info {
  u32 pid = 0;
  u32 parent = 0;
  State state = State::Loading;
  u32 hart = 0;
  u64 memory_bytes = 0;
  u64 cpu_ns = 0;
  u64 slices = 0;
  char name[32] = {};
};
// Up to `max` programs in order of id; returns how many there are.
usize list(Info* out, usize max);
support::Optional<Info> info(u32 pid);

struct Stats {
  u64 memory_used = 0;   // bytes charged to programs (and cached modules) together
  u64 memory_limit = 0;  // what they may hold, not counting the reserve
  u64 reserve = 0;
  u64 cached_bytes = 0;  // compiled modules in the cache
  u64 spawned = 0;
  u64 ended = 0;
  u64 running = 0;    // not yet ended
  u64 slices = 0;     // fuel slices run, all programs
  u64 preempted = 0;  // slices stopped by the timer rather than by fuel
  u64 cached_modules = 0;
  u64 cache_hits = 0;
  u64 slices_on_hart[arch::kMaxCpus] = {};  // by CPU number
};
Stats stats();

// Reads a whole file of the root file system (absolute path). Tests and the kernel's loaders.
support::Result<support::Vector<u8>, SpawnError> read_whole_file(StringView path);
// Creates or replaces a file with `bytes`.
bool write_whole_file(StringView path, support::Span<const u8> bytes);

// Rings every program waiting for console input (the tty calls it after input).
void ring_console_readers();

// Drops cached modules no program uses (tests of memory returning to its level).
void drop_module_cache();

}  // namespace programs

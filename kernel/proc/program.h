// The program record and the seams between the program runtime (programs.cc), its import
// modules (warden_api.cc: `warden`; wasi_glue.cc: `wasi_snapshot_preview1` over the file system
// and the console) and the module cache. Internal to kernel/proc.
#pragma once

#include <async/sync.h>
#include <async/task.h>
#include <async/timer_wheel.h>
#include <fs/node.h>
#include <ipc/account.h>
#include <ipc/message.h>
#include <kernel/net/socket.h>
#include <kernel/proc/programs.h>
#include <support/atomic.h>
#include <support/format.h>
#include <support/spinlock.h>
#include <support/thread_safety.h>
#include <wasi/abi.h>
#include <wasm/runtime.h>

namespace programs {

struct WasiState;  // wasi_glue.cc
struct Program;

// Charges what is allocated for a program to it (Program::memory_bytes) and to the pool of all
// programs (memory_pool.cc); the program's Store reports to it (wasm::StoreConfig::account).
class ProgramAccount final : public wasm::MemoryAccount {
 public:
  explicit ProgramAccount(Program& program) : program_(program) {}
  // False when the program would hold more than program.memory, or the pool has no room for it
  // (see Reserve).
  bool charge(u64 bytes) override;
  void uncharge(u64 bytes) override;

 private:
  Program& program_;
};

// Charges what IPC allocates for a program (its pipes, the messages it sends) like the rest of
// its memory; a charge kept after the program ended (a pipe another program still reads) keeps
// the record alive (retain/release count Program::refs).
class ProgramIpcAccount final : public ipc::Account {
 public:
  explicit ProgramIpcAccount(Program& program) : program_(program) {}
  bool charge(u64 bytes) override;
  void uncharge(u64 bytes) override;
  void retain() override;
  void release() override;

 private:
  Program& program_;
};

// What a program's record, task, WASI state and address-space bookkeeping cost besides what its
// store charges (its path and arguments come on top): charged at spawn, given back when the
// record goes.
inline constexpr u64 kProgramOverhead = 24 << 10;

// What a program suspended in a host call waits for (set by the host function that returned
// HostStatus::Pending, read by the program's task).
enum class WaitFor : u8 {
  None,
  Console,   // console input readable (or `deadline`, if not kNever)
  Deadline,  // the clock reaching `deadline`
  Child,     // program `child` ending
  Turn,      // one trip through the run queue (sched_yield)
  Objects,   // a signal of an IPC object (Program::signalled), or `deadline` if not kNever
};

// Whether, and how, a program was asked to end (Program::kill_requested): by the first kill.
enum class KillRequest : u8 { None = 0, Kill = 1, Interrupt = 2 };

// Why a program cannot start or run on: the one line its waiter reads as Exit::reason (the
// user-facing message, made where the details are known). Every step of loading, linking and
// starting a program returns a Result<T, Failure>; the program's task ends it with the failure
// in one place (End::Failed, kExitFailed).
struct Failure {
  char reason[sizeof Exit::reason] = {};
};
template <typename... Args> Failure failure(support::StringView fmt, const Args&... args) {
  Failure f;
  support::BufferSink sink(f.reason, sizeof f.reason);
  support::format(sink, fmt, args...);
  return f;
}
// The outcome of a step that can fail the program.
using Status = support::Result<void, Failure>;

// The program table's lock (programs.cc). It guards the table and, in every record, what ties
// the record to others (`up`, `reaped`, `orphan`): the lock stays apart from those, so they name
// it (GUARDED_BY). It also orders every hand-over of the console. Lock order: the table lock, then
// a program's bell (ring_console_readers) or the tty's lock (the console's owner).
extern support::SpinLock g_table_lock;

// A program's doorbell: anyone may ring it (input, a child's end, kill); the task sleeps on it.
struct Doorbell {
  bool rung = false;
  async::Waker waker;
};

struct Program {
  u32 pid = 0;
  u32 parent = 0;
  char name[32] = {};
  support::Atomic<u8> state{static_cast<u8>(State::Loading)};
  support::Atomic<u32> hart{0};
  support::Atomic<u64> cpu_ns{0};
  support::Atomic<u64> slices{0};
  // Everything charged to the program: its overhead, its compiled module, its store.
  support::Atomic<u64> memory_bytes{0};
  ProgramAccount account{*this};
  ProgramIpcAccount ipc_account{*this};
  Reserve reserve = Reserve::None;
  u64 overhead = 0;  // charged at spawn, given back with the record

  // The request, kept until the task has loaded the program.
  support::Vector<u8> path;
  support::Vector<u8> cwd;
  support::Vector<support::Vector<u8>> argv;
  support::Vector<support::Vector<u8>> env;

  // Runtime (owned by the program's task).
  wasm::Store* store = nullptr;
  // Set and cleared by the task inside bell.with(), so that kill() (which interrupts it there)
  // never sees it freed; the task itself reads it without the lock.
  wasm::Execution* execution = nullptr;
  wasm::Instance* instance = nullptr;
  WasiState* wasi = nullptr;
  const wasm::Module* module = nullptr;  // a module-cache reference
  u64 module_bytes = 0;                  // its footprint, charged to this program

  // Suspension in a host call.
  // Written by the program's own task; read by others (the tty rings only console readers).
  support::Atomic<u8> wait_state{static_cast<u8>(WaitFor::None)};
  WaitFor wait_for() const {
    return static_cast<WaitFor>(wait_state.load(support::MemoryOrder::Relaxed));
  }
  void set_wait_for(WaitFor what) {
    wait_state.store(static_cast<u8>(what), support::MemoryOrder::Relaxed);
  }
  u64 deadline = ~u64{0};
  u32 child = 0;
  // WaitFor::Objects: set when a watched object's signal rose (any hart), cleared by the task
  // before it starts a wait.
  support::Atomic<u8> signalled{0};
  // When the running slice's time is up (written and read by the program's own task).
  u64 slice_end_ns = 0;
  // Re-runs the pending host call once what it waited for happened; Pending to keep waiting.
  wasm::HostStatus (*retry)(Program& program, wasm::HostCall& call) = nullptr;

  support::Locked<Doorbell> bell;

  // A KillRequest: None, or how the first kill asked (set once).
  support::Atomic<u8> kill_requested{static_cast<u8>(KillRequest::None)};
  // The living program this one answers to: its parent, and once that ended, the parent's own
  // `up`, the nearest living ancestor; 0 for the kernel. A program may kill the programs that
  // answer to it, directly or through others; when a program ends the console goes to its `up`
  // if it or a program answering to it had the console.
  u32 up GUARDED_BY(g_table_lock) = 0;

  // The end, set once by the task; waiters sleep on `ended_queue`.
  Exit exit;
  support::Atomic<u8> ended{0};
  async::WaitQueue ended_queue;
  bool reaped GUARDED_BY(g_table_lock) = false;  // a waiter took the exit
  // Its parent ended: it reaps itself when it ends.
  bool orphan GUARDED_BY(g_table_lock) = false;
  // The foreground group it was started in (the id of the group's first program; 0: none), set
  // at spawn. The console belongs to a group: every program of it reads console input, and
  // Ctrl-C ends them all (docs/programs.md, "The console's owner").
  u32 group GUARDED_BY(g_table_lock) = 0;
  // The foreground group it made with its last foreground child, which later children may join
  // while a program of it runs (SpawnRequest::join_group); 0: none.
  u32 made_group GUARDED_BY(g_table_lock) = 0;

  // References: the table's and the task's. The last one frees the record.
  support::Atomic<u32> refs{2};

  void ring();
};

void release(Program* program);

// True when a host call running in `program`'s slice should stop early: the slice's time is up
// or the program was asked to end. Long host calls (console output) check it between pieces.
bool slice_over(const Program& program);

extern Limits g_limits;
// Who owns the console: the programs of the foreground group, else the first program. They read
// console input, switch its mode and may give the console to a child. `pid == console_owner()`
// says whether program `pid` is one of them (it takes the table lock).
struct ConsoleOwner {
  u32 group = 0;  // the foreground group (tty::foreground()); 0: the first program owns it
  bool operator==(u32 pid) const;
};
ConsoleOwner console_owner();
// True when console input is there and program `pid` may read it (it owns the console).
bool console_readable_by(u32 pid);
// The first program the kernel started (0 before there is one).
u32 first_program();
void set_root(fs::FileSystem& root);
void read_limits();

// Looks a program up and takes a reference (release() it); nullptr if unknown.
Program* acquire(u32 pid);

// For warden.wait: takes the exit of `waiter`'s child `pid` if it has ended (reaping it).
enum class TakeExit : u8 { Taken, NotYet, NoSuchChild };
TakeExit take_exit(u32 pid, u32 waiter, Exit& out);

// Import resolution for one `warden` import of `module`: what satisfies it, or why nothing does.
support::Result<wasm::Extern, Failure> resolve_warden(Program& program, wasm::Store& store,
                                                      const wasm::Import& import,
                                                      const wasm::Module& module);

// WASI (wasi_glue.cc): per-program state from the spawn request (descriptors inherited from
// `parent_wasi` by number, or the console), import resolution, binding to the instance, and
// teardown.
support::Result<WasiState*, SpawnError> wasi_create(const SpawnRequest& request,
                                                    WasiState* parent_wasi);
support::Result<wasm::Extern, Failure> resolve_wasi(Program& program, wasm::Store& store,
                                                    const wasm::Import& import,
                                                    const wasm::Module& module);
// Binds to the instance's exported memory; a module without one still runs (its pointer
// arguments fail with EFAULT).
void wasi_bind(Program& program);
// Records the program the state belongs to (its Os sets what the program waits for).
void wasi_attach(WasiState* state, Program* program);
// True when the execution's pending host call is a WASI one; wasi_retry re-runs it.
bool wasi_pending(Program& program);
wasm::HostStatus wasi_retry(Program& program, wasm::HostCall& call);
void wasi_destroy(WasiState* state);
// warden.pipe: a pipe whose ends become two new descriptors of the program: Mfile, Nomem.
wasi::Errno wasi_pipe(Program& program, u32* read_fd, u32* write_fd);

// warden.tcp_listen: a listener on `local` as a new descriptor (net::listen's errors, Mfile).
wasi::Errno wasi_tcp_listen(Program& program, net::Endpoint local, u32 backlog, u32* fd);
// warden.tcp_connect: starts a connection to `remote` and answers WouldBlock while it is being
// made (the program waits; call again to continue): then its new descriptor, or why it failed.
wasi::Errno wasi_tcp_connect(Program& program, net::Endpoint remote, u32* fd);

// Channels and services (wasi_glue.cc; warden_api.cc checks and copies the guest's arguments,
// docs/ipc.md "In the kernel today"). Each answers with a WASI errno; WouldBlock means the
// program now waits (WaitFor::Objects) and the call is to be retried.
//
// The guest's struct warden_transfer: one descriptor a channel message moves, and the rights the
// receiver keeps (with kTransferReduce: its WASI rights ANDed with `rights`).
struct ChannelTransfer {
  u32 fd;
  u32 flags;
  u64 rights;
};
inline constexpr u32 kTransferReduce = 1;
// warden.channel: a channel whose ends become two new descriptors: Mfile, Nomem.
wasi::Errno wasi_channel(Program& program, u32* fd0, u32* fd1);
// warden.channel_write, first attempt: `bytes` (the guest's, copied once here into the message)
// and `transfers` (a kernel copy, at most ipc::kMaxMessageHandles) to the channel end `fd`.
// WouldBlock (the peer's queue is full): the message is kept for channel_write_retry.
wasi::Errno wasi_channel_write(Program& program, u32 fd, support::Bytes bytes,
                               support::Span<const ChannelTransfer> transfers);
wasi::Errno wasi_channel_write_retry(Program& program);
// warden.channel_read: the next message's bytes into `bytes` and its handles as new descriptors
// into `fds`; `sizes` set whenever there is a message (Nobufs: the buffers are too small, it
// stays queued). Retried the same way.
wasi::Errno wasi_channel_read(Program& program, u32 fd, support::Span<u8> bytes,
                              support::Span<u32> fds, ipc::MessageSizes* sizes);
// warden.service_publish / service_connect (a name, "kv" or "/svc/kv") and service_accept.
wasi::Errno wasi_service_publish(Program& program, StringView name, u32* fd);
wasi::Errno wasi_service_connect(Program& program, StringView name, u32* fd);
wasi::Errno wasi_service_accept(Program& program, u32 service_fd, u32* fd);
// Makes the kernel's service registry (at boot, before the first program).
void init_services();
// The null device's node (/dev/null, made at boot): opening it gives the null device.
extern fs::Node* g_null_node;
// Reads a program file (absolute path, or relative to `cwd`) from the root file system.
support::Result<support::Vector<u8>, SpawnError> read_file(StringView path, StringView cwd);
bool file_exists(StringView path, StringView cwd);
support::Result<u64, SpawnError> file_size(StringView path, StringView cwd);
// Creates the file at absolute `path`, or empties the one there.
support::Result<fs::NodeRef, SpawnError> create_empty_file(StringView path);

// The pool: what all programs (and the compiled modules of the cache) hold together, at most the
// memory that was free when programs::init ran, less the file system's room and the reserve
// (memory_pool.cc).
namespace pool {
void init(u64 limit, u64 reserve);
// Charges `bytes` if that stays within the limit plus the part of the reserve `reserve` allows;
// `holder_total` is what the holder (a program) holds after the charge (for Reserve::Tools).
// Unused cached modules are dropped to make room before it says no.
bool charge(u64 bytes, Reserve reserve, u64 holder_total);
void uncharge(u64 bytes);
// What charge() would allow now.
u64 room(Reserve reserve, u64 holder_total);
u64 used();
u64 limit();
u64 reserve();
}  // namespace pool

// The module cache: one compiled Module per distinct content, shared by every program that runs
// it. get() compiles on a miss (and reports the error); put() returns the reference. A module is
// charged to the pool once, from its compilation until it leaves the cache; every program that
// runs it is charged its footprint (CompileOutcome::footprint) against its own limit.
struct CompileOutcome {
  const wasm::Module* module = nullptr;
  u64 footprint = 0;
  char reason[256] = {};
};
// Compiles on a miss for `program` (bounded by its limit and the pool, both charged as the
// compilation allocates), taking `bytes` for the module's copy (left empty then) and with them
// `bytes_charge`, what the program was charged for them (set to 0). Suspends between compile
// steps; `bytes` must stay alive until it returns.
async::Task<CompileOutcome> cache_get(support::Vector<u8>& bytes, Program& program,
                                      u64& bytes_charge);
void cache_put(const wasm::Module* module);
u64 cache_size();
u64 cache_bytes();
u64 cache_hits();
void cache_drop_unused();

}  // namespace programs

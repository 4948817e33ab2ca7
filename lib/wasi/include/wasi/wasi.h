// wasi::Wasi: one program's wasi_snapshot_preview1 context (arguments, environment, descriptor
// table with rights and preopens) and the 46 host functions, over an abstract wasi::Os.
//
// Embedding, in order (docs/wasi.md):
//   1. `Wasi wasi(os);` one per program.
//   2. add_arg (argv[0] first), add_env("K=V"), add_fd for 0, 1, 2, add_preopen(dir, "/").
//   3. For each import: resolve_import(store, module, name, type): Found gives the FuncInst,
//      NotMine leaves it to the embedder's other modules, the rest carry a one-line message.
//   4. store.instantiate(...), then bind(instance) to its exported "memory".
//   5. Run `_start`: Done means exit status 0; RunStatus::Exit carries proc_exit's status.
//   6. RunStatus::HostPending with pending(): wait for what the Os waits for, then
//      `HostStatus s = wasi.retry(ex.pending_call())`; unless s is Pending,
//      `ex.complete_host_call(s)` and run again.
//
// Host functions check every guest pointer and length against the bound memory (Fault) and every
// descriptor and right before they change anything. Guest structures (iovec arrays, paths, poll
// subscriptions) are copied into host memory once, within the bounds of abi.h (kMaxIovecs,
// kMaxSubscriptions, kMaxPathSize), and only the copies are checked and used. Paths are resolved
// here, one component at a time through Os::*_at, counting symbolic links (Loop after 40); `..`
// above the descriptor's directory, an absolute path and a link to an absolute path fail with
// Notcapable.
//
// Not thread-safe: one program's calls come from one execution at a time.
#pragma once

#include <support/result.h>
#include <support/string_view.h>
#include <support/vector.h>
#include <wasi/abi.h>
#include <wasi/os.h>
#include <wasm/guest_memory.h>
#include <wasm/runtime.h>

namespace wasi {

using support::Result;
using support::StringView;
using support::Vector;

inline constexpr StringView kModuleName = "wasi_snapshot_preview1";

// The functions of wasi_snapshot_preview1 in the order of its witx, each with its WebAssembly
// signature ('i' i32, 'I' i64; the results after '>'). This one list makes the methods, the
// dispatch table and the ids (wasi.cc), so no function is known by its position.
#define WASI_FUNCTIONS(X)                 \
  X(args_get, "ii>i")                     \
  X(args_sizes_get, "ii>i")               \
  X(environ_get, "ii>i")                  \
  X(environ_sizes_get, "ii>i")            \
  X(clock_res_get, "ii>i")                \
  X(clock_time_get, "iIi>i")              \
  X(fd_advise, "iIIi>i")                  \
  X(fd_allocate, "iII>i")                 \
  X(fd_close, "i>i")                      \
  X(fd_datasync, "i>i")                   \
  X(fd_fdstat_get, "ii>i")                \
  X(fd_fdstat_set_flags, "ii>i")          \
  X(fd_fdstat_set_rights, "iII>i")        \
  X(fd_filestat_get, "ii>i")              \
  X(fd_filestat_set_size, "iI>i")         \
  X(fd_filestat_set_times, "iIIi>i")      \
  X(fd_pread, "iiiIi>i")                  \
  X(fd_prestat_get, "ii>i")               \
  X(fd_prestat_dir_name, "iii>i")         \
  X(fd_pwrite, "iiiIi>i")                 \
  X(fd_read, "iiii>i")                    \
  X(fd_readdir, "iiiIi>i")                \
  X(fd_renumber, "ii>i")                  \
  X(fd_seek, "iIii>i")                    \
  X(fd_sync, "i>i")                       \
  X(fd_tell, "ii>i")                      \
  X(fd_write, "iiii>i")                   \
  X(path_create_directory, "iii>i")       \
  X(path_filestat_get, "iiiii>i")         \
  X(path_filestat_set_times, "iiiiIIi>i") \
  X(path_link, "iiiiiii>i")               \
  X(path_open, "iiiiiIIii>i")             \
  X(path_readlink, "iiiiii>i")            \
  X(path_remove_directory, "iii>i")       \
  X(path_rename, "iiiiii>i")              \
  X(path_symlink, "iiiii>i")              \
  X(path_unlink_file, "iii>i")            \
  X(poll_oneoff, "iiii>i")                \
  X(proc_exit, "i>")                      \
  X(proc_raise, "i>i")                    \
  X(sched_yield, ">i")                    \
  X(random_get, "ii>i")                   \
  X(sock_accept, "iii>i")                 \
  X(sock_recv, "iiiiii>i")                \
  X(sock_send, "iiiii>i")                 \
  X(sock_shutdown, "ii>i")

#define WASI_COUNT_ONE(name, sig) +1
inline constexpr u32 kFunctionCount = 0 WASI_FUNCTIONS(WASI_COUNT_ONE);
#undef WASI_COUNT_ONE
static_assert(kFunctionCount == 46, "wasi_snapshot_preview1 has 46 functions");

inline constexpr u32 kMaxSymlinkHops = 40;

// The outcome of a step that can fail with an errno for the program; TRY propagates it.
using Status = Result<void, Errno>;

// What resolve_import found.
struct ImportResolution {
  enum class Kind : u8 {
    Found,      // `func` satisfies the import
    NotMine,    // another module: the embedder resolves it
    Unknown,    // wasi_snapshot_preview1 has no such function
    WrongType,  // the import's type differs from WASI's (message says both)
    NoMemory,
  } kind = Kind::NotMine;
  wasm::FuncInst* func = nullptr;
  char message[200] = {};  // for every kind but Found/NotMine: one line, names module.name
};

// One descriptor. The WASI layer owns the table; the Os owns what the handle stands for.
struct Descriptor {
  bool open = false;
  bool owned = true;  // close the handle when the descriptor is closed
  Handle handle = 0;
  FileType type = FileType::Unknown;
  Rights base = 0;
  Rights inheriting = 0;
  u16 flags = 0;        // fdflags
  u64 offset = 0;       // regular files: the position fd_read/fd_write/fd_seek use
  bool stream = false;  // added by add_fd: the Os keeps the position (no seek/tell rights)
  bool preopen = false;
  Vector<char> preopen_name;
};

enum class Ownership : u8 { Owned, Borrowed };
// What a socket handed to the program is for (its rights: right::kSocketListener or
// right::kSocketConnection).
enum class SocketRole : u8 { Listener, Connection };
// How the host functions move data, and whether they follow a symbolic link in the last
// component of a path.
enum class Transfer : u8 { Read, Write };
enum class Follow : u8 { No, Yes };

class Wasi {
 public:
  explicit Wasi(Os& os) : os_(os) {}
  ~Wasi();  // closes every owned handle still in the table
  Wasi(const Wasi&) = delete;
  Wasi& operator=(const Wasi&) = delete;

  // Program arguments (argv[0] first) and environment entries ("KEY=VALUE"); copied.
  Result<void> add_arg(StringView arg);
  Result<void> add_env(StringView entry);
  // Puts an open Os handle at the lowest free descriptor (call for 0, 1, 2 first). Its type is
  // asked from Os::stat. It is a stream: transfers use Os::read/write (the Os keeps any
  // position, so a file shared by stdout and stderr stays consistent) and it has no seek/tell
  // rights (a terminal: wasi-libc's isatty). Returns the number.
  Result<u32> add_fd(Handle handle, Ownership ownership = Ownership::Owned);
  // As add_fd, at descriptor `number` (the numbers below it that are not open stay closed), with
  // its base and inheriting rights ANDed with the masks (never more than add_fd gives).
  // Error::Exists when `number` is open; NoMemory.
  Result<u32> add_fd_at(u32 number, Handle handle, Rights base_mask, Rights inheriting_mask,
                        Ownership ownership = Ownership::Owned);
  // Closes descriptor `fd` (as fd_close): Badf when it is not open.
  Errno close_fd(u32 fd);
  // Puts an open Os handle at the lowest free descriptor with the state of `like` (type, rights,
  // fdflags, offset, stream; never a preopen): a descriptor that another program sent through a
  // channel (docs/ipc.md, "In the kernel today"). Returns the number.
  Result<u32> add_fd_like(Handle handle, const Descriptor& like);
  // Makes room for `count` more descriptors, so that the next `count` add_fd/add_fd_like calls
  // do not allocate (they cannot fail): NoMemory.
  Result<void> reserve_fds(u32 count);
  // A preopened directory, seen by the program under `guest_path` with full rights.
  Result<u32> add_preopen(Handle dir, StringView guest_path,
                          Ownership ownership = Ownership::Owned);
  // A socket (Os::stat says SocketStream) at the lowest free descriptor, with the rights of its
  // role and no fdflags: a listening socket handed to a program after its preopens (wasi-libc's
  // preopen scan stops at the first descriptor that is not a preopen, so a listener must come
  // after all of them: `--tcplisten`), or a connection the embedder made. Returns the number.
  Result<u32> add_socket(Handle socket, SocketRole role, Ownership ownership = Ownership::Owned);

  // Resolves one function import; returns NotMine for modules other than
  // wasi_snapshot_preview1. Host functions are created in `store` once per Wasi and name (so a
  // Wasi serves one Store), with the Wasi as their environment: it must outlive the executions.
  ImportResolution resolve_import(wasm::Store& store, StringView module, StringView name,
                                  const wasm::FuncType& type);
  // Uses the instance's exported "memory" (Error::NotFound when there is none; then every
  // pointer argument fails with Fault).
  Result<void> bind(wasm::Instance* instance);
  void bind_memory(wasm::Memory* memory) { memory_ = memory; }

  // After a host call answered Pending: re-runs the same function with the same arguments.
  // Returns Pending again if it still cannot complete (nothing changed), else the final status
  // (results already written to call.results) to pass to Execution::complete_host_call.
  wasm::HostStatus retry(wasm::HostCall& call);
  bool pending() const { return pending_; }
  // The name of the pending function ("fd_read"...), or "".
  const char* pending_name() const;

  // Read access for embedders and tests.
  const Descriptor* descriptor(u32 fd) const;
  u32 descriptor_count() const { return static_cast<u32>(fds_.size()); }

  // Dispatch entry used by the host-function trampolines (public for them).
  wasm::HostStatus call(u32 id, wasm::HostCall& call);
  // A call's arguments and memory, as the functions see them (wasi.cc).
  struct Args;

 private:
  struct Walk;
  friend struct FunctionTable;

  // The open descriptor `number`, or null.
  Descriptor* find_fd(u32 number);
  // The open descriptor `number` with every right in `needed`: Badf, Notcapable.
  Result<Descriptor*, Errno> lookup(u32 number, Rights needed = 0);
  // For fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell: Isdir for a directory, before
  // rights are looked at.
  Result<Descriptor*, Errno> data_descriptor(u32 number, Rights needed);
  // For fd_pread, fd_pwrite, fd_seek: as data_descriptor, but a stream lacking the rights is
  // Spipe (it never has them).
  Result<Descriptor*, Errno> seek_descriptor(u32 number, Rights needed);
  Result<u32> allocate_fd();
  // The host copy of a guest path (at most kMaxPathSize bytes): Fault, Nametoolong, Nomem.
  Result<Vector<char>, Errno> guest_path(u32 ptr, u32 len);
  // Resolves `path` (a host copy; consumed) from `base` into `walk`.
  Status resolve(Handle base, Vector<char>& path, Follow follow, Walk& walk);
  // For the functions whose arguments are (fd, path, path_len): resolves the path from `fd`,
  // which needs `needed`, not following a symbolic link in the last component.
  Status resolve_arguments(Args& a, Rights needed, Walk& walk);
  wasm::HostStatus dispatch(u32 id, wasm::HostCall& call);

  // The 46 functions; each returns the errno for the program, WouldBlock to suspend (proc_exit
  // is answered by dispatch).
#define WASI_METHOD(name, sig) Errno name(Args& a);
  WASI_FUNCTIONS(WASI_METHOD)
#undef WASI_METHOD

  // Where transfer_iovs moves bytes: the Os stream (read/write), a file at `offset`
  // (pread/pwrite), or a socket (sock_recv/sock_send, with sock_recv's flags).
  struct Route {
    enum class Kind : u8 { Stream, Offset, Socket } kind = Kind::Stream;
    u64 offset = 0;
    bool peek = false;
    bool wait_all = false;
  };
  static Route route_of(const Descriptor& d);
  // fd_read and fd_write; fd_pread and fd_pwrite.
  Errno transfer(Args& a, Transfer direction);
  Errno transfer_at(Args& a, Transfer direction);
  // The bytes moved between the Os and a checked iovec copy (a short count is not an error).
  Result<u64, Errno> transfer_iovs(Descriptor& d, support::Span<const Iovec> iovs,
                                   Transfer direction, const Route& route);
  // One Os call of transfer_iovs: `part` at `done` bytes into the transfer.
  Errno transfer_piece(Descriptor& d, support::Span<u8> part, Transfer direction,
                       const Route& route, u64 done, u64* n);
  // Whether `h` is readable now (Os::poll with deadline 0: never waits).
  bool ready_now(Handle h);
  // The open socket descriptor `number` with every right in `needed`: Badf, Notsock,
  // Notcapable.
  Result<Descriptor*, Errno> socket_descriptor(u32 number, Rights needed);
  // Sets or clears FDFLAGS_NONBLOCK on `d`, telling the Os first (Os::set_nonblocking).
  Status set_nonblock(Descriptor& d, bool nonblocking);
  Result<u64, Errno> append_iovs(Descriptor& d, support::Span<const Iovec> iovs);
  // poll_oneoff's steps (wasi.cc).
  struct PollWait;
  Status poll_copy_in(wasm::GuestMemory m, u32 in, u32 count);
  Status poll_prepare(PollWait& wait);
  Result<u64, Errno> poll_wait(PollWait& wait);
  u32 poll_commit(wasm::GuestMemory m, u32 out, const PollWait& wait, u64 now);

  Os& os_;
  wasm::Memory* memory_ = nullptr;
  Vector<Vector<char>> args_;  // each NUL-terminated
  Vector<Vector<char>> env_;
  Vector<Descriptor> fds_;
  wasm::FuncInst* funcs_[kFunctionCount] = {};
  bool pending_ = false;
  u32 pending_id_ = 0;
  // poll_oneoff's copy of the subscriptions and their absolute deadlines, kept across retries of
  // a pending call (the program's memory is read once; a relative timeout does not restart).
  Vector<Subscription> poll_subs_;
  Vector<u64> poll_deadlines_;
  bool poll_kept_ = false;
  u64 poll_charge_ = 0;  // what Os::charge took for them (they only grow)
  // The progress of a call that stopped because the Os said its time was up (Os::yield_due) and
  // continues in a retry: random_get's bytes written, fd_readdir's bytes used and next cookie.
  // Kept while the call is pending; every new call starts afresh.
  struct Progress {
    bool kept = false;
    u64 done = 0;
    u64 cookie = 0;
  };
  Progress progress_;
};

}  // namespace wasi

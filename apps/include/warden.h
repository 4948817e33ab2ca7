// The `warden` import module: what a Warden program can ask of the kernel beyond WASI.
//
// Every function returns a WASI errno (0 on success, e.g. 8 EBADF, 21 EFAULT, 28 EINVAL,
// 44 ENOENT, 71 ESRCH, 48 ENOMEM); results are written through pointers only on success. Every
// pointer and length is checked against the caller's memory first (EFAULT). The calls are
// documented in docs/programs.md.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WARDEN_IMPORT(name) __attribute__((import_module("warden"), import_name(name)))

// Spawn flags.
// Gives the child the console in a foreground group of its own: the programs of the foreground
// group alone read console input, switch its mode and may give the console on, and Ctrl-C ends
// every one of them. Only the console's owner may pass it (EPERM otherwise).
#define WARDEN_SPAWN_FOREGROUND 1u
// With WARDEN_SPAWN_FOREGROUND: the child joins the foreground group the caller made with its
// last WARDEN_SPAWN_FOREGROUND child, while a program of that group runs (the caller needs not
// own the console then: it gave it to that group); otherwise it starts a group of its own as
// WARDEN_SPAWN_FOREGROUND alone does. A shell starts the first program of a pipeline with
// FOREGROUND and the others with FOREGROUND | GROUP: each of them may read console input, and
// Ctrl-C ends them all. Alone: EINVAL.
#define WARDEN_SPAWN_GROUP 2u

// Starts the program at `path` (resolved like the caller's WASI paths: absolute, or relative to
// `cwd`). `argv` holds argc strings, each ending in NUL, back to back (argv[0] first); `env`
// holds "KEY=VALUE\0" strings back to back (env_len 0: none). `cwd` (not NUL-terminated) is the
// child's working directory, an absolute path. `stdio[i]` is the caller's descriptor that becomes
// the child's descriptor i (i = 0, 1, 2).
//
// The child sees one preopened directory, descriptor 3 named "/" (the root of the file system),
// and PWD=`cwd` in its environment (replacing any PWD in `env`). wasi-libc itself always starts in
// "/" and reads no variable for it, so Warden's startup code (apps/lib/cwd.c, linked into every
// program in apps/) calls chdir(PWD) before main; that is what makes the child's relative paths
// follow `cwd`. See docs/programs.md, "The working directory".
//
// On success writes the child's id to `*pid`. Loading happens in the background: a module that
// does not load (missing, malformed, invalid, unlinkable) still gets an id, and warden_wait
// reports why it ended. Errors here: ENOENT (no such file), EBADF (a stdio
// descriptor is not open), EINVAL (bad flags or strings), E2BIG (path or cwd over 4096 bytes,
// argv and env over 256 KiB together, each string counting 32 bytes more), EPERM
// (WARDEN_SPAWN_FOREGROUND from a program that does not own the console), ENOMEM (programs hold
// all the memory they may), EAGAIN (the caller has program.children children running or
// program.unreaped ended ones it has not waited for: wait for some; or program.max programs). When
// the last running program of the foreground group ends, or the program that gave the group the
// console ends first, the console goes back: to the ended program's own group while another
// program of that runs, else to the group of its nearest living ancestor (the first program
// owns the console when that is none).
int32_t warden_spawn(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
                     uint32_t argc, const char* env, uint32_t env_len, uint32_t envc,
                     const char* cwd, uint32_t cwd_len, const uint32_t* stdio, uint32_t flags,
                     uint32_t* pid) WARDEN_IMPORT("spawn");

// One descriptor of a child started by warden_spawn_fds: its descriptor `child` becomes a copy of
// the caller's descriptor `parent`, as for warden_spawn's stdio (the same file, directory,
// console or pipe, with a position of its own; a channel end or a service cannot be copied:
// EBADF). It keeps the caller's WASI rights on `parent`, ANDed with `rights` when
// WARDEN_FD_REDUCE is in `flags` (never more than the caller's).
struct warden_fd_map {
  uint32_t child;   // below program.files; each at most once
  uint32_t parent;  // a descriptor the caller holds open
  uint32_t flags;   // 0 or WARDEN_FD_REDUCE
  uint32_t pad;     // 0
  uint64_t rights;  // WASI rights mask (with WARDEN_FD_REDUCE)
};
#define WARDEN_FD_REDUCE 1u

// Starts a program as warden_spawn does, its descriptors given by `fds` (`count` entries) instead
// of `stdio`: the child has exactly those (a 0, 1 or 2 not among them is closed), then the
// preopened "/" at the first number none of them takes. wasi-libc looks for preopens from 3 up
// and stops at the first descriptor that is not one: a child given a descriptor 3 does not find
// "/" (its paths fail with ENOTCAPABLE). The kernel copies `fds` once and uses only the copy.
// Errors as warden_spawn's, and: EBADF (a `parent` not open, or a channel end or service), EINVAL
// (a `child` twice or not below program.files, unknown `flags`, a nonzero `pad`), E2BIG
// (`count` over program.files).
int32_t warden_spawn_fds(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
                         uint32_t argc, const char* env, uint32_t env_len, uint32_t envc,
                         const char* cwd, uint32_t cwd_len, const struct warden_fd_map* fds,
                         uint32_t count, uint32_t flags, uint32_t* pid) WARDEN_IMPORT("spawn_fds");

// How a program ended.
enum warden_end {
  WARDEN_END_EXITED = 0,   // proc_exit or a return from _start; `code` is the exit status
  WARDEN_END_TRAPPED = 1,  // a WebAssembly trap; `code` is 128 + trap number
  WARDEN_END_KILLED = 2,   // warden_kill or Ctrl-C; `code` is 130
  WARDEN_END_FAILED = 3,   // did not start: malformed, invalid, unlinkable, no memory; code 126
};

struct warden_exit {
  int32_t code;
  uint32_t end;  // enum warden_end
};

// Suspends the caller until program `pid` (a child of the caller) has ended, then writes how it
// ended and a one-line reason (NUL-terminated, truncated to `reason_len`; e.g. "trap: integer
// divide by zero in function 3 (divide)" or "malformed module at offset 0x1e: ..."; empty for a
// normal exit). A program can be waited for once. ESRCH: no such child.
int32_t warden_wait(uint32_t pid, struct warden_exit* exit, char* reason, uint32_t reason_len)
    WARDEN_IMPORT("wait");

enum warden_state {
  WARDEN_STATE_LOADING = 0,  // being read, validated and compiled
  WARDEN_STATE_READY = 1,    // runnable (running or queued on a hart)
  WARDEN_STATE_WAITING = 2,  // suspended: console input, a timer, a child
  WARDEN_STATE_ENDED = 3,    // ended, not yet waited for
};

struct warden_program {
  uint32_t pid;
  uint32_t parent;        // 0 for the first program
  uint32_t state;         // enum warden_state
  uint32_t hart;          // the hart that ran its last slice
  uint64_t memory_bytes;  // memory charged to it: linear memory, tables, stacks, code, records
  uint64_t cpu_ns;        // CPU time used so far
  char name[32];          // argv[0], NUL-terminated, truncated
};

// Writes up to `max` entries of the programs now known to the kernel (running or ended and not
// yet waited for), in order of id, and their total count to `*count` (which may exceed `max`).
int32_t warden_list(struct warden_program* programs, uint32_t max, uint32_t* count)
    WARDEN_IMPORT("list");

// Ends program `pid`, one of the caller's descendants (its children, theirs, and orphans whose
// parents ended and that now answer to the caller): it stops at its next instruction boundary and
// releases what it holds; its waiter sees WARDEN_END_KILLED. EPERM for any other program (the
// caller itself, its parent, a sibling, the first program); ESRCH: no such program, or it ended.
int32_t warden_kill(uint32_t pid) WARDEN_IMPORT("kill");

// Writes a human-readable report of memory and scheduler statistics (several lines of text,
// NUL-terminated, truncated to `len`) and its length without the NUL to `*written`.
int32_t warden_stats(char* buf, uint32_t len, uint32_t* written) WARDEN_IMPORT("stats");

// Console input modes.
// COOKED: a line at a time, with echo and Backspace; Ctrl-D is the end of input and Ctrl-C ends
// the foreground program. RAW: every byte as typed, no echo (Ctrl-C arrives as 0x03).
#define WARDEN_CONSOLE_COOKED 0u
#define WARDEN_CONSOLE_RAW 1u

// Sets the console's input mode. Only a program that owns the console (the first program, or a
// program of the foreground group it gave the console to with WARDEN_SPAWN_FOREGROUND) may change
// it; others get EPERM (63). Others that read the console wait until they own it. Output is the
// same in both modes: every '\n' written to the console goes out as "\r\n" (so a line editor in
// raw mode ends its lines with "\n" alone).
int32_t warden_console_mode(uint32_t mode) WARDEN_IMPORT("console_mode");

// Makes a pipe: what is written to *write_fd can be read from *read_fd. Both are new descriptors
// of the caller (the lowest free numbers); either can become a child's descriptor through
// warden_spawn's stdio or warden_spawn_fds. A reader of an empty pipe waits (EAGAIN with
// FDFLAGS_NONBLOCK) and reads end of file once every write end is closed; a write with every read
// end closed fails with EPIPE.
// Errors: EMFILE, ENOMEM, EFAULT.
int32_t warden_pipe(uint32_t* read_fd, uint32_t* write_fd) WARDEN_IMPORT("pipe");

// TCP (IPv4) over the kernel's network stack. `address` (not NUL-terminated, `address_len`
// bytes) is "A.B.C.D:PORT"; for a listener "*:PORT" or ":PORT" means every address of the
// machine. The socket is a new descriptor of the caller (the lowest free number), a WASI socket
// (filetype SOCKET_STREAM): a listener takes sock_accept (accept()), a connection fd_read,
// fd_write, sock_recv, sock_send, sock_shutdown and fd_close, and both poll_oneoff readiness and
// FDFLAGS_NONBLOCK. Like a pipe end it can become a child's descriptor through warden_spawn_fds
// (a listener handed to a server such as /bin/httpd.wasm) or travel through a channel. Each socket
// counts against the caller's descriptor limit and its buffers (128 KiB) against its memory.
//
// Listens on `address` with room for `backlog` (1..128) connections not yet accepted.
// Errors: EADDRINUSE, EADDRNOTAVAIL, ENETDOWN (the machine has no network), EINVAL (a malformed
// address or backlog), EMFILE, ENOMEM, EFAULT.
int32_t warden_tcp_listen(const char* address, uint32_t address_len, uint32_t backlog, uint32_t* fd)
    WARDEN_IMPORT("tcp_listen");
// Connects to `address`; waits until the connection is made (with FDFLAGS_NONBLOCK on nothing:
// this call always waits) or fails. Errors: ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH,
// ENETDOWN, EINVAL, EMFILE, ENOMEM, EFAULT.
int32_t warden_tcp_connect(const char* address, uint32_t address_len, uint32_t* fd)
    WARDEN_IMPORT("tcp_connect");

// --- Channels and services (docs/ipc.md).
//
// A channel is two ends that carry messages both ways; a message is up to
// WARDEN_CHANNEL_MAX_BYTES bytes plus up to WARDEN_CHANNEL_MAX_HANDLES descriptors, which it MOVES
// to the receiver. Each direction queues at most 64 messages and 256 KiB. A channel end cannot be
// duplicated: it cannot become a child's descriptor through warden_spawn or warden_spawn_fds
// (EBADF); a program gets channels by making them, by receiving them in a message, or by
// connecting to a service. poll() (poll_oneoff) waits on channel ends and services with the
// other descriptors: POLLIN for a message (or a connection, on a service), POLLOUT for room in
// the peer's queue, POLLHUP once the peer is closed. Closing an end (or ending) is seen by the
// peer: its reads give EPIPE once it has read what was queued for it, its writes EPIPE at once;
// the messages queued for the closed end are freed, with the descriptors they carried.

#define WARDEN_CHANNEL_MAX_BYTES 65536u
#define WARDEN_CHANNEL_MAX_HANDLES 64u

// Makes a channel: its two ends are new descriptors of the caller. Errors: EMFILE, ENOMEM.
int32_t warden_channel(uint32_t* fd0, uint32_t* fd1) WARDEN_IMPORT("channel");

// One descriptor a message moves, and the rights the receiver gets.
#define WARDEN_TRANSFER_REDUCE 1u  // the receiver keeps only the WASI rights in `rights`
struct warden_transfer {
  uint32_t fd;      // the sender's descriptor (it is closed once the message is queued)
  uint32_t flags;   // 0 or WARDEN_TRANSFER_REDUCE
  uint64_t rights;  // with WARDEN_TRANSFER_REDUCE: a mask of WASI rights (__WASI_RIGHTS_*)
};

// Sends `len` bytes and the `count` descriptors `transfers` names through the channel end `fd`.
// Any descriptor can be sent: a file, a directory, the console, /dev/null, a pipe end, another
// channel end, a service. The receiver gets it with the sender's rights, fdflags and position
// (with WARDEN_TRANSFER_REDUCE its rights ANDed with `rights`: a reduction, never an increase;
// e.g. a file sent without __WASI_RIGHTS_FD_WRITE cannot be written by the receiver). The
// descriptors leave the sender only if the message is queued: on any error nothing changed.
// A full queue waits for room (EAGAIN with O_NONBLOCK). Errors: EPIPE (the peer is closed),
// EMSGSIZE (over WARDEN_CHANNEL_MAX_BYTES or WARDEN_CHANNEL_MAX_HANDLES), EINVAL (a descriptor
// named twice, an end of this very channel, unknown flags, or a channel end or service that has
// channel ends or connections queued for it: read those first, so that no cycle of ends can keep
// itself alive), EBADF (`fd` not a channel end, a transfer not open), ENOTCAPABLE (`fd` lacks
// fd_write), ENOMEM.
int32_t warden_channel_write(uint32_t fd, const void* bytes, uint32_t len,
                             const struct warden_transfer* transfers, uint32_t count)
    WARDEN_IMPORT("channel_write");

// Reads the next message from the channel end `fd`: its bytes into `bytes`, its descriptors (new
// descriptors of the caller, the lowest free numbers) into `fds`, their counts into
// *actual_bytes and *actual_fds. Waits for a message (EAGAIN with O_NONBLOCK). ENOBUFS: the
// message has more than `len` bytes or `max_fds` descriptors; *actual_bytes and *actual_fds say
// what it needs and it stays queued. EPIPE: the peer is closed and everything it sent was read.
// EMFILE: the caller cannot take its descriptors (it stays queued). EBADF, ENOTCAPABLE.
int32_t warden_channel_read(uint32_t fd, void* bytes, uint32_t len, uint32_t* fds, uint32_t max_fds,
                            uint32_t* actual_bytes, uint32_t* actual_fds)
    WARDEN_IMPORT("channel_read");

// Publishes the service `name` (1 to 64 bytes of [A-Za-z0-9._-], seen as /svc/NAME; "/svc/NAME"
// is accepted too): *fd is a new descriptor of it, readable (poll) when a connection is pending.
// The service is unpublished when that descriptor closes (or the program ends): connections not
// yet accepted are closed. Errors: EEXIST (published already), EINVAL (the name), ENAMETOOLONG,
// EMFILE, ENOMEM.
int32_t warden_service_publish(const char* name, uint32_t len, uint32_t* fd)
    WARDEN_IMPORT("service_publish");

// Connects to the service `name`: *fd is a new channel end whose peer the service receives with
// warden_service_accept. Errors: ENOENT (no such service), EAGAIN (16 connections wait for it
// already), EINVAL, ENAMETOOLONG, EMFILE, ENOMEM.
int32_t warden_service_connect(const char* name, uint32_t len, uint32_t* fd)
    WARDEN_IMPORT("service_connect");

// Takes the oldest pending connection of the service `service_fd`: *fd is a new channel end.
// Waits for one (EAGAIN with O_NONBLOCK). EMFILE (it stays pending), EBADF, ENOTCAPABLE.
int32_t warden_service_accept(uint32_t service_fd, uint32_t* fd) WARDEN_IMPORT("service_accept");

#ifdef __cplusplus
}
#endif

// The `warden` import module (apps/include/warden.h, docs/programs.md): spawn, spawn_fds, wait,
// list, kill, stats, console_mode, pipe, channel, channel_write, channel_read, service_publish,
// service_connect, service_accept, tcp_listen, tcp_connect. Every function checks its pointers and
// lengths against the caller's memory before it changes anything, and answers with a WASI errno.
// What it reads from the caller's memory (spawn's path, arguments, environment, working directory,
// stdio numbers and descriptor map; a message's bytes and transfers; a service name) it copies into
// kernel memory once, within fixed bounds, and checks and uses only the copy (wasm/guest_memory.h).
#include <ipc/channel.h>
#include <ipc/service.h>
#include <kernel/console/tty.h>
#include <kernel/mm/memory.h>
#include <kernel/mm/wasm_memory.h>
#include <kernel/net/stack.h>
#include <support/format.h>
#include <wasm/guest_memory.h>

#include <kernel/proc/program.h>

namespace programs {
namespace {

// WASI errno values.
constexpr u32 kSuccess = 0;
constexpr u32 kTooBig = 1;
constexpr u32 kMaxPath = 4096;
constexpr u64 kMaxArgs = 256 * 1024;  // argv and environment bytes together
// What the kernel keeps for each argv or environment string besides its bytes (its records in
// the request and in the child's WASI context), counted against kMaxArgs: 262,144 empty strings
// (256 KiB) made the kernel keep 10 MiB for a child.
constexpr u64 kArgOverhead = 32;
constexpr u32 kAgain = 6;
constexpr u32 kBadf = 8;
constexpr u32 kFault = 21;
constexpr u32 kInval = 28;
constexpr u32 kNoent = 44;
constexpr u32 kNomem = 48;
constexpr u32 kPerm = 63;
constexpr u32 kSrch = 71;

using wasm::HostCall;
using wasm::HostStatus;

wasm::GuestMemory memory_of(Program& p) {
  return wasm::GuestMemory::of(p.instance != nullptr ? p.instance->memory : nullptr);
}

u32 arg(HostCall& call, usize i) { return static_cast<u32>(call.args[i]); }

HostStatus answer(HostCall& call, u32 errno_value) {
  call.results[0] = errno_value;
  return HostStatus::Ok;
}

// Splits `count` NUL-terminated strings packed in `bytes`; false when they do not add up.
bool split_strings(const u8* bytes, u32 len, u32 count, support::Vector<support::Vector<u8>>& out) {
  u32 at = 0;
  for (u32 i = 0; i < count; ++i) {
    u32 end = at;
    while (end < len && bytes[end] != 0) ++end;
    if (end >= len) return false;
    support::Vector<u8> s;
    if (s.try_resize(end - at).is_error()) return false;
    for (u32 j = at; j < end; ++j) s[j - at] = bytes[j];
    if (out.try_push(support::move(s)).is_error()) return false;
    at = end + 1;
  }
  return at == len;
}

// Spawn flags (warden.h): WARDEN_SPAWN_FOREGROUND, WARDEN_SPAWN_GROUP (only with the first).
constexpr u32 kSpawnForeground = 1;
constexpr u32 kSpawnGroup = 2;

// The guest's struct warden_fd_map, byte for byte.
struct FdMap {
  u32 child;
  u32 parent;
  u32 flags;
  u32 pad;
  u64 rights;
};
static_assert(sizeof(FdMap) == 24 && wasm::GuestLayout<FdMap>);
constexpr u32 kFdReduce = 1;  // WARDEN_FD_REDUCE

// Checks the copied descriptor map and puts it in the request: EINVAL for a child number twice
// or not below program.files, unknown flags or a nonzero pad.
u32 map_fds(support::Span<const FdMap> fds, SpawnRequest& request) {
  support::Vector<u8> taken;
  if (taken.try_resize(g_limits.open_files).is_error() ||
      request.fds.try_reserve(fds.size()).is_error()) {
    return kNomem;
  }
  for (usize i = 0; i < taken.size(); ++i) taken[i] = 0;
  for (const FdMap& m : fds) {
    if ((m.flags & ~kFdReduce) != 0 || m.pad != 0 || m.child >= taken.size() || taken[m.child]) {
      return kInval;
    }
    taken[m.child] = 1;
    MUST(request.fds.try_push({m.child, m.parent, (m.flags & kFdReduce) ? m.rights : ~u64{0}}));
  }
  request.map_fds = true;
  return kSuccess;
}

// warden_spawn (13 arguments: ..., stdio, flags, pid) and warden_spawn_fds (14: ..., fds, count,
// flags, pid) share the first ten and everything after the copy.
HostStatus spawn_call(Program& p, HostCall& call, bool with_map) {
  wasm::GuestMemory memory = memory_of(p);
  u32 path_ptr = arg(call, 0), path_len = arg(call, 1), argv_ptr = arg(call, 2);
  u32 argv_len = arg(call, 3), argc = arg(call, 4), env_ptr = arg(call, 5), env_len = arg(call, 6);
  u32 envc = arg(call, 7), cwd_ptr = arg(call, 8), cwd_len = arg(call, 9);
  u32 table_ptr = arg(call, 10);
  u32 count = with_map ? arg(call, 11) : 3;
  u32 flags = arg(call, with_map ? 12 : 11), pid_out = arg(call, with_map ? 13 : 12);
  u64 table_bytes = u64{count} * (with_map ? sizeof(FdMap) : sizeof(i32));
  if (!memory.ok(path_ptr, path_len) || !memory.ok(argv_ptr, argv_len) ||
      !memory.ok(env_ptr, env_len) || !memory.ok(cwd_ptr, cwd_len) ||
      !memory.ok(table_ptr, table_bytes) || !memory.ok(pid_out, 4)) {
    return answer(call, kFault);
  }
  // Bounds on what the kernel copies for the child (its heap is shared by every program).
  u64 strings_cost = u64{argv_len} + env_len + (u64{argc} + envc) * kArgOverhead;
  if (path_len > kMaxPath || cwd_len > kMaxPath || strings_cost > kMaxArgs ||
      count > g_limits.open_files) {
    return answer(call, kTooBig);
  }
  bool bad_flags = (flags & ~(kSpawnForeground | kSpawnGroup)) != 0 ||
                   (flags & (kSpawnForeground | kSpawnGroup)) == kSpawnGroup;
  if (bad_flags || argc == 0 || path_len == 0 || cwd_len == 0) return answer(call, kInval);
  // The request, copied once: everything below checks and uses only these copies.
  support::Vector<u8> path, cwd, strings;  // strings: argv's, then env's
  i32 stdio[3];
  support::Vector<FdMap> fds;
  if (path.try_resize(path_len).is_error() || cwd.try_resize(cwd_len).is_error() ||
      strings.try_resize(static_cast<usize>(argv_len) + env_len).is_error() ||
      (with_map && fds.try_resize(count).is_error())) {
    return answer(call, kNomem);
  }
  if (memory.copy_in(path_ptr, path.span()).is_error() ||
      memory.copy_in(cwd_ptr, cwd.span()).is_error() ||
      memory.copy_in(argv_ptr, strings.span().subspan(0, argv_len)).is_error() ||
      memory.copy_in(env_ptr, strings.span().subspan(argv_len)).is_error() ||
      (with_map ? memory.copy_in(table_ptr, fds.span())
                : memory.copy_in(table_ptr, support::Span<i32>(stdio, 3)))
          .is_error()) {
    return answer(call, kFault);
  }
  if (cwd[0] != '/') return answer(call, kInval);
  SpawnRequest request;
  if (!split_strings(strings.data(), argv_len, argc, request.argv) ||
      !split_strings(strings.data() + argv_len, env_len, envc, request.env)) {
    return answer(call, kInval);
  }
  if (with_map) {
    if (u32 e = map_fds(fds.span(), request); e != kSuccess) return answer(call, e);
  } else {
    for (u32 i = 0; i < 3; ++i) request.stdio[i] = stdio[i];
  }
  request.path = {reinterpret_cast<const char*>(path.data()), path_len};
  request.cwd = {reinterpret_cast<const char*>(cwd.data()), cwd_len};
  request.parent = p.pid;
  request.foreground = (flags & kSpawnForeground) != 0;
  request.join_group = (flags & kSpawnGroup) != 0;
  auto spawned = spawn(request);
  if (spawned.is_error()) {
    switch (spawned.error()) {
      case SpawnError::NotFound: return answer(call, kNoent);
      case SpawnError::BadDescriptor: return answer(call, kBadf);
      case SpawnError::Invalid: return answer(call, kInval);
      case SpawnError::NoMemory: return answer(call, kNomem);
      case SpawnError::TooMany: return answer(call, kAgain);
      // Only the console's owner may hand the console (and Ctrl-C) to a child.
      case SpawnError::NotOwner: return answer(call, kPerm);
    }
  }
  // The pointer was checked above and memory never shrinks.
  memory.put<u32>(pid_out, spawned.value());
  return answer(call, kSuccess);
}

HostStatus warden_spawn(void* env, HostCall& call) {
  return spawn_call(*static_cast<Program*>(env), call, false);
}

HostStatus warden_spawn_fds(void* env, HostCall& call) {
  return spawn_call(*static_cast<Program*>(env), call, true);
}

// wait(pid, exit_ptr, reason_ptr, reason_len): completes once the child has ended.
HostStatus wait_retry(Program& p, HostCall& call) {
  u32 pid = arg(call, 0), reason_len = arg(call, 3);
  Exit exit;
  switch (take_exit(pid, p.pid, exit)) {
    case TakeExit::NoSuchChild: return answer(call, kSrch);
    case TakeExit::NotYet:
      p.set_wait_for(WaitFor::Child);
      p.child = pid;
      return HostStatus::Pending;
    case TakeExit::Taken: break;
  }
  wasm::GuestMemory memory = memory_of(p);
  u32 out = arg(call, 1), reason = arg(call, 2);
  if (!memory.ok(out, 8) || !memory.ok(reason, reason_len)) return answer(call, kFault);
  memory.put<i32>(out, exit.code);
  memory.put<u32>(out + 4, static_cast<u32>(exit.end));
  if (reason_len > 0) {
    u32 n = 0;
    while (n + 1 < reason_len && exit.reason[n] != '\0') ++n;
    memory.copy_out(reason, support::Bytes(reinterpret_cast<const u8*>(exit.reason), n));
    memory.put<u8>(reason + n, 0);
  }
  return answer(call, kSuccess);
}

HostStatus warden_wait(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  // Check the buffers first: a bad pointer must not consume the child's exit.
  wasm::GuestMemory memory = memory_of(p);
  if (!memory.ok(arg(call, 1), 8) || !memory.ok(arg(call, 2), arg(call, 3))) {
    return answer(call, kFault);
  }
  p.retry = wait_retry;
  return wait_retry(p, call);
}

HostStatus warden_list(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  constexpr u32 kEntry = 64;  // struct warden_program
  u32 max = arg(call, 1);
  if (max > (1u << 20)) return answer(call, kInval);
  wasm::GuestMemory memory = memory_of(p);
  if (!memory.ok(arg(call, 0), static_cast<u64>(max) * kEntry) || !memory.ok(arg(call, 2), 4)) {
    return answer(call, kFault);
  }
  support::Vector<Info> infos;
  usize total = list(nullptr, 0);
  if (infos.try_resize(total + 8).is_error()) return answer(call, kNomem);
  total = list(infos.data(), infos.size());
  usize n = total < infos.size() ? total : infos.size();
  for (usize i = 0; i < n && i < max; ++i) {
    u64 e = arg(call, 0) + i * kEntry;
    const Info& info = infos[i];
    memory.put<u32>(e, info.pid);
    memory.put<u32>(e + 4, info.parent);
    memory.put<u32>(e + 8, static_cast<u32>(info.state));
    memory.put<u32>(e + 12, info.hart);
    memory.put<u64>(e + 16, info.memory_bytes);
    memory.put<u64>(e + 24, info.cpu_ns);
    memory.copy_out(e + 32, support::Bytes(reinterpret_cast<const u8*>(info.name), 31));
    memory.put<u8>(e + 63, 0);
  }
  memory.put<u32>(arg(call, 2), static_cast<u32>(total));
  return answer(call, kSuccess);
}

HostStatus warden_kill(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  auto killed = kill_as(p.pid, arg(call, 0));
  if (killed.is_ok()) return answer(call, kSuccess);
  return answer(call, killed.error() == KillError::NotPermitted ? kPerm : kSrch);
}

HostStatus warden_stats(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  auto buf = memory.bytes(arg(call, 0), arg(call, 1));
  if (buf.is_error() || !memory.ok(arg(call, 2), 4)) return answer(call, kFault);
  if (buf.value().empty()) return answer(call, kInval);
  // Written only (formatted text), never read back.
  support::BufferSink sink(reinterpret_cast<char*>(buf.value().data()), buf.value().size());
  Stats s = stats();
  mem::HeapStats heap = kmem::heap_stats();
  mem::FrameStats frames = kmem::frames().stats();
  support::format(sink, "memory: {} of {} frames free (4 KiB), linear memory {} KiB committed\n",
                  frames.free, frames.total, wasm_memory::committed_bytes() / 1024);
  support::format(sink, "heap: {} KiB in use\n", heap.bytes_in_use / 1024);
  support::format(sink, "programs: {} running, {} started, {} ended; {} modules cached ({} hits)\n",
                  s.running, s.spawned, s.ended, s.cached_modules, s.cache_hits);
  support::format(sink, "program memory: {} KiB of {} KiB (+ {} KiB reserve), {} KiB cached code\n",
                  s.memory_used / 1024, s.memory_limit / 1024, s.reserve / 1024,
                  s.cached_bytes / 1024);
  support::format(sink, "handles: {} open, {} objects ({} sockets), {} messages queued\n",
                  ipc::stats::handles(), ipc::stats::objects(),
                  ipc::stats::objects(ipc::Kind::Socket), ipc::stats::messages());
  if (net::up()) {
    net::Stats n = net::stats();
    support::format(sink,
                    "net: tcp pcbs {}/{}, segments {}/{}, pbufs {}/{}, heap {}/{} KiB, refused "
                    "{}; frames in {}, out {}, dropped {}\n",
                    n.tcp_pcbs, n.tcp_pcbs_max, n.tcp_segments, n.tcp_segments_max, n.pbufs,
                    n.pbufs_max, n.heap_used >> 10, n.heap_size >> 10, n.pool_errors, n.rx_frames,
                    n.tx_frames, n.rx_malformed + n.rx_no_buffer + n.tx_dropped);
  }
  support::format(sink, "slices: {} ({} stopped by the timer); per hart:", s.slices, s.preempted);
  for (u32 i = 0; i < arch::kMaxCpus; ++i) {
    if (s.slices_on_hart[i] != 0) support::format(sink, " {}:{}", i, s.slices_on_hart[i]);
  }
  support::format(sink, "\n");
  memory.put<u32>(arg(call, 2), static_cast<u32>(sink.view().size()));
  return answer(call, kSuccess);
}

HostStatus warden_console_mode(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  u32 mode = arg(call, 0);
  if (mode > 1) return answer(call, kInval);
  if (p.pid != console_owner()) return answer(call, kPerm);
  tty::set_mode(mode == 1 ? tty::Mode::Raw : tty::Mode::Cooked);
  return answer(call, kSuccess);
}

// For pipe and channel: `make` gives the caller two new descriptors, written to the two
// pointers of the call (checked first: EFAULT before anything is made).
HostStatus answer_two_descriptors(Program& p, HostCall& call,
                                  wasi::Errno (*make)(Program&, u32*, u32*)) {
  wasm::GuestMemory memory = memory_of(p);
  u32 out0 = arg(call, 0), out1 = arg(call, 1);
  if (!memory.ok(out0, 4) || !memory.ok(out1, 4)) return answer(call, kFault);
  u32 fd0 = 0, fd1 = 0;
  wasi::Errno e = make(p, &fd0, &fd1);
  if (e != wasi::Errno::Success) return answer(call, static_cast<u32>(e));
  memory.put<u32>(out0, fd0);
  memory.put<u32>(out1, fd1);
  return answer(call, kSuccess);
}

// pipe(read_fd_ptr, write_fd_ptr): a pipe, its ends two new descriptors of the caller.
HostStatus warden_pipe(void* env, HostCall& call) {
  return answer_two_descriptors(*static_cast<Program*>(env), call, wasi_pipe);
}

// channel(fd0_ptr, fd1_ptr): a channel, its ends two new descriptors of the caller.
HostStatus warden_channel(void* env, HostCall& call) {
  return answer_two_descriptors(*static_cast<Program*>(env), call, wasi_channel);
}

// The guest's struct warden_transfer, byte for byte.
static_assert(sizeof(ChannelTransfer) == 16 && wasm::GuestLayout<ChannelTransfer>);

// An errno, or Pending (the call waits and `retry` runs it again).
HostStatus answer_or_wait(Program& p, HostCall& call, wasi::Errno e,
                          HostStatus (*retry)(Program&, HostCall&)) {
  if (e == wasi::Errno::WouldBlock) {
    p.retry = retry;
    return HostStatus::Pending;
  }
  return answer(call, static_cast<u32>(e));
}

HostStatus channel_write_retry(Program& p, HostCall& call) {
  return answer_or_wait(p, call, wasi_channel_write_retry(p), channel_write_retry);
}

// channel_write(fd, bytes, len, transfers, count): a message of `len` bytes and the `count`
// descriptors `transfers` names (struct warden_transfer) to the channel end `fd`. The bytes are
// copied once, into the message; the transfers once, into a kernel array.
HostStatus warden_channel_write(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  u32 fd = arg(call, 0), bytes_ptr = arg(call, 1), len = arg(call, 2);
  u32 transfers_ptr = arg(call, 3), count = arg(call, 4);
  if (!memory.ok(bytes_ptr, len) ||
      !memory.ok(transfers_ptr, u64{count} * sizeof(ChannelTransfer))) {
    return answer(call, kFault);
  }
  if (count > ipc::kMaxMessageHandles) return answer(call, static_cast<u32>(wasi::Errno::Msgsize));
  ChannelTransfer transfers[ipc::kMaxMessageHandles];
  support::Span<ChannelTransfer> copy(transfers, count);
  if (memory.copy_in(transfers_ptr, copy).is_error()) return answer(call, kFault);
  // The bytes are data the kernel never interprets: the message copies them (once).
  auto bytes = memory.bytes(bytes_ptr, len);
  if (bytes.is_error()) return answer(call, kFault);
  support::Bytes data(bytes.value().data(), bytes.value().size());
  wasi::Errno e =
      wasi_channel_write(p, fd, data, support::Span<const ChannelTransfer>(transfers, count));
  return answer_or_wait(p, call, e, channel_write_retry);
}

// channel_read(fd, bytes, len, fds, max_fds, actual_bytes_ptr, actual_fds_ptr): the next message.
HostStatus warden_channel_read(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  u32 fd = arg(call, 0), bytes_ptr = arg(call, 1), len = arg(call, 2);
  u32 fds_ptr = arg(call, 3), max_fds = arg(call, 4);
  u32 actual_bytes = arg(call, 5), actual_fds = arg(call, 6);
  if (!memory.ok(bytes_ptr, len) || !memory.ok(fds_ptr, u64{max_fds} * 4) ||
      !memory.ok(actual_bytes, 4) || !memory.ok(actual_fds, 4)) {
    return answer(call, kFault);
  }
  u32 fds[ipc::kMaxMessageHandles];
  u32 room = max_fds < ipc::kMaxMessageHandles ? max_fds : ipc::kMaxMessageHandles;
  auto bytes = memory.bytes(bytes_ptr, len);
  if (bytes.is_error()) return answer(call, kFault);
  ipc::MessageSizes sizes;
  wasi::Errno e = wasi_channel_read(p, fd, bytes.value(), support::Span<u32>(fds, room), &sizes);
  if (e == wasi::Errno::WouldBlock) {
    p.retry = [](Program& q, HostCall& c) { return warden_channel_read(&q, c); };
    return HostStatus::Pending;
  }
  if (e == wasi::Errno::Success || e == wasi::Errno::Nobufs) {
    memory.put<u32>(actual_bytes, sizes.bytes);
    memory.put<u32>(actual_fds, sizes.handles);
  }
  if (e == wasi::Errno::Success) {
    memory.copy_out(fds_ptr,
                    support::Bytes(reinterpret_cast<const u8*>(fds), u64{sizes.handles} * 4));
  }
  return answer(call, static_cast<u32>(e));
}

// A service name ("kv" or "/svc/kv"), copied once: at most "/svc/" and 64 bytes.
constexpr u32 kMaxServiceArg = 5 + ipc::kMaxServiceName;

template <wasi::Errno (*fn)(Program&, StringView, u32*)>
HostStatus service_by_name(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  u32 name_ptr = arg(call, 0), len = arg(call, 1), out = arg(call, 2);
  if (!memory.ok(name_ptr, len) || !memory.ok(out, 4)) return answer(call, kFault);
  if (len > kMaxServiceArg) return answer(call, static_cast<u32>(wasi::Errno::Nametoolong));
  char name[kMaxServiceArg];
  if (memory.copy_in(name_ptr, support::Span<char>(name, len)).is_error()) {
    return answer(call, kFault);
  }
  u32 fd = 0;
  wasi::Errno e = fn(p, StringView(name, len), &fd);
  if (e == wasi::Errno::Success) memory.put<u32>(out, fd);
  return answer(call, static_cast<u32>(e));
}

// service_accept(service_fd, fd_ptr): the oldest pending connection, waiting for one.
HostStatus warden_service_accept(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  u32 out = arg(call, 1);
  if (!memory.ok(out, 4)) return answer(call, kFault);
  u32 fd = 0;
  wasi::Errno e = wasi_service_accept(p, arg(call, 0), &fd);
  if (e == wasi::Errno::WouldBlock) {
    p.retry = [](Program& q, HostCall& c) { return warden_service_accept(&q, c); };
    return HostStatus::Pending;
  }
  if (e == wasi::Errno::Success) memory.put<u32>(out, fd);
  return answer(call, static_cast<u32>(e));
}

// A socket address ("A.B.C.D:PORT", "*:PORT"), copied once: at most 32 bytes. EINVAL when
// malformed.
constexpr u32 kMaxAddress = 32;
wasi::Errno copy_endpoint(wasm::GuestMemory memory, u32 ptr, u32 len, net::Endpoint* out) {
  if (len > kMaxAddress) return wasi::Errno::Inval;
  char text[kMaxAddress];
  if (memory.copy_in(ptr, support::Span<char>(text, len)).is_error()) return wasi::Errno::Fault;
  return net::parse_endpoint(StringView(text, len), out) ? wasi::Errno::Success
                                                         : wasi::Errno::Inval;
}

// tcp_listen(address, address_len, backlog, fd_ptr): a listening socket, a new descriptor.
HostStatus warden_tcp_listen(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  u32 address = arg(call, 0), len = arg(call, 1), backlog = arg(call, 2), out = arg(call, 3);
  if (!memory.ok(address, len) || !memory.ok(out, 4)) return answer(call, kFault);
  net::Endpoint local;
  wasi::Errno e = copy_endpoint(memory, address, len, &local);
  if (e != wasi::Errno::Success) return answer(call, static_cast<u32>(e));
  if (backlog < 1 || backlog > 128) return answer(call, kInval);
  u32 fd = 0;
  e = wasi_tcp_listen(p, local, backlog, &fd);
  if (e == wasi::Errno::Success) memory.put<u32>(out, fd);
  return answer(call, static_cast<u32>(e));
}

// tcp_connect's answer once the connection is made or failed; its retries (the program waits)
// continue the connection already started, reading nothing of the program's memory again but
// the result pointer's place.
HostStatus tcp_connect_answer(Program& p, HostCall& call, wasi::Errno e, u32 fd) {
  if (e == wasi::Errno::WouldBlock) {
    p.retry = [](Program& q, HostCall& c) {
      u32 made = 0;
      wasi::Errno again = wasi_tcp_connect(q, net::Endpoint{}, &made);
      return tcp_connect_answer(q, c, again, made);
    };
    return HostStatus::Pending;
  }
  if (e == wasi::Errno::Success) memory_of(p).put<u32>(arg(call, 2), fd);
  return answer(call, static_cast<u32>(e));
}

// tcp_connect(address, address_len, fd_ptr): a connection, a new descriptor, once made.
HostStatus warden_tcp_connect(void* env, HostCall& call) {
  Program& p = *static_cast<Program*>(env);
  wasm::GuestMemory memory = memory_of(p);
  u32 address = arg(call, 0), len = arg(call, 1), out = arg(call, 2);
  if (!memory.ok(address, len) || !memory.ok(out, 4)) return answer(call, kFault);
  net::Endpoint remote;
  wasi::Errno e = copy_endpoint(memory, address, len, &remote);
  if (e != wasi::Errno::Success) return answer(call, static_cast<u32>(e));
  if (remote.address == 0) return answer(call, kInval);
  u32 fd = 0;
  e = wasi_tcp_connect(p, remote, &fd);
  return tcp_connect_answer(p, call, e, fd);
}

struct Export {
  const char* name;
  u32 params;  // all i32, one i32 result
  wasm::HostFunction fn;
};

constexpr Export kExports[] = {
    {"spawn", 13, warden_spawn},
    {"spawn_fds", 14, warden_spawn_fds},
    {"wait", 4, warden_wait},
    {"list", 3, warden_list},
    {"kill", 1, warden_kill},
    {"stats", 3, warden_stats},
    {"console_mode", 1, warden_console_mode},
    {"pipe", 2, warden_pipe},
    {"channel", 2, warden_channel},
    {"channel_write", 5, warden_channel_write},
    {"channel_read", 7, warden_channel_read},
    {"service_publish", 3, service_by_name<wasi_service_publish>},
    {"service_connect", 3, service_by_name<wasi_service_connect>},
    {"service_accept", 2, warden_service_accept},
    {"tcp_listen", 4, warden_tcp_listen},
    {"tcp_connect", 3, warden_tcp_connect},
};

}  // namespace

support::Result<wasm::Extern, Failure> resolve_warden(Program& program, wasm::Store& store,
                                                      const wasm::Import& import,
                                                      const wasm::Module& module) {
  support::StringView name = module.name_of(import.name);
  for (const Export& e : kExports) {
    if (name != e.name) continue;
    if (import.kind != wasm::ExternKind::Func)
      return failure("unlinkable: warden.{} is a function", name);
    const wasm::FuncType& type = module.types[import.func_type];
    bool ok = type.param_count == e.params && type.result_count == 1;
    for (wasm::ValType t : type.types.span()) ok &= t == wasm::ValType::I32;
    if (!ok) {
      return failure("unlinkable: warden.{} has another type ({} i32 parameters, i32 result)", name,
                     e.params);
    }
    auto fn = store.create_host_function(type, e.fn, &program);
    if (fn.is_error()) return failure("out of memory");
    return wasm::Extern::func(fn.value());
  }
  return failure("unlinkable: unknown import warden.{}", name);
}

}  // namespace programs

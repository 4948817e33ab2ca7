// wasi_snapshot_preview1 over wasi::Os. Every function names its arguments (witx's names) at the
// top, then decodes and checks them (descriptors, rights, guest pointers), then acts; a
// WouldBlock from the Os before anything was written leaves the call pending (wasi.h).
//
// Errors are values: a step that can fail returns a Status or a Result<T, Errno> and TRY
// propagates its errno. The order of the checks is the order of the errnos a program sees when
// several arguments are wrong (the tests pin it), and no check comes after an effect.
//
// Guest structures are read once (wasm/guest_memory.h): iovec arrays, paths, link targets and
// poll subscriptions are copied into host memory, checked there, and only the copies are used.
#include <support/allocation_cost.h>
#include <support/format.h>
#include <wasi/wasi.h>

namespace wasi {

using support::Span;
using wasm::HostCall;
using wasm::HostStatus;

namespace {

using Mem = wasm::GuestMemory;

// Long calls work in pieces and ask the Os between them whether the program's time is up
// (Os::yield_due): a transfer moves at most kTransferPiece bytes per Os call, random_get asks for
// at most kRandomPiece bytes at a time. An append cannot stop in the middle (it is atomic), so one
// call appends at most kTransferPiece bytes.
constexpr u64 kTransferPiece = 256 * 1024;
constexpr u64 kRandomPiece = 64 * 1024;
// The most one transfer moves (Linux's MAX_RW_COUNT): the count fits wasi-libc's 32-bit ssize_t
// (a 4 GiB read came back to the program as -33554432).
constexpr u64 kMaxTransfer = 0x7ffff000;
// The largest file size and end of an allocation a program may ask for (Fbig beyond).
constexpr u64 kMaxFileSize = 1ull << 63;
// The longest name one path component may have (Nametoolong beyond), and the longest symbolic
// link target followed while resolving a path.
constexpr usize kMaxNameSize = 255;
constexpr usize kMaxLinkTarget = 1023;

// An Os answer as a Status, for TRY.
Status as_status(Errno e) {
  if (e != Errno::Success) return e;
  return {};
}

// An allocation's failure as the program sees it.
Status or_nomem(Result<void> r) {
  if (r.is_error()) return Errno::Nomem;
  return {};
}
template <typename T> Result<T, Errno> or_nomem(Result<T> r) {
  if (r.is_error()) return Errno::Nomem;
  return r.release_value();
}

Result<FileStat, Errno> stat(Os& os, Handle h) {
  FileStat st;
  TRY(as_status(os.stat(h, &st)));
  return st;
}

Result<FileStat, Errno> stat_at(Os& os, Handle dir, StringView name) {
  FileStat st;
  TRY(as_status(os.stat_at(dir, name, &st)));
  return st;
}

bool seekable(FileType type) {
  return type == FileType::RegularFile || type == FileType::BlockDevice;
}

// Whether the WASI layer keeps the descriptor's position (files opened by path_open). Inherited
// descriptors (add_fd) are streams even when they are files: a shell's `> log 2>&1` shares one
// position between two descriptors, which only the Os can keep.
bool positioned(const Descriptor& d) { return !d.stream && seekable(d.type); }

// What add_fd gives: a directory's rights, a socket's (it cannot tell a listener from a
// connection, so both sets: the Os refuses what does not fit), or a stream's.
Rights rights_for_stream(FileType type) {
  switch (type) {
    case FileType::Directory: return right::kDirectory;
    case FileType::SocketStream: return right::kSocketListener | right::kSocketConnection;
    default: return right::kStream;
  }
}

Rights rights_for(FileType type) {
  switch (type) {
    case FileType::Directory: return right::kDirectory;
    case FileType::RegularFile:
    case FileType::BlockDevice: return right::kRegularFile;
    default: return right::kStream;
  }
}

Result<void> copy_string(Vector<char>& out, StringView text) {
  TRY(out.try_resize(text.size() + 1));
  for (usize i = 0; i < text.size(); ++i) out[i] = text[i];
  out[text.size()] = '\0';
  return {};
}

// A path or link target that may be resolved inside the sandbox: not empty (Noent), not
// absolute (Notcapable: it could never be followed there), no NUL byte (Inval).
template <typename Text> Status check_relative(const Text& path) {
  if (path.size() == 0) return Errno::Noent;
  if (path[0] == '/') return Errno::Notcapable;
  for (usize i = 0; i < path.size(); ++i)
    if (path[i] == '\0') return Errno::Inval;
  return {};
}

// Host storage for a bounded array: inline for the common few, else one fallible allocation.
template <typename T, usize kInline> class SmallArray {
 public:
  Status resize(usize count) {
    if (count <= kInline) {
      view_ = Span<T>(inline_, count);
      return {};
    }
    TRY(or_nomem(heap_.try_resize(count)));
    view_ = heap_.span();
    return {};
  }
  Span<T> span() const { return view_; }

 private:
  T inline_[kInline] = {};
  Vector<T> heap_;
  Span<T> view_;
};

// A program's iovec array, copied once and checked: every buffer is inside the memory and the
// lengths add up to what a u32 result can report.
class IovecCopy {
 public:
  Status copy_in(Mem m, u32 ptr, u32 count) {
    if (!m.ok(ptr, u64{count} * kIovecSize)) return Errno::Fault;
    if (count > kMaxIovecs) return Errno::Inval;
    TRY(list_.resize(count));
    if (m.copy_in(ptr, list_.span()).is_error()) return Errno::Fault;
    for (const Iovec& v : list_.span()) {
      if (!m.ok(v.buf, v.len)) return Errno::Fault;
      total_ += v.len;
    }
    if (total_ > 0xffffffffu) return Errno::Inval;
    return {};
  }
  Span<const Iovec> span() const { return list_.span(); }
  u64 total() const { return total_; }

 private:
  SmallArray<Iovec, 8> list_;
  u64 total_ = 0;
};

Rights transfer_right(bool write) { return write ? right::kFdWrite : right::kFdRead; }

}  // namespace

struct Wasi::Args {
  HostCall& call;
  Mem mem;
  u32 arg32(u32 i) const { return static_cast<u32>(call.args[i]); }
  u64 arg64(u32 i) const { return call.args[i]; }
};

struct Wasi::Walk {
  Os& os;
  Vector<Handle> opened;  // directories entered on the way (closed at the end)
  Handle dir = 0;         // the directory holding the last component
  Vector<char> name;      // the last component, or "."
  bool trailing_slash = false;

  explicit Walk(Os& o) : os(o) {}
  ~Walk() {
    for (Handle h : opened) (void)os.close(h);
  }
  StringView last() const { return StringView(name.data(), name.size()); }
  Status set_name(StringView n) {
    TRY(or_nomem(name.try_resize(n.size())));
    for (usize i = 0; i < n.size(); ++i) name[i] = n[i];
    return {};
  }
  // Goes down into the directory `component` of the current one.
  Status enter(StringView component) {
    OpenOptions dir_only;
    dir_only.directory = true;
    dir_only.read = true;
    Handle h;
    TRY(as_status(os.open_at(dir, component, dir_only, &h)));
    if (opened.try_push(h).is_error()) {
      (void)os.close(h);
      return Errno::Nomem;
    }
    dir = h;
    return {};
  }
  // Goes back up to the directory it came from, or fails above `base` (Notcapable).
  Status leave(Handle base) {
    if (opened.empty()) return Errno::Notcapable;
    (void)os.close(opened.back());
    opened.pop_back();
    dir = opened.empty() ? base : opened.back();
    return {};
  }
};

// The function table: name, signature, method; generated from WASI_FUNCTIONS, as the ids are.
struct FunctionTable {
  struct Entry {
    const char* name;
    const char* sig;
    Errno (Wasi::*impl)(Wasi::Args&);
  };
#define WASI_TABLE_ENTRY(name, sig) {#name, sig, &Wasi::name},
  static constexpr Entry kAll[] = {WASI_FUNCTIONS(WASI_TABLE_ENTRY)};
#undef WASI_TABLE_ENTRY
};
static_assert(sizeof FunctionTable::kAll / sizeof FunctionTable::kAll[0] == kFunctionCount);

namespace {

enum class FunctionId : u32 {
#define WASI_FUNCTION_ID(name, sig) name,
  WASI_FUNCTIONS(WASI_FUNCTION_ID)
#undef WASI_FUNCTION_ID
};

const FunctionTable::Entry* const kFunctions = FunctionTable::kAll;
constexpr u32 kProcExit = static_cast<u32>(FunctionId::proc_exit);
static_assert(StringView(FunctionTable::kAll[kProcExit].name) == "proc_exit");

template <u32 Id> HostStatus trampoline(void* env, HostCall& call) {
  return static_cast<Wasi*>(env)->call(Id, call);
}

template <u32... Ids> struct Trampolines {
  static constexpr wasm::HostFunction kAll[] = {&trampoline<Ids>...};
};
template <u32 N, u32... Ids> struct MakeTrampolines : MakeTrampolines<N - 1, N - 1, Ids...> {};
template <u32... Ids> struct MakeTrampolines<0, Ids...> {
  using Type = Trampolines<Ids...>;
};
using AllTrampolines = MakeTrampolines<kFunctionCount>::Type;

wasm::ValType sig_type(char c) { return c == 'I' ? wasm::ValType::I64 : wasm::ValType::I32; }

Result<void> sig_to_type(const char* sig, wasm::FuncType& out) {
  u32 params = 0, results = 0;
  bool after = false;
  for (const char* p = sig; *p; ++p) {
    if (*p == '>') {
      after = true;
      continue;
    }
    TRY(out.types.try_push(sig_type(*p)));
    ++(after ? results : params);
  }
  out.param_count = params;
  out.result_count = results;
  return {};
}

bool type_matches(const char* sig, const wasm::FuncType& type) {
  u32 i = 0;
  bool after = false;
  u32 params = 0, results = 0;
  for (const char* p = sig; *p; ++p) {
    if (*p == '>') {
      after = true;
      continue;
    }
    if (i >= type.types.size() || type.types[i] != sig_type(*p)) return false;
    ++i;
    ++(after ? results : params);
  }
  return i == type.types.size() && params == type.param_count && results == type.result_count;
}

void write_sig(support::FormatSink& out, const char* sig) {
  out.write("(");
  bool first = true;
  const char* p = sig;
  for (; *p && *p != '>'; ++p) {
    support::format(out, "{}{}", first ? "" : " ", *p == 'I' ? "i64" : "i32");
    first = false;
  }
  out.write(") -> (");
  first = true;
  for (++p; *p; ++p) {
    support::format(out, "{}{}", first ? "" : " ", *p == 'I' ? "i64" : "i32");
    first = false;
  }
  out.write(")");
}

void write_type(support::FormatSink& out, const wasm::FuncType& type) {
  out.write("(");
  for (u32 i = 0; i < type.param_count; ++i)
    support::format(out, "{}{}", i ? " " : "", wasm::val_type_name(type.params()[i]));
  out.write(") -> (");
  for (u32 i = 0; i < type.result_count; ++i)
    support::format(out, "{}{}", i ? " " : "", wasm::val_type_name(type.results()[i]));
  out.write(")");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Setup, linking, dispatch.

Wasi::~Wasi() {
  for (Descriptor& d : fds_)
    if (d.open && d.owned) (void)os_.close(d.handle);
  if (poll_charge_ != 0) os_.uncharge(poll_charge_);
}

Result<void> Wasi::add_arg(StringView arg) {
  Vector<char> copy;
  TRY(copy_string(copy, arg));
  return args_.try_push(support::move(copy));
}

Result<void> Wasi::add_env(StringView entry) {
  Vector<char> copy;
  TRY(copy_string(copy, entry));
  return env_.try_push(support::move(copy));
}

Result<u32> Wasi::allocate_fd() {
  for (u32 i = 0; i < fds_.size(); ++i)
    if (!fds_[i].open) return i;
  TRY(fds_.try_resize(fds_.size() + 1));
  return static_cast<u32>(fds_.size() - 1);
}

Result<u32> Wasi::add_fd(Handle handle, Ownership ownership) {
  u32 n = TRY(allocate_fd());
  return add_fd_at(n, handle, ~Rights{0}, ~Rights{0}, ownership);
}

Result<u32> Wasi::add_fd_at(u32 number, Handle handle, Rights base_mask, Rights inheriting_mask,
                            Ownership ownership) {
  if (number < fds_.size() && fds_[number].open) return support::Error::Exists;
  FileStat st;
  if (os_.stat(handle, &st) != Errno::Success) st.type = FileType::Unknown;
  if (number >= fds_.size()) TRY(fds_.try_resize(static_cast<usize>(number) + 1));
  Descriptor& d = fds_[number];
  d = Descriptor{};
  d.open = true;
  d.owned = ownership == Ownership::Owned;
  d.handle = handle;
  d.type = st.type;
  d.stream = true;
  d.base = rights_for_stream(st.type) & base_mask;
  d.inheriting =
      (st.type == FileType::Directory ? right::kDirectoryInheriting : 0) & inheriting_mask;
  return number;
}

Result<u32> Wasi::add_fd_like(Handle handle, const Descriptor& like) {
  u32 n = TRY(allocate_fd());
  Descriptor& d = fds_[n];
  d = Descriptor{};
  d.open = true;
  d.handle = handle;
  d.type = like.type;
  d.base = like.base;
  d.inheriting = like.inheriting;
  d.offset = like.offset;
  d.stream = like.stream;
  // A blocking Os must learn that this handle is not to wait; if it cannot, the flag goes.
  d.flags = like.flags;
  if ((d.flags & kFdflagNonblock) && os_.set_nonblocking(handle, true) != Errno::Success)
    d.flags &= static_cast<u16>(~kFdflagNonblock);
  return n;
}

Result<void> Wasi::reserve_fds(u32 count) {
  u32 free = 0;
  for (const Descriptor& d : fds_) free += d.open ? 0 : 1;
  if (free >= count) return {};
  return fds_.try_reserve(fds_.size() + (count - free));
}

Result<u32> Wasi::add_preopen(Handle dir, StringView guest_path, Ownership ownership) {
  u32 n = TRY(allocate_fd());
  Descriptor& d = fds_[n];
  d = Descriptor{};
  TRY(copy_string(d.preopen_name, guest_path));
  d.preopen_name.pop_back();  // no NUL: fd_prestat_dir_name copies exactly the name
  d.open = true;
  d.owned = ownership == Ownership::Owned;
  d.handle = dir;
  d.type = FileType::Directory;
  d.base = right::kDirectory;
  d.inheriting = right::kDirectoryInheriting;
  d.preopen = true;
  return n;
}

Result<u32> Wasi::add_socket(Handle socket, SocketRole role, Ownership ownership) {
  u32 n = TRY(allocate_fd());
  Descriptor& d = fds_[n];
  d = Descriptor{};
  d.open = true;
  d.owned = ownership == Ownership::Owned;
  d.handle = socket;
  d.type = FileType::SocketStream;
  d.base = role == SocketRole::Listener ? right::kSocketListener : right::kSocketConnection;
  d.stream = true;
  return n;
}

ImportResolution Wasi::resolve_import(wasm::Store& store, StringView module, StringView name,
                                      const wasm::FuncType& type) {
  ImportResolution r;
  if (!(module == kModuleName)) return r;
  support::BufferSink msg(r.message, sizeof r.message);
  for (u32 id = 0; id < kFunctionCount; ++id) {
    const FunctionTable::Entry& f = kFunctions[id];
    if (!(name == StringView(f.name))) continue;
    if (!type_matches(f.sig, type)) {
      r.kind = ImportResolution::Kind::WrongType;
      support::format(msg, "{}.{}: the module imports it as ", module, name);
      write_type(msg, type);
      msg.write(", WASI defines ");
      write_sig(msg, f.sig);
      return r;
    }
    if (funcs_[id] == nullptr) {
      wasm::FuncType ft;
      auto made = sig_to_type(f.sig, ft);
      auto fn = made.is_ok() ? store.create_host_function(ft, AllTrampolines::kAll[id], this)
                             : Result<wasm::FuncInst*>(support::Error::NoMemory);
      if (fn.is_error()) {
        r.kind = ImportResolution::Kind::NoMemory;
        support::format(msg, "{}.{}: out of memory", module, name);
        return r;
      }
      funcs_[id] = fn.value();
    }
    r.kind = ImportResolution::Kind::Found;
    r.func = funcs_[id];
    return r;
  }
  r.kind = ImportResolution::Kind::Unknown;
  support::format(msg, "unknown import {}.{}", module, name);
  return r;
}

Result<void> Wasi::bind(wasm::Instance* instance) {
  wasm::Extern e = instance->find_export("memory");
  if (e.ptr == nullptr || e.kind != wasm::ExternKind::Memory) return support::Error::NotFound;
  memory_ = static_cast<wasm::Memory*>(e.ptr);
  return {};
}

const char* Wasi::pending_name() const { return pending_ ? kFunctions[pending_id_].name : ""; }

HostStatus Wasi::call(u32 id, HostCall& call) {
  // A new call: nothing is kept from an abandoned pending one.
  poll_kept_ = false;
  progress_ = {};
  return dispatch(id, call);
}

HostStatus Wasi::dispatch(u32 id, HostCall& call) {
  Args a{call, Mem::of(memory_)};
  if (id == kProcExit) {  // proc_exit(rval) ends the execution instead of answering
    const u32 rval = a.arg32(0);
    pending_ = false;
    call.exit_code = rval;
    return HostStatus::Exit;
  }
  Errno e = (this->*kFunctions[id].impl)(a);
  if (e == Errno::WouldBlock) {
    pending_ = true;
    pending_id_ = id;
    return HostStatus::Pending;
  }
  pending_ = false;
  poll_kept_ = false;
  progress_ = {};
  call.results[0] = static_cast<u16>(e);
  return HostStatus::Ok;
}

HostStatus Wasi::retry(HostCall& call) {
  if (!pending_) return HostStatus::Ok;
  return dispatch(pending_id_, call);
}

const Descriptor* Wasi::descriptor(u32 number) const {
  return number < fds_.size() && fds_[number].open ? &fds_[number] : nullptr;
}

Descriptor* Wasi::find_fd(u32 number) {
  return number < fds_.size() && fds_[number].open ? &fds_[number] : nullptr;
}

Result<Descriptor*, Errno> Wasi::lookup(u32 number, Rights needed) {
  Descriptor* d = find_fd(number);
  if (d == nullptr) return Errno::Badf;
  if ((d->base & needed) != needed) return Errno::Notcapable;
  return d;
}

Result<Descriptor*, Errno> Wasi::data_descriptor(u32 number, Rights needed) {
  Descriptor* d = find_fd(number);
  if (d == nullptr) return Errno::Badf;
  if (d->type == FileType::Directory) return Errno::Isdir;
  return lookup(number, needed);
}

Result<Descriptor*, Errno> Wasi::seek_descriptor(u32 number, Rights needed) {
  auto d = data_descriptor(number, needed);
  if (d.is_error() && d.error() == Errno::Notcapable && !positioned(*find_fd(number)))
    return Errno::Spipe;
  return d;
}

Result<Vector<char>, Errno> Wasi::guest_path(u32 ptr, u32 len) {
  Mem m = Mem::of(memory_);
  if (!m.ok(ptr, len)) return Errno::Fault;
  if (len > kMaxPathSize) return Errno::Nametoolong;
  Vector<char> path;
  TRY(or_nomem(path.try_resize(len)));
  if (m.copy_in(ptr, path.span()).is_error()) return Errno::Fault;
  return path;
}

// ---------------------------------------------------------------------------------------------
// Path resolution: one component at a time, never above `base`.

namespace {

// Replaces the path `rest` by the target of the symbolic link `name` in `dir` followed by what
// is left of `rest` from `tail` on.
Status splice_link(Os& os, Handle dir, StringView name, Vector<char>& rest, usize tail) {
  char target[kMaxLinkTarget + 1];
  u64 len = 0;
  TRY(as_status(os.readlink_at(dir, name, Span<char>(target, sizeof target), &len)));
  if (len >= sizeof target) return Errno::Nametoolong;
  if (len == 0) return Errno::Noent;
  if (target[0] == '/') return Errno::Notcapable;
  Vector<char> next;
  usize left = rest.size() - tail;
  TRY(or_nomem(next.try_resize(len + left)));
  for (usize i = 0; i < len; ++i) next[i] = target[i];
  for (usize i = 0; i < left; ++i) next[len + i] = rest[tail + i];
  rest = support::move(next);
  return {};
}

Follow follow_flag(u32 lookupflags) {
  return (lookupflags & kLookupSymlinkFollow) ? Follow::Yes : Follow::No;
}

}  // namespace

Status Wasi::resolve(Handle base, Vector<char>& path, Follow follow, Walk& w) {
  TRY(check_relative(path));
  Vector<char> rest = support::move(path);
  usize pos = 0;
  u32 hops = 0;
  w.dir = base;
  for (;;) {
    while (pos < rest.size() && rest[pos] == '/') ++pos;
    if (pos == rest.size()) return w.set_name(".");
    usize start = pos;
    while (pos < rest.size() && rest[pos] != '/') ++pos;
    StringView comp(rest.data() + start, pos - start);
    usize after = pos;
    while (after < rest.size() && rest[after] == '/') ++after;
    bool last = after == rest.size();
    bool trailing = last && pos < rest.size();
    if (comp == "." || comp == "..") {
      if (comp == "..") TRY(w.leave(base));
      if (last) return w.set_name(".");
      continue;
    }
    if (comp.size() > kMaxNameSize) return Errno::Nametoolong;
    w.trailing_slash = trailing;
    if (last && follow == Follow::No && !trailing) return w.set_name(comp);
    auto st = stat_at(os_, w.dir, comp);
    if (st.is_error() && st.error() == Errno::Noent && last) return w.set_name(comp);
    const FileType type = TRY(st).type;
    if (type == FileType::SymbolicLink) {
      if (++hops > kMaxSymlinkHops) return Errno::Loop;
      TRY(splice_link(os_, w.dir, comp, rest, pos));
      pos = 0;
      continue;
    }
    if (last) return w.set_name(comp);
    if (type != FileType::Directory) return Errno::Notdir;
    TRY(w.enter(comp));
  }
}

// ---------------------------------------------------------------------------------------------
// Arguments, environment, clocks, random.

namespace {

// args_sizes_get (argc, argv_buf_size) and environ_sizes_get (environ_count,
// environ_buf_size): how many strings `list` has and their total size.
Errno strings_sizes(const Vector<Vector<char>>& list, Wasi::Args& a) {
  const u32 count = a.arg32(0), buf_size = a.arg32(1);
  if (!a.mem.ok(count, 4) || !a.mem.ok(buf_size, 4)) return Errno::Fault;
  u64 bytes = 0;
  for (const Vector<char>& s : list) bytes += s.size();
  a.mem.put<u32>(count, static_cast<u32>(list.size()));
  a.mem.put<u32>(buf_size, static_cast<u32>(bytes));
  return Errno::Success;
}

// args_get (argv, argv_buf) and environ_get (environ, environ_buf): the strings of `list` at
// `buf`, each NUL-terminated, and a pointer to each at `ptrs`.
Errno strings_get(const Vector<Vector<char>>& list, Wasi::Args& a) {
  const u32 ptrs = a.arg32(0), buf = a.arg32(1);
  u64 bytes = 0;
  for (const Vector<char>& s : list) bytes += s.size();
  if (!a.mem.ok(ptrs, 4ull * list.size()) || !a.mem.ok(buf, bytes)) return Errno::Fault;
  u32 at = buf;
  for (usize i = 0; i < list.size(); ++i) {
    a.mem.put<u32>(ptrs + 4 * i, at);
    a.mem.copy_out(at, support::Bytes(reinterpret_cast<const u8*>(list[i].data()), list[i].size()));
    at += static_cast<u32>(list[i].size());
  }
  return Errno::Success;
}

bool valid_clock(u32 id) { return id <= static_cast<u32>(ClockId::ThreadCputime); }

// clock_res_get and clock_time_get: `query` answers for clock `id` into `out`.
Errno read_clock(Os& os, Mem m, u32 id, u32 out, Errno (Os::*query)(ClockId, u64*)) {
  if (!m.ok(out, 8)) return Errno::Fault;
  if (!valid_clock(id)) return Errno::Inval;
  u64 value = 0;
  TRY(as_status((os.*query)(static_cast<ClockId>(id), &value)));
  m.put<u64>(out, value);
  return Errno::Success;
}

}  // namespace

Errno Wasi::args_get(Args& a) { return strings_get(args_, a); }
Errno Wasi::args_sizes_get(Args& a) { return strings_sizes(args_, a); }
Errno Wasi::environ_get(Args& a) { return strings_get(env_, a); }
Errno Wasi::environ_sizes_get(Args& a) { return strings_sizes(env_, a); }

Errno Wasi::clock_res_get(Args& a) {
  const u32 id = a.arg32(0), resolution = a.arg32(1);
  return read_clock(os_, a.mem, id, resolution, &Os::clock_res);
}

Errno Wasi::clock_time_get(Args& a) {
  const u32 id = a.arg32(0), time = a.arg32(2);  // argument 1, the precision, is a hint
  return read_clock(os_, a.mem, id, time, &Os::clock_time);
}

// In pieces: when the program's time is up after some, the call is pending and its retry fills
// the rest (64 MiB took 2 s of one hart in the kernel, with the generator's lock held).
Errno Wasi::random_get(Args& a) {
  const u32 buf = a.arg32(0), buf_len = a.arg32(1);
  auto out = a.mem.bytes(buf, buf_len);
  if (out.is_error()) return Errno::Fault;
  Span<u8> all = out.value();
  u64 done = progress_.kept ? progress_.done : 0;
  u64 start = done;
  while (done < all.size()) {
    if (done > start && os_.yield_due()) {
      progress_ = {true, done, 0};
      return Errno::WouldBlock;
    }
    u64 n = all.size() - done < kRandomPiece ? all.size() - done : kRandomPiece;
    TRY(as_status(os_.random(all.subspan(done, n))));
    done += n;
  }
  return Errno::Success;
}

Errno Wasi::proc_exit(Args&) { return Errno::Success; }  // answered by dispatch()
Errno Wasi::proc_raise(Args&) { return Errno::Notsup; }
Errno Wasi::sched_yield(Args&) { return Errno::Success; }

// ---------------------------------------------------------------------------------------------
// Descriptors.

Wasi::Route Wasi::route_of(const Descriptor& d) {
  Route r;
  if (d.type == FileType::SocketStream) {
    r.kind = Route::Kind::Socket;
  } else if (positioned(d)) {
    r.kind = Route::Kind::Offset;
    r.offset = d.offset;
  }
  return r;
}

bool Wasi::ready_now(Handle h) {
  PollFd p;
  p.handle = h;
  return os_.poll(Span<PollFd>(&p, 1), 0) == Errno::Success && p.ready;
}

Errno Wasi::transfer_piece(Descriptor& d, Span<u8> part, Transfer direction, const Route& route,
                           u64 done, u64* n) {
  using Kind = Route::Kind;
  if (direction == Transfer::Write) {
    Span<const u8> data = part;
    switch (route.kind) {
      case Kind::Socket: return os_.sock_send(d.handle, data, n);
      case Kind::Offset: return os_.pwrite(d.handle, data, route.offset + done, n);
      case Kind::Stream: return os_.write(d.handle, data, n);
    }
  }
  switch (route.kind) {
    case Kind::Socket: return os_.sock_recv(d.handle, part, route.peek, n);
    case Kind::Offset: return os_.pread(d.handle, part, route.offset + done, n);
    case Kind::Stream: return os_.read(d.handle, part, n);
  }
  return Errno::Inval;
}

// Moves data between the Os and the buffers of a checked iovec copy, in pieces of at most
// kTransferPiece bytes. Stops at the first short transfer, and between pieces once a piece's
// worth has moved and the program's time is up (Os::yield_due: a read of 4 GiB from a sparse file
// held a hart for 17 s in the kernel); so a transfer of at most kTransferPiece bytes is never
// short for time (a writev of 3 + 5 bytes returned 3 when the slice ended between its entries).
// A socket receive waits only for its first bytes: after a full piece it goes on only while
// Os::poll (deadline 0) says more are waiting (a second receive would wait on an Os that
// blocks), unless RECV_WAITALL asks to fill every buffer; a peek looks once (a second look
// would see the same bytes). An error after some bytes moved reports those bytes (the error
// comes again next time).
Result<u64, Errno> Wasi::transfer_iovs(Descriptor& d, Span<const Iovec> iovs, Transfer direction,
                                       const Route& route) {
  Mem m = Mem::of(memory_);
  const bool receive = route.kind == Route::Kind::Socket && direction == Transfer::Read;
  bool only_if_ready = false;  // a receive goes on to the next buffer only with bytes waiting
  u64 total = 0;
  for (const Iovec& v : iovs) {
    if (v.len == 0) continue;
    auto buf = m.bytes(v.buf, v.len);  // checked by IovecCopy; memory never shrinks
    if (buf.is_error()) {
      if (total == 0) return Errno::Fault;
      break;
    }
    for (u64 at = 0; at < v.len;) {
      if (total >= kTransferPiece && os_.yield_due()) return total;
      if (total == kMaxTransfer) return total;
      if (only_if_ready && !ready_now(d.handle)) return total;
      u64 piece = support::min(support::min(v.len - at, kTransferPiece), kMaxTransfer - total);
      u64 n = 0;
      Errno e = transfer_piece(d, buf.value().subspan(at, piece), direction, route, total, &n);
      if (e != Errno::Success) {
        if (total > 0) return total;  // the error comes again next time
        if (e == Errno::WouldBlock && (d.flags & kFdflagNonblock)) return Errno::Again;
        return e;
      }
      total += n;
      at += n;
      if (!receive) {
        if (n < piece) return total;
      } else if (n == 0 || route.peek) {
        return total;
      } else if (!route.wait_all) {
        if (n < piece) return total;
        only_if_ready = true;
      }
    }
  }
  return total;
}

// Append mode: the gather list goes to the Os in one atomic append, at most kTransferPiece bytes
// of it (the rest is a short count: a 48 MiB append held a hart for 0.6 s in the kernel).
Result<u64, Errno> Wasi::append_iovs(Descriptor& d, Span<const Iovec> iovs) {
  Mem m = Mem::of(memory_);
  SmallArray<support::Bytes, 8> parts;
  TRY(parts.resize(iovs.size()));
  u64 room = kTransferPiece;
  usize count = 0;
  for (usize i = 0; i < iovs.size() && room > 0; ++i) {
    u64 take = support::min(u64{iovs[i].len}, room);
    auto buf = m.bytes(iovs[i].buf, take);  // checked by IovecCopy
    if (buf.is_error()) return Errno::Fault;
    parts.span()[count++] = buf.value();
    room -= take;
  }
  u64 at = 0, n = 0;
  TRY(as_status(os_.append(d.handle, parts.span().subspan(0, count), &at, &n)));
  d.offset = at + n;
  return n;
}

// fd_read and fd_write (fd, iovs, iovs_len, nread or nwritten): at the descriptor's position
// (files this layer opened), appended (append mode), or through the Os's stream.
Errno Wasi::transfer(Args& a, Transfer direction) {
  const u32 fd = a.arg32(0), iovs = a.arg32(1), iovs_len = a.arg32(2), done = a.arg32(3);
  const bool write = direction == Transfer::Write;
  Descriptor* d = TRY(data_descriptor(fd, transfer_right(write)));
  if (!a.mem.ok(done, 4)) return Errno::Fault;
  IovecCopy list;
  TRY(list.copy_in(a.mem, iovs, iovs_len));
  const Route route = route_of(*d);
  const bool at_offset = route.kind == Route::Kind::Offset;
  u64 n = 0;
  if (write && at_offset && (d->flags & kFdflagAppend)) {
    if (list.total() > 0) n = TRY(append_iovs(*d, list.span()));
  } else {
    n = TRY(transfer_iovs(*d, list.span(), direction, route));
    if (at_offset) d->offset += n;
  }
  a.mem.put<u32>(done, static_cast<u32>(n));
  return Errno::Success;
}

// fd_pread and fd_pwrite (fd, iovs, iovs_len, offset, nread or nwritten): at `offset`, which
// only files this layer opened have.
Errno Wasi::transfer_at(Args& a, Transfer direction) {
  const u32 fd = a.arg32(0), iovs = a.arg32(1), iovs_len = a.arg32(2), done = a.arg32(4);
  const u64 offset = a.arg64(3);
  const Rights need = transfer_right(direction == Transfer::Write) | right::kFdSeek;
  Descriptor* d = TRY(seek_descriptor(fd, need));
  if (!a.mem.ok(done, 4)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  IovecCopy list;
  TRY(list.copy_in(a.mem, iovs, iovs_len));
  Route route;
  route.kind = Route::Kind::Offset;
  route.offset = offset;
  const u64 n = TRY(transfer_iovs(*d, list.span(), direction, route));
  a.mem.put<u32>(done, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::fd_read(Args& a) { return transfer(a, Transfer::Read); }
Errno Wasi::fd_write(Args& a) { return transfer(a, Transfer::Write); }
Errno Wasi::fd_pread(Args& a) { return transfer_at(a, Transfer::Read); }
Errno Wasi::fd_pwrite(Args& a) { return transfer_at(a, Transfer::Write); }

Errno Wasi::fd_seek(Args& a) {
  const u32 fd = a.arg32(0), whence = a.arg32(2), newoffset = a.arg32(3);
  const i64 delta = static_cast<i64>(a.arg64(1));
  const Rights need = (delta == 0 && whence == kWhenceCur) ? right::kFdTell : right::kFdSeek;
  Descriptor* d = TRY(seek_descriptor(fd, need));
  if (!a.mem.ok(newoffset, 8)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  i64 base;
  switch (whence) {
    case kWhenceSet: base = 0; break;
    case kWhenceCur: base = static_cast<i64>(d->offset); break;
    case kWhenceEnd: base = static_cast<i64>(TRY(stat(os_, d->handle)).size); break;
    default: return Errno::Inval;
  }
  i64 next;
  if (__builtin_add_overflow(base, delta, &next) || next < 0) return Errno::Inval;
  d->offset = static_cast<u64>(next);
  a.mem.put<u64>(newoffset, d->offset);
  return Errno::Success;
}

Errno Wasi::fd_tell(Args& a) {
  const u32 fd = a.arg32(0), offset = a.arg32(1);
  Descriptor* d = TRY(data_descriptor(fd, right::kFdTell));
  if (!a.mem.ok(offset, 8)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  a.mem.put<u64>(offset, d->offset);
  return Errno::Success;
}

Errno Wasi::fd_close(Args& a) { return close_fd(a.arg32(0)); }

Errno Wasi::close_fd(u32 fd) {
  Descriptor* d = TRY(lookup(fd));
  if (d->owned) (void)os_.close(d->handle);
  *d = Descriptor{};
  return Errno::Success;
}

Errno Wasi::fd_renumber(Args& a) {
  const u32 fd = a.arg32(0), to = a.arg32(1);
  Descriptor* src = TRY(lookup(fd));
  Descriptor* dst = TRY(lookup(to));
  if (fd == to) return Errno::Success;
  if (dst->owned) (void)os_.close(dst->handle);
  *dst = support::move(*src);
  *src = Descriptor{};
  return Errno::Success;
}

Errno Wasi::fd_datasync(Args& a) {
  const u32 fd = a.arg32(0);
  Descriptor* d = TRY(lookup(fd, right::kFdDatasync));
  return os_.sync(d->handle, true);
}

Errno Wasi::fd_sync(Args& a) {
  const u32 fd = a.arg32(0);
  Descriptor* d = TRY(lookup(fd, right::kFdSync));
  return os_.sync(d->handle, false);
}

Errno Wasi::fd_advise(Args& a) {
  const u32 fd = a.arg32(0), advice = a.arg32(3);  // offset and len (1, 2) do not matter
  (void)TRY(lookup(fd, right::kFdAdvise));
  if (advice > 5) return Errno::Inval;
  return Errno::Success;  // advice only
}

Errno Wasi::fd_allocate(Args& a) {
  const u32 fd = a.arg32(0);
  const u64 offset = a.arg64(1), len = a.arg64(2);
  Descriptor* d = TRY(lookup(fd, right::kFdAllocate));
  u64 end;
  if (__builtin_add_overflow(offset, len, &end) || end > kMaxFileSize) return Errno::Fbig;
  if (!positioned(*d)) return Errno::Badf;
  const FileStat st = TRY(stat(os_, d->handle));
  return end > st.size ? os_.set_size(d->handle, end) : Errno::Success;
}

Errno Wasi::fd_fdstat_get(Args& a) {
  const u32 fd = a.arg32(0), fdstat = a.arg32(1);
  Descriptor* d = TRY(lookup(fd));
  if (!a.mem.ok(fdstat, kFdstatSize)) return Errno::Fault;
  Fdstat st{};
  st.filetype = static_cast<u8>(d->type);
  st.flags = d->flags;
  st.rights_base = d->base;
  st.rights_inheriting = d->inheriting;
  a.mem.put(fdstat, st);
  return Errno::Success;
}

Errno Wasi::fd_fdstat_set_flags(Args& a) {
  const u32 fd = a.arg32(0), flags = a.arg32(1);
  Descriptor* d = TRY(lookup(fd, right::kFdFdstatSetFlags));
  if (flags & ~u32{kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync})
    return Errno::Inval;
  TRY(set_nonblock(*d, flags & kFdflagNonblock));
  d->flags = static_cast<u16>(flags);
  return Errno::Success;
}

Status Wasi::set_nonblock(Descriptor& d, bool nonblocking) {
  if (nonblocking == ((d.flags & kFdflagNonblock) != 0)) return {};
  TRY(as_status(os_.set_nonblocking(d.handle, nonblocking)));
  d.flags =
      static_cast<u16>(nonblocking ? d.flags | kFdflagNonblock : d.flags & ~u32{kFdflagNonblock});
  return {};
}

Errno Wasi::fd_fdstat_set_rights(Args& a) {
  const u32 fd = a.arg32(0);
  const Rights base = a.arg64(1), inheriting = a.arg64(2);
  Descriptor* d = TRY(lookup(fd));
  if ((base & ~d->base) || (inheriting & ~d->inheriting)) return Errno::Notcapable;
  d->base = base;
  d->inheriting = inheriting;
  return Errno::Success;
}

namespace {

void put_filestat(Mem m, u32 out, const FileStat& st) {
  Filestat f{};
  f.dev = st.dev;
  f.ino = st.ino;
  f.filetype = static_cast<u8>(st.type);
  f.nlink = st.nlink;
  f.size = st.size;
  f.atim = st.atim;
  f.mtim = st.mtim;
  f.ctim = st.ctim;
  m.put(out, f);
}

bool valid_fst(u32 flags) {
  if (flags & ~u32{kFstAtim | kFstAtimNow | kFstMtim | kFstMtimNow}) return false;
  if ((flags & kFstAtim) && (flags & kFstAtimNow)) return false;
  if ((flags & kFstMtim) && (flags & kFstMtimNow)) return false;
  return true;
}

// Writes as much of one directory entry (header, then name) as fits in the `len` bytes at `buf`
// from `used` on; returns the new `used`.
u32 put_dirent(Mem m, u32 buf, u32 len, u32 used, const DirEntry& entry) {
  Dirent header{};
  header.next = entry.next;
  header.ino = entry.ino;
  header.namlen = entry.name_len;
  header.type = static_cast<u8>(entry.type);
  u32 take = len - used < kDirentSize ? len - used : kDirentSize;
  m.copy_out(buf + used, support::Bytes(reinterpret_cast<const u8*>(&header), take));
  used += take;
  u32 name_len = entry.name_len < sizeof entry.name ? entry.name_len : sizeof entry.name;
  take = len - used < name_len ? len - used : name_len;
  m.copy_out(buf + used, support::Bytes(reinterpret_cast<const u8*>(entry.name), take));
  return used + take;
}

}  // namespace

Errno Wasi::fd_filestat_get(Args& a) {
  const u32 fd = a.arg32(0), buf = a.arg32(1);
  Descriptor* d = TRY(lookup(fd, right::kFdFilestatGet));
  if (!a.mem.ok(buf, kFilestatSize)) return Errno::Fault;
  const FileStat st = TRY(stat(os_, d->handle));
  put_filestat(a.mem, buf, st);
  return Errno::Success;
}

Errno Wasi::fd_filestat_set_size(Args& a) {
  const u32 fd = a.arg32(0);
  const u64 size = a.arg64(1);
  Descriptor* d = TRY(lookup(fd, right::kFdFilestatSetSize));
  if (size > kMaxFileSize) return Errno::Fbig;
  return os_.set_size(d->handle, size);
}

Errno Wasi::fd_filestat_set_times(Args& a) {
  const u32 fd = a.arg32(0), fst_flags = a.arg32(3);
  const u64 atim = a.arg64(1), mtim = a.arg64(2);
  Descriptor* d = TRY(lookup(fd, right::kFdFilestatSetTimes));
  if (!valid_fst(fst_flags)) return Errno::Inval;
  return os_.set_times(d->handle, atim, mtim, static_cast<u16>(fst_flags));
}

Errno Wasi::fd_prestat_get(Args& a) {
  const u32 fd = a.arg32(0), buf = a.arg32(1);
  Descriptor* d = TRY(lookup(fd));
  if (!d->preopen) return Errno::Badf;
  if (!a.mem.ok(buf, kPrestatSize)) return Errno::Fault;
  Prestat p{};
  p.name_len = static_cast<u32>(d->preopen_name.size());
  a.mem.put(buf, p);
  return Errno::Success;
}

Errno Wasi::fd_prestat_dir_name(Args& a) {
  const u32 fd = a.arg32(0), path = a.arg32(1), path_len = a.arg32(2);
  Descriptor* d = TRY(lookup(fd));
  if (!d->preopen) return Errno::Badf;
  if (!a.mem.ok(path, path_len)) return Errno::Fault;
  if (path_len < d->preopen_name.size()) return Errno::Nametoolong;
  a.mem.copy_out(path, support::Bytes(reinterpret_cast<const u8*>(d->preopen_name.data()),
                                      d->preopen_name.size()));
  return Errno::Success;
}

Errno Wasi::fd_readdir(Args& a) {
  const u32 fd = a.arg32(0), buf = a.arg32(1), buf_len = a.arg32(2), bufused = a.arg32(4);
  u64 cookie = a.arg64(3);
  Descriptor* d = TRY(lookup(fd, right::kFdReaddir));
  if (!a.mem.ok(buf, buf_len) || !a.mem.ok(bufused, 4)) return Errno::Fault;
  if (d->type != FileType::Directory) return Errno::Notdir;
  // A long walk stops once the program's time is up and continues in the retry (the program
  // sees one call that filled its buffer).
  u32 used = progress_.kept ? static_cast<u32>(progress_.done) : 0;
  if (progress_.kept) cookie = progress_.cookie;
  u32 start = used;
  DirEntry entry;
  while (used < buf_len) {
    if (used > start && os_.yield_due()) {
      progress_ = {true, used, cookie};
      return Errno::WouldBlock;
    }
    bool end = false;
    TRY(as_status(os_.readdir(d->handle, cookie, &entry, &end)));
    if (end) break;
    used = put_dirent(a.mem, buf, buf_len, used, entry);
    cookie = entry.next;
  }
  a.mem.put<u32>(bufused, used);
  return Errno::Success;
}

// ---------------------------------------------------------------------------------------------
// Paths. Each path argument is a (pointer, length) pair: `path` and `path_len` below.

Status Wasi::resolve_arguments(Args& a, Rights needed, Walk& w) {
  const u32 fd = a.arg32(0), path_ptr = a.arg32(1), path_len = a.arg32(2);
  Descriptor* d = TRY(lookup(fd, needed));
  Vector<char> path = TRY(guest_path(path_ptr, path_len));
  return resolve(d->handle, path, Follow::No, w);
}

Errno Wasi::path_create_directory(Args& a) {
  Walk w(os_);
  TRY(resolve_arguments(a, right::kPathCreateDirectory, w));
  if (w.last() == ".") return Errno::Exist;
  return os_.mkdir_at(w.dir, w.last());
}

Errno Wasi::path_filestat_get(Args& a) {
  const u32 fd = a.arg32(0), flags = a.arg32(1), path_ptr = a.arg32(2), path_len = a.arg32(3),
            buf = a.arg32(4);
  Descriptor* d = TRY(lookup(fd, right::kPathFilestatGet));
  Vector<char> path = TRY(guest_path(path_ptr, path_len));
  if (!a.mem.ok(buf, kFilestatSize)) return Errno::Fault;
  Walk w(os_);
  TRY(resolve(d->handle, path, follow_flag(flags), w));
  const FileStat st = TRY(stat_at(os_, w.dir, w.last()));
  if (w.trailing_slash && st.type != FileType::Directory) return Errno::Notdir;
  put_filestat(a.mem, buf, st);
  return Errno::Success;
}

Errno Wasi::path_filestat_set_times(Args& a) {
  const u32 fd = a.arg32(0), flags = a.arg32(1), path_ptr = a.arg32(2), path_len = a.arg32(3),
            fst_flags = a.arg32(6);
  const u64 atim = a.arg64(4), mtim = a.arg64(5);
  Descriptor* d = TRY(lookup(fd, right::kPathFilestatSetTimes));
  Vector<char> path = TRY(guest_path(path_ptr, path_len));
  if (!valid_fst(fst_flags)) return Errno::Inval;
  Walk w(os_);
  TRY(resolve(d->handle, path, follow_flag(flags), w));
  return os_.set_times_at(w.dir, w.last(), atim, mtim, static_cast<u16>(fst_flags));
}

Errno Wasi::path_link(Args& a) {
  const u32 old_fd = a.arg32(0), old_flags = a.arg32(1), old_path_ptr = a.arg32(2),
            old_path_len = a.arg32(3), new_fd = a.arg32(4), new_path_ptr = a.arg32(5),
            new_path_len = a.arg32(6);
  Descriptor* from = TRY(lookup(old_fd, right::kPathLinkSource));
  Descriptor* to = TRY(lookup(new_fd, right::kPathLinkTarget));
  Vector<char> old_path = TRY(guest_path(old_path_ptr, old_path_len));
  Vector<char> new_path = TRY(guest_path(new_path_ptr, new_path_len));
  Walk src(os_), dst(os_);
  TRY(resolve(from->handle, old_path, follow_flag(old_flags), src));
  TRY(resolve(to->handle, new_path, Follow::No, dst));
  if (dst.trailing_slash) return Errno::Noent;
  return os_.link_at(src.dir, src.last(), dst.dir, dst.last());
}

namespace {

// How path_open opens: from the open flags, the rights the descriptor will have and the fdflags.
Result<OpenOptions, Errno> open_options(u32 oflags, Rights base, u32 fdflags, bool trailing_slash) {
  OpenOptions options;
  options.directory = (oflags & kOflagDirectory) || trailing_slash;
  options.create = oflags & kOflagCreat;
  // Only regular files are created: asking for a directory too fails before anything is made
  // (the kernel's Os made the file, then failed with ENOTDIR), as Linux's open() does.
  if (options.create && options.directory)
    return (oflags & kOflagDirectory) ? Errno::Inval : Errno::Isdir;
  options.exclusive = oflags & kOflagExcl;
  options.truncate = oflags & kOflagTrunc;
  options.read = (base & (right::kFdRead | right::kFdReaddir)) != 0;
  options.write = (base & (right::kFdWrite | right::kFdAllocate | right::kFdFilestatSetSize)) ||
                  (fdflags & kFdflagAppend) || options.truncate;
  if (options.directory) options.write = false;  // checked once it is known to be one
  return options;
}

}  // namespace

Errno Wasi::path_open(Args& a) {
  const u32 fd = a.arg32(0), dirflags = a.arg32(1), path_ptr = a.arg32(2), path_len = a.arg32(3),
            oflags = a.arg32(4), fdflags = a.arg32(7), opened_fd = a.arg32(8);
  const Rights want_base = a.arg64(5), want_inheriting = a.arg64(6);
  Rights need = right::kPathOpen;
  if (oflags & kOflagCreat) need |= right::kPathCreateFile;
  if (oflags & kOflagTrunc) need |= right::kPathFilestatSetSize;
  Descriptor* d = TRY(lookup(fd, need));
  Vector<char> path = TRY(guest_path(path_ptr, path_len));
  if (!a.mem.ok(opened_fd, 4)) return Errno::Fault;
  if (oflags & ~u32{kOflagCreat | kOflagDirectory | kOflagExcl | kOflagTrunc}) return Errno::Inval;
  if ((oflags & kOflagDirectory) && (oflags & kOflagTrunc)) return Errno::Inval;
  const Rights base = want_base & d->inheriting;
  const Rights inheriting = want_inheriting & d->inheriting;
  // O_CREAT|O_EXCL never follows a final symlink: the name exists, so the open fails (EEXIST,
  // as POSIX says, even when the link dangles) instead of creating the link's target.
  const bool exclusive = (oflags & kOflagCreat) && (oflags & kOflagExcl);
  Walk w(os_);
  TRY(resolve(d->handle, path, exclusive ? Follow::No : follow_flag(dirflags), w));
  const OpenOptions options = TRY(open_options(oflags, base, fdflags, w.trailing_slash));
  const u32 slot = TRY(or_nomem(allocate_fd()));
  Handle h;
  TRY(as_status(os_.open_at(w.dir, w.last(), options, &h)));
  auto st = stat(os_, h);
  // A directory is never opened for writing: asking for FD_WRITE is EISDIR, as
  // open(O_DIRECTORY | O_WRONLY) is (wasi-libc asks for it only with O_WRONLY or O_RDWR).
  Errno refused = st.is_error() ? st.error() : Errno::Success;
  if (st.is_ok() && st.value().type == FileType::Directory && (want_base & right::kFdWrite))
    refused = Errno::Isdir;
  if (refused != Errno::Success) {
    (void)os_.close(h);
    return refused;
  }
  const FileType type = st.value().type;
  Descriptor& nd = fds_[slot];
  nd = Descriptor{};
  nd.open = true;
  nd.handle = h;
  nd.type = type;
  nd.base = base & rights_for(type);
  nd.inheriting = type == FileType::Directory ? inheriting : 0;
  nd.flags = static_cast<u16>(fdflags);
  a.mem.put<u32>(opened_fd, slot);
  return Errno::Success;
}

Errno Wasi::path_readlink(Args& a) {
  const u32 fd = a.arg32(0), path_ptr = a.arg32(1), path_len = a.arg32(2), buf = a.arg32(3),
            buf_len = a.arg32(4), bufused = a.arg32(5);
  Descriptor* d = TRY(lookup(fd, right::kPathReadlink));
  Vector<char> path = TRY(guest_path(path_ptr, path_len));
  auto into = a.mem.bytes(buf, buf_len);
  if (into.is_error() || !a.mem.ok(bufused, 4)) return Errno::Fault;
  Walk w(os_);
  TRY(resolve(d->handle, path, Follow::No, w));
  u64 n = 0;
  Span<char> out(reinterpret_cast<char*>(into.value().data()), into.value().size());
  TRY(as_status(os_.readlink_at(w.dir, w.last(), out, &n)));
  a.mem.put<u32>(bufused, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::path_remove_directory(Args& a) {
  Walk w(os_);
  TRY(resolve_arguments(a, right::kPathRemoveDirectory, w));
  if (w.last() == ".") return Errno::Inval;
  return os_.rmdir_at(w.dir, w.last());
}

Errno Wasi::path_rename(Args& a) {
  const u32 fd = a.arg32(0), old_path_ptr = a.arg32(1), old_path_len = a.arg32(2),
            new_fd = a.arg32(3), new_path_ptr = a.arg32(4), new_path_len = a.arg32(5);
  Descriptor* from = TRY(lookup(fd, right::kPathRenameSource));
  Descriptor* to = TRY(lookup(new_fd, right::kPathRenameTarget));
  Vector<char> old_path = TRY(guest_path(old_path_ptr, old_path_len));
  Vector<char> new_path = TRY(guest_path(new_path_ptr, new_path_len));
  Walk src(os_), dst(os_);
  TRY(resolve(from->handle, old_path, Follow::No, src));
  TRY(resolve(to->handle, new_path, Follow::No, dst));
  if (src.last() == "." || dst.last() == ".") return Errno::Busy;
  return os_.rename_at(src.dir, src.last(), dst.dir, dst.last());
}

Errno Wasi::path_symlink(Args& a) {
  const u32 old_path_ptr = a.arg32(0), old_path_len = a.arg32(1), fd = a.arg32(2),
            new_path_ptr = a.arg32(3), new_path_len = a.arg32(4);
  Descriptor* d = TRY(lookup(fd, right::kPathSymlink));
  Vector<char> target = TRY(guest_path(old_path_ptr, old_path_len));
  Vector<char> path = TRY(guest_path(new_path_ptr, new_path_len));
  // The target is stored as given and resolved only when used, from the link's directory: one
  // that could never be followed inside the sandbox is refused now.
  TRY(check_relative(target));
  Walk w(os_);
  TRY(resolve(d->handle, path, Follow::No, w));
  if (w.last() == ".") return Errno::Exist;
  if (w.trailing_slash) return Errno::Noent;
  return os_.symlink_at(StringView(target.data(), target.size()), w.dir, w.last());
}

Errno Wasi::path_unlink_file(Args& a) {
  Walk w(os_);
  TRY(resolve_arguments(a, right::kPathUnlinkFile, w));
  if (w.last() == ".") return Errno::Isdir;
  if (w.trailing_slash) {
    auto st = stat_at(os_, w.dir, w.last());
    if (st.is_ok() && st.value().type != FileType::Directory) return Errno::Notdir;
  }
  return os_.unlink_at(w.dir, w.last());
}

// ---------------------------------------------------------------------------------------------
// poll_oneoff: the subscriptions are copied in once, on the first attempt, and kept with their
// absolute Monotonic deadlines across retries of a pending call; descriptors become Os::PollFd
// entries; regular files are always ready.

// What one attempt waits for: the streams to poll (with the subscription each came from), how
// many events fire without waiting (bad subscriptions, regular files), the earliest deadline.
struct Wasi::PollWait {
  Vector<PollFd> fds;
  Vector<u32> fd_subs;
  u32 immediate = 0;
  u64 earliest = ~0ull;
};

namespace {

// A clock subscription's absolute Monotonic deadline; `now_real` is read once, when needed.
Result<u64, Errno> poll_deadline(Os& os, const Subscription& sub, u64 now_mono, u64& now_real) {
  const u64 timeout = sub.timeout;
  u64 deadline;
  if (!(sub.clock_flags & kSubclockAbstime)) {
    return __builtin_add_overflow(now_mono, timeout, &deadline) ? ~0ull - 1 : deadline;
  }
  if (sub.clock_id_or_fd != static_cast<u32>(ClockId::Realtime)) return timeout;
  if (now_real == 0) TRY(as_status(os.clock_time(ClockId::Realtime, &now_real)));
  if (timeout <= now_real) return now_mono;
  if (__builtin_add_overflow(now_mono, timeout - now_real, &deadline))
    return ~0ull - 1;  // as for a relative timeout: as late as can be, not at once
  return deadline;
}

bool fd_event(u8 tag) { return tag == kEventFdRead || tag == kEventFdWrite; }

}  // namespace

Status Wasi::poll_copy_in(Mem m, u32 in, u32 count) {
  // Charged to the program (Os::charge) before they grow; they grow to exactly the largest count
  // yet, and the charge with them.
  const u64 cost = support::allocation_cost(u64{count} * sizeof(Subscription)) +
                   support::allocation_cost(u64{count} * sizeof(u64));
  if (cost > poll_charge_) {
    if (!os_.charge(cost - poll_charge_)) return Errno::Nomem;
    poll_charge_ = cost;
  }
  TRY(or_nomem(poll_subs_.try_reserve(count)));
  TRY(or_nomem(poll_deadlines_.try_reserve(count)));
  TRY(or_nomem(poll_subs_.try_resize(count)));
  TRY(or_nomem(poll_deadlines_.try_resize(count)));
  if (m.copy_in(in, poll_subs_.span()).is_error()) return Errno::Fault;
  u64 now_mono = 0, now_real = 0;
  TRY(as_status(os_.clock_time(ClockId::Monotonic, &now_mono)));
  for (u32 i = 0; i < count; ++i) {
    const Subscription& sub = poll_subs_[i];
    poll_deadlines_[i] = ~0ull;
    if (sub.tag == kEventClock)
      poll_deadlines_[i] = TRY(poll_deadline(os_, sub, now_mono, now_real));
  }
  return {};
}

Status Wasi::poll_prepare(PollWait& wait) {
  for (u32 i = 0; i < poll_subs_.size(); ++i) {
    const Subscription& sub = poll_subs_[i];
    if (sub.tag == kEventClock) {
      if (!valid_clock(sub.clock_id_or_fd))
        ++wait.immediate;
      else if (poll_deadlines_[i] < wait.earliest)
        wait.earliest = poll_deadlines_[i];
      continue;
    }
    auto d = lookup(sub.clock_id_or_fd, right::kPollFdReadwrite);
    if (!fd_event(sub.tag) || d.is_error() || positioned(*d.value()) ||
        d.value()->type == FileType::Directory) {
      ++wait.immediate;
      continue;
    }
    PollFd p;
    p.handle = d.value()->handle;
    p.write = sub.tag == kEventFdWrite;
    TRY(or_nomem(wait.fds.try_push(p)));
    TRY(or_nomem(wait.fd_subs.try_push(i)));
  }
  if (wait.immediate > 0) wait.earliest = 0;
  return {};
}

// Waits (one Os::poll, or a pending call) until an event fires; returns the Monotonic time then.
Result<u64, Errno> Wasi::poll_wait(PollWait& wait) {
  for (;;) {
    Errno e = os_.poll(wait.fds.span(), wait.earliest);
    if (e == Errno::WouldBlock) poll_kept_ = true;
    TRY(as_status(e));
    u64 now = 0;
    TRY(as_status(os_.clock_time(ClockId::Monotonic, &now)));
    bool any = wait.immediate > 0 || now >= wait.earliest;
    for (const PollFd& p : wait.fds) any |= p.ready;
    if (any) return now;
  }
}

// The commit point: writes the events that fired to `out`; returns how many.
u32 Wasi::poll_commit(Mem m, u32 out, const PollWait& wait, u64 now) {
  u32 n = 0, next_fd = 0;
  for (u32 i = 0; i < poll_subs_.size(); ++i) {
    const Subscription& sub = poll_subs_[i];
    Event ev{};
    ev.userdata = sub.userdata;
    ev.type = sub.tag;
    bool fire = true;
    if (sub.tag == kEventClock && !valid_clock(sub.clock_id_or_fd)) {
      ev.error = static_cast<u16>(Errno::Inval);
    } else if (sub.tag == kEventClock) {
      fire = now >= poll_deadlines_[i];
    } else if (!fd_event(sub.tag)) {
      ev.error = static_cast<u16>(Errno::Inval);
    } else if (next_fd < wait.fd_subs.size() && wait.fd_subs[next_fd] == i) {
      const PollFd& p = wait.fds[next_fd++];
      fire = p.ready;
      ev.error = static_cast<u16>(p.error);
      ev.nbytes = p.nbytes;
      ev.flags = p.hangup ? kEventFdReadwriteHangup : 0;
    } else if (auto d = lookup(sub.clock_id_or_fd, right::kPollFdReadwrite); d.is_error()) {
      ev.error = static_cast<u16>(d.error());
    } else if (sub.tag == kEventFdRead && positioned(*d.value())) {
      auto st = stat(os_, d.value()->handle);
      if (st.is_ok() && st.value().size > d.value()->offset)
        ev.nbytes = st.value().size - d.value()->offset;
    }
    if (!fire) continue;
    m.put(out + n * kEventSize, ev);
    ++n;
  }
  return n;
}

Errno Wasi::poll_oneoff(Args& a) {
  const u32 in = a.arg32(0), out = a.arg32(1), nsubscriptions = a.arg32(2), nevents = a.arg32(3);
  if (nsubscriptions == 0) return Errno::Inval;
  if (!a.mem.ok(in, u64{nsubscriptions} * kSubscriptionSize) ||
      !a.mem.ok(out, u64{nsubscriptions} * kEventSize) || !a.mem.ok(nevents, 4))
    return Errno::Fault;
  if (nsubscriptions > kMaxSubscriptions) return Errno::Inval;
  if (!poll_kept_) TRY(poll_copy_in(a.mem, in, nsubscriptions));
  PollWait wait;
  TRY(poll_prepare(wait));
  const u64 now = TRY(poll_wait(wait));
  a.mem.put<u32>(nevents, poll_commit(a.mem, out, wait, now));
  return Errno::Success;
}

// ---------------------------------------------------------------------------------------------
// Sockets: a listener accepts, a connection receives, sends and shuts down. Their bytes move
// through transfer_iovs like fd_read's and fd_write's (the iovec array copied once, checked,
// only the copy used), routed to Os::sock_recv and Os::sock_send.

Result<Descriptor*, Errno> Wasi::socket_descriptor(u32 number, Rights needed) {
  Descriptor* d = find_fd(number);
  if (d == nullptr) return Errno::Badf;
  if (d->type != FileType::SocketStream) return Errno::Notsock;
  return lookup(number, needed);
}

// sock_accept (fd, flags, result_fd): the connection gets the lowest free descriptor, with
// FDFLAGS_NONBLOCK when `flags` has it (the only flag). A listener with FDFLAGS_NONBLOCK and
// nothing to accept is Again.
Errno Wasi::sock_accept(Args& a) {
  const u32 fd = a.arg32(0), flags = a.arg32(1), result_fd = a.arg32(2);
  (void)TRY(socket_descriptor(fd, right::kSockAccept));
  if (!a.mem.ok(result_fd, 4)) return Errno::Fault;
  if (flags & ~u32{kFdflagNonblock}) return Errno::Inval;
  const u32 slot = TRY(or_nomem(allocate_fd()));  // before anything changes; may move the table
  Descriptor& listener = fds_[fd];
  Handle h;
  Errno e = os_.sock_accept(listener.handle, &h);
  if (e == Errno::WouldBlock && (listener.flags & kFdflagNonblock)) return Errno::Again;
  TRY(as_status(e));
  if (flags & kFdflagNonblock) {
    Errno told = os_.set_nonblocking(h, true);
    if (told != Errno::Success) {
      (void)os_.close(h);
      return told;
    }
  }
  Descriptor& nd = fds_[slot];
  nd = Descriptor{};
  nd.open = true;
  nd.handle = h;
  nd.type = FileType::SocketStream;
  nd.base = right::kSocketConnection;
  nd.flags = static_cast<u16>(flags & kFdflagNonblock);
  nd.stream = true;
  a.mem.put<u32>(result_fd, slot);
  return Errno::Success;
}

// sock_recv (fd, ri_data, ri_data_len, ri_flags, ro_datalen, ro_flags): RECV_PEEK and
// RECV_WAITALL; ro_flags is always 0 (a stream socket never truncates).
Errno Wasi::sock_recv(Args& a) {
  const u32 fd = a.arg32(0), ri_data = a.arg32(1), ri_data_len = a.arg32(2), ri_flags = a.arg32(3),
            ro_datalen = a.arg32(4), ro_flags = a.arg32(5);
  Descriptor* d = TRY(socket_descriptor(fd, right::kFdRead));
  if (!a.mem.ok(ro_datalen, 4) || !a.mem.ok(ro_flags, 2)) return Errno::Fault;
  if (ri_flags & ~u32{kRiflagRecvPeek | kRiflagRecvWaitall}) return Errno::Inval;
  IovecCopy list;
  TRY(list.copy_in(a.mem, ri_data, ri_data_len));
  Route route;
  route.kind = Route::Kind::Socket;
  route.peek = ri_flags & kRiflagRecvPeek;
  route.wait_all = ri_flags & kRiflagRecvWaitall;
  const u64 n = TRY(transfer_iovs(*d, list.span(), Transfer::Read, route));
  a.mem.put<u32>(ro_datalen, static_cast<u32>(n));
  a.mem.put<u16>(ro_flags, 0);
  return Errno::Success;
}

// sock_send (fd, si_data, si_data_len, si_flags, so_datalen): si_flags has no flag defined.
Errno Wasi::sock_send(Args& a) {
  const u32 fd = a.arg32(0), si_data = a.arg32(1), si_data_len = a.arg32(2), si_flags = a.arg32(3),
            so_datalen = a.arg32(4);
  Descriptor* d = TRY(socket_descriptor(fd, right::kFdWrite));
  if (!a.mem.ok(so_datalen, 4)) return Errno::Fault;
  if (si_flags != 0) return Errno::Inval;
  IovecCopy list;
  TRY(list.copy_in(a.mem, si_data, si_data_len));
  Route route;
  route.kind = Route::Kind::Socket;
  const u64 n = TRY(transfer_iovs(*d, list.span(), Transfer::Write, route));
  a.mem.put<u32>(so_datalen, static_cast<u32>(n));
  return Errno::Success;
}

// sock_shutdown (fd, how): SDFLAGS_RD, SDFLAGS_WR or both; neither, or another bit, is Inval.
Errno Wasi::sock_shutdown(Args& a) {
  const u32 fd = a.arg32(0), how = a.arg32(1);
  Descriptor* d = TRY(socket_descriptor(fd, right::kSockShutdown));
  if (how == 0 || (how & ~u32{kSdflagRd | kSdflagWr})) return Errno::Inval;
  return os_.sock_shutdown(d->handle, how & kSdflagRd, how & kSdflagWr);
}

}  // namespace wasi

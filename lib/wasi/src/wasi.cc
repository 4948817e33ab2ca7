// wasi_snapshot_preview1 over wasi::Os. Every function first decodes and checks its arguments
// (descriptors, rights, guest pointers), then acts; a WouldBlock from the Os before anything was
// written leaves the call pending (wasi.h).
//
// Guest structures are read once (wasm/guest_memory.h): iovec arrays, paths, link targets and
// poll subscriptions are copied into host memory, checked there, and only the copies are used.
#include <support/format.h>
#include <wasi/wasi.h>
#include <wasm/guest_memory.h>

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

bool seekable(FileType type) {
  return type == FileType::RegularFile || type == FileType::BlockDevice;
}

// Whether the WASI layer keeps the descriptor's position (files opened by path_open). Inherited
// descriptors (add_fd) are streams even when they are files: a shell's `> log 2>&1` shares one
// position between two descriptors, which only the Os can keep.
bool positioned(const Descriptor& d) { return !d.stream && seekable(d.type); }

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

// Host storage for a bounded array: inline for the common few, else one fallible allocation.
template <typename T, usize kInline> class SmallArray {
 public:
  Errno resize(usize count) {
    if (count <= kInline) {
      view_ = Span<T>(inline_, count);
      return Errno::Success;
    }
    if (heap_.try_resize(count).is_error()) return Errno::Nomem;
    view_ = heap_.span();
    return Errno::Success;
  }
  Span<T> span() const { return view_; }

 private:
  T inline_[kInline] = {};
  Vector<T> heap_;
  Span<T> view_;
};

// A program's iovec array, copied once and checked: every buffer is inside the memory and the
// lengths add up to what a u32 result can report.
struct IovecCopy {
  SmallArray<Iovec, 8> list;
  u64 total = 0;

  Errno copy_in(Mem m, u32 ptr, u32 count) {
    if (!m.ok(ptr, u64{count} * kIovecSize)) return Errno::Fault;
    if (count > kMaxIovecs) return Errno::Inval;
    if (Errno e = list.resize(count); e != Errno::Success) return e;
    if (m.copy_in(ptr, list.span()).is_error()) return Errno::Fault;
    for (const Iovec& v : list.span()) {
      if (!m.ok(v.buf, v.len)) return Errno::Fault;
      total += v.len;
    }
    return total > 0xffffffffu ? Errno::Inval : Errno::Success;
  }
};

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
  Errno set_name(StringView n) {
    if (name.try_resize(n.size()).is_error()) return Errno::Nomem;
    for (usize i = 0; i < n.size(); ++i) name[i] = n[i];
    return Errno::Success;
  }
};

// The function table: name, signature ('i' i32, 'I' i64; the result after '>'), method.
struct FunctionTable {
  const char* name;
  const char* sig;
  Errno (Wasi::*impl)(Wasi::Args&);
  static const FunctionTable kAll[kFunctionCount];
};

#define F(name, sig) {#name, sig, &Wasi::name}
const FunctionTable FunctionTable::kAll[kFunctionCount] = {
    F(args_get, "ii>i"),
    F(args_sizes_get, "ii>i"),
    F(environ_get, "ii>i"),
    F(environ_sizes_get, "ii>i"),
    F(clock_res_get, "ii>i"),
    F(clock_time_get, "iIi>i"),
    F(fd_advise, "iIIi>i"),
    F(fd_allocate, "iII>i"),
    F(fd_close, "i>i"),
    F(fd_datasync, "i>i"),
    F(fd_fdstat_get, "ii>i"),
    F(fd_fdstat_set_flags, "ii>i"),
    F(fd_fdstat_set_rights, "iII>i"),
    F(fd_filestat_get, "ii>i"),
    F(fd_filestat_set_size, "iI>i"),
    F(fd_filestat_set_times, "iIIi>i"),
    F(fd_pread, "iiiIi>i"),
    F(fd_prestat_get, "ii>i"),
    F(fd_prestat_dir_name, "iii>i"),
    F(fd_pwrite, "iiiIi>i"),
    F(fd_read, "iiii>i"),
    F(fd_readdir, "iiiIi>i"),
    F(fd_renumber, "ii>i"),
    F(fd_seek, "iIii>i"),
    F(fd_sync, "i>i"),
    F(fd_tell, "ii>i"),
    F(fd_write, "iiii>i"),
    F(path_create_directory, "iii>i"),
    F(path_filestat_get, "iiiii>i"),
    F(path_filestat_set_times, "iiiiIIi>i"),
    F(path_link, "iiiiiii>i"),
    F(path_open, "iiiiiIIii>i"),
    F(path_readlink, "iiiiii>i"),
    F(path_remove_directory, "iii>i"),
    F(path_rename, "iiiiii>i"),
    F(path_symlink, "iiiii>i"),
    F(path_unlink_file, "iii>i"),
    F(poll_oneoff, "iiii>i"),
    F(proc_exit, "i>"),
    F(proc_raise, "i>i"),
    F(sched_yield, ">i"),
    F(random_get, "ii>i"),
    F(sock_accept, "iii>i"),
    F(sock_recv, "iiiiii>i"),
    F(sock_send, "iiiii>i"),
    F(sock_shutdown, "ii>i"),
};
#undef F

namespace {

const FunctionTable* const kFunctions = FunctionTable::kAll;

constexpr u32 kProcExit = 38;

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
  FileStat st;
  if (os_.stat(handle, &st) != Errno::Success) st.type = FileType::Unknown;
  u32 n = TRY(allocate_fd());
  Descriptor& d = fds_[n];
  d = Descriptor{};
  d.open = true;
  d.owned = ownership == Ownership::Owned;
  d.handle = handle;
  d.type = st.type;
  d.stream = true;
  d.base = st.type == FileType::Directory ? right::kDirectory : right::kStream;
  d.inheriting = st.type == FileType::Directory ? right::kDirectoryInheriting : 0;
  return n;
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

ImportResolution Wasi::resolve_import(wasm::Store& store, StringView module, StringView name,
                                      const wasm::FuncType& type) {
  ImportResolution r;
  if (!(module == kModuleName)) return r;
  support::BufferSink msg(r.message, sizeof r.message);
  for (u32 id = 0; id < kFunctionCount; ++id) {
    const FunctionTable& f = kFunctions[id];
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
  if (id == kProcExit) {
    pending_ = false;
    call.exit_code = a.arg32(0);
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

Descriptor* Wasi::fd(u32 number) {
  return number < fds_.size() && fds_[number].open ? &fds_[number] : nullptr;
}

Errno Wasi::lookup(u32 number, Rights needed, Descriptor** out) {
  Descriptor* d = fd(number);
  if (d == nullptr) return Errno::Badf;
  if ((d->base & needed) != needed) return Errno::Notcapable;
  *out = d;
  return Errno::Success;
}

Errno Wasi::guest_path(u32 ptr, u32 len, Vector<char>& out) {
  Mem m = Mem::of(memory_);
  if (!m.ok(ptr, len)) return Errno::Fault;
  if (len > kMaxPathSize) return Errno::Nametoolong;
  if (out.try_resize(len).is_error()) return Errno::Nomem;
  if (m.copy_in(ptr, out.span()).is_error()) return Errno::Fault;
  return Errno::Success;
}

// ---------------------------------------------------------------------------------------------
// Path resolution: one component at a time, never above `base`.

Errno Wasi::resolve(Handle base, Vector<char>& path, bool follow, Walk& w) {
  if (path.empty()) return Errno::Noent;
  if (path[0] == '/') return Errno::Notcapable;
  for (char c : path)
    if (c == '\0') return Errno::Inval;
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
    if (comp == ".") {
      if (last) return w.set_name(".");
      continue;
    }
    if (comp == "..") {
      if (w.opened.empty()) return Errno::Notcapable;
      (void)os_.close(w.opened.back());
      w.opened.pop_back();
      w.dir = w.opened.empty() ? base : w.opened.back();
      if (last) return w.set_name(".");
      continue;
    }
    if (comp.size() > 255) return Errno::Nametoolong;
    w.trailing_slash = trailing;
    if (last && !follow && !trailing) return w.set_name(comp);
    FileStat st;
    Errno e = os_.stat_at(w.dir, comp, &st);
    if (e == Errno::Noent && last) return w.set_name(comp);
    if (e != Errno::Success) return e;
    if (st.type == FileType::SymbolicLink) {
      if (++hops > kMaxSymlinkHops) return Errno::Loop;
      char target[1024];
      u64 len = 0;
      e = os_.readlink_at(w.dir, comp, Span<char>(target, sizeof target), &len);
      if (e != Errno::Success) return e;
      if (len >= sizeof target) return Errno::Nametoolong;
      if (len == 0) return Errno::Noent;
      if (target[0] == '/') return Errno::Notcapable;
      Vector<char> next;
      usize tail = rest.size() - pos;
      if (next.try_resize(len + tail).is_error()) return Errno::Nomem;
      for (usize i = 0; i < len; ++i) next[i] = target[i];
      for (usize i = 0; i < tail; ++i) next[len + i] = rest[pos + i];
      rest = support::move(next);
      pos = 0;
      continue;
    }
    if (last) return w.set_name(comp);
    if (st.type != FileType::Directory) return Errno::Notdir;
    Handle h;
    OpenOptions dir_only;
    dir_only.directory = true;
    dir_only.read = true;
    e = os_.open_at(w.dir, comp, dir_only, &h);
    if (e != Errno::Success) return e;
    if (w.opened.try_push(h).is_error()) {
      (void)os_.close(h);
      return Errno::Nomem;
    }
    w.dir = h;
  }
}

// ---------------------------------------------------------------------------------------------
// Arguments, environment, clocks, random.

namespace {

Errno strings_sizes(const Vector<Vector<char>>& list, Mem m, u32 count_ptr, u32 size_ptr) {
  if (!m.ok(count_ptr, 4) || !m.ok(size_ptr, 4)) return Errno::Fault;
  u64 bytes = 0;
  for (const Vector<char>& s : list) bytes += s.size();
  m.put<u32>(count_ptr, static_cast<u32>(list.size()));
  m.put<u32>(size_ptr, static_cast<u32>(bytes));
  return Errno::Success;
}

Errno strings_get(const Vector<Vector<char>>& list, Mem m, u32 ptrs, u32 buf) {
  u64 bytes = 0;
  for (const Vector<char>& s : list) bytes += s.size();
  if (!m.ok(ptrs, 4ull * list.size()) || !m.ok(buf, bytes)) return Errno::Fault;
  u32 at = buf;
  for (usize i = 0; i < list.size(); ++i) {
    m.put<u32>(ptrs + 4 * i, at);
    m.copy_out(at, support::Bytes(reinterpret_cast<const u8*>(list[i].data()), list[i].size()));
    at += static_cast<u32>(list[i].size());
  }
  return Errno::Success;
}

bool valid_clock(u32 id) { return id <= static_cast<u32>(ClockId::ThreadCputime); }

}  // namespace

Errno Wasi::args_get(Args& a) { return strings_get(args_, a.mem, a.arg32(0), a.arg32(1)); }
Errno Wasi::args_sizes_get(Args& a) { return strings_sizes(args_, a.mem, a.arg32(0), a.arg32(1)); }
Errno Wasi::environ_get(Args& a) { return strings_get(env_, a.mem, a.arg32(0), a.arg32(1)); }
Errno Wasi::environ_sizes_get(Args& a) {
  return strings_sizes(env_, a.mem, a.arg32(0), a.arg32(1));
}

Errno Wasi::clock_res_get(Args& a) {
  u32 id = a.arg32(0), out = a.arg32(1);
  if (!a.mem.ok(out, 8)) return Errno::Fault;
  if (!valid_clock(id)) return Errno::Inval;
  u64 res = 0;
  Errno e = os_.clock_res(static_cast<ClockId>(id), &res);
  if (e == Errno::Success) a.mem.put<u64>(out, res);
  return e;
}

Errno Wasi::clock_time_get(Args& a) {
  u32 id = a.arg32(0), out = a.arg32(2);
  if (!a.mem.ok(out, 8)) return Errno::Fault;
  if (!valid_clock(id)) return Errno::Inval;
  u64 now = 0;
  Errno e = os_.clock_time(static_cast<ClockId>(id), &now);
  if (e == Errno::Success) a.mem.put<u64>(out, now);
  return e;
}

// In pieces: when the program's time is up after some, the call is pending and its retry fills
// the rest (64 MiB took 2 s of one hart in the kernel, with the generator's lock held).
Errno Wasi::random_get(Args& a) {
  auto out = a.mem.bytes(a.arg32(0), a.arg32(1));
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
    if (Errno e = os_.random(all.subspan(done, n)); e != Errno::Success) return e;
    done += n;
  }
  return Errno::Success;
}

Errno Wasi::proc_exit(Args&) { return Errno::Success; }  // handled in call()
Errno Wasi::proc_raise(Args&) { return Errno::Notsup; }
Errno Wasi::sched_yield(Args&) { return Errno::Success; }

// ---------------------------------------------------------------------------------------------
// Descriptors.

// Moves data between the Os and the buffers of a checked iovec copy, in pieces of at most
// kTransferPiece bytes. Stops at the first short transfer, and between pieces once the program's
// time is up (Os::yield_due: a read of 4 GiB from a sparse file held a hart for 17 s in the
// kernel); an error after some bytes moved reports those bytes (the error comes again next time).
Errno Wasi::transfer_iovs(Descriptor& d, Span<const Iovec> iovs, bool write, bool positioned,
                          u64 offset, u64* done) {
  Mem m = Mem::of(memory_);
  u64 total = 0;
  for (const Iovec& v : iovs) {
    if (v.len == 0) continue;
    auto buf = m.bytes(v.buf, v.len);  // checked by IovecCopy; memory never shrinks
    if (buf.is_error()) {
      if (total == 0) return Errno::Fault;
      break;
    }
    for (u64 at = 0; at < v.len;) {
      if (total > 0 && os_.yield_due()) {
        *done = total;
        return Errno::Success;
      }
      if (total == kMaxTransfer) {
        *done = total;
        return Errno::Success;
      }
      u64 piece = support::min(support::min(v.len - at, kTransferPiece), kMaxTransfer - total);
      Span<u8> part = buf.value().subspan(at, piece);
      u64 n = 0;
      Errno e;
      if (write) {
        Span<const u8> data = part;
        e = positioned ? os_.pwrite(d.handle, data, offset + total, &n)
                       : os_.write(d.handle, data, &n);
      } else {
        e = positioned ? os_.pread(d.handle, part, offset + total, &n)
                       : os_.read(d.handle, part, &n);
      }
      if (e != Errno::Success) {
        if (total > 0) {  // report what was transferred; the error comes again next time
          *done = total;
          return Errno::Success;
        }
        if (e == Errno::WouldBlock && (d.flags & kFdflagNonblock)) return Errno::Again;
        return e;
      }
      total += n;
      at += n;
      if (n < piece) {
        *done = total;
        return Errno::Success;
      }
    }
  }
  *done = total;
  return Errno::Success;
}

// Append mode: the gather list goes to the Os in one atomic append, at most kTransferPiece bytes
// of it (the rest is a short count: a 48 MiB append held a hart for 0.6 s in the kernel).
Errno Wasi::append_iovs(Descriptor& d, Span<const Iovec> iovs, u64* done) {
  Mem m = Mem::of(memory_);
  SmallArray<support::Bytes, 8> parts;
  if (Errno e = parts.resize(iovs.size()); e != Errno::Success) return e;
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
  Errno e = os_.append(d.handle, parts.span().subspan(0, count), &at, &n);
  if (e != Errno::Success) return e;
  d.offset = at + n;
  *done = n;
  return Errno::Success;
}

// fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell on a directory: EISDIR, before rights.
Errno Wasi::data_descriptor(u32 number, Rights needed, Descriptor** out) {
  Descriptor* d = fd(number);
  if (d == nullptr) return Errno::Badf;
  if (d->type == FileType::Directory) return Errno::Isdir;
  return lookup(number, needed, out);
}

Errno Wasi::fd_read(Args& a) {
  Descriptor* d;
  Errno e = data_descriptor(a.arg32(0), right::kFdRead, &d);
  if (e != Errno::Success) return e;
  u32 out = a.arg32(3);
  if (!a.mem.ok(out, 4)) return Errno::Fault;
  IovecCopy iovs;
  if ((e = iovs.copy_in(a.mem, a.arg32(1), a.arg32(2))) != Errno::Success) return e;
  u64 n = 0;
  bool pos = positioned(*d);
  e = transfer_iovs(*d, iovs.list.span(), false, pos, d->offset, &n);
  if (e != Errno::Success) return e;
  if (pos) d->offset += n;
  a.mem.put<u32>(out, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::fd_write(Args& a) {
  Descriptor* d;
  Errno e = data_descriptor(a.arg32(0), right::kFdWrite, &d);
  if (e != Errno::Success) return e;
  u32 out = a.arg32(3);
  if (!a.mem.ok(out, 4)) return Errno::Fault;
  IovecCopy iovs;
  if ((e = iovs.copy_in(a.mem, a.arg32(1), a.arg32(2))) != Errno::Success) return e;
  bool pos = positioned(*d);
  u64 n = 0;
  if (pos && (d->flags & kFdflagAppend)) {
    if (iovs.total > 0 && (e = append_iovs(*d, iovs.list.span(), &n)) != Errno::Success) return e;
  } else {
    e = transfer_iovs(*d, iovs.list.span(), true, pos, d->offset, &n);
    if (e != Errno::Success) return e;
    if (pos) d->offset += n;
  }
  a.mem.put<u32>(out, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::fd_pread(Args& a) {
  Descriptor* d;
  Errno e = data_descriptor(a.arg32(0), right::kFdRead | right::kFdSeek, &d);
  if (e != Errno::Success) {
    if (e == Errno::Notcapable && !positioned(*fd(a.arg32(0)))) return Errno::Spipe;
    return e;
  }
  u32 out = a.arg32(4);
  if (!a.mem.ok(out, 4)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  IovecCopy iovs;
  if ((e = iovs.copy_in(a.mem, a.arg32(1), a.arg32(2))) != Errno::Success) return e;
  u64 n = 0;
  e = transfer_iovs(*d, iovs.list.span(), false, true, a.arg64(3), &n);
  if (e != Errno::Success) return e;
  a.mem.put<u32>(out, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::fd_pwrite(Args& a) {
  Descriptor* d;
  Errno e = data_descriptor(a.arg32(0), right::kFdWrite | right::kFdSeek, &d);
  if (e != Errno::Success) {
    if (e == Errno::Notcapable && !positioned(*fd(a.arg32(0)))) return Errno::Spipe;
    return e;
  }
  u32 out = a.arg32(4);
  if (!a.mem.ok(out, 4)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  IovecCopy iovs;
  if ((e = iovs.copy_in(a.mem, a.arg32(1), a.arg32(2))) != Errno::Success) return e;
  u64 n = 0;
  e = transfer_iovs(*d, iovs.list.span(), true, true, a.arg64(3), &n);
  if (e != Errno::Success) return e;
  a.mem.put<u32>(out, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::fd_seek(Args& a) {
  u32 number = a.arg32(0), whence = a.arg32(2), out = a.arg32(3);
  i64 delta = static_cast<i64>(a.arg64(1));
  Rights need = (delta == 0 && whence == kWhenceCur) ? right::kFdTell : right::kFdSeek;
  Descriptor* d;
  Errno e = data_descriptor(number, need, &d);
  if (e != Errno::Success) {
    if (e == Errno::Notcapable && !positioned(*fd(number))) return Errno::Spipe;
    return e;
  }
  if (!a.mem.ok(out, 8)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  i64 base;
  switch (whence) {
    case kWhenceSet: base = 0; break;
    case kWhenceCur: base = static_cast<i64>(d->offset); break;
    case kWhenceEnd: {
      FileStat st;
      e = os_.stat(d->handle, &st);
      if (e != Errno::Success) return e;
      base = static_cast<i64>(st.size);
      break;
    }
    default: return Errno::Inval;
  }
  i64 next;
  if (__builtin_add_overflow(base, delta, &next) || next < 0) return Errno::Inval;
  d->offset = static_cast<u64>(next);
  a.mem.put<u64>(out, d->offset);
  return Errno::Success;
}

Errno Wasi::fd_tell(Args& a) {
  Descriptor* d;
  Errno e = data_descriptor(a.arg32(0), right::kFdTell, &d);
  if (e != Errno::Success) return e;
  if (!a.mem.ok(a.arg32(1), 8)) return Errno::Fault;
  if (!positioned(*d)) return Errno::Spipe;
  a.mem.put<u64>(a.arg32(1), d->offset);
  return Errno::Success;
}

Errno Wasi::fd_close(Args& a) {
  Descriptor* d = fd(a.arg32(0));
  if (d == nullptr) return Errno::Badf;
  if (d->owned) (void)os_.close(d->handle);
  *d = Descriptor{};
  return Errno::Success;
}

Errno Wasi::fd_renumber(Args& a) {
  u32 from = a.arg32(0), to = a.arg32(1);
  Descriptor* src = fd(from);
  Descriptor* dst = fd(to);
  if (src == nullptr || dst == nullptr) return Errno::Badf;
  if (from == to) return Errno::Success;
  if (dst->owned) (void)os_.close(dst->handle);
  *dst = support::move(*src);
  *src = Descriptor{};
  return Errno::Success;
}

Errno Wasi::fd_datasync(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdDatasync, &d);
  return e != Errno::Success ? e : os_.sync(d->handle, true);
}

Errno Wasi::fd_sync(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdSync, &d);
  return e != Errno::Success ? e : os_.sync(d->handle, false);
}

Errno Wasi::fd_advise(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdAdvise, &d);
  if (e != Errno::Success) return e;
  if (a.arg32(3) > 5) return Errno::Inval;
  return Errno::Success;  // advice only
}

Errno Wasi::fd_allocate(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdAllocate, &d);
  if (e != Errno::Success) return e;
  u64 end;
  if (__builtin_add_overflow(a.arg64(1), a.arg64(2), &end) || end > (1ull << 63))
    return Errno::Fbig;
  if (!positioned(*d)) return Errno::Badf;
  FileStat st;
  e = os_.stat(d->handle, &st);
  if (e != Errno::Success) return e;
  return end > st.size ? os_.set_size(d->handle, end) : Errno::Success;
}

Errno Wasi::fd_fdstat_get(Args& a) {
  Descriptor* d = fd(a.arg32(0));
  if (d == nullptr) return Errno::Badf;
  u32 out = a.arg32(1);
  if (!a.mem.ok(out, kFdstatSize)) return Errno::Fault;
  Fdstat st{};
  st.filetype = static_cast<u8>(d->type);
  st.flags = d->flags;
  st.rights_base = d->base;
  st.rights_inheriting = d->inheriting;
  a.mem.put(out, st);
  return Errno::Success;
}

Errno Wasi::fd_fdstat_set_flags(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdFdstatSetFlags, &d);
  if (e != Errno::Success) return e;
  u32 flags = a.arg32(1);
  if (flags & ~u32{kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync})
    return Errno::Inval;
  d->flags = static_cast<u16>(flags);
  return Errno::Success;
}

Errno Wasi::fd_fdstat_set_rights(Args& a) {
  Descriptor* d = fd(a.arg32(0));
  if (d == nullptr) return Errno::Badf;
  Rights base = a.arg64(1), inheriting = a.arg64(2);
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

}  // namespace

Errno Wasi::fd_filestat_get(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdFilestatGet, &d);
  if (e != Errno::Success) return e;
  u32 out = a.arg32(1);
  if (!a.mem.ok(out, kFilestatSize)) return Errno::Fault;
  FileStat st;
  e = os_.stat(d->handle, &st);
  if (e == Errno::Success) put_filestat(a.mem, out, st);
  return e;
}

Errno Wasi::fd_filestat_set_size(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdFilestatSetSize, &d);
  if (e != Errno::Success) return e;
  if (a.arg64(1) > (1ull << 63)) return Errno::Fbig;
  return os_.set_size(d->handle, a.arg64(1));
}

Errno Wasi::fd_filestat_set_times(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdFilestatSetTimes, &d);
  if (e != Errno::Success) return e;
  if (!valid_fst(a.arg32(3))) return Errno::Inval;
  return os_.set_times(d->handle, a.arg64(1), a.arg64(2), static_cast<u16>(a.arg32(3)));
}

Errno Wasi::fd_prestat_get(Args& a) {
  Descriptor* d = fd(a.arg32(0));
  if (d == nullptr || !d->preopen) return Errno::Badf;
  u32 out = a.arg32(1);
  if (!a.mem.ok(out, kPrestatSize)) return Errno::Fault;
  Prestat p{};
  p.name_len = static_cast<u32>(d->preopen_name.size());
  a.mem.put(out, p);
  return Errno::Success;
}

Errno Wasi::fd_prestat_dir_name(Args& a) {
  Descriptor* d = fd(a.arg32(0));
  if (d == nullptr || !d->preopen) return Errno::Badf;
  u32 out = a.arg32(1), len = a.arg32(2);
  if (!a.mem.ok(out, len)) return Errno::Fault;
  if (len < d->preopen_name.size()) return Errno::Nametoolong;
  a.mem.copy_out(out, support::Bytes(reinterpret_cast<const u8*>(d->preopen_name.data()),
                                     d->preopen_name.size()));
  return Errno::Success;
}

Errno Wasi::fd_readdir(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kFdReaddir, &d);
  if (e != Errno::Success) return e;
  u32 buf = a.arg32(1), len = a.arg32(2), out = a.arg32(4);
  u64 cookie = a.arg64(3);
  if (!a.mem.ok(buf, len) || !a.mem.ok(out, 4)) return Errno::Fault;
  if (d->type != FileType::Directory) return Errno::Notdir;
  // A long walk stops once the program's time is up and continues in the retry (the program
  // sees one call that filled its buffer).
  u32 used = progress_.kept ? static_cast<u32>(progress_.done) : 0;
  if (progress_.kept) cookie = progress_.cookie;
  u32 start = used;
  DirEntry entry;
  while (used < len) {
    if (used > start && os_.yield_due()) {
      progress_ = {true, used, cookie};
      return Errno::WouldBlock;
    }
    bool end = false;
    e = os_.readdir(d->handle, cookie, &entry, &end);
    if (e != Errno::Success) return e;
    if (end) break;
    Dirent header{};
    header.next = entry.next;
    header.ino = entry.ino;
    header.namlen = entry.name_len;
    header.type = static_cast<u8>(entry.type);
    u32 take = len - used < kDirentSize ? len - used : kDirentSize;
    a.mem.copy_out(buf + used, support::Bytes(reinterpret_cast<const u8*>(&header), take));
    used += take;
    u32 name_len = entry.name_len < sizeof entry.name ? entry.name_len : sizeof entry.name;
    take = len - used < name_len ? len - used : name_len;
    a.mem.copy_out(buf + used, support::Bytes(reinterpret_cast<const u8*>(entry.name), take));
    used += take;
    cookie = entry.next;
  }
  a.mem.put<u32>(out, used);
  return Errno::Success;
}

// ---------------------------------------------------------------------------------------------
// Paths.

Errno Wasi::path_create_directory(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kPathCreateDirectory, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(1), a.arg32(2), path)) != Errno::Success) return e;
  Walk w(os_);
  if ((e = resolve(d->handle, path, false, w)) != Errno::Success) return e;
  if (w.last() == ".") return Errno::Exist;
  return os_.mkdir_at(w.dir, w.last());
}

Errno Wasi::path_filestat_get(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kPathFilestatGet, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(2), a.arg32(3), path)) != Errno::Success) return e;
  u32 out = a.arg32(4);
  if (!a.mem.ok(out, kFilestatSize)) return Errno::Fault;
  Walk w(os_);
  if ((e = resolve(d->handle, path, a.arg32(1) & kLookupSymlinkFollow, w)) != Errno::Success)
    return e;
  FileStat st;
  if ((e = os_.stat_at(w.dir, w.last(), &st)) != Errno::Success) return e;
  if (w.trailing_slash && st.type != FileType::Directory) return Errno::Notdir;
  put_filestat(a.mem, out, st);
  return Errno::Success;
}

Errno Wasi::path_filestat_set_times(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kPathFilestatSetTimes, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(2), a.arg32(3), path)) != Errno::Success) return e;
  u32 fst = a.arg32(6);
  if (!valid_fst(fst)) return Errno::Inval;
  Walk w(os_);
  if ((e = resolve(d->handle, path, a.arg32(1) & kLookupSymlinkFollow, w)) != Errno::Success)
    return e;
  return os_.set_times_at(w.dir, w.last(), a.arg64(4), a.arg64(5), static_cast<u16>(fst));
}

Errno Wasi::path_link(Args& a) {
  Descriptor *from, *to;
  Errno e = lookup(a.arg32(0), right::kPathLinkSource, &from);
  if (e != Errno::Success) return e;
  if ((e = lookup(a.arg32(4), right::kPathLinkTarget, &to)) != Errno::Success) return e;
  Vector<char> old_path, new_path;
  if ((e = guest_path(a.arg32(2), a.arg32(3), old_path)) != Errno::Success) return e;
  if ((e = guest_path(a.arg32(5), a.arg32(6), new_path)) != Errno::Success) return e;
  Walk src(os_), dst(os_);
  if ((e = resolve(from->handle, old_path, a.arg32(1) & kLookupSymlinkFollow, src)) !=
      Errno::Success)
    return e;
  if ((e = resolve(to->handle, new_path, false, dst)) != Errno::Success) return e;
  if (dst.trailing_slash) return Errno::Noent;
  return os_.link_at(src.dir, src.last(), dst.dir, dst.last());
}

Errno Wasi::path_open(Args& a) {
  u32 dirflags = a.arg32(1), oflags = a.arg32(4), fdflags = a.arg32(7), out = a.arg32(8);
  Rights want_base = a.arg64(5), want_inheriting = a.arg64(6);
  Rights need = right::kPathOpen;
  if (oflags & kOflagCreat) need |= right::kPathCreateFile;
  if (oflags & kOflagTrunc) need |= right::kPathFilestatSetSize;
  Descriptor* d;
  Errno e = lookup(a.arg32(0), need, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(2), a.arg32(3), path)) != Errno::Success) return e;
  if (!a.mem.ok(out, 4)) return Errno::Fault;
  if (oflags & ~u32{kOflagCreat | kOflagDirectory | kOflagExcl | kOflagTrunc}) return Errno::Inval;
  if ((oflags & kOflagDirectory) && (oflags & kOflagTrunc)) return Errno::Inval;
  Rights base = want_base & d->inheriting;
  Rights inheriting = want_inheriting & d->inheriting;
  Walk w(os_);
  if ((e = resolve(d->handle, path, dirflags & kLookupSymlinkFollow, w)) != Errno::Success)
    return e;
  OpenOptions options;
  options.directory = (oflags & kOflagDirectory) || w.trailing_slash;
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
  if (options.directory) options.write = false;  // checked below, once it is known to be one
  auto slot = allocate_fd();
  if (slot.is_error()) return Errno::Nomem;
  Handle h;
  if ((e = os_.open_at(w.dir, w.last(), options, &h)) != Errno::Success) return e;
  FileStat st;
  if ((e = os_.stat(h, &st)) != Errno::Success) {
    (void)os_.close(h);
    return e;
  }
  // A directory is never opened for writing: asking for FD_WRITE is EISDIR, as
  // open(O_DIRECTORY | O_WRONLY) is (wasi-libc asks for it only with O_WRONLY or O_RDWR).
  if (st.type == FileType::Directory && (want_base & right::kFdWrite)) {
    (void)os_.close(h);
    return Errno::Isdir;
  }
  Descriptor& nd = fds_[slot.value()];
  nd = Descriptor{};
  nd.open = true;
  nd.handle = h;
  nd.type = st.type;
  nd.base = base & rights_for(st.type);
  nd.inheriting = st.type == FileType::Directory ? inheriting : 0;
  nd.flags = static_cast<u16>(fdflags);
  a.mem.put<u32>(out, slot.value());
  return Errno::Success;
}

Errno Wasi::path_readlink(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kPathReadlink, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(1), a.arg32(2), path)) != Errno::Success) return e;
  auto buf = a.mem.bytes(a.arg32(3), a.arg32(4));
  u32 out = a.arg32(5);
  if (buf.is_error() || !a.mem.ok(out, 4)) return Errno::Fault;
  Walk w(os_);
  if ((e = resolve(d->handle, path, false, w)) != Errno::Success) return e;
  u64 n = 0;
  Span<char> into(reinterpret_cast<char*>(buf.value().data()), buf.value().size());
  e = os_.readlink_at(w.dir, w.last(), into, &n);
  if (e != Errno::Success) return e;
  a.mem.put<u32>(out, static_cast<u32>(n));
  return Errno::Success;
}

Errno Wasi::path_remove_directory(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kPathRemoveDirectory, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(1), a.arg32(2), path)) != Errno::Success) return e;
  Walk w(os_);
  if ((e = resolve(d->handle, path, false, w)) != Errno::Success) return e;
  if (w.last() == ".") return Errno::Inval;
  return os_.rmdir_at(w.dir, w.last());
}

Errno Wasi::path_rename(Args& a) {
  Descriptor *from, *to;
  Errno e = lookup(a.arg32(0), right::kPathRenameSource, &from);
  if (e != Errno::Success) return e;
  if ((e = lookup(a.arg32(3), right::kPathRenameTarget, &to)) != Errno::Success) return e;
  Vector<char> old_path, new_path;
  if ((e = guest_path(a.arg32(1), a.arg32(2), old_path)) != Errno::Success) return e;
  if ((e = guest_path(a.arg32(4), a.arg32(5), new_path)) != Errno::Success) return e;
  Walk src(os_), dst(os_);
  if ((e = resolve(from->handle, old_path, false, src)) != Errno::Success) return e;
  if ((e = resolve(to->handle, new_path, false, dst)) != Errno::Success) return e;
  if (src.last() == "." || dst.last() == ".") return Errno::Busy;
  return os_.rename_at(src.dir, src.last(), dst.dir, dst.last());
}

Errno Wasi::path_symlink(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(2), right::kPathSymlink, &d);
  if (e != Errno::Success) return e;
  Vector<char> target, path;
  if ((e = guest_path(a.arg32(0), a.arg32(1), target)) != Errno::Success) return e;
  if ((e = guest_path(a.arg32(3), a.arg32(4), path)) != Errno::Success) return e;
  // The target is stored as given and resolved only when used, from the link's directory: an
  // absolute one could never be followed inside the sandbox, so it is refused now.
  if (target.empty()) return Errno::Noent;
  if (target[0] == '/') return Errno::Notcapable;
  for (char c : target)
    if (c == '\0') return Errno::Inval;
  Walk w(os_);
  if ((e = resolve(d->handle, path, false, w)) != Errno::Success) return e;
  if (w.last() == ".") return Errno::Exist;
  if (w.trailing_slash) return Errno::Noent;
  return os_.symlink_at(StringView(target.data(), target.size()), w.dir, w.last());
}

Errno Wasi::path_unlink_file(Args& a) {
  Descriptor* d;
  Errno e = lookup(a.arg32(0), right::kPathUnlinkFile, &d);
  if (e != Errno::Success) return e;
  Vector<char> path;
  if ((e = guest_path(a.arg32(1), a.arg32(2), path)) != Errno::Success) return e;
  Walk w(os_);
  if ((e = resolve(d->handle, path, false, w)) != Errno::Success) return e;
  if (w.last() == ".") return Errno::Isdir;
  if (w.trailing_slash) {
    FileStat st;
    if (os_.stat_at(w.dir, w.last(), &st) == Errno::Success && st.type != FileType::Directory)
      return Errno::Notdir;
  }
  return os_.unlink_at(w.dir, w.last());
}

// ---------------------------------------------------------------------------------------------
// poll_oneoff: the subscriptions are copied in once, on the first attempt, and kept with their
// absolute Monotonic deadlines across retries of a pending call; descriptors become Os::PollFd
// entries; regular files are always ready.

Errno Wasi::poll_oneoff(Args& a) {
  u32 in = a.arg32(0), out = a.arg32(1), count = a.arg32(2), nevents = a.arg32(3);
  if (count == 0) return Errno::Inval;
  if (!a.mem.ok(in, u64{count} * kSubscriptionSize) || !a.mem.ok(out, u64{count} * kEventSize) ||
      !a.mem.ok(nevents, 4))
    return Errno::Fault;
  if (count > kMaxSubscriptions) return Errno::Inval;
  Mem m = a.mem;
  if (!poll_kept_) {
    if (poll_subs_.try_resize(count).is_error() || poll_deadlines_.try_resize(count).is_error())
      return Errno::Nomem;
    if (m.copy_in(in, poll_subs_.span()).is_error()) return Errno::Fault;
    u64 now_mono = 0, now_real = 0;
    Errno e = os_.clock_time(ClockId::Monotonic, &now_mono);
    if (e != Errno::Success) return e;
    for (u32 i = 0; i < count; ++i) {
      const Subscription& sub = poll_subs_[i];
      poll_deadlines_[i] = ~0ull;
      if (sub.tag != kEventClock) continue;
      u64 timeout = sub.timeout;
      u64 deadline;
      if (!(sub.clock_flags & kSubclockAbstime)) {
        deadline = __builtin_add_overflow(now_mono, timeout, &deadline) ? ~0ull - 1 : deadline;
      } else if (sub.clock_id_or_fd == static_cast<u32>(ClockId::Realtime)) {
        if (now_real == 0 && (e = os_.clock_time(ClockId::Realtime, &now_real)) != Errno::Success)
          return e;
        if (timeout <= now_real) {
          deadline = now_mono;
        } else if (__builtin_add_overflow(now_mono, timeout - now_real, &deadline)) {
          deadline = ~0ull - 1;  // as for a relative timeout: as late as can be, not at once
        }
      } else {
        deadline = timeout;
      }
      poll_deadlines_[i] = deadline;
    }
  }
  Span<const Subscription> subs = poll_subs_.span();
  // Events that need no waiting: bad subscriptions, regular files.
  Vector<PollFd> fds;
  Vector<u32> fd_subs;
  u32 immediate = 0;
  u64 earliest = ~0ull;
  for (u32 i = 0; i < count; ++i) {
    const Subscription& sub = subs[i];
    if (sub.tag == kEventClock) {
      if (!valid_clock(sub.clock_id_or_fd)) {
        ++immediate;
        continue;
      }
      if (poll_deadlines_[i] < earliest) earliest = poll_deadlines_[i];
      continue;
    }
    if (sub.tag != kEventFdRead && sub.tag != kEventFdWrite) {
      ++immediate;
      continue;
    }
    Descriptor* d;
    if (lookup(sub.clock_id_or_fd, right::kPollFdReadwrite, &d) != Errno::Success ||
        positioned(*d) || d->type == FileType::Directory) {
      ++immediate;
      continue;
    }
    PollFd p;
    p.handle = d->handle;
    p.write = sub.tag == kEventFdWrite;
    if (fds.try_push(p).is_error() || fd_subs.try_push(i).is_error()) return Errno::Nomem;
  }
  if (immediate > 0) earliest = 0;
  u64 now = 0;
  for (;;) {
    Errno e = os_.poll(fds.span(), earliest);
    if (e == Errno::WouldBlock) {
      poll_kept_ = true;
      return Errno::WouldBlock;
    }
    if (e != Errno::Success) return e;
    if ((e = os_.clock_time(ClockId::Monotonic, &now)) != Errno::Success) return e;
    bool any = immediate > 0 || now >= earliest;
    for (const PollFd& p : fds) any |= p.ready;
    if (any) break;
  }
  // Commit: write the events.
  u32 n = 0, next_fd = 0;
  for (u32 i = 0; i < count; ++i) {
    const Subscription& sub = subs[i];
    Event ev{};
    ev.userdata = sub.userdata;
    ev.type = sub.tag;
    bool fire = false;
    if (sub.tag == kEventClock) {
      if (!valid_clock(sub.clock_id_or_fd)) {
        ev.error = static_cast<u16>(Errno::Inval);
        fire = true;
      } else {
        fire = now >= poll_deadlines_[i];
      }
    } else if (sub.tag != kEventFdRead && sub.tag != kEventFdWrite) {
      ev.error = static_cast<u16>(Errno::Inval);
      fire = true;
    } else if (next_fd < fd_subs.size() && fd_subs[next_fd] == i) {
      const PollFd& p = fds[next_fd++];
      fire = p.ready;
      ev.error = static_cast<u16>(p.error);
      ev.nbytes = p.nbytes;
      ev.flags = p.hangup ? kEventFdReadwriteHangup : 0;
    } else {
      Descriptor* d;
      Errno le = lookup(sub.clock_id_or_fd, right::kPollFdReadwrite, &d);
      fire = true;
      if (le != Errno::Success) {
        ev.error = static_cast<u16>(le);
      } else if (sub.tag == kEventFdRead && positioned(*d)) {
        FileStat st;
        if (os_.stat(d->handle, &st) == Errno::Success && st.size > d->offset)
          ev.nbytes = st.size - d->offset;
      }
    }
    if (!fire) continue;
    m.put(out + n * kEventSize, ev);
    ++n;
  }
  m.put<u32>(nevents, n);
  return Errno::Success;
}

// ---------------------------------------------------------------------------------------------
// Sockets: none exist yet, so every descriptor is either bad or not a socket.

Errno Wasi::sock_accept(Args& a) {
  if (!a.mem.ok(a.arg32(2), 4)) return Errno::Fault;
  return fd(a.arg32(0)) ? Errno::Notsock : Errno::Badf;
}

Errno Wasi::sock_recv(Args& a) {
  if (!a.mem.ok(a.arg32(1), u64{a.arg32(2)} * kIovecSize) || !a.mem.ok(a.arg32(4), 4) ||
      !a.mem.ok(a.arg32(5), 2))
    return Errno::Fault;
  return fd(a.arg32(0)) ? Errno::Notsock : Errno::Badf;
}

Errno Wasi::sock_send(Args& a) {
  if (!a.mem.ok(a.arg32(1), u64{a.arg32(2)} * kIovecSize) || !a.mem.ok(a.arg32(4), 4))
    return Errno::Fault;
  return fd(a.arg32(0)) ? Errno::Notsock : Errno::Badf;
}

Errno Wasi::sock_shutdown(Args& a) { return fd(a.arg32(0)) ? Errno::Notsock : Errno::Badf; }

}  // namespace wasi

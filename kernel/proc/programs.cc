// The program runtime (see <kernel/proc/programs.h>).
#include <arch/cpu.h>
#include <async/sync.h>
#include <kernel/arch/time.h>
#include <kernel/boot/boot_args.h>
#include <kernel/console/log.h>
#include <kernel/console/tty.h>
#include <kernel/mm/wasm_memory.h>
#include <kernel/sched/executor.h>
#include <support/format.h>

#include <ipc/pipe.h>
#include <kernel/proc/program.h>

namespace programs {

Limits g_limits;
support::SpinLock g_table_lock;

namespace {

// A slice: this much fuel (calls and loop iterations), or this much time if the fuel lasts
// longer (the hart's timer interrupts the execution).
constexpr i64 kSliceFuel = 200000;
constexpr u64 kSliceNs = 2'000'000;

fs::FileSystem* g_root = nullptr;

struct Table {
  support::Vector<Program*> programs GUARDED_BY(g_table_lock);  // in order of id
  u32 next_pid GUARDED_BY(g_table_lock) = 1;
  u64 live GUARDED_BY(g_table_lock) = 0;
};
Table g_table;

support::Atomic<u64> g_spawned{0}, g_ended{0}, g_slices{0}, g_preempted{0};
support::Atomic<u32> g_first_program{0};
support::Atomic<u64> g_slices_on_hart[arch::kMaxCpus];
// The execution running a slice on each hart, for the slice timer.
wasm::Execution* g_running[arch::kMaxCpus];

// Copies a byte string into a fixed, NUL-terminated buffer.
void copy_name(char* dst, usize size, support::Span<const u8> src) {
  usize n = src.size() < size - 1 ? src.size() : size - 1;
  for (usize i = 0; i < n; ++i) dst[i] = static_cast<char>(src[i]);
  dst[n] = '\0';
}

// The one way a program fails: it could not start, or not go on (End::Failed).
void fail(Program& p, const Failure& why) {
  p.exit = {};
  p.exit.end = End::Failed;
  p.exit.code = kExitFailed;
  static_assert(sizeof p.exit.reason == sizeof why.reason);
  __builtin_memcpy(p.exit.reason, why.reason, sizeof p.exit.reason);
}

// Sleeps until the doorbell rings or `deadline` passes.
class Bell : public async::Leaf<Bell> {
 public:
  Bell(Program& program, u64 deadline) : program_(program), deadline_(deadline) {}
  Bell(const Bell&) = delete;
  ~Bell() {
    if (executor_ != nullptr) executor_->cancel_timer(entry_);
    program_.bell.with([](Doorbell& door) { door.waker.reset(); });
  }
  bool poll(async::TaskHeader& task) {
    bool rung = program_.bell.with([&](Doorbell& door) {
      if (door.rung) {
        door.rung = false;
        door.waker.reset();
        return true;
      }
      door.waker = task.waker();
      return false;
    });
    if (rung) return true;
    if (deadline_ == async::kNever) return false;
    if (executor_ == nullptr) {
      executor_ = &task.executor();
      entry_.deadline = deadline_;
    }
    return executor_->poll_timer(entry_, task);
  }
  void await_resume() {}

 private:
  Program& program_;
  u64 deadline_;
  async::Executor* executor_ = nullptr;
  async::TimerEntry entry_;
};

KillRequest kill_request(const Program& p) {
  return static_cast<KillRequest>(p.kill_requested.load());
}
bool killed(const Program& p) { return kill_request(p) != KillRequest::None; }

bool child_ended(u32 pid) {
  Program* child = acquire(pid);
  if (child == nullptr) return true;  // gone: the retry reports it
  bool ended = child->ended.load() != 0;
  release(child);
  return ended;
}

// True when what the pending host call waits for has happened.
bool wait_over(Program& p, u64 now) {
  switch (p.wait_for()) {
    case WaitFor::None:
    case WaitFor::Turn: return true;
    case WaitFor::Console: return console_readable_by(p.pid) || now >= p.deadline;
    case WaitFor::Deadline: return now >= p.deadline;
    case WaitFor::Child: return child_ended(p.child);
    case WaitFor::Objects: return p.signalled.load() != 0 || now >= p.deadline;
  }
  return true;
}

// The hart's timer, when a slice has run its time: stops the execution running here.
void on_slice_deadline(void*) {
  u32 cpu = arch::this_cpu().id;
  if (wasm::Execution* e = __atomic_load_n(&g_running[cpu], __ATOMIC_ACQUIRE)) e->interrupt();
}

// Runs one slice on this hart.
wasm::RunStatus run_slice(Program& p) {
  u32 cpu = arch::this_cpu().id;
  p.hart.store(cpu);
  __atomic_store_n(&g_running[cpu], p.execution, __ATOMIC_RELEASE);
  u64 start = ktime::now_ns();
  p.slice_end_ns = start + kSliceNs;
  ktime::arm(p.slice_end_ns, on_slice_deadline, nullptr);
  wasm::RunStatus status = p.execution->run(kSliceFuel);
  ktime::disarm();
  __atomic_store_n(&g_running[cpu], nullptr, __ATOMIC_RELEASE);
  // A timer that fired after run() returned must not cut the next slice short (a kill is still
  // seen: kill_requested is checked before every slice).
  if (status != wasm::RunStatus::Interrupted) p.execution->clear_interrupt();
  u64 end = ktime::now_ns();
  p.cpu_ns.fetch_add(end - start);
  p.slices.fetch_add(1);
  g_slices.fetch_add(1);
  g_slices_on_hart[cpu].fetch_add(1);
  if (status == wasm::RunStatus::Interrupted) g_preempted.fetch_add(1);
  return status;
}

Info info_of(const Program& p) {
  Info info;
  info.pid = p.pid;
  info.parent = p.parent;
  info.state = static_cast<State>(p.state.load());
  info.hart = p.hart.load();
  info.memory_bytes = p.memory_bytes.load();
  info.cpu_ns = p.cpu_ns.load();
  info.slices = p.slices.load();
  __builtin_memcpy(info.name, p.name, sizeof info.name);
  return info;
}

void describe_trap(Program& p) {
  wasm::Execution& e = *p.execution;
  const char* what = wasm::trap_message(e.trap());
  p.exit.end = End::Trapped;
  p.exit.code = kExitTrapBase + static_cast<i32>(e.trap());
  support::BufferSink sink(p.exit.reason, sizeof p.exit.reason);
  wasm::Execution::BacktraceFrame frames[8];
  u32 count = e.backtrace(support::Span<wasm::Execution::BacktraceFrame>(frames, 8));
  if (count == 0) {
    support::format(sink, "trap: {}", what);
    return;
  }
  // The innermost frame with its offset, then the callers by name: one line.
  auto name_of = [](const wasm::Execution::BacktraceFrame& f) {
    return f.instance != nullptr ? f.instance->module->function_name(f.func_index)
                                 : support::StringView();
  };
  support::StringView name = name_of(frames[0]);
  if (name.size() > 0) {
    support::format(sink, "trap: {} in function {} ({}) at offset {:#x}", what,
                    frames[0].func_index, name, frames[0].wasm_offset);
  } else {
    support::format(sink, "trap: {} in function {} at offset {:#x}", what, frames[0].func_index,
                    frames[0].wasm_offset);
  }
  for (u32 i = 1; i < count; ++i) {
    support::StringView caller = name_of(frames[i]);
    support::format(sink, i == 1 ? ", called from " : " <- ");
    if (caller.size() > 0) {
      support::format(sink, "{}", caller);
    } else {
      support::format(sink, "function {}", frames[i].func_index);
    }
  }
}

// The import `import` of `m`, from the module that provides it.
support::Result<wasm::Extern, Failure> resolve_import(Program& p, const wasm::Module& m,
                                                      const wasm::Import& import) {
  support::StringView module_name = m.name_of(import.module);
  if (module_name == "warden") return resolve_warden(p, *p.store, import, m);
  if (module_name == "wasi_snapshot_preview1") return resolve_wasi(p, *p.store, import, m);
  return failure("unlinkable: unknown import {}.{}", module_name, m.name_of(import.name));
}

Failure instantiate_failure(const wasm::InstantiateError& error) {
  switch (error.kind) {
    case wasm::InstantiateError::Kind::Unlinkable: return failure("unlinkable: {}", error.message);
    case wasm::InstantiateError::Kind::Trap:
      return failure("trap while instantiating: {}", wasm::trap_message(error.trap));
    case wasm::InstantiateError::Kind::NoMemory:
      return failure("out of memory while instantiating");
    case wasm::InstantiateError::Kind::Limit:
      return failure("cannot instantiate: {} (program.memory={} MiB, program.pages={})",
                     error.message, g_limits.memory_bytes >> 20, g_limits.memory_pages);
  }
  return failure("cannot instantiate");
}

// Reads and compiles (through the module cache) the program's file: sets p.module.
async::Task<Status> load_module(Program& p) {
  StringView path(reinterpret_cast<const char*>(p.path.data()), p.path.size());
  StringView cwd(reinterpret_cast<const char*>(p.cwd.data()), p.cwd.size());
  // The file's bytes are charged to the program while it holds them (until the compiled module
  // takes them over, or the cached module is found).
  auto size = file_size(path, cwd);
  if (size.is_error())
    co_return failure("cannot read the program: {}", spawn_error_name(size.error()));
  struct FileCharge {
    Program& p;
    u64 bytes = 0;
    ~FileCharge() { p.account.uncharge(bytes); }
  } file_charge{p};
  u64 cost = wasm::allocation_cost(size.value());
  if (p.memory_bytes.load() + cost > g_limits.memory_bytes) {
    co_return failure("program file larger than the memory limit ({} MiB)",
                      g_limits.memory_bytes >> 20);
  }
  if (!p.account.charge(cost))
    co_return failure("out of memory for the program file (other programs hold it)");
  file_charge.bytes = cost;
  auto bytes = read_file(path, cwd);
  if (bytes.is_error())
    co_return failure("cannot read the program: {}", spawn_error_name(bytes.error()));
  co_await async::yield_now();
  CompileOutcome compiled = co_await cache_get(bytes.value(), p, file_charge.bytes);
  bytes.value() = support::Vector<u8>();  // (a compiled module took them; a cached one has its own)
  p.account.uncharge(file_charge.bytes);
  file_charge.bytes = 0;
  if (compiled.module == nullptr) co_return failure("{}", compiled.reason);
  p.module = compiled.module;
  p.module_bytes = compiled.footprint;
  co_return Status();
}

// Loads, links and instantiates: sets p.store, p.instance and p.execution.
async::Task<Status> load(Program& p) {
  CO_TRY(co_await load_module(p));
  co_await async::yield_now();

  // The store may charge what the program's limit leaves besides its overhead and its code.
  u64 held = p.memory_bytes.load();
  wasm::StoreConfig config;
  config.max_memory_pages = g_limits.memory_pages;
  config.max_bytes = g_limits.memory_bytes > held ? g_limits.memory_bytes - held : 0;
  config.account = &p.account;
  config.max_stack_slots = g_limits.stack_bytes / sizeof(u64);
  config.max_call_depth = g_limits.call_depth;
  if (config.initial_stack_slots > config.max_stack_slots) {
    config.initial_stack_slots = static_cast<u32>(config.max_stack_slots);
  }
  p.store = new (std::nothrow) wasm::Store(wasm_memory::provider(), config);
  if (p.store == nullptr) co_return failure("out of memory");
  const wasm::Module& m = *p.module;
  support::Vector<wasm::Extern> imports;
  if (imports.try_resize(m.imports.size()).is_error()) co_return failure("out of memory");
  for (usize i = 0; i < m.imports.size(); ++i)
    imports[i] = CO_TRY(resolve_import(p, m, m.imports[i]));
  auto instance = p.store->instantiate(m, imports.span());
  if (instance.is_error()) co_return instantiate_failure(instance.error());
  p.instance = instance.value();
  wasi_bind(p);
  auto* execution = new (std::nothrow) wasm::Execution(*p.store);
  p.bell.with([&](Doorbell&) { p.execution = execution; });
  if (execution == nullptr) co_return failure("out of memory");
  // The arguments live on in the WASI context; the record keeps only the name.
  p.argv = {};
  p.env = {};
  co_return Status();
}

// Runs the start function (if any), then `_start`. Sets p.exit, unless the program cannot run.
async::Task<Status> execute(Program& p) {
  wasm::FuncInst* entries[2] = {p.store->start_function(p.instance), nullptr};
  wasm::Extern start = p.instance->find_export("_start");
  if (start.ptr != nullptr && start.kind == wasm::ExternKind::Func) {
    entries[1] = static_cast<wasm::FuncInst*>(start.ptr);
  } else if (entries[0] == nullptr) {
    co_return failure("not a program: no _start export");
  }
  p.exit = {};
  for (wasm::FuncInst* entry : entries) {
    if (entry == nullptr) continue;
    if (entry->type->param_count != 0 || entry->type->result_count != 0)
      co_return failure("not a program: _start takes or returns values");
    if (p.execution->start(entry, {}).is_error()) co_return failure("out of memory for the stacks");
    p.state.store(static_cast<u8>(State::Ready));
    for (;;) {
      if (killed(p)) {
        p.exit.end = End::Killed;
        p.exit.code = kExitKilled;
        bool interrupt = kill_request(p) == KillRequest::Interrupt;
        support::format_to_buffer(p.exit.reason, sizeof p.exit.reason,
                                  interrupt ? "interrupted" : "killed");
        co_return Status();
      }
      p.set_wait_for(WaitFor::Turn);
      wasm::RunStatus status = run_slice(p);
      switch (status) {
        case wasm::RunStatus::Done: break;
        case wasm::RunStatus::Exit:
          p.exit.end = End::Exited;
          p.exit.code = static_cast<i32>(p.execution->exit_code());
          co_return Status();
        case wasm::RunStatus::Trap: describe_trap(p); co_return Status();
        case wasm::RunStatus::OutOfFuel:
        case wasm::RunStatus::Interrupted: co_await async::yield_now(); continue;
        case wasm::RunStatus::HostPending: {
          wasm::HostCall& call = p.execution->pending_call();
          bool wasi = wasi_pending(p);
          for (;;) {
            if (p.wait_for() == WaitFor::Turn) {
              co_await async::yield_now();
            } else {
              p.state.store(static_cast<u8>(State::Waiting));
              while (!killed(p) && !wait_over(p, ktime::now_ns())) {
                WaitFor what = p.wait_for();
                u64 deadline = what == WaitFor::Console || what == WaitFor::Deadline ||
                                       what == WaitFor::Objects
                                   ? p.deadline
                                   : async::kNever;
                co_await Bell(p, deadline);
              }
              p.state.store(static_cast<u8>(State::Ready));
            }
            if (killed(p)) break;
            p.set_wait_for(WaitFor::Turn);  // unless the call says what it waits for
            // A retry runs as a slice of its own: a long call that stopped when its slice was
            // over (random_get, fd_readdir) continues for one more.
            u64 start = ktime::now_ns();
            p.slice_end_ns = start + kSliceNs;
            wasm::HostStatus result = wasi ? wasi_retry(p, call) : p.retry(p, call);
            p.cpu_ns.fetch_add(ktime::now_ns() - start);
            if (result != wasm::HostStatus::Pending) {
              p.execution->complete_host_call(result);
              break;
            }
          }
          continue;
        }
      }
      break;  // Done
    }
  }
  p.exit.end = End::Exited;
  p.exit.code = 0;
  co_return Status();
}

void teardown(Program& p) {
  // kill() interrupts the execution under the bell's lock.
  wasm::Execution* execution = p.bell.with([&](Doorbell&) {
    wasm::Execution* e = p.execution;
    p.execution = nullptr;
    return e;
  });
  delete execution;
  delete p.store;  // linear memories, tables, instances: their frames and charges return now
  p.store = nullptr;
  p.instance = nullptr;
  if (p.module != nullptr) cache_put(p.module);
  p.module = nullptr;
  p.memory_bytes.fetch_sub(p.module_bytes);  // left is the overhead, until the record goes
  p.module_bytes = 0;
  if (p.wasi != nullptr) wasi_destroy(p.wasi);
  p.wasi = nullptr;
}

void reap(Program* p);

// The program `pid` in the table, or nullptr.
Program* find_locked(u32 pid) REQUIRES(g_table_lock) {
  for (Program* q : g_table.programs) {
    if (q->pid == pid) return q;
  }
  return nullptr;
}

// True when `p` answers to program `ancestor` (its `up` chain reaches it). Ids decrease along
// the chain (a program's `up` is older than it), so the walk ends.
bool answers_to_locked(const Program& p, u32 ancestor) REQUIRES(g_table_lock) {
  for (u32 up = p.up; up != 0;) {
    if (up == ancestor) return true;
    Program* q = find_locked(up);
    if (q == nullptr) return false;
    up = q->up;
  }
  return false;
}

// A program of foreground group `group` that has not ended, or nullptr.
Program* living_member_locked(u32 group) REQUIRES(g_table_lock) {
  for (Program* q : g_table.programs) {
    if (q->group == group && q->ended.load() == 0) return q;
  }
  return nullptr;
}

// True when program `pid` owns the console while `group` is the foreground group.
bool owns_console_locked(u32 pid, u32 group) REQUIRES(g_table_lock) {
  if (group == 0) return pid == g_first_program.load();
  Program* p = find_locked(pid);
  return p != nullptr && p->group == group;
}

// The foreground group (Program::group) of a child of `parent` (nullptr: the kernel) that
// `request` asks for: 0 for none, the group the parent made last while a program of it runs
// (join_group), or kNewGroup for a group of its own. NotOwner when the parent does not own the
// console (the kernel may always give it).
constexpr u32 kNewGroup = ~u32{0};
support::Result<u32, SpawnError> child_group_locked(const SpawnRequest& request, Program* parent)
    REQUIRES(g_table_lock) {
  if (!request.foreground) return u32{0};
  if (request.join_group && parent != nullptr && parent->made_group != 0 &&
      living_member_locked(parent->made_group) != nullptr) {
    return parent->made_group;
  }
  if (request.parent != 0 && !owns_console_locked(request.parent, tty::foreground())) {
    return SpawnError::NotOwner;
  }
  return kNewGroup;
}

// Asks `p` to end at its next instruction boundary (the first request says how). The table
// lock may be held (then the bell's is taken after it).
void ask_to_end(Program& p, EndBy by) {
  u8 none = static_cast<u8>(KillRequest::None);
  KillRequest request = by == EndBy::Interrupt ? KillRequest::Interrupt : KillRequest::Kill;
  (void)p.kill_requested.compare_exchange(none, static_cast<u8>(request));
  p.bell.with([&](Doorbell&) {
    if (p.execution != nullptr) p.execution->interrupt();
  });
  p.ring();
}

// `p` has ended: the programs that answered to it answer to its own `up` now (the nearest
// living ancestor), its children reap themselves when they end, and the console moves when `p`
// was the last running program of the foreground group, or when the group's programs answer to
// `p` (`p` or a program below it gave them the console). It goes to `p`'s own group while
// another program of it runs, else to the group of `p`'s nearest living ancestor. That ancestor
// gave the console away, so it owned it: as a program of a foreground group (which becomes the
// foreground again, which Ctrl-C ends) or as the first program (the foreground becomes none, and
// the first program owns the console; Ctrl-C must not end the shell). Returns true when the
// console moved. Under the table lock, which orders every hand-over of the console.
bool leave_locked(Program& p) REQUIRES(g_table_lock) {
  bool console_moved = false;
  u32 group = tty::foreground();
  if (group != 0) {
    // The programs of a group are children of one parent: all of them answer to `p`, or none.
    Program* other = living_member_locked(group);
    if (other == nullptr ? p.group == group : answers_to_locked(*other, p.pid)) {
      u32 heir_group = 0;
      if (p.group != 0 && p.group != group && living_member_locked(p.group) != nullptr) {
        heir_group = p.group;
      } else if (Program* heir = find_locked(p.up)) {
        heir_group = heir->group;
      }
      (void)tty::exchange_foreground(heir_group);
      console_moved = true;
    }
  }
  for (Program* q : g_table.programs) {
    if (q == &p) continue;
    if (q->up == p.pid) q->up = p.up;
    if (q->parent == p.pid) q->orphan = true;
  }
  return console_moved;
}

async::Task<void> program_task(Program* p) {
  Status ran = co_await load(*p);
  if (ran.is_ok()) ran = co_await execute(*p);
  if (ran.is_error()) fail(*p, ran.error());
  teardown(*p);
  LOG_DEBUG("program {} ({}) ended: {} {}", p->pid, p->name, static_cast<u32>(p->exit.end),
            p->exit.code);
  p->state.store(static_cast<u8>(State::Ended));
  p->ended.store(1);
  g_ended.fetch_add(1);
  // Children of this program that ended are reaped now; the others reap themselves at their end.
  support::Vector<Program*> ended_children;
  bool reap_self = false;
  bool console_moved = false;
  {
    // A spin lock in a coroutine: this block has no co_await (nothing checks that).
    support::LockGuard guard(g_table_lock);
    console_moved = leave_locked(*p);
    for (Program* q : g_table.programs) {
      if (q->parent != p->pid || q == p) continue;
      if (q->ended.load() != 0 && !q->reaped) {
        q->reaped = true;
        if (ended_children.try_push(q).is_error()) q->reaped = false;  // stays listed
      }
    }
    if (p->orphan && !p->reaped) {
      p->reaped = true;
      reap_self = true;
    }
  }
  for (Program* q : ended_children) reap(q);
  // The console's new owner may be waiting for input that is already there.
  if (console_moved) ring_console_readers();
  p->ended_queue.notify_all();
  if (Program* parent = acquire(p->parent)) {
    parent->ring();
    release(parent);
  }
  if (reap_self) reap(p);
  release(p);
}

// Removes `p` from the table (it was waited for) and drops the table's reference.
void reap(Program* p) {
  {
    support::LockGuard guard(g_table_lock);
    for (usize i = 0; i < g_table.programs.size(); ++i) {
      if (g_table.programs[i] != p) continue;
      for (usize j = i + 1; j < g_table.programs.size(); ++j) {
        g_table.programs[j - 1] = g_table.programs[j];
      }
      g_table.programs.shrink_to(g_table.programs.size() - 1);
      break;
    }
    --g_table.live;
  }
  release(p);
}

// A boot argument's number (`key=N`), or `fallback` when absent or not a number; 0 only when
// `zero` allows it.
enum class Zero : u8 { Refused, Allowed };
u32 parse_limit(const char* key, u32 fallback, Zero zero = Zero::Refused) {
  auto value = boot_args::get(key);
  if (!value || value->size() == 0) return fallback;
  u64 n = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return fallback;
    n = n * 10 + static_cast<u64>(c - '0');
    if (n > 0xffffffffu) return fallback;
  }
  return n == 0 && zero == Zero::Refused ? fallback : static_cast<u32>(n);
}

}  // namespace

void Program::ring() {
  async::Waker waker = bell.with([](Doorbell& door) {
    door.rung = true;
    return support::move(door.waker);
  });
  waker.wake();
}

bool slice_over(const Program& program) {
  return killed(program) || ktime::now_ns() >= program.slice_end_ns;
}

void release(Program* program) {
  if (program->refs.fetch_sub(1) != 1) return;
  u64 overhead = program->overhead;
  delete program;
  pool::uncharge(overhead);
}

Program* acquire(u32 pid) {
  if (pid == 0) return nullptr;
  support::LockGuard guard(g_table_lock);
  for (Program* p : g_table.programs) {
    if (p->pid == pid) {
      p->refs.fetch_add(1);
      return p;
    }
  }
  return nullptr;
}

const char* spawn_error_name(SpawnError error) {
  switch (error) {
    case SpawnError::NotFound: return "no such file";
    case SpawnError::BadDescriptor: return "bad descriptor";
    case SpawnError::Invalid: return "invalid argument";
    case SpawnError::NoMemory: return "out of memory";
    case SpawnError::TooMany: return "too many programs";
    case SpawnError::NotOwner: return "the console belongs to another program";
  }
  return "?";
}

const Limits& limits() { return g_limits; }

support::Result<support::Vector<u8>> bytes_of(StringView text) {
  support::Vector<u8> bytes;
  TRY(bytes.try_resize(text.size()));
  for (usize i = 0; i < text.size(); ++i) bytes[i] = static_cast<u8>(text[i]);
  return bytes;
}

u32 first_program() { return g_first_program.load(); }

ConsoleOwner console_owner() { return {tty::foreground()}; }

bool ConsoleOwner::operator==(u32 pid) const {
  support::LockGuard guard(g_table_lock);
  return owns_console_locked(pid, group);
}

bool console_readable_by(u32 pid) { return pid == console_owner() && tty::readable(); }

void set_root(fs::FileSystem& root) { g_root = &root; }

void read_limits() {
  constexpr u64 kMiB = 1 << 20, kKiB = 1 << 10;
  Limits& l = g_limits;
  l.memory_pages = parse_limit("program.pages", l.memory_pages);
  if (l.memory_pages > wasm::kMaxMemoryPages) l.memory_pages = wasm::kMaxMemoryPages;
  l.memory_bytes = parse_limit("program.memory", static_cast<u32>(l.memory_bytes / kMiB)) * kMiB;
  l.stack_bytes = parse_limit("program.stack", static_cast<u32>(l.stack_bytes / kKiB)) * kKiB;
  l.call_depth = parse_limit("program.depth", l.call_depth);
  l.open_files = parse_limit("program.files", l.open_files);
  l.children = parse_limit("program.children", l.children);
  l.unreaped = parse_limit("program.unreaped", l.unreaped);
  l.max_programs = parse_limit("program.max", l.max_programs, Zero::Allowed);
  l.reserve_bytes =
      parse_limit("program.reserve", static_cast<u32>(l.reserve_bytes / kMiB), Zero::Allowed) *
      kMiB;
  l.cache_bytes =
      parse_limit("program.cache", static_cast<u32>(l.cache_bytes / kMiB), Zero::Allowed) * kMiB;
  u32 pipe_kib = parse_limit("program.pipe", l.pipe_bytes / kKiB);
  l.pipe_bytes = support::max(4u, support::min(pipe_kib, ipc::kMaxPipeCapacity / 1024u)) * 1024;
}

fs::FileSystem& root() { return *g_root; }

support::Result<u32, SpawnError> spawn(SpawnRequest& request) {
  if (request.argv.size() == 0 || request.path.size() == 0) return SpawnError::Invalid;
  if (!file_exists(request.path, request.cwd)) return SpawnError::NotFound;
  WasiState* parent_wasi = nullptr;
  Program* parent = acquire(request.parent);
  if (request.parent != 0 && parent == nullptr) return SpawnError::Invalid;
  // The shell's tools may use part of the reserve; their own children none. The record, its task
  // and WASI state, and the arguments it keeps until loaded are charged from here on.
  Reserve reserve = request.reserve;
  if (parent != nullptr) reserve = parent->reserve == Reserve::All ? Reserve::Tools : Reserve::None;
  u64 overhead = kProgramOverhead + wasm::allocation_cost(request.path.size()) +
                 wasm::allocation_cost(request.cwd.size());
  auto strings_cost = [](const support::Vector<support::Vector<u8>>& strings) {
    u64 cost = wasm::allocation_cost(strings.size() * sizeof(support::Vector<u8>));
    for (const support::Vector<u8>& s : strings) cost += wasm::allocation_cost(s.size());
    return cost;
  };
  overhead += strings_cost(request.argv) + strings_cost(request.env);
  if (!pool::charge(overhead, reserve, overhead)) {
    if (parent != nullptr) release(parent);
    return SpawnError::NoMemory;
  }
  if (parent != nullptr) parent_wasi = parent->wasi;
  auto wasi = wasi_create(request, parent_wasi);
  if (parent != nullptr) release(parent);
  if (wasi.is_error()) {
    pool::uncharge(overhead);
    return wasi.error();
  }

  auto* p = new (std::nothrow) Program;
  if (p == nullptr) {
    wasi_destroy(wasi.value());
    pool::uncharge(overhead);
    return SpawnError::NoMemory;
  }
  // From here on the record carries the overhead's charge; release() gives it back.
  p->overhead = overhead;
  p->memory_bytes.store(overhead);
  p->reserve = reserve;
  p->wasi = wasi.value();
  wasi_attach(p->wasi, p);
  p->parent = request.parent;
  p->argv = support::move(request.argv);
  p->env = support::move(request.env);
  copy_name(p->name, sizeof p->name, p->argv[0].span());
  auto path = bytes_of(request.path);
  auto cwd = bytes_of(request.cwd);
  if (path.is_error() || cwd.is_error()) {
    wasi_destroy(p->wasi);
    p->refs.store(1);
    release(p);
    return SpawnError::NoMemory;
  }
  p->path = support::move(path.value());
  p->cwd = support::move(cwd.value());
  {
    support::LockGuard guard(g_table_lock);
    Program* parent = find_locked(request.parent);
    // Checked and done under the table lock, which orders every hand-over of the console.
    auto group = child_group_locked(request, parent);
    bool not_owner = group.is_error();
    // Children not yet waited for: running, and ended (their records stay until reaped).
    u32 running = 0, unreaped = 0;
    if (request.parent != 0) {
      for (Program* q : g_table.programs) {
        if (q->parent != request.parent || q->reaped) continue;
        if (q->ended.load() != 0) {
          ++unreaped;
        } else {
          ++running;
        }
      }
    }
    bool full =
        (g_limits.max_programs != 0 && g_table.live >= g_limits.max_programs) ||
        (request.parent != 0 && (running >= g_limits.children || unreaped >= g_limits.unreaped));
    if (not_owner || full || g_table.programs.try_push(p).is_error()) {
      wasi_destroy(p->wasi);
      p->refs.store(1);
      release(p);
      return not_owner ? SpawnError::NotOwner : full ? SpawnError::TooMany : SpawnError::NoMemory;
    }
    if (request.parent != 0) {
      // A parent that has ended (the kernel may name one) hands its children on, as at its end.
      p->orphan = parent == nullptr;
      if (parent != nullptr) p->up = parent->ended.load() == 0 ? parent->pid : parent->up;
    }
    p->pid = g_table.next_pid++;
    ++g_table.live;
    p->group = group.value();
    if (p->group == kNewGroup) {
      p->group = p->pid;
      if (parent != nullptr) parent->made_group = p->group;
      (void)tty::exchange_foreground(p->group);
    }
  }
  u32 pid = p->pid;
  if (request.parent == 0) {
    u32 none = 0;
    (void)g_first_program.compare_exchange(none, pid);
  }
  auto spawned = sched::executor().try_spawn(program_task(p));
  if (spawned.is_error()) {
    // Ends at once, as a program that could not start; its waiter learns why.
    fail(*p, failure("no memory for the program's task"));
    wasi_destroy(p->wasi);
    p->wasi = nullptr;
    p->state.store(static_cast<u8>(State::Ended));
    p->ended.store(1);
    g_ended.fetch_add(1);
    bool console_moved;
    {
      support::LockGuard guard(g_table_lock);
      console_moved = leave_locked(*p);
    }
    if (console_moved) ring_console_readers();
    release(p);  // the task's reference
  } else {
    spawned.value().detach();
  }
  g_spawned.fetch_add(1);
  return pid;
}

async::Task<support::Result<Exit, SpawnError>> wait(u32 pid, u32 waiter) {
  Program* p = acquire(pid);
  if (p == nullptr) co_return SpawnError::NotFound;
  if (waiter != 0 && p->parent != waiter) {
    release(p);
    co_return SpawnError::NotFound;
  }
  co_await p->ended_queue.wait_until([p] { return p->ended.load() != 0; });
  bool first = false;
  {
    // A spin lock in a coroutine: this block has no co_await (nothing checks that).
    support::LockGuard guard(g_table_lock);
    first = !p->reaped;
    p->reaped = true;
  }
  Exit exit = p->exit;
  if (first) reap(p);
  release(p);
  if (!first) co_return SpawnError::NotFound;
  co_return exit;
}

TakeExit take_exit(u32 pid, u32 waiter, Exit& out) {
  Program* p = acquire(pid);
  if (p == nullptr) return TakeExit::NoSuchChild;
  TakeExit result = TakeExit::NotYet;
  {
    support::LockGuard guard(g_table_lock);
    if (p->parent != waiter || p->reaped) {
      result = TakeExit::NoSuchChild;
    } else if (p->ended.load() != 0) {
      p->reaped = true;
      out = p->exit;
      result = TakeExit::Taken;
    }
  }
  if (result == TakeExit::Taken) reap(p);
  release(p);
  return result;
}

bool kill(u32 pid, EndBy by) {
  Program* p = acquire(pid);
  if (p == nullptr) return false;
  bool live = p->ended.load() == 0;
  if (live) ask_to_end(*p, by);
  release(p);
  return live;
}

void interrupt_group(u32 group) {
  support::LockGuard guard(g_table_lock);
  for (Program* p : g_table.programs) {
    if (p->group == group && p->ended.load() == 0) ask_to_end(*p, EndBy::Interrupt);
  }
}

support::Result<void, KillError> kill_as(u32 caller, u32 pid) {
  Program* p = acquire(pid);
  if (p == nullptr) return KillError::NoSuchProgram;
  bool descendant;
  {
    support::LockGuard guard(g_table_lock);
    descendant = answers_to_locked(*p, caller);
  }
  bool ended = p->ended.load() != 0;
  release(p);
  if (ended) return KillError::NoSuchProgram;
  if (!descendant) return KillError::NotPermitted;
  if (!kill(pid, EndBy::Kill)) return KillError::NoSuchProgram;
  return {};
}

usize list(Info* out, usize max) {
  support::LockGuard guard(g_table_lock);
  usize n = 0;
  for (Program* p : g_table.programs) {
    if (n < max) out[n] = info_of(*p);
    ++n;
  }
  return n;
}

support::Optional<Info> info(u32 pid) {
  Program* p = acquire(pid);
  if (p == nullptr) return {};
  Info info = info_of(*p);
  release(p);
  return info;
}

Stats stats() {
  Stats s;
  s.memory_used = pool::used();
  s.memory_limit = pool::limit();
  s.reserve = pool::reserve();
  s.cached_bytes = cache_bytes();
  s.spawned = g_spawned.load();
  s.ended = g_ended.load();
  {
    support::LockGuard guard(g_table_lock);
    s.running = 0;
    for (Program* p : g_table.programs) s.running += p->ended.load() == 0 ? 1 : 0;
  }
  s.slices = g_slices.load();
  s.preempted = g_preempted.load();
  s.cached_modules = cache_size();
  s.cache_hits = cache_hits();
  for (u32 i = 0; i < arch::kMaxCpus; ++i) s.slices_on_hart[i] = g_slices_on_hart[i].load();
  return s;
}

void ring_console_readers() {
  support::LockGuard guard(g_table_lock);
  for (Program* p : g_table.programs) {
    // What it waits for is written before its state becomes Waiting.
    if (p->state.load() == static_cast<u8>(State::Waiting) && p->wait_for() == WaitFor::Console) {
      p->ring();
    }
  }
}

void drop_module_cache() { cache_drop_unused(); }

}  // namespace programs

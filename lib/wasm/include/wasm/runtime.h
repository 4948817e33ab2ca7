// The embedding API, shaped like the specification's: a Store owns every function, table, memory
// and global instance; instantiate() makes an Instance of a compiled Module against resolved
// imports; an Execution runs a function on its own value and call stacks for a budget of fuel and
// stops as a value (done, trap, out of fuel, interrupted, host call pending, exit).
//
// Nothing here blocks, and nothing keeps thread-local or per-CPU state: an Execution may be run
// for one slice on one thread and resumed on another.
#pragma once

#include <support/string_view.h>
#include <wasm/module.h>

namespace wasm {

class Store;
struct Instance;
struct FuncInst;
class Execution;

// Reserves and commits linear memory; the embedder implements it (host: mmap; kernel: regions).
// A memory's base never moves: reserve() is asked once for the largest size the memory may reach.
class MemoryProvider {
 public:
  // Returns the base of `max_bytes` of address space, the first `initial_bytes` of it committed
  // and zeroed; nullptr on failure.
  virtual u8* reserve(u64 initial_bytes, u64 max_bytes) = 0;
  // Commits [old_bytes, new_bytes) zeroed; false on failure.
  virtual bool commit(u8* base, u64 old_bytes, u64 new_bytes) = 0;
  virtual void release(u8* base, u64 max_bytes) = 0;

 protected:
  ~MemoryProvider() = default;
};

// Told of every byte a store charges (see StoreConfig::max_bytes), after the store's own limit
// allowed it; the embedder implements it to keep limits across stores (the kernel: memory that
// all programs together may hold, and a reserve). Called from the thread running the store.
class MemoryAccount {
 public:
  // False refuses the charge (the allocation then fails as over the limit).
  virtual bool charge(u64 bytes) = 0;
  virtual void uncharge(u64 bytes) = 0;

 protected:
  ~MemoryAccount() = default;
};

enum class HostStatus : u8 { Ok, Trap, Exit, Pending };

// What a host function sees. It must not keep pointers into guest memory past its return.
struct HostCall {
  Execution* execution;
  FuncInst* func;
  Span<const u64> args;  // untyped slots: i32 in the low half, floats as bits, refs as words
  Span<u64> results;     // write the results here (for Pending: at complete_host_call)
  u32 exit_code = 0;     // for HostStatus::Exit
};

using HostFunction = HostStatus (*)(void* env, HostCall& call);

struct FuncInst {
  u32 type_id = 0;  // canonical in the store: equal ids mean equal function types
  const FuncType* type = nullptr;
  Instance* instance = nullptr;  // null for host functions
  const Function* code = nullptr;
  HostFunction host = nullptr;
  void* host_env = nullptr;
  u32 index = 0;  // function index in its module
};

struct Memory {
  u8* base = nullptr;
  u64 size = 0;            // bytes
  u64 max_pages = 0;       // the type's maximum (or 65536; 2^48 with i64 addresses)
  u64 reserved_pages = 0;  // what the base was reserved for (embedder limit)
  MemoryType type;
};

struct Table {
  Vector<u64> elems;
  u64 max = 0xffffffff;
  u64 charged = 0;  // bytes charged for `elems` (its capacity)
  TableType type;
};

struct Global {
  u64 value = 0;
  u64 hi = 0;  // a v128 global's bytes 8..15 (`value` has bytes 0..7)
  GlobalType type;
};

struct Extern {
  ExternKind kind = ExternKind::Func;
  void* ptr = nullptr;  // FuncInst*, Table*, Memory*, Global*

  static Extern func(FuncInst* f) { return {ExternKind::Func, f}; }
  static Extern table(Table* t) { return {ExternKind::Table, t}; }
  static Extern memory(Memory* m) { return {ExternKind::Memory, m}; }
  static Extern global(Global* g) { return {ExternKind::Global, g}; }
};

struct Instance {
  const Module* module = nullptr;
  Vector<FuncInst*> funcs;
  Vector<Table*> tables;
  Vector<Memory*> memories;
  Memory* memory = nullptr;  // memories[0], or null
  Vector<Global*> globals;
  Vector<u32> type_ids;       // canonical id of each module type
  Vector<Vector<u64>> elems;  // element segments (emptied by elem.drop)
  Vector<u8> data_dropped;

  // The export called `name`, or Extern with ptr == nullptr.
  Extern find_export(support::StringView name) const;
};

enum class RunStatus : u8 { Done, Trap, OutOfFuel, Interrupted, HostPending, Exit };
const char* run_status_name(RunStatus status);

struct StoreConfig {
  u64 max_memory_pages = kMaxMemoryPages;  // the embedder's limit for any memory
  // Bytes the store may hold: committed linear memory, table elements, function, global and
  // instance records, element segments, and the value and call stacks of its executions (each
  // at allocation_cost of what it allocates). Over it memory.grow and table.grow return -1,
  // instantiation fails with Kind::Limit, and a call that needs more stack traps with
  // StackExhausted. ~0: no limit.
  u64 max_bytes = ~u64{0};
  MemoryAccount* account = nullptr;  // told of every charge; may refuse (null: nobody)
  u32 max_call_depth = 10000;
  u64 max_stack_slots = 1u << 22;  // 32 MiB of value stack per execution
  u32 initial_stack_slots = 4096;
};

// Why instantiation failed.
struct InstantiateError {
  // Limit: over StoreConfig::max_bytes (or refused by the account), or a table larger than
  // kMaxTableSize, or a memory larger than max_memory_pages.
  enum class Kind : u8 { Unlinkable, Trap, NoMemory, Limit } kind = Kind::Unlinkable;
  TrapKind trap = TrapKind::None;
  const char* message = "";
};

class Store {
 public:
  Store(MemoryProvider& memory, StoreConfig config = {}) : provider_(memory), config_(config) {}
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const StoreConfig& config() const { return config_; }

  // Charges `bytes` against max_bytes and the account; false (nothing charged) when over the
  // limit or refused. uncharge() gives bytes back. The store's own allocations do this; the
  // embedder may charge what it allocates for the store's sake.
  bool charge(u64 bytes);
  void uncharge(u64 bytes);
  // Bytes charged now (readable from any thread).
  u64 charged() const { return __atomic_load_n(&charged_, __ATOMIC_RELAXED); }

  // Canonical id for a function type (equal types, equal ids).
  Result<u32> intern_type(const FuncType& type);

  Result<FuncInst*> create_host_function(const FuncType& type, HostFunction fn, void* env);
  // Error::OutOfRange: over a limit (max_bytes, the account, kMaxTableSize, max_memory_pages);
  // Error::NoMemory: the allocation failed.
  Result<Memory*> create_memory(MemoryType type);
  Result<Table*> create_table(TableType type, u64 init);
  Result<Global*> create_global(GlobalType type, u64 value, u64 hi = 0);  // hi: a v128's high half

  // Instantiates `module` with `imports` (one per module import, in order). Element and data
  // segments are applied in order; a trap in them leaves the earlier writes, as the specification
  // says. The start function is not run here: call start_function() and run it with a budget.
  Result<Instance*, InstantiateError> instantiate(const Module& module, Span<const Extern> imports);
  // The instance's start function, or nullptr.
  FuncInst* start_function(Instance* instance) const;

  // memory.grow semantics: the old size in pages, or -1.
  i64 grow_memory(Memory* memory, u64 delta_pages);
  // table.grow semantics: the old size, or -1.
  i64 grow_table(Table* table, u64 delta, u64 init);

  MemoryProvider& provider() { return provider_; }

 private:
  MemoryProvider& provider_;
  StoreConfig config_;
  u64 charged_ = 0;  // written by the store's thread, read atomically by any
  Vector<FuncType*> types_;
  Vector<FuncInst*> funcs_;
  Vector<Memory*> memories_;
  Vector<Table*> tables_;
  Vector<Global*> globals_;
  Vector<Instance*> instances_;
};

// Saved call frame: everything is an offset or an immutable code pointer, so the value stack may
// move (grow) and a stopped execution could be saved.
struct Frame {
  const u64* ret_ip;
  u32 fp_offset;  // in slots from the stack base
  Instance* instance;
#if WARDEN_WASM_CHECKED
  const FuncInst* func;  // the caller (its result types are checked at its return)
#endif
};

// One call of a function, possibly stopped and resumed many times.
class Execution {
 public:
  explicit Execution(Store& store) : store_(store) {}
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Prepares a call of `func` with `args`, one slot per argument and two for a v128 (its low then
  // its high 8 bytes; slot_count in types.h). Types are the caller's responsibility (see
  // Store::check_args in tools). Error::NoMemory if the stacks cannot be allocated.
  Result<void> start(FuncInst* func, Span<const u64> args);
  // Runs for at most about `fuel` units (a unit is a call or a loop iteration, plus one per 64
  // bytes or elements of bulk operations). Returns how it stopped; call again to continue after
  // OutOfFuel, Interrupted or (after complete_host_call) HostPending.
  RunStatus run(i64 fuel);
  // Asks a running execution to stop at its next check (safe from another thread).
  void interrupt() { __atomic_store_n(&interrupt_, 1u, __ATOMIC_RELAXED); }
  // Forgets an interrupt that arrived after run() returned.
  void clear_interrupt() { __atomic_store_n(&interrupt_, 0u, __ATOMIC_RELAXED); }

  // After Done: the results, in slots like the arguments (a v128 takes two).
  Span<const u64> results() const { return Span<const u64>(stack_, result_count_); }
  // After Trap: what and where.
  TrapKind trap() const { return trap_; }
  const FuncInst* trap_function() const;
  bool trap_location(u32* func_index, u32* wasm_offset) const;
  // After Trap (or while stopped): the wasm call stack, innermost first, into `out`; returns the
  // number of frames written (at most out.size()). Frames of host functions are not included.
  struct BacktraceFrame {
    const Instance* instance;
    u32 func_index;
    u32 wasm_offset;
  };
  u32 backtrace(Span<BacktraceFrame> out) const;
  u32 exit_code() const { return exit_code_; }
  RunStatus status() const { return status_; }
  // After HostPending: the call waiting to complete; write its results, then complete.
  HostCall& pending_call() { return pending_; }
  void complete_host_call(HostStatus status);
  i64 fuel_left() const { return fuel_; }

  // Internal state used by the interpreter (public for the handler functions).
  Store& store_;
  u64* stack_ = nullptr;
  u64 stack_slots_ = 0;
  Frame* frames_ = nullptr;
  u32 frame_count_ = 0;
  u32 frame_capacity_ = 0;
  i64 fuel_ = 0;
  u32 interrupt_ = 0;
  Instance* instance_ = nullptr;
  const u64* ip_ = nullptr;
  u32 fp_offset_ = 0;
  const u64* trap_ip_ = nullptr;
  const Module* trap_module_ = nullptr;
  FuncInst* entry_ = nullptr;
  TrapKind trap_ = TrapKind::None;
  RunStatus status_ = RunStatus::Done;
  u32 result_count_ = 0;
  u32 exit_code_ = 0;
  HostCall pending_{};
  bool pending_active_ = false;
  u64* pending_fp_ = nullptr;
  // A bulk instruction (memory.fill/copy/init, table.fill/copy/init/grow) stopped between
  // chunks: the instruction, and how many bytes or elements of it are done.
  const u64* bulk_ip_ = nullptr;
  u64 bulk_done_ = 0;
#if WARDEN_WASM_CHECKED
  // Checked builds: the type (a ValType, 0 for a slot not written in its frame) of every value
  // stack slot, beside stack_; and the function running.
  u8* types_ = nullptr;
  const FuncInst* func_ = nullptr;
#endif

  // Makes room for `slots` slots above `fp_offset`; false when a limit is reached
  // (max_stack_slots, or the store's max_bytes: the stacks are charged to the store).
  bool ensure_stack(u64 fp_offset, u64 slots);
  static constexpr u64 stack_cost(u64 slots) { return allocation_cost(slots * sizeof(u64)); }
  static constexpr u64 frames_cost(u64 frames) { return allocation_cost(frames * sizeof(Frame)); }
};

}  // namespace wasm

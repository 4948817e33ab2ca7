// The interpreter: one handler per internal operation, all with the same signature, each ending
// in a tail call of the next handler ([[clang::musttail]]), so a run() uses constant C stack
// whatever the guest does. Guest calls push a Frame on the execution's own call stack; frames
// overlap (a callee's frame starts at its first argument in the caller's frame).
//
// Every memory access handler is in this file (the LOAD/STORE macros and the bulk operations), so
// that a later page-fault-to-trap fixup can find them.
#include <support/format.h>
#include <support/new.h>
#include <wasm/runtime.h>

#include "code.h"
#include "numerics.h"
#include "simd.h"

namespace wasm {

namespace {

using HandlerFn = RunStatus (*)(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize);

// The handler of operation X is Handler<Op::X>::run. In its body `op` is the operation, and it
// reads its operands through the accessors below (U32(2), SET32(1, v), IMM(2), FRAME_AT(2)),
// each checked by static_assert against the operation's signature in code.h: the word it reads
// must be a slot the operation reads, a slot it writes, or a word that is not a slot. So a
// handler cannot read its operands in another layout than the one the translator is checked
// against when it emits them. NEXT_INSTRUCTION() steps over the instruction (kLength words).
template <Op kOp> struct Handler {
  static constexpr Op op = kOp;
  static constexpr u32 kLength = op_length(kOp);  // words up to the variable part
  static RunStatus run(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize);
#if WARDEN_WASM_CHECKED
  static RunStatus body(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize);
#endif
};

#if WARDEN_WASM_CHECKED
void check_operands(Op op, const u64* ip, u64* fp, Execution* ex);
// Checked builds: every handler checks its operands against its signature (code.h) first, then
// runs its body (a tail call, so the C stack stays constant).
#define HANDLER(name)                                                                           \
  template <>                                                                                   \
  RunStatus Handler<Op::name>::body(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize); \
  template <>                                                                                   \
  RunStatus Handler<Op::name>::run(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize) { \
    check_operands(op, ip, fp, ex);                                                             \
    [[clang::musttail]] return body(ip, fp, ex, mem, msize);                                    \
  }                                                                                             \
  template <>                                                                                   \
  RunStatus Handler<Op::name>::body(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize)
#else
#define HANDLER(name) \
  template <>         \
  RunStatus Handler<Op::name>::run(const u64* ip, u64* fp, Execution* ex, u8* mem, u64 msize)
#endif
#define DISPATCH() \
  [[clang::musttail]] return reinterpret_cast<HandlerFn>(ip[0])(ip, fp, ex, mem, msize)
#define NEXT(n) \
  do {          \
    ip += (n);  \
    DISPATCH(); \
  } while (0)
#define NEXT_INSTRUCTION() NEXT(kLength)

// Operand word `i` of the instruction at ip, which op's signature must say is of kind `kind`.
template <Op op, u32 i, Operand kind> inline u64 operand_word(const u64* ip) {
  static_assert(operand(op, i) == kind,
                "the handler reads an operand word that its signature in code.h says is another");
  return ip[i];
}
#define SLOT_READ(i) (reinterpret_cast<u8*>(fp) + operand_word<op, i, Operand::Read>(ip))
#define SLOT_WRITTEN(i) (reinterpret_cast<u8*>(fp) + operand_word<op, i, Operand::Written>(ip))
#define IMM(i) operand_word<op, i, Operand::Word>(ip)
// A frame position carried in a word that is not a slot operand: where a call's arguments or a
// return's values start (their number is not in the signature).
#define FRAME_AT(i) reinterpret_cast<u64*>(reinterpret_cast<u8*>(fp) + IMM(i))

template <typename T> inline T load(const u8* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T> inline void store(u8* p, T v) { __builtin_memcpy(p, &v, sizeof(T)); }
// Frame slots are 8-byte aligned (guest memory is not): say so, or a target without fast
// misaligned access (riscv64 rv64gc) reads slots byte by byte.
template <typename T> inline T slot_load(const u8* p) {
  return load<T>(static_cast<const u8*>(__builtin_assume_aligned(p, 8)));
}
template <typename T> inline void slot_store(u8* p, T v) {
  store<T>(static_cast<u8*>(__builtin_assume_aligned(p, 8)), v);
}

#define U32(i) slot_load<u32>(SLOT_READ(i))
#define I32(i) slot_load<i32>(SLOT_READ(i))
#define U64(i) slot_load<u64>(SLOT_READ(i))
#define I64(i) slot_load<i64>(SLOT_READ(i))
#define F32(i) num::f32(slot_load<u32>(SLOT_READ(i)))
#define F64(i) num::f64(slot_load<u64>(SLOT_READ(i)))
#define SET32(i, v) slot_store<u64>(SLOT_WRITTEN(i), static_cast<u64>(static_cast<u32>(v)))
#define SET64(i, v) slot_store<u64>(SLOT_WRITTEN(i), static_cast<u64>(v))
#define SETF32(i, v) SET32(i, num::bits(static_cast<float>(v)))
#define SETF64(i, v) SET64(i, num::bits(static_cast<double>(v)))

// A v128 operand: two slots from the operand word's offset; the signature letter must be v or V.
template <Op op, u32 i, char letter> inline u64 v128_word(const u64* ip) {
  static_assert(i >= 1 && i <= operand_count(op) && signature_of(op)[i - 1] == letter,
                "the handler reads a v128 operand word that its signature in code.h says is not");
  return ip[i];
}
// A v128 result is stored from a vector register on the x86-64 host: the next operation reads
// the slot with one 16-byte load, and a store of the two halves from general registers (what
// the compiler picks for a value built there: a splat of an i64, v128.load64_zero, a shuffle)
// cannot be forwarded to it (the load waits until the stores reach the cache). The empty asm
// only says that the value is in an SSE register; other targets store it as it is.
inline simd::V128 in_vector_register(simd::V128 v) {
#if defined(__x86_64__)
  auto x = __builtin_bit_cast(simd::u64x2, v);
  __asm__("" : "+x"(x));
  return __builtin_bit_cast(simd::V128, x);
#else
  return v;
#endif
}
#define VEC(i) slot_load<simd::V128>(reinterpret_cast<u8*>(fp) + v128_word<op, i, 'v'>(ip))
#define SETVEC(i, v)                                                            \
  slot_store<simd::V128>(reinterpret_cast<u8*>(fp) + v128_word<op, i, 'V'>(ip), \
                         in_vector_register(v))

[[gnu::noinline]] RunStatus do_trap(Execution* ex, const u64* ip, u64* fp, TrapKind kind) {
  ex->trap_ = kind;
  ex->trap_ip_ = ip;
  ex->ip_ = ip;
  ex->fp_offset_ = static_cast<u32>(fp - ex->stack_);
  ex->status_ = RunStatus::Trap;
  return RunStatus::Trap;
}
#define TRAP(kind) return do_trap(ex, ip, fp, TrapKind::kind)

// Stops before the instruction at ip (which runs again on resume).
[[gnu::noinline]] RunStatus suspend(Execution* ex, const u64* ip, u64* fp) {
  ex->ip_ = ip;
  ex->fp_offset_ = static_cast<u32>(fp - ex->stack_);
  if (__atomic_load_n(&ex->interrupt_, __ATOMIC_RELAXED)) {
    __atomic_store_n(&ex->interrupt_, 0u, __ATOMIC_RELAXED);
    ex->status_ = RunStatus::Interrupted;
    return RunStatus::Interrupted;
  }
  ex->status_ = RunStatus::OutOfFuel;
  return RunStatus::OutOfFuel;
}

inline bool must_stop(Execution* ex) {
  return __builtin_expect(ex->fuel_ <= 0, 0) ||
         __builtin_expect(__atomic_load_n(&ex->interrupt_, __ATOMIC_RELAXED) != 0, 0);
}

inline void load_memory(Execution* ex, u8*& mem, u64& msize) {
  Memory* m = ex->instance_->memory;
  if (m != nullptr) {
    mem = m->base;
    msize = m->size;
  } else {
    mem = nullptr;
    msize = 0;
  }
}

#if WARDEN_WASM_CHECKED
// ---------------------------------------------------------------- checked builds

u8* slot_types(Execution* ex, const u64* fp) { return ex->types_ + (fp - ex->stack_); }

// Whether a slot holding a `have` may be read as a `want`: the same type, or the other type of the
// same width, because a reinterpretation retypes a stack entry without code (a slot written as an
// f32 is read as an i32 after i32.reinterpret_f32). So what fails is a value of another width, a
// reference where a number belongs or the reverse, the other kind of reference, or a slot that
// was not written in its frame.
bool compatible(u8 have, ValType want) {
  auto h = static_cast<ValType>(have);
  if (h == want) return true;
  auto narrow = [](ValType t) { return t == ValType::I32 || t == ValType::F32; };
  auto wide = [](ValType t) { return t == ValType::I64 || t == ValType::F64; };
  return (narrow(h) && narrow(want)) || (wide(h) && wide(want));
}

const char* type_name(u8 t) {
  if (t == 0) return "nothing (a slot not written in this frame)";
  if (t == 0xff) return "a reference";
  return val_type_name(static_cast<ValType>(t));
}

// Ends the process with where and what: the function, the instruction (its position in the
// internal code and in the module), which operand, the type expected and the type found.
[[noreturn, gnu::cold, gnu::noinline]] void fail(Execution* ex, const u64* ip, const char* what,
                                                 u64 index, u64 slot, u8 want, u8 have) {
  char buffer[512];
  support::BufferSink sink(buffer, sizeof(buffer));
  const FuncInst* f = ex->func_;
  u32 func_index = f != nullptr ? f->index : 0, wasm_offset = 0;
  support::StringView name;
  u64 word = 0;
  if (f != nullptr && f->code != nullptr) {
    word = static_cast<u64>(ip - f->code->code.data());
    u32 located;
    if (f->instance->module->locate(ip, &located, &wasm_offset)) func_index = located;
    name = f->instance->module->function_name(func_index);
  }
  support::format(sink,
                  "wasm checked mode: type confusion in function {} `{}` at code word {} (wasm "
                  "offset {:#x}): {} {} {} (frame slot {}) expects {}, holds {}",
                  func_index, name, word, wasm_offset, op_name(word_op(ip[0])), what, index, slot,
                  type_name(want), type_name(have));
  checked_failed(buffer);
}

// The signature check every handler runs first: reads before writes, so that an operation whose
// result slot is also an operand sees the operand's type.
void check_operands(Op op, const u64* ip, u64* fp, Execution* ex) {
  // A bulk instruction resumed between chunks was checked when it started (and table.grow's
  // result slot, which may be its value's, already has the result's type).
  if (ex->bulk_ip_ == ip) return;
  const char* sig = op_signature(op);
  u8* types = slot_types(ex, fp);
  u8 type_word = 0;
  for (u32 k = 0; sig[k] != 0; ++k)
    if (sig[k] == 't') type_word = static_cast<u8>(ip[k + 1]);
  auto want_of = [&](char c) -> u8 {  // signature letters, either case (code.h)
    switch (c | 0x20) {
      case 'i': return static_cast<u8>(ValType::I32);
      case 'l': return static_cast<u8>(ValType::I64);
      case 'f': return static_cast<u8>(ValType::F32);
      case 'd': return static_cast<u8>(ValType::F64);
      case 'v': return static_cast<u8>(ValType::V128);
      case 'r': return static_cast<u8>(ValType::FuncRef);
      case 'e': return static_cast<u8>(ValType::ExternRef);
      case 's': return type_word;
      default: return 0;
    }
  };
  for (u32 k = 0; sig[k] != 0; ++k) {
    char c = sig[k];
    if (c == '-' || c == 't' || (c >= 'A' && c <= 'Z')) continue;
    u64 slot = ip[k + 1] / 8;
    u8 have = types[slot];
    if (c == 'a') {
      if (have != static_cast<u8>(ValType::FuncRef) && have != static_cast<u8>(ValType::ExternRef))
        fail(ex, ip, "operand", k + 1, slot, 0xff, have);
      continue;
    }
    u8 want = want_of(c);
    if (want == 0) fail(ex, ip, "operand (no type word for it)", k + 1, slot, want, have);
    if (!compatible(have, static_cast<ValType>(want)))
      fail(ex, ip, "operand", k + 1, slot, want, have);
    if (want == static_cast<u8>(ValType::V128) && types[slot + 1] != want)
      fail(ex, ip, "operand's second slot", k + 1, slot + 1, want, types[slot + 1]);
  }
  for (u32 k = 0; sig[k] != 0; ++k) {
    if (sig[k] < 'A' || sig[k] > 'Z') continue;
    u8 want = want_of(sig[k]);
    types[ip[k + 1] / 8] = want;
    if (want == static_cast<u8>(ValType::V128)) types[ip[k + 1] / 8 + 1] = want;  // both slots
  }
}

// Whether the slots at `types` hold a value of type `want` (a v128: both of its slots).
bool slots_compatible(const u8* types, ValType want) {
  if (!compatible(types[0], want)) return false;
  return want != ValType::V128 || types[1] == static_cast<u8>(ValType::V128);
}

// Types the slots at `to` as `results` (a v128 both of its slots).
void type_results(u8* to, Span<const ValType> results) {
  u32 slot = 0;
  for (ValType t : results)
    for (u32 k = 0; k < slot_count(t); ++k) to[slot++] = static_cast<u8>(t);
}

// A call's arguments against the callee's parameter types (before the call).
void check_arguments(Execution* ex, const u64* ip, const u64* fp, const FuncInst* f,
                     const u64* nfp) {
  const u8* types = slot_types(ex, nfp);
  Span<const ValType> params = f->type->params();
  u32 slot = 0;
  for (u32 k = 0; k < params.size(); slot += slot_count(params[k]), ++k)
    if (!slots_compatible(types + slot, params[k]))
      fail(ex, ip, "argument", k, static_cast<u64>(nfp - fp) + slot, static_cast<u8>(params[k]),
           types[slot]);
}

// A wasm function's frame at entry: its parameters and locals typed as declared, the rest of it
// (its operand slots) not written yet.
void enter_frame(Execution* ex, const FuncInst* f, const u64* nfp) {
  u8* types = slot_types(ex, nfp);
  const Function* code = f->code;
  for (u32 k = 0; k < code->local_count; ++k) types[k] = static_cast<u8>(code->local_types[k]);
  for (u32 k = code->local_count; k < code->frame_slots; ++k) types[k] = 0;
}

// `n` results at `src` against the running function's result types; they become the slots at fp.
void check_results(Execution* ex, const u64* ip, const u64* fp, u64 n, const u64* src) {
  const FuncInst* f = ex->func_;
  Span<const ValType> results = f->type->results();
  const u8* from = slot_types(ex, src);
  if (n != slot_count(results))
    fail(ex, ip, "result slots differ from the type's: count", n, 0, 0, 0);
  u32 slot = 0;
  for (u32 k = 0; k < results.size(); slot += slot_count(results[k]), ++k)
    if (!slots_compatible(from + slot, results[k]))
      fail(ex, ip, "result", k, static_cast<u64>(src - fp) + slot, static_cast<u8>(results[k]),
           from[slot]);
  type_results(slot_types(ex, fp), results);
}

// A host function's results (written at nfp) take its result types.
void type_host_results(Execution* ex, const FuncInst* f, const u64* nfp) {
  type_results(slot_types(ex, nfp), f->type->results());
}
#endif

// ---------------------------------------------------------------- control

HANDLER(Unreachable) { TRAP(Unreachable); }
HANDLER(Br) { NEXT(static_cast<i64>(IMM(1))); }
HANDLER(BrIfNez) {
  if (U32(1) != 0) NEXT(static_cast<i64>(IMM(2)));
  NEXT_INSTRUCTION();
}
HANDLER(BrIfEqz) {
  if (U32(1) == 0) NEXT(static_cast<i64>(IMM(2)));
  NEXT_INSTRUCTION();
}
// The targets follow the instruction: `n` of them and the default.
HANDLER(BrTable) {
  u32 i = U32(1);
  u64 n = IMM(2);
  if (i > n) i = static_cast<u32>(n);
  NEXT(static_cast<i64>(ip[kLength + i]));
}
HANDLER(Copy) {
  SET64(1, U64(2));
  NEXT_INSTRUCTION();
}
HANDLER(Const) {
  SET64(1, IMM(2));
  NEXT_INSTRUCTION();
}
HANDLER(Fuel) {
  if (must_stop(ex)) return suspend(ex, ip, fp);
  --ex->fuel_;
  NEXT_INSTRUCTION();
}
HANDLER(Select) {
  u64 v = U32(2) != 0 ? U64(3) : U64(4);
  SET64(1, v);
  NEXT_INSTRUCTION();
}

HANDLER(Return) {
  u64 n = IMM(1);
  const u64* src = FRAME_AT(2);
#if WARDEN_WASM_CHECKED
  check_results(ex, ip, fp, n, src);
#endif
  for (u64 i = 0; i < n; ++i) fp[i] = src[i];
  if (ex->frame_count_ == 0) {
    ex->result_count_ = static_cast<u32>(n);
    ex->ip_ = nullptr;
    ex->status_ = RunStatus::Done;
    return RunStatus::Done;
  }
  Frame& f = ex->frames_[--ex->frame_count_];
  ip = f.ret_ip;
  fp = ex->stack_ + f.fp_offset;
#if WARDEN_WASM_CHECKED
  ex->func_ = f.func;
#endif
  if (__builtin_expect(ex->instance_ != f.instance, 0)) {
    ex->instance_ = f.instance;
    load_memory(ex, mem, msize);
  } else if (ex->instance_->memory != nullptr) {
    msize = ex->instance_->memory->size;  // the callee may have grown it
  }
  DISPATCH();
}

// Slow path of a call: grows the call or value stack. Returns false when a limit is reached.
[[gnu::noinline]] bool grow_for_call(Execution* ex, u64*& fp, u64*& nfp, u64 slots) {
  u64 fp_off = static_cast<u64>(fp - ex->stack_);
  u64 nfp_off = static_cast<u64>(nfp - ex->stack_);
  if (ex->frame_count_ >= ex->store_.config().max_call_depth) return false;
  if (ex->frame_count_ == ex->frame_capacity_) {
    u32 cap = ex->frame_capacity_ < 64 ? 64 : ex->frame_capacity_ * 2;
    if (cap > ex->store_.config().max_call_depth) cap = ex->store_.config().max_call_depth;
    u64 cost = Execution::frames_cost(cap) - Execution::frames_cost(ex->frame_capacity_);
    if (!ex->store_.charge(cost)) return false;
    Frame* fresh = new (std::nothrow) Frame[cap];
    if (fresh == nullptr) {
      ex->store_.uncharge(cost);
      return false;
    }
    for (u32 i = 0; i < ex->frame_count_; ++i) fresh[i] = ex->frames_[i];
    delete[] ex->frames_;
    ex->frames_ = fresh;
    ex->frame_capacity_ = cap;
  }
  if (!ex->ensure_stack(nfp_off, slots)) return false;
  fp = ex->stack_ + fp_off;
  nfp = ex->stack_ + nfp_off;
  return true;
}

// Calls a host function whose arguments start at nfp. Returns Done to continue.
[[gnu::noinline]] RunStatus call_host(Execution* ex, FuncInst* f, const u64* ip, u64* fp,
                                      u64* nfp) {
  u32 np = slot_count(f->type->params()), nr = slot_count(f->type->results());
  u64 nfp_off = static_cast<u64>(nfp - ex->stack_);
  u64 fp_off = static_cast<u64>(fp - ex->stack_);
  if (!ex->ensure_stack(nfp_off, np + nr + 1)) return do_trap(ex, ip, fp, TrapKind::StackExhausted);
  nfp = ex->stack_ + nfp_off;
  fp = ex->stack_ + fp_off;
  HostCall& call = ex->pending_;
  call = HostCall{ex, f, Span<const u64>(nfp, np), Span<u64>(nfp + np, nr), 0};
  for (u32 i = 0; i < nr; ++i) nfp[np + i] = 0;
  HostStatus s = f->host(f->host_env, call);
  switch (s) {
    case HostStatus::Ok:
      for (u32 i = 0; i < nr; ++i) nfp[i] = nfp[np + i];
#if WARDEN_WASM_CHECKED
      type_host_results(ex, f, nfp);
#endif
      return RunStatus::Done;
    case HostStatus::Trap: return do_trap(ex, ip, fp, TrapKind::HostTrap);
    case HostStatus::Exit:
      ex->exit_code_ = call.exit_code;
      ex->ip_ = nullptr;
      ex->status_ = RunStatus::Exit;
      return RunStatus::Exit;
    case HostStatus::Pending:
      ex->pending_active_ = true;
      ex->pending_fp_ = nfp;
      ex->ip_ = ip;  // the instruction after the call
      ex->fp_offset_ = static_cast<u32>(fp_off);
      ex->status_ = RunStatus::HostPending;
      return RunStatus::HostPending;
  }
  return RunStatus::Done;
}

// Slow path of a tail call: grows the value stack for the callee's frame at fp (the call stack
// does not grow). Returns false when a limit is reached.
[[gnu::noinline]] bool grow_for_tail_call(Execution* ex, u64*& fp, u64*& nfp, u64 slots) {
  u64 fp_off = static_cast<u64>(fp - ex->stack_);
  u64 nfp_off = static_cast<u64>(nfp - ex->stack_);
  if (!ex->ensure_stack(fp_off, slots)) return false;
  fp = ex->stack_ + fp_off;
  nfp = ex->stack_ + nfp_off;
  return true;
}

#if WARDEN_WASM_CHECKED
#define CHECKED_CALL(f, nfp, self) check_arguments(ex, self, fp, f, nfp)
#define CHECKED_ENTER(fr, f, nfp) \
  do {                            \
    fr.func = ex->func_;          \
    ex->func_ = f;                \
    enter_frame(ex, f, nfp);      \
  } while (0)
#define CHECKED_TAIL_ENTER(f) \
  do {                        \
    ex->func_ = f;            \
    enter_frame(ex, f, fp);   \
  } while (0)
#else
#define CHECKED_CALL(f, nfp, self) ((void)0)
#define CHECKED_ENTER(fr, f, nfp) ((void)0)
#define CHECKED_TAIL_ENTER(f) ((void)0)
#endif

// A call of host function `f` (fuel charged) with its arguments at `nfp`; `next` is where the
// execution goes on when it completes.
#define DO_HOST_CALL(f, nfp, next)                       \
  do {                                                   \
    u64 fpo = static_cast<u64>(fp - ex->stack_);         \
    RunStatus s = call_host(ex, (f), (next), fp, (nfp)); \
    if (s != RunStatus::Done) return s;                  \
    fp = ex->stack_ + fpo;                               \
    load_memory(ex, mem, msize);                         \
    ip = (next);                                         \
    DISPATCH();                                          \
  } while (0)

// Shared by call and call_indirect: `f` is the callee, `nfp` its frame, `next` the return ip.
#define DO_CALL(f, nfp, next, self)                                                       \
  do {                                                                                    \
    if (must_stop(ex)) return suspend(ex, self, fp);                                      \
    CHECKED_CALL(f, nfp, self);                                                           \
    --ex->fuel_;                                                                          \
    const Function* code = (f)->code;                                                     \
    if (code != nullptr) {                                                                \
      if (__builtin_expect(ex->frame_count_ == ex->frame_capacity_ ||                     \
                               (nfp) + code->frame_slots > ex->stack_ + ex->stack_slots_, \
                           0)) {                                                          \
        if (!grow_for_call(ex, fp, nfp, code->frame_slots)) TRAP(StackExhausted);         \
      }                                                                                   \
      Frame& fr = ex->frames_[ex->frame_count_++];                                        \
      fr.ret_ip = (next);                                                                 \
      fr.fp_offset = static_cast<u32>(fp - ex->stack_);                                   \
      fr.instance = ex->instance_;                                                        \
      for (u32 k = code->param_slots; k < code->local_count; ++k) (nfp)[k] = 0;           \
      CHECKED_ENTER(fr, f, nfp);                                                          \
      if (ex->instance_ != (f)->instance) {                                               \
        ex->instance_ = (f)->instance;                                                    \
        load_memory(ex, mem, msize);                                                      \
      }                                                                                   \
      fp = (nfp);                                                                         \
      ip = code->code.data();                                                             \
      DISPATCH();                                                                         \
    }                                                                                     \
    DO_HOST_CALL(f, nfp, next);                                                           \
  } while (0)

// Shared by return_call and return_call_indirect: `f` is the callee, its arguments at `nfp` in
// this frame. A wasm callee's frame replaces this one: its arguments move to this frame's base
// (nfp is above it, so a forward copy), the call stack keeps the frame of this function's
// caller, to which the callee returns, and the value stack needs only the callee's frame at fp.
// So a loop of tail calls runs in constant stack. A host callee is called like a call's, its
// results left at nfp; the instruction after this one is a Return of them (compile.cc,
// emit_call), which continues the call when it completes at once and when it completes later
// (HostPending: the execution resumes there).
#define DO_TAIL_CALL(f, nfp, self)                                                     \
  do {                                                                                 \
    if (must_stop(ex)) return suspend(ex, self, fp);                                   \
    CHECKED_CALL(f, nfp, self);                                                        \
    --ex->fuel_;                                                                       \
    const Function* code = (f)->code;                                                  \
    if (code == nullptr) DO_HOST_CALL(f, nfp, self + kLength);                         \
    if (__builtin_expect(fp + code->frame_slots > ex->stack_ + ex->stack_slots_, 0)) { \
      if (!grow_for_tail_call(ex, fp, nfp, code->frame_slots)) TRAP(StackExhausted);   \
    }                                                                                  \
    u32 np = code->param_slots;                                                        \
    for (u32 k = 0; k < np; ++k) fp[k] = (nfp)[k];                                     \
    for (u32 k = np; k < code->local_count; ++k) fp[k] = 0;                            \
    CHECKED_TAIL_ENTER(f);                                                             \
    if (ex->instance_ != (f)->instance) {                                              \
      ex->instance_ = (f)->instance;                                                   \
      load_memory(ex, mem, msize);                                                     \
    }                                                                                  \
    ip = code->code.data();                                                            \
    DISPATCH();                                                                        \
  } while (0)

HANDLER(Call) {
  FuncInst* f = ex->instance_->funcs[IMM(1)];
  u64* nfp = FRAME_AT(2);
  const u64* self = ip;
  DO_CALL(f, nfp, self + kLength, self);
}

// An indirect call: element INDEX of table IMM(1), of the type IMM(2), called at FRAME_AT(4)
// by CALL (a call, or a tail call).
#define INDIRECT_CALL(name, INDEX, CALL)                                               \
  HANDLER(name) {                                                                      \
    Table* t = ex->instance_->tables[IMM(1)];                                          \
    u64 i = INDEX;                                                                     \
    if (i >= t->elems.size()) TRAP(UndefinedElement);                                  \
    FuncInst* f = reinterpret_cast<FuncInst*>(t->elems[i]);                            \
    if (f == nullptr) TRAP(UninitializedElement);                                      \
    if (f->type_id != ex->instance_->type_ids[IMM(2)]) TRAP(IndirectCallTypeMismatch); \
    u64* nfp = FRAME_AT(4);                                                            \
    const u64* self = ip;                                                              \
    CALL;                                                                              \
  }
INDIRECT_CALL(CallIndirect, U32(3), DO_CALL(f, nfp, self + kLength, self))
INDIRECT_CALL(CallIndirect64, U64(3), DO_CALL(f, nfp, self + kLength, self))

HANDLER(ReturnCall) {
  FuncInst* f = ex->instance_->funcs[IMM(1)];
  u64* nfp = FRAME_AT(2);
  const u64* self = ip;
  DO_TAIL_CALL(f, nfp, self);
}

INDIRECT_CALL(ReturnCallIndirect, U32(3), DO_TAIL_CALL(f, nfp, self))
INDIRECT_CALL(ReturnCallIndirect64, U64(3), DO_TAIL_CALL(f, nfp, self))

// ---------------------------------------------------------------- variables, references

HANDLER(GlobalGet) {
  SET64(1, ex->instance_->globals[IMM(2)]->value);
  NEXT_INSTRUCTION();
}
HANDLER(GlobalSet) {
  ex->instance_->globals[IMM(1)]->value = U64(2);
  NEXT_INSTRUCTION();
}
HANDLER(RefFunc) {
  SET64(1, reinterpret_cast<u64>(ex->instance_->funcs[IMM(2)]));
  NEXT_INSTRUCTION();
}
HANDLER(RefIsNull) {
  SET32(1, U64(2) == 0 ? 1 : 0);
  NEXT_INSTRUCTION();
}

// ---------------------------------------------------------------- memory

#define LOAD(name, T, W, SETTER)                                              \
  HANDLER(name) {                                                             \
    u64 ea = static_cast<u64>(U32(2)) + IMM(3);                               \
    if (__builtin_expect(ea + sizeof(T) > msize, 0)) TRAP(MemoryOutOfBounds); \
    T v = load<T>(mem + ea);                                                  \
    SETTER(1, static_cast<W>(v));                                             \
    NEXT_INSTRUCTION();                                                       \
  }
LOAD(I32Load, u32, u32, SET32)
LOAD(I64Load, u64, u64, SET64)
LOAD(F32Load, u32, u32, SET32)
LOAD(F64Load, u64, u64, SET64)
LOAD(I32Load8S, i8, i32, SET32)
LOAD(I32Load8U, u8, u32, SET32)
LOAD(I32Load16S, i16, i32, SET32)
LOAD(I32Load16U, u16, u32, SET32)
LOAD(I64Load8S, i8, i64, SET64)
LOAD(I64Load8U, u8, u64, SET64)
LOAD(I64Load16S, i16, i64, SET64)
LOAD(I64Load16U, u16, u64, SET64)
LOAD(I64Load32S, i32, i64, SET64)
LOAD(I64Load32U, u32, u64, SET64)

#define STORE(name, T)                                                        \
  HANDLER(name) {                                                             \
    u64 ea = static_cast<u64>(U32(1)) + IMM(3);                               \
    if (__builtin_expect(ea + sizeof(T) > msize, 0)) TRAP(MemoryOutOfBounds); \
    store<T>(mem + ea, static_cast<T>(U64(2)));                               \
    NEXT_INSTRUCTION();                                                       \
  }
STORE(I32Store, u32)
STORE(I64Store, u64)
STORE(F32Store, u32)
STORE(F64Store, u64)
STORE(I32Store8, u8)
STORE(I32Store16, u16)
STORE(I64Store8, u8)
STORE(I64Store16, u16)
STORE(I64Store32, u32)

// Loads and stores of another memory than memory 0 (i32 addresses) and of i64-address memories:
// the memory comes from the instance by the index in operand 4. An i32 address plus an offset
// (below 2^32 for such a memory: validated) cannot wrap 64 bits; an i64 address plus an offset
// can, so the check never forms the sum before it knows the sum is inside the memory.
inline bool in_bounds64(u64 addr, u64 offset, u64 size, u64 msize) {
  return addr <= msize && offset <= msize - addr && size <= msize - addr - offset;
}
#define LOAD_MEM(name, T, W, SETTER)                                            \
  HANDLER(name##Mem) {                                                          \
    const Memory* m = ex->instance_->memories[IMM(4)];                          \
    u64 ea = static_cast<u64>(U32(2)) + IMM(3);                                 \
    if (__builtin_expect(ea + sizeof(T) > m->size, 0)) TRAP(MemoryOutOfBounds); \
    SETTER(1, static_cast<W>(load<T>(m->base + ea)));                           \
    NEXT_INSTRUCTION();                                                         \
  }                                                                             \
  HANDLER(name##Mem64) {                                                        \
    const Memory* m = ex->instance_->memories[IMM(4)];                          \
    u64 addr = U64(2), offset = IMM(3);                                         \
    if (__builtin_expect(!in_bounds64(addr, offset, sizeof(T), m->size), 0))    \
      TRAP(MemoryOutOfBounds);                                                  \
    SETTER(1, static_cast<W>(load<T>(m->base + addr + offset)));                \
    NEXT_INSTRUCTION();                                                         \
  }
LOAD_MEM(I32Load, u32, u32, SET32)
LOAD_MEM(I64Load, u64, u64, SET64)
LOAD_MEM(F32Load, u32, u32, SET32)
LOAD_MEM(F64Load, u64, u64, SET64)
LOAD_MEM(I32Load8S, i8, i32, SET32)
LOAD_MEM(I32Load8U, u8, u32, SET32)
LOAD_MEM(I32Load16S, i16, i32, SET32)
LOAD_MEM(I32Load16U, u16, u32, SET32)
LOAD_MEM(I64Load8S, i8, i64, SET64)
LOAD_MEM(I64Load8U, u8, u64, SET64)
LOAD_MEM(I64Load16S, i16, i64, SET64)
LOAD_MEM(I64Load16U, u16, u64, SET64)
LOAD_MEM(I64Load32S, i32, i64, SET64)
LOAD_MEM(I64Load32U, u32, u64, SET64)

#define STORE_MEM(name, T)                                                      \
  HANDLER(name##Mem) {                                                          \
    const Memory* m = ex->instance_->memories[IMM(4)];                          \
    u64 ea = static_cast<u64>(U32(1)) + IMM(3);                                 \
    if (__builtin_expect(ea + sizeof(T) > m->size, 0)) TRAP(MemoryOutOfBounds); \
    store<T>(m->base + ea, static_cast<T>(U64(2)));                             \
    NEXT_INSTRUCTION();                                                         \
  }                                                                             \
  HANDLER(name##Mem64) {                                                        \
    const Memory* m = ex->instance_->memories[IMM(4)];                          \
    u64 addr = U64(1), offset = IMM(3);                                         \
    if (__builtin_expect(!in_bounds64(addr, offset, sizeof(T), m->size), 0))    \
      TRAP(MemoryOutOfBounds);                                                  \
    store<T>(m->base + addr + offset, static_cast<T>(U64(2)));                  \
    NEXT_INSTRUCTION();                                                         \
  }
STORE_MEM(I32Store, u32)
STORE_MEM(I64Store, u64)
STORE_MEM(F32Store, u32)
STORE_MEM(F64Store, u64)
STORE_MEM(I32Store8, u8)
STORE_MEM(I32Store16, u16)
STORE_MEM(I64Store8, u8)
STORE_MEM(I64Store16, u16)
STORE_MEM(I64Store32, u32)

HANDLER(MemorySize) {
  SET32(1, msize / 65536);
  NEXT_INSTRUCTION();
}
HANDLER(MemoryGrow) {
  i64 r = ex->store_.grow_memory(ex->instance_->memory, U32(2));
  load_memory(ex, mem, msize);
  SET32(1, static_cast<u32>(r));
  NEXT_INSTRUCTION();
}
// Bulk operations work in chunks of 64 KiB (of memory, or of table elements), each charged one
// fuel unit per 64 bytes or elements when it is done. The bounds are checked before the first
// chunk (all or nothing, as the specification says). When the fuel runs out or an interrupt
// comes between chunks, the execution stops before the instruction with its progress in
// Execution::bulk_done_, and on resume the instruction continues there (its operands are still
// in their slots: nothing runs in between). So no bulk instruction holds a CPU, however large.
constexpr u64 kBulkChunk = 64 * 1024;        // bytes of memory per chunk
constexpr u64 kTableChunk = kBulkChunk / 8;  // table elements per chunk
inline i64 bulk_cost(u64 units) { return static_cast<i64>(units >> 6); }
inline u64 chunk_of(u64 left, u64 chunk) { return left < chunk ? left : chunk; }

// What an earlier slice did of the instruction at ip, when it stopped between chunks; else 0.
inline u64 bulk_progress(Execution* ex, const u64* ip) {
  if (__builtin_expect(ex->bulk_ip_ != ip, 1)) return 0;
  ex->bulk_ip_ = nullptr;
  return ex->bulk_done_;
}
[[gnu::noinline]] RunStatus bulk_stop(Execution* ex, const u64* ip, u64* fp, u64 done) {
  ex->bulk_ip_ = ip;
  ex->bulk_done_ = done;
  return suspend(ex, ip, fp);
}

// A copy of n units from s to d (overlap allowed, like memmove) in chunks: forwards from the start
// when d <= s, else backwards from the end, so no chunk reads what an earlier one wrote.
#define BULK_COPY(T, dbase, sbase, n, chunk)                               \
  do {                                                                     \
    bool forwards = (dbase) <= (sbase);                                    \
    for (u64 done = bulk_progress(ex, ip); done < (n);) {                  \
      u64 k = chunk_of((n) - done, chunk);                                 \
      u64 at = forwards ? done : (n) - done - k;                           \
      __builtin_memmove((dbase) + at, (sbase) + at, k * sizeof(T));        \
      done += k;                                                           \
      ex->fuel_ -= bulk_cost(k);                                           \
      if (done < (n) && must_stop(ex)) return bulk_stop(ex, ip, fp, done); \
    }                                                                      \
  } while (0)

HANDLER(MemoryFill) {
  u64 d = U32(1), n = U32(3);
  u8 v = static_cast<u8>(U32(2));
  if (d + n > msize) TRAP(MemoryOutOfBounds);
  for (u64 done = bulk_progress(ex, ip); done < n;) {
    u64 k = chunk_of(n - done, kBulkChunk);
    __builtin_memset(mem + d + done, v, k);
    done += k;
    ex->fuel_ -= bulk_cost(k);
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done);
  }
  NEXT_INSTRUCTION();
}
HANDLER(MemoryCopy) {
  u64 d = U32(1), s = U32(2), n = U32(3);
  if (d + n > msize || s + n > msize) TRAP(MemoryOutOfBounds);
  BULK_COPY(u8, mem + d, mem + s, n, kBulkChunk);
  NEXT_INSTRUCTION();
}
HANDLER(MemoryInit) {
  u32 seg = static_cast<u32>(IMM(1));
  u64 d = U32(2), s = U32(3), n = U32(4);
  const Module* m = ex->instance_->module;
  const DataSegment& ds = m->datas[seg];
  u64 size = ex->instance_->data_dropped[seg] ? 0 : ds.size;
  if (s + n > size || d + n > msize) TRAP(MemoryOutOfBounds);
  const u8* from = m->bytes.data() + ds.bytes_offset + s;
  for (u64 done = bulk_progress(ex, ip); done < n;) {
    u64 k = chunk_of(n - done, kBulkChunk);
    __builtin_memcpy(mem + d + done, from + done, k);
    done += k;
    ex->fuel_ -= bulk_cost(k);
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done);
  }
  NEXT_INSTRUCTION();
}
// memory.size and memory.grow of any memory by its index. A grow reloads the cached memory 0
// (the memory grown may be memory 0 too, or the same memory imported twice).
HANDLER(MemorySizeMem) {
  SET32(1, ex->instance_->memories[IMM(2)]->size / 65536);
  NEXT_INSTRUCTION();
}
HANDLER(MemorySizeMem64) {
  SET64(1, ex->instance_->memories[IMM(2)]->size / 65536);
  NEXT_INSTRUCTION();
}
HANDLER(MemoryGrowMem) {
  i64 r = ex->store_.grow_memory(ex->instance_->memories[IMM(3)], U32(2));
  load_memory(ex, mem, msize);
  SET32(1, static_cast<u32>(r));
  NEXT_INSTRUCTION();
}
HANDLER(MemoryGrowMem64) {
  i64 r = ex->store_.grow_memory(ex->instance_->memories[IMM(3)], U64(2));
  load_memory(ex, mem, msize);
  SET64(1, static_cast<u64>(r));
  NEXT_INSTRUCTION();
}

// The bulk operations of any memory by index: the same chunks as above, bounds checked without
// forming a sum that could wrap (i64 addresses and lengths).
inline bool range_ok(u64 at, u64 n, u64 size) { return at <= size && n <= size - at; }
#define FILL_MEM(base, d, v, n)                                            \
  do {                                                                     \
    for (u64 done = bulk_progress(ex, ip); done < (n);) {                  \
      u64 k = chunk_of((n) - done, kBulkChunk);                            \
      __builtin_memset((base) + (d) + done, (v), k);                       \
      done += k;                                                           \
      ex->fuel_ -= bulk_cost(k);                                           \
      if (done < (n) && must_stop(ex)) return bulk_stop(ex, ip, fp, done); \
    }                                                                      \
  } while (0)
HANDLER(MemoryFillMem) {
  const Memory* m = ex->instance_->memories[IMM(1)];
  u64 d = U32(2), n = U32(4);
  u8 v = static_cast<u8>(U32(3));
  if (!range_ok(d, n, m->size)) TRAP(MemoryOutOfBounds);
  FILL_MEM(m->base, d, v, n);
  NEXT_INSTRUCTION();
}
HANDLER(MemoryFillMem64) {
  const Memory* m = ex->instance_->memories[IMM(1)];
  u64 d = U64(2), n = U64(4);
  u8 v = static_cast<u8>(U32(3));
  if (!range_ok(d, n, m->size)) TRAP(MemoryOutOfBounds);
  FILL_MEM(m->base, d, v, n);
  NEXT_INSTRUCTION();
}
#define COPY_MEM(D, S, N)                                                                \
  do {                                                                                   \
    const Memory* dm = ex->instance_->memories[IMM(1)];                                  \
    const Memory* sm = ex->instance_->memories[IMM(2)];                                  \
    u64 d = (D), s = (S), n = (N);                                                       \
    if (!range_ok(d, n, dm->size) || !range_ok(s, n, sm->size)) TRAP(MemoryOutOfBounds); \
    BULK_COPY(u8, dm->base + d, sm->base + s, n, kBulkChunk);                            \
    NEXT_INSTRUCTION();                                                                  \
  } while (0)
HANDLER(MemoryCopyMem) { COPY_MEM(U32(3), U32(4), U32(5)); }
HANDLER(MemoryCopyMem64) { COPY_MEM(U64(3), U64(4), U64(5)); }
HANDLER(MemoryCopyMem32From64) { COPY_MEM(U32(3), U64(4), U32(5)); }
HANDLER(MemoryCopyMem64From32) { COPY_MEM(U64(3), U32(4), U32(5)); }
#define INIT_MEM(D)                                                         \
  do {                                                                      \
    u32 seg = static_cast<u32>(IMM(1));                                     \
    const Memory* dm = ex->instance_->memories[IMM(2)];                     \
    u64 d = (D), s = U32(4), n = U32(5);                                    \
    const Module* mod = ex->instance_->module;                              \
    const DataSegment& ds = mod->datas[seg];                                \
    u64 size = ex->instance_->data_dropped[seg] ? 0 : ds.size;              \
    if (s + n > size || !range_ok(d, n, dm->size)) TRAP(MemoryOutOfBounds); \
    const u8* from = mod->bytes.data() + ds.bytes_offset + s;               \
    for (u64 done = bulk_progress(ex, ip); done < n;) {                     \
      u64 k = chunk_of(n - done, kBulkChunk);                               \
      __builtin_memcpy(dm->base + d + done, from + done, k);                \
      done += k;                                                            \
      ex->fuel_ -= bulk_cost(k);                                            \
      if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done);    \
    }                                                                       \
    NEXT_INSTRUCTION();                                                     \
  } while (0)
HANDLER(MemoryInitMem) { INIT_MEM(U32(3)); }
HANDLER(MemoryInitMem64) { INIT_MEM(U64(3)); }
HANDLER(DataDrop) {
  ex->instance_->data_dropped[IMM(1)] = 1;
  NEXT_INSTRUCTION();
}

// ---------------------------------------------------------------- tables

// The handlers of i32 tables and of i64 tables (table64) share their bodies: INDEX reads an index,
// size or length slot of the table's type, SET_RESULT writes one. For i64 tables the bounds are
// checked without a sum that could wrap.
#define TABLE_GET(INDEX)                            \
  Table* t = ex->instance_->tables[IMM(2)];         \
  u64 i = INDEX(3);                                 \
  if (i >= t->elems.size()) TRAP(TableOutOfBounds); \
  SET64(1, t->elems[i]);                            \
  NEXT_INSTRUCTION()
#define TABLE_SET(INDEX)                            \
  Table* t = ex->instance_->tables[IMM(1)];         \
  u64 i = INDEX(2);                                 \
  if (i >= t->elems.size()) TRAP(TableOutOfBounds); \
  t->elems[i] = U64(3);                             \
  NEXT_INSTRUCTION()
HANDLER(TableGet) {
  Table* t = ex->instance_->tables[IMM(2)];
  u32 i = U32(3);
  if (i >= t->elems.size()) TRAP(TableOutOfBounds);
  SET64(1, t->elems[i]);
  NEXT_INSTRUCTION();
}
HANDLER(TableGet64) { TABLE_GET(U64); }
HANDLER(TableSet) {
  Table* t = ex->instance_->tables[IMM(1)];
  u32 i = U32(2);
  if (i >= t->elems.size()) TRAP(TableOutOfBounds);
  t->elems[i] = U64(3);
  NEXT_INSTRUCTION();
}
HANDLER(TableSet64) { TABLE_SET(U64); }
HANDLER(TableSize) {
  SET32(1, ex->instance_->tables[IMM(2)]->elems.size());
  NEXT_INSTRUCTION();
}
HANDLER(TableSize64) {
  SET64(1, ex->instance_->tables[IMM(2)]->elems.size());
  NEXT_INSTRUCTION();
}
// The new elements are allocated (zeroed) in the first step, which is bounded by the table size
// limit like memory.grow's commit; filling them with a non-null value goes in chunks. The table's
// size is the new one from the first step, but nothing can look at it before the instruction ends.
#define TABLE_GROW(INDEX, SET_RESULT)                                  \
  Table* t = ex->instance_->tables[IMM(2)];                            \
  u64 v = U64(3), n = INDEX(4);                                        \
  u64 done = bulk_progress(ex, ip), old;                               \
  if (done == 0) {                                                     \
    i64 r = ex->store_.grow_table(t, n, 0);                            \
    if (r < 0) {                                                       \
      SET_RESULT(1, r);                                                \
      NEXT_INSTRUCTION();                                              \
    }                                                                  \
    old = static_cast<u64>(r);                                         \
    if (v == 0) {                                                      \
      ex->fuel_ -= bulk_cost(n);                                       \
      done = n;                                                        \
    }                                                                  \
  } else {                                                             \
    old = t->elems.size() - n;                                         \
  }                                                                    \
  while (done < n) {                                                   \
    u64 k = chunk_of(n - done, kTableChunk);                           \
    u64* e = t->elems.data() + old + done;                             \
    for (u64 j = 0; j < k; ++j) e[j] = v;                              \
    done += k;                                                         \
    ex->fuel_ -= bulk_cost(k);                                         \
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done); \
  }                                                                    \
  SET_RESULT(1, old);                                                  \
  NEXT_INSTRUCTION()
HANDLER(TableGrow) { TABLE_GROW(U32, SET32); }
HANDLER(TableGrow64) { TABLE_GROW(U64, SET64); }
#define TABLE_FILL(INDEX)                                              \
  Table* t = ex->instance_->tables[IMM(1)];                            \
  u64 i = INDEX(2), n = INDEX(4);                                      \
  u64 v = U64(3);                                                      \
  if (!range_ok(i, n, t->elems.size())) TRAP(TableOutOfBounds);        \
  for (u64 done = bulk_progress(ex, ip); done < n;) {                  \
    u64 k = chunk_of(n - done, kTableChunk);                           \
    u64* e = t->elems.data() + i + done;                               \
    for (u64 j = 0; j < k; ++j) e[j] = v;                              \
    done += k;                                                         \
    ex->fuel_ -= bulk_cost(k);                                         \
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done); \
  }                                                                    \
  NEXT_INSTRUCTION()
HANDLER(TableFill) {
  Table* t = ex->instance_->tables[IMM(1)];
  u64 i = U32(2), n = U32(4);
  u64 v = U64(3);
  if (i + n > t->elems.size()) TRAP(TableOutOfBounds);
  for (u64 done = bulk_progress(ex, ip); done < n;) {
    u64 k = chunk_of(n - done, kTableChunk);
    u64* e = t->elems.data() + i + done;
    for (u64 j = 0; j < k; ++j) e[j] = v;
    done += k;
    ex->fuel_ -= bulk_cost(k);
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done);
  }
  NEXT_INSTRUCTION();
}
HANDLER(TableFill64) { TABLE_FILL(U64); }
#define TABLE_COPY(D, S, N)                                                   \
  Table* dt = ex->instance_->tables[IMM(1)];                                  \
  Table* st = ex->instance_->tables[IMM(2)];                                  \
  u64 d = (D), s = (S), n = (N);                                              \
  if (!range_ok(d, n, dt->elems.size()) || !range_ok(s, n, st->elems.size())) \
    TRAP(TableOutOfBounds);                                                   \
  BULK_COPY(u64, dt->elems.data() + d, st->elems.data() + s, n, kTableChunk); \
  NEXT_INSTRUCTION()
HANDLER(TableCopy) {
  Table* dt = ex->instance_->tables[IMM(1)];
  Table* st = ex->instance_->tables[IMM(2)];
  u64 d = U32(3), s = U32(4), n = U32(5);
  if (d + n > dt->elems.size() || s + n > st->elems.size()) TRAP(TableOutOfBounds);
  BULK_COPY(u64, dt->elems.data() + d, st->elems.data() + s, n, kTableChunk);
  NEXT_INSTRUCTION();
}
HANDLER(TableCopy64) { TABLE_COPY(U64(3), U64(4), U64(5)); }
HANDLER(TableCopy32From64) { TABLE_COPY(U32(3), U64(4), U32(5)); }
HANDLER(TableCopy64From32) { TABLE_COPY(U64(3), U32(4), U32(5)); }
#define TABLE_INIT(D)                                                                     \
  Table* t = ex->instance_->tables[IMM(1)];                                               \
  const Vector<u64>& seg = ex->instance_->elems[IMM(2)];                                  \
  u64 d = (D), s = U32(4), n = U32(5);                                                    \
  if (s + n > seg.size() || !range_ok(d, n, t->elems.size())) TRAP(TableOutOfBounds);     \
  for (u64 done = bulk_progress(ex, ip); done < n;) {                                     \
    u64 k = chunk_of(n - done, kTableChunk);                                              \
    __builtin_memcpy(t->elems.data() + d + done, seg.data() + s + done, k * sizeof(u64)); \
    done += k;                                                                            \
    ex->fuel_ -= bulk_cost(k);                                                            \
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done);                    \
  }                                                                                       \
  NEXT_INSTRUCTION()
HANDLER(TableInit) {
  Table* t = ex->instance_->tables[IMM(1)];
  const Vector<u64>& seg = ex->instance_->elems[IMM(2)];
  u64 d = U32(3), s = U32(4), n = U32(5);
  if (s + n > seg.size() || d + n > t->elems.size()) TRAP(TableOutOfBounds);
  for (u64 done = bulk_progress(ex, ip); done < n;) {
    u64 k = chunk_of(n - done, kTableChunk);
    __builtin_memcpy(t->elems.data() + d + done, seg.data() + s + done, k * sizeof(u64));
    done += k;
    ex->fuel_ -= bulk_cost(k);
    if (done < n && must_stop(ex)) return bulk_stop(ex, ip, fp, done);
  }
  NEXT_INSTRUCTION();
}
HANDLER(TableInit64) { TABLE_INIT(U64(3)); }
HANDLER(ElemDrop) {
  ex->instance_->elems[IMM(1)].clear();
  NEXT_INSTRUCTION();
}

// ---------------------------------------------------------------- numerics

#define UN(name, expr)  \
  HANDLER(name) {       \
    expr;               \
    NEXT_INSTRUCTION(); \
  }
#define BIN(name, expr) \
  HANDLER(name) {       \
    expr;               \
    NEXT_INSTRUCTION(); \
  }

UN(I32Eqz, SET32(1, U32(2) == 0))
BIN(I32Eq, SET32(1, U32(2) == U32(3)))
BIN(I32Ne, SET32(1, U32(2) != U32(3)))
BIN(I32LtS, SET32(1, I32(2) < I32(3)))
BIN(I32LtU, SET32(1, U32(2) < U32(3)))
BIN(I32GtS, SET32(1, I32(2) > I32(3)))
BIN(I32GtU, SET32(1, U32(2) > U32(3)))
BIN(I32LeS, SET32(1, I32(2) <= I32(3)))
BIN(I32LeU, SET32(1, U32(2) <= U32(3)))
BIN(I32GeS, SET32(1, I32(2) >= I32(3)))
BIN(I32GeU, SET32(1, U32(2) >= U32(3)))
UN(I64Eqz, SET32(1, U64(2) == 0))
BIN(I64Eq, SET32(1, U64(2) == U64(3)))
BIN(I64Ne, SET32(1, U64(2) != U64(3)))
BIN(I64LtS, SET32(1, I64(2) < I64(3)))
BIN(I64LtU, SET32(1, U64(2) < U64(3)))
BIN(I64GtS, SET32(1, I64(2) > I64(3)))
BIN(I64GtU, SET32(1, U64(2) > U64(3)))
BIN(I64LeS, SET32(1, I64(2) <= I64(3)))
BIN(I64LeU, SET32(1, U64(2) <= U64(3)))
BIN(I64GeS, SET32(1, I64(2) >= I64(3)))
BIN(I64GeU, SET32(1, U64(2) >= U64(3)))
BIN(F32Eq, SET32(1, F32(2) == F32(3)))
BIN(F32Ne, SET32(1, F32(2) != F32(3)))
BIN(F32Lt, SET32(1, F32(2) < F32(3)))
BIN(F32Gt, SET32(1, F32(2) > F32(3)))
BIN(F32Le, SET32(1, F32(2) <= F32(3)))
BIN(F32Ge, SET32(1, F32(2) >= F32(3)))
BIN(F64Eq, SET32(1, F64(2) == F64(3)))
BIN(F64Ne, SET32(1, F64(2) != F64(3)))
BIN(F64Lt, SET32(1, F64(2) < F64(3)))
BIN(F64Gt, SET32(1, F64(2) > F64(3)))
BIN(F64Le, SET32(1, F64(2) <= F64(3)))
BIN(F64Ge, SET32(1, F64(2) >= F64(3)))

UN(I32Clz, SET32(1, num::clz32(U32(2))))
UN(I32Ctz, SET32(1, num::ctz32(U32(2))))
UN(I32Popcnt, SET32(1, num::popcnt32(U32(2))))
BIN(I32Add, SET32(1, U32(2) + U32(3)))
BIN(I32Sub, SET32(1, U32(2) - U32(3)))
BIN(I32Mul, SET32(1, U32(2) * U32(3)))
HANDLER(I32DivS) {
  i32 a = I32(2), b = I32(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  if (a == INT32_MIN && b == -1) TRAP(IntegerOverflow);
  SET32(1, a / b);
  NEXT_INSTRUCTION();
}
HANDLER(I32DivU) {
  u32 a = U32(2), b = U32(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  SET32(1, a / b);
  NEXT_INSTRUCTION();
}
HANDLER(I32RemS) {
  i32 a = I32(2), b = I32(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  SET32(1, b == -1 ? 0 : a % b);
  NEXT_INSTRUCTION();
}
HANDLER(I32RemU) {
  u32 a = U32(2), b = U32(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  SET32(1, a % b);
  NEXT_INSTRUCTION();
}
BIN(I32And, SET32(1, U32(2) & U32(3)))
BIN(I32Or, SET32(1, U32(2) | U32(3)))
BIN(I32Xor, SET32(1, U32(2) ^ U32(3)))
BIN(I32Shl, SET32(1, U32(2) << (U32(3) & 31)))
BIN(I32ShrS, SET32(1, I32(2) >> (U32(3) & 31)))
BIN(I32ShrU, SET32(1, U32(2) >> (U32(3) & 31)))
BIN(I32Rotl, SET32(1, num::rotl32(U32(2), U32(3))))
BIN(I32Rotr, SET32(1, num::rotr32(U32(2), U32(3))))

UN(I64Clz, SET64(1, num::clz64(U64(2))))
UN(I64Ctz, SET64(1, num::ctz64(U64(2))))
UN(I64Popcnt, SET64(1, num::popcnt64(U64(2))))
BIN(I64Add, SET64(1, U64(2) + U64(3)))
BIN(I64Sub, SET64(1, U64(2) - U64(3)))
BIN(I64Mul, SET64(1, U64(2) * U64(3)))
HANDLER(I64DivS) {
  i64 a = I64(2), b = I64(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  if (a == INT64_MIN && b == -1) TRAP(IntegerOverflow);
  SET64(1, a / b);
  NEXT_INSTRUCTION();
}
HANDLER(I64DivU) {
  u64 a = U64(2), b = U64(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  SET64(1, a / b);
  NEXT_INSTRUCTION();
}
HANDLER(I64RemS) {
  i64 a = I64(2), b = I64(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  SET64(1, b == -1 ? 0 : a % b);
  NEXT_INSTRUCTION();
}
HANDLER(I64RemU) {
  u64 a = U64(2), b = U64(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  SET64(1, a % b);
  NEXT_INSTRUCTION();
}
BIN(I64And, SET64(1, U64(2) & U64(3)))
BIN(I64Or, SET64(1, U64(2) | U64(3)))
BIN(I64Xor, SET64(1, U64(2) ^ U64(3)))
BIN(I64Shl, SET64(1, U64(2) << (U64(3) & 63)))
BIN(I64ShrS, SET64(1, I64(2) >> (U64(3) & 63)))
BIN(I64ShrU, SET64(1, U64(2) >> (U64(3) & 63)))
BIN(I64Rotl, SET64(1, num::rotl64(U64(2), U64(3))))
BIN(I64Rotr, SET64(1, num::rotr64(U64(2), U64(3))))

UN(F32Abs, SET32(1, U32(2) & 0x7fffffffu))
UN(F32Neg, SET32(1, U32(2) ^ 0x80000000u))
UN(F32Ceil, SET32(1, num::round32(U32(2), 2)))
UN(F32Floor, SET32(1, num::round32(U32(2), 1)))
UN(F32Trunc, SET32(1, num::round32(U32(2), 0)))
UN(F32Nearest, SET32(1, num::round32(U32(2), 3)))
UN(F32Sqrt, SETF32(1, num::sqrt32(F32(2))))
BIN(F32Add, SETF32(1, F32(2) + F32(3)))
BIN(F32Sub, SETF32(1, F32(2) - F32(3)))
BIN(F32Mul, SETF32(1, F32(2) * F32(3)))
BIN(F32Div, SETF32(1, F32(2) / F32(3)))
BIN(F32Min, SET32(1, num::fmin32(U32(2), U32(3))))
BIN(F32Max, SET32(1, num::fmax32(U32(2), U32(3))))
BIN(F32Copysign, SET32(1, (U32(2) & 0x7fffffffu) | (U32(3) & 0x80000000u)))
UN(F64Abs, SET64(1, U64(2) & 0x7fffffffffffffffull))
UN(F64Neg, SET64(1, U64(2) ^ 0x8000000000000000ull))
UN(F64Ceil, SET64(1, num::round64(U64(2), 2)))
UN(F64Floor, SET64(1, num::round64(U64(2), 1)))
UN(F64Trunc, SET64(1, num::round64(U64(2), 0)))
UN(F64Nearest, SET64(1, num::round64(U64(2), 3)))
UN(F64Sqrt, SETF64(1, num::sqrt64(F64(2))))
BIN(F64Add, SETF64(1, F64(2) + F64(3)))
BIN(F64Sub, SETF64(1, F64(2) - F64(3)))
BIN(F64Mul, SETF64(1, F64(2) * F64(3)))
BIN(F64Div, SETF64(1, F64(2) / F64(3)))
BIN(F64Min, SET64(1, num::fmin64(U64(2), U64(3))))
BIN(F64Max, SET64(1, num::fmax64(U64(2), U64(3))))
BIN(F64Copysign, SET64(1, (U64(2) & 0x7fffffffffffffffull) | (U64(3) & 0x8000000000000000ull)))

UN(I32WrapI64, SET32(1, U64(2)))
#define TRUNC(name, I, SETTER, F, lo, hi)            \
  HANDLER(name) {                                    \
    I r;                                             \
    int e = num::trunc_checked<I>(F(2), lo, hi, &r); \
    if (e == 1) TRAP(InvalidConversion);             \
    if (e == 2) TRAP(IntegerOverflow);               \
    SETTER(1, r);                                    \
    NEXT_INSTRUCTION();                              \
  }
TRUNC(I32TruncF32S, i32, SET32, F32, -2147483904.0f, 2147483648.0f)
TRUNC(I32TruncF32U, u32, SET32, F32, -1.0f, 4294967296.0f)
TRUNC(I32TruncF64S, i32, SET32, F64, -2147483649.0, 2147483648.0)
TRUNC(I32TruncF64U, u32, SET32, F64, -1.0, 4294967296.0)
TRUNC(I64TruncF32S, i64, SET64, F32, -9223373136366403584.0f, 9223372036854775808.0f)
TRUNC(I64TruncF32U, u64, SET64, F32, -1.0f, 18446744073709551616.0f)
TRUNC(I64TruncF64S, i64, SET64, F64, -9223372036854777856.0, 9223372036854775808.0)
TRUNC(I64TruncF64U, u64, SET64, F64, -1.0, 18446744073709551616.0)
#define TRUNC_SAT(name, I, SETTER, F, lo, hi, ilo, ihi) \
  UN(name, SETTER(1, (num::trunc_sat<I>(F(2), lo, hi, static_cast<I>(ilo), static_cast<I>(ihi)))))
TRUNC_SAT(I32TruncSatF32S, i32, SET32, F32, -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX)
TRUNC_SAT(I32TruncSatF32U, u32, SET32, F32, -1.0f, 4294967296.0f, 0, UINT32_MAX)
TRUNC_SAT(I32TruncSatF64S, i32, SET32, F64, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
TRUNC_SAT(I32TruncSatF64U, u32, SET32, F64, -1.0, 4294967296.0, 0, UINT32_MAX)
TRUNC_SAT(I64TruncSatF32S, i64, SET64, F32, -9223373136366403584.0f, 9223372036854775808.0f,
          INT64_MIN, INT64_MAX)
TRUNC_SAT(I64TruncSatF32U, u64, SET64, F32, -1.0f, 18446744073709551616.0f, 0, UINT64_MAX)
TRUNC_SAT(I64TruncSatF64S, i64, SET64, F64, -9223372036854777856.0, 9223372036854775808.0,
          INT64_MIN, INT64_MAX)
TRUNC_SAT(I64TruncSatF64U, u64, SET64, F64, -1.0, 18446744073709551616.0, 0, UINT64_MAX)
UN(I64ExtendI32S, SET64(1, static_cast<i64>(I32(2))))
UN(I64ExtendI32U, SET64(1, static_cast<u64>(U32(2))))
UN(F32ConvertI32S, SETF32(1, static_cast<float>(I32(2))))
UN(F32ConvertI32U, SETF32(1, static_cast<float>(U32(2))))
UN(F32ConvertI64S, SETF32(1, static_cast<float>(I64(2))))
UN(F32ConvertI64U, SETF32(1, static_cast<float>(U64(2))))
UN(F32DemoteF64, SETF32(1, static_cast<float>(F64(2))))
UN(F64ConvertI32S, SETF64(1, static_cast<double>(I32(2))))
UN(F64ConvertI32U, SETF64(1, static_cast<double>(U32(2))))
UN(F64ConvertI64S, SETF64(1, static_cast<double>(I64(2))))
UN(F64ConvertI64U, SETF64(1, static_cast<double>(U64(2))))
UN(F64PromoteF32, SETF64(1, static_cast<double>(F32(2))))
// Reinterpretations never reach the code (the translator retypes the slot); kept for the table.
UN(I32ReinterpretF32, SET32(1, U32(2)))
UN(I64ReinterpretF64, SET64(1, U64(2)))
UN(F32ReinterpretI32, SET32(1, U32(2)))
UN(F64ReinterpretI64, SET64(1, U64(2)))
UN(I32Extend8S, SET32(1, static_cast<i32>(static_cast<i8>(U32(2)))))
UN(I32Extend16S, SET32(1, static_cast<i32>(static_cast<i16>(U32(2)))))
UN(I64Extend8S, SET64(1, static_cast<i64>(static_cast<i8>(U64(2)))))
UN(I64Extend16S, SET64(1, static_cast<i64>(static_cast<i16>(U64(2)))))
UN(I64Extend32S, SET64(1, static_cast<i64>(static_cast<i32>(U64(2)))))

// Fused forms: compare-and-branch, and operations with an immediate second operand.
// clang-format off
#define CMP_LIST(X) \
  X(Eq, u32, ==) X(Ne, u32, !=) X(LtS, i32, <) X(LtU, u32, <) X(GtS, i32, >) X(GtU, u32, >) \
  X(LeS, i32, <=) X(LeU, u32, <=) X(GeS, i32, >=) X(GeU, u32, >=)
// clang-format on
#define GEN_CMP(N, T, OP)                                                                         \
  HANDLER(BrIfI32##N) {                                                                           \
    if (slot_load<T>(SLOT_READ(1)) OP slot_load<T>(SLOT_READ(2))) NEXT(static_cast<i64>(IMM(3))); \
    NEXT_INSTRUCTION();                                                                           \
  }                                                                                               \
  HANDLER(BrIfI32##N##Imm) {                                                                      \
    if (slot_load<T>(SLOT_READ(1)) OP static_cast<T>(IMM(2))) NEXT(static_cast<i64>(IMM(3)));     \
    NEXT_INSTRUCTION();                                                                           \
  }                                                                                               \
  HANDLER(I32##N##Imm) {                                                                          \
    SET32(1, slot_load<T>(SLOT_READ(2)) OP static_cast<T>(IMM(3)));                               \
    NEXT_INSTRUCTION();                                                                           \
  }
CMP_LIST(GEN_CMP)

#define IMM32(name, expr)                         \
  HANDLER(name) {                                 \
    u32 a = U32(2), b = static_cast<u32>(IMM(3)); \
    SET32(1, expr);                               \
    NEXT_INSTRUCTION();                           \
  }
#define IMM64(name, expr)       \
  HANDLER(name) {               \
    u64 a = U64(2), b = IMM(3); \
    SET64(1, expr);             \
    NEXT_INSTRUCTION();         \
  }
IMM32(I32AddImm, a + b)
IMM32(I32SubImm, a - b)
IMM32(I32MulImm, a* b)
IMM32(I32AndImm, a& b)
IMM32(I32OrImm, a | b)
IMM32(I32XorImm, a ^ b)
IMM32(I32ShlImm, a << (b & 31))
IMM32(I32ShrSImm, static_cast<u32>(static_cast<i32>(a) >> (b & 31)))
IMM32(I32ShrUImm, a >> (b & 31))
IMM64(I64AddImm, a + b)
IMM64(I64SubImm, a - b)
IMM64(I64MulImm, a* b)
IMM64(I64AndImm, a& b)
IMM64(I64OrImm, a | b)
IMM64(I64XorImm, a ^ b)
IMM64(I64ShlImm, a << (b & 63))
IMM64(I64ShrSImm, static_cast<u64>(static_cast<i64>(a) >> (b & 63)))
IMM64(I64ShrUImm, a >> (b & 63))

// ---------------------------------------------------------------- SIMD

using simd::V128;

HANDLER(V128Copy) {
  SETVEC(1, VEC(2));
  NEXT_INSTRUCTION();
}
HANDLER(V128Const) {
  SETVEC(1, (V128{IMM(2), IMM(3)}));
  NEXT_INSTRUCTION();
}
HANDLER(V128Select) {
  V128 v = U32(2) != 0 ? VEC(3) : VEC(4);
  SETVEC(1, v);
  NEXT_INSTRUCTION();
}
HANDLER(V128GlobalGet) {
  const Global* g = ex->instance_->globals[IMM(2)];
  SETVEC(1, (V128{g->value, g->hi}));
  NEXT_INSTRUCTION();
}
HANDLER(V128GlobalSet) {
  V128 v = VEC(2);
  Global* g = ex->instance_->globals[IMM(1)];
  g->value = v.lo;
  g->hi = v.hi;
  NEXT_INSTRUCTION();
}

// The lanes of a V128 as an array of T (memory order), and back.
template <typename T> struct Lanes {
  T lane[16 / sizeof(T)];
};
template <typename T> inline Lanes<T> lanes_of(V128 v) { return __builtin_bit_cast(Lanes<T>, v); }
template <typename T> inline V128 from_lanes(Lanes<T> l) { return __builtin_bit_cast(V128, l); }

// 8 bytes of memory as lanes of `From`, each extended to `To` (a vector conversion: SSE2's
// unpack instructions on the host).
template <typename From, typename To> inline V128 load_extend(const u8* p) {
  using Half = From __attribute__((vector_size(8)));
  using Wide = To __attribute__((vector_size(16)));
  return simd::from(__builtin_convertvector(load<Half>(p), Wide));
}
template <typename T> inline V128 load_splat(const u8* p) {
  using Vec = T __attribute__((vector_size(16)));
  return simd::from(Vec{} + load<T>(p));
}

// The effective address of a SIMD access of `size` bytes, trapping out of bounds: the address
// operand `a` plus the offset word `o`, checked as the scalar accesses are (64-bit sum, no wrap).
#define SIMD_ADDRESS(ea, a, o, size)          \
  u64 ea = static_cast<u64>(U32(a)) + IMM(o); \
  if (__builtin_expect(ea + (size) > msize, 0)) TRAP(MemoryOutOfBounds)

// The same for a memory by index (operand `i`): `p` the accessed bytes of memory `i` with i32
// addresses (the sum cannot wrap: the offset is below 2^32), or of a memory with i64 addresses
// (in_bounds64: never forms a sum that could wrap).
#define SIMD_ADDRESS_MEM(p, a, o, i, n)                                 \
  const Memory* m = ex->instance_->memories[IMM(i)];                    \
  u64 ea = static_cast<u64>(U32(a)) + IMM(o);                           \
  if (__builtin_expect(ea + (n) > m->size, 0)) TRAP(MemoryOutOfBounds); \
  u8* p = m->base + ea
#define SIMD_ADDRESS_MEM64(p, a, o, i, n)                                                     \
  const Memory* m = ex->instance_->memories[IMM(i)];                                          \
  u64 addr = U64(a), offset = IMM(o);                                                         \
  if (__builtin_expect(!in_bounds64(addr, offset, (n), m->size), 0)) TRAP(MemoryOutOfBounds); \
  u8* p = m->base + addr + offset

#define SIMD_LOAD(name, size, expr)       \
  HANDLER(name) {                         \
    SIMD_ADDRESS(ea, 2, 3, size);         \
    const u8* p = mem + ea;               \
    SETVEC(1, expr);                      \
    NEXT_INSTRUCTION();                   \
  }                                       \
  HANDLER(name##Mem) {                    \
    SIMD_ADDRESS_MEM(p, 2, 3, 4, size);   \
    SETVEC(1, expr);                      \
    NEXT_INSTRUCTION();                   \
  }                                       \
  HANDLER(name##Mem64) {                  \
    SIMD_ADDRESS_MEM64(p, 2, 3, 4, size); \
    SETVEC(1, expr);                      \
    NEXT_INSTRUCTION();                   \
  }
SIMD_LOAD(V128Load, 16, load<V128>(p))
SIMD_LOAD(V128Load8x8S, 8, (load_extend<i8, i16>(p)))
SIMD_LOAD(V128Load8x8U, 8, (load_extend<u8, u16>(p)))
SIMD_LOAD(V128Load16x4S, 8, (load_extend<i16, i32>(p)))
SIMD_LOAD(V128Load16x4U, 8, (load_extend<u16, u32>(p)))
SIMD_LOAD(V128Load32x2S, 8, (load_extend<i32, i64>(p)))
SIMD_LOAD(V128Load32x2U, 8, (load_extend<u32, u64>(p)))
SIMD_LOAD(V128Load8Splat, 1, load_splat<u8>(p))
SIMD_LOAD(V128Load16Splat, 2, load_splat<u16>(p))
SIMD_LOAD(V128Load32Splat, 4, load_splat<u32>(p))
SIMD_LOAD(V128Load64Splat, 8, load_splat<u64>(p))
SIMD_LOAD(V128Load32Zero, 4, (V128{load<u32>(p), 0}))
SIMD_LOAD(V128Load64Zero, 8, (V128{load<u64>(p), 0}))
HANDLER(V128Store) {
  SIMD_ADDRESS(ea, 1, 3, 16);
  store<V128>(mem + ea, VEC(2));
  NEXT_INSTRUCTION();
}
HANDLER(V128StoreMem) {
  SIMD_ADDRESS_MEM(p, 1, 3, 4, 16);
  store<V128>(p, VEC(2));
  NEXT_INSTRUCTION();
}
HANDLER(V128StoreMem64) {
  SIMD_ADDRESS_MEM64(p, 1, 3, 4, 16);
  store<V128>(p, VEC(2));
  NEXT_INSTRUCTION();
}

// One lane of T from memory into the vector operand (read before the result is written: the
// slots may overlap), and one lane of the vector into memory.
#define SIMD_LOAD_LANE(name, T)                            \
  HANDLER(name) {                                          \
    SIMD_ADDRESS(ea, 2, 4, sizeof(T));                     \
    Lanes<T> l = lanes_of<T>(VEC(3));                      \
    l.lane[IMM(5) % (16 / sizeof(T))] = load<T>(mem + ea); \
    SETVEC(1, from_lanes(l));                              \
    NEXT_INSTRUCTION();                                    \
  }
#define SIMD_STORE_LANE(name, T)                                             \
  HANDLER(name) {                                                            \
    SIMD_ADDRESS(ea, 1, 3, sizeof(T));                                       \
    store<T>(mem + ea, lanes_of<T>(VEC(2)).lane[IMM(4) % (16 / sizeof(T))]); \
    NEXT_INSTRUCTION();                                                      \
  }
// The same for a memory by index (the index the last operand).
#define SIMD_LANE_MEM(name, T)                      \
  HANDLER(name##Mem) {                              \
    SIMD_ADDRESS_MEM(p, 2, 4, 6, sizeof(T));        \
    Lanes<T> l = lanes_of<T>(VEC(3));               \
    l.lane[IMM(5) % (16 / sizeof(T))] = load<T>(p); \
    SETVEC(1, from_lanes(l));                       \
    NEXT_INSTRUCTION();                             \
  }                                                 \
  HANDLER(name##Mem64) {                            \
    SIMD_ADDRESS_MEM64(p, 2, 4, 6, sizeof(T));      \
    Lanes<T> l = lanes_of<T>(VEC(3));               \
    l.lane[IMM(5) % (16 / sizeof(T))] = load<T>(p); \
    SETVEC(1, from_lanes(l));                       \
    NEXT_INSTRUCTION();                             \
  }
#define SIMD_STORE_LANE_MEM(name, T)                                  \
  HANDLER(name##Mem) {                                                \
    SIMD_ADDRESS_MEM(p, 1, 3, 5, sizeof(T));                          \
    store<T>(p, lanes_of<T>(VEC(2)).lane[IMM(4) % (16 / sizeof(T))]); \
    NEXT_INSTRUCTION();                                               \
  }                                                                   \
  HANDLER(name##Mem64) {                                              \
    SIMD_ADDRESS_MEM64(p, 1, 3, 5, sizeof(T));                        \
    store<T>(p, lanes_of<T>(VEC(2)).lane[IMM(4) % (16 / sizeof(T))]); \
    NEXT_INSTRUCTION();                                               \
  }
SIMD_LOAD_LANE(V128Load8Lane, u8)
SIMD_LOAD_LANE(V128Load16Lane, u16)
SIMD_LOAD_LANE(V128Load32Lane, u32)
SIMD_LOAD_LANE(V128Load64Lane, u64)
SIMD_STORE_LANE(V128Store8Lane, u8)
SIMD_STORE_LANE(V128Store16Lane, u16)
SIMD_STORE_LANE(V128Store32Lane, u32)
SIMD_STORE_LANE(V128Store64Lane, u64)
SIMD_LANE_MEM(V128Load8Lane, u8)
SIMD_LANE_MEM(V128Load16Lane, u16)
SIMD_LANE_MEM(V128Load32Lane, u32)
SIMD_LANE_MEM(V128Load64Lane, u64)
SIMD_STORE_LANE_MEM(V128Store8Lane, u8)
SIMD_STORE_LANE_MEM(V128Store16Lane, u16)
SIMD_STORE_LANE_MEM(V128Store32Lane, u32)
SIMD_STORE_LANE_MEM(V128Store64Lane, u64)

// Lane k of the result is byte IMM of the 32 bytes of a then b (the lane indexes were checked
// at translation, < 32; the mask keeps them inside the 32 bytes anyway). SSE2 has no byte
// shuffle. A window of the 32 bytes (lane k is byte s + k: what a compiler emits for a vector
// that straddles two loads, palignr on x86) is two funnel shifts; any other pattern gathers its
// bytes into two words, unrolled (the indexes are the bytes of the immediate words, lane 0
// first), which are then moved into a vector register once.
HANDLER(I8x16Shuffle) {
  V128 a = VEC(2), b = VEC(3);
  const u64 index[2] = {IMM(4), IMM(5)};
  u64 s = index[0] & 0xff;
  if (s <= 16 && index[0] == s * 0x0101010101010101ull + 0x0706050403020100ull &&
      index[1] == index[0] + 0x0808080808080808ull) {
    using u128 = unsigned __int128;
    u128 x = __builtin_bit_cast(u128, a), y = __builtin_bit_cast(u128, b);
    // s = 16 shifts x out in two steps (a shift by 128 is undefined) and y by nothing.
    u128 r = s == 0 ? x : (x >> (8 * s - 1) >> 1) | (y << (128 - 8 * s));
    SETVEC(1, __builtin_bit_cast(V128, r));
    NEXT_INSTRUCTION();
  }
  u8 both[32];
  store<V128>(both, a);
  store<V128>(both + 16, b);
  u64 half[2];
#pragma clang loop unroll(full)
  for (u32 h = 0; h < 2; ++h) {
    u64 r = 0;
#pragma clang loop unroll(full)
    for (u32 k = 0; k < 8; ++k) r |= static_cast<u64>(both[(index[h] >> (8 * k)) & 31]) << (8 * k);
    half[h] = r;
  }
  SETVEC(1, (V128{half[0], half[1]}));
  NEXT_INSTRUCTION();
}

// The lane indexes were checked at translation; the mask keeps a lane inside its vector anyway.
#define SIMD_EXTRACT(name, T, SETTER, W)                       \
  HANDLER(name) {                                              \
    T v = lanes_of<T>(VEC(2)).lane[IMM(3) % (16 / sizeof(T))]; \
    SETTER(1, static_cast<W>(v));                              \
    NEXT_INSTRUCTION();                                        \
  }
SIMD_EXTRACT(I8x16ExtractLaneS, i8, SET32, i32)
SIMD_EXTRACT(I8x16ExtractLaneU, u8, SET32, u32)
SIMD_EXTRACT(I16x8ExtractLaneS, i16, SET32, i32)
SIMD_EXTRACT(I16x8ExtractLaneU, u16, SET32, u32)
SIMD_EXTRACT(I32x4ExtractLane, u32, SET32, u32)
SIMD_EXTRACT(I64x2ExtractLane, u64, SET64, u64)
SIMD_EXTRACT(F32x4ExtractLane, u32, SET32, u32)
SIMD_EXTRACT(F64x2ExtractLane, u64, SET64, u64)
// Lane `index` of v replaced by x, with a lane mask (a vector compare of the lane numbers with
// the index: no store of the vector and reload, which a 16-byte load cannot be forwarded from).
template <typename T> inline V128 replace_lane(V128 v, u64 index, T x) {
  using Vec = T __attribute__((vector_size(16)));
  Vec lane_numbers;
  for (int k = 0; k < simd::kLanes<Vec>; ++k) lane_numbers[k] = static_cast<T>(k);
  Vec mask = __builtin_bit_cast(Vec, lane_numbers == Vec{} + static_cast<T>(index));
  return simd::from((simd::as<Vec>(v) & ~mask) | ((Vec{} + x) & mask));
}
#define SIMD_REPLACE(name, T, GETTER)                                                         \
  HANDLER(name) {                                                                             \
    SETVEC(1, replace_lane<T>(VEC(2), IMM(4) % (16 / sizeof(T)), static_cast<T>(GETTER(3)))); \
    NEXT_INSTRUCTION();                                                                       \
  }
SIMD_REPLACE(I8x16ReplaceLane, u8, U32)
SIMD_REPLACE(I16x8ReplaceLane, u16, U32)
SIMD_REPLACE(I32x4ReplaceLane, u32, U32)
SIMD_REPLACE(I64x2ReplaceLane, u64, U64)
SIMD_REPLACE(F32x4ReplaceLane, u32, U32)
SIMD_REPLACE(F64x2ReplaceLane, u64, U64)

// The fused widening of bytes 0..3 (two extend_low instructions, compile.cc).
HANDLER(I32x4ExtendLowI8x16U) {
  SETVEC(1, simd::I32x4ExtendLowI8x16U(VEC(2)));
  NEXT_INSTRUCTION();
}
HANDLER(I32x4ExtendLowI8x16S) {
  SETVEC(1, simd::I32x4ExtendLowI8x16S(VEC(2)));
  NEXT_INSTRUCTION();
}

// The lane-wise operations (simd.h): one handler per entry of WASM_SIMD_LANE_OPS, calling
// simd::Name with the operands its shape says (code.h, WASM_SIMD_SIGNATURE_*). The function's
// type is checked: a function of another type than its shape's fails to compile here.
#define SIMD_SHAPE_Unop(name)          \
  V128 (*const fn)(V128) = simd::name; \
  SETVEC(1, fn(VEC(2)))
#define SIMD_SHAPE_Binop(name)               \
  V128 (*const fn)(V128, V128) = simd::name; \
  SETVEC(1, fn(VEC(2), VEC(3)))
#define SIMD_SHAPE_Ternop(name)                    \
  V128 (*const fn)(V128, V128, V128) = simd::name; \
  SETVEC(1, fn(VEC(2), VEC(3), VEC(4)))
#define SIMD_SHAPE_Test(name)         \
  u32 (*const fn)(V128) = simd::name; \
  SET32(1, fn(VEC(2)))
#define SIMD_SHAPE_Shift(name)              \
  V128 (*const fn)(V128, u32) = simd::name; \
  SETVEC(1, fn(VEC(2), U32(3)))
#define SIMD_SHAPE_SplatI32(name)     \
  V128 (*const fn)(u32) = simd::name; \
  SETVEC(1, fn(U32(2)))
#define SIMD_SHAPE_SplatF32(name)     \
  V128 (*const fn)(u32) = simd::name; \
  SETVEC(1, fn(U32(2)))
#define SIMD_SHAPE_SplatI64(name)     \
  V128 (*const fn)(u64) = simd::name; \
  SETVEC(1, fn(U64(2)))
#define SIMD_SHAPE_SplatF64(name)     \
  V128 (*const fn)(u64) = simd::name; \
  SETVEC(1, fn(U64(2)))
#define SIMD_LANE_OP_HANDLER(name, code, shape) \
  HANDLER(name) {                               \
    SIMD_SHAPE_##shape(name);                   \
    NEXT_INSTRUCTION();                         \
  }
WASM_SIMD_LANE_OPS(SIMD_LANE_OP_HANDLER)

const HandlerFn kHandlers[] = {
#define WASM_OP_HANDLER(name, signature) &Handler<Op::name>::run,
#define WASM_LANE_OP_HANDLER(name, code, shape) &Handler<Op::name>::run,
    WASM_CONTROL_OPS(WASM_OP_HANDLER) WASM_MEMORY_OPS(WASM_OP_HANDLER)
        WASM_MEMORY_INDEXED_OPS(WASM_OP_HANDLER) WASM_NUMERIC_OPS(WASM_OP_HANDLER)
            WASM_SIMD_OPS(WASM_OP_HANDLER) WASM_SIMD_LANE_OPS(WASM_LANE_OP_HANDLER)
#undef WASM_OP_HANDLER
#undef WASM_LANE_OP_HANDLER
};
static_assert(sizeof(kHandlers) / sizeof(kHandlers[0]) == static_cast<usize>(Op::Count));

const char* const kNames[] = {
#define WASM_OP_NAME(name, signature) #name,
#define WASM_LANE_OP_NAME(name, code, shape) #name,
    WASM_CONTROL_OPS(WASM_OP_NAME) WASM_MEMORY_OPS(WASM_OP_NAME)
        WASM_MEMORY_INDEXED_OPS(WASM_OP_NAME) WASM_NUMERIC_OPS(WASM_OP_NAME)
            WASM_SIMD_OPS(WASM_OP_NAME) WASM_SIMD_LANE_OPS(WASM_LANE_OP_NAME)
#undef WASM_OP_NAME
#undef WASM_LANE_OP_NAME
};

}  // namespace

u64 op_word(Op op) { return reinterpret_cast<u64>(kHandlers[static_cast<u32>(op)]); }
const char* op_name(Op op) { return op < Op::Count ? kNames[static_cast<u32>(op)] : "?"; }

Op word_op(u64 word) {
  for (u32 i = 0; i < static_cast<u32>(Op::Count); ++i)
    if (reinterpret_cast<u64>(kHandlers[i]) == word) return static_cast<Op>(i);
  return Op::Count;
}

// ---------------------------------------------------------------- Execution

Execution::~Execution() {
  delete[] stack_;
  delete[] frames_;
#if WARDEN_WASM_CHECKED
  delete[] types_;
#endif
  store_.uncharge(stack_cost(stack_slots_) + frames_cost(frame_capacity_));
}

bool Execution::ensure_stack(u64 fp_offset, u64 slots) {
  u64 need = fp_offset + slots;
  if (need <= stack_slots_) return true;
  if (need > store_.config().max_stack_slots) return false;
  u64 cap = stack_slots_ == 0 ? store_.config().initial_stack_slots : stack_slots_;
  if (cap == 0) cap = 1;
  while (cap < need) cap *= 2;
  if (cap > store_.config().max_stack_slots) cap = store_.config().max_stack_slots;
  // Charged for the new stack before it is allocated; the old one's charge goes with it.
  if (!store_.charge(stack_cost(cap))) return false;
  u64* fresh = new (std::nothrow) u64[cap];
  if (fresh == nullptr) {
    store_.uncharge(stack_cost(cap));
    return false;
  }
#if WARDEN_WASM_CHECKED
  u8* fresh_types = new (std::nothrow) u8[cap];
  if (fresh_types == nullptr) {
    delete[] fresh;
    store_.uncharge(stack_cost(cap));
    return false;
  }
  __builtin_memset(fresh_types, 0, cap);
  if (stack_slots_ != 0) __builtin_memcpy(fresh_types, types_, stack_slots_);
  delete[] types_;
  types_ = fresh_types;
#endif
  store_.uncharge(stack_cost(stack_slots_));
  if (stack_slots_ != 0) __builtin_memcpy(fresh, stack_, stack_slots_ * sizeof(u64));
  if (pending_active_ && pending_fp_ != nullptr) {
    // keep the pending call's view consistent
    pending_fp_ = fresh + (pending_fp_ - stack_);
  }
  delete[] stack_;
  stack_ = fresh;
  stack_slots_ = cap;
  return true;
}

Result<void> Execution::start(FuncInst* func, Span<const u64> args) {
  entry_ = func;
  frame_count_ = 0;
  trap_ = TrapKind::None;
  trap_ip_ = nullptr;
  pending_active_ = false;
  bulk_ip_ = nullptr;
  u64 slots = slot_count(func->type->params()) + slot_count(func->type->results()) + 1;
  if (func->code != nullptr && func->code->frame_slots > slots) slots = func->code->frame_slots;
  if (!ensure_stack(0, slots)) return support::Error::NoMemory;
  for (u32 i = 0; i < args.size(); ++i) stack_[i] = args[i];
#if WARDEN_WASM_CHECKED
  func_ = func;
  if (func->code != nullptr) enter_frame(this, func, stack_);  // the arguments as declared
#endif
  if (func->code != nullptr) {
    for (u32 i = func->code->param_slots; i < func->code->local_count; ++i) stack_[i] = 0;
    instance_ = func->instance;
    ip_ = func->code->code.data();
  } else {
    instance_ = nullptr;
    ip_ = nullptr;
  }
  fp_offset_ = 0;
  status_ = RunStatus::OutOfFuel;  // not started
  return {};
}

RunStatus Execution::run(i64 fuel) {
  if (status_ == RunStatus::Done || status_ == RunStatus::Trap || status_ == RunStatus::Exit)
    return status_;
  if (status_ == RunStatus::HostPending && pending_active_) return status_;
  fuel_ = fuel;
  if (ip_ == nullptr) {
    // A host function called directly.
    if (entry_ == nullptr || entry_->host == nullptr) return status_ = RunStatus::Done;
    u32 np = slot_count(entry_->type->params()), nr = slot_count(entry_->type->results());
    if (!ensure_stack(0, np + nr + 1)) {
      trap_ = TrapKind::StackExhausted;
      return status_ = RunStatus::Trap;
    }
    pending_ = HostCall{this, entry_, Span<const u64>(stack_, np), Span<u64>(stack_ + np, nr), 0};
    HostStatus s = entry_->host(entry_->host_env, pending_);
    if (s == HostStatus::Ok) {
      for (u32 i = 0; i < nr; ++i) stack_[i] = stack_[np + i];
      result_count_ = nr;
      return status_ = RunStatus::Done;
    }
    if (s == HostStatus::Trap) {
      trap_ = TrapKind::HostTrap;
      return status_ = RunStatus::Trap;
    }
    if (s == HostStatus::Exit) {
      exit_code_ = pending_.exit_code;
      return status_ = RunStatus::Exit;
    }
    pending_active_ = true;  // completing it finishes the execution (there is no caller)
    pending_fp_ = stack_;
    return status_ = RunStatus::HostPending;
  }
  u8* mem = nullptr;
  u64 msize = 0;
  load_memory(this, mem, msize);
  u64* fp = stack_ + fp_offset_;
  status_ = reinterpret_cast<HandlerFn>(ip_[0])(ip_, fp, this, mem, msize);
  if (status_ == RunStatus::Trap) trap_module_ = instance_ ? instance_->module : nullptr;
  return status_;
}

void Execution::complete_host_call(HostStatus status) {
  if (!pending_active_) return;
  pending_active_ = false;
  u32 np = slot_count(pending_.func->type->params());
  u32 nr = slot_count(pending_.func->type->results());
  u64* nfp = pending_fp_;
  switch (status) {
    case HostStatus::Ok:
      for (u32 i = 0; i < nr; ++i) nfp[i] = nfp[np + i];
#if WARDEN_WASM_CHECKED
      type_host_results(this, pending_.func, nfp);
#endif
      if (ip_ == nullptr) {  // a host function called directly: done
        result_count_ = nr;
        status_ = RunStatus::Done;
      } else {
        status_ = RunStatus::OutOfFuel;  // runnable
      }
      break;
    case HostStatus::Trap:
      trap_ = TrapKind::HostTrap;
      trap_ip_ = ip_;
      status_ = RunStatus::Trap;
      break;
    case HostStatus::Exit:
      exit_code_ = pending_.exit_code;
      status_ = RunStatus::Exit;
      break;
    case HostStatus::Pending: pending_active_ = true; break;
  }
}

bool Execution::trap_location(u32* func_index, u32* wasm_offset) const {
  if (trap_ip_ == nullptr || instance_ == nullptr) return false;
  return instance_->module->locate(trap_ip_, func_index, wasm_offset);
}

u32 Execution::backtrace(Span<BacktraceFrame> out) const {
  u32 n = 0;
  u32 fi, off;
  if (n < out.size() && trap_location(&fi, &off)) out[n++] = {instance_, fi, off};
  for (u32 i = frame_count_; i > 0 && n < out.size(); --i) {
    const Frame& f = frames_[i - 1];
    if (f.instance != nullptr && f.instance->module->locate(f.ret_ip, &fi, &off))
      out[n++] = {f.instance, fi, off};
  }
  return n;
}

const FuncInst* Execution::trap_function() const {
  u32 fi, off;
  if (!trap_location(&fi, &off)) return nullptr;
  return instance_->funcs[fi];
}

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::Done: return "done";
    case RunStatus::Trap: return "trap";
    case RunStatus::OutOfFuel: return "out of fuel";
    case RunStatus::Interrupted: return "interrupted";
    case RunStatus::HostPending: return "host call pending";
    case RunStatus::Exit: return "exit";
  }
  return "?";
}

const char* trap_message(TrapKind kind) {
  switch (kind) {
    case TrapKind::None: return "no trap";
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::UndefinedElement: return "undefined element";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::NullReference: return "null reference";
    case TrapKind::StackExhausted: return "call stack exhausted";
    case TrapKind::HostTrap: return "host trap";
    case TrapKind::Unlinkable: return "unlinkable";
  }
  return "?";
}

}  // namespace wasm

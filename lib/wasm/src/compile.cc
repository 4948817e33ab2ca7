// Decoder, validator and translator: one pass over the module bytes. Function bodies are
// validated and translated to internal code (code.h) together, with explicit control and operand
// stacks, so that nesting depth never uses the C stack. The pass can stop between sections,
// between functions and between two instructions of a body, and resume later (Compiler::step,
// behind wasm::Compilation); everything it needs to resume is in the Compiler's members.
#include <support/new.h>
#include <wasm/module.h>

#include "code.h"
#include "opcode.h"

namespace wasm {

namespace {

constexpr ValType kUnknown = static_cast<ValType>(0);
constexpr u32 kNone = 0xffffffffu;

// Section ids in the binary format.
enum class SectionId : u8 {
  Custom,
  Type,
  Import,
  Function,
  Table,
  Memory,
  Global,
  Export,
  Start,
  Elem,
  Code,
  Data,
  DataCount,
};

constexpr u8 kEmptyBlockType = 0x40;  // a block type without parameters or results
constexpr u8 kFuncTypeForm = 0x60;    // starts a function type

// The internal operations of the numeric, memory and saturating truncation instructions are in
// the order of their opcodes (checked name by name below).
constexpr Op numeric_op(Opcode op) {
  return static_cast<Op>(static_cast<u32>(Op::I32Eqz) +
                         (static_cast<u32>(op) - static_cast<u32>(Opcode::I32Eqz)));
}
constexpr Op memory_op_of(Opcode op) {
  return static_cast<Op>(static_cast<u32>(Op::I32Load) +
                         (static_cast<u32>(op) - static_cast<u32>(Opcode::I32Load)));
}
constexpr Op trunc_sat_op(PrefixedOpcode op) {
  return static_cast<Op>(static_cast<u32>(Op::I32TruncSatF32S) + static_cast<u32>(op));
}
#define WASM_CHECK_NUMERIC(name, byte) static_assert(numeric_op(Opcode::name) == Op::name);
#define WASM_CHECK_MEMORY(name, byte) static_assert(memory_op_of(Opcode::name) == Op::name);
#define WASM_CHECK_TRUNC_SAT(name, code) \
  static_assert(trunc_sat_op(PrefixedOpcode::name) == Op::name);
WASM_NUMERIC_OPCODES(WASM_CHECK_NUMERIC)
WASM_LOAD_STORE_OPCODES(WASM_CHECK_MEMORY)
WASM_TRUNC_SAT_OPCODES(WASM_CHECK_TRUNC_SAT)
#undef WASM_CHECK_NUMERIC
#undef WASM_CHECK_MEMORY
#undef WASM_CHECK_TRUNC_SAT

bool is_val_type(u8 b) {
  auto t = static_cast<ValType>(b);
  return t == ValType::I32 || t == ValType::I64 || t == ValType::F32 || t == ValType::F64 ||
         t == ValType::V128 || t == ValType::FuncRef || t == ValType::ExternRef;
}

// The constant expression of a constant instruction of type `t`.
ConstExpr::Op const_expr_op(ValType t) {
  switch (t) {
    case ValType::I32: return ConstExpr::Op::I32;
    case ValType::I64: return ConstExpr::Op::I64;
    case ValType::F32: return ConstExpr::Op::F32;
    case ValType::F64: return ConstExpr::Op::F64;
    case ValType::V128: return ConstExpr::Op::V128;
    default: return ConstExpr::Op::RefNull;
  }
}

bool utf8_valid(const u8* s, u32 n) {
  u32 i = 0;
  while (i < n) {
    u8 c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    u32 len, cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (u32 k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// A value on the operand stack. Its own slots follow those of the entry below it (the first
// entry's follow the locals): one slot, two for a v128 (slot_count), so `own` is a function of
// the types below; Compiler::own_slot.
struct Entry {
  ValType type;
  u32 slot;  // byte offset of where the value lives (its own slot, or a local it aliases)
  u32 own;   // byte offset of its own slot (where it is materialized)
};

enum class CtrlKind : u8 { Block, Loop, If, Else, Function };

struct Ctrl {
  CtrlKind kind;
  bool unreachable;
  bool dead;  // inside code that is never emitted
  u32 height;
  // block type
  u32 param_count;
  u32 result_count;
  const ValType* params;
  const ValType* results;
  ValType single;  // storage for a one-result block type
  bool single_result;
  const ValType* res() const { return single_result ? &single : results; }
  u32 loop_start;
  u32 fixups;      // head of the fixup chain (index into fixup pool) or kNone
  u32 else_fixup;  // word position of the `if`'s branch-to-else offset, or kNone
  u32 else_base;
};

// A call's form: call and call_indirect, or return_call and return_call_indirect.
enum class CallForm : u8 { Plain, Tail };

struct Fixup {
  u32 word;  // word to patch with (target - base)
  u32 base;
  u32 next;
};

// The operation with an immediate second operand that a binary operation becomes when its second
// operand is the constant emitted last; Op::Count if it has none.
constexpr Op imm_variant(Op op) {
  if (op_in(op, Op::I32Eq, Op::I32GeU)) return compare_in(op, Op::I32Eq, Op::I32EqImm);
  switch (op) {
    case Op::I32Add: return Op::I32AddImm;
    case Op::I32Sub: return Op::I32SubImm;
    case Op::I32Mul: return Op::I32MulImm;
    case Op::I32And: return Op::I32AndImm;
    case Op::I32Or: return Op::I32OrImm;
    case Op::I32Xor: return Op::I32XorImm;
    case Op::I32Shl: return Op::I32ShlImm;
    case Op::I32ShrS: return Op::I32ShrSImm;
    case Op::I32ShrU: return Op::I32ShrUImm;
    case Op::I64Add: return Op::I64AddImm;
    case Op::I64Sub: return Op::I64SubImm;
    case Op::I64Mul: return Op::I64MulImm;
    case Op::I64And: return Op::I64AndImm;
    case Op::I64Or: return Op::I64OrImm;
    case Op::I64Xor: return Op::I64XorImm;
    case Op::I64Shl: return Op::I64ShlImm;
    case Op::I64ShrS: return Op::I64ShrSImm;
    case Op::I64ShrU: return Op::I64ShrUImm;
    default: return Op::Count;
  }
}

// Whether the peephole record of the instruction before reaches instruction `op`: the ones that
// may use it (a binary operation taking a constant as its immediate, local.set and local.tee
// retargeting a result, br_if and if fusing a comparison, i32x4.extend_low_i16x8_u/s fusing the
// i16x8.extend_low_i8x16_u/s before it; each ends the record) and the ones
// that emit nothing and leave the top entry as it is (nop, and the reinterpretations, which
// retype it in place). Every other instruction changes the operand stack's shape (control flow,
// drop, local.get) or emits code of its own.
constexpr bool peephole_reaches(Opcode op) {
  switch (op) {
    case Opcode::LocalSet:
    case Opcode::LocalTee:
    case Opcode::BrIf:
    case Opcode::If:
    case Opcode::Nop:
    case Opcode::I32ReinterpretF32:
    case Opcode::I64ReinterpretF64:
    case Opcode::F32ReinterpretI32:
    case Opcode::F64ReinterpretI64:
    case Opcode::PrefixSimd: return true;  // Compiler::simd lets only a fusing one keep it
    default:
      return op >= Opcode::I32Eqz && op <= Opcode::I64Extend32S &&
             imm_variant(numeric_op(op)) != Op::Count;
  }
}

// Operand words as the translator emits them: one type per kind of signature letter (code.h,
// Operand). Compiler::emit_instr checks by static_assert that an instruction's operands are of
// the kinds and in the order of its operation's signature, and the handlers read them through
// accessors checked against the same signatures (interp.cc), so the translator and the
// interpreter cannot disagree on what a position holds.
struct Dst {  // a slot the operation writes
  static constexpr Operand kKind = Operand::Written;
  u32 slot;
};
struct Src {  // a slot it reads
  static constexpr Operand kKind = Operand::Read;
  u32 slot;
};
struct Word {  // a word that is not a slot: an immediate, an index, a count, a branch offset
  static constexpr Operand kKind = Operand::Word;
  u64 value;
};
struct TypeWord {  // the type word (emitted in checked builds only)
  static constexpr Operand kKind = Operand::Type;
  ValType type;
};

// Whether the signature of `op` is exactly these operand kinds.
template <typename... Operands> constexpr bool has_operands(Op op) {
  constexpr Operand kinds[] = {Operands::kKind..., Operand::None};
  if (operand_count(op) != sizeof...(Operands)) return false;
  for (u32 i = 0; i < sizeof...(Operands); ++i)
    if (operand(op, i + 1) != kinds[i]) return false;
  return true;
}
// Whether every operation from `first` to `last` has these operand kinds.
template <typename... Operands> constexpr bool all_have_operands(Op first, Op last) {
  for (u32 k = op_index(first); k <= op_index(last); ++k)
    if (!has_operands<Operands...>(static_cast<Op>(k))) return false;
  return true;
}
// The numeric operations (numeric() emits them by their signatures): a result and one or two
// operands.
#define WASM_CHECK_NUMERIC_OPERANDS(name, signature)                                       \
  static_assert(has_operands<Dst, Src>(Op::name) || has_operands<Dst, Src, Src>(Op::name), \
                "numeric operations write one slot and read one or two");
WASM_NUMERIC_OPS(WASM_CHECK_NUMERIC_OPERANDS)
#undef WASM_CHECK_NUMERIC_OPERANDS

// The value type a numeric signature letter names (i32, i64, f32, f64, v128; either case).
constexpr ValType numeric_type(char letter) {
  switch (letter | 0x20) {
    case 'i': return ValType::I32;
    case 'l': return ValType::I64;
    case 'f': return ValType::F32;
    case 'v': return ValType::V128;
    default: return ValType::F64;
  }
}

// The lane-wise SIMD operations (simd_lane_op emits them by their signatures): a result and one
// to three operands.
#define WASM_CHECK_LANE_OPERANDS(name, code, shape)                                          \
  static_assert(has_operands<Dst, Src>(Op::name) || has_operands<Dst, Src, Src>(Op::name) || \
                    has_operands<Dst, Src, Src, Src>(Op::name),                              \
                "lane-wise operations write one slot and read one to three");
WASM_SIMD_LANE_OPS(WASM_CHECK_LANE_OPERANDS)
#undef WASM_CHECK_LANE_OPERANDS

// The natural alignment of a load or store, in bytes.
constexpr u32 natural_alignment(Opcode op) {
  switch (op) {
    case Opcode::I32Load8S:
    case Opcode::I32Load8U:
    case Opcode::I64Load8S:
    case Opcode::I64Load8U:
    case Opcode::I32Store8:
    case Opcode::I64Store8: return 1;
    case Opcode::I32Load16S:
    case Opcode::I32Load16U:
    case Opcode::I64Load16S:
    case Opcode::I64Load16U:
    case Opcode::I32Store16:
    case Opcode::I64Store16: return 2;
    case Opcode::I64Load:
    case Opcode::F64Load:
    case Opcode::I64Store:
    case Opcode::F64Store: return 8;
    default: return 4;
  }
}

// The peephole rules rewrite the instruction emitted last; Peephole is what the translator knows
// about that instruction, and nothing else:
// - a result: the instruction wrote the top stack entry into that entry's own slot through its
//   first operand (every operation with a result has it first, code.h), so a local.set/tee of
//   the entry may retarget that operand into the local instead of copying;
// - a constant: it was a Const of value(), which the next binary operation may take as its
//   immediate operand (the Const is then removed);
// - a comparison: it was an i32 comparison compare_op() a() b(), which a br_if/if on the entry
//   may fuse into a compare-and-branch (the comparison is then removed);
// - a result of i16x8.extend_low_i8x16_u/s (the operation word says which), which
//   i32x4.extend_low_i16x8_u/s of the same signedness on the entry fuses into one widening of
//   bytes 0..3 reading the first one's operand (the first one is then removed).
//
// The invariant: the record describes the top stack entry only while
// (1) the instruction is still the last code emitted: every emitted operation resets the record
//     (Compiler::emit_op), and each use checks that the code ends where the instruction did;
// (2) no label was placed after it: a branch arriving there brings another value, and removing
//     the instruction would move code a branch already targets;
// (3) the entry it wrote is still the top of the operand stack, in the slot the instruction
//     wrote: each use also checks that the instruction's result operand is the slot about to be
//     read.
// Compiler::instruction() keeps (2) and (3): the record reaches only the instruction right after
// the one it describes, and only one that may use it (which then ends it) or that emits nothing
// and leaves the top entry as it is (peephole_reaches); before any other instruction (control
// flow, drop, any operation that is not fused) it is reset.
class Peephole {
 public:
  enum class Kind : u8 { Result, Const, Compare };

  // Ends the record: nothing may use the instruction emitted last.
  void reset() { end_ = kNone; }
  // Records the instruction code[start..] just emitted; its first operand is its result's slot.
  void record_result(const Vector<u64>& code, u32 start) { record(Kind::Result, code, start); }
  void record_const(const Vector<u64>& code, u32 start, u64 value) {
    record(Kind::Const, code, start);
    value_ = value;
  }
  void record_compare(const Vector<u64>& code, u32 start, Op op, u64 a, u64 b) {
    record(Kind::Compare, code, start);
    op_ = op;
    a_ = a;
    b_ = b;
  }

  // Whether the instruction emitted last is recorded and wrote `slot` (any kind: each writes a
  // result), or is of kind `kind` and wrote `slot`.
  bool wrote(const Vector<u64>& code, u32 slot) const {
    return end_ != kNone && end_ == code.size() && code[start_ + 1] == slot;
  }
  bool wrote(Kind kind, const Vector<u64>& code, u32 slot) const {
    return kind_ == kind && wrote(code, slot);
  }
  // The recorded instruction: its result operand's word, and what the kinds record.
  u32 result_word() const { return start_ + 1; }
  u64 value() const { return value_; }
  Op compare_op() const { return op_; }
  u64 a() const { return a_; }
  u64 b() const { return b_; }

  // Removes the recorded instruction, fused into the one about to be emitted, and ends the
  // record.
  void remove(Vector<u64>& code, Vector<CodeMapEntry>& map) {
    code.shrink_to(start_);
    map.pop_back();
    reset();
  }

 private:
  void record(Kind kind, const Vector<u64>& code, u32 start) {
    kind_ = kind;
    start_ = start;
    end_ = static_cast<u32>(code.size());
  }

  u32 end_ = kNone;  // the code size right after the instruction; kNone: no record
  u32 start_ = 0;
  Kind kind_ = Kind::Result;
  u64 value_ = 0;      // Const: the bits
  Op op_ = Op::Count;  // Compare: the operation (plain or with an immediate) and its operands
  u64 a_ = 0, b_ = 0;
};

class Compiler {
 public:
  explicit Compiler(Module& m) : m_(m) {}

  // Does one unit of work (the header, a section other than code, a function's prologue, one
  // instruction) and then more while fewer than `budget` bytes of the module were consumed; sets
  // `done` once the module is complete. False on an error (error() says which; every later call
  // fails again).
  bool step(u64 budget, bool& done);
  CompileError error() const { return error_; }
  u32 position() const { return pos_; }
  // What the compilation allocated (see Compilation::set_memory_limit).
  void set_memory_limit(u64 bytes) { memory_limit_ = bytes; }
  void set_features(const Features& features) { features_ = features; }
  u64 memory_used() const { return memory_used_; }
  bool charge(u64 bytes) {
    if (bytes > memory_limit_ || memory_used_ > memory_limit_ - bytes)
      return fail(ErrorKind::Limit, pos_, kOverMemoryLimit);
    memory_used_ += bytes;
    return true;
  }
  bool done() const { return phase_ == Phase::Done; }

 private:
  // ---- errors ----
  bool fail(ErrorKind kind, u32 offset, const char* message) {
    if (!failed_) {
      failed_ = true;
      error_ = {kind, offset, message};
    }
    return false;
  }
  bool malformed(const char* message) { return fail(ErrorKind::Malformed, pos_, message); }
  bool invalid(const char* message) { return fail(ErrorKind::Invalid, op_offset_, message); }
  bool no_memory() { return fail(ErrorKind::NoMemory, pos_, "out of memory"); }
  // Charges the growth of `v` to `size` elements (Vector doubles its capacity).
  template <typename T> bool charge_growth(const Vector<T>& v, usize size) {
    if (size <= v.capacity()) return true;
    usize next = v.capacity() < 4 ? 4 : v.capacity() * 2;
    if (next < size) next = size;
    return charge(allocation_cost(next * sizeof(T)) - allocation_cost(v.capacity() * sizeof(T)));
  }
  template <typename T> bool push(Vector<T>& v, T value) {
    if (!charge_growth(v, v.size() + 1)) return false;
    if (v.try_push(support::move(value)).is_error()) return no_memory();
    return true;
  }

  // ---- reading ----
  bool byte(u8& out) {
    if (pos_ >= end_) return malformed("unexpected end");
    out = data_[pos_++];
    return true;
  }
  bool leb_u(u64& out, u32 bits) {
    u64 result = 0;
    u32 shift = 0;
    for (;;) {
      u8 b;
      if (pos_ >= end_) return malformed("unexpected end of LEB128");
      b = data_[pos_++];
      if (shift + 7 >= bits && shift < 64) {
        // The last byte allowed: no continuation and no bits above `bits`.
        u32 used = bits - shift;
        if (b & 0x80) return malformed("integer representation too long");
        if (used < 7 && (b >> used) != 0) return malformed("integer too large");
        result |= static_cast<u64>(b) << shift;
        break;
      }
      result |= static_cast<u64>(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    out = result;
    return true;
  }
  bool leb_s(i64& out, u32 bits) {
    u64 result = 0;
    u32 shift = 0;
    u8 b;
    for (;;) {
      if (pos_ >= end_) return malformed("unexpected end of LEB128");
      b = data_[pos_++];
      if (shift + 7 >= bits) {
        if (b & 0x80) return malformed("integer representation too long");
        u32 used = bits - shift;  // 1..7 value bits in this byte, the rest sign copies
        u8 sign_and_rest = static_cast<u8>(b >> (used - 1));
        u8 all = static_cast<u8>(0x7f >> (used - 1));
        if (sign_and_rest != 0 && sign_and_rest != all) return malformed("integer too large");
        result |= static_cast<u64>(b & 0x7f) << shift;
        shift += 7;
        break;
      }
      result |= static_cast<u64>(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (shift < 64 && (b & 0x40)) result |= ~u64{0} << shift;
    out = static_cast<i64>(result);
    return true;
  }
  bool u32_(u32& out) {
    u64 v;
    if (!leb_u(v, 32)) return false;
    out = static_cast<u32>(v);
    return true;
  }
  // The flags that start an element or data segment: at most `max`.
  bool segment_flags(u32& flags, u32 max, const char* malformed_kind) {
    op_offset_ = pos_;
    if (!u32_(flags)) return false;
    if (flags > max) return malformed(malformed_kind);
    return true;
  }
  // A vector of at most `max` items (else the implementation limit `too_many`), each read by
  // `item()`.
  template <typename Item> bool items(u32 max, const char* too_many, Item item) {
    u32 n;
    if (!length(n, max, too_many)) return false;
    for (u32 i = 0; i < n; ++i)
      if (!item()) return false;
    return true;
  }
  // A vector's length, at most `max` (else the implementation limit `too_many`).
  bool length(u32& n, u32 max, const char* too_many) {
    if (!u32_(n)) return false;
    if (n > max) return fail(ErrorKind::Limit, pos_, too_many);
    return true;
  }
  bool bytes_fixed(u32 n, u64& out) {
    if (end_ - pos_ < n) return malformed("unexpected end");
    u64 v = 0;
    for (u32 i = 0; i < n; ++i) v |= static_cast<u64>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    out = v;
    return true;
  }
  bool name(Name& out) {
    u32 n;
    if (!u32_(n)) return false;
    if (end_ - pos_ < n) return malformed("unexpected end (length out of bounds)");
    if (!utf8_valid(data_ + pos_, n)) return malformed("malformed UTF-8 encoding");
    out = {pos_, n};
    pos_ += n;
    return true;
  }
  bool val_type(ValType& out) {
    u8 b;
    if (!byte(b)) return false;
    if (!is_val_type(b)) return fail(ErrorKind::Malformed, pos_ - 1, "malformed value type");
    out = static_cast<ValType>(b);
    return true;
  }
  bool ref_type(ValType& out) {
    u8 b;
    if (!byte(b)) return false;
    if (!is_ref(static_cast<ValType>(b)))
      return fail(ErrorKind::Malformed, pos_ - 1, "malformed reference type");
    out = static_cast<ValType>(b);
    return true;
  }
  // Limits flags: bit 0 a maximum follows, bit 2 i64 addresses (memory64 and table64);
  // shared memories are not supported (malformed, as in 2.0). The bounds are u64 LEB128 numbers
  // (3.0), whose size the memory or table type validates; with features_.memory64 off (2.0) only
  // flags 0 and 1 exist and the bounds are u32 numbers.
  bool limits(Limits& out, bool& address64) {
    u8 flags;
    if (!byte(flags)) return false;
    if ((flags & ~0x05u) != 0 || (!features_.memory64 && (flags & 0x04)))
      return malformed("integer too large (limits flags)");
    address64 = (flags & 0x04) != 0;
    u32 bits = features_.memory64 ? 64 : 32;
    u64 v;
    if (!leb_u(v, bits)) return false;
    out.min = v;
    out.has_max = (flags & 0x01) != 0;
    if (out.has_max) {
      if (!leb_u(v, bits)) return false;
      out.max = v;
    }
    return true;
  }
  bool table_type(TableType& t) {
    if (!ref_type(t.elem)) return false;
    u32 at = pos_;
    if (!limits(t.limits, t.address64)) return false;
    if (!t.address64 &&
        (t.limits.min > 0xffffffffu || (t.limits.has_max && t.limits.max > 0xffffffffu)))
      return fail(ErrorKind::Invalid, at, "table size must be at most 2^32-1");
    if (t.limits.has_max && t.limits.min > t.limits.max)
      return fail(ErrorKind::Invalid, at, "size minimum must not be greater than maximum");
    return true;
  }
  bool memory_type(MemoryType& t) {
    u32 at = pos_;
    if (!limits(t.limits, t.address64)) return false;
    u64 bound = t.address64 ? kMaxMemory64Pages : kMaxMemoryPages;
    if (t.limits.min > bound || (t.limits.has_max && t.limits.max > bound))
      return fail(ErrorKind::Invalid, at,
                  t.address64 ? "memory size must be at most 2^48 pages"
                              : "memory size must be at most 65536 pages (4GiB)");
    if (t.limits.has_max && t.limits.min > t.limits.max)
      return fail(ErrorKind::Invalid, at, "size minimum must not be greater than maximum");
    return true;
  }
  bool global_type(GlobalType& t) {
    if (!val_type(t.type)) return false;
    u8 m;
    if (!byte(m)) return false;
    if (m > 1) return fail(ErrorKind::Malformed, pos_ - 1, "malformed mutability");
    t.mutable_ = m == 1;
    return true;
  }
  bool const_expr(ConstExpr& e, ValType expected);
  bool const_instruction(Opcode op, ConstExpr& instr);
  bool const_binary(ConstExpr::Op kind, ValType t, ConstExpr& instr);

  // ---- sections ----
  bool section_type();
  bool section_import();
  bool import_entry();
  bool section_function();
  bool section_table();
  bool section_memory();
  bool section_global();
  bool section_export();
  bool section_start();
  bool section_elem();
  bool elem_segment();
  bool section_code();
  bool section_data();
  bool section_custom(u32 start, u32 size);
  bool header();
  bool section();         // one section, or the start of the code section (phase_ = Code)
  bool section_finish();  // the checks after a section's contents
  // Function i of the code section, or as much of it as comes before `pause_at` (then
  // `paused`; the next call continues it).
  bool code_entry(u32 i, u32 pause_at, bool& paused);
  bool finish();  // the checks after the last section

  // ---- function bodies ----
  bool body_begin(Function& f);  // the locals and the function's control frame
  // Instructions until the end of the body, or until one would start at or after `pause_at`
  // (then `paused`, to continue with the next call).
  bool body_ops(u32 pause_at, bool& paused);
  bool instruction(Opcode op);
  bool body_finish(Function& f);  // the checks after the body, the frame size
  bool live() const { return !ctrls_.back().unreachable && !ctrls_.back().dead; }
  // The byte offset of the own slot of the entry at `height` (at most the stack's height): after
  // the entry below it, or after the locals.
  u32 own_slot(u32 height) const {
    if (height == 0) return local_count_ * 8;
    const Entry& below = stack_[height - 1];
    return below.own + slot_count(below.type) * 8;
  }
  // The byte offset of value `i` of a branch to `target` (the label's slots follow the entries
  // below the construct).
  u32 label_slot(const Ctrl& target, u32 i) const {
    Span<const ValType> types = label_types(target);
    u32 slot = own_slot(target.height);
    for (u32 k = 0; k < i; ++k) slot += slot_count(types[k]) * 8;
    return slot;
  }
  u32 local_slot(u32 index) const { return local_slots_[index]; }
  // Emits an instruction of `op` with these operands, which must be its signature's (code.h).
  template <Op op, typename... Operands> bool emit_instr(Operands... operands) {
    static_assert(has_operands<Operands...>(op),
                  "the operands differ from the operation's signature in code.h");
    return emit_op(op) && (emit_operand(operands) && ...);
  }
  // The same for `op`, one of first..last, whose signatures must all be these operands.
  template <Op first, Op last, typename... Operands>
  bool emit_instr_of(Op op, Operands... operands) {
    static_assert(all_have_operands<Operands...>(first, last),
                  "the operands differ from an operation's signature in code.h");
    if (!op_in(op, first, last)) support_must_failed("op_in(op, first, last)", __FILE__, __LINE__);
    return emit_op(op) && (emit_operand(operands) && ...);
  }
  // A numeric operation with its operands: `b` only where its signature has a second one.
  bool emit_numeric(Op op, Dst dst, Src a, Src b) {
    return emit_op(op) && emit_operand(dst) && emit_operand(a) &&
           (operand_count(op) == 2 || emit_operand(b));
  }
  bool emit_copy(u32 dst, u32 src, ValType t) {
    if (t == ValType::V128) return emit_instr<Op::V128Copy>(Dst{dst}, Src{src});
    return emit_instr<Op::Copy>(Dst{dst}, Src{src}, TypeWord{t});
  }
  // A bulk operation on a range: pops its destination, source (or value) and length, all i32,
  // and emits `op` with `words` and them.
  template <Op op, typename... Words> bool range_op(Words... words) {
    Entry d, s, n;
    if (!pop(ValType::I32, n) || !pop(ValType::I32, s) || !pop(ValType::I32, d)) return false;
    return !live() || emit_instr<op>(words..., Src{d.slot}, Src{s.slot}, Src{n.slot});
  }
  // Pushes a result of type `t` in its own slot and, where the code is live, emits the
  // instruction that writes it (`emit_it(Dst)`) and records that for the peephole rules.
  template <typename Emit> bool result(ValType t, Emit emit_it) {
    if (!push_own(t)) return false;
    if (!live()) return true;
    u32 start = static_cast<u32>(code_->size());
    if (!emit_it(Dst{stack_.back().slot})) return false;
    peephole_.record_result(*code_, start);
    return true;
  }
  // The raw words, for emit_instr, emit_instr_of and emit_numeric (and br_table's targets): the
  // word that starts an instruction (an emitted operation ends the peephole record), operands.
  bool emit_op(Op op) {
    peephole_.reset();
    if (!push(*map_, CodeMapEntry{static_cast<u32>(code_->size()), op_offset_})) return false;
    return emit(op_word(op));
  }
  bool emit_operand(Dst d) { return emit(d.slot); }
  bool emit_operand(Src s) { return emit(s.slot); }
  bool emit_operand(Word w) { return emit(w.value); }
  bool emit_operand(TypeWord t) {
    if constexpr (kTypeWords == 0) return true;
    return emit(static_cast<u64>(t.type));
  }
  bool emit(u64 w) {
    if (!charge_growth(*code_, code_->size() + 1)) return false;
    if (code_->try_push(w).is_error()) return no_memory();
    return true;
  }
  bool push_entry(ValType t, u32 slot) {
    u32 own = own_slot(static_cast<u32>(stack_.size()));
    if (!push(stack_, Entry{t, slot, own})) return false;
    u32 h = own / 8 - local_count_ + slot_count(t);  // operand slots in use
    if (h > max_height_) max_height_ = h;
    if (slot < local_count_ * 8) ++aliases_;
    return true;
  }
  bool push_own(ValType t) { return push_entry(t, own_slot(static_cast<u32>(stack_.size()))); }
  bool pop_any(Entry& out) {
    Ctrl& c = ctrls_.back();
    if (stack_.size() == c.height) {
      if (c.unreachable) {
        u32 own = own_slot(static_cast<u32>(stack_.size()));
        out = {kUnknown, own, own};
        return true;
      }
      return invalid("type mismatch: operand stack underflow");
    }
    out = stack_.back();
    if (out.slot < local_count_ * 8) --aliases_;
    stack_.pop_back();
    return true;
  }
  bool pop(ValType expected, Entry& out) {
    if (!pop_any(out)) return false;
    if (out.type != expected && out.type != kUnknown && expected != kUnknown)
      return invalid("type mismatch");
    return true;
  }
  bool pop(ValType expected) {
    Entry e;
    return pop(expected, e);
  }
  // Local aliases: local.get pushes an entry whose slot is the local itself (no copy). The
  // invariant: an entry aliases a local only while that local has not been written since the
  // local.get. So before the translator emits a write of a local (local.set/tee, a retarget into
  // it) every entry aliasing it is materialized, and before a label or control boundary (block,
  // loop, if) every alias is, because a write inside the construct would materialize only on
  // some paths. Branch copies and calls, which write slots, only write own slots.
  // Makes stack entry i live in its own slot (emits a copy if it aliases a local).
  bool materialize(u32 i) {
    Entry& e = stack_[i];
    u32 own = e.own;
    if (e.slot == own) return true;
    if (e.slot < local_count_ * 8) --aliases_;
    u32 src = e.slot;
    e.slot = own;
    if (!live()) return true;
    if (!emit_copy(own, src, e.type)) return false;
    return true;
  }
  bool materialize_all() {
    if (aliases_ == 0) return true;
    for (u32 i = 0; i < stack_.size(); ++i)
      if (!materialize(i)) return false;
    return true;
  }
  bool materialize_top(u32 n) {
    if (aliases_ == 0) return true;
    for (u32 i = static_cast<u32>(stack_.size()) - n; i < stack_.size(); ++i)
      if (!materialize(i)) return false;
    return true;
  }
  bool materialize_local(u32 slot) {
    if (aliases_ == 0) return true;
    for (u32 i = 0; i < stack_.size(); ++i)
      if (stack_[i].slot == slot && !materialize(i)) return false;
    return true;
  }
  bool add_fixup(Ctrl& target, u32 word, u32 base) {
    if (!push(fixups_, Fixup{word, base, target.fixups})) return false;
    target.fixups = static_cast<u32>(fixups_.size() - 1);
    return true;
  }
  void patch(u32 word, u32 base, u32 target) {
    (*code_)[word] = static_cast<u64>(static_cast<i64>(target) - static_cast<i64>(base));
  }
  bool block_type(Ctrl& c);
  bool push_ctrl(CtrlKind kind, Ctrl& proto);
  bool pop_params(Ctrl& c);  // pops the block's parameters; its height is what remains
  bool push_params(const Ctrl& c);
  bool branch_copies(Ctrl& target);
  bool end_arm(Ctrl& c);
  void patch_fixups(const Ctrl& c, u32 here);
  void recount_aliases();
  void rest_unreachable();
  bool label(Ctrl*& target);
  bool branch_and_end(Ctrl& target);
  bool type_label_operands(const Ctrl& target, u32 n);
  bool needs_copies(const Ctrl& target, u32 n) const;
  bool branch_always(Ctrl& target, u32 n);
  bool emit_br(Ctrl& target);
  bool emit_br_table(const Entry& index, const Vector<u32>& depths, u32 arity);
  bool emit_return(u32 n, u32 first_slot);
  bool emit_return_top(u32 n);
  bool emit_const(ValType t, u64 bits);
  bool emit_branch_if(const Entry& cond, bool taken_if, u32& base, u32& word);
  bool emit_call(const FuncType& ft, Op op, u32 a, u32 b, u32 index_slot);
  bool emit_branch(Ctrl& target, u32 base, u32 word);
  bool constant_immediate(Opcode op, ValType& type, u64& bits);
  bool memory_index(u32& mem);
  ValType address_type(u32 mem) const;  // of memory `mem`: i32 or i64
  bool data_segment(u32 seg);
  bool table_index(u32& t);
  bool global_index(u32& g);

  // ---- instructions (one method per instruction or family, in opcode order)
  bool unreachable();
  bool block(CtrlKind kind);  // block, loop
  bool if_();
  bool else_();
  bool end();
  bool br();
  bool br_if();
  bool br_table();
  bool return_();
  bool call(CallForm form);           // call, return_call
  bool call_indirect(CallForm form);  // call_indirect, return_call_indirect
  bool drop();
  bool select(bool typed);
  bool local_get();
  bool local_set(bool tee);  // local.set, local.tee
  bool global_get();
  bool global_set();
  bool table_get();
  bool table_set();
  bool load_store(Opcode op);
  bool memory_size();
  bool memory_grow();
  bool constant(Opcode op);  // i32/i64/f32/f64.const, ref.null
  bool numeric(Opcode op);
  bool ref_is_null();
  bool ref_func();
  bool prefixed(PrefixedOpcode op);  // after 0xfc
  bool trunc_sat(PrefixedOpcode op);
  bool memory_init();
  bool data_drop();
  bool memory_copy();
  bool memory_fill();
  bool table_init();
  bool elem_drop();
  bool table_copy();
  bool table_grow();
  bool table_size();
  bool table_fill();
  bool simd(SimdOpcode op);  // after 0xfd
  bool simd_memory(SimdOpcode op);
  bool simd_lane(SimdOpcode op);
  bool simd_shuffle();
  bool simd_lane_op(Op op);
  bool fuse_extend_low(Op op, bool& fused);
  bool lane_index(u32 lanes, u32& lane);

  Span<const ValType> label_types(const Ctrl& c) const {
    return c.kind == CtrlKind::Loop ? Span<const ValType>(c.params, c.param_count)
                                    : Span<const ValType>(c.res(), c.result_count);
  }
  u32 label_arity(const Ctrl& c) const { return static_cast<u32>(label_types(c).size()); }
  bool check_label(const Ctrl& target);
  bool binary_imm(Op op, ValType in, ValType out);
  bool numeric_operation(Op op);
  // A load or store's memory argument: its alignment flags (bit 6 set: a memory index follows),
  // the memory index and the offset. Validates the alignment against the access's natural size
  // (`natural` bytes), the memory index against the module's memories and the offset against the
  // memory's index type. Every load and store (scalar and SIMD) reads its memarg here.
  struct MemArg {
    u32 memory = 0;
    u64 offset = 0;
  };
  bool memarg(u32 natural, MemArg& out);
  bool local_index(u32& index) {
    if (!u32_(index)) return false;
    if (index >= locals_.size()) return invalid("unknown local");
    return true;
  }

  Module& m_;
  // Reading: the module's bytes, the position, the end of what may be read (the section's or the
  // function body's), the start of the instruction or item being read (for errors).
  const u8* data_ = nullptr;
  u32 pos_ = 0;
  u32 end_ = 0;
  u32 op_offset_ = 0;
  bool failed_ = false;
  CompileError error_{};
  u64 memory_limit_ = ~u64{0};
  u64 memory_used_ = 0;
  Features features_;

  // What later sections are checked against.
  u32 function_count_declared_ = 0;
  u32 missing_data_count_at_ = kNone;  // the first data index used without a data count section
  bool seen_data_ = false;

  // The function body being translated: its locals, the operand and control stacks, the
  // branches waiting for their labels, the code and code map being written.
  Vector<ValType> locals_;
  Vector<ValType> const_stack_;  // a constant expression's operand types
  Vector<u32> local_slots_;      // each local's byte offset in the frame (a v128 takes two slots)
  Vector<Entry> stack_;
  Vector<Ctrl> ctrls_;
  Vector<Fixup> fixups_;
  Vector<u64>* code_ = nullptr;
  Vector<CodeMapEntry>* map_ = nullptr;
  u32 local_count_ = 0;  // the locals' slots
  u32 max_height_ = 0;   // the most operand slots in use
  u32 aliases_ = 0;      // stack entries that alias a local
  Peephole peephole_;    // the instruction emitted last (see Peephole for when it is valid)

  // Where the compilation stands between steps.
  enum class Phase : u8 { Header, Sections, Code, Done };
  Phase phase_ = Phase::Header;
  u32 last_rank_ = 0;
  bool seen_code_ = false;
  SectionId section_id_ = SectionId::Custom;  // the section being read
  u32 section_body_ = 0;                      // its contents' offset
  u32 section_end_ = 0;
  u32 module_end_ = 0;    // end_ outside the section
  u32 code_count_ = 0;    // functions in the code section
  u32 code_index_ = 0;    // the next one to compile
  bool in_body_ = false;  // code_index_ is compiled up to pos_
  u32 body_end_ = 0;
};

// A constant expression: constants, ref.null, ref.func, global.get of an imported immutable
// global and (extended constant expressions) i32/i64 add, sub and mul, typed on a stack of their
// own, which must hold exactly one value of type `expected` at the end. One instruction is kept
// in `e`; more are appended to Module::const_code and `e` refers to them. The loop reads one
// instruction per iteration (no recursion), so an expression is bounded by its section's size.
bool Compiler::const_expr(ConstExpr& e, ValType expected) {
  const u32 first = static_cast<u32>(m_.const_code.size());
  const_stack_.clear();
  for (;;) {
    op_offset_ = pos_;
    u8 byte0;
    if (!byte(byte0)) return false;
    auto op = static_cast<Opcode>(byte0);
    if (op == Opcode::End) break;
    ConstExpr instr;
    if (!const_instruction(op, instr)) return false;
    if (!push(m_.const_code, instr)) return false;
    if (const_stack_.size() > m_.const_depth)
      m_.const_depth = static_cast<u32>(const_stack_.size());
  }
  const u32 length = static_cast<u32>(m_.const_code.size()) - first;
  if (length == 0) return invalid("type mismatch: empty constant expression");
  if (const_stack_.size() != 1 || const_stack_[0] != expected) return invalid("type mismatch");
  if (length == 1) {
    e = m_.const_code[first];
    m_.const_code.shrink_to(first);
  } else {
    e = {ConstExpr::Op::Extended, expected, length, first};
  }
  return true;
}

// One instruction of a constant expression (its opcode read), typed on const_stack_.
bool Compiler::const_instruction(Opcode op, ConstExpr& instr) {
  switch (op) {
    case Opcode::I32Const:
    case Opcode::I64Const:
    case Opcode::F32Const:
    case Opcode::F64Const:
    case Opcode::RefNull: {
      ValType type;
      u64 bits;
      if (!constant_immediate(op, type, bits)) return false;
      instr = {const_expr_op(type), type, 1, bits};
      return push(const_stack_, type);
    }
    case Opcode::RefFunc: {
      u32 f;
      if (!u32_(f)) return false;
      if (f >= m_.func_types.size()) return invalid("unknown function");
      m_.declared_funcs[f] = 1;
      instr = {ConstExpr::Op::RefFunc, ValType::FuncRef, 1, f};
      return push(const_stack_, ValType::FuncRef);
    }
    case Opcode::GlobalGet: {
      u32 g;
      if (!u32_(g)) return false;
      if (g >= m_.imported_globals) return invalid("unknown global");
      if (m_.globals[g].type.mutable_) return invalid("constant expression required");
      ValType type = m_.globals[g].type.type;
      instr = {ConstExpr::Op::GlobalGet, type, 1, g};
      return push(const_stack_, type);
    }
    case Opcode::I32Add: return const_binary(ConstExpr::Op::I32Add, ValType::I32, instr);
    case Opcode::I32Sub: return const_binary(ConstExpr::Op::I32Sub, ValType::I32, instr);
    case Opcode::I32Mul: return const_binary(ConstExpr::Op::I32Mul, ValType::I32, instr);
    case Opcode::I64Add: return const_binary(ConstExpr::Op::I64Add, ValType::I64, instr);
    case Opcode::I64Sub: return const_binary(ConstExpr::Op::I64Sub, ValType::I64, instr);
    case Opcode::I64Mul: return const_binary(ConstExpr::Op::I64Mul, ValType::I64, instr);
    case Opcode::PrefixSimd: {  // v128.const; no other SIMD instruction is constant
      u32 sub;
      if (!u32_(sub)) return false;
      if (static_cast<SimdOpcode>(sub) != SimdOpcode::V128Const)
        return invalid("constant expression required");
      instr = {ConstExpr::Op::V128, ValType::V128, 1, 0, 0};
      if (!bytes_fixed(8, instr.value) || !bytes_fixed(8, instr.hi)) return false;
      return push(const_stack_, ValType::V128);
    }
    default:
      if (!is_opcode(static_cast<u8>(op)))
        return fail(ErrorKind::Malformed, pos_ - 1, "illegal opcode");
      return invalid("constant expression required");
  }
}

// An arithmetic instruction of a constant expression: two operands of type `t`, one result.
bool Compiler::const_binary(ConstExpr::Op kind, ValType t, ConstExpr& instr) {
  usize n = const_stack_.size();
  if (n < 2) return invalid("type mismatch: operand stack underflow");
  if (const_stack_[n - 1] != t || const_stack_[n - 2] != t) return invalid("type mismatch");
  const_stack_.pop_back();
  instr = {kind, t, 1, 0};
  return true;
}

bool Compiler::section_type() {
  u32 n;
  if (!length(n, kMaxTypes, "too many types")) return false;
  if (!charge_growth(m_.types, n)) return false;
  if (m_.types.try_reserve(n).is_error()) return no_memory();
  for (u32 i = 0; i < n; ++i) {
    u8 form;
    if (!byte(form)) return false;
    if (form != kFuncTypeForm)
      return fail(ErrorKind::Malformed, pos_ - 1,
                  "integer representation too long / malformed function type");
    FuncType t;
    u32 np, nr;
    if (!length(np, kMaxParams, "too many parameters")) return false;
    for (u32 k = 0; k < np; ++k) {
      ValType v;
      if (!val_type(v) || !push(t.types, v)) return false;
    }
    if (!length(nr, kMaxResults, "too many results")) return false;
    for (u32 k = 0; k < nr; ++k) {
      ValType v;
      if (!val_type(v) || !push(t.types, v)) return false;
    }
    t.param_count = np;
    t.result_count = nr;
    if (!push(m_.types, support::move(t))) return false;
  }
  return true;
}

bool Compiler::section_import() {
  return items(kMaxImports, "too many imports", [&] { return import_entry(); });
}

bool Compiler::import_entry() {
  Import im;
  if (!name(im.module) || !name(im.name)) return false;
  u8 kind;
  if (!byte(kind)) return false;
  op_offset_ = pos_;
  switch (static_cast<ExternKind>(kind)) {
    case ExternKind::Func: {
      im.kind = ExternKind::Func;
      if (!u32_(im.func_type)) return false;
      if (im.func_type >= m_.types.size()) return invalid("unknown type");
      if (!push(m_.func_types, im.func_type)) return false;
      ++m_.imported_funcs;
      break;
    }
    case ExternKind::Table:
      im.kind = ExternKind::Table;
      if (!table_type(im.table) || !push(m_.tables, im.table)) return false;
      ++m_.imported_tables;
      break;
    case ExternKind::Memory:
      im.kind = ExternKind::Memory;
      if (!memory_type(im.memory)) return false;
      if (m_.memories.size() >= kMaxMemories)
        return fail(ErrorKind::Limit, pos_, "too many memories");
      if (!push(m_.memories, im.memory)) return false;
      ++m_.imported_memories;
      break;
    case ExternKind::Global: {
      im.kind = ExternKind::Global;
      if (!global_type(im.global)) return false;
      GlobalDef g;
      g.type = im.global;
      if (!push(m_.globals, g)) return false;
      ++m_.imported_globals;
      break;
    }
    default: return fail(ErrorKind::Malformed, pos_ - 1, "malformed import kind");
  }
  return push(m_.imports, im);
}

bool Compiler::section_function() {
  return items(kMaxFunctions, "too many functions", [&] {
    u32 t;
    op_offset_ = pos_;
    if (!u32_(t)) return false;
    if (t >= m_.types.size()) return invalid("unknown type");
    ++function_count_declared_;
    return push(m_.func_types, t);
  });
}

bool Compiler::section_table() {
  return items(kMaxTables, "too many tables", [&] {
    TableType t;
    return table_type(t) && push(m_.tables, t);
  });
}

bool Compiler::section_memory() {
  return items(kMaxMemories, "too many memories", [&] {
    MemoryType t;
    if (!memory_type(t)) return false;
    if (m_.memories.size() >= kMaxMemories)
      return fail(ErrorKind::Limit, pos_, "too many memories");
    return push(m_.memories, t);
  });
}

bool Compiler::section_global() {
  return items(kMaxGlobals, "too many globals", [&] {
    GlobalDef g;
    return global_type(g.type) && const_expr(g.init, g.type.type) && push(m_.globals, g);
  });
}

bool Compiler::section_export() {
  u32 n;
  if (!length(n, kMaxExports, "too many exports")) return false;
  // The names so far in an open-addressing table (export index + 1, 0 for free), so that the
  // duplicate check is linear in the number of exports rather than quadratic (100,000 exports
  // would hold a step for seconds).
  Vector<u32> seen;
  u32 mask = 0;
  if (n > 0) {
    u32 capacity = 16;
    while (capacity < 2 * n) capacity *= 2;
    if (seen.try_resize(capacity).is_error()) return no_memory();
    mask = capacity - 1;
  }
  for (u32 i = 0; i < n; ++i) {
    Export e;
    op_offset_ = pos_;
    if (!name(e.name)) return false;
    u8 kind;
    if (!byte(kind)) return false;
    if (kind > 3) return fail(ErrorKind::Malformed, pos_ - 1, "malformed export kind");
    e.kind = static_cast<ExternKind>(kind);
    if (!u32_(e.index)) return false;
    u64 limit = kind == 0   ? m_.func_types.size()
                : kind == 1 ? m_.tables.size()
                : kind == 2 ? m_.memories.size()
                            : m_.globals.size();
    if (e.index >= limit) {
      return invalid(kind == 0   ? "unknown function"
                     : kind == 1 ? "unknown table"
                     : kind == 2 ? "unknown memory"
                                 : "unknown global");
    }
    if (kind == 0) m_.declared_funcs[e.index] = 1;
    support::StringView nm = m_.name_of(e.name);
    u32 h = 0x811c9dc5u;  // FNV-1a
    for (usize k = 0; k < nm.size(); ++k) h = (h ^ static_cast<u8>(nm[k])) * 0x01000193u;
    for (h &= mask; seen[h] != 0; h = (h + 1) & mask)
      if (m_.name_of(m_.exports[seen[h] - 1].name) == nm) return invalid("duplicate export name");
    if (!push(m_.exports, e)) return false;
    seen[h] = static_cast<u32>(m_.exports.size());
  }
  return true;
}

bool Compiler::section_start() {
  op_offset_ = pos_;
  if (!u32_(m_.start)) return false;
  if (m_.start >= m_.func_types.size()) return invalid("unknown function");
  const FuncType& t = m_.func_type(m_.start);
  if (t.param_count != 0 || t.result_count != 0) return invalid("start function");
  m_.has_start = true;
  return true;
}

bool Compiler::section_elem() {
  return items(kMaxSegments, "too many segments", [&] { return elem_segment(); });
}

bool Compiler::elem_segment() {
  ElemSegment s;
  u32 flags;
  if (!segment_flags(flags, 7, "malformed elements segment kind")) return false;
  bool passive_or_decl = flags & 1;
  bool explicit_table = flags & 2;
  bool exprs = flags & 4;
  if (!passive_or_decl) {
    s.mode = SegmentMode::Active;
    if (explicit_table) {
      if (!u32_(s.table)) return false;
    }
    op_offset_ = pos_;
    if (s.table >= m_.tables.size()) return invalid("unknown table");
    if (!const_expr(s.offset, m_.tables[s.table].address64 ? ValType::I64 : ValType::I32))
      return false;
  } else {
    s.mode = explicit_table ? SegmentMode::Declarative : SegmentMode::Passive;
  }
  s.type = ValType::FuncRef;
  if (passive_or_decl || explicit_table) {
    if (exprs) {
      if (!ref_type(s.type)) return false;
    } else {
      u8 k;
      if (!byte(k)) return false;
      if (k != 0) return malformed("malformed element kind");
    }
  }
  if (s.mode == SegmentMode::Active && m_.tables[s.table].elem != s.type) {
    op_offset_ = pos_;
    return invalid("type mismatch");
  }
  u32 count;
  if (!u32_(count)) return false;
  for (u32 k = 0; k < count; ++k) {
    ConstExpr e;
    if (exprs) {
      if (!const_expr(e, s.type)) return false;
    } else {
      u32 f;
      op_offset_ = pos_;
      if (!u32_(f)) return false;
      if (f >= m_.func_types.size()) return invalid("unknown function");
      m_.declared_funcs[f] = 1;
      e = {ConstExpr::Op::RefFunc, ValType::FuncRef, 1, f};
    }
    if (!push(s.items, e)) return false;
  }
  return push(m_.elems, support::move(s));
}

bool Compiler::section_data() {
  u32 n;
  if (!length(n, kMaxSegments, "too many segments")) return false;
  if (m_.has_data_count && n != m_.data_count)
    return malformed("data count and data section have inconsistent lengths");
  for (u32 i = 0; i < n; ++i) {
    DataSegment s;
    u32 flags;
    if (!segment_flags(flags, 2, "malformed data segment kind")) return false;
    if (flags == 1) {
      s.mode = SegmentMode::Passive;
    } else {
      s.mode = SegmentMode::Active;
      if (flags == 2 && !u32_(s.memory)) return false;
      op_offset_ = pos_;
      if (s.memory >= m_.memories.size()) return invalid("unknown memory");
      if (!const_expr(s.offset, address_type(s.memory))) return false;
    }
    u32 size;
    if (!u32_(size)) return false;
    if (end_ - pos_ < size) return malformed("unexpected end of section or function");
    s.bytes_offset = pos_;
    s.size = size;
    pos_ += size;
    if (!push(m_.datas, s)) return false;
  }
  return true;
}

bool Compiler::section_custom(u32 start, u32 size) {
  CustomSection c;
  c.offset = start;
  if (!name(c.name)) return false;
  c.size = size - (pos_ - start);
  c.offset = pos_;
  if (!push(m_.customs, c)) return false;
  // The name section: keep function names (errors here are ignored, as the spec allows).
  if (m_.name_of(c.name) == support::StringView("name")) {
    u32 save_pos = pos_, save_end = end_;
    bool save_failed = failed_;
    CompileError save_error = error_;
    end_ = start + size;
    while (pos_ < end_) {
      u8 id;
      u32 len;
      if (!byte(id) || !u32_(len) || end_ - pos_ < len) break;
      u32 sub_end = pos_ + len;
      if (id == 1) {
        u32 count;
        if (!u32_(count)) break;
        for (u32 k = 0; k < count; ++k) {
          u32 index;
          Name nm;
          if (!u32_(index) || !name(nm)) break;
          if (index >= m_.imported_funcs && index - m_.imported_funcs < m_.functions.size())
            m_.functions[index - m_.imported_funcs].name = nm;
        }
      }
      pos_ = sub_end;
    }
    pos_ = save_pos;
    end_ = save_end;
    failed_ = save_failed;
    error_ = save_error;
  }
  pos_ = start + size;
  return true;
}

// Reads the function count; the bodies follow one per code_entry() call.
bool Compiler::section_code() {
  u32 n;
  if (!u32_(n)) return false;
  if (n != function_count_declared_)
    return malformed("function and code section have inconsistent lengths");
  code_count_ = n;
  code_index_ = 0;
  return true;
}

bool Compiler::code_entry(u32 i, u32 pause_at, bool& paused) {
  Function& f = m_.functions[i];
  if (!in_body_) {
    u32 size;
    if (!u32_(size)) return false;
    if (end_ - pos_ < size) return malformed("unexpected end of section or function");
    if (size > kMaxFunctionSize) return fail(ErrorKind::Limit, pos_, "function too large");
    body_end_ = pos_ + size;
    f.type_index = m_.func_types[m_.imported_funcs + i];
    f.body_offset = pos_;
    end_ = body_end_;
    if (!body_begin(f)) return false;
    in_body_ = true;
  }
  if (!body_ops(pause_at, paused)) return false;
  if (paused) return true;
  in_body_ = false;
  if (!body_finish(f)) return false;
  if (pos_ != body_end_) return malformed("section size mismatch");
  end_ = section_end_;
  return true;
}

bool Compiler::block_type(Ctrl& c) {
  c.param_count = 0;
  c.result_count = 0;
  c.params = nullptr;
  c.results = nullptr;
  if (pos_ >= end_) return malformed("unexpected end");
  u8 b = data_[pos_];
  if (b == kEmptyBlockType) {
    ++pos_;
    return true;
  }
  if (is_val_type(b)) {
    ++pos_;
    c.single = static_cast<ValType>(b);
    c.result_count = 1;
    c.single_result = true;
    return true;
  }
  i64 idx;
  if (!leb_s(idx, 33)) return false;
  if (idx < 0 || static_cast<u64>(idx) >= m_.types.size()) return invalid("unknown type");
  const FuncType& t = m_.types[static_cast<u32>(idx)];
  c.param_count = t.param_count;
  c.result_count = t.result_count;
  c.params = t.types.data();
  c.results = t.types.data() + t.param_count;
  return true;
}

bool Compiler::push_ctrl(CtrlKind kind, Ctrl& proto) {
  proto.kind = kind;
  proto.unreachable = false;
  proto.dead = !live();
  proto.fixups = kNone;
  proto.else_fixup = kNone;
  proto.loop_start = 0;
  return push(ctrls_, proto);
}

// Checks that the top of the stack holds the label's types (without popping).
bool Compiler::check_label(const Ctrl& target) {
  Span<const ValType> types = label_types(target);
  const Ctrl& c = ctrls_.back();
  u32 n = static_cast<u32>(types.size());
  u32 avail = static_cast<u32>(stack_.size()) - c.height;
  for (u32 i = 0; i < n; ++i) {
    ValType want = types[n - 1 - i];
    if (i >= avail) {
      if (c.unreachable) continue;
      return invalid("type mismatch: not enough operands for branch");
    }
    ValType have = stack_[stack_.size() - 1 - i].type;
    if (have != want && have != kUnknown) return invalid("type mismatch");
  }
  return true;
}

// Emits the copies that move the top label-arity values to the target's label slots.
bool Compiler::branch_copies(Ctrl& target) {
  Span<const ValType> types = label_types(target);
  u32 n = static_cast<u32>(types.size());
  u32 h = static_cast<u32>(stack_.size());
  u32 dst = own_slot(target.height);
  for (u32 i = 0; i < n; ++i) {
    u32 src = stack_[h - n + i].slot;
    if (dst != src) {
      if (!emit_copy(dst, src, types[i])) return false;
    }
    dst += slot_count(types[i]) * 8;
  }
  return true;
}

bool Compiler::emit_branch(Ctrl& target, u32 base, u32 word) {
  if (target.kind == CtrlKind::Loop) {
    patch(word, base, target.loop_start);
    return true;
  }
  return add_fixup(target, word, base);
}

// `a op const`: the Const just emitted becomes an immediate operand.
bool Compiler::binary_imm(Op op, ValType in, ValType out) {
  Op io = imm_variant(op);
  if (io == Op::Count || !live()) return false;
  if (stack_.size() <= ctrls_.back().height) return false;
  if (stack_.back().slot != own_slot(static_cast<u32>(stack_.size()) - 1)) return false;
  if (stack_.back().type != in) return false;
  // The Const must be the last instruction and have written the top entry.
  if (!peephole_.wrote(Peephole::Kind::Const, *code_, stack_.back().slot)) return false;
  u64 imm = peephole_.value();
  Entry b, a;
  if (!pop(in, b) || !pop(in, a)) return false;
  peephole_.remove(*code_, *map_);
  if (!push_own(out)) return false;
  u32 start = static_cast<u32>(code_->size());
  if (!emit_instr_of<Op::I32EqImm, Op::I64ShrUImm>(io, Dst{stack_.back().slot}, Src{a.slot},
                                                   Word{imm}))
    return false;
  if (op_in(io, Op::I32EqImm, Op::I32GeUImm)) {
    peephole_.record_compare(*code_, start, io, a.slot, imm);
  } else {
    peephole_.record_result(*code_, start);
  }
  return true;
}

bool Compiler::memarg(u32 natural, MemArg& out) {
  u32 flags;
  if (!u32_(flags)) return false;
  if (flags >= (features_.multi_memory ? 0x80u : 0x20u)) return malformed("malformed memop flags");
  out.memory = 0;
  if ((flags & 0x40) && !u32_(out.memory)) return false;
  // 3.0: a u64 offset, validated against the memory's address type below; 2.0: a u32.
  if (!leb_u(out.offset, features_.memory64 ? 64 : 32)) return false;
  u32 align = flags & 0x3f;
  if (out.memory >= m_.memories.size())
    return invalid(out.memory == 0 ? "unknown memory 0" : "unknown memory");
  if (align >= 32 || (1u << align) > natural)
    return invalid("alignment must not be larger than natural");
  if (!m_.memories[out.memory].address64 && out.offset > 0xffffffffu)
    return invalid("offset out of range");
  return true;
}

bool Compiler::end_arm(Ctrl& c) {
  u32 n = c.result_count;
  u32 avail = static_cast<u32>(stack_.size()) - c.height;
  if (live() && avail >= n && !materialize_top(n)) return false;
  for (u32 i = n; i-- > 0;)
    if (!pop(c.res()[i])) return false;
  if (stack_.size() != c.height)
    return invalid("type mismatch: values remaining on stack at end of block");
  return true;
}

bool Compiler::body_begin(Function& f) {
  const FuncType& type = m_.types[f.type_index];
  locals_.clear();
  stack_.clear();
  ctrls_.clear();
  fixups_.clear();
  aliases_ = 0;
  max_height_ = 0;
  for (ValType t : type.params())
    if (!push(locals_, t)) return false;
  u32 groups;
  if (!u32_(groups)) return false;
  u64 total = type.param_count;
  for (u32 g = 0; g < groups; ++g) {
    u32 count;
    if (!u32_(count)) return false;
    total += count;
    if (total > kMaxLocals) return fail(ErrorKind::Limit, pos_, "too many locals");
    ValType t;
    if (!val_type(t)) return false;
    for (u32 k = 0; k < count; ++k)
      if (!push(locals_, t)) return false;
  }
  // Each local's slot: one, two for a v128.
  local_slots_.clear();
  u32 slots = 0;
  for (u32 i = 0; i < locals_.size(); ++i) {
    if (i == type.param_count) f.param_slots = slots;
    if (!push(local_slots_, slots * 8)) return false;
    slots += slot_count(locals_[i]);
  }
  if (type.param_count == locals_.size()) f.param_slots = slots;
  local_count_ = slots;
  f.local_count = local_count_;
#if WARDEN_WASM_CHECKED
  if (f.local_types.try_resize(local_count_).is_error()) return no_memory();
  for (u32 i = 0; i < locals_.size(); ++i)
    for (u32 k = 0; k < slot_count(locals_[i]); ++k)
      f.local_types[local_slots_[i] / 8 + k] = locals_[i];
#endif
  code_ = &f.code;
  map_ = &f.code_map;
  peephole_.reset();

  {
    Ctrl fc{};
    fc.result_count = type.result_count;
    fc.results = type.types.data() + type.param_count;
    fc.height = 0;
    if (!push(ctrls_, fc)) return false;
    ctrls_.back().kind = CtrlKind::Function;
    ctrls_.back().fixups = kNone;
    ctrls_.back().else_fixup = kNone;
  }
  return true;
}

// Everything the loop carries from one instruction to the next is in members, so it can stop
// before any instruction and continue there in a later step.
bool Compiler::body_ops(u32 pause_at, bool& paused) {
  paused = false;
  while (!ctrls_.empty()) {
    if (pos_ >= pause_at) {
      paused = true;
      return true;
    }
    if (pos_ >= body_end_) return malformed("unexpected end of section or function");
    op_offset_ = pos_;
    if (!instruction(static_cast<Opcode>(data_[pos_++]))) return false;
  }
  return true;
}

// One instruction, its opcode read: validated, and translated where the code is reachable.
bool Compiler::instruction(Opcode op) {
  // The record of the instruction emitted last reaches only an instruction that may use it or
  // leaves it true; every other one starts without it.
  if (!peephole_reaches(op)) peephole_.reset();
  if (op >= Opcode::I32Eqz && op <= Opcode::I64Extend32S) return numeric(op);
  if (op >= Opcode::I32Load && op <= Opcode::I64Store32) return load_store(op);
  switch (op) {
    case Opcode::Unreachable: return unreachable();
    case Opcode::Nop: return true;
    case Opcode::Block: return block(CtrlKind::Block);
    case Opcode::Loop: return block(CtrlKind::Loop);
    case Opcode::If: return if_();
    case Opcode::Else: return else_();
    case Opcode::End: return end();
    case Opcode::Br: return br();
    case Opcode::BrIf: return br_if();
    case Opcode::BrTable: return br_table();
    case Opcode::Return: return return_();
    case Opcode::Call: return call(CallForm::Plain);
    case Opcode::CallIndirect: return call_indirect(CallForm::Plain);
    case Opcode::ReturnCall: return call(CallForm::Tail);
    case Opcode::ReturnCallIndirect: return call_indirect(CallForm::Tail);
    case Opcode::Drop: return drop();
    case Opcode::Select: return select(false);
    case Opcode::SelectTyped: return select(true);
    case Opcode::LocalGet: return local_get();
    case Opcode::LocalSet: return local_set(false);
    case Opcode::LocalTee: return local_set(true);
    case Opcode::GlobalGet: return global_get();
    case Opcode::GlobalSet: return global_set();
    case Opcode::TableGet: return table_get();
    case Opcode::TableSet: return table_set();
    case Opcode::MemorySize: return memory_size();
    case Opcode::MemoryGrow: return memory_grow();
    case Opcode::I32Const:
    case Opcode::I64Const:
    case Opcode::F32Const:
    case Opcode::F64Const:
    case Opcode::RefNull: return constant(op);
    case Opcode::RefIsNull: return ref_is_null();
    case Opcode::RefFunc: return ref_func();
    case Opcode::PrefixFc: {
      u32 sub;
      return u32_(sub) && prefixed(static_cast<PrefixedOpcode>(sub));
    }
    case Opcode::PrefixSimd: {
      u32 sub;
      return u32_(sub) && simd(static_cast<SimdOpcode>(sub));
    }
    default: return malformed("illegal opcode");
  }
}

bool Compiler::prefixed(PrefixedOpcode op) {
  if (op <= PrefixedOpcode::I64TruncSatF64U) return trunc_sat(op);
  switch (op) {
    case PrefixedOpcode::MemoryInit: return memory_init();
    case PrefixedOpcode::DataDrop: return data_drop();
    case PrefixedOpcode::MemoryCopy: return memory_copy();
    case PrefixedOpcode::MemoryFill: return memory_fill();
    case PrefixedOpcode::TableInit: return table_init();
    case PrefixedOpcode::ElemDrop: return elem_drop();
    case PrefixedOpcode::TableCopy: return table_copy();
    case PrefixedOpcode::TableGrow: return table_grow();
    case PrefixedOpcode::TableSize: return table_size();
    case PrefixedOpcode::TableFill: return table_fill();
    default: return malformed("illegal opcode");
  }
}

// ---- control instructions

bool Compiler::unreachable() {
  if (live() && !emit_instr<Op::Unreachable>()) return false;
  rest_unreachable();
  return true;
}

// The rest of the block is unreachable: its operand stack becomes polymorphic.
void Compiler::rest_unreachable() {
  stack_.shrink_to(ctrls_.back().height);
  recount_aliases();
  ctrls_.back().unreachable = true;
}

// block and loop.
bool Compiler::block(CtrlKind kind) {
  Ctrl c{};
  if (!block_type(c)) return false;
  if (!materialize_all()) return false;
  if (!pop_params(c)) return false;
  bool was_live = live();
  if (!push_ctrl(kind, c)) return false;
  if (!push_params(c)) return false;
  if (kind == CtrlKind::Loop && was_live) {
    ctrls_.back().loop_start = static_cast<u32>(code_->size());
    if (!emit_instr<Op::Fuel>()) return false;
  }
  return true;
}

bool Compiler::if_() {
  Ctrl c{};
  if (!block_type(c)) return false;
  Entry cond;
  if (!pop(ValType::I32, cond)) return false;
  if (!materialize_all()) return false;
  if (!pop_params(c)) return false;
  u32 word = kNone, base = 0;
  if (live() && !emit_branch_if(cond, false, base, word)) return false;
  peephole_.reset();
  if (!push_ctrl(CtrlKind::If, c)) return false;
  ctrls_.back().else_fixup = word;
  ctrls_.back().else_base = base;
  return push_params(c);
}

bool Compiler::else_() {
  Ctrl& c = ctrls_.back();
  if (c.kind != CtrlKind::If) return invalid("else without if");
  if (!end_arm(c)) return false;
  if (live() && !emit_br(c)) return false;
  if (c.else_fixup != kNone) patch(c.else_fixup, c.else_base, static_cast<u32>(code_->size()));
  c.else_fixup = kNone;
  c.kind = CtrlKind::Else;
  c.unreachable = false;
  return push_params(c);
}

bool Compiler::end() {
  Ctrl& c = ctrls_.back();
  if (c.kind == CtrlKind::If) {
    // Without else the implicit else arm passes the params through.
    if (c.param_count != c.result_count) return invalid("type mismatch: if without else");
    for (u32 i = 0; i < c.param_count; ++i)
      if (c.params[i] != c.res()[i]) return invalid("type mismatch: if without else");
  }
  if (!end_arm(c)) return false;
  if (c.kind == CtrlKind::Function) {
    u32 slots = slot_count(Span<const ValType>(c.res(), c.result_count));
    if (live() && !emit_return(slots, own_slot(0))) return false;
    patch_fixups(c, static_cast<u32>(code_->size()));
    // Branches to the function label land on a final return.
    if (c.fixups != kNone && !emit_return(slots, own_slot(0))) return false;
    ctrls_.pop_back();
    return true;
  }
  u32 here = static_cast<u32>(code_->size());
  if (c.else_fixup != kNone) patch(c.else_fixup, c.else_base, here);
  patch_fixups(c, here);
  u32 nres = c.result_count;
  ValType single = c.single;
  const ValType* res = c.single_result ? &single : c.results;
  ctrls_.pop_back();
  for (u32 i = 0; i < nres; ++i)
    if (!push_own(res[i])) return false;
  return true;
}

// br and return: an unconditional branch, after which the block is unreachable.
bool Compiler::br() {
  Ctrl* target;
  return label(target) && branch_and_end(*target);
}

bool Compiler::return_() { return branch_and_end(ctrls_[0]); }

bool Compiler::branch_and_end(Ctrl& target) {
  if (!check_label(target)) return false;
  if (live() && !branch_always(target, label_arity(target))) return false;
  rest_unreachable();
  return true;
}

bool Compiler::br_if() {
  Ctrl* target;
  if (!label(target)) return false;
  Ctrl& t = *target;
  Entry cond;
  if (!pop(ValType::I32, cond)) return false;
  if (!check_label(t)) return false;
  u32 n = label_arity(t);
  if (!type_label_operands(t, n)) return false;
  if (live()) {
    u32 base = static_cast<u32>(code_->size());
    if (!needs_copies(t, n)) {
      // A conditional branch straight to the label.
      u32 word;
      if (!emit_branch_if(cond, true, base, word) || !emit_branch(t, base, word)) return false;
    } else {
      // Around the copies and the branch, when the condition is false.
      if (!emit_instr<Op::BrIfEqz>(Src{cond.slot}, Word{0})) return false;
      u32 skip = static_cast<u32>(code_->size()) - 1;
      if (!branch_always(t, n)) return false;
      patch(skip, base, static_cast<u32>(code_->size()));
    }
  }
  peephole_.reset();
  return true;
}

// The values a br_if leaves take the label's types: every value the label takes must be on the
// stack, also in unreachable code, where the polymorphic stack supplies them.
bool Compiler::type_label_operands(const Ctrl& target, u32 n) {
  Span<const ValType> types = label_types(target);
  u32 avail = static_cast<u32>(stack_.size()) - ctrls_.back().height;
  if (avail < n) {
    for (u32 i = 0; i < avail; ++i) {
      Entry e;
      if (!pop_any(e)) return false;
    }
    for (u32 i = 0; i < n; ++i)
      if (!push_own(types[i])) return false;
    return true;
  }
  for (u32 i = 0; i < n; ++i) {
    u32 k = static_cast<u32>(stack_.size()) - n + i;
    Entry& e = stack_[k];
    if (e.type == kUnknown) e.type = types[i];  // only in unreachable code: nothing emitted
    bool own = e.slot == e.own;
    e.own = own_slot(k);
    if (own) e.slot = e.own;
  }
  return true;
}

bool Compiler::br_table() {
  u32 count;
  if (!length(count, kMaxBrTable, "br_table too large")) return false;
  Vector<u32> depths;
  if (depths.try_resize(count + 1).is_error()) return no_memory();
  for (u32 i = 0; i <= count; ++i) {
    if (!u32_(depths[i])) return false;
    if (depths[i] >= ctrls_.size()) return invalid("unknown label");
  }
  Entry index;
  if (!pop(ValType::I32, index)) return false;
  u32 arity = label_arity(ctrls_[ctrls_.size() - 1 - depths[count]]);
  for (u32 i = 0; i <= count; ++i) {
    Ctrl& t = ctrls_[ctrls_.size() - 1 - depths[i]];
    if (label_arity(t) != arity) return invalid("type mismatch: br_table arity");
    if (!check_label(t)) return false;
  }
  if (live() && !emit_br_table(index, depths, arity)) return false;
  rest_unreachable();
  return true;
}

// BrTable index count, then one offset per target (the last the default): straight to the label,
// or to copies and a branch after the table.
bool Compiler::emit_br_table(const Entry& index, const Vector<u32>& depths, u32 arity) {
  u32 count = static_cast<u32>(depths.size()) - 1;
  u32 base = static_cast<u32>(code_->size());
  if (!emit_instr<Op::BrTable>(Src{index.slot}, Word{count})) return false;
  u32 first = static_cast<u32>(code_->size());
  for (u32 i = 0; i <= count; ++i)
    if (!emit(0)) return false;
  for (u32 i = 0; i <= count; ++i) {
    Ctrl& t = ctrls_[ctrls_.size() - 1 - depths[i]];
    if (!needs_copies(t, arity)) {
      if (!emit_branch(t, base, first + i)) return false;
      continue;
    }
    patch(first + i, base, static_cast<u32>(code_->size()));
    if (!branch_always(t, arity)) return false;
  }
  return true;
}

// Reads a label index: `target` is its control frame.
bool Compiler::label(Ctrl*& target) {
  u32 depth;
  if (!u32_(depth)) return false;
  if (depth >= ctrls_.size()) return invalid("unknown label");
  target = &ctrls_[ctrls_.size() - 1 - depth];
  return true;
}

// Whether a branch to `target` with the top `n` values must copy them first: they are not in the
// label's slots, or the label is the function's (a return).
bool Compiler::needs_copies(const Ctrl& target, u32 n) const {
  if (target.kind == CtrlKind::Function) return true;
  Span<const ValType> types = label_types(target);
  u32 slot = own_slot(target.height);
  for (u32 i = 0; i < n; ++i) {
    if (stack_[stack_.size() - n + i].slot != slot) return true;
    slot += slot_count(types[i]) * 8;
  }
  return false;
}

// An unconditional branch to `target` with the top `n` values: to the function label a return,
// else copies to the label's slots and a Br.
bool Compiler::branch_always(Ctrl& target, u32 n) {
  if (target.kind == CtrlKind::Function) return emit_return_top(n);
  return branch_copies(target) && emit_br(target);
}

// Return with the top `n` values, which must be contiguous: values not in their own slots (the
// ones aliasing locals) are copied there first; the stack itself is left as it is.
bool Compiler::emit_return_top(u32 n) {
  u32 h = static_cast<u32>(stack_.size());
  for (u32 i = 0; i < n; ++i) {
    const Entry& e = stack_[h - n + i];
    if (e.slot != e.own && !emit_copy(e.own, e.slot, e.type)) return false;
  }
  return emit_return((own_slot(h) - own_slot(h - n)) / 8, own_slot(h - n));
}

// Return with the `n` slots of values (a v128 two) from `first_slot`.
bool Compiler::emit_return(u32 n, u32 first_slot) {
  return emit_instr<Op::Return>(Word{n}, Word{first_slot});
}

bool Compiler::emit_br(Ctrl& target) {
  u32 base = static_cast<u32>(code_->size());
  if (!emit_instr<Op::Br>(Word{0})) return false;
  return emit_branch(target, base, static_cast<u32>(code_->size()) - 1);
}

void Compiler::patch_fixups(const Ctrl& c, u32 here) {
  for (u32 fx = c.fixups; fx != kNone; fx = fixups_[fx].next)
    patch(fixups_[fx].word, fixups_[fx].base, here);
}

bool Compiler::pop_params(Ctrl& c) {
  for (u32 i = c.param_count; i-- > 0;)
    if (!pop(c.params[i])) return false;
  c.height = static_cast<u32>(stack_.size());
  return true;
}

bool Compiler::push_params(const Ctrl& c) {
  for (u32 i = 0; i < c.param_count; ++i)
    if (!push_own(c.params[i])) return false;
  return true;
}

bool Compiler::call(CallForm form) {
  u32 fi;
  if (!u32_(fi)) return false;
  if (fi >= m_.func_types.size()) return invalid("unknown function");
  return emit_call(m_.func_type(fi), form == CallForm::Tail ? Op::ReturnCall : Op::Call, fi, 0, 0);
}

bool Compiler::call_indirect(CallForm form) {
  u32 ti, table;
  if (!u32_(ti)) return false;
  if (!u32_(table)) return false;
  if (table >= m_.tables.size()) return invalid("unknown table");
  if (ti >= m_.types.size()) return invalid("unknown type");
  if (m_.tables[table].elem != ValType::FuncRef)
    return invalid("type mismatch: call_indirect on externref table");
  Entry idx;
  const bool t64 = m_.tables[table].address64;
  if (!pop(t64 ? ValType::I64 : ValType::I32, idx)) return false;
  Op op = form == CallForm::Tail ? (t64 ? Op::ReturnCallIndirect64 : Op::ReturnCallIndirect)
                                 : (t64 ? Op::CallIndirect64 : Op::CallIndirect);
  return emit_call(m_.types[ti], op, table, ti, idx.slot);
}

// ---- parametric and variable instructions

bool Compiler::drop() {
  Entry e;
  // Not one of the instructions the peephole record reaches (peephole_reaches): the dropped
  // value's producer must not be taken for the next top entry's (a dropped constant would become
  // the next operation's immediate).
  return pop_any(e);
}

// select, and select with its type.
bool Compiler::select(bool typed) {
  ValType t = kUnknown;
  if (typed) {
    u32 n;
    if (!u32_(n)) return false;
    if (n != 1) return invalid("invalid result arity");
    if (!val_type(t)) return false;
  }
  Entry cond, b, a;
  if (!pop(ValType::I32, cond)) return false;
  if (!pop(t, b) || !pop(t, a)) return false;
  if (!typed) {
    if (is_ref(a.type) || is_ref(b.type))
      return invalid("type mismatch: select on references needs a type");
    if (a.type != kUnknown && b.type != kUnknown && a.type != b.type)
      return invalid("type mismatch");
    t = a.type != kUnknown ? a.type : b.type;
  }
  return result(t, [&](Dst dst) {
    if (t == ValType::V128)
      return emit_instr<Op::V128Select>(dst, Src{cond.slot}, Src{a.slot}, Src{b.slot});
    return emit_instr<Op::Select>(dst, Src{cond.slot}, Src{a.slot}, Src{b.slot}, TypeWord{t});
  });
}

bool Compiler::local_get() {
  u32 x;
  if (!local_index(x)) return false;
  return push_entry(locals_[x], local_slot(x));
}

// local.set, and local.tee.
bool Compiler::local_set(bool tee) {
  u32 x;
  if (!local_index(x)) return false;
  Entry v;
  if (!pop(locals_[x], v)) return false;
  // Older values of the local on the stack get slots of their own first (which emits code and
  // so ends a retarget).
  u32 slot = local_slot(x);
  if (!materialize_local(slot)) return false;
  if (live()) {
    bool retarget =
        v.slot == own_slot(static_cast<u32>(stack_.size())) && peephole_.wrote(*code_, v.slot);
    if (retarget) {
      (*code_)[peephole_.result_word()] = slot;
    } else if (v.slot != slot) {
      if (!emit_copy(slot, v.slot, locals_[x])) return false;
    }
  }
  peephole_.reset();  // the instruction writes the local now, not the entry
  return !tee || push_entry(locals_[x], slot);
}

bool Compiler::global_get() {
  u32 g;
  if (!global_index(g)) return false;
  ValType t = m_.globals[g].type.type;
  return result(t, [&](Dst dst) {
    if (t == ValType::V128) return emit_instr<Op::V128GlobalGet>(dst, Word{g});
    return emit_instr<Op::GlobalGet>(dst, Word{g}, TypeWord{t});
  });
}

bool Compiler::global_set() {
  u32 g;
  if (!global_index(g)) return false;
  if (!m_.globals[g].type.mutable_) return invalid("global is immutable");
  ValType t = m_.globals[g].type.type;
  Entry v;
  if (!pop(t, v)) return false;
  if (!live()) return true;
  if (t == ValType::V128) return emit_instr<Op::V128GlobalSet>(Word{g}, Src{v.slot});
  return emit_instr<Op::GlobalSet>(Word{g}, Src{v.slot}, TypeWord{t});
}

// ---- constants and references

// i32/i64/f32/f64.const and ref.null.
bool Compiler::constant(Opcode op) {
  ValType t;
  u64 bits;
  return constant_immediate(op, t, bits) && emit_const(t, bits);
}

// The immediate of a constant instruction: its type and bits.
bool Compiler::constant_immediate(Opcode op, ValType& type, u64& bits) {
  i64 v;
  switch (op) {
    case Opcode::I32Const:
      type = ValType::I32;
      if (!leb_s(v, 32)) return false;
      bits = static_cast<u32>(v);
      return true;
    case Opcode::I64Const:
      type = ValType::I64;
      if (!leb_s(v, 64)) return false;
      bits = static_cast<u64>(v);
      return true;
    case Opcode::F32Const: type = ValType::F32; return bytes_fixed(4, bits);
    case Opcode::F64Const: type = ValType::F64; return bytes_fixed(8, bits);
    default: bits = 0; return ref_type(type);  // ref.null
  }
}

bool Compiler::ref_is_null() {
  Entry e;
  if (!pop_any(e)) return false;
  if (e.type != kUnknown && !is_ref(e.type)) return invalid("type mismatch: ref.is_null");
  return result(ValType::I32, [&](Dst dst) { return emit_instr<Op::RefIsNull>(dst, Src{e.slot}); });
}

bool Compiler::ref_func() {
  u32 fi;
  if (!u32_(fi)) return false;
  if (fi >= m_.func_types.size()) return invalid("unknown function");
  if (!m_.declared_funcs[fi]) return invalid("undeclared function reference");
  // Its result is not recorded for the peephole rules (nor memory.size's, table.size's and
  // table.grow's): a local.set after it copies.
  if (!push_own(ValType::FuncRef)) return false;
  return !live() || emit_instr<Op::RefFunc>(Dst{stack_.back().slot}, Word{fi});
}

bool Compiler::body_finish(Function& f) {
  const FuncType& type = m_.types[f.type_index];
  if (pos_ != body_end_)
    return malformed("section size mismatch (end of function before body end)");
  u64 slots = static_cast<u64>(local_count_) + max_height_ + 1;
  u32 result_slots = slot_count(type.results());
  if (slots < result_slots) slots = result_slots;
  if (slots > kMaxFrameSlots)
    return fail(ErrorKind::Limit, f.body_offset, "function frame too large");
  f.frame_slots = static_cast<u32>(slots);
  return true;
}

void Compiler::recount_aliases() {
  aliases_ = 0;
  for (const Entry& e : stack_)
    if (e.slot < local_count_ * 8) ++aliases_;
}

bool Compiler::emit_const(ValType t, u64 bits) {
  if (!push_own(t)) return false;
  if (!live()) return true;
  u32 start = static_cast<u32>(code_->size());
  if (!emit_instr<Op::Const>(Dst{stack_.back().slot}, Word{bits}, TypeWord{t})) return false;
  peephole_.record_const(*code_, start, bits);
  return true;
}

// Emits a conditional branch on `cond` whose last word is the branch offset.
// Drops the comparison just emitted into `cond`, if any; returns the op that produced it.
static Op inverse_cmp(Op op) {
  switch (op) {
    case Op::I32Eq: return Op::I32Ne;
    case Op::I32Ne: return Op::I32Eq;
    case Op::I32LtS: return Op::I32GeS;
    case Op::I32GeS: return Op::I32LtS;
    case Op::I32LtU: return Op::I32GeU;
    case Op::I32GeU: return Op::I32LtU;
    case Op::I32GtS: return Op::I32LeS;
    case Op::I32LeS: return Op::I32GtS;
    case Op::I32GtU: return Op::I32LeU;
    case Op::I32LeU: return Op::I32GtU;
    default: return Op::Count;
  }
}

// A conditional branch on `cond`, taken when it is `taken_if` (true for br_if, false for the
// branch to an if's else arm); `word` is its offset word, relative to `base`. When the i32
// comparison that computed `cond` is the instruction emitted last, it is fused into the branch.
bool Compiler::emit_branch_if(const Entry& cond, bool taken_if, u32& base, u32& word) {
  Op op = peephole_.compare_op();
  bool imm = op_in(op, Op::I32EqImm, Op::I32GeUImm);
  Op plain = imm ? compare_in(op, Op::I32EqImm, Op::I32Eq) : op;
  bool ok;
  if (peephole_.wrote(Peephole::Kind::Compare, *code_, cond.slot) &&
      (op == Op::I32Eqz || inverse_cmp(plain) != Op::Count)) {
    u64 a = peephole_.a(), b = peephole_.b();
    peephole_.remove(*code_, *map_);
    base = static_cast<u32>(code_->size());
    Op cmp = taken_if ? plain : inverse_cmp(plain);
    if (op == Op::I32Eqz) {
      ok = emit_instr_of<Op::BrIfNez, Op::BrIfEqz>(taken_if ? Op::BrIfEqz : Op::BrIfNez,
                                                   Src{static_cast<u32>(a)}, Word{0});
    } else if (imm) {
      ok = emit_instr_of<Op::BrIfI32EqImm, Op::BrIfI32GeUImm>(
          compare_in(cmp, Op::I32Eq, Op::BrIfI32EqImm), Src{static_cast<u32>(a)}, Word{b}, Word{0});
    } else {
      ok = emit_instr_of<Op::BrIfI32Eq, Op::BrIfI32GeU>(compare_in(cmp, Op::I32Eq, Op::BrIfI32Eq),
                                                        Src{static_cast<u32>(a)},
                                                        Src{static_cast<u32>(b)}, Word{0});
    }
  } else {
    base = static_cast<u32>(code_->size());
    ok = emit_instr_of<Op::BrIfNez, Op::BrIfEqz>(taken_if ? Op::BrIfNez : Op::BrIfEqz,
                                                 Src{cond.slot}, Word{0});
  }
  word = static_cast<u32>(code_->size()) - 1;
  return ok;
}

// call, call_indirect, return_call, return_call_indirect (op).
bool Compiler::emit_call(const FuncType& ft, Op op, u32 a, u32 b, u32 index_slot) {
  // A tail call hands the callee's results to the caller's caller: they must be the caller's.
  const bool tail =
      op == Op::ReturnCall || op == Op::ReturnCallIndirect || op == Op::ReturnCallIndirect64;
  if (tail) {
    Span<const ValType> own = label_types(ctrls_[0]);
    if (own.size() != ft.result_count) return invalid("type mismatch: tail call results");
    for (u32 i = 0; i < own.size(); ++i)
      if (own[i] != ft.results()[i]) return invalid("type mismatch: tail call results");
  }
  // The arguments must sit in their own slots, contiguous: the callee's frame starts there (a
  // tail callee's at this frame's base, where the interpreter moves them).
  u32 np = ft.param_count;
  u32 avail = static_cast<u32>(stack_.size()) - ctrls_.back().height;
  if (live() && avail >= np && !materialize_top(np)) return false;
  for (u32 i = np; i-- > 0;)
    if (!pop(ft.params()[i])) return false;
  u32 h = static_cast<u32>(stack_.size());
  u32 arg_base = own_slot(h);
  if (live()) {
    bool ok = false;
    switch (op) {
      case Op::Call: ok = emit_instr<Op::Call>(Word{a}, Word{arg_base}); break;
      case Op::CallIndirect:
        ok = emit_instr<Op::CallIndirect>(Word{a}, Word{b}, Src{index_slot}, Word{arg_base});
        break;
      case Op::CallIndirect64:
        ok = emit_instr<Op::CallIndirect64>(Word{a}, Word{b}, Src{index_slot}, Word{arg_base});
        break;
      case Op::ReturnCall: ok = emit_instr<Op::ReturnCall>(Word{a}, Word{arg_base}); break;
      case Op::ReturnCallIndirect64:
        ok =
            emit_instr<Op::ReturnCallIndirect64>(Word{a}, Word{b}, Src{index_slot}, Word{arg_base});
        break;
      default:
        ok = emit_instr<Op::ReturnCallIndirect>(Word{a}, Word{b}, Src{index_slot}, Word{arg_base});
        break;
    }
    // After a tail call, a return of the callee's results from where its arguments were: a host
    // callee's results are left there, and so its call (completed at once or later) goes on
    // with this return to the caller's caller, like a call's goes on with the next instruction.
    // A wasm callee replaces this frame and never comes back to it.
    if (ok && tail) ok = emit_return(slot_count(ft.results()), arg_base);
    if (!ok) return false;
  }
  if (tail) {
    rest_unreachable();
    return true;
  }
  for (u32 i = 0; i < ft.result_count; ++i)
    if (!push_own(ft.results()[i])) return false;
  // The callee's frame starts at arg_base: make room for it in this frame's reservation.
  return true;
}

bool Compiler::numeric(Opcode op) { return numeric_operation(numeric_op(op)); }

// A numeric operation: its operand and result types are its signature's (code.h: I32Add "Iii"
// reads two i32 and writes one).
bool Compiler::numeric_operation(Op op) {
  const char* signature = signature_of(op);
  ValType out = numeric_type(signature[0]), in = numeric_type(signature[1]);
  if (op_in(op, Op::I32ReinterpretF32, Op::F64ReinterpretI64)) {
    // The bits stay where they are; only the type changes.
    Entry e;
    return pop(in, e) && push_entry(out, e.slot);
  }
  Entry a, b{in, 0, 0};
  if (operand_count(op) == 3) {
    if (binary_imm(op, in, out)) return true;
    if (failed_) return false;
    if (!pop(in, b)) return false;
  }
  if (!pop(in, a) || !push_own(out)) return false;
  if (!live()) return true;
  u32 start = static_cast<u32>(code_->size());
  if (!emit_numeric(op, Dst{stack_.back().slot}, Src{a.slot}, Src{b.slot})) return false;
  if (op == Op::I32Eqz || op_in(op, Op::I32Eq, Op::I32GeU)) {
    peephole_.record_compare(*code_, start, op, a.slot, b.slot);
  } else {
    peephole_.record_result(*code_, start);
  }
  return true;
}

bool Compiler::load_store(Opcode op) {
  MemArg arg;
  if (!memarg(natural_alignment(op), arg)) return false;
  const bool address64 = m_.memories[arg.memory].address64;
  const ValType at = address_type(arg.memory);
  // Memory 0 with i32 addresses: the operations with the cached memory; any other memory: the
  // same operation of the Mem or Mem64 family (at the same offset in it), with the index.
  Op o = memory_op_of(op);
  const u32 k = op_index(o) - op_index(Op::I32Load);
  const Op indexed = static_cast<Op>(op_index(address64 ? Op::I32LoadMem64 : Op::I32LoadMem) + k);
  const bool plain = arg.memory == 0 && !address64;
  const char* signature = signature_of(o);
  Entry addr;
  if (op <= Opcode::I64Load32U) {
    if (!pop(at, addr)) return false;
    return result(numeric_type(signature[0]), [&](Dst dst) {
      if (plain)
        return emit_instr_of<Op::I32Load, Op::I64Load32U>(o, dst, Src{addr.slot}, Word{arg.offset});
      if (address64)
        return emit_instr_of<Op::I32LoadMem64, Op::I64Load32UMem64>(
            indexed, dst, Src{addr.slot}, Word{arg.offset}, Word{arg.memory});
      return emit_instr_of<Op::I32LoadMem, Op::I64Load32UMem>(indexed, dst, Src{addr.slot},
                                                              Word{arg.offset}, Word{arg.memory});
    });
  }
  Entry v;
  if (!pop(numeric_type(signature[1]), v) || !pop(at, addr)) return false;
  if (!live()) return true;
  if (plain)
    return emit_instr_of<Op::I32Store, Op::I64Store32>(o, Src{addr.slot}, Src{v.slot},
                                                       Word{arg.offset});
  if (address64)
    return emit_instr_of<Op::I32StoreMem64, Op::I64Store32Mem64>(
        indexed, Src{addr.slot}, Src{v.slot}, Word{arg.offset}, Word{arg.memory});
  return emit_instr_of<Op::I32StoreMem, Op::I64Store32Mem>(indexed, Src{addr.slot}, Src{v.slot},
                                                           Word{arg.offset}, Word{arg.memory});
}

bool Compiler::trunc_sat(PrefixedOpcode op) { return numeric_operation(trunc_sat_op(op)); }

// ---- SIMD

// The sub-opcode of a lane-wise operation (WASM_SIMD_LANE_OPS); 0 for another operation.
constexpr u32 lane_op_code(Op op) {
  switch (op) {
#define WASM_LANE_OP_CODE(name, code, shape) \
  case Op::name: return code;
    WASM_SIMD_LANE_OPS(WASM_LANE_OP_CODE)
#undef WASM_LANE_OP_CODE
    default: return 0;
  }
}

bool Compiler::simd(SimdOpcode op) {
  // The peephole record reaches only the instructions that may fuse it (peephole_reaches).
  u32 sub = static_cast<u32>(op);
  if (sub != lane_op_code(Op::I32x4ExtendLowI16x8U) &&
      sub != lane_op_code(Op::I32x4ExtendLowI16x8S))
    peephole_.reset();
  switch (op) {
    case SimdOpcode::V128Const: {
      u64 lo, hi;
      if (!bytes_fixed(8, lo) || !bytes_fixed(8, hi)) return false;
      return result(ValType::V128,
                    [&](Dst dst) { return emit_instr<Op::V128Const>(dst, Word{lo}, Word{hi}); });
    }
    case SimdOpcode::I8x16Shuffle: return simd_shuffle();
    case SimdOpcode::I8x16ExtractLaneS:
    case SimdOpcode::I8x16ExtractLaneU:
    case SimdOpcode::I8x16ReplaceLane:
    case SimdOpcode::I16x8ExtractLaneS:
    case SimdOpcode::I16x8ExtractLaneU:
    case SimdOpcode::I16x8ReplaceLane:
    case SimdOpcode::I32x4ExtractLane:
    case SimdOpcode::I32x4ReplaceLane:
    case SimdOpcode::I64x2ExtractLane:
    case SimdOpcode::I64x2ReplaceLane:
    case SimdOpcode::F32x4ExtractLane:
    case SimdOpcode::F32x4ReplaceLane:
    case SimdOpcode::F64x2ExtractLane:
    case SimdOpcode::F64x2ReplaceLane: return simd_lane(op);
    case SimdOpcode::V128Load:
    case SimdOpcode::V128Load8x8S:
    case SimdOpcode::V128Load8x8U:
    case SimdOpcode::V128Load16x4S:
    case SimdOpcode::V128Load16x4U:
    case SimdOpcode::V128Load32x2S:
    case SimdOpcode::V128Load32x2U:
    case SimdOpcode::V128Load8Splat:
    case SimdOpcode::V128Load16Splat:
    case SimdOpcode::V128Load32Splat:
    case SimdOpcode::V128Load64Splat:
    case SimdOpcode::V128Store:
    case SimdOpcode::V128Load8Lane:
    case SimdOpcode::V128Load16Lane:
    case SimdOpcode::V128Load32Lane:
    case SimdOpcode::V128Load64Lane:
    case SimdOpcode::V128Store8Lane:
    case SimdOpcode::V128Store16Lane:
    case SimdOpcode::V128Store32Lane:
    case SimdOpcode::V128Store64Lane:
    case SimdOpcode::V128Load32Zero:
    case SimdOpcode::V128Load64Zero: return simd_memory(op);
  }
  switch (static_cast<u32>(op)) {
#define WASM_LANE_OP_CASE(name, code, shape) \
  case code: return simd_lane_op(Op::name);
    WASM_SIMD_LANE_OPS(WASM_LANE_OP_CASE)
#undef WASM_LANE_OP_CASE
  }
  // Not done yet (the lane-wise operations come one by one): refused, never run wrongly.
  return fail(ErrorKind::Unsupported, op_offset_, "SIMD instruction not supported yet");
}

// A lane-wise operation: its operand and result types are its signature's (code.h, by shape).
bool Compiler::simd_lane_op(Op op) {
  if (op == Op::I32x4ExtendLowI16x8U || op == Op::I32x4ExtendLowI16x8S) {
    bool fused;
    if (!fuse_extend_low(op, fused)) return false;
    if (fused) return true;
  }
  const char* signature = signature_of(op);
  u32 n = operand_count(op) - 1;
  Entry in[3];
  for (u32 i = n; i-- > 0;)
    if (!pop(numeric_type(signature[1 + i]), in[i])) return false;
  return result(numeric_type(signature[0]), [&](Dst dst) {
    if (!emit_op(op) || !emit_operand(dst)) return false;
    for (u32 i = 0; i < n; ++i)
      if (!emit_operand(Src{in[i].slot})) return false;
    return true;
  });
}

// i32x4.extend_low_i16x8_u (or _s) of the result of i16x8.extend_low_i8x16_u (_s) emitted just
// before: one operation widening bytes 0..3 of that one's operand, which is still in its slot
// (nothing ran in between). `fused` says whether it was done; false only on an error.
bool Compiler::fuse_extend_low(Op op, bool& fused) {
  fused = false;
  bool is_unsigned = op == Op::I32x4ExtendLowI16x8U;
  Op first = is_unsigned ? Op::I16x8ExtendLowI8x16U : Op::I16x8ExtendLowI8x16S;
  if (!live() || stack_.size() <= ctrls_.back().height) return true;
  const Entry& top = stack_.back();
  if (top.type != ValType::V128 || top.slot != own_slot(static_cast<u32>(stack_.size()) - 1))
    return true;
  if (!peephole_.wrote(Peephole::Kind::Result, *code_, top.slot)) return true;
  u32 at = peephole_.result_word() - 1;  // the recorded instruction's operation word
  if ((*code_)[at] != op_word(first)) return true;
  u64 source = (*code_)[at + 2];
  Entry e;
  if (!pop(ValType::V128, e)) return false;
  peephole_.remove(*code_, *map_);
  fused = true;
  return result(ValType::V128, [&](Dst dst) {
    if (is_unsigned)
      return emit_instr<Op::I32x4ExtendLowI8x16U>(dst, Src{static_cast<u32>(source)});
    return emit_instr<Op::I32x4ExtendLowI8x16S>(dst, Src{static_cast<u32>(source)});
  });
}

// A lane index immediate (one byte), less than `lanes`.
bool Compiler::lane_index(u32 lanes, u32& lane) {
  u8 b;
  if (!byte(b)) return false;
  if (b >= lanes) return invalid("invalid lane index");
  lane = b;
  return true;
}

bool Compiler::simd_shuffle() {
  u64 words[2] = {0, 0};
  for (u32 i = 0; i < 16; ++i) {
    u32 lane;
    if (!lane_index(32, lane)) return false;
    words[i / 8] |= static_cast<u64>(lane) << (8 * (i % 8));
  }
  Entry b, a;
  if (!pop(ValType::V128, b) || !pop(ValType::V128, a)) return false;
  return result(ValType::V128, [&](Dst dst) {
    return emit_instr<Op::I8x16Shuffle>(dst, Src{a.slot}, Src{b.slot}, Word{words[0]},
                                        Word{words[1]});
  });
}

// extract_lane and replace_lane.
bool Compiler::simd_lane(SimdOpcode op) {
  Op o;
  u32 lanes;
  switch (op) {
    case SimdOpcode::I8x16ExtractLaneS: o = Op::I8x16ExtractLaneS, lanes = 16; break;
    case SimdOpcode::I8x16ExtractLaneU: o = Op::I8x16ExtractLaneU, lanes = 16; break;
    case SimdOpcode::I8x16ReplaceLane: o = Op::I8x16ReplaceLane, lanes = 16; break;
    case SimdOpcode::I16x8ExtractLaneS: o = Op::I16x8ExtractLaneS, lanes = 8; break;
    case SimdOpcode::I16x8ExtractLaneU: o = Op::I16x8ExtractLaneU, lanes = 8; break;
    case SimdOpcode::I16x8ReplaceLane: o = Op::I16x8ReplaceLane, lanes = 8; break;
    case SimdOpcode::I32x4ExtractLane: o = Op::I32x4ExtractLane, lanes = 4; break;
    case SimdOpcode::I32x4ReplaceLane: o = Op::I32x4ReplaceLane, lanes = 4; break;
    case SimdOpcode::I64x2ExtractLane: o = Op::I64x2ExtractLane, lanes = 2; break;
    case SimdOpcode::I64x2ReplaceLane: o = Op::I64x2ReplaceLane, lanes = 2; break;
    case SimdOpcode::F32x4ExtractLane: o = Op::F32x4ExtractLane, lanes = 4; break;
    case SimdOpcode::F32x4ReplaceLane: o = Op::F32x4ReplaceLane, lanes = 4; break;
    case SimdOpcode::F64x2ExtractLane: o = Op::F64x2ExtractLane, lanes = 2; break;
    default: o = Op::F64x2ReplaceLane, lanes = 2; break;
  }
  u32 lane;
  if (!lane_index(lanes, lane)) return false;
  const char* signature = signature_of(o);
  if (op_in(o, Op::I8x16ExtractLaneS, Op::F64x2ExtractLane)) {
    Entry v;
    if (!pop(ValType::V128, v)) return false;
    return result(numeric_type(signature[0]), [&](Dst dst) {
      return emit_instr_of<Op::I8x16ExtractLaneS, Op::F64x2ExtractLane>(o, dst, Src{v.slot},
                                                                        Word{lane});
    });
  }
  Entry x, v;
  if (!pop(numeric_type(signature[2]), x) || !pop(ValType::V128, v)) return false;
  return result(ValType::V128, [&](Dst dst) {
    return emit_instr_of<Op::I8x16ReplaceLane, Op::F64x2ReplaceLane>(o, dst, Src{v.slot},
                                                                     Src{x.slot}, Word{lane});
  });
}

// The SIMD loads and stores: bounds-checked like the scalar ones, `size` bytes at the address
// plus the offset.
bool Compiler::simd_memory(SimdOpcode op) {
  Op o;
  u32 size;
  switch (op) {
    case SimdOpcode::V128Load: o = Op::V128Load, size = 16; break;
    case SimdOpcode::V128Load8x8S: o = Op::V128Load8x8S, size = 8; break;
    case SimdOpcode::V128Load8x8U: o = Op::V128Load8x8U, size = 8; break;
    case SimdOpcode::V128Load16x4S: o = Op::V128Load16x4S, size = 8; break;
    case SimdOpcode::V128Load16x4U: o = Op::V128Load16x4U, size = 8; break;
    case SimdOpcode::V128Load32x2S: o = Op::V128Load32x2S, size = 8; break;
    case SimdOpcode::V128Load32x2U: o = Op::V128Load32x2U, size = 8; break;
    case SimdOpcode::V128Load8Splat: o = Op::V128Load8Splat, size = 1; break;
    case SimdOpcode::V128Load16Splat: o = Op::V128Load16Splat, size = 2; break;
    case SimdOpcode::V128Load32Splat: o = Op::V128Load32Splat, size = 4; break;
    case SimdOpcode::V128Load64Splat: o = Op::V128Load64Splat, size = 8; break;
    case SimdOpcode::V128Load32Zero: o = Op::V128Load32Zero, size = 4; break;
    case SimdOpcode::V128Load64Zero: o = Op::V128Load64Zero, size = 8; break;
    case SimdOpcode::V128Store: o = Op::V128Store, size = 16; break;
    case SimdOpcode::V128Load8Lane: o = Op::V128Load8Lane, size = 1; break;
    case SimdOpcode::V128Load16Lane: o = Op::V128Load16Lane, size = 2; break;
    case SimdOpcode::V128Load32Lane: o = Op::V128Load32Lane, size = 4; break;
    case SimdOpcode::V128Load64Lane: o = Op::V128Load64Lane, size = 8; break;
    case SimdOpcode::V128Store8Lane: o = Op::V128Store8Lane, size = 1; break;
    case SimdOpcode::V128Store16Lane: o = Op::V128Store16Lane, size = 2; break;
    case SimdOpcode::V128Store32Lane: o = Op::V128Store32Lane, size = 4; break;
    default: o = Op::V128Store64Lane, size = 8; break;
  }
  MemArg arg;
  if (!memarg(size, arg)) return false;
  // Memory 0 with i32 addresses: the operations with the cached memory; any other memory: the
  // same operation of the Mem or Mem64 family (at the same offset in it), with the index.
  const bool address64 = m_.memories[arg.memory].address64;
  const ValType at = address_type(arg.memory);
  const bool plain = arg.memory == 0 && !address64;
  const u32 k = op_index(o) - op_index(Op::V128Load);
  const Op indexed = static_cast<Op>(op_index(address64 ? Op::V128LoadMem64 : Op::V128LoadMem) + k);
  const Word offset{arg.offset}, mem{arg.memory};
  Entry addr, v;
  if (op_in(o, Op::V128Load, Op::V128Load64Zero)) {
    if (!pop(at, addr)) return false;
    return result(ValType::V128, [&](Dst dst) {
      if (plain)
        return emit_instr_of<Op::V128Load, Op::V128Load64Zero>(o, dst, Src{addr.slot}, offset);
      if (address64)
        return emit_instr_of<Op::V128LoadMem64, Op::V128Load64ZeroMem64>(
            indexed, dst, Src{addr.slot}, offset, mem);
      return emit_instr_of<Op::V128LoadMem, Op::V128Load64ZeroMem>(indexed, dst, Src{addr.slot},
                                                                   offset, mem);
    });
  }
  if (o == Op::V128Store) {
    if (!pop(ValType::V128, v) || !pop(at, addr)) return false;
    if (!live()) return true;
    if (plain) return emit_instr<Op::V128Store>(Src{addr.slot}, Src{v.slot}, offset);
    if (address64) return emit_instr<Op::V128StoreMem64>(Src{addr.slot}, Src{v.slot}, offset, mem);
    return emit_instr<Op::V128StoreMem>(Src{addr.slot}, Src{v.slot}, offset, mem);
  }
  u32 lane;
  if (!lane_index(16 / size, lane)) return false;
  if (!pop(ValType::V128, v) || !pop(at, addr)) return false;
  const Word lw{lane};
  if (op_in(o, Op::V128Load8Lane, Op::V128Load64Lane)) {
    return result(ValType::V128, [&](Dst dst) {
      if (plain)
        return emit_instr_of<Op::V128Load8Lane, Op::V128Load64Lane>(o, dst, Src{addr.slot},
                                                                    Src{v.slot}, offset, lw);
      if (address64)
        return emit_instr_of<Op::V128Load8LaneMem64, Op::V128Load64LaneMem64>(
            indexed, dst, Src{addr.slot}, Src{v.slot}, offset, lw, mem);
      return emit_instr_of<Op::V128Load8LaneMem, Op::V128Load64LaneMem>(
          indexed, dst, Src{addr.slot}, Src{v.slot}, offset, lw, mem);
    });
  }
  if (!live()) return true;
  if (plain)
    return emit_instr_of<Op::V128Store8Lane, Op::V128Store64Lane>(o, Src{addr.slot}, Src{v.slot},
                                                                  offset, lw);
  if (address64)
    return emit_instr_of<Op::V128Store8LaneMem64, Op::V128Store64LaneMem64>(
        indexed, Src{addr.slot}, Src{v.slot}, offset, lw, mem);
  return emit_instr_of<Op::V128Store8LaneMem, Op::V128Store64LaneMem>(indexed, Src{addr.slot},
                                                                      Src{v.slot}, offset, lw, mem);
}

// ---- tables

// A table with i64 indices (table64) has its own operations, the same operands with i64
// index, size, delta and length slots.
bool Compiler::table_get() {
  u32 t;
  if (!table_index(t)) return false;
  ValType elem = m_.tables[t].elem;
  const bool t64 = m_.tables[t].address64;
  Entry i;
  if (!pop(t64 ? ValType::I64 : ValType::I32, i)) return false;
  return result(elem, [&](Dst dst) {
    if (t64) return emit_instr<Op::TableGet64>(dst, Word{t}, Src{i.slot}, TypeWord{elem});
    return emit_instr<Op::TableGet>(dst, Word{t}, Src{i.slot}, TypeWord{elem});
  });
}

bool Compiler::table_set() {
  u32 t;
  if (!table_index(t)) return false;
  ValType elem = m_.tables[t].elem;
  const bool t64 = m_.tables[t].address64;
  Entry v, i;
  if (!pop(elem, v) || !pop(t64 ? ValType::I64 : ValType::I32, i)) return false;
  if (!live()) return true;
  if (t64) return emit_instr<Op::TableSet64>(Word{t}, Src{i.slot}, Src{v.slot}, TypeWord{elem});
  return emit_instr<Op::TableSet>(Word{t}, Src{i.slot}, Src{v.slot}, TypeWord{elem});
}

bool Compiler::table_init() {
  u32 seg, table;
  if (!u32_(seg) || !u32_(table)) return false;
  if (table >= m_.tables.size()) return invalid("unknown table");
  if (seg >= m_.elems.size()) return invalid("unknown elem segment");
  if (m_.elems[seg].type != m_.tables[table].elem) return invalid("type mismatch");
  if (!m_.tables[table].address64) return range_op<Op::TableInit>(Word{table}, Word{seg});
  Entry d, s, n;
  if (!pop(ValType::I32, n) || !pop(ValType::I32, s) || !pop(ValType::I64, d)) return false;
  return !live() ||
         emit_instr<Op::TableInit64>(Word{table}, Word{seg}, Src{d.slot}, Src{s.slot}, Src{n.slot});
}

bool Compiler::elem_drop() {
  u32 seg;
  if (!u32_(seg)) return false;
  if (seg >= m_.elems.size()) return invalid("unknown elem segment");
  return !live() || emit_instr<Op::ElemDrop>(Word{seg});
}

bool Compiler::table_copy() {
  u32 dt, st;
  if (!u32_(dt) || !u32_(st)) return false;
  if (dt >= m_.tables.size() || st >= m_.tables.size()) return invalid("unknown table");
  if (m_.tables[dt].elem != m_.tables[st].elem) return invalid("type mismatch");
  const bool d64 = m_.tables[dt].address64, s64 = m_.tables[st].address64;
  if (!d64 && !s64) return range_op<Op::TableCopy>(Word{dt}, Word{st});
  // The length is of the smaller index type.
  Entry d, s, n;
  if (!pop(d64 && s64 ? ValType::I64 : ValType::I32, n) ||
      !pop(s64 ? ValType::I64 : ValType::I32, s) || !pop(d64 ? ValType::I64 : ValType::I32, d))
    return false;
  if (!live()) return true;
  Word dw{dt}, sw{st};
  Src ds{d.slot}, ss{s.slot}, ns{n.slot};
  if (d64 && s64) return emit_instr<Op::TableCopy64>(dw, sw, ds, ss, ns);
  if (d64) return emit_instr<Op::TableCopy64From32>(dw, sw, ds, ss, ns);
  return emit_instr<Op::TableCopy32From64>(dw, sw, ds, ss, ns);
}

bool Compiler::table_grow() {
  u32 t;
  if (!table_index(t)) return false;
  ValType elem = m_.tables[t].elem;
  const bool t64 = m_.tables[t].address64;
  const ValType it = t64 ? ValType::I64 : ValType::I32;
  Entry n, v;
  if (!pop(it, n) || !pop(elem, v)) return false;
  if (!push_own(it)) return false;
  if (!live()) return true;
  if (t64)
    return emit_instr<Op::TableGrow64>(Dst{stack_.back().slot}, Word{t}, Src{v.slot}, Src{n.slot},
                                       TypeWord{elem});
  return emit_instr<Op::TableGrow>(Dst{stack_.back().slot}, Word{t}, Src{v.slot}, Src{n.slot},
                                   TypeWord{elem});
}

bool Compiler::table_size() {
  u32 t;
  if (!table_index(t)) return false;
  const bool t64 = m_.tables[t].address64;
  if (!push_own(t64 ? ValType::I64 : ValType::I32)) return false;
  if (!live()) return true;
  if (t64) return emit_instr<Op::TableSize64>(Dst{stack_.back().slot}, Word{t});
  return emit_instr<Op::TableSize>(Dst{stack_.back().slot}, Word{t});
}

bool Compiler::table_fill() {
  u32 t;
  if (!table_index(t)) return false;
  ValType elem = m_.tables[t].elem;
  const bool t64 = m_.tables[t].address64;
  const ValType it = t64 ? ValType::I64 : ValType::I32;
  Entry n, v, i;
  if (!pop(it, n) || !pop(elem, v) || !pop(it, i)) return false;
  if (!live()) return true;
  if (t64)
    return emit_instr<Op::TableFill64>(Word{t}, Src{i.slot}, Src{v.slot}, Src{n.slot},
                                       TypeWord{elem});
  return emit_instr<Op::TableFill>(Word{t}, Src{i.slot}, Src{v.slot}, Src{n.slot}, TypeWord{elem});
}

// ---- memory

bool Compiler::memory_size() {
  u32 mem;
  if (!memory_index(mem)) return false;
  ValType at = address_type(mem);
  if (!push_own(at)) return false;
  if (!live()) return true;
  if (m_.memories[mem].address64)
    return emit_instr<Op::MemorySizeMem64>(Dst{stack_.back().slot}, Word{mem});
  if (mem != 0) return emit_instr<Op::MemorySizeMem>(Dst{stack_.back().slot}, Word{mem});
  return emit_instr<Op::MemorySize>(Dst{stack_.back().slot});
}

bool Compiler::memory_grow() {
  u32 mem;
  if (!memory_index(mem)) return false;
  ValType at = address_type(mem);
  Entry d;
  if (!pop(at, d)) return false;
  return result(at, [&](Dst dst) {
    if (m_.memories[mem].address64)
      return emit_instr<Op::MemoryGrowMem64>(dst, Src{d.slot}, Word{mem});
    if (mem != 0) return emit_instr<Op::MemoryGrowMem>(dst, Src{d.slot}, Word{mem});
    return emit_instr<Op::MemoryGrow>(dst, Src{d.slot});
  });
}

// A memory index (memory.size, memory.grow, the bulk operations): it must name a memory.
// Without multi-memory (2.0) the index is a zero byte.
bool Compiler::memory_index(u32& mem) {
  if (!features_.multi_memory) {
    u8 zero;
    if (!byte(zero)) return false;
    if (zero != 0) return malformed("zero byte expected");
    mem = 0;
  } else if (!u32_(mem)) {
    return false;
  }
  if (mem >= m_.memories.size()) return invalid(mem == 0 ? "unknown memory 0" : "unknown memory");
  return true;
}

ValType Compiler::address_type(u32 mem) const {
  return m_.memories[mem].address64 ? ValType::I64 : ValType::I32;
}

bool Compiler::memory_init() {
  u32 seg, mem;
  if (!u32_(seg)) return false;
  if (!memory_index(mem)) return false;
  if (!data_segment(seg)) return false;
  if (mem == 0 && !m_.memories[0].address64) return range_op<Op::MemoryInit>(Word{seg});
  Entry d, s, n;
  if (!pop(ValType::I32, n) || !pop(ValType::I32, s) || !pop(address_type(mem), d)) return false;
  if (!live()) return true;
  if (m_.memories[mem].address64)
    return emit_instr<Op::MemoryInitMem64>(Word{seg}, Word{mem}, Src{d.slot}, Src{s.slot},
                                           Src{n.slot});
  return emit_instr<Op::MemoryInitMem>(Word{seg}, Word{mem}, Src{d.slot}, Src{s.slot}, Src{n.slot});
}

bool Compiler::data_drop() {
  u32 seg;
  if (!u32_(seg)) return false;
  if (!data_segment(seg)) return false;
  return !live() || emit_instr<Op::DataDrop>(Word{seg});
}

// A data segment index of memory.init or data.drop. Without a data count section: malformed if
// the module has data segments after all, else the segment is unknown (decided at the end of the
// module).
bool Compiler::data_segment(u32 seg) {
  if (!m_.has_data_count) {
    if (missing_data_count_at_ == kNone) missing_data_count_at_ = op_offset_;
  } else if (seg >= m_.data_count) {
    return invalid("unknown data segment");
  }
  return true;
}

bool Compiler::memory_copy() {
  u32 dm, sm;
  if (!memory_index(dm) || !memory_index(sm)) return false;
  const bool d64 = m_.memories[dm].address64, s64 = m_.memories[sm].address64;
  if (dm == 0 && sm == 0 && !d64) return range_op<Op::MemoryCopy>();
  // The length is of the smaller address type.
  Entry d, s, n;
  if (!pop(d64 && s64 ? ValType::I64 : ValType::I32, n) || !pop(address_type(sm), s) ||
      !pop(address_type(dm), d))
    return false;
  if (!live()) return true;
  Word dw{dm}, sw{sm};
  Src ds{d.slot}, ss{s.slot}, ns{n.slot};
  if (d64 && s64) return emit_instr<Op::MemoryCopyMem64>(dw, sw, ds, ss, ns);
  if (d64) return emit_instr<Op::MemoryCopyMem64From32>(dw, sw, ds, ss, ns);
  if (s64) return emit_instr<Op::MemoryCopyMem32From64>(dw, sw, ds, ss, ns);
  return emit_instr<Op::MemoryCopyMem>(dw, sw, ds, ss, ns);
}

bool Compiler::memory_fill() {
  u32 mem;
  if (!memory_index(mem)) return false;
  if (mem == 0 && !m_.memories[0].address64) return range_op<Op::MemoryFill>();
  ValType at = address_type(mem);
  Entry d, v, n;
  if (!pop(at, n) || !pop(ValType::I32, v) || !pop(at, d)) return false;
  if (!live()) return true;
  if (m_.memories[mem].address64)
    return emit_instr<Op::MemoryFillMem64>(Word{mem}, Src{d.slot}, Src{v.slot}, Src{n.slot});
  return emit_instr<Op::MemoryFillMem>(Word{mem}, Src{d.slot}, Src{v.slot}, Src{n.slot});
}

bool Compiler::table_index(u32& t) {
  if (!u32_(t)) return false;
  if (t >= m_.tables.size()) return invalid("unknown table");
  return true;
}

bool Compiler::global_index(u32& g) {
  if (!u32_(g)) return false;
  if (g >= m_.globals.size()) return invalid("unknown global");
  return true;
}

bool Compiler::header() {
  data_ = m_.bytes.data();
  pos_ = 0;
  end_ = static_cast<u32>(m_.bytes.size());
  u64 magic, version;
  if (end_ < 4) return malformed("unexpected end (magic header not detected)");
  if (!bytes_fixed(4, magic)) return false;
  if (magic != 0x6d736100) return fail(ErrorKind::Malformed, 0, "magic header not detected");
  if (end_ < 8) return malformed("unexpected end (unknown binary version)");
  if (!bytes_fixed(4, version)) return false;
  if (version != 1) return fail(ErrorKind::Malformed, 4, "unknown binary version");
  return true;
}

bool Compiler::section() {
  // The order sections must come in, by id: the data count section between elem and code.
  static const u8 kRank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  u32 sec_begin = pos_;
  u8 id;
  if (!byte(id)) return false;
  u32 size;
  if (!u32_(size)) return false;
  if (end_ - pos_ < size) return malformed("section size mismatch (unexpected end)");
  if (id > static_cast<u8>(SectionId::DataCount))
    return fail(ErrorKind::Malformed, sec_begin, "malformed section id");
  if (id != static_cast<u8>(SectionId::Custom)) {
    if (kRank[id] <= last_rank_)
      return fail(ErrorKind::Malformed, sec_begin,
                  "unexpected content after last section / junk after last section");
    last_rank_ = kRank[id];
  }
  section_id_ = static_cast<SectionId>(id);
  section_body_ = pos_;
  section_end_ = pos_ + size;
  module_end_ = end_;
  end_ = section_end_;
  bool ok = true;
  switch (section_id_) {
    case SectionId::Custom: ok = section_custom(section_body_, size); break;
    case SectionId::Type: ok = section_type(); break;
    case SectionId::Import: ok = section_import(); break;
    case SectionId::Function: {
      ok = section_function();
      ok = ok && charge_growth(m_.functions, function_count_declared_);
      if (ok && m_.functions.try_resize(function_count_declared_).is_error()) ok = no_memory();
      break;
    }
    case SectionId::Table: ok = section_table(); break;
    case SectionId::Memory: ok = section_memory(); break;
    case SectionId::Global: ok = section_global(); break;
    case SectionId::Export: ok = section_export(); break;
    case SectionId::Start: ok = section_start(); break;
    case SectionId::Elem: ok = section_elem(); break;
    case SectionId::Code:
      // The bodies are compiled by later code_entry() calls, then section_finish().
      seen_code_ = true;
      if (!section_code()) return false;
      phase_ = Phase::Code;
      return true;
    case SectionId::Data:
      seen_data_ = true;
      ok = section_data();
      break;
    case SectionId::DataCount:
      ok = u32_(m_.data_count);
      m_.has_data_count = true;
      break;
  }
  if (!ok) return false;
  return section_finish();
}

bool Compiler::section_finish() {
  SectionId id = section_id_;
  if (id == SectionId::Import || id == SectionId::Function) {
    if (!charge_growth(m_.declared_funcs, m_.func_types.size())) return false;
    if (m_.declared_funcs.try_resize(m_.func_types.size()).is_error()) return no_memory();
  }
  if ((id == SectionId::Import || id == SectionId::Memory) && !features_.multi_memory &&
      m_.memories.size() > 1)
    return fail(ErrorKind::Invalid, section_body_, "multiple memories");
  if (pos_ != section_end_) return fail(ErrorKind::Malformed, pos_, "section size mismatch");
  end_ = module_end_;
  return true;
}

bool Compiler::finish() {
  if (!seen_code_ && function_count_declared_ != 0)
    return fail(ErrorKind::Malformed, pos_, "function and code section have inconsistent lengths");
  if (missing_data_count_at_ != kNone) {
    if (seen_data_)
      return fail(ErrorKind::Malformed, missing_data_count_at_, "data count section required");
    return fail(ErrorKind::Invalid, missing_data_count_at_, "unknown data segment");
  }
  if (m_.has_data_count && m_.datas.size() != m_.data_count)
    return fail(ErrorKind::Malformed, pos_,
                "data count and data section have inconsistent lengths");
  return true;
}

// The work is the same sequence of calls an uninterrupted compile makes, cut only between
// units, so the results and the errors do not depend on the budget.
bool Compiler::step(u64 budget, bool& done) {
  done = false;
  if (failed_) return false;
  if (phase_ == Phase::Done) {
    done = true;
    return true;
  }
  u64 spent = 0;
  u32 before;
  if (phase_ == Phase::Header) {
    if (!header()) return false;
    phase_ = Phase::Sections;
    spent = pos_;
  }
  for (;;) {
    if (phase_ == Phase::Code) {
      while (code_index_ < code_count_) {
        if (spent != 0 && spent >= budget) return true;
        before = pos_;
        u64 room = budget - spent;
        u64 pause_at = static_cast<u64>(pos_) + (room == 0 ? 1 : room);
        bool paused;
        if (!code_entry(code_index_, pause_at < kNone ? static_cast<u32>(pause_at) : kNone, paused))
          return false;
        spent += pos_ - before;
        if (paused) return true;
        ++code_index_;
      }
      if (!section_finish()) return false;
      phase_ = Phase::Sections;
    }
    if (pos_ >= end_) break;
    if (spent != 0 && spent >= budget) return true;
    before = pos_;
    if (!section()) return false;
    spent += pos_ - before;
  }
  if (!finish()) return false;
  phase_ = Phase::Done;
  done = true;
  return true;
}

}  // namespace

struct Compilation::State {
  explicit State(Module* m) : module(m), size(static_cast<u32>(m->bytes.size())), compiler(*m) {
    (void)compiler.charge(allocation_cost(sizeof(Module)) + allocation_cost(size));
  }
  Module* module;  // null once taken
  u32 size;
  Compiler compiler;
};

namespace {

constexpr CompileError kNoMemory{ErrorKind::NoMemory, 0, "out of memory"};
constexpr CompileError kTooLarge{ErrorKind::Limit, 0, "module too large"};
constexpr u64 kMaxModuleSize = 0xfffffff0u;

}  // namespace

Result<Compilation*, CompileError> Compilation::begin(Span<const u8> bytes) {
  Module* m = new (std::nothrow) Module();
  if (m == nullptr) return kNoMemory;
  if (bytes.size() > kMaxModuleSize) {
    delete m;
    return kTooLarge;
  }
  if (m->bytes.try_resize(bytes.size()).is_error()) {
    delete m;
    return kNoMemory;
  }
  if (bytes.size() != 0) __builtin_memcpy(m->bytes.data(), bytes.data(), bytes.size());
  return start(m);
}

Result<Compilation*, CompileError> Compilation::begin(Vector<u8>&& bytes) {
  if (bytes.size() > kMaxModuleSize) return kTooLarge;
  Module* m = new (std::nothrow) Module();
  if (m == nullptr) return kNoMemory;
  Compilation* c = TRY(start(m));
  // Nothing fails after this, so the caller keeps its bytes on failure.
  m->bytes = support::move(bytes);
  c->state_->size = static_cast<u32>(m->bytes.size());
  (void)c->state_->compiler.charge(allocation_cost(m->bytes.size()));
  return c;
}

Result<Compilation*, CompileError> Compilation::start(Module* m) {
  State* state = new (std::nothrow) State(m);
  if (state == nullptr) {
    delete m;
    return kNoMemory;
  }
  Compilation* c = new (std::nothrow) Compilation(state);
  if (c == nullptr) {
    delete state;
    delete m;
    return kNoMemory;
  }
  return c;
}

Compilation::~Compilation() {
  delete state_->module;
  delete state_;
}

Result<bool, CompileError> Compilation::step(u64 budget) {
  bool done = false;
  if (!state_->compiler.step(budget, done)) return state_->compiler.error();
  return done;
}

Module* Compilation::take() {
  if (!state_->compiler.done()) return nullptr;
  Module* m = state_->module;
  state_->module = nullptr;
  return m;
}

u32 Compilation::position() const { return state_->compiler.position(); }

void Compilation::set_memory_limit(u64 bytes) { state_->compiler.set_memory_limit(bytes); }

u64 Compilation::memory_used() const { return state_->compiler.memory_used(); }

void Compilation::set_features(const Features& features) {
  state_->compiler.set_features(features);
}

u32 Compilation::size() const { return state_->size; }

Result<Module*, CompileError> Module::compile(Span<const u8> bytes, const Features& features) {
  Compilation* c = TRY(Compilation::begin(bytes));
  c->set_features(features);
  Result<bool, CompileError> r = c->step(~u64{0});
  if (r.is_error()) {
    CompileError error = r.error();
    delete c;
    return error;
  }
  Module* m = c->take();  // an unbounded step completes the module
  delete c;
  return m;
}

Module::~Module() = default;

namespace {

template <typename T> u64 vector_cost(const Vector<T>& v) {
  return allocation_cost(v.capacity() * sizeof(T));
}

}  // namespace

u64 Module::footprint() const {
  u64 total = allocation_cost(sizeof(Module)) + vector_cost(bytes) + vector_cost(types) +
              vector_cost(imports) + vector_cost(func_types) + vector_cost(tables) +
              vector_cost(memories) + vector_cost(globals) + vector_cost(exports) +
              vector_cost(elems) + vector_cost(datas) + vector_cost(functions) +
              vector_cost(customs) + vector_cost(declared_funcs) + vector_cost(const_code);
  for (const FuncType& t : types) total += vector_cost(t.types);
  for (const ElemSegment& s : elems) total += vector_cost(s.items);
  for (const Function& f : functions) total += vector_cost(f.code) + vector_cost(f.code_map);
  return total;
}

support::StringView Module::function_name(u32 func_index) const {
  if (func_index >= imported_funcs && func_index - imported_funcs < functions.size()) {
    Name n = functions[func_index - imported_funcs].name;
    if (n.size) return name_of(n);
  }
  for (const Export& e : exports)
    if (e.kind == ExternKind::Func && e.index == func_index) return name_of(e.name);
  return {};
}

bool Module::locate(const u64* ip, u32* func_index, u32* wasm_offset) const {
  for (u32 i = 0; i < functions.size(); ++i) {
    const Function& f = functions[i];
    if (ip < f.code.data() || ip >= f.code.data() + f.code.size()) continue;
    u32 off = static_cast<u32>(ip - f.code.data());
    u32 best = f.body_offset;
    for (const CodeMapEntry& e : f.code_map) {
      if (e.code_offset > off) break;
      best = e.wasm_offset;
    }
    *func_index = imported_funcs + i;
    *wasm_offset = best;
    return true;
  }
  return false;
}

bool FuncType::operator==(const FuncType& other) const {
  if (param_count != other.param_count || result_count != other.result_count) return false;
  for (u32 i = 0; i < types.size(); ++i)
    if (types[i] != other.types[i]) return false;
  return true;
}

const char* val_type_name(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "?";
}

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Limit: return "implementation limit";
    case ErrorKind::NoMemory: return "out of memory";
  }
  return "?";
}

}  // namespace wasm

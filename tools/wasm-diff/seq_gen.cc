#include "seq_gen.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "random.h"

namespace wasm_diff {

namespace {

using Types = std::vector<ValType>;

constexpr ValType kNumeric[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64};
constexpr ValType kAll[] = {ValType::I32, ValType::I64,     ValType::F32,
                            ValType::F64, ValType::FuncRef, ValType::ExternRef};

bool is_ref_type(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }

// One operation of fixed operand and result types, for the random walk's lookup tables.
struct OpInfo {
  uint8_t prefix;  // 0, 0xfc or 0xfd (SIMD)
  uint16_t code;
  ValType in;
  ValType out;
  uint8_t lanes = 0;  // an extract_lane: its lane immediate is below this
  // A v128 of float lanes whose NaNs are the engine's choice (arithmetic, rounding, demote,
  // promote): 4 for f32x4, 2 for f64x2 lanes; guard_v128() makes each such NaN the canonical one.
  uint8_t nan_lanes = 0;
};

// SIMD operations (after the 0xfd prefix) of one or two v128 operands or a scalar splatted, in
// the lookup tables of the scalar ones: v128 -> v128, v128 -> i32 (tests, bitmasks), scalar ->
// v128 (splats), v128 -> scalar (extract_lane); v128 v128 -> v128. With `relaxed`, the relaxed
// SIMD operations of those shapes where wabt 1.0.32's interpreter picks what this engine picks
// (docs/engine.md): relaxed_trunc (as trunc_sat), relaxed_swizzle (as swizzle), relaxed_min/max
// (as min/max), relaxed_q15mulr_s (saturating).
void add_simd_unary_ops(std::vector<OpInfo>& ops, bool relaxed) {
  using V = ValType;
  auto add = [&](unsigned code, V in, V out, uint8_t lanes = 0, uint8_t nan = 0) {
    ops.push_back({0xfd, static_cast<uint16_t>(code), in, out, lanes, nan});
  };
  for (unsigned c : {0x4d, 0x60, 0x61, 0x62, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x87, 0x88, 0x89,
                     0x8a, 0xa0, 0xa1, 0xa7, 0xa8, 0xa9, 0xaa, 0xc0, 0xc1, 0xc7, 0xc8, 0xc9, 0xca,
                     0xe0, 0xe1, 0xec, 0xed, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff})
    add(c, V::V128, V::V128);
  for (unsigned c : {0x5e, 0x67, 0x68, 0x69, 0x6a, 0xe3}) add(c, V::V128, V::V128, 0, 4);
  for (unsigned c : {0x5f, 0x74, 0x75, 0x7a, 0x94, 0xef}) add(c, V::V128, V::V128, 0, 2);
  for (unsigned c : {0x53, 0x63, 0x64, 0x83, 0x84, 0xa3, 0xa4, 0xc3, 0xc4}) add(c, V::V128, V::I32);
  for (unsigned c : {0x0f, 0x10, 0x11}) add(c, V::I32, V::V128);
  add(0x12, V::I64, V::V128);
  add(0x13, V::F32, V::V128);
  add(0x14, V::F64, V::V128);
  add(0x15, V::V128, V::I32, 16);
  add(0x16, V::V128, V::I32, 16);
  add(0x18, V::V128, V::I32, 8);
  add(0x19, V::V128, V::I32, 8);
  add(0x1b, V::V128, V::I32, 4);
  add(0x1d, V::V128, V::I64, 2);
  add(0x1f, V::V128, V::F32, 4);
  add(0x21, V::V128, V::F64, 2);
  if (relaxed)
    for (unsigned c = 0x101; c <= 0x104; ++c) add(c, V::V128, V::V128);
}

void add_simd_binary_ops(std::vector<OpInfo>& ops, bool relaxed) {
  using V = ValType;
  auto range = [&](unsigned first, unsigned last, uint8_t nan = 0) {
    for (unsigned c = first; c <= last; ++c)
      ops.push_back({0xfd, static_cast<uint16_t>(c), V::V128, V::V128, 0, nan});
  };
  range(0x0e, 0x0e);  // swizzle
  range(0x23, 0x4c);  // comparisons (float ones give masks: no NaN)
  range(0x4e, 0x51);  // and, andnot, or, xor
  range(0x65, 0x66);
  range(0x6e, 0x73);
  range(0x76, 0x79);
  range(0x7b, 0x7b);
  range(0x82, 0x82);
  range(0x85, 0x86);
  range(0x8e, 0x93);
  range(0x95, 0x99);
  range(0x9b, 0x9f);
  range(0xae, 0xae);
  range(0xb1, 0xb1);
  range(0xb5, 0xba);
  range(0xbc, 0xbf);
  range(0xce, 0xce);
  range(0xd1, 0xd1);
  range(0xd5, 0xdf);
  range(0xe4, 0xe9, 4);  // f32x4 add sub mul div min max
  range(0xea, 0xeb);     // pmin, pmax: one operand's bits
  range(0xf0, 0xf5, 2);
  range(0xf6, 0xf7);
  if (relaxed) {
    range(0x100, 0x100);  // relaxed_swizzle
    range(0x10d, 0x10e, 4);
    range(0x10f, 0x110, 2);
    range(0x111, 0x111);  // relaxed_q15mulr_s
  }
}

std::vector<OpInfo> make_unary_ops() {
  using V = ValType;
  std::vector<OpInfo> ops;
  auto add = [&](uint8_t prefix, uint8_t code, V in, V out) {
    ops.push_back({prefix, code, in, out});
  };
  for (uint8_t c : {0x67, 0x68, 0x69, 0xc0, 0xc1, 0x45}) add(0, c, V::I32, V::I32);
  for (uint8_t c : {0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4}) add(0, c, V::I64, V::I64);
  for (uint8_t c : {0x50, 0xa7}) add(0, c, V::I64, V::I32);
  for (uint8_t c = 0x8b; c <= 0x91; ++c) add(0, c, V::F32, V::F32);
  for (uint8_t c = 0x99; c <= 0x9f; ++c) add(0, c, V::F64, V::F64);
  for (uint8_t c : {0xa8, 0xa9, 0xbc}) add(0, c, V::F32, V::I32);
  for (uint8_t c : {0xaa, 0xab}) add(0, c, V::F64, V::I32);
  for (uint8_t c : {0xac, 0xad}) add(0, c, V::I32, V::I64);
  for (uint8_t c : {0xae, 0xaf}) add(0, c, V::F32, V::I64);
  for (uint8_t c : {0xb0, 0xb1, 0xbd}) add(0, c, V::F64, V::I64);
  for (uint8_t c : {0xb2, 0xb3, 0xbe}) add(0, c, V::I32, V::F32);
  for (uint8_t c : {0xb4, 0xb5}) add(0, c, V::I64, V::F32);
  add(0, 0xb6, V::F64, V::F32);
  for (uint8_t c : {0xb7, 0xb8}) add(0, c, V::I32, V::F64);
  for (uint8_t c : {0xb9, 0xba, 0xbf}) add(0, c, V::I64, V::F64);
  add(0, 0xbb, V::F32, V::F64);
  // Saturating truncations.
  add(0xfc, 0, V::F32, V::I32);
  add(0xfc, 1, V::F32, V::I32);
  add(0xfc, 2, V::F64, V::I32);
  add(0xfc, 3, V::F64, V::I32);
  add(0xfc, 4, V::F32, V::I64);
  add(0xfc, 5, V::F32, V::I64);
  add(0xfc, 6, V::F64, V::I64);
  add(0xfc, 7, V::F64, V::I64);
  return ops;
}

// Binary operations: both operands of type `in`.
std::vector<OpInfo> make_binary_ops() {
  using V = ValType;
  std::vector<OpInfo> ops;
  auto range = [&](uint8_t first, uint8_t last, V in, V out) {
    for (unsigned c = first; c <= last; ++c) ops.push_back({0, static_cast<uint8_t>(c), in, out});
  };
  range(0x6a, 0x78, V::I32, V::I32);
  range(0x46, 0x4f, V::I32, V::I32);
  range(0x7c, 0x8a, V::I64, V::I64);
  range(0x51, 0x5a, V::I64, V::I32);
  range(0x92, 0x98, V::F32, V::F32);
  range(0x5b, 0x60, V::F32, V::I32);
  range(0xa0, 0xa6, V::F64, V::F64);
  range(0x61, 0x66, V::F64, V::I32);
  return ops;
}

struct MemOp {
  uint8_t code;
  ValType type;
  uint8_t max_align;  // log2 of the natural alignment
};
constexpr MemOp kLoads[] = {
    {0x28, ValType::I32, 2}, {0x29, ValType::I64, 3}, {0x2a, ValType::F32, 2},
    {0x2b, ValType::F64, 3}, {0x2c, ValType::I32, 0}, {0x2d, ValType::I32, 0},
    {0x2e, ValType::I32, 1}, {0x2f, ValType::I32, 1}, {0x30, ValType::I64, 0},
    {0x31, ValType::I64, 0}, {0x32, ValType::I64, 1}, {0x33, ValType::I64, 1},
    {0x34, ValType::I64, 2}, {0x35, ValType::I64, 2}};
constexpr MemOp kStores[] = {
    {0x36, ValType::I32, 2}, {0x37, ValType::I64, 3}, {0x38, ValType::F32, 2},
    {0x39, ValType::F64, 3}, {0x3a, ValType::I32, 0}, {0x3b, ValType::I32, 1},
    {0x3c, ValType::I64, 0}, {0x3d, ValType::I64, 1}, {0x3e, ValType::I64, 2}};

// v128 loads: sub-opcode, log2 of the natural alignment.
struct SimdMemOp {
  uint8_t code;
  uint8_t max_align;
};
constexpr SimdMemOp kSimdLoads[] = {{0x00, 4}, {0x01, 3}, {0x02, 3}, {0x03, 3}, {0x04, 3},
                                    {0x05, 3}, {0x06, 3}, {0x07, 0}, {0x08, 1}, {0x09, 2},
                                    {0x0a, 3}, {0x5c, 2}, {0x5d, 3}};

constexpr int32_t kBudget = 100;  // function entries plus loop iterations per export call
constexpr uint32_t kImports = 2;  // host functions h0, h1
constexpr uint32_t kBudgetGlobal = 0;
constexpr uint32_t kMemoryChunk = 65536;  // bytes the engine's bulk memory operations do at once
constexpr uint32_t kTableChunk = 8192;    // elements its bulk table operations do at once

struct Sig {
  Types params, results;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  Bytes module();

 private:
  Rng rng_;
  std::vector<Sig> types_;
  std::vector<uint32_t> func_types_;  // imports, random functions, then their export wrappers
  std::vector<Types> func_locals_;    // declared locals of the random functions
  uint32_t random_funcs_ = 0;
  bool tail_calls_ = false;  // return_call_indirect (and no host functions reached)
  bool simd_ = false;        // v128 values and SIMD instructions
  bool relaxed_ = false;     // and relaxed SIMD (those wabt agrees on; see add_simd_unary_ops)
  struct GlobalInfo {
    ValType type;
    bool mut;
  };
  std::vector<GlobalInfo> globals_;
  uint32_t table_size_[2] = {0, 0};
  std::vector<uint32_t> table0_;  // the functions table 0's active segment puts from slot 0
  std::vector<OpInfo> unary_ = make_unary_ops();
  std::vector<OpInfo> binary_ = make_binary_ops();

  // The function being generated.
  Writer code_;
  Types locals_;  // params, then declared locals
  Types results_;
  std::vector<Types> labels_;  // branch types, innermost last
  Types stack_;                // operand types of the innermost block
  // Per stack entry: a float that may be a NaN produced by arithmetic. Its sign and payload are
  // the engine's choice (wabt returns the canonical NaN, this engine the hardware's), so before
  // such a value can reach integer bits (reinterpret, store) or another value's sign (copysign's
  // second operand), guard() makes any NaN the canonical one. Float locals and globals are
  // either clean (a tainted value is guarded before it is written) or dirty (reads are tainted).
  std::vector<bool> taint_;
  std::vector<bool> dirty_local_;
  std::vector<bool> dirty_global_;
  uint32_t scratch_f32_ = 0, scratch_f64_ = 0;  // locals used by guard() only
  uint32_t scratch_v128_ = ~0u;                 // used by guard_v128() only (SIMD modules)
  bool dead_ = false;  // after an unconditional branch (the stack is polymorphic)
  uint32_t held_ = 0;  // operands of the enclosing blocks, below the innermost block's
  int steps_left_ = 0;

  uint32_t type_of(const Types& params, const Types& results);
  uint32_t callable_count() const { return kImports + random_funcs_; }
  // A module with tail calls never calls its host functions, puts them in a table or names them
  // by ref.func: wabt 1.0.32's return_call_indirect of a host function leaves the caller's
  // caller's frame wrong (its locals read back changed).
  uint32_t first_callable() const { return tail_calls_ ? kImports : 0; }
  uint32_t random_callable() {
    return first_callable() + rng_.below(callable_count() - first_callable());
  }
  ValType random_type() {
    if (simd_ && rng_.chance(12)) return ValType::V128;
    return rng_.chance(80) ? rng_.pick(kNumeric) : rng_.pick(kAll);
  }
  // A numeric type for an operation: v128 now and then in a SIMD module.
  ValType random_numeric() {
    return simd_ && rng_.chance(15) ? ValType::V128 : rng_.pick(kNumeric);
  }
  Types random_types(uint32_t max) {
    Types t(rng_.below(max + 1));
    for (ValType& v : t) v = random_type();
    return t;
  }

  void emit(uint8_t b) { code_.byte(b); }
  void emit_op(const OpInfo& op) {
    if (op.prefix) emit(op.prefix);
    if (op.prefix == 0xfd)
      code_.u32(op.code);
    else
      emit(static_cast<uint8_t>(op.code));
  }
  void emit_simd(uint32_t code) {
    emit(0xfd);
    code_.u32(code);
  }
  void push(ValType t, bool tainted = false) {
    stack_.push_back(t);
    taint_.push_back(tainted && (t == ValType::F32 || t == ValType::F64));
  }
  // Pops an operand of type t; returns whether it was tainted.
  bool pop(ValType t) {
    if (stack_.empty()) {
      if (dead_) return false;
      fail("pop from an empty stack");
    }
    if (stack_.back() != t) fail("operand type");
    return pop_any();
  }
  bool pop_any() {
    bool tainted = taint_.back();
    stack_.pop_back();
    taint_.pop_back();
    return tainted;
  }
  bool top_tainted() const { return !taint_.empty() && taint_.back(); }
  // Makes a NaN on top the canonical one: local.tee $s; T.const nan; local.get $s; local.get $s;
  // T.eq; select.
  void guard();
  void guard_if_tainted() {
    if (top_tainted()) guard();
  }
  // Makes every NaN lane of the v128 on top (read as `lanes` float lanes: 4 or 2) the canonical
  // NaN: local.tee $s; v128.const nan...; local.get $s; local.get $s; f32x4/f64x2.eq;
  // v128.bitselect. v128 values are guarded as soon as they are made, so that they are never
  // tainted: v128 results, locals, globals and memory compare bit for bit.
  void guard_v128(uint8_t lanes);
  [[noreturn]] void fail(const char* why) {
    fprintf(stderr, "seq_gen: internal error: %s\n", why);
    abort();
  }
  bool top_is(ValType t) const { return !stack_.empty() && stack_.back() == t; }
  bool top_numeric() const { return !stack_.empty() && !is_ref_type(stack_.back()); }
  bool top_scalar() const { return top_numeric() && stack_.back() != ValType::V128; }

  void function_body(uint32_t index);
  void wrapper_body(uint32_t target);
  void budget_check();
  void sequence(uint32_t max_steps);
  void step();
  void burst();
  void polymorphic_step();
  void finish(const Types& results);
  void go_dead() {
    stack_.clear();
    taint_.clear();
    dead_ = true;
  }

  // Producers: each leaves one value of the type on the stack.
  void value(ValType t, int depth = 0);
  void constant(ValType t);
  void local_get(ValType t);
  void global_get(ValType t);
  void address();
  // An i32 condition on top. With `reuse`, values already on top may serve as the condition or
  // the operands of its comparison; without, they are reserved for the instruction being built.
  void condition(bool reuse);
  void small_i32(uint32_t below) {
    emit(0x41);
    code_.s64(rng_.below(below));
    push(ValType::I32);
  }
  // The length operand of a bulk operation: mostly small, sometimes around one or two `chunk`s
  // (the engine works in chunks of 64 KiB or 8,192 elements), sometimes anything.
  void length(uint32_t small, uint32_t chunk) {
    uint32_t r = rng_.below(100);
    if (r < 75) {
      small_i32(small);
    } else if (r < 92) {
      emit(0x41);
      code_.s64((rng_.chance(50) ? chunk : 2 * chunk) - 16 + rng_.below(32));
      push(ValType::I32);
    } else {
      value(ValType::I32);
    }
  }
  // Leaves `types` on top of the stack, reusing what is there when it fits.
  void ensure(const Types& types);
  void ensure_same(ValType t, uint32_t n);
  uint32_t local_of(ValType t);
  bool is_scratch(uint32_t local) const {
    return local == scratch_f32_ || local == scratch_f64_ || local == scratch_v128_;
  }
  // local.set or local.tee of the top value (guarded first when the local is clean).
  void set_local(uint32_t local, bool tee);
  bool has_mutable_global(ValType t) const;

  // Emit an operation whose operands are on top, tracking taint.
  void apply_unary(const OpInfo& op);
  void apply_binary(const OpInfo& op);
  void unary();
  void binary(bool compare);
  void drop();
  void local_set();
  void global_set();
  void select();
  void load();
  void store();
  void memarg(uint8_t max_align);
  void block(uint8_t kind);
  void branch();
  void call();
  void call_indirect();
  bool tail_call();
  void table_op();
  void memory_op();
  // SIMD instructions outside the lookup tables: shifts, bitselect, shuffle, replace_lane,
  // v128 loads and stores (of lanes too) near the end of the memory.
  void simd_op();
  void simd_address();
  void v128_constant();
};

uint32_t Generator::type_of(const Types& params, const Types& results) {
  for (uint32_t i = 0; i < types_.size(); ++i)
    if (types_[i].params == params && types_[i].results == results) return i;
  types_.push_back({params, results});
  return static_cast<uint32_t>(types_.size() - 1);
}

uint32_t Generator::local_of(ValType t) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < locals_.size(); ++i) n += locals_[i] == t && !is_scratch(i);
  uint32_t k = rng_.below(n);
  for (uint32_t i = 0; i < locals_.size(); ++i)
    if (locals_[i] == t && !is_scratch(i) && k-- == 0) return i;
  fail("no local of a type");
}

void Generator::guard() {
  ValType t = stack_.back();
  uint32_t scratch = t == ValType::F32 ? scratch_f32_ : scratch_f64_;
  emit(0x22);
  code_.u32(scratch);
  if (t == ValType::F32) {
    emit(0x43);
    code_.f32_bits(0x7fc00000);
  } else {
    emit(0x44);
    code_.f64_bits(0x7ff8000000000000ull);
  }
  emit(0x20);
  code_.u32(scratch);
  emit(0x20);
  code_.u32(scratch);
  emit(t == ValType::F32 ? 0x5b : 0x61);
  emit(0x1b);
  taint_.back() = false;
}

void Generator::guard_v128(uint8_t lanes) {
  emit(0x22);
  code_.u32(scratch_v128_);
  emit_simd(0x0c);
  for (uint32_t i = 0; i < 4; ++i) {
    uint32_t word = lanes == 4 ? 0x7fc00000u : i % 2 ? 0x7ff80000u : 0;
    for (int b = 0; b < 4; ++b) emit(static_cast<uint8_t>(word >> (8 * b)));
  }
  emit(0x20);
  code_.u32(scratch_v128_);
  emit(0x20);
  code_.u32(scratch_v128_);
  emit_simd(lanes == 4 ? 0x41 : 0x47);
  emit_simd(0x52);
}

void Generator::v128_constant() {
  Val v = edge_v128(rng_);
  emit_simd(0x0c);
  for (int b = 0; b < 8; ++b) emit(static_cast<uint8_t>(v.bits >> (8 * b)));
  for (int b = 0; b < 8; ++b) emit(static_cast<uint8_t>(v.hi >> (8 * b)));
}

void Generator::constant(ValType t) {
  switch (t) {
    case ValType::V128: v128_constant(); break;
    case ValType::I32:
      emit(0x41);
      code_.s64(static_cast<int32_t>(edge_bits(rng_, t)));
      break;
    case ValType::I64:
      emit(0x42);
      code_.s64(static_cast<int64_t>(edge_bits(rng_, t)));
      break;
    case ValType::F32:
      emit(0x43);
      code_.f32_bits(static_cast<uint32_t>(edge_bits(rng_, t)));
      break;
    case ValType::F64:
      emit(0x44);
      code_.f64_bits(edge_bits(rng_, t));
      break;
    case ValType::FuncRef:
      if (rng_.chance(50)) {
        emit(0xd2);
        code_.u32(random_callable());
      } else {
        emit(0xd0);
        emit(0x70);
      }
      break;
    default:
      emit(0xd0);
      emit(0x6f);
      break;
  }
  push(t);
}

void Generator::local_get(ValType t) {
  uint32_t local = local_of(t);
  emit(0x20);
  code_.u32(local);
  push(t, dirty_local_[local]);
}

void Generator::set_local(uint32_t local, bool tee) {
  if (!dirty_local_[local]) guard_if_tainted();
  emit(tee ? 0x22 : 0x21);
  code_.u32(local);
  if (!tee) pop_any();
}

void Generator::global_get(ValType t) {
  std::vector<uint32_t> fit;
  for (uint32_t i = 0; i < globals_.size(); ++i)
    if (globals_[i].type == t) fit.push_back(i);
  uint32_t global = fit[rng_.below(fit.size())];
  emit(0x23);
  code_.u32(global);
  push(t, dirty_global_[global]);
}

void Generator::value(ValType t, int depth) {
  uint32_t r = rng_.below(100);
  if (is_ref_type(t)) {
    if (r < 35) {
      constant(t);
    } else if (r < 65) {
      local_get(t);
    } else if (r < 80) {
      global_get(t);
    } else {
      uint32_t table = t == ValType::FuncRef ? 0 : 1;
      if (rng_.chance(80))
        small_i32(table_size_[table] + 1);
      else
        value(ValType::I32, depth + 1);
      emit(0x25);
      code_.u32(table);
      pop(ValType::I32);
      push(t);
    }
    return;
  }
  if (r < 35 || depth > 2) {
    constant(t);
  } else if (r < 65) {
    local_get(t);
  } else if (r < 73) {
    global_get(t);
  } else if (r < 83) {
    // A unary operation or conversion producing t.
    std::vector<const OpInfo*> fit;
    for (const OpInfo& op : unary_)
      if (op.out == t) fit.push_back(&op);
    const OpInfo& op = *fit[rng_.below(fit.size())];
    value(op.in, depth + 1);
    apply_unary(op);
  } else if (r < 93) {
    std::vector<const OpInfo*> fit;
    for (const OpInfo& op : binary_)
      if (op.out == t) fit.push_back(&op);
    const OpInfo& op = *fit[rng_.below(fit.size())];
    value(op.in, depth + 1);
    value(op.in, depth + 1);
    apply_binary(op);
  } else if (t == ValType::V128) {
    const SimdMemOp& op = rng_.pick(kSimdLoads);
    simd_address();
    emit_simd(op.code);
    memarg(op.max_align);
    pop(ValType::I32);
    push(t);
  } else {
    std::vector<const MemOp*> fit;
    for (const MemOp& op : kLoads)
      if (op.type == t) fit.push_back(&op);
    const MemOp& op = *fit[rng_.below(fit.size())];
    address();
    emit(op.code);
    memarg(op.max_align);
    pop(ValType::I32);
    push(t);
  }
}

void Generator::address() {
  uint32_t r = rng_.below(100);
  if (r < 55) {
    emit(0x41);
    uint32_t a = rng_.chance(85) ? rng_.below(96) : 65536 - 12 + rng_.below(24);
    code_.s64(static_cast<int32_t>(a));
    push(ValType::I32);
  } else if (r < 85) {
    local_get(ValType::I32);
    emit(0x41);
    code_.s64(rng_.chance(70) ? 0xfff8 : 0x7f);
    push(ValType::I32);
    emit(0x71);  // i32.and
    pop(ValType::I32);
  } else {
    value(ValType::I32, 2);
  }
}

void Generator::memarg(uint8_t max_align) {
  code_.u32(rng_.below(max_align + 1));
  uint32_t r = rng_.below(100);
  code_.u32(r < 75 ? rng_.below(16) : r < 95 ? 65536 - 8 + rng_.below(16) : 0xfffffff0u);
}

void Generator::condition(bool reuse) {
  uint32_t r = rng_.below(100);
  if (reuse && r < 25 && top_is(ValType::I32)) return;  // what is there already decides
  if (r < 70) {
    ValType t = reuse && top_scalar() && rng_.chance(50) ? stack_.back() : rng_.pick(kNumeric);
    if (reuse) {
      ensure_same(t, 2);
    } else {
      value(t);
      value(t);
    }
    std::vector<const OpInfo*> fit;
    for (const OpInfo& op : binary_)
      if (op.in == t && op.out == ValType::I32 && (t != ValType::I32 || op.code < 0x6a))
        fit.push_back(&op);
    apply_binary(*fit[rng_.below(fit.size())]);
  } else if (r < 82) {
    ValType t = rng_.chance(50) ? ValType::I32 : ValType::I64;
    value(t);
    emit(t == ValType::I32 ? 0x45 : 0x50);
    pop(t);
    push(ValType::I32);
  } else {
    value(ValType::I32);
  }
}

void Generator::ensure(const Types& types) {
  bool fits = stack_.size() >= types.size();
  for (size_t i = 0; fits && i < types.size(); ++i)
    fits = stack_[stack_.size() - types.size() + i] == types[i];
  if (fits && rng_.chance(75)) return;
  for (ValType t : types) value(t);
}

// Leaves n values of type t on top: the ones there are reused (a constant or a local.get just
// pushed is what the translator's peephole looks at).
void Generator::ensure_same(ValType t, uint32_t n) {
  uint32_t have = 0;
  while (have < n && have < stack_.size() && stack_[stack_.size() - 1 - have] == t) ++have;
  if (rng_.chance(20)) have = 0;
  for (uint32_t i = have; i < n; ++i) value(t);
}

void Generator::unary() {
  ValType in = top_numeric() && rng_.chance(80) ? stack_.back() : random_numeric();
  if (!top_is(in)) value(in);
  std::vector<const OpInfo*> fit;
  for (const OpInfo& op : unary_)
    if (op.in == in) fit.push_back(&op);
  apply_unary(*fit[rng_.below(fit.size())]);
}

void Generator::apply_unary(const OpInfo& op) {
  bool reinterpret_to_int = op.prefix == 0 && (op.code == 0xbc || op.code == 0xbd);
  bool splat = op.out == ValType::V128 && op.in != ValType::V128;  // a float's bits into lanes
  if (reinterpret_to_int || splat) guard_if_tainted();
  emit_op(op);
  if (op.lanes) emit(static_cast<uint8_t>(rng_.below(op.lanes)));
  bool in = pop(op.in);
  bool float_out = op.out == ValType::F32 || op.out == ValType::F64;
  bool float_in = op.in == ValType::F32 || op.in == ValType::F64;
  bool sign_op = op.prefix == 0 && (op.code == 0x8b || op.code == 0x8c || op.code == 0x99 ||
                                    op.code == 0x9a);  // abs, neg: bits only
  push(op.out, float_out && float_in && (sign_op ? in : true));
  if (op.nan_lanes && !dead_) guard_v128(op.nan_lanes);
}

void Generator::apply_binary(const OpInfo& op) {
  bool copysign = op.prefix == 0 && (op.code == 0x98 || op.code == 0xa6);
  if (copysign) guard_if_tainted();  // the sign comes from the second operand
  emit_op(op);
  bool b = pop(op.in);
  bool a = pop(op.in);
  bool float_out = op.out == ValType::F32 || op.out == ValType::F64;
  push(op.out, float_out && (copysign ? a : true));
  (void)b;
  if (op.nan_lanes && !dead_) guard_v128(op.nan_lanes);
}

void Generator::binary(bool compare) {
  ValType t = top_numeric() && rng_.chance(85) ? stack_.back() : random_numeric();
  if (compare && t == ValType::V128) t = rng_.pick(kNumeric);  // a v128 comparison gives a mask
  ensure_same(t, 2);
  std::vector<const OpInfo*> fit;
  for (const OpInfo& op : binary_) {
    bool is_compare = op.out == ValType::I32 && (op.in != ValType::I32 || op.code < 0x6a);
    if (op.in == t && is_compare == compare) fit.push_back(&op);
  }
  apply_binary(*fit[rng_.below(fit.size())]);
}

void Generator::drop() {
  if (stack_.empty()) value(random_type());
  emit(0x1a);
  pop_any();
}

void Generator::local_set() {
  if (stack_.empty()) value(random_type());
  set_local(local_of(stack_.back()), rng_.chance(40));
}

bool Generator::has_mutable_global(ValType t) const {
  for (uint32_t i = 0; i < globals_.size(); ++i)
    if (i != kBudgetGlobal && globals_[i].mut && globals_[i].type == t) return true;
  return false;
}

void Generator::global_set() {
  if (stack_.empty()) value(random_type());
  ValType t = stack_.back();
  std::vector<uint32_t> fit;
  for (uint32_t i = 0; i < globals_.size(); ++i)
    if (i != kBudgetGlobal && globals_[i].mut && globals_[i].type == t) fit.push_back(i);
  uint32_t global = fit[rng_.below(fit.size())];
  if (!dirty_global_[global]) guard_if_tainted();
  emit(0x24);
  code_.u32(global);
  pop_any();
}

void Generator::select() {
  ValType t = !stack_.empty() && rng_.chance(70) ? stack_.back() : random_type();
  ensure_same(t, 2);
  condition(false);
  if (!is_ref_type(t) && rng_.chance(60)) {
    emit(0x1b);
  } else {
    emit(0x1c);
    emit(1);
    emit(static_cast<uint8_t>(t));
  }
  pop(ValType::I32);
  bool b = pop(t);
  bool a = pop(t);
  push(t, a || b);
}

void Generator::load() {
  const MemOp& op = rng_.pick(kLoads);
  if (!(top_is(ValType::I32) && rng_.chance(20))) address();
  emit(op.code);
  memarg(op.max_align);
  pop(ValType::I32);
  push(op.type);
}

void Generator::store() {
  const MemOp& op = rng_.pick(kStores);
  address();
  value(op.type);
  guard_if_tainted();
  emit(op.code);
  memarg(op.max_align);
  pop(op.type);
  pop(ValType::I32);
}

void Generator::block(uint8_t kind) {
  Types params, results;
  uint32_t form = rng_.below(100);
  if (form < 25) {
    // []->[]
  } else if (form < 50) {
    results.push_back(random_type());
  } else {
    uint32_t n = rng_.below(3);
    if (n <= stack_.size() && rng_.chance(70)) {
      params.assign(stack_.end() - n, stack_.end());
    } else {
      params = random_types(2);
      for (ValType t : params) value(t);
    }
    results = random_types(2);
  }
  if (kind == 0x04) condition(params.empty());
  emit(kind);
  if (params.empty() && results.empty()) {
    emit(0x40);
  } else if (params.empty() && results.size() == 1) {
    emit(static_cast<uint8_t>(results[0]));
  } else {
    code_.s64(type_of(params, results));
  }
  if (kind == 0x04) pop(ValType::I32);
  for (size_t i = params.size(); i-- > 0;) pop(params[i]);
  Types outer = stack_;
  std::vector<bool> outer_taint = taint_;
  bool outer_dead = dead_;
  uint32_t outer_held = held_;
  held_ += static_cast<uint32_t>(outer.size());
  labels_.push_back(kind == 0x03 ? params : results);
  // Values reaching a label may come from any branch to it: floats there count as tainted.
  auto enter = [&] {
    stack_.clear();
    taint_.clear();
    for (ValType t : params) push(t, true);
    dead_ = false;
  };
  enter();
  if (kind == 0x03) budget_check();
  sequence(8);
  finish(results);
  if (kind == 0x04 && (params != results || rng_.chance(60))) {
    emit(0x05);
    enter();
    sequence(6);
    finish(results);
  }
  emit(0x0b);
  labels_.pop_back();
  stack_ = outer;
  taint_ = outer_taint;
  dead_ = outer_dead;
  held_ = outer_held;
  for (ValType t : results) push(t, true);
}

void Generator::branch() {
  uint32_t r = rng_.below(100);
  uint32_t depth = rng_.below(labels_.size());
  const Types types = labels_[labels_.size() - 1 - depth];
  if (r < 60) {
    ensure(types);
    condition(types.empty());
    emit(0x0d);
    code_.u32(depth);
    pop(ValType::I32);
  } else if (r < 75) {
    ensure(types);
    emit(0x0c);
    code_.u32(depth);
    go_dead();
  } else if (r < 92) {
    std::vector<uint32_t> same;
    for (uint32_t d = 0; d < labels_.size(); ++d)
      if (labels_[labels_.size() - 1 - d] == types) same.push_back(d);
    uint32_t n = rng_.below(4);
    ensure(types);
    if (rng_.chance(70))
      small_i32(n + 2);
    else
      value(ValType::I32);
    emit(0x0e);
    code_.u32(n);
    for (uint32_t i = 0; i < n; ++i) code_.u32(same[rng_.below(same.size())]);
    code_.u32(depth);
    go_dead();
  } else if (r < 96 || !tail_call()) {
    ensure(results_);
    emit(0x0f);
    go_dead();
  }
}

// In a module with tail calls, return_call_indirect of a slot of table 0 that its active segment
// fills with a function whose results are this one's (mostly that slot's index); false when
// there is none, or when operands of enclosing blocks are on the stack: only the call's own
// operands may be there (what else the innermost block holds is dropped first). wabt 1.0.32's
// return_call_indirect leaves the operands below its arguments on the stack, so that the
// caller's frame is off when the callee returns (its local.get reads other slots):
//   (func $tail (result i64) i32.const 7 i64.const 42 i32.const 0 return_call_indirect $t)
// called by a function that then reads its local 0 (5) gets 7 there. Not return_call:
// wabt 1.0.32 resolves return_call's function index without the imported functions (it calls
// the wrong function in every module of this generator, which imports two), while its
// return_call_indirect is right, to host functions too.
bool Generator::tail_call() {
  if (!tail_calls_) return false;
  std::vector<uint32_t> fits;
  for (uint32_t i = 0; i < table0_.size(); ++i)
    if (types_[func_types_[table0_[i]]].results == results_) fits.push_back(i);
  if (fits.empty()) return false;
  if (held_ != 0) return false;
  uint32_t slot = fits[rng_.below(static_cast<uint32_t>(fits.size()))];
  uint32_t type = func_types_[table0_[slot]];
  const Sig sig = types_[type];
  if (stack_ != sig.params || rng_.chance(25)) {
    while (!stack_.empty()) {
      emit(0x1a);
      pop_any();
    }
    for (ValType t : sig.params) value(t);
  }
  if (rng_.chance(85)) {
    emit(0x41);
    code_.s64(slot);
    push(ValType::I32);
  } else {
    value(ValType::I32);
  }
  emit(0x13);
  code_.u32(type);
  code_.u32(0);
  pop(ValType::I32);
  for (size_t i = sig.params.size(); i-- > 0;) pop(sig.params[i]);
  go_dead();
  return true;
}

void Generator::call() {
  uint32_t f = random_callable();
  const Sig& sig = types_[func_types_[f]];
  ensure(sig.params);
  emit(0x10);
  code_.u32(f);
  for (size_t i = sig.params.size(); i-- > 0;) pop(sig.params[i]);
  for (ValType t : sig.results) push(t, true);
}

void Generator::call_indirect() {
  uint32_t type = func_types_[random_callable()];
  const Sig sig = types_[type];
  ensure(sig.params);
  if (rng_.chance(80))
    small_i32(table_size_[0] + 2);
  else
    value(ValType::I32);
  emit(0x11);
  code_.u32(type);
  code_.u32(0);
  pop(ValType::I32);
  for (size_t i = sig.params.size(); i-- > 0;) pop(sig.params[i]);
  for (ValType t : sig.results) push(t, true);
}

void Generator::table_op() {
  uint32_t r = rng_.below(100);
  uint32_t table = rng_.below(2);
  ValType elem = table == 0 ? ValType::FuncRef : ValType::ExternRef;
  auto index = [&] {
    if (rng_.chance(85))
      small_i32(table_size_[table] + 2);
    else
      value(ValType::I32);
  };
  if (r < 20) {
    index();
    emit(0x25);
    code_.u32(table);
    pop(ValType::I32);
    push(elem);
  } else if (r < 40) {
    index();
    value(elem);
    emit(0x26);
    code_.u32(table);
    pop(elem);
    pop(ValType::I32);
  } else if (r < 48) {
    emit(0xfc);
    emit(16);
    code_.u32(table);
    push(ValType::I32);
  } else if (r < 56) {
    value(elem);
    length(3, kTableChunk);
    emit(0xfc);
    emit(15);
    code_.u32(table);
    pop(ValType::I32);
    pop(elem);
    push(ValType::I32);
  } else if (r < 63) {
    index();
    value(elem);
    length(4, kTableChunk);
    emit(0xfc);
    emit(17);
    code_.u32(table);
    pop(ValType::I32);
    pop(elem);
    pop(ValType::I32);
  } else if (r < 68) {
    small_i32(table_size_[0] + 1);
    small_i32(table_size_[0] + 1);
    length(4, kTableChunk);
    emit(0xfc);
    emit(14);
    code_.u32(0);
    code_.u32(0);
    for (int i = 0; i < 3; ++i) pop(ValType::I32);
  } else if (r < 73) {
    small_i32(table_size_[0] + 1);
    small_i32(4);
    small_i32(4);
    emit(0xfc);
    emit(12);
    code_.u32(1);  // the passive element segment
    code_.u32(0);
    for (int i = 0; i < 3; ++i) pop(ValType::I32);
  } else if (r < 75) {
    emit(0xfc);
    emit(13);
    code_.u32(1);
  } else if (r < 88) {
    ValType t = !stack_.empty() && is_ref_type(stack_.back()) ? stack_.back() : elem;
    if (!top_is(t)) value(t);
    emit(0xd1);
    pop(t);
    push(ValType::I32);
  } else {
    constant(rng_.chance(60) ? ValType::FuncRef : elem);
  }
}

void Generator::memory_op() {
  uint32_t r = rng_.below(100);
  if (r < 20) {
    emit(0x3f);
    emit(0);
    push(ValType::I32);
  } else if (r < 40) {
    if (rng_.chance(80))
      small_i32(3);
    else
      value(ValType::I32);
    emit(0x40);
    emit(0);
    pop(ValType::I32);
    push(ValType::I32);
  } else if (r < 60) {
    address();
    value(ValType::I32);
    length(64, kMemoryChunk);
    emit(0xfc);
    emit(11);
    emit(0);
    for (int i = 0; i < 3; ++i) pop(ValType::I32);
  } else if (r < 78) {
    address();
    address();
    length(64, kMemoryChunk);
    emit(0xfc);
    emit(10);
    emit(0);
    emit(0);
    for (int i = 0; i < 3; ++i) pop(ValType::I32);
  } else if (r < 95) {
    address();
    small_i32(20);
    small_i32(20);
    emit(0xfc);
    emit(8);
    code_.u32(1);  // the passive data segment
    emit(0);
    for (int i = 0; i < 3; ++i) pop(ValType::I32);
  } else {
    emit(0xfc);
    emit(9);
    code_.u32(1);
  }
}

// An address for a v128 access: mostly 16 bytes or less before the end of one or two pages
// (the memory has one or two, and may have grown), so that with the memarg's offset an access
// ends just inside or just outside the memory.
void Generator::simd_address() {
  if (rng_.chance(40)) {
    emit(0x41);
    uint32_t end = rng_.chance(60) ? 65536 : 131072;
    code_.s64(static_cast<int32_t>(end - 24 + rng_.below(32)));
    push(ValType::I32);
  } else {
    address();
  }
}

void Generator::simd_op() {
  uint32_t r = rng_.below(100);
  auto v128_on_top = [&](uint32_t n) { ensure_same(ValType::V128, n); };
  if (r < 12) {
    // A shift: the count is taken modulo the lane width.
    v128_on_top(1);
    if (rng_.chance(60)) {
      static const uint32_t kCounts[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127};
      emit(0x41);
      code_.s64(rng_.pick(kCounts));
      push(ValType::I32);
    } else {
      value(ValType::I32);
    }
    static const uint8_t kShifts[] = {0x6b, 0x6c, 0x6d, 0x8b, 0x8c, 0x8d,
                                      0xab, 0xac, 0xad, 0xcb, 0xcc, 0xcd};
    emit_simd(rng_.pick(kShifts));
    pop(ValType::I32);
    pop(ValType::V128);
    push(ValType::V128);
  } else if (r < 22) {
    // v128.bitselect; in a relaxed module also relaxed_laneselect (as bitselect),
    // relaxed_madd/nmadd (two roundings in both engines), and relaxed_dot_i8x16_i7x16_s with its
    // second operand's lanes made 7-bit (v128.and): with the top bit set, the result is free
    // (wabt 1.0.32 wraps -128 * -128 + -128 * -128, this engine saturates). Never
    // i32x4.relaxed_dot_i8x16_i7x16_add_s: wabt 1.0.32 computes it wrong (7-bit operands too:
    // (i8x16 -1 2 3 4 ..) . (i8x16 1 1 1 1 ..) + (i32x4 .. 3 ..) is not 13 there).
    uint32_t k = relaxed_ ? rng_.below(4) : 0;
    if (k == 3) {
      v128_on_top(2);
      emit_simd(0x0c);
      for (int i = 0; i < 16; ++i) emit(0x7f);
      push(ValType::V128);
      emit_simd(0x4e);  // v128.and
      pop(ValType::V128);
      emit_simd(0x112);
      pop(ValType::V128);
      pop(ValType::V128);
      push(ValType::V128);
    } else {
      v128_on_top(3);
      static const uint16_t kLaneselect[] = {0x109, 0x10a, 0x10b, 0x10c};
      uint32_t code = k == 0 ? 0x52 : k == 1 ? rng_.pick(kLaneselect) : 0x105 + rng_.below(4);
      emit_simd(code);
      for (int i = 0; i < 3; ++i) pop(ValType::V128);
      push(ValType::V128);
      if (k == 2) guard_v128(code < 0x107 ? 4 : 2);
    }
  } else if (r < 34) {
    v128_on_top(2);
    emit_simd(0x0d);  // i8x16.shuffle
    uint32_t form = rng_.below(5);
    uint32_t window = rng_.below(17);
    for (uint32_t i = 0; i < 16; ++i) {
      uint32_t lane = form == 0   ? i                 // the first operand
                      : form == 1 ? 16 + i            // the second
                      : form == 2 ? (i * 2 + 1) % 32  // interleaved
                      : form == 3 ? window + i        // a window of the 32 bytes
                                  : rng_.below(32);   // anything
      if (form == 3 && i == 15 && rng_.chance(20)) lane = (lane + 1) % 32;  // one lane away
      emit(static_cast<uint8_t>(lane));
    }
    pop(ValType::V128);
    pop(ValType::V128);
    push(ValType::V128);
  } else if (r < 38) {
    // Widening twice: i16x8.extend_low_i8x16_s/u, then i32x4.extend_low/high_i16x8_s/u of its
    // result (the translator fuses the low-low pair), now and then with the middle value kept
    // in a local (then it must exist).
    // Half the time the operand is a fresh constant (bytes with the top bit set are where a
    // wrong signedness shows; zeroed locals hide it) and the result goes to a global, compared at
    // the end: a fusion of the wrong kind left unobserved is a fusion untested.
    if (rng_.chance(50))
      constant(ValType::V128);
    else
      v128_on_top(1);
    emit_simd(rng_.chance(50) ? 0x87 : 0x89);
    if (rng_.chance(25)) set_local(local_of(ValType::V128), true);
    static const uint8_t kSecond[] = {0xa7, 0xa9, 0xa7, 0xa9, 0xa8, 0xaa};
    emit_simd(rng_.pick(kSecond));
    if (rng_.chance(50) && has_mutable_global(ValType::V128)) global_set();
  } else if (r < 50) {
    // replace_lane: i8x16, i16x8, i32x4 (i32), i64x2 (i64), f32x4 (f32), f64x2 (f64).
    struct Replace {
      uint8_t code, lanes;
      ValType scalar;
    };
    static const Replace kReplace[] = {{0x17, 16, ValType::I32}, {0x1a, 8, ValType::I32},
                                       {0x1c, 4, ValType::I32},  {0x1e, 2, ValType::I64},
                                       {0x20, 4, ValType::F32},  {0x22, 2, ValType::F64}};
    const Replace& op = rng_.pick(kReplace);
    if (!(top_is(op.scalar) && stack_.size() >= 2 && stack_[stack_.size() - 2] == ValType::V128 &&
          rng_.chance(70))) {
      v128_on_top(1);
      value(op.scalar);
    }
    guard_if_tainted();  // a float's bits go into the lane
    emit_simd(op.code);
    emit(static_cast<uint8_t>(rng_.below(op.lanes)));
    pop(op.scalar);
    pop(ValType::V128);
    push(ValType::V128);
  } else if (r < 62) {
    // v128.load*, of an address near the end now and then.
    const SimdMemOp& op = rng_.pick(kSimdLoads);
    if (!(top_is(ValType::I32) && rng_.chance(20))) simd_address();
    emit_simd(op.code);
    memarg(op.max_align);
    pop(ValType::I32);
    push(ValType::V128);
  } else if (r < 74) {
    simd_address();
    value(ValType::V128);
    emit_simd(0x0b);  // v128.store
    memarg(4);
    pop(ValType::V128);
    pop(ValType::I32);
  } else if (r < 87) {
    // v128.load8/16/32/64_lane: one lane from memory, the others from the operand.
    uint32_t k = rng_.below(4);
    simd_address();
    value(ValType::V128);
    emit_simd(0x54 + k);
    memarg(static_cast<uint8_t>(k));
    emit(static_cast<uint8_t>(rng_.below(16u >> k)));
    pop(ValType::V128);
    pop(ValType::I32);
    push(ValType::V128);
  } else {
    uint32_t k = rng_.below(4);
    simd_address();
    value(ValType::V128);
    emit_simd(0x58 + k);  // v128.store8/16/32/64_lane
    memarg(static_cast<uint8_t>(k));
    emit(static_cast<uint8_t>(rng_.below(16u >> k)));
    pop(ValType::V128);
    pop(ValType::I32);
  }
}

// A burst of the plainest stack operations, back to back: constants and local.get, drop,
// binary operations, local.set/tee. Each of these either starts a peephole state (a constant, a
// result that a local.set may retarget, an alias of a local) or must end or use it correctly.
void Generator::burst() {
  for (uint32_t n = 3 + rng_.below(6); n > 0; --n) {
    uint32_t r = rng_.below(100);
    if (r < 35) {
      ValType t = top_numeric() && rng_.chance(60) ? stack_.back() : random_type();
      if (rng_.chance(70))
        constant(t);
      else
        local_get(t);
    } else if (r < 55) {
      drop();
    } else if (r < 75) {
      binary(rng_.chance(15));
    } else if (r < 90) {
      local_set();
    } else {
      unary();
    }
  }
}

// In unreachable code with nothing on the stack, an instruction whose operands come from the
// polymorphic stack (any type): the translator must accept it and emit nothing that runs.
void Generator::polymorphic_step() {
  uint32_t r = rng_.below(7);
  if (r == 0) {
    emit(0x1a);  // drop
  } else if (r == 1) {
    const OpInfo& op = binary_[rng_.below(binary_.size())];
    emit_op(op);
    push(op.out);
  } else if (r == 2) {
    uint32_t depth = rng_.below(labels_.size());
    emit(0x0d);  // br_if: the condition and the label's values from the polymorphic stack
    code_.u32(depth);
    for (ValType t : labels_[labels_.size() - 1 - depth]) push(t, true);
  } else if (r == 3) {
    ValType t = rng_.pick(kNumeric);
    emit(0x1b);  // select
    push(t, true);
  } else if (r == 4) {
    uint32_t local = rng_.below(static_cast<uint32_t>(locals_.size()));
    if (is_scratch(local)) local = 0;
    emit(0x21);
    code_.u32(local);
  } else if (r == 5) {
    uint32_t f = random_callable();
    emit(0x10);  // call: the arguments from the polymorphic stack
    code_.u32(f);
    for (ValType t : types_[func_types_[f]].results) push(t, true);
  } else {
    const MemOp& op = rng_.pick(kStores);
    emit(op.code);
    memarg(op.max_align);
  }
}

void Generator::step() {
  --steps_left_;
  if (dead_ && stack_.empty() && rng_.chance(30)) {
    polymorphic_step();
    return;
  }
  if (rng_.chance(30)) {
    burst();
    return;
  }
  if (simd_ && rng_.chance(12)) {
    simd_op();
    return;
  }
  uint32_t r = rng_.below(100);
  if (stack_.size() > 6 && r < 40) r = 37 + r % 18;  // deep: consume more than produce
  if (r < 16) {
    value(random_type());
  } else if (r < 24) {
    unary();
  } else if (r < 33) {
    binary(false);
  } else if (r < 37) {
    binary(true);
  } else if (r < 45) {
    drop();
  } else if (r < 53) {
    local_set();
  } else if (r < 55) {
    global_set();
  } else if (r < 60) {
    select();
  } else if (r < 64) {
    load();
  } else if (r < 67) {
    store();
  } else if (r < 76) {
    static const uint8_t kKinds[] = {0x02, 0x02, 0x03, 0x04, 0x04};  // block, loop, if
    if (labels_.size() < 5 && steps_left_ > 2) block(rng_.pick(kKinds));
  } else if (r < 84) {
    branch();
  } else if (r < 88) {
    call();
  } else if (r < 90) {
    call_indirect();
  } else if (r < 95) {
    table_op();
  } else if (r < 98) {
    memory_op();
  } else if (r < 99) {
    emit(0x01);  // nop
  } else {
    emit(0x00);  // unreachable
    go_dead();
  }
}

void Generator::sequence(uint32_t max_steps) {
  uint32_t n = 1 + rng_.below(max_steps);
  for (uint32_t i = 0; i < n && steps_left_ > 0; ++i) {
    step();
    if (dead_ && rng_.chance(60)) return;
  }
}

// Makes the stack exactly `results`: what already matches from the bottom stays, the rest is
// dropped (or stored into a local) and the missing values are produced.
void Generator::finish(const Types& results) {
  size_t keep = 0;
  while (keep < stack_.size() && keep < results.size() && stack_[keep] == results[keep]) ++keep;
  while (stack_.size() > keep) {
    if (rng_.chance(25)) {
      set_local(local_of(stack_.back()), false);
    } else {
      emit(0x1a);
      pop_any();
    }
  }
  for (size_t i = keep; i < results.size(); ++i) value(results[i]);
}

// global.get $budget; i32.eqz; if; unreachable; end; $budget -= 1
void Generator::budget_check() {
  static const uint8_t kCheck[] = {0x23, kBudgetGlobal, 0x45, 0x04, 0x40, 0x00, 0x0b,
                                   0x23, kBudgetGlobal, 0x41, 0x01, 0x6b, 0x24, kBudgetGlobal};
  for (uint8_t b : kCheck) emit(b);
}

void Generator::function_body(uint32_t index) {
  const Sig sig = types_[func_types_[index]];
  const Types& declared = func_locals_[index - kImports];
  code_ = Writer();
  // Local declarations: one group per run of equal types.
  Writer decl;
  uint32_t groups = 0;
  for (size_t i = 0; i < declared.size();) {
    size_t j = i;
    while (j < declared.size() && declared[j] == declared[i]) ++j;
    decl.u32(j - i);
    decl.byte(static_cast<uint8_t>(declared[i]));
    ++groups;
    i = j;
  }
  code_.u32(groups);
  code_.append(decl.bytes);
  locals_ = sig.params;
  locals_.insert(locals_.end(), declared.begin(), declared.end());
  // The last two declared locals are guard()'s (three with guard_v128()'s in a SIMD module).
  uint32_t n = static_cast<uint32_t>(locals_.size());
  scratch_v128_ = simd_ ? n - 1 : ~0u;
  if (simd_) --n;
  scratch_f32_ = n - 2;
  scratch_f64_ = n - 1;
  dirty_local_.assign(locals_.size(), false);
  for (uint32_t i = 0; i < locals_.size(); ++i) {
    bool is_float = locals_[i] == ValType::F32 || locals_[i] == ValType::F64;
    dirty_local_[i] = is_float && (i < sig.params.size() || rng_.chance(50));
  }
  results_ = sig.results;
  labels_.assign(1, sig.results);
  held_ = 0;
  stack_.clear();
  taint_.clear();
  dead_ = false;
  steps_left_ = 6 + static_cast<int>(rng_.below(50));
  budget_check();
  while (steps_left_ > 0) {
    sequence(12);
    if (dead_) break;
  }
  finish(sig.results);
  emit(0x0b);
}

// Refills the budget, then calls the random function with the export's arguments.
void Generator::wrapper_body(uint32_t target) {
  const Sig& sig = types_[func_types_[target]];
  code_ = Writer();
  code_.u32(0);
  code_.byte(0x41);
  code_.s64(kBudget);
  code_.byte(0x24);
  code_.u32(kBudgetGlobal);
  for (uint32_t i = 0; i < sig.params.size(); ++i) {
    code_.byte(0x20);
    code_.u32(i);
  }
  code_.byte(0x10);
  code_.u32(target);
  code_.byte(0x0b);
}

Bytes Generator::module() {
  random_funcs_ = 1 + rng_.below(4);
  tail_calls_ = rng_.chance(30);
  simd_ = rng_.chance(50);
  relaxed_ = simd_ && rng_.chance(50);
  if (simd_) {
    add_simd_unary_ops(unary_, relaxed_);
    add_simd_binary_ops(binary_, relaxed_);
  }
  // Host imports, then the random functions.
  for (uint32_t i = 0; i < kImports; ++i)
    func_types_.push_back(type_of(random_types(3), random_types(1)));
  for (uint32_t i = 0; i < random_funcs_; ++i) {
    func_types_.push_back(type_of(random_types(4), random_types(3)));
    Types locals;
    for (ValType t : kAll) {
      uint32_t n = 1 + rng_.below(2);
      for (uint32_t k = 0; k < n; ++k) locals.push_back(t);
    }
    for (uint32_t n = simd_ ? 1 + rng_.below(2) : 0; n > 0; --n) locals.push_back(ValType::V128);
    for (size_t k = locals.size(); k > 1; --k) std::swap(locals[k - 1], locals[rng_.below(k)]);
    locals.push_back(ValType::F32);  // guard()'s scratch locals
    locals.push_back(ValType::F64);
    if (simd_) locals.push_back(ValType::V128);  // guard_v128()'s
    func_locals_.push_back(locals);
  }
  globals_.push_back({ValType::I32, true});  // the budget
  for (ValType t : kAll) globals_.push_back({t, true});
  for (ValType t : kNumeric) globals_.push_back({t, false});
  if (simd_) {
    globals_.push_back({ValType::V128, true});
    globals_.push_back({ValType::V128, false});
  }
  for (uint32_t n = rng_.below(4); n > 0; --n) globals_.push_back({rng_.pick(kNumeric), true});
  for (const GlobalInfo& g : globals_) {
    bool is_float = g.type == ValType::F32 || g.type == ValType::F64;
    dirty_global_.push_back(is_float && rng_.chance(50));
  }
  table_size_[0] = 2 + rng_.below(6);
  table0_.resize(rng_.below(table_size_[0] + 1));
  for (uint32_t& f : table0_) f = random_callable();
  // A large externref table now and then, for table bulk operations of more than one chunk.
  table_size_[1] = rng_.chance(20) ? kTableChunk - 12 + rng_.below(24) : 1 + rng_.below(4);

  // Bodies first: they add block types to the type section.
  std::vector<Bytes> bodies;
  for (uint32_t i = 0; i < random_funcs_; ++i) {
    function_body(kImports + i);
    bodies.push_back(code_.bytes);
  }
  for (uint32_t i = 0; i < random_funcs_; ++i) {
    func_types_.push_back(func_types_[kImports + i]);
    wrapper_body(kImports + i);
    bodies.push_back(code_.bytes);
  }

  Writer out;
  const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  out.bytes.assign(header, header + 8);
  Writer s;
  s.u32(types_.size());
  for (const Sig& sig : types_) {
    s.byte(0x60);
    s.u32(sig.params.size());
    for (ValType t : sig.params) s.byte(static_cast<uint8_t>(t));
    s.u32(sig.results.size());
    for (ValType t : sig.results) s.byte(static_cast<uint8_t>(t));
  }
  out.section(1, s);
  s = Writer();
  s.u32(kImports);
  for (uint32_t i = 0; i < kImports; ++i) {
    s.name("env");
    s.name(i == 0 ? "h0" : "h1");
    s.byte(0);
    s.u32(func_types_[i]);
  }
  out.section(2, s);
  s = Writer();
  s.u32(uint64_t{2} * random_funcs_);
  for (uint32_t i = kImports; i < func_types_.size(); ++i) s.u32(func_types_[i]);
  out.section(3, s);
  s = Writer();
  s.u32(2);
  for (uint32_t t = 0; t < 2; ++t) {
    s.byte(t == 0 ? 0x70 : 0x6f);
    s.byte(1);
    s.u32(table_size_[t]);
    s.u32(table_size_[t] + rng_.below(table_size_[t] > 100 ? 2000 : 5));
  }
  out.section(4, s);
  s = Writer();
  s.u32(1);
  s.byte(1);
  uint32_t pages = 1 + rng_.below(2);
  s.u32(pages);
  s.u32(pages + rng_.below(2));
  out.section(5, s);
  s = Writer();
  s.u32(globals_.size());
  for (uint32_t i = 0; i < globals_.size(); ++i) {
    ValType t = globals_[i].type;
    s.byte(static_cast<uint8_t>(t));
    s.byte(globals_[i].mut ? 1 : 0);
    if (i == kBudgetGlobal) {
      s.byte(0x41);
      s.s64(kBudget);
    } else if (t == ValType::I32) {
      s.byte(0x41);
      s.s64(static_cast<int32_t>(edge_bits(rng_, t)));
    } else if (t == ValType::I64) {
      s.byte(0x42);
      s.s64(static_cast<int64_t>(edge_bits(rng_, t)));
    } else if (t == ValType::F32) {
      s.byte(0x43);
      s.f32_bits(static_cast<uint32_t>(edge_bits(rng_, t)));
    } else if (t == ValType::F64) {
      s.byte(0x44);
      s.f64_bits(edge_bits(rng_, t));
    } else if (t == ValType::V128) {
      Val v = edge_v128(rng_);
      s.byte(0xfd);
      s.u32(0x0c);
      for (int b = 0; b < 8; ++b) s.byte(static_cast<uint8_t>(v.bits >> (8 * b)));
      for (int b = 0; b < 8; ++b) s.byte(static_cast<uint8_t>(v.hi >> (8 * b)));
    } else if (t == ValType::FuncRef && rng_.chance(60)) {
      s.byte(0xd2);
      s.u32(random_callable());
    } else {
      s.byte(0xd0);
      s.byte(static_cast<uint8_t>(t));
    }
    s.byte(0x0b);
  }
  out.section(6, s);
  s = Writer();
  s.u32(random_funcs_);
  for (uint32_t i = 0; i < random_funcs_; ++i) {
    char name[16];
    snprintf(name, sizeof name, "f%u", i);
    s.name(name);
    s.byte(0);
    s.u32(kImports + random_funcs_ + i);
  }
  out.section(7, s);
  s = Writer();
  s.u32(3);
  // Active, table 0 at 0: some functions (imports included).
  s.byte(0);
  s.byte(0x41);
  s.s64(0);
  s.byte(0x0b);
  s.u32(static_cast<uint32_t>(table0_.size()));
  for (uint32_t f : table0_) s.u32(f);
  // Passive (for table.init).
  uint32_t n = 1 + rng_.below(5);
  s.byte(1);
  s.byte(0);
  s.u32(n);
  for (uint32_t i = 0; i < n; ++i) s.u32(random_callable());
  // Declarative: every function may be named by ref.func.
  s.byte(3);
  s.byte(0);
  s.u32(callable_count());
  for (uint32_t i = 0; i < callable_count(); ++i) s.u32(i);
  out.section(9, s);
  s = Writer();
  s.u32(2);
  out.section(12, s);
  s = Writer();
  s.u32(bodies.size());
  for (const Bytes& b : bodies) {
    s.u32(b.size());
    s.append(b);
  }
  out.section(10, s);
  s = Writer();
  s.u32(2);
  s.byte(0);
  s.byte(0x41);
  s.s64(rng_.below(128));
  s.byte(0x0b);
  n = 8 + rng_.below(56);
  s.u32(n);
  for (uint32_t i = 0; i < n; ++i) s.byte(static_cast<uint8_t>(rng_.next()));
  s.byte(1);
  s.u32(16);
  for (uint32_t i = 0; i < 16; ++i) s.byte(static_cast<uint8_t>(rng_.next()));
  out.section(11, s);
  return out.bytes;
}

}  // namespace

Bytes generate_sequence_module(uint64_t seed) { return Generator(seed).module(); }

}  // namespace wasm_diff

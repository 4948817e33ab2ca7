// Resumable compilation (wasm::Compilation): whatever the step budget, the same internal code
// and the same errors as Module::compile; with a budget of 1, one step per unit (section,
// function prologue, instruction).
#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

constexpr u64 kUnbounded = ~u64{0};
// Budgets every module is compiled with: one unit per step, a few small ones, unbounded.
constexpr u64 kBudgets[] = {1, 2, 16, 100, 1000, kUnbounded};

// The outcome of a compilation: the module or the error, and how many steps it took.
struct Outcome {
  std::unique_ptr<Module> module;
  bool failed = false;
  CompileError error;
  u64 steps = 0;
};

Outcome compile_in_steps(const Bytes& bytes, u64 budget) {
  Outcome out;
  auto begun = Compilation::begin(Span<const u8>(bytes.data(), bytes.size()));
  if (begun.is_error()) {
    out.failed = true;
    out.error = begun.error();
    return out;
  }
  std::unique_ptr<Compilation> c(begun.value());
  for (;;) {
    ++out.steps;
    Result<bool, CompileError> r = c->step(budget);
    if (r.is_error()) {
      out.failed = true;
      out.error = r.error();
      EXPECT_EQ(c->take(), nullptr);
      return out;
    }
    if (r.value()) break;
    EXPECT_EQ(c->take(), nullptr) << "a module before the last step";
    if (out.steps > 10 * bytes.size() + 10) {
      ADD_FAILURE() << "no progress";
      return out;
    }
  }
  out.module.reset(c->take());
  EXPECT_NE(out.module, nullptr);
  return out;
}

Outcome compile_at_once(const Bytes& bytes) {
  Outcome out;
  auto r = Module::compile(Span<const u8>(bytes.data(), bytes.size()));
  if (r.is_error()) {
    out.failed = true;
    out.error = r.error();
  } else {
    out.module.reset(r.value());
  }
  return out;
}

// ---- comparing modules field by field ----

template <typename T, typename Eq> bool same_vector(const Vector<T>& a, const Vector<T>& b, Eq eq) {
  if (a.size() != b.size()) return false;
  for (usize i = 0; i < a.size(); ++i)
    if (!eq(a[i], b[i])) return false;
  return true;
}
template <typename T> bool same_vector(const Vector<T>& a, const Vector<T>& b) {
  return same_vector(a, b, [](const T& x, const T& y) { return x == y; });
}
bool same_limits(const Limits& a, const Limits& b) {
  return a.min == b.min && a.max == b.max && a.has_max == b.has_max;
}
bool same_name(Name a, Name b) { return a.offset == b.offset && a.size == b.size; }
bool same_const(const ConstExpr& a, const ConstExpr& b) {
  return a.op == b.op && a.type == b.type && a.value == b.value;
}

// Empty when the modules are the same, else the first field that differs.
std::string difference(const Module& a, const Module& b) {
  if (!same_vector(a.bytes, b.bytes)) return "bytes";
  if (!same_vector(a.types, b.types)) return "types";
  if (!same_vector(a.imports, b.imports, [](const Import& x, const Import& y) {
        return same_name(x.module, y.module) && same_name(x.name, y.name) && x.kind == y.kind &&
               x.func_type == y.func_type && x.table.elem == y.table.elem &&
               same_limits(x.table.limits, y.table.limits) &&
               same_limits(x.memory.limits, y.memory.limits) && x.global.type == y.global.type &&
               x.global.mutable_ == y.global.mutable_;
      }))
    return "imports";
  if (!same_vector(a.func_types, b.func_types)) return "func_types";
  if (!same_vector(a.tables, b.tables, [](const TableType& x, const TableType& y) {
        return x.elem == y.elem && same_limits(x.limits, y.limits);
      }))
    return "tables";
  if (!same_vector(a.memories, b.memories, [](const MemoryType& x, const MemoryType& y) {
        return same_limits(x.limits, y.limits);
      }))
    return "memories";
  if (!same_vector(a.globals, b.globals, [](const GlobalDef& x, const GlobalDef& y) {
        return x.type.type == y.type.type && x.type.mutable_ == y.type.mutable_ &&
               same_const(x.init, y.init);
      }))
    return "globals";
  if (!same_vector(a.exports, b.exports, [](const Export& x, const Export& y) {
        return same_name(x.name, y.name) && x.kind == y.kind && x.index == y.index;
      }))
    return "exports";
  if (!same_vector(a.elems, b.elems, [](const ElemSegment& x, const ElemSegment& y) {
        return x.mode == y.mode && x.type == y.type && x.table == y.table &&
               same_const(x.offset, y.offset) && same_vector(x.items, y.items, same_const);
      }))
    return "elems";
  if (!same_vector(a.datas, b.datas, [](const DataSegment& x, const DataSegment& y) {
        return x.mode == y.mode && x.memory == y.memory && same_const(x.offset, y.offset) &&
               x.bytes_offset == y.bytes_offset && x.size == y.size;
      }))
    return "datas";
  if (a.functions.size() != b.functions.size()) return "function count";
  for (usize i = 0; i < a.functions.size(); ++i) {
    const Function& x = a.functions[i];
    const Function& y = b.functions[i];
    std::string which = " of function " + std::to_string(i);
    if (x.type_index != y.type_index) return "type_index" + which;
    if (x.local_count != y.local_count) return "local_count" + which;
    if (x.frame_slots != y.frame_slots) return "frame_slots" + which;
    if (x.body_offset != y.body_offset) return "body_offset" + which;
    if (!same_name(x.name, y.name)) return "name" + which;
    // Handler addresses are the same in one process, so the words compare exactly.
    if (!same_vector(x.code, y.code)) return "internal code" + which;
    if (!same_vector(x.code_map, y.code_map, [](const CodeMapEntry& p, const CodeMapEntry& q) {
          return p.code_offset == q.code_offset && p.wasm_offset == q.wasm_offset;
        }))
      return "code map" + which;
  }
  if (!same_vector(a.customs, b.customs, [](const CustomSection& x, const CustomSection& y) {
        return same_name(x.name, y.name) && x.offset == y.offset && x.size == y.size;
      }))
    return "customs";
  if (!same_vector(a.declared_funcs, b.declared_funcs)) return "declared_funcs";
  if (a.imported_funcs != b.imported_funcs || a.imported_tables != b.imported_tables ||
      a.imported_memories != b.imported_memories || a.imported_globals != b.imported_globals)
    return "import counts";
  if (a.has_start != b.has_start || a.start != b.start) return "start";
  if (a.has_data_count != b.has_data_count || a.data_count != b.data_count) return "data count";
  return "";
}

std::string describe(const Outcome& o) {
  if (!o.failed) return "a module";
  std::ostringstream s;
  s << error_kind_name(o.error.kind) << " at " << o.error.offset << ": " << o.error.message;
  return s.str();
}

// Compiles `bytes` at once and with every budget; all must agree. Returns the one-call outcome
// and the number of steps with a budget of 1.
Outcome expect_same_in_steps(const Bytes& bytes, const std::string& what, u64* unit_steps) {
  Outcome reference = compile_at_once(bytes);
  for (u64 budget : kBudgets) {
    Outcome o = compile_in_steps(bytes, budget);
    SCOPED_TRACE(what + ", budget " + std::to_string(budget));
    EXPECT_EQ(describe(o), describe(reference));
    if (o.failed && reference.failed) {
      EXPECT_EQ(o.error.kind, reference.error.kind);
      EXPECT_EQ(o.error.offset, reference.error.offset);
      EXPECT_STREQ(o.error.message, reference.error.message);
    }
    if (o.module && reference.module) EXPECT_EQ(difference(*o.module, *reference.module), "");
    if (budget == kUnbounded) EXPECT_EQ(o.steps, 1u);
    if (budget == 1 && unit_steps != nullptr) *unit_steps = o.steps;
  }
  return reference;
}

// The error every budget refuses `bytes` with (expect_same_in_steps checks that they agree); a
// test failure, and the empty error, when it compiles.
CompileError refusal(const Bytes& bytes, const std::string& what) {
  Outcome o = expect_same_in_steps(bytes, what, nullptr);
  EXPECT_TRUE(o.failed) << what;
  return o.failed ? o.error : CompileError{};
}

// ---- modules ----

// A module that uses most of the format: imports, a table, a memory, globals, exports, a start
// function, active, passive and declarative segments, and `n` functions with blocks, loops,
// branches, calls, memory and bulk operations. Function `bad` (if in range) has a type error.
std::string module_text(u32 n, u32 bad = ~0u) {
  std::string t = R"((module
  (type $t (func (param i32) (result i32)))
  (import "env" "f" (func $imp (param i32) (result i32)))
  (import "env" "g" (global $g i32))
  (table $tab 16 funcref)
  (memory 1 2)
  (global $m (mut i32) (i32.const 7))
  (global $h i64 (i64.const -3))
  (export "mem" (memory 0))
  (export "m" (global $m))
  (start $s)
  (elem (i32.const 0) $s $f0)
  (elem $p funcref (ref.func $f0) (ref.null func))
  (elem declare func $imp)
  (data (i32.const 16) "hello")
  (data $d "passive")
  (func $s (global.set $m (i32.const 1)))
)";
  for (u32 i = 0; i < n; ++i) {
    std::string k = std::to_string(i);
    t += "  (func $f" + k + " (export \"f" + k + "\") (type $t) (local $y i64) (local $z f64)\n";
    if (i == bad) {
      t += "    (i32.add (i64.const 1) (i32.const 2)))\n";
      continue;
    }
    switch (i % 4) {
      case 0:
        t += "    (block $b (loop $l (local.set 0 (i32.add (local.get 0) (i32.const " + k +
             ")))\n"
             "      (br_if $l (i32.lt_s (local.get 0) (i32.const 100)))))\n"
             "    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))\n"
             "      (else (call $imp (local.get 0)))))\n";
        break;
      case 1:
        t += "    (i32.store offset=8 (local.get 0) (global.get $g))\n"
             "    (memory.fill (i32.const 32) (i32.const 0) (i32.const 16))\n"
             "    (memory.init $d (i32.const 64) (i32.const 0) (i32.const 3))\n"
             "    (local.set $y (i64.extend_i32_u (i32.load8_u (local.get 0))))\n"
             "    (i32.wrap_i64 (i64.add (local.get $y) (global.get $h))))\n";
        break;
      case 2:
        t += "    (local.set $z (f64.convert_i32_s (local.get 0)))\n"
             "    (block $a (block $b (block $c (br_table $a $b $c (local.get 0)))\n"
             "      (local.set $z (f64.sqrt (local.get $z))))\n"
             "      (local.set $z (f64.mul (local.get $z) (f64.const 1.5))))\n"
             "    (call_indirect (type $t) (i32.trunc_sat_f64_s (local.get $z)) (i32.const 1)))\n";
        break;
      case 3:
        t += "    (table.set $tab (i32.const 3) (ref.func $f0))\n"
             "    (drop (table.grow $tab (ref.null func) (i32.const 1)))\n"
             "    (select (call $f" +
             std::to_string(i - 1) + " (local.get 0)) (table.size $tab) (local.get 0)))\n";
        break;
    }
  }
  t += ")\n";
  return t;
}

// The sections of a module, to drop, replace or append some.
struct Section {
  u8 id;
  Bytes body;
};

std::vector<Section> split(const Bytes& m) {
  std::vector<Section> out;
  usize p = 8;
  while (p < m.size()) {
    u8 id = m[p++];
    u64 size = 0;
    for (u32 shift = 0;; shift += 7) {
      u8 b = m[p++];
      size |= static_cast<u64>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    out.push_back({id, Bytes(m.begin() + p, m.begin() + p + size)});
    p += size;
  }
  return out;
}

Bytes join(const std::vector<Section>& sections) {
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (const Section& s : sections) section(m, s.id, s.body);
  return m;
}

Bytes without(const Bytes& m, std::initializer_list<u8> ids) {
  std::vector<Section> s = split(m);
  s.erase(std::remove_if(s.begin(), s.end(),
                         [&](const Section& x) {
                           return std::find(ids.begin(), ids.end(), x.id) != ids.end();
                         }),
          s.end());
  return join(s);
}

// A name section naming functions 2 and 3 (custom sections may follow the code section).
Bytes name_section() {
  Bytes names, sub, body;
  leb(sub, 2);
  for (u32 index : {2u, 3u}) {
    leb(sub, index);
    std::string nm = "named" + std::to_string(index);
    leb(sub, nm.size());
    sub.insert(sub.end(), nm.begin(), nm.end());
  }
  std::string key = "name";
  leb(body, key.size());
  body.insert(body.end(), key.begin(), key.end());
  body.push_back(1);  // function names
  leb(body, sub.size());
  body.insert(body.end(), sub.begin(), sub.end());
  return body;
}

// The offset of the first occurrence of `needle` in `m`.
usize find(const Bytes& m, const Bytes& needle) {
  auto it = std::search(m.begin(), m.end(), needle.begin(), needle.end());
  EXPECT_NE(it, m.end());
  return static_cast<usize>(it - m.begin());
}

// The byte offset of function `i`'s body (after its size) in the code section of `m`.
u32 body_offset(const Bytes& m, u32 i) {
  Outcome o = compile_at_once(m);
  EXPECT_NE(o.module, nullptr);
  return o.module ? o.module->functions[i].body_offset : 0;
}

// ---- tests ----

TEST(Compilation, ValidModulesCompileTheSameWithEveryBudget) {
  Bytes empty = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  expect_same_in_steps(empty, "empty module", nullptr);
  for (u32 n : {1u, 4u, 40u, 300u}) {
    Bytes m = text(module_text(n));
    Outcome o = expect_same_in_steps(m, std::to_string(n) + " functions", nullptr);
    ASSERT_NE(o.module, nullptr) << describe(o);
    EXPECT_EQ(o.module->functions.size(), n + 1);
  }
  // A name section after the code section names functions compiled in earlier steps.
  Bytes named = text(module_text(8));
  section(named, 0, name_section());
  Outcome o = expect_same_in_steps(named, "name section", nullptr);
  ASSERT_NE(o.module, nullptr);
  EXPECT_EQ(std::string(o.module->function_name(3).data(), o.module->function_name(3).size()),
            "named3");
}

TEST(Compilation, StepsGrowWithTheFunctionsWithBudgetOne) {
  // Budget 1: a step per section, per function prologue (size and locals) and per instruction.
  // module_text repeats four function shapes, so 100 more functions (a multiple of 4) always
  // add the same number of steps.
  u64 steps[3];
  u32 counts[3] = {100, 200, 1000};
  for (int k = 0; k < 3; ++k)
    expect_same_in_steps(text(module_text(counts[k])), "steps", &steps[k]);
  EXPECT_GT(steps[0], 10 * counts[0]);
  EXPECT_GT(steps[1] - steps[0], 10 * (counts[1] - counts[0]));
  EXPECT_EQ(steps[2] - steps[1], 8 * (steps[1] - steps[0]));
  // A larger budget takes fewer steps.
  Bytes m = text(module_text(1000));
  EXPECT_LT(compile_in_steps(m, 1000).steps, steps[2] / 100);
  EXPECT_GT(compile_in_steps(m, 1000).steps, 10u);
}

// One function of 4,000 loops: a step stops between two of its instructions and the next one
// continues there; the code and the errors are the same as at once.
TEST(Compilation, OneLargeFunctionIsSplitBetweenInstructions) {
  std::string body;
  for (u32 i = 0; i < 4000; ++i)
    body +=
        "(block (loop (br_if 1 (i32.eqz (local.get 0))) (local.set 0 (i32.add (local.get 0) "
        "(i32.const " +
        std::to_string(i) + "))) (br 0)))\n";
  std::string head = "(module (func (export \"f\") (param i32) (result i32) (local i64)\n";
  Bytes m = text(head + body + "(local.get 0)))");
  u64 steps = 0;
  Outcome o = expect_same_in_steps(m, "large function", &steps);
  ASSERT_NE(o.module, nullptr) << describe(o);
  EXPECT_GT(steps, 4000u * 10);
  // Part way: the position is inside the body, and no module yet.
  auto begun = Compilation::begin(Span<const u8>(m.data(), m.size()));
  ASSERT_TRUE(begun.is_ok());
  std::unique_ptr<Compilation> c(begun.value());
  u32 body_at = o.module->functions[0].body_offset;
  Result<bool, CompileError> r = c->step(0);
  while (r.is_ok() && !r.value() && c->position() <= body_at) r = c->step(0);
  ASSERT_TRUE(r.is_ok());
  for (int k = 0; k < 3; ++k) {
    u32 at = c->position();
    r = c->step(1000);
    ASSERT_TRUE(r.is_ok());
    EXPECT_FALSE(r.value());
    EXPECT_GE(c->position(), at + 1000);
    EXPECT_LT(c->position(), at + 1000 + 16);  // one instruction past the budget at most
    EXPECT_EQ(c->take(), nullptr);
  }
  // A type error and a malformed instruction near its end.
  Outcome bad =
      expect_same_in_steps(text(head + body + "(i64.const 0)))"), "late type error", nullptr);
  ASSERT_TRUE(bad.failed);
  EXPECT_STREQ(bad.error.message, "type mismatch");
  EXPECT_GT(bad.error.offset, m.size() - 10);
  Bytes cut = m;
  cut[cut.size() - 3] = 0xff;  // the final `local.get 0`
  CompileError illegal = refusal(cut, "late illegal opcode");
  EXPECT_STREQ(illegal.message, "illegal opcode");
  EXPECT_EQ(illegal.offset, cut.size() - 2);
}

TEST(Compilation, InvalidFunctionsFailTheSameWithEveryBudget) {
  for (u32 bad : {0u, 1u, 150u, 298u}) {
    Bytes m = text(module_text(300, bad));
    u64 steps = 0;
    Outcome o = expect_same_in_steps(m, "invalid function " + std::to_string(bad), &steps);
    ASSERT_TRUE(o.failed);
    EXPECT_EQ(o.error.kind, ErrorKind::Invalid);
    EXPECT_STREQ(o.error.message, "type mismatch");
    // Function `bad` is defined function bad + 1 ($s is the first).
    EXPECT_GT(o.error.offset, body_offset(text(module_text(300)), bad));
    EXPECT_GE(steps, bad);  // failed in the step that compiled it
  }
}

TEST(Compilation, MalformedLateFunctionFailsTheSameWithEveryBudget) {
  // An illegal opcode in the last function but one: `i32.const 123456789` has a unique encoding.
  std::string t = module_text(200);
  std::string marker = "(func $f198 (export \"f198\") (type $t) (local $y i64) (local $z f64)\n";
  t.insert(t.find(marker) + marker.size(), "    (drop (i32.const 123456789))\n");
  Bytes m = text(t);
  Bytes leb_value = {0x41};
  sleb(leb_value, 123456789);
  usize at = find(m, leb_value);
  m[at] = 0xff;
  u64 steps = 0;
  Outcome o = expect_same_in_steps(m, "illegal opcode", &steps);
  ASSERT_TRUE(o.failed);
  EXPECT_EQ(o.error.kind, ErrorKind::Malformed);
  EXPECT_STREQ(o.error.message, "illegal opcode");
  EXPECT_EQ(o.error.offset, at + 1);
  EXPECT_GT(steps, 199u);

  // A body whose size runs past the code section; the whole module cut inside a function.
  Bytes cut(m.begin(), m.begin() + static_cast<long>(at));
  Outcome c = expect_same_in_steps(cut, "cut", nullptr);
  EXPECT_TRUE(c.failed);
}

TEST(Compilation, DataSectionErrorsAreTheSameWithEveryBudget) {
  // Data segments after the functions: for a memory the module does not have, of a bad kind,
  // and more than the data count section announced.
  {
    Bytes m = text("(module (func (result i32) (i32.const 1)) (func) (func (nop)))");
    section(m, 11, {1, 0, 0x41, 0, 0x0b, 1, 'x'});
    Outcome o = expect_same_in_steps(m, "unknown memory", nullptr);
    ASSERT_TRUE(o.failed);
    EXPECT_EQ(o.error.kind, ErrorKind::Invalid);
    EXPECT_STREQ(o.error.message, "unknown memory");
  }
  Bytes full = text(module_text(100));
  std::vector<Section> s = split(full);
  for (Section& x : s) {
    if (x.id == 11) x.body = {2, 0, 0x41, 0, 0x0b, 1, 'x', 3, 0, 0};  // kind 3
  }
  Outcome kind = expect_same_in_steps(join(s), "data segment kind", nullptr);
  ASSERT_TRUE(kind.failed);
  EXPECT_EQ(kind.error.kind, ErrorKind::Malformed);
  EXPECT_STREQ(kind.error.message, "malformed data segment kind");
  EXPECT_GT(kind.error.offset, body_offset(full, 100));

  s = split(full);
  for (Section& x : s) {
    if (x.id == 12) x.body = {3};
  }
  CompileError count = refusal(join(s), "data count");
  EXPECT_STREQ(count.message, "data count and data section have inconsistent lengths");
  EXPECT_GT(count.offset, body_offset(full, 100));
}

TEST(Compilation, FinalChecksAreTheSameWithEveryBudget) {
  Bytes full = text(module_text(100));
  // memory.init without a data count section: malformed if there are data segments, else the
  // segment is unknown; both decided after the last section.
  EXPECT_STREQ(refusal(without(full, {12}), "data count required").message,
               "data count section required");
  EXPECT_STREQ(refusal(without(full, {11, 12}), "unknown segment").message, "unknown data segment");
  // A data count section and no data section.
  EXPECT_STREQ(refusal(without(full, {11}), "no data section").message,
               "data count and data section have inconsistent lengths");
  // Functions declared and no code section.
  EXPECT_STREQ(refusal(without(full, {10, 11}), "no code section").message,
               "function and code section have inconsistent lengths");
  // Errors before the code section.
  Outcome magic = expect_same_in_steps(Bytes{0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0}, "magic", nullptr);
  EXPECT_TRUE(magic.failed);
  Bytes order = full;
  section(order, 1, {0});  // a type section after everything
  Outcome late = expect_same_in_steps(order, "section order", nullptr);
  ASSERT_TRUE(late.failed);
  EXPECT_EQ(late.error.offset, full.size());
}

TEST(Compilation, DuplicateExportNameAmongManyIsFoundAtItsEntry) {
  // The check is a hash table now: the first export whose name an earlier one has, at its entry.
  std::string t = "(module (func $f)\n";
  for (u32 i = 0; i < 3000; ++i) t += "  (export \"e" + std::to_string(i) + "\" (func $f))\n";
  Bytes unique = text(t + ")");
  Outcome ok = expect_same_in_steps(unique, "3000 exports", nullptr);
  ASSERT_FALSE(ok.failed) << describe(ok);
  EXPECT_EQ(ok.module->exports.size(), 3000u);
  Bytes dup = text(t + "  (export \"e1234\" (func $f)) (export \"e7\" (func $f)))");
  Outcome o = expect_same_in_steps(dup, "duplicate export", nullptr);
  ASSERT_TRUE(o.failed);
  EXPECT_EQ(o.error.kind, ErrorKind::Invalid);
  EXPECT_STREQ(o.error.message, "duplicate export name");
  Bytes entry = {5, 'e', '1', '2', '3', '4', 0, 0};
  // The second "e1234", not the first.
  auto second = std::search(dup.begin() + static_cast<long>(find(dup, entry)) + 1, dup.end(),
                            entry.begin(), entry.end());
  EXPECT_EQ(o.error.offset, static_cast<u32>(second - dup.begin()));
}

TEST(Compilation, StepsAfterTheEndRepeatTheOutcome) {
  Bytes m = text(module_text(3, 2));
  auto begun = Compilation::begin(Span<const u8>(m.data(), m.size()));
  ASSERT_TRUE(begun.is_ok());
  std::unique_ptr<Compilation> c(begun.value());
  EXPECT_EQ(c->size(), m.size());
  Result<bool, CompileError> r = c->step(0);  // a budget of 0 still makes progress
  ASSERT_TRUE(r.is_ok());
  EXPECT_FALSE(r.value());
  EXPECT_EQ(c->position(), 8u);  // the header
  do r = c->step(0);
  while (r.is_ok() && !r.value());
  ASSERT_TRUE(r.is_error());
  CompileError first = r.error();
  Result<bool, CompileError> again = c->step(kUnbounded);
  ASSERT_TRUE(again.is_error());
  EXPECT_EQ(again.error().offset, first.offset);
  EXPECT_STREQ(again.error().message, first.message);
  EXPECT_EQ(c->take(), nullptr);

  Bytes good = text(module_text(3));
  begun = Compilation::begin(Span<const u8>(good.data(), good.size()));
  ASSERT_TRUE(begun.is_ok());
  c.reset(begun.value());
  r = c->step(kUnbounded);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r.value());
  EXPECT_EQ(c->position(), good.size());
  r = c->step(1);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r.value());
  std::unique_ptr<Module> module(c->take());
  EXPECT_NE(module, nullptr);
  EXPECT_EQ(c->take(), nullptr);  // taken once
  // A Compilation deleted before the end frees its module (checked by the sanitizer builds).
  begun = Compilation::begin(Span<const u8>(good.data(), good.size()));
  ASSERT_TRUE(begun.is_ok());
  c.reset(begun.value());
  ASSERT_TRUE(c->step(1).is_ok());
  c.reset();
}

TEST(Compilation, TakingTheBufferCompilesTheSameWithoutACopy) {
  Bytes m = text(module_text(50));
  support::Vector<u8> buffer;
  ASSERT_TRUE(buffer.try_resize(m.size()).is_ok());
  std::memcpy(buffer.data(), m.data(), m.size());
  const u8* storage = buffer.data();
  auto begun = Compilation::begin(support::move(buffer));
  ASSERT_TRUE(begun.is_ok());
  EXPECT_EQ(buffer.size(), 0u);
  std::unique_ptr<Compilation> c(begun.value());
  EXPECT_EQ(c->size(), m.size());
  Result<bool, CompileError> r = c->step(100);
  while (r.is_ok() && !r.value()) r = c->step(100);
  ASSERT_TRUE(r.is_ok());
  std::unique_ptr<Module> module(c->take());
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->bytes.data(), storage);  // the same buffer
  Outcome reference = compile_at_once(m);
  ASSERT_NE(reference.module, nullptr);
  EXPECT_EQ(difference(*module, *reference.module), "");
}

// Every module of the specification suite (valid, malformed and invalid binaries alike), when
// the suite is there: the same outcome with every budget.
TEST(Compilation, SpecSuiteModulesCompileTheSameInSteps) {
#ifndef WARDEN_SPEC_SUITE
  GTEST_SKIP() << "no suite folder configured";
#else
  auto suite = suite_modules(WARDEN_SPEC_SUITE);
  if (!suite) GTEST_SKIP() << WARDEN_SPEC_SUITE << " is absent";
  u64 modules = 0, failures = 0;
  for (const SuiteModule& m : *suite) {
    if (m.kind == wat::CommandKind::Register || m.kind == wat::CommandKind::Action ||
        m.kind == wat::CommandKind::AssertReturn || m.kind == wat::CommandKind::AssertTrap ||
        m.kind == wat::CommandKind::AssertExhaustion)
      continue;
    Outcome o = expect_same_in_steps(m.bytes, m.where, nullptr);
    ++modules;
    failures += o.failed;
  }
  printf("%llu modules (%llu refused) compiled the same in steps\n",
         static_cast<unsigned long long>(modules), static_cast<unsigned long long>(failures));
  EXPECT_GT(modules, 1000u);
  EXPECT_GT(failures, 500u);
#endif
}

}  // namespace
}  // namespace wasm_test

// The specification script runner (see <spec/runner.h>).
#include <spec/runner.h>
#include <support/new.h>

namespace spec {

using support::Span;
using support::StringView;
using wasm::CompileError;
using wasm::ErrorKind;
using wasm::Execution;
using wasm::Extern;
using wasm::ExternKind;
using wasm::FuncInst;
using wasm::Instance;
using wasm::Module;
using wasm::RunStatus;
using wasm::TrapKind;
using wasm::ValType;

namespace {

constexpr const char* kNoMemory = "out of memory";

StringView command_name(wat::CommandKind kind) {
  switch (kind) {
    case wat::CommandKind::Module: return "module";
    case wat::CommandKind::Register: return "register";
    case wat::CommandKind::Action: return "action";
    case wat::CommandKind::AssertReturn: return "assert_return";
    case wat::CommandKind::AssertTrap: return "assert_trap";
    case wat::CommandKind::AssertExhaustion: return "assert_exhaustion";
    case wat::CommandKind::AssertMalformed: return "assert_malformed";
    case wat::CommandKind::AssertInvalid: return "assert_invalid";
    case wat::CommandKind::AssertUnlinkable: return "assert_unlinkable";
    case wat::CommandKind::AssertModuleTrap: return "assert_trap";
    case wat::CommandKind::ModuleDefinition: return "module definition";
    case wat::CommandKind::ModuleInstance: return "module instance";
    case wat::CommandKind::AssertException: return "assert_exception";
  }
  return "command";
}

bool is_assertion(wat::CommandKind kind) {
  switch (kind) {
    case wat::CommandKind::AssertReturn:
    case wat::CommandKind::AssertTrap:
    case wat::CommandKind::AssertExhaustion:
    case wat::CommandKind::AssertMalformed:
    case wat::CommandKind::AssertInvalid:
    case wat::CommandKind::AssertUnlinkable:
    case wat::CommandKind::AssertModuleTrap:
    case wat::CommandKind::AssertException: return true;
    default: return false;
  }
}

StringView bytes_view(const support::Vector<u8>& bytes) {
  return StringView(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool equal(const support::Vector<u8>& a, StringView b) { return bytes_view(a) == b; }

// The spec's trap messages that name the same trap differently from trap_message().
bool trap_matches(TrapKind got, StringView text) {
  StringView mine(wasm::trap_message(got));
  if (text.starts_with(mine)) return true;
  if (got == TrapKind::TableOutOfBounds && text == "undefined element") return true;
  if (got == TrapKind::MemoryOutOfBounds && text.contains("out of bounds")) return true;
  return false;
}

// The feature an argument needs, or nullptr.
const char* value_feature(const wat::Value& v) {
  switch (v.type) {
    case wat::ValueType::HostRef:
    case wat::ValueType::OtherRef: return "gc";
    case wat::ValueType::FuncRef: return v.is_null ? nullptr : "function-references";
    default: return nullptr;
  }
}

const char* expected_feature(const wat::Expected& e) {
  switch (e.kind) {
    case wat::ExpectKind::AnyNull:
    case wat::ExpectKind::AnyRefOf: return "gc";
    case wat::ExpectKind::Either:
      for (const wat::Expected& a : e.alternatives)
        if (const char* f = expected_feature(a)) return f;
      return nullptr;
    default: return value_feature(e.value);
  }
}

bool type_is(ValType got, wat::ValueType want) {
  switch (want) {
    case wat::ValueType::I32: return got == ValType::I32;
    case wat::ValueType::I64: return got == ValType::I64;
    case wat::ValueType::F32: return got == ValType::F32;
    case wat::ValueType::F64: return got == ValType::F64;
    case wat::ValueType::V128: return got == ValType::V128;
    case wat::ValueType::FuncRef: return got == ValType::FuncRef;
    case wat::ValueType::ExternRef: return got == ValType::ExternRef;
    default: return false;
  }
}

// Whether an f32 (`wide` false) or f64 NaN's bits match the pattern.
bool nan_matches(wat::NanPattern pattern, bool wide, u64 bits) {
  if (!wide) {
    u32 b = static_cast<u32>(bits);
    return pattern == wat::NanPattern::Canonical ? (b & 0x7fffffffu) == 0x7fc00000u
                                                 : (b & 0x7fc00000u) == 0x7fc00000u;
  }
  return pattern == wat::NanPattern::Canonical
             ? (bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull
             : (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

// A v128 lane by lane in the expected shape: NaN patterns per float lane, the rest bit for bit.
bool lanes_match(const wat::Expected& e, const u8 (&got)[16]) {
  u32 width = 4;
  switch (e.shape) {
    case wat::LaneShape::I8x16: width = 1; break;
    case wat::LaneShape::I16x8: width = 2; break;
    case wat::LaneShape::I32x4:
    case wat::LaneShape::F32x4: width = 4; break;
    case wat::LaneShape::I64x2:
    case wat::LaneShape::F64x2: width = 8; break;
  }
  bool floats = e.shape == wat::LaneShape::F32x4 || e.shape == wat::LaneShape::F64x2;
  for (u32 lane = 0; lane < 16 / width; ++lane) {
    u64 have = 0, want = 0;
    for (u32 k = 0; k < width; ++k) {
      have |= static_cast<u64>(got[lane * width + k]) << (8 * k);
      want |= static_cast<u64>(e.value.v128[lane * width + k]) << (8 * k);
    }
    if (floats && lane < 4 && e.lane_nan[lane] != wat::NanPattern::None) {
      if (!nan_matches(e.lane_nan[lane], width == 8, have)) return false;
    } else if (have != want) {
      return false;
    }
  }
  return true;
}

// Whether the result `bits` (and a v128's high half `hi`) of type `type` matches `e` (features
// were excluded before).
bool matches(const wat::Expected& e, ValType type, u64 bits, u64 hi = 0) {
  u8 v128[16];
  for (u32 k = 0; k < 8; ++k) {
    v128[k] = static_cast<u8>(bits >> (8 * k));
    v128[8 + k] = static_cast<u8>(hi >> (8 * k));
  }
  switch (e.kind) {
    case wat::ExpectKind::V128Lanes: return type == ValType::V128 && lanes_match(e, v128);
    case wat::ExpectKind::Exact:
      if (!type_is(type, e.value.type)) return false;
      switch (e.value.type) {
        case wat::ValueType::V128:
          for (u32 k = 0; k < 16; ++k)
            if (v128[k] != e.value.v128[k]) return false;
          return true;
        case wat::ValueType::I32:
        case wat::ValueType::F32: return static_cast<u32>(bits) == static_cast<u32>(e.value.bits);
        case wat::ValueType::I64:
        case wat::ValueType::F64: return bits == e.value.bits;
        case wat::ValueType::FuncRef: return e.value.is_null ? bits == 0 : bits != 0;
        case wat::ValueType::ExternRef:
          return e.value.is_null ? bits == 0 : bits == e.value.bits + 1;
        default: return false;
      }
    case wat::ExpectKind::Nan:
      if (!type_is(type, e.value.type)) return false;
      return nan_matches(e.nan, e.value.type != wat::ValueType::F32, bits);
    case wat::ExpectKind::AnyFuncRef: return type == ValType::FuncRef && bits != 0;
    case wat::ExpectKind::AnyExternRef: return type == ValType::ExternRef && bits != 0;
    case wat::ExpectKind::Either:
      for (const wat::Expected& a : e.alternatives)
        if (matches(a, type, bits, hi)) return true;
      return false;
    default: return false;
  }
}

// How an expected value prints in a failure line.
struct ExpectedText {
  const wat::Expected& e;
};
void format_value(support::FormatSink& sink, const ExpectedText& t) {
  const wat::Expected& e = t.e;
  switch (e.kind) {
    case wat::ExpectKind::V128Lanes:
      support::format(sink, "v128 lanes");
      for (u32 k = 16; k-- > 0;)
        support::format(sink, "{}{:02x}", k == 15 ? " 0x" : "", e.value.v128[k]);
      return;
    case wat::ExpectKind::Exact:
      if (e.value.is_null)
        support::format(sink, "null");
      else
        support::format(sink, "{:#x}", e.value.bits);
      return;
    case wat::ExpectKind::Nan:
      support::format(sink,
                      e.nan == wat::NanPattern::Canonical ? "nan:canonical" : "nan:arithmetic");
      return;
    case wat::ExpectKind::AnyFuncRef: support::format(sink, "(ref.func)"); return;
    case wat::ExpectKind::AnyExternRef: support::format(sink, "(ref.extern)"); return;
    case wat::ExpectKind::Either: support::format(sink, "(either ...)"); return;
    default: support::format(sink, "?"); return;
  }
}

// The feature a module that did not read needs (Text: located in the script; Quote: in the
// quoted text the ModuleDef keeps).
const char* text_feature(const wat::ModuleDef& def, StringView script,
                         const wasm::Features& features) {
  if (def.form == wat::ModuleForm::Text)
    return unsupported_text_feature(script, def.error, features);
  if (def.form == wat::ModuleForm::Quote)
    return unsupported_text_feature(bytes_view(def.bytes), def.error, features);
  return nullptr;
}

wasm::HostStatus spectest_print(void*, wasm::HostCall&) { return wasm::HostStatus::Ok; }
// The slice modes answer Pending; the embedder completes the call (possibly on another thread).
wasm::HostStatus spectest_print_pending(void*, wasm::HostCall&) {
  return wasm::HostStatus::Pending;
}

}  // namespace

struct ScriptRunner::Compiled {
  Module* module = nullptr;  // owned by modules_
  bool read = true;          // false: the text did not read
  CompileError error;
  const char* unsupported = nullptr;
};

void Counts::add_skip(const char* reason, u64 n) {
  skipped += n;
  for (u32 i = 0; i < reason_count; ++i) {
    if (StringView(reasons[i].text) == StringView(reason)) {
      reasons[i].count += n;
      return;
    }
  }
  if (reason_count < kMaxReasons) reasons[reason_count++] = {reason, n};
}

void Counts::add(const Counts& other) {
  passed += other.passed;
  failed += other.failed;
  not_run += other.not_run;
  pending_completed += other.pending_completed;
  for (u32 i = 0; i < other.reason_count; ++i)
    add_skip(other.reasons[i].text, other.reasons[i].count);
}

ScriptRunner::~ScriptRunner() { release(); }

void ScriptRunner::release() {
  if (execution_ != nullptr) {
    delete execution_;
    execution_ = nullptr;
  }
  // Instances point into modules: the store goes first.
  delete store_;
  store_ = nullptr;
  for (Module* m : modules_) delete m;
  modules_ = {};
  named_ = {};
  definitions_ = {};
  registered_ = {};
  spectest_ = {};
  script_.commands = {};
  current_ = nullptr;
}

void ScriptRunner::line_prefix(const wat::Command& c) {
  support::format(out_, "    line {}:{}: {}: ", c.location.line, c.location.column,
                  command_name(c.kind));
}

// A skip reason is a feature the engine lacks ("unsupported feature simd").
static const char* reason_prefix(const char*) { return "unsupported feature "; }

void ScriptRunner::skip(const wat::Command& c, const char* feature) {
  // Every skipped assertion says why, whatever the failure-line limit.
  counts_.add_skip(feature);
  line_prefix(c);
  support::format(out_, "skipped: {}{}\n", reason_prefix(feature), feature);
}

// An assertion on a module that did not load: skipped for a missing feature, else failed.
void ScriptRunner::not_run(const wat::Command& c, const char* unsupported) {
  if (unsupported != nullptr) {
    skip(c, unsupported);
    return;
  }
  ++counts_.failed;
  ++counts_.not_run;
}

bool ScriptRunner::start(StringView file_name, StringView source) {
  release();
  file_ = file_name;
  source_ = source;
  next_ = 0;
  counts_ = {};
  failure_lines_ = 0;
  current_unsupported_ = nullptr;
  current_failed_ = false;
  read_ok_ = false;
  unread_assertions_ = 0;
  auto script = wat::read_script(source, text_features(config_.features));
  if (script.is_error()) {
    wat::ParseError e = script.error();
    unread_assertions_ = count_assertions(source);
    counts_.failed += unread_assertions_;
    counts_.not_run += unread_assertions_;
    support::format(out_, "    line {}:{}: the script does not read: {}\n", e.location.line,
                    e.location.column, wat::error_name(e.code));
    return false;
  }
  script_ = script.release_value();
  store_ = new (std::nothrow) wasm::Store(provider_, config_.store);
  if (store_ == nullptr || !make_spectest()) {
    u64 n = 0;
    for (const wat::Command& c : script_.commands) n += is_assertion(c.kind) ? 1 : 0;
    counts_.failed += n;
    counts_.not_run += n;
    script_.commands = {};
    support::format(out_, "    {} for the store\n", kNoMemory);
    return false;
  }
  read_ok_ = true;
  return true;
}

bool ScriptRunner::make_spectest() {
  auto func = [&](const char* name, Span<const ValType> params) {
    wasm::FuncType t;
    for (ValType v : params)
      if (t.types.try_push(v).is_error()) return false;
    t.param_count = static_cast<u32>(params.size());
    auto f = store_->create_host_function(
        t, config_.pending_prints ? spectest_print_pending : spectest_print, nullptr);
    return f.is_ok() && spectest_.try_push({name, Extern::func(f.value())}).is_ok();
  };
  static constexpr ValType kI32[] = {ValType::I32};
  static constexpr ValType kI64[] = {ValType::I64};
  static constexpr ValType kF32[] = {ValType::F32};
  static constexpr ValType kF64[] = {ValType::F64};
  static constexpr ValType kI32F32[] = {ValType::I32, ValType::F32};
  static constexpr ValType kF64F64[] = {ValType::F64, ValType::F64};
  if (!func("print", {}) || !func("print_i32", kI32) || !func("print_i64", kI64) ||
      !func("print_f32", kF32) || !func("print_f64", kF64) || !func("print_i32_f32", kI32F32) ||
      !func("print_f64_f64", kF64F64))
    return false;
  auto global = [&](const char* name, ValType type, u64 bits) {
    auto g = store_->create_global({type, false}, bits);
    return g.is_ok() && spectest_.try_push({name, Extern::global(g.value())}).is_ok();
  };
  // 666.6 as f32 and f64 bits.
  if (!global("global_i32", ValType::I32, 666) || !global("global_i64", ValType::I64, 666) ||
      !global("global_f32", ValType::F32, 0x4426a666u) ||
      !global("global_f64", ValType::F64, 0x4084d4cccccccccdull))
    return false;
  wasm::TableType tt;
  tt.elem = ValType::FuncRef;
  tt.limits = {10, 20, true};
  auto table = store_->create_table(tt, 0);
  if (table.is_error() || spectest_.try_push({"table", Extern::table(table.value())}).is_error())
    return false;
  wasm::MemoryType mt;
  mt.limits = {1, 2, true};
  auto memory = store_->create_memory(mt);
  return memory.is_ok() && spectest_.try_push({"memory", Extern::memory(memory.value())}).is_ok();
}

void ScriptRunner::taint_registered(const char* feature) {
  for (Registered& r : registered_)
    if (r.instance != nullptr && r.tainted == nullptr) r.tainted = feature;
}

const char* ScriptRunner::taint_of(const Instance* instance) const {
  for (const Registered& r : registered_)
    if (r.instance == instance && r.tainted != nullptr) return r.tainted;
  return nullptr;
}

bool ScriptRunner::spectest_export(StringView name, Extern& out) const {
  for (const Spectest& s : spectest_) {
    if (StringView(s.name) == name) {
      out = s.value;
      return true;
    }
  }
  return false;
}

ScriptRunner::Compiled ScriptRunner::compile(const wat::ModuleDef& def) {
  Compiled c;
  if (!def.ok) {
    c.read = false;
    c.unsupported = text_feature(def, source_, config_.features);
    return c;
  }
  Span<const u8> bytes(def.bytes.data(), def.bytes.size());
  // A module that uses a 3.0 feature is not run even where the engine happens to decode it.
  if (const char* f = unsupported_feature(bytes, nullptr, config_.features)) {
    c.unsupported = f;
    return c;
  }
  auto r = Module::compile(bytes, config_.features);
  if (r.is_error()) {
    c.error = r.error();
    c.unsupported = unsupported_feature(bytes, &c.error, config_.features);
    return c;
  }
  if (modules_.try_push(r.value()).is_error()) {
    delete r.value();
    c.error = {ErrorKind::NoMemory, 0, kNoMemory};
    return c;
  }
  c.module = r.value();
  return c;
}

void ScriptRunner::set_current(const wat::Command& c, Instance* instance, const char* unsupported,
                               bool failed) {
  current_ = instance;
  current_unsupported_ = unsupported;
  current_failed_ = failed;
  if (unsupported != nullptr) taint_registered(unsupported);
  if (!c.module.name.empty()) {
    if (named_.try_push({c.module.name, instance, unsupported}).is_error())
      fail(c, "{}", kNoMemory);
  }
}

bool ScriptRunner::resolve(const Module& module, support::Vector<Extern>& out,
                           const char** unsupported) {
  for (const wasm::Import& im : module.imports) {
    StringView mod = module.name_of(im.module);
    StringView name = module.name_of(im.name);
    Extern e;
    bool found = false;
    for (usize i = registered_.size(); i-- > 0 && !found;) {
      Registered& r = registered_[i];
      if (!equal(r.name, mod)) continue;
      if (r.instance == nullptr) {
        *unsupported = r.unsupported;
        return false;
      }
      e = r.instance->find_export(name);
      found = true;
    }
    if (!found && mod == "spectest") found = spectest_export(name, e);
    if (!found || e.ptr == nullptr) return false;
    if (out.try_push(e).is_error()) return false;
  }
  return true;
}

// Instantiates `module` for command `c` (Module, ModuleInstance, AssertUnlinkable,
// AssertModuleTrap). Returns the start function's execution, or nullptr when done.
Execution* ScriptRunner::instantiate(const wat::Command& c, Module* module) {
  support::Vector<Extern> imports;
  const char* unsupported = nullptr;
  bool linked = resolve(*module, imports, &unsupported);
  const bool module_cmd =
      c.kind == wat::CommandKind::Module || c.kind == wat::CommandKind::ModuleInstance;
  if (!linked) {
    if (c.kind == wat::CommandKind::AssertUnlinkable) {
      if (unsupported != nullptr)
        skip(c, unsupported);
      else
        pass();
    } else if (c.kind == wat::CommandKind::AssertModuleTrap) {
      if (unsupported != nullptr)
        skip(c, unsupported);
      else
        fail(c, "module did not link");
    } else {
      if (unsupported == nullptr) {
        line_prefix(c);
        support::format(out_, "module failed to link: an import is missing\n");
      }
      set_current(c, nullptr, unsupported, true);
    }
    return nullptr;
  }
  auto inst = store_->instantiate(*module, Span<const Extern>(imports.data(), imports.size()));
  if (inst.is_error()) {
    wasm::InstantiateError e = inst.error();
    bool trap = e.kind == wasm::InstantiateError::Kind::Trap;
    if (c.kind == wat::CommandKind::AssertUnlinkable) {
      if (e.kind == wasm::InstantiateError::Kind::Unlinkable)
        pass();
      else
        fail(c, "expected unlinkable, got {}", e.message);
    } else if (c.kind == wat::CommandKind::AssertModuleTrap) {
      if (trap && trap_matches(e.trap, bytes_view(c.message)))
        pass();
      else
        fail(c, "expected trap \"{}\", got {}", bytes_view(c.message), e.message);
    } else {
      line_prefix(c);
      support::format(out_, "module failed to instantiate: {}\n", e.message);
      set_current(c, nullptr, nullptr, true);
    }
    return nullptr;
  }
  Instance* instance = inst.value();
  if (c.kind == wat::CommandKind::AssertUnlinkable) {
    fail(c, "module linked");
    return nullptr;
  }
  FuncInst* start = store_->start_function(instance);
  if (start == nullptr) {
    if (c.kind == wat::CommandKind::AssertModuleTrap)
      fail(c, "module instantiated without a trap");
    else if (module_cmd)
      set_current(c, instance, nullptr, false);
    return nullptr;
  }
  execution_ = new (std::nothrow) Execution(*store_);
  if (execution_ == nullptr || execution_->start(start, {}).is_error()) {
    delete execution_;
    execution_ = nullptr;
    if (module_cmd)
      set_current(c, nullptr, nullptr, true);
    else
      fail(c, "{}", kNoMemory);
    return nullptr;
  }
  waiting_ = Waiting::ModuleStart;
  command_ = &c;
  starting_ = instance;
  return execution_;
}

void ScriptRunner::finish_start(RunStatus status) {
  const wat::Command& c = *command_;
  TrapKind trap = execution_->trap();
  if (c.kind == wat::CommandKind::AssertModuleTrap) {
    if (status == RunStatus::Trap && trap_matches(trap, bytes_view(c.message)))
      pass();
    else
      fail(c, "expected trap \"{}\", got {} {}", bytes_view(c.message),
           wasm::run_status_name(status),
           status == RunStatus::Trap ? wasm::trap_message(trap) : "");
    return;
  }
  if (status != RunStatus::Done) {
    line_prefix(c);
    support::format(out_, "module failed to instantiate: start function {} {}\n",
                    wasm::run_status_name(status),
                    status == RunStatus::Trap ? wasm::trap_message(trap) : "");
    set_current(c, nullptr, nullptr, true);
    return;
  }
  set_current(c, starting_, nullptr, false);
}

Execution* ScriptRunner::command_action(const wat::Command& c) {
  const bool assertion = is_assertion(c.kind);
  if (c.kind == wat::CommandKind::AssertException) {
    skip(c, "exception-handling");
    return nullptr;
  }
  // The target instance.
  Instance* instance = current_;
  const char* unsupported = current_unsupported_;
  bool failed = current_failed_;
  if (!c.action.module.empty()) {
    instance = nullptr;
    bool found = false;
    for (usize i = named_.size(); i-- > 0 && !found;) {
      if (named_[i].name != c.action.module) continue;
      found = true;
      instance = named_[i].instance;
      unsupported = named_[i].unsupported;
      failed = instance == nullptr;
    }
    if (!found) {
      if (assertion) fail(c, "no module {}", c.action.module);
      return nullptr;
    }
  }
  if (instance == nullptr) {
    if (assertion) {
      if (failed || unsupported != nullptr)
        not_run(c, unsupported);
      else
        fail(c, "no module");
    }
    return nullptr;
  }
  for (const wat::Value& v : c.action.args) {
    if (const char* f = value_feature(v)) {
      if (assertion) skip(c, f);
      return nullptr;
    }
  }
  for (const wat::Expected& e : c.expected) {
    if (const char* f = expected_feature(e)) {
      skip(c, f);
      return nullptr;
    }
  }
  Extern e = instance->find_export(bytes_view(c.action.field));
  if (e.ptr == nullptr) {
    if (assertion) fail(c, "unknown export \"{}\"", bytes_view(c.action.field));
    return nullptr;
  }
  if (c.action.kind == wat::ActionKind::Get) {
    if (e.kind != ExternKind::Global) {
      if (assertion) fail(c, "not a global");
      return nullptr;
    }
    auto* g = static_cast<wasm::Global*>(e.ptr);
    if (c.kind != wat::CommandKind::AssertReturn) {
      if (assertion) fail(c, "a get cannot trap");
      return nullptr;
    }
    if (c.expected.size() != 1)
      fail(c, "result count");
    else if (!matches(c.expected[0], g->type.type, g->value, g->hi))
      fail(c, "got {:#x} (high {:#x}), expected {}", g->value, g->hi, ExpectedText{c.expected[0]});
    else
      pass();
    return nullptr;
  }
  if (e.kind != ExternKind::Func) {
    if (assertion) fail(c, "not a function");
    return nullptr;
  }
  auto* f = static_cast<FuncInst*>(e.ptr);
  if (c.action.args.size() != f->type->param_count) {
    if (assertion) fail(c, "argument count");
    return nullptr;
  }
  // One slot per argument, two for a v128 (its low then its high 8 bytes).
  usize slots = 0;
  for (const wat::Value& v : c.action.args) slots += v.type == wat::ValueType::V128 ? 2 : 1;
  u64 args[64];
  support::Vector<u64> many;
  u64* argv = args;
  if (slots > 64) {
    if (many.try_resize(slots).is_error()) {
      if (assertion) fail(c, "{}", kNoMemory);
      return nullptr;
    }
    argv = many.data();
  }
  for (usize i = 0, slot = 0; i < c.action.args.size(); ++i) {
    const wat::Value& v = c.action.args[i];
    if (v.type == wat::ValueType::V128) {
      u64 lo = 0, hi = 0;
      for (u32 k = 0; k < 8; ++k) {
        lo |= static_cast<u64>(v.v128[k]) << (8 * k);
        hi |= static_cast<u64>(v.v128[8 + k]) << (8 * k);
      }
      argv[slot++] = lo;
      argv[slot++] = hi;
      continue;
    }
    u64 bits = v.bits;
    if (v.type == wat::ValueType::ExternRef) bits = v.is_null ? 0 : v.bits + 1;  // 0 is null
    if (v.type == wat::ValueType::FuncRef) bits = 0;
    if (v.type == wat::ValueType::I32 || v.type == wat::ValueType::F32) bits &= 0xffffffffu;
    argv[slot++] = bits;
  }
  execution_ = new (std::nothrow) Execution(*store_);
  if (execution_ == nullptr || execution_->start(f, Span<const u64>(argv, slots)).is_error()) {
    delete execution_;
    execution_ = nullptr;
    if (assertion) fail(c, "{}", kNoMemory);
    return nullptr;
  }
  waiting_ = Waiting::Action;
  command_ = &c;
  invoked_ = f;
  acting_on_ = instance;
  return execution_;
}

void ScriptRunner::finish_action(RunStatus status) {
  const wat::Command& c = *command_;
  // A failure on an instance that a skipped module may have written to is not the engine's:
  // counted as skipped for that module's feature.
  const char* taint = taint_of(acting_on_);
  auto fail = [&](support::StringView fmt, const auto&... args) {
    if (taint != nullptr)
      skip(c, taint);
    else
      this->fail(c, fmt, args...);
  };
  Execution& ex = *execution_;
  TrapKind trap = status == RunStatus::Trap ? ex.trap() : TrapKind::None;
  const char* trap_text = status == RunStatus::Trap ? wasm::trap_message(trap) : "";
  switch (c.kind) {
    case wat::CommandKind::AssertReturn: {
      if (status != RunStatus::Done) {
        fail("stopped: {} {}", wasm::run_status_name(status), trap_text);
        return;
      }
      u32 n = invoked_->type->result_count;
      if (n != c.expected.size()) {
        fail("result count {} (expected {})", n, c.expected.size());
        return;
      }
      for (u32 i = 0, slot = 0; i < n; ++i) {
        ValType type = invoked_->type->results()[i];
        u64 bits = ex.results()[slot];
        u64 hi = type == ValType::V128 ? ex.results()[slot + 1] : 0;
        slot += wasm::slot_count(type);
        if (!matches(c.expected[i], type, bits, hi)) {
          if (type == ValType::V128)
            fail("result {}: got v128 {:#x} {:#x} (high, low), expected {}", i, hi, bits,
                 ExpectedText{c.expected[i]});
          else
            fail("result {}: got {} {:#x}, expected {}", i, wasm::val_type_name(type), bits,
                 ExpectedText{c.expected[i]});
          return;
        }
      }
      pass();
      return;
    }
    case wat::CommandKind::AssertTrap:
      if (status == RunStatus::Trap && trap_matches(trap, bytes_view(c.message)))
        pass();
      else
        fail("expected trap \"{}\", got {} {}", bytes_view(c.message),
             wasm::run_status_name(status), trap_text);
      return;
    case wat::CommandKind::AssertExhaustion:
      if (status == RunStatus::Trap && trap == TrapKind::StackExhausted)
        pass();
      else
        fail("expected exhaustion, got {} {}", wasm::run_status_name(status), trap_text);
      return;
    default: return;  // a plain action: results ignored
  }
}

Execution* ScriptRunner::begin_command() {
  const wat::Command& c = script_.commands[next_++];
  switch (c.kind) {
    case wat::CommandKind::Module:
    case wat::CommandKind::ModuleDefinition: {
      Compiled m = compile(c.module);
      if (m.module == nullptr) {
        if (m.unsupported == nullptr) {
          line_prefix(c);
          if (!m.read)
            support::format(out_, "module does not read: {} at {}:{}\n",
                            wat::error_name(c.module.error.code), c.module.error.location.line,
                            c.module.error.location.column);
          else
            support::format(out_, "module failed to load: {} at offset {}: {}\n",
                            wasm::error_kind_name(m.error.kind), m.error.offset, m.error.message);
        }
        if (c.kind == wat::CommandKind::Module) {
          set_current(c, nullptr, m.unsupported, true);
        } else if (definitions_.try_push({c.module.name, nullptr, m.unsupported}).is_error()) {
          fail(c, "{}", kNoMemory);
        }
        return nullptr;
      }
      if (c.kind == wat::CommandKind::ModuleDefinition) {
        if (definitions_.try_push({c.module.name, m.module, nullptr}).is_error())
          fail(c, "{}", kNoMemory);
        return nullptr;
      }
      return instantiate(c, m.module);
    }
    case wat::CommandKind::ModuleInstance: {
      for (usize i = definitions_.size(); i-- > 0;) {
        Definition& d = definitions_[i];
        if (!c.definition.empty() && d.name != c.definition) continue;
        if (d.module == nullptr) {
          set_current(c, nullptr, d.unsupported, true);
          return nullptr;
        }
        return instantiate(c, d.module);
      }
      line_prefix(c);
      support::format(out_, "no module definition {}\n", c.definition);
      set_current(c, nullptr, nullptr, true);
      return nullptr;
    }
    case wat::CommandKind::Register: {
      Instance* instance = current_;
      const char* unsupported = current_unsupported_;
      if (!c.register_module.empty()) {
        instance = nullptr;
        unsupported = nullptr;
        for (usize i = named_.size(); i-- > 0;) {
          if (named_[i].name != c.register_module) continue;
          instance = named_[i].instance;
          unsupported = named_[i].unsupported;
          break;
        }
      }
      Registered r{{}, instance, unsupported};
      if (r.name.try_resize(c.register_name.size()).is_error() ||
          (__builtin_memcpy(r.name.data(), c.register_name.data(), c.register_name.size()),
           registered_.try_push(support::move(r)).is_error())) {
        line_prefix(c);
        support::format(out_, "{}\n", kNoMemory);
      }
      return nullptr;
    }
    case wat::CommandKind::Action:
    case wat::CommandKind::AssertReturn:
    case wat::CommandKind::AssertTrap:
    case wat::CommandKind::AssertExhaustion:
    case wat::CommandKind::AssertException: return command_action(c);
    case wat::CommandKind::AssertMalformed:
    case wat::CommandKind::AssertInvalid: command_definition_check(c); return nullptr;
    case wat::CommandKind::AssertUnlinkable:
    case wat::CommandKind::AssertModuleTrap: {
      Compiled m = compile(c.module);
      if (m.module == nullptr) {
        if (m.unsupported != nullptr) {
          skip(c, m.unsupported);
          // A module that traps while instantiating leaves its earlier writes behind.
          if (c.kind == wat::CommandKind::AssertModuleTrap) taint_registered(m.unsupported);
        } else if (!m.read)
          fail(c, "module does not read: {}", wat::error_name(c.module.error.code));
        else
          fail(c, "module failed to compile: {}", m.error.message);
        return nullptr;
      }
      return instantiate(c, m.module);
    }
  }
  return nullptr;
}

// assert_malformed and assert_invalid: text that does not read is malformed (no engine
// involved); otherwise the decoder and validator decide.
void ScriptRunner::command_definition_check(const wat::Command& c) {
  const bool want_malformed = c.kind == wat::CommandKind::AssertMalformed;
  if (!c.module.ok) {
    if (want_malformed) {
      pass();
      return;
    }
    const char* f = text_feature(c.module, source_, config_.features);
    if (f != nullptr)
      skip(c, f);
    else
      fail(c, "the text reader rejected it: {} at {}:{}", wat::error_name(c.module.error.code),
           c.module.error.location.line, c.module.error.location.column);
    return;
  }
  Span<const u8> bytes(c.module.bytes.data(), c.module.bytes.size());
  auto r = Module::compile(bytes, config_.features);
  if (r.is_ok()) {
    delete r.value();
    if (const char* f = unsupported_feature(bytes, nullptr, config_.features))
      skip(c, f);
    else
      fail(c, "module was accepted, expected \"{}\"", bytes_view(c.message));
    return;
  }
  CompileError e = r.error();
  if (e.kind == ErrorKind::NoMemory) {
    fail(c, "{}", kNoMemory);
    return;
  }
  const bool got_malformed = e.kind == ErrorKind::Malformed || e.kind == ErrorKind::Limit;
  if (want_malformed == got_malformed && e.kind != ErrorKind::Unsupported) {
    pass();
    return;
  }
  if (const char* f = unsupported_feature(bytes, &e, config_.features)) {
    skip(c, f);
    return;
  }
  fail(c, "rejected as {} ({} at offset {}), expected \"{}\"", wasm::error_kind_name(e.kind),
       e.message, e.offset, bytes_view(c.message));
}

void ScriptRunner::end_command() {
  RunStatus status = execution_->status();
  if (waiting_ == Waiting::ModuleStart)
    finish_start(status);
  else if (waiting_ == Waiting::Action)
    finish_action(status);
  waiting_ = Waiting::None;
  delete execution_;
  execution_ = nullptr;
  command_ = nullptr;
}

void ScriptRunner::complete_pending(Execution& execution) {
  ++counts_.pending_completed;
  execution.complete_host_call(wasm::HostStatus::Ok);
}

void ScriptRunner::finish(Counts& total) {
  support::format(out_, "{:<28} {} passed, {} failed, {} skipped", file_, counts_.passed,
                  counts_.failed - counts_.not_run, counts_.skipped);
  for (u32 i = 0; i < counts_.reason_count; ++i)
    support::format(out_, "{}{}{}: {}", i == 0 ? " (" : ", ",
                    reason_prefix(counts_.reasons[i].text), counts_.reasons[i].text,
                    counts_.reasons[i].count);
  support::format(out_, "{}, {} not run\n", counts_.reason_count != 0 ? ")" : "", counts_.not_run);
  total.add(counts_);
  release();
}

void print_total(support::FormatSink& out, u64 files, const Counts& total) {
  support::format(
      out, "{} files, {} assertions: {} passed, {} failed ({} of them not run), {} skipped\n",
      files, total.assertions(), total.passed, total.failed, total.not_run, total.skipped);
  for (u32 i = 0; i < total.reason_count; ++i)
    support::format(out, "skipped {}: {}{}\n", total.reasons[i].count,
                    reason_prefix(total.reasons[i].text), total.reasons[i].text);
}

u64 count_assertions(StringView text) {
  u64 n = 0;
  usize line_start = 0;
  bool in_comment = false;
  for (usize i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '\n') {
      line_start = i + 1;
      in_comment = false;
      continue;
    }
    if (ch == ';' && i + 1 < text.size() && text[i + 1] == ';') in_comment = true;
    if (!in_comment && ch == '(' && text.substr(i + 1).starts_with("assert_")) ++n;
  }
  (void)line_start;
  return n;
}

}  // namespace spec

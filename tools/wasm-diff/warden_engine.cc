// This engine's side of the comparison (lib/wasm, in process).
#include <cstdio>

#include <wasm/host.h>
#include <wasm/runtime.h>

#include "engines.h"
#include "pool_memory.h"
#include "random.h"

namespace wasm_diff {

using namespace wasm;

struct WardenModule::Impl {
  Module* module = nullptr;
  ~Impl() { delete module; }
};

namespace {

struct Recorder {
  Outcome* outcome;
  uint32_t import;
  const Instance* const* instance;  // set once instantiated
};

Val to_val(const Instance* inst, ValType t, u64 bits, u64 hi = 0);

HostStatus record_host_call(void* env, HostCall& call) {
  Recorder* r = static_cast<Recorder*>(env);
  Outcome& o = *r->outcome;
  ++o.host_call_count;
  if (o.host_calls.size() < Outcome::kMaxHostCalls) {
    HostCallRecord rec;
    rec.import = r->import;
    Span<const ValType> params = call.func->type->params();
    for (u32 i = 0, slot = 0; i < params.size(); slot += slot_count(params[i++])) {
      u64 hi = params[i] == ValType::V128 ? call.args[slot + 1] : 0;
      rec.args.push_back(to_val(*r->instance, params[i], call.args[slot], hi));
    }
    o.host_calls.push_back(std::move(rec));
  }
  for (u64& r : call.results) r = 0;
  return HostStatus::Ok;
}

// The harness's view of a value of this engine (`hi`: a v128's bytes 8..15).
Val to_val(const Instance* inst, ValType t, u64 bits, u64 hi) {
  switch (t) {
    case ValType::I32:
    case ValType::F32: return {t, bits & 0xffffffffu};
    case ValType::FuncRef: {
      if (bits == 0) return {t, 0};
      if (inst == nullptr) return {t, kForeignFunc};
      for (u32 i = 0; i < inst->funcs.size(); ++i)
        if (reinterpret_cast<u64>(inst->funcs[i]) == bits) return {t, u64{i} + 1};
      return {t, kForeignFunc};
    }
    case ValType::V128: return {t, bits, hi};
    default: return {t, bits};
  }
}

u64 from_val(const Instance* inst, const Val& v) {
  if (v.type == ValType::FuncRef) {
    if (v.bits == 0 || v.bits - 1 >= inst->funcs.size()) return 0;
    return reinterpret_cast<u64>(inst->funcs[static_cast<u32>(v.bits - 1)]);
  }
  return v.bits;
}

// Runs the execution to its end within `limits.fuel` units, at once or in slices (resumed after
// every OutOfFuel until the budget is spent), as limits.slices says.
CallEnd run_to_end(Execution& ex, const Instance* inst, const FuncType& type,
                   const RunLimits& limits, Rng& slices) {
  CallEnd end;
  i64 left = limits.fuel;
  RunStatus s;
  for (;;) {
    i64 give = left;
    if (limits.slices == Slices::One) give = 1;
    if (limits.slices == Slices::Random) give = 1 + slices.below(64);
    if (give > left) give = left;
    s = ex.run(give);
    if (s != RunStatus::OutOfFuel) break;
    left -= give - ex.fuel_left();
    if (left <= 0) break;
  }
  switch (s) {
    case RunStatus::Done:
      // Results are in slots (a v128 takes two: its low, then its high half).
      for (u32 i = 0, slot = 0; i < type.result_count; slot += slot_count(type.results()[i++])) {
        ValType t = type.results()[i];
        u64 hi = t == ValType::V128 ? ex.results()[slot + 1] : 0;
        end.results.push_back(to_val(inst, t, ex.results()[slot], hi));
      }
      break;
    case RunStatus::Trap:
      end.stop = ex.trap() == TrapKind::StackExhausted ? Stop::Exhausted : Stop::Trap;
      end.trap = ex.trap();
      end.message = trap_message(ex.trap());
      if (u32 func, offset; ex.trap_location(&func, &offset)) {
        char where[64];
        snprintf(where, sizeof where, " in function %u at 0x%x", func, offset);
        end.message += where;
      }
      break;
    case RunStatus::OutOfFuel: end.stop = Stop::OutOfFuel; break;
    default:
      end.stop = Stop::Trap;
      end.trap = TrapKind::HostTrap;
      end.message = run_status_name(s);
      break;
  }
  return end;
}

}  // namespace

WardenModule::WardenModule(const Bytes& bytes) : impl_(new Impl) {
  auto compiled = Module::compile(Span<const u8>(bytes.data(), bytes.size()));
  if (compiled.is_error()) {
    CompileError e = compiled.error();
    switch (e.kind) {
      case ErrorKind::Malformed:
      case ErrorKind::Invalid: load_ = Load::Rejected; break;
      case ErrorKind::Unsupported: load_ = Load::Unsupported; break;
      default: load_ = Load::Limit; break;
    }
    message_ = std::string(error_kind_name(e.kind)) + ": " + e.message;
    return;
  }
  impl_->module = compiled.value();
}

WardenModule::~WardenModule() = default;

std::vector<ExportedFunc> WardenModule::exported_funcs() const {
  std::vector<ExportedFunc> out;
  const Module* m = impl_->module;
  if (m == nullptr) return out;
  for (const Export& e : m->exports) {
    if (e.kind != ExternKind::Func) continue;
    ExportedFunc f;
    f.name.assign(m->name_of(e.name).data(), e.name.size);
    for (ValType t : m->func_type(e.index).params()) f.params.push_back(t);
    for (ValType t : m->func_type(e.index).types) f.v128 = f.v128 || t == ValType::V128;
    out.push_back(std::move(f));
  }
  return out;
}

uint32_t WardenModule::function_count() const {
  return impl_->module ? impl_->module->func_types.size() : 0;
}

Outcome WardenModule::run(const std::vector<Call>& calls, const RunLimits& limits) const {
  Outcome o;
  const Module& m = *impl_->module;
  static PoolMemoryProvider provider(limits.max_memory_pages * 65536);
  StoreConfig config;
  config.max_memory_pages = limits.max_memory_pages;
  config.max_call_depth = limits.max_call_depth;
  config.max_stack_slots = limits.max_stack_slots;
  config.initial_stack_slots = 1024;
  Store store(provider, config);
  std::vector<Recorder> recorders(m.imports.size());
  const Instance* instance_for_host = nullptr;
  std::vector<Extern> imports;
  for (u32 i = 0; i < m.imports.size(); ++i) {
    const Import& im = m.imports[i];
    recorders[i] = {&o, i, &instance_for_host};
    bool ok = false;
    switch (im.kind) {
      case ExternKind::Func: {
        auto f = store.create_host_function(m.types[im.func_type], record_host_call, &recorders[i]);
        if ((ok = f.is_ok())) imports.push_back(Extern::func(f.value()));
        break;
      }
      case ExternKind::Table: {
        TableType t = im.table;
        cap_maximum(t.limits, limits.max_table_size);
        auto r = store.create_table(t, 0);
        if ((ok = r.is_ok())) imports.push_back(Extern::table(r.value()));
        break;
      }
      case ExternKind::Memory: {
        MemoryType t = im.memory;
        cap_maximum(t.limits, limits.max_memory_pages);
        auto r = store.create_memory(t);
        if ((ok = r.is_ok())) imports.push_back(Extern::memory(r.value()));
        break;
      }
      case ExternKind::Global: {
        auto r = store.create_global(im.global, 0);
        if ((ok = r.is_ok())) imports.push_back(Extern::global(r.value()));
        break;
      }
    }
    if (!ok) {
      o.load = Load::Limit;
      o.message = "cannot create an import";
      return o;
    }
  }
  auto inst = store.instantiate(m, Span<const Extern>(imports.data(), imports.size()));
  if (inst.is_error()) {
    InstantiateError e = inst.error();
    if (e.kind == InstantiateError::Kind::Trap) {
      o.start.stop = Stop::Trap;
      o.start.trap = e.trap;
      o.start.message = e.message;
    } else {
      o.load = e.kind == InstantiateError::Kind::NoMemory ? Load::Limit : Load::Unlinkable;
      o.message = e.message;
    }
    return o;
  }
  Instance* instance = inst.value();
  instance_for_host = instance;
  Rng slices(limits.slice_seed);
  if (FuncInst* start = store.start_function(instance)) {
    Execution ex(store);
    if (ex.start(start, {}).is_error()) {
      o.load = Load::Limit;
      o.message = "cannot start";
      return o;
    }
    o.start = run_to_end(ex, instance, *start->type, limits, slices);
    if (o.start.stop != Stop::Done) return o;
  }
  for (const Call& c : calls) {
    Extern e = instance->find_export(support::StringView(c.name.data(), c.name.size()));
    FuncInst* f = static_cast<FuncInst*>(e.ptr);
    std::vector<u64> args;
    for (const Val& v : c.args) {
      args.push_back(from_val(instance, v));
      if (v.type == ValType::V128) args.push_back(v.hi);  // its second slot
    }
    Execution ex(store);
    if (f == nullptr || ex.start(f, Span<const u64>(args.data(), args.size())).is_error()) {
      o.load = Load::Limit;
      o.message = "cannot call " + c.name;
      return o;
    }
    o.calls.push_back(run_to_end(ex, instance, *f->type, limits, slices));
    if (o.calls.back().stop == Stop::OutOfFuel || o.calls.back().stop == Stop::Exhausted) return o;
  }
  for (const Global* g : instance->globals)
    o.globals.push_back(to_val(instance, g->type.type, g->value, g->hi));
  for (const Table* t : instance->tables) {
    std::vector<Val> elems;
    for (u64 e : t->elems) elems.push_back(to_val(instance, t->type.elem, e));
    o.tables.push_back(std::move(elems));
  }
  for (const Memory* mem : instance->memories)
    o.memories.emplace_back(mem->base, mem->base + mem->size);
  return o;
}

}  // namespace wasm_diff

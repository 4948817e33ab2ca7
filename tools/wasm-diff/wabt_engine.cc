// wabt's interpreter (Debian's libwabt.a), in process: the reference side of the comparison.
#include <cstring>

#include <wabt/binary-reader.h>
#include <wabt/error.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include "engines.h"

namespace wasm_diff {

namespace wi = wabt::interp;

struct WabtModule::Impl {
  wi::ModuleDesc desc;
};

namespace {

ValType val_type(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return ValType::I32;
    case wabt::Type::I64: return ValType::I64;
    case wabt::Type::F32: return ValType::F32;
    case wabt::Type::F64: return ValType::F64;
    case wabt::Type::FuncRef: return ValType::FuncRef;
    case wabt::Type::ExternRef: return ValType::ExternRef;
    default: return ValType::V128;
  }
}

// One run: the store, the host values and the instance's functions, to translate references.
struct Run {
  wi::Store store{wabt::Features()};
  std::vector<wi::Foreign::Ptr> host_refs;  // id k is host_refs[k - 1]
  wi::Instance::Ptr instance;
  Outcome* outcome = nullptr;

  Val to_val(wabt::Type type, const wi::Value& v) {
    ValType t = val_type(type);
    switch (t) {
      case ValType::I32:
      case ValType::F32: return {t, v.Get<wi::u32>()};
      case ValType::I64:
      case ValType::F64: return {t, v.Get<wi::u64>()};
      case ValType::FuncRef:
      case ValType::ExternRef: return ref_val(t, v.Get<wi::Ref>());
      default: {
        ::v128 x = v.Get<::v128>();
        return {t, x.u64(0), x.u64(1)};
      }
    }
  }

  Val ref_val(ValType t, wi::Ref r) {
    if (r == wi::Ref::Null) return {t, 0};
    if (t == ValType::ExternRef) {
      for (size_t i = 0; i < host_refs.size(); ++i)
        if (host_refs[i].ref() == r) return {t, i + 1};
      return {t, kForeignFunc};
    }
    if (instance) {
      const wi::RefVec& funcs = instance->funcs();
      for (size_t i = 0; i < funcs.size(); ++i)
        if (funcs[i] == r) return {t, i + 1};
    }
    return {t, kForeignFunc};
  }

  wi::Value from_val(const Val& v) {
    switch (v.type) {
      case ValType::I32:
      case ValType::F32: return wi::Value::Make(static_cast<wi::u32>(v.bits));
      case ValType::I64:
      case ValType::F64: return wi::Value::Make(static_cast<wi::u64>(v.bits));
      case ValType::FuncRef:
        if (v.bits == 0 || v.bits - 1 >= instance->funcs().size())
          return wi::Value::Make(wi::Ref::Null);
        return wi::Value::Make(instance->funcs()[v.bits - 1]);
      case ValType::ExternRef:
        if (v.bits == 0 || v.bits > host_refs.size()) return wi::Value::Make(wi::Ref::Null);
        return wi::Value::Make(host_refs[v.bits - 1].ref());
      default: {
        ::v128 x;
        x.set_u64(0, v.bits);
        x.set_u64(1, v.hi);
        return wi::Value::Make(x);
      }
    }
  }

  CallEnd end_of(wabt::Result r, const wi::Trap::Ptr& trap) {
    CallEnd e;
    // A trap inside the callee can come back with Result::Ok: the trap decides.
    if (wabt::Succeeded(r) && !trap) return e;
    e.message = trap ? trap->message() : std::string("call failed");
    e.trap = trap_kind_of(e.message);
    e.stop = e.trap == TrapKind::StackExhausted ? Stop::Exhausted : Stop::Trap;
    return e;
  }
};

wabt::Features features() {
  wabt::Features f;  // wabt 1.0.32's defaults are WebAssembly 2.0 (with SIMD)
  f.enable_tail_call();
  f.enable_extended_const();
  f.enable_relaxed_simd();  // the sequence generator's relaxed SIMD (seq_gen.cc)
  return f;
}

}  // namespace

WabtModule::WabtModule(const Bytes& bytes) : impl_(new Impl) {
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(features(), nullptr, false, true, false);
  wabt::Result r =
      wi::ReadBinaryInterp("module", bytes.data(), bytes.size(), options, &errors, &impl_->desc);
  if (wabt::Failed(r)) {
    load_ = Load::Rejected;
    message_ = errors.empty() ? "rejected" : errors.front().message;
  }
}

WabtModule::~WabtModule() = default;

Outcome WabtModule::run(const std::vector<Call>& calls, const RunLimits& limits) const {
  Outcome o;
  Run run;
  run.outcome = &o;
  for (uint64_t k = 1; k <= kHostRefs; ++k)
    run.host_refs.push_back(wi::Foreign::New(run.store, reinterpret_cast<void*>(k)));
  wi::Module::Ptr module = wi::Module::New(run.store, impl_->desc);
  wi::RefVec imports;
  std::vector<wi::Extern::Ptr> keep;
  uint32_t index = 0;
  for (const wi::ImportDesc& im : module->desc().imports) {
    const wi::ExternType* type = im.type.type.get();
    wi::Extern::Ptr ext;
    switch (type->kind) {
      case wabt::ExternalKind::Func: {
        auto* ft = wabt::cast<wi::FuncType>(type);
        uint32_t import = index;
        ext = wi::HostFunc::New(
            run.store, *ft,
            [&run, ft, import](wi::Thread&, const wi::Values& params, wi::Values& results,
                               wi::Trap::Ptr*) -> wabt::Result {
              Outcome& out = *run.outcome;
              ++out.host_call_count;
              if (out.host_calls.size() < Outcome::kMaxHostCalls) {
                HostCallRecord rec;
                rec.import = import;
                for (size_t i = 0; i < params.size(); ++i)
                  rec.args.push_back(run.to_val(ft->params[i], params[i]));
                out.host_calls.push_back(std::move(rec));
              }
              results.resize(ft->results.size());  // empty when the embedder calls it
              for (size_t i = 0; i < ft->results.size(); ++i) {
                if (wi::IsReference(ft->results[i]))
                  results[i] = wi::Value::Make(wi::Ref::Null);
                else
                  results[i] = wi::Value::Make(::v128(0, 0, 0, 0));  // zero, any width
              }
              return wabt::Result::Ok;
            });
        break;
      }
      case wabt::ExternalKind::Table: {
        wi::TableType t = *wabt::cast<wi::TableType>(type);
        cap_maximum(t.limits, limits.max_table_size);
        ext = wi::Table::New(run.store, t);
        break;
      }
      case wabt::ExternalKind::Memory: {
        wi::MemoryType t = *wabt::cast<wi::MemoryType>(type);
        cap_maximum(t.limits, limits.max_memory_pages);
        ext = wi::Memory::New(run.store, t);
        break;
      }
      case wabt::ExternalKind::Global: {
        auto* gt = wabt::cast<wi::GlobalType>(type);
        wi::Value zero = wi::IsReference(gt->type) ? wi::Value::Make(wi::Ref::Null)
                                                   : wi::Value::Make(::v128(0, 0, 0, 0));
        ext = wi::Global::New(run.store, *gt, zero);
        break;
      }
      default:
        o.load = Load::Unlinkable;
        o.message = "import kind";
        return o;
    }
    imports.push_back(ext.ref());
    keep.push_back(ext);
    ++index;
  }
  wi::Trap::Ptr trap;
  run.instance = wi::Instance::Instantiate(run.store, module.ref(), imports, &trap);
  if (!run.instance) {
    if (!trap) {
      o.load = Load::Unlinkable;
      o.message = "instantiation failed";
      return o;
    }
    o.start = run.end_of(wabt::Result::Error, trap);
    return o;
  }
  wi::Instance& inst = *run.instance;
  const std::vector<wi::ExportType>& export_types = module->export_types();
  for (const Call& c : calls) {
    wi::Func::Ptr func;
    for (size_t i = 0; i < export_types.size(); ++i) {
      if (export_types[i].name == c.name) {
        func = run.store.UnsafeGet<wi::Func>(inst.exports()[i]);
        break;
      }
    }
    if (!func) {
      o.load = Load::Unlinkable;
      o.message = "no export " + c.name;
      return o;
    }
    wi::Values params, results;
    for (const Val& v : c.args) params.push_back(run.from_val(v));
    wi::Trap::Ptr call_trap;
    wi::Thread thread(run.store);
    wabt::Result r = func->Call(thread, params, results, &call_trap);
    CallEnd end = run.end_of(r, call_trap);
    if (end.stop == Stop::Done) {
      const wi::FuncType& ft = func->type();
      for (size_t i = 0; i < ft.results.size(); ++i)
        end.results.push_back(run.to_val(ft.results[i], results[i]));
    }
    o.calls.push_back(std::move(end));
    if (o.calls.back().stop == Stop::Exhausted) return o;
  }
  for (wi::Ref g : inst.globals()) {
    wi::Global::Ptr global = run.store.UnsafeGet<wi::Global>(g);
    o.globals.push_back(run.to_val(global->type().type, global->Get()));
  }
  for (wi::Ref t : inst.tables()) {
    wi::Table::Ptr table = run.store.UnsafeGet<wi::Table>(t);
    std::vector<Val> elems;
    for (wi::Ref e : table->elements())
      elems.push_back(run.ref_val(val_type(table->type().element), e));
    o.tables.push_back(std::move(elems));
  }
  for (wi::Ref m : inst.memories()) {
    wi::Memory::Ptr memory = run.store.UnsafeGet<wi::Memory>(m);
    const uint8_t* data = memory->UnsafeData();
    o.memories.emplace_back(data, data + memory->ByteSize());
  }
  return o;
}

}  // namespace wasm_diff

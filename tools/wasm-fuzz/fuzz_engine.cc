// libFuzzer target: decode + validate + instantiate (imports satisfied with stubs) + run every
// exported function with zero arguments under a fuel budget. Counts are printed at exit.
// Built by `./x fuzz` with clang-19 -fsanitize=fuzzer,address,undefined.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <wasm/host.h>
#include <wasm/runtime.h>

using namespace wasm;

namespace {

struct Stats {
  unsigned long inputs = 0, validated = 0, instantiated = 0, executed = 0;
  ~Stats() {
    fprintf(stderr, "wasm-fuzz: %lu inputs tried, %lu validated, %lu instantiated, %lu executed\n",
            inputs, validated, instantiated, executed);
  }
};
Stats stats;

HostStatus stub(void*, HostCall&) { return HostStatus::Ok; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ++stats.inputs;
  auto compiled = Module::compile(Span<const u8>(data, size));
  if (compiled.is_error()) return 0;
  ++stats.validated;
  Module* m = compiled.value();
  {
    MmapMemoryProvider provider;
    StoreConfig config;
    config.max_memory_pages = 256;
    config.max_call_depth = 500;
    config.max_stack_slots = 1 << 16;
    Store store(provider, config);
    std::vector<Extern> imports;
    bool ok = true;
    for (const Import& im : m->imports) {
      switch (im.kind) {
        case ExternKind::Func: {
          auto f = store.create_host_function(m->types[im.func_type], stub, nullptr);
          ok = ok && f.is_ok();
          if (f.is_ok()) imports.push_back(Extern::func(f.value()));
          break;
        }
        case ExternKind::Table: {
          auto t = store.create_table(im.table, 0);
          ok = ok && t.is_ok();
          if (t.is_ok()) imports.push_back(Extern::table(t.value()));
          break;
        }
        case ExternKind::Memory: {
          auto mem = store.create_memory(im.memory);
          ok = ok && mem.is_ok();
          if (mem.is_ok()) imports.push_back(Extern::memory(mem.value()));
          break;
        }
        case ExternKind::Global: {
          auto g = store.create_global(im.global, 0);
          ok = ok && g.is_ok();
          if (g.is_ok()) imports.push_back(Extern::global(g.value()));
          break;
        }
      }
    }
    if (ok) {
      auto inst = store.instantiate(*m, Span<const Extern>(imports.data(), imports.size()));
      if (inst.is_ok()) {
        ++stats.instantiated;
        Instance* instance = inst.value();
        std::vector<FuncInst*> funcs;
        if (FuncInst* s = store.start_function(instance)) funcs.push_back(s);
        for (const Export& e : m->exports)
          if (e.kind == ExternKind::Func) funcs.push_back(instance->funcs[e.index]);
        for (FuncInst* f : funcs) {
          std::vector<u64> args(slot_count(f->type->params()), 0);  // a v128 takes two
          Execution ex(store);
          if (ex.start(f, Span<const u64>(args.data(), args.size())).is_error()) continue;
          RunStatus s = ex.run(2000);
          if (s == RunStatus::OutOfFuel) s = ex.run(2000);  // a resume, too
          ++stats.executed;
        }
      }
    }
  }
  delete m;
  return 0;
}

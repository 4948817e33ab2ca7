// wasm-run: instantiate a module and call one export.
//   wasm-run FILE.wasm [--invoke NAME [ARGS...]] [--fuel N]
//   wasm-run FILE.wasm --run-all-exports   (wabt wasm-interp's notation, for differential tests)
// ARGS are numbers (floats may be written as decimals; i32:BITS style is also accepted).
// Results are printed one per line in the specification's notation, e.g. (i32.const 42).
// Exit statuses (docs/engine.md): 0 ok, 1 usage, 2 cannot read file, 3 malformed, 4 invalid,
// 5 unsupported (SIMD), 6 unlinkable, 7 trap, 8 out of fuel, 9 export not found or bad arguments,
// 10 implementation limit or out of memory.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <wasm/host.h>
#include <wasm/runtime.h>

using namespace wasm;

namespace {

enum Exit {
  kOk = 0,
  kUsage = 1,
  kNoFile = 2,
  kMalformed = 3,
  kInvalid = 4,
  kUnsupported = 5,
  kUnlinkable = 6,
  kTrap = 7,
  kOutOfFuel = 8,
  kBadExport = 9,
  kLimit = 10,
};

bool parse_arg(const std::string& text, ValType type, u64& out) {
  std::string s = text;
  size_t colon = s.find(':');
  if (colon != std::string::npos) s = s.substr(colon + 1);
  char* end = nullptr;
  switch (type) {
    case ValType::I32: out = static_cast<u32>(std::strtoll(s.c_str(), &end, 0)); break;
    case ValType::I64:
      out = s[0] == '-' ? static_cast<u64>(std::strtoll(s.c_str(), &end, 0))
                        : std::strtoull(s.c_str(), &end, 0);
      break;
    case ValType::F32: {
      float f = std::strtof(s.c_str(), &end);
      u32 b;
      memcpy(&b, &f, 4);
      out = b;
      break;
    }
    case ValType::F64: {
      double d = std::strtod(s.c_str(), &end);
      memcpy(&out, &d, 8);
      break;
    }
    default:
      if (s == "null") {
        out = 0;
        return true;
      }
      return false;
  }
  return end != nullptr && *end == '\0' && !s.empty();
}

void print_value(ValType t, u64 bits) {
  switch (t) {
    case ValType::I32: printf("(i32.const %" PRId32 ")\n", static_cast<i32>(bits)); break;
    case ValType::I64: printf("(i64.const %" PRId64 ")\n", static_cast<i64>(bits)); break;
    case ValType::F32: {
      float f;
      u32 b = static_cast<u32>(bits);
      memcpy(&f, &b, 4);
      printf("(f32.const %.9g)\n", f);
      break;
    }
    case ValType::F64: {
      double d;
      memcpy(&d, &bits, 8);
      printf("(f64.const %.17g)\n", d);
      break;
    }
    case ValType::FuncRef: printf(bits ? "(ref.func)\n" : "(ref.null func)\n"); break;
    case ValType::ExternRef:
      printf(bits ? "(ref.extern %" PRIu64 ")\n" : "(ref.null extern)\n", bits - 1);
      break;
    default: printf("(?)\n"); break;
  }
}

// wabt's `wasm-interp --run-all-exports` notation, for differential testing.
std::string interp_value(ValType t, u64 bits) {
  char buf[400];
  switch (t) {
    case ValType::I32: snprintf(buf, sizeof buf, "i32:%u", static_cast<u32>(bits)); break;
    case ValType::I64: snprintf(buf, sizeof buf, "i64:%" PRIu64, bits); break;
    case ValType::F32: {
      float f;
      u32 b = static_cast<u32>(bits);
      memcpy(&f, &b, 4);
      snprintf(buf, sizeof buf, "f32:%f", f);
      break;
    }
    case ValType::F64: {
      double d;
      memcpy(&d, &bits, 8);
      snprintf(buf, sizeof buf, "f64:%f", d);
      break;
    }
    default: snprintf(buf, sizeof buf, "ref:%s", bits ? "nonnull" : "null"); break;
  }
  return buf;
}

int run_all_exports(Store& store, Instance* instance) {
  const Module* m = instance->module;
  for (const Export& e : m->exports) {
    if (e.kind != ExternKind::Func) continue;
    FuncInst* f = instance->funcs[e.index];
    if (f->type->param_count != 0) continue;  // as wasm-interp does
    std::string name(m->name_of(e.name).data(), e.name.size);
    std::vector<u64> args(f->type->param_count, 0);
    Execution ex(store);
    if (ex.start(f, Span<const u64>(args.data(), args.size())).is_error()) return kLimit;
    RunStatus s;
    do s = ex.run(1000000000);
    while (s == RunStatus::OutOfFuel);
    std::string line = name + "(";
    for (u32 i = 0; i < args.size(); ++i)
      line += (i ? ", " : "") + interp_value(f->type->params()[i], 0);
    line += ") =>";
    if (s == RunStatus::Done) {
      for (u32 i = 0; i < f->type->result_count; ++i)
        line += (i ? ", " : " ") + interp_value(f->type->results()[i], ex.results()[i]);
    } else {
      line += std::string(" error: ") +
              (s == RunStatus::Trap ? trap_message(ex.trap()) : run_status_name(s));
    }
    printf("%s\n", line.c_str());
  }
  return kOk;
}

int run_to_end(Execution& ex, i64 fuel, bool limited) {
  RunStatus s;
  if (limited) {
    s = ex.run(fuel);
  } else {
    do s = ex.run(1000000000);
    while (s == RunStatus::OutOfFuel);
  }
  if (s == RunStatus::Done) return kOk;
  if (s == RunStatus::OutOfFuel) {
    fprintf(stderr, "wasm-run: out of fuel after %" PRId64 " units\n", fuel);
    return kOutOfFuel;
  }
  if (s == RunStatus::Trap) {
    u32 fi = 0, off = 0;
    std::string where;
    if (ex.trap_location(&fi, &off)) {
      const Module* m = ex.instance_->module;
      std::string name;
      if (fi >= m->imported_funcs) {
        Name n = m->functions[fi - m->imported_funcs].name;
        if (n.size) name = std::string(m->name_of(n).data(), n.size);
      }
      for (const Export& e : m->exports)
        if (name.empty() && e.kind == ExternKind::Func && e.index == fi)
          name = std::string(m->name_of(e.name).data(), m->name_of(e.name).size());
      char buf[160];
      snprintf(buf, sizeof buf, " in function %u%s%s%s at offset 0x%x", fi,
               name.empty() ? "" : " (", name.c_str(), name.empty() ? "" : ")", off);
      where = buf;
    }
    fprintf(stderr, "wasm-run: trap: %s%s\n", trap_message(ex.trap()), where.c_str());
    return kTrap;
  }
  fprintf(stderr, "wasm-run: stopped: %s\n", run_status_name(s));
  return kTrap;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file, invoke;
  std::vector<std::string> args;
  i64 fuel = 0;
  bool limited = false, all_exports = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--run-all-exports") {
      all_exports = true;
    } else if (a == "--invoke" && i + 1 < argc) {
      invoke = argv[++i];
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
        args.push_back(argv[++i]);
    } else if (a == "--fuel" && i + 1 < argc) {
      fuel = std::strtoll(argv[++i], nullptr, 0);
      limited = true;
    } else if (a == "-h" || a == "--help") {
      printf("usage: wasm-run FILE.wasm [--invoke NAME [ARGS...]] [--fuel N]\n");
      return kOk;
    } else if (file.empty()) {
      file = a;
    } else {
      fprintf(stderr, "wasm-run: unexpected argument %s\n", a.c_str());
      return kUsage;
    }
  }
  if (file.empty()) {
    fprintf(stderr, "usage: wasm-run FILE.wasm [--invoke NAME [ARGS...]] [--fuel N]\n");
    return kUsage;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fprintf(stderr, "wasm-run: cannot read %s\n", file.c_str());
    return kNoFile;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  auto compiled =
      Module::compile(Span<const u8>(reinterpret_cast<const u8*>(bytes.data()), bytes.size()));
  if (compiled.is_error()) {
    CompileError e = compiled.error();
    fprintf(stderr, "wasm-run: %s: %s module at offset 0x%x: %s\n", file.c_str(),
            error_kind_name(e.kind), e.offset, e.message);
    switch (e.kind) {
      case ErrorKind::Malformed: return kMalformed;
      case ErrorKind::Invalid: return kInvalid;
      case ErrorKind::Unsupported: return kUnsupported;
      default: return kLimit;
    }
  }
  Module* module = compiled.value();
  MmapMemoryProvider provider;
  int status = kOk;
  {
    Store store(provider);
    if (!module->imports.empty()) {
      const Import& im = module->imports[0];
      std::string mod(module->name_of(im.module).data(), im.module.size);
      std::string name(module->name_of(im.name).data(), im.name.size);
      fprintf(stderr, "wasm-run: unlinkable: unknown import %s.%s\n", mod.c_str(), name.c_str());
      delete module;
      return kUnlinkable;
    }
    auto inst = store.instantiate(*module, {});
    if (inst.is_error()) {
      InstantiateError e = inst.error();
      fprintf(stderr, "wasm-run: %s: %s\n",
              e.kind == InstantiateError::Kind::Trap ? "trap during instantiation" : "unlinkable",
              e.message);
      delete module;
      return e.kind == InstantiateError::Kind::Trap ? kTrap : kUnlinkable;
    }
    Instance* instance = inst.value();
    std::vector<FuncInst*> first;
    if (FuncInst* start = store.start_function(instance)) first.push_back(start);
    Extern init = instance->find_export("_initialize");
    if (init.ptr != nullptr && init.kind == ExternKind::Func)
      first.push_back(static_cast<FuncInst*>(init.ptr));
    for (FuncInst* f : first) {
      Execution ex(store);
      if (ex.start(f, {}).is_error()) return kLimit;
      status = run_to_end(ex, fuel, limited);
      if (status != kOk) {
        delete module;
        return status;
      }
    }
    if (all_exports) status = run_all_exports(store, instance);
    if (!invoke.empty()) {
      Extern e = instance->find_export(support::StringView(invoke.data(), invoke.size()));
      if (e.ptr == nullptr || e.kind != ExternKind::Func) {
        fprintf(stderr, "wasm-run: no exported function %s\n", invoke.c_str());
        delete module;
        return kBadExport;
      }
      FuncInst* f = static_cast<FuncInst*>(e.ptr);
      if (args.size() != f->type->param_count) {
        fprintf(stderr, "wasm-run: %s takes %u arguments, %zu given\n", invoke.c_str(),
                f->type->param_count, args.size());
        delete module;
        return kBadExport;
      }
      std::vector<u64> values(args.size());
      for (size_t i = 0; i < args.size(); ++i) {
        if (!parse_arg(args[i], f->type->params()[i], values[i])) {
          fprintf(stderr, "wasm-run: bad %s argument %s\n", val_type_name(f->type->params()[i]),
                  args[i].c_str());
          delete module;
          return kBadExport;
        }
      }
      Execution ex(store);
      if (ex.start(f, Span<const u64>(values.data(), values.size())).is_error()) return kLimit;
      status = run_to_end(ex, fuel, limited);
      if (status == kOk)
        for (u32 i = 0; i < f->type->result_count; ++i)
          print_value(f->type->results()[i], ex.results()[i]);
    }
  }
  delete module;
  return status;
}

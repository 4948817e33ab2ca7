// wasm-run: run a WASI program, or instantiate a module and call one export.
//   wasm-run FILE.wasm|FILE.wat [--dir HOST[::GUEST]]... [--tcplisten ADDR:PORT]...
//            [--env K=V]... [--fuel N] [--max-memory BYTES] [-- ARGS...]   a WASI program
// Each --tcplisten is a TCP listener (IPv4, SO_REUSEADDR; port 0 picks a free one) handed to the
// program as a socket descriptor after the preopens; "wasm-run: listening on ADDR:PORT" on stderr.
//   wasm-run FILE [--invoke NAME [ARGS...]] [--fuel N]  one export; results printed
//   wasm-run FILE --run-all-exports   (wabt wasm-interp's notation, for differential tests)
// --invoke ARGS are numbers (floats may be written as decimals; i32:BITS style is accepted).
// Results are printed one per line in the specification's notation, e.g. (i32.const 42).
// Exit statuses (docs/engine.md, docs/wasi.md): a WASI program's own status; else 0 ok, 1 usage,
// 2 cannot read file, 3 malformed (or a text error), 4 invalid, 5 unsupported (SIMD),
// 6 unlinkable, 7 trap (--invoke), 8 out of fuel, 9 export not found or bad arguments,
// 10 implementation limit or out of memory, 134 a WASI program trapped.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <wasi/host_os.h>
#include <wasi/wasi.h>
#include <wasm/host.h>
#include <wasm/runtime.h>
#include <wat/module.h>

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
  kWasiTrap = 134,  // as an aborted process: never a WASI exit status in practice
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

// The value of type `t` in the result slots at `slots` (a v128 takes two).
void print_value(ValType t, const u64* slots) {
  u64 bits = slots[0];
  switch (t) {
    case ValType::V128:
      printf("(v128.const i32x4 0x%08x 0x%08x 0x%08x 0x%08x)\n", static_cast<u32>(bits),
             static_cast<u32>(bits >> 32), static_cast<u32>(slots[1]),
             static_cast<u32>(slots[1] >> 32));
      break;
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
std::string interp_value(ValType t, const u64* slots) {
  char buf[400];
  u64 bits = slots[0];
  switch (t) {
    case ValType::V128:
      snprintf(buf, sizeof buf, "v128 i32x4:0x%08x 0x%08x 0x%08x 0x%08x", static_cast<u32>(bits),
               static_cast<u32>(bits >> 32), static_cast<u32>(slots[1]),
               static_cast<u32>(slots[1] >> 32));
      break;
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
    const u64 zero[2] = {0, 0};
    for (u32 i = 0; i < args.size(); ++i)
      line += (i ? ", " : "") + interp_value(f->type->params()[i], zero);
    line += ") =>";
    if (s == RunStatus::Done) {
      for (u32 i = 0, slot = 0; i < f->type->result_count;
           slot += slot_count(f->type->results()[i++]))
        line += (i ? ", " : " ") + interp_value(f->type->results()[i], &ex.results()[slot]);
    } else {
      line += std::string(" error: ") +
              (s == RunStatus::Trap ? trap_message(ex.trap()) : run_status_name(s));
    }
    printf("%s\n", line.c_str());
  }
  return kOk;
}

std::string sv(support::StringView s) { return std::string(s.data(), s.size()); }

// "trap: MESSAGE" and the wasm backtrace, innermost first, one frame per line.
void print_trap(const std::string& program, Execution& ex) {
  fprintf(stderr, "wasm-run: %s: trap: %s\n", program.c_str(), trap_message(ex.trap()));
  Execution::BacktraceFrame frames[64];
  u32 n = ex.backtrace(Span<Execution::BacktraceFrame>(frames, 64));
  for (u32 i = 0; i < n; ++i) {
    const Module* m = frames[i].instance->module;
    std::string name = sv(m->function_name(frames[i].func_index));
    if (name.empty()) name = "<function " + std::to_string(frames[i].func_index) + ">";
    fprintf(stderr, "  %2u: %s (function %u, offset 0x%x)\n", i, name.c_str(), frames[i].func_index,
            frames[i].wasm_offset);
  }
  if (n == 64) fprintf(stderr, "  ... (more frames)\n");
}

struct RunOutcome {
  RunStatus status;
  int code;  // exit status for the runner
};

// Runs until the execution ends; completes pending WASI calls (the hosted Os blocks, so a retry
// normally completes at once).
RunOutcome run_to_end(const std::string& program, Execution& ex, i64 fuel, bool limited,
                      wasi::Wasi* wasi, int trap_status) {
  RunStatus s;
  i64 left = fuel;
  for (;;) {
    s = ex.run(limited ? left : 1000000000);
    if (limited) left = ex.fuel_left();
    if (s == RunStatus::OutOfFuel && (!limited || left > 0)) continue;
    if (s == RunStatus::HostPending && wasi != nullptr && wasi->pending()) {
      wasm::HostStatus hs;
      do hs = wasi->retry(ex.pending_call());
      while (hs == wasm::HostStatus::Pending);
      ex.complete_host_call(hs);
      continue;
    }
    break;
  }
  switch (s) {
    case RunStatus::Done: return {s, kOk};
    case RunStatus::Exit: return {s, static_cast<int>(ex.exit_code())};
    case RunStatus::OutOfFuel:
      fprintf(stderr, "wasm-run: out of fuel after %" PRId64 " units\n", fuel);
      return {s, kOutOfFuel};
    case RunStatus::Trap: print_trap(program, ex); return {s, trap_status};
    default:
      fprintf(stderr, "wasm-run: %s: stopped: %s\n", program.c_str(), run_status_name(s));
      return {s, trap_status};
  }
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

const char* listen_error(wasi::Errno e) {
  switch (e) {
    case wasi::Errno::Inval: return "not an IPv4 address and port (A.B.C.D:PORT)";
    case wasi::Errno::Addrinuse: return "address in use";
    case wasi::Errno::Addrnotavail: return "address not available";
    case wasi::Errno::Acces: return "permission denied";
    default: return "system error";
  }
}

constexpr const char* kUsageText =
    "usage: wasm-run FILE.wasm|FILE.wat [--dir HOST[::GUEST]]... [--tcplisten ADDR:PORT]...\n"
    "                [--env K=V]... [--fuel N] [--max-memory BYTES] [-- ARGS...]\n"
    "       wasm-run FILE [--invoke NAME [ARGS...]] [--fuel N] [--max-memory BYTES]\n"
    "       wasm-run FILE --run-all-exports\n";
}  // namespace

int main(int argc, char** argv) {
  std::string file, invoke;
  std::vector<std::string> args, program_args, envs, dirs, listens;
  i64 fuel = 0;
  u64 max_memory = 0;
  bool limited = false, all_exports = false, has_max_memory = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) program_args.push_back(argv[i]);
      break;
    } else if (a == "--run-all-exports") {
      all_exports = true;
    } else if (a == "--invoke" && i + 1 < argc) {
      invoke = argv[++i];
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
        args.push_back(argv[++i]);
    } else if (a == "--fuel" && i + 1 < argc) {
      fuel = std::strtoll(argv[++i], nullptr, 0);
      limited = true;
    } else if (a == "--max-memory" && i + 1 < argc) {
      char* end = nullptr;
      max_memory = std::strtoull(argv[++i], &end, 0);
      if (end == nullptr || *end != '\0') {
        fprintf(stderr, "wasm-run: bad --max-memory %s\n", argv[i]);
        return kUsage;
      }
      has_max_memory = true;
    } else if (a == "--dir" && i + 1 < argc) {
      dirs.push_back(argv[++i]);
    } else if (a == "--tcplisten" && i + 1 < argc) {
      listens.push_back(argv[++i]);
    } else if (a == "--env" && i + 1 < argc) {
      envs.push_back(argv[++i]);
      if (envs.back().find('=') == std::string::npos) {
        fprintf(stderr, "wasm-run: --env wants KEY=VALUE, got %s\n", envs.back().c_str());
        return kUsage;
      }
    } else if (a == "-h" || a == "--help") {
      printf("%s", kUsageText);
      return kOk;
    } else if (file.empty() && a.rfind("--", 0) != 0) {
      file = a;
    } else {
      fprintf(stderr, "wasm-run: unexpected argument %s\n", a.c_str());
      return kUsage;
    }
  }
  if (file.empty()) {
    fprintf(stderr, "%s", kUsageText);
    return kUsage;
  }
  std::string bytes;
  if (!read_file(file, bytes)) {
    fprintf(stderr, "wasm-run: cannot read %s\n", file.c_str());
    return kNoFile;
  }
  if (file.size() > 4 && file.compare(file.size() - 4, 4, ".wat") == 0) {
    auto encoded = wat::encode_module(support::StringView(bytes.data(), bytes.size()));
    if (encoded.is_error()) {
      wat::ParseError e = encoded.error();
      fprintf(stderr, "%s:%u:%u: %s\n", file.c_str(), e.location.line, e.location.column,
              wat::error_name(e.code));
      return kMalformed;
    }
    bytes.assign(reinterpret_cast<const char*>(encoded.value().data()), encoded.value().size());
  }
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
  bool imports_wasi = false;
  for (const Import& im : module->imports)
    imports_wasi |= module->name_of(im.module) == wasi::kModuleName;
  bool has_start_export = false;
  for (const Export& e : module->exports)
    has_start_export |= e.kind == ExternKind::Func && module->name_of(e.name) == "_start";
  bool wasi_program = invoke.empty() && !all_exports && (imports_wasi || has_start_export);

  StoreConfig config;
  if (has_max_memory) config.max_memory_pages = max_memory / 65536;
  MmapMemoryProvider provider;
  wasi::HostOs os;
  int status = kOk;
  {
    Store store(provider, config);
    wasi::Wasi wasi(os);
    // The program's arguments, environment, standard streams and preopens.
    bool setup = wasi.add_arg(support::StringView(file.data(), file.size())).is_ok();
    for (const std::string& a : program_args)
      setup &= wasi.add_arg(support::StringView(a.data(), a.size())).is_ok();
    for (const std::string& e : envs)
      setup &= wasi.add_env(support::StringView(e.data(), e.size())).is_ok();
    for (wasi::Handle h = 0; h < 3; ++h) setup &= wasi.add_fd(h, wasi::Ownership::Borrowed).is_ok();
    for (const std::string& d : dirs) {
      size_t sep = d.find("::");
      std::string host = sep == std::string::npos ? d : d.substr(0, sep);
      std::string guest = sep == std::string::npos ? d : d.substr(sep + 2);
      wasi::Handle h;
      if (os.open_directory(host.c_str(), &h) != wasi::Errno::Success) {
        fprintf(stderr, "wasm-run: --dir %s: cannot open %s as a directory\n", d.c_str(),
                host.c_str());
        delete module;
        return kUsage;
      }
      setup &= wasi.add_preopen(h, support::StringView(guest.data(), guest.size())).is_ok();
    }
    // Listeners after every preopen: wasi-libc's scan of preopens stops at the first descriptor
    // that is not one.
    for (const std::string& address : listens) {
      wasi::Handle h;
      u16 port = 0;
      wasi::Errno e = os.listen_tcp(address.c_str(), &h, &port);
      if (e != wasi::Errno::Success) {
        fprintf(stderr, "wasm-run: --tcplisten %s: cannot listen: %s\n", address.c_str(),
                listen_error(e));
        delete module;
        return kUsage;
      }
      setup &= wasi.add_socket(h, wasi::SocketRole::Listener).is_ok();
      fprintf(stderr, "wasm-run: listening on %s:%u\n",
              address.substr(0, address.rfind(':')).c_str(), port);
    }
    if (!setup) {
      fprintf(stderr, "wasm-run: out of memory\n");
      delete module;
      return kLimit;
    }
    std::vector<Extern> imports;
    for (const Import& im : module->imports) {
      std::string name = sv(module->name_of(im.module)) + "." + sv(module->name_of(im.name));
      if (im.kind != ExternKind::Func) {
        fprintf(stderr, "wasm-run: %s: unknown import %s\n", file.c_str(), name.c_str());
        delete module;
        return kUnlinkable;
      }
      wasi::ImportResolution r = wasi.resolve_import(
          store, module->name_of(im.module), module->name_of(im.name), module->types[im.func_type]);
      switch (r.kind) {
        case wasi::ImportResolution::Kind::Found: imports.push_back(Extern::func(r.func)); break;
        case wasi::ImportResolution::Kind::NotMine:
          fprintf(stderr, "wasm-run: %s: unknown import %s\n", file.c_str(), name.c_str());
          delete module;
          return kUnlinkable;
        default:
          fprintf(stderr, "wasm-run: %s: %s\n", file.c_str(), r.message);
          delete module;
          return r.kind == wasi::ImportResolution::Kind::NoMemory ? kLimit : kUnlinkable;
      }
    }
    auto inst = store.instantiate(*module, Span<const Extern>(imports.data(), imports.size()));
    if (inst.is_error()) {
      InstantiateError e = inst.error();
      bool limit =
          e.kind == InstantiateError::Kind::NoMemory || e.kind == InstantiateError::Kind::Limit;
      fprintf(stderr, "wasm-run: %s: %s: %s\n", file.c_str(),
              e.kind == InstantiateError::Kind::Trap ? "trap during instantiation"
              : limit                                ? "cannot instantiate"
                                                     : "unlinkable",
              e.message);
      delete module;
      if (e.kind == InstantiateError::Kind::Trap) return wasi_program ? kWasiTrap : kTrap;
      return limit ? kLimit : kUnlinkable;
    }
    Instance* instance = inst.value();
    // Without an exported memory the program still runs; its pointer arguments fail (EFAULT).
    (void)wasi.bind(instance);
    int trap_status = wasi_program ? kWasiTrap : kTrap;
    std::vector<FuncInst*> first;
    if (FuncInst* start = store.start_function(instance)) first.push_back(start);
    Extern init = instance->find_export("_initialize");
    if (!wasi_program && init.ptr != nullptr && init.kind == ExternKind::Func)
      first.push_back(static_cast<FuncInst*>(init.ptr));
    if (wasi_program) {
      Extern e = instance->find_export("_start");
      if (e.ptr == nullptr || e.kind != ExternKind::Func) {
        fprintf(stderr, "wasm-run: %s: a WASI program must export a function _start\n",
                file.c_str());
        delete module;
        return kBadExport;
      }
      first.push_back(static_cast<FuncInst*>(e.ptr));
    }
    for (FuncInst* f : first) {
      Execution ex(store);
      if (ex.start(f, {}).is_error()) {
        delete module;
        return kLimit;
      }
      RunOutcome o = run_to_end(file, ex, fuel, limited, &wasi, trap_status);
      status = o.code;
      // proc_exit ends the program with its status, wherever it is called.
      if (o.status != RunStatus::Done) {
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
      if (ex.start(f, Span<const u64>(values.data(), values.size())).is_error()) {
        delete module;
        return kLimit;
      }
      RunOutcome o = run_to_end(file, ex, fuel, limited, &wasi, kTrap);
      status = o.code;
      if (o.status == RunStatus::Done)
        for (u32 i = 0, slot = 0; i < f->type->result_count;
             slot += slot_count(f->type->results()[i++]))
          print_value(f->type->results()[i], &ex.results()[slot]);
    }
  }
  delete module;
  return status;
}

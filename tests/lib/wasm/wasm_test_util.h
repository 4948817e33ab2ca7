// Helpers for the engine's unit tests: a tiny module assembler and a runner.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <wasm/host.h>
#include <wasm/runtime.h>

namespace wasm_test {

using namespace wasm;
using Bytes = std::vector<u8>;

constexpr u8 kI32 = 0x7f, kI64 = 0x7e, kF32 = 0x7d, kF64 = 0x7c;

struct Fn {
  Bytes params;
  Bytes results;
  Bytes body;         // without the final `end`
  Bytes locals = {};  // one entry per local
  std::string export_name = "";
};

inline void leb(Bytes& out, u64 v) {
  do {
    u8 b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}
inline void sleb(Bytes& out, i64 v) {
  for (;;) {
    u8 b = v & 0x7f;
    v >>= 7;
    bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    if (!done) b |= 0x80;
    out.push_back(b);
    if (done) break;
  }
}
inline void section(Bytes& out, u8 id, const Bytes& body) {
  out.push_back(id);
  leb(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// A module with one type per function, optionally one memory of `memory_pages` pages.
inline Bytes build(const std::vector<Fn>& fns, int memory_pages = -1) {
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Bytes types, funcs, exports, code, mem;
  leb(types, fns.size());
  leb(funcs, fns.size());
  u32 nexports = 0;
  for (const Fn& f : fns) nexports += !f.export_name.empty();
  leb(exports, nexports);
  leb(code, fns.size());
  for (size_t i = 0; i < fns.size(); ++i) {
    const Fn& f = fns[i];
    types.push_back(0x60);
    leb(types, f.params.size());
    types.insert(types.end(), f.params.begin(), f.params.end());
    leb(types, f.results.size());
    types.insert(types.end(), f.results.begin(), f.results.end());
    leb(funcs, i);
    if (!f.export_name.empty()) {
      leb(exports, f.export_name.size());
      exports.insert(exports.end(), f.export_name.begin(), f.export_name.end());
      exports.push_back(0);
      leb(exports, i);
    }
    Bytes body;
    leb(body, f.locals.size());
    for (u8 t : f.locals) {
      body.push_back(1);
      body.push_back(t);
    }
    body.insert(body.end(), f.body.begin(), f.body.end());
    body.push_back(0x0b);
    leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  section(m, 1, types);
  section(m, 3, funcs);
  if (memory_pages >= 0) {
    mem = {1, 0};
    leb(mem, static_cast<u64>(memory_pages));
    section(m, 5, mem);
  }
  section(m, 7, exports);
  section(m, 10, code);
  return m;
}

inline Result<Module*, CompileError> compile(const Bytes& b) {
  return Module::compile(Span<const u8>(b.data(), b.size()));
}

// Compiles, instantiates and keeps everything alive for one test.
class Harness {
 public:
  explicit Harness(const Bytes& bytes, StoreConfig config = {}) : store_(provider_, config) {
    auto m = compile(bytes);
    if (m.is_error()) {
      error = m.error();
      return;
    }
    module_ = m.value();
    auto inst = store_.instantiate(*module_, {});
    if (inst.is_ok()) instance = inst.value();
  }
  ~Harness() {
    execution_.reset();
    delete module_;
  }
  FuncInst* func(const char* name) {
    Extern e = instance->find_export(name);
    return static_cast<FuncInst*>(e.ptr);
  }
  // Starts `name` with args; the execution stays available as `ex()`.
  Execution& start(const char* name, std::vector<u64> args = {}) {
    execution_ = std::make_unique<Execution>(store_);
    EXPECT_TRUE(execution_->start(func(name), Span<const u64>(args.data(), args.size())).is_ok());
    return *execution_;
  }
  // Runs to the end with plenty of fuel.
  RunStatus call(const char* name, std::vector<u64> args = {}) {
    Execution& ex = start(name, args);
    RunStatus s;
    do s = ex.run(1 << 30);
    while (s == RunStatus::OutOfFuel);
    return s;
  }
  u64 result(u32 i = 0) { return execution_->results()[i]; }
  TrapKind trap() { return execution_->trap(); }
  Execution& ex() { return *execution_; }
  Store& store() { return store_; }

  CompileError error{};
  Instance* instance = nullptr;

 private:
  MmapMemoryProvider provider_;
  Store store_;
  Module* module_ = nullptr;
  std::unique_ptr<Execution> execution_;
};

}  // namespace wasm_test

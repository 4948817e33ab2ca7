// The fixture of the lib/wasi tests: a Wasi over the in-memory FakeOs with one memory page
// bound, standard streams on the fake console, "dir" preopened as 3, and helpers to call a WASI
// function directly and to read and write the page.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <wasi/wasi.h>
#include <wasm/host.h>

#include "fake_os.h"

namespace wasi_test {

using wasm::FuncType;
using wasm::HostStatus;
using wasm::RunStatus;
using wasm::ValType;

inline constexpr u32 kPage = 65536;
inline constexpr u64 kPending = ~0ull;

inline u16 err(Errno e) { return static_cast<u16>(e); }

inline FuncType make_type(const char* sig) {
  FuncType t;
  bool after = false;
  for (const char* p = sig; *p; ++p) {
    if (*p == '>') {
      after = true;
      continue;
    }
    EXPECT_TRUE(t.types.try_push(*p == 'I' ? ValType::I64 : ValType::I32).is_ok());
    ++(after ? t.result_count : t.param_count);
  }
  return t;
}

class WasiTest : public testing::Test {
 protected:
  void SetUp() override {
    auto m = store.create_memory(wasm::MemoryType{wasm::Limits{1, 1, true}});
    ASSERT_TRUE(m.is_ok());
    mem = m.value();
    wasi.bind_memory(mem);
    console = os.console();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(wasi.add_fd(i == 0 ? console : os.console()).is_ok());
    os.add("dir", FileType::Directory);
    os.add("dir/file", FileType::RegularFile, "hello world");
    os.add("dir/sub", FileType::Directory);
    os.add("dir/sub/inner", FileType::RegularFile, "inner");
    os.add("outside", FileType::RegularFile, "secret");
    root = os.open_node(os.find("dir"));
    ASSERT_EQ(wasi.add_preopen(root, "/").value(), 3u);
  }

  // Calls a WASI function directly; returns its errno, or kPending.
  u64 call(const char* name, const char* sig, std::vector<u64> args) {
    FuncType type = make_type(sig);
    wasi::ImportResolution r = wasi.resolve_import(store, wasi::kModuleName, name, type);
    EXPECT_EQ(r.kind, wasi::ImportResolution::Kind::Found) << name << ": " << r.message;
    if (r.func == nullptr) return ~0ull - 1;
    ex = std::make_unique<wasm::Execution>(store);
    EXPECT_TRUE(ex->start(r.func, support::Span<const u64>(args.data(), args.size())).is_ok());
    RunStatus s = ex->run(1000);
    if (s == RunStatus::HostPending) return kPending;
    EXPECT_EQ(s, RunStatus::Done);
    return type.result_count ? ex->results()[0] : 0;
  }
  // Calls a WASI function's host entry directly, without an execution (for loops of many calls);
  // returns its errno, or kPending (the call is then abandoned).
  u64 direct(const char* name, const char* sig, std::vector<u64> args) {
    wasm::FuncInst*& f = direct_funcs[name];
    if (f == nullptr) {
      wasi::ImportResolution r =
          wasi.resolve_import(store, wasi::kModuleName, name, make_type(sig));
      EXPECT_EQ(r.kind, wasi::ImportResolution::Kind::Found) << name << ": " << r.message;
      f = r.func;
      if (f == nullptr) return ~0ull - 1;
    }
    u64 result = 0;
    wasm::HostCall hc{nullptr, f, support::Span<const u64>(args.data(), args.size()),
                      support::Span<u64>(&result, 1)};
    HostStatus s = f->host(f->host_env, hc);
    if (s == HostStatus::Pending) return kPending;
    return result;
  }
  // Completes a pending call through Wasi::retry; returns its errno or kPending.
  u64 retry() {
    HostStatus s = wasi.retry(ex->pending_call());
    if (s == HostStatus::Pending) return kPending;
    ex->complete_host_call(s);
    EXPECT_EQ(ex->status(), RunStatus::Done);
    return ex->results()[0];
  }

  u8* at(u32 p) { return mem->base + p; }
  u32 get32(u32 p) {
    u32 v;
    memcpy(&v, at(p), 4);
    return v;
  }
  u64 get64(u32 p) {
    u64 v;
    memcpy(&v, at(p), 8);
    return v;
  }
  void put32(u32 p, u32 v) { memcpy(at(p), &v, 4); }
  void put64(u32 p, u64 v) { memcpy(at(p), &v, 8); }
  u32 put_string(u32 p, const std::string& s) {
    memcpy(at(p), s.data(), s.size());
    return static_cast<u32>(s.size());
  }
  // Opens `path` under the preopen; returns the errno, the descriptor in *fd.
  u64 open(const std::string& path, u64 rights = wasi::right::kAll, u32 oflags = 0,
           u32* fd = nullptr, u32 lookup = wasi::kLookupSymlinkFollow) {
    u32 len = put_string(1000, path);
    put32(900, 0xdeadbeef);
    u64 e =
        call("path_open", "iiiiiIIii>i", {3, lookup, 1000, len, oflags, rights, rights, 0, 900});
    if (fd) *fd = get32(900);
    return e;
  }

  wasm::MmapMemoryProvider provider;
  wasm::Store store{provider};
  FakeOs os;
  wasi::Wasi wasi{os};
  wasm::Memory* mem = nullptr;
  Handle console = 0, root = 0;
  std::unique_ptr<wasm::Execution> ex;
  std::map<std::string, wasm::FuncInst*> direct_funcs;
};

}  // namespace wasi_test

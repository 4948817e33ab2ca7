// Append mode is atomic: two programs (two Wasi contexts, each on its own thread) append records
// to one file of lib/fs through fd_write with FDFLAGS_APPEND; every record arrives whole and
// none is lost. Before Os::append, the WASI layer asked the size and then wrote there, so two
// writers could both write at the same end.
#include <gtest/gtest.h>

#include <fs/file_system.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "wasi_fixture.h"

namespace wasi_test {
namespace {

// A wasi::Os over lib/fs, enough for opening files under the root and transferring data; safe
// to share between threads (lib/fs has its own lock, the handle table has this one).
class FsOs final : public Os {
 public:
  FsOs() : fs_(1ull << 30, &clock, nullptr) {}
  fs::FileSystem& fs() { return fs_; }
  Handle root() { return add(fs_.root()); }

  Errno clock_res(ClockId, u64* r) override { return *r = 1, Errno::Success; }
  Errno clock_time(ClockId, u64* t) override { return *t = 1, Errno::Success; }
  Errno random(Span<u8>) override { return Errno::Success; }
  Errno read(Handle, Span<u8>, u64*) override { return Errno::Spipe; }
  Errno write(Handle, Span<const u8>, u64*) override { return Errno::Spipe; }
  Errno pread(Handle h, Span<u8> out, u64 offset, u64* done) override {
    auto n = fs_.read(node(h), offset, out);
    if (n.is_error()) return Errno::Io;
    *done = n.value();
    return Errno::Success;
  }
  Errno pwrite(Handle h, Span<const u8> data, u64 offset, u64* done) override {
    std::this_thread::yield();  // a program can be preempted between any two Os calls
    auto n = fs_.write(node(h), offset, data);
    if (n.is_error()) return Errno::Io;
    *done = n.value();
    return Errno::Success;
  }
  Errno append(Handle h, Span<const support::Bytes> parts, u64* at, u64* done) override {
    std::this_thread::yield();
    auto offset = fs_.append(node(h), parts);
    if (offset.is_error()) return Errno::Io;
    *at = offset.value();
    *done = 0;
    for (support::Bytes p : parts) *done += p.size();
    return Errno::Success;
  }
  Errno stat(Handle h, FileStat* out) override {
    std::this_thread::yield();
    fs::Stat s = fs_.stat(node(h));
    *out = FileStat{};
    out->ino = s.inode;
    out->type = s.kind == fs::Kind::Directory ? FileType::Directory : FileType::RegularFile;
    out->size = s.size;
    return Errno::Success;
  }
  Errno set_size(Handle, u64) override { return Errno::Notsup; }
  Errno set_times(Handle, u64, u64, u16) override { return Errno::Notsup; }
  Errno sync(Handle, bool) override { return Errno::Success; }
  Errno readdir(Handle, u64, DirEntry*, bool*) override { return Errno::Notsup; }
  Errno stat_at(Handle dir, StringView name, FileStat* out) override {
    auto n = fs_.lookup(node(dir), name);
    if (n.is_error()) return Errno::Noent;
    return stat(add(n.value()), out);
  }
  Errno open_at(Handle dir, StringView name, const OpenOptions& o, Handle* out) override {
    auto n = o.create ? fs_.create_file(node(dir), name, fs::CreateMode::OpenExisting)
                      : fs_.lookup(node(dir), name);
    if (n.is_error()) return Errno::Noent;
    *out = add(n.value());
    return Errno::Success;
  }
  Errno set_times_at(Handle, StringView, u64, u64, u16) override { return Errno::Notsup; }
  Errno mkdir_at(Handle, StringView) override { return Errno::Notsup; }
  Errno unlink_at(Handle, StringView) override { return Errno::Notsup; }
  Errno rmdir_at(Handle, StringView) override { return Errno::Notsup; }
  Errno rename_at(Handle, StringView, Handle, StringView) override { return Errno::Notsup; }
  Errno link_at(Handle, StringView, Handle, StringView) override { return Errno::Notsup; }
  Errno symlink_at(StringView, Handle, StringView) override { return Errno::Notsup; }
  Errno readlink_at(Handle, StringView, Span<char>, u64*) override { return Errno::Notsup; }
  Errno close(Handle h) override {
    std::lock_guard<std::mutex> hold(lock_);
    return nodes_.erase(h) ? Errno::Success : Errno::Badf;
  }
  Errno poll(Span<PollFd>, u64) override { return Errno::Success; }

 private:
  static u64 clock(void*) { return 1; }
  Handle add(const fs::NodeRef& n) {
    std::lock_guard<std::mutex> hold(lock_);
    nodes_[next_] = n;
    return next_++;
  }
  fs::NodeRef node(Handle h) {
    std::lock_guard<std::mutex> hold(lock_);
    return nodes_.at(h);
  }

  fs::FileSystem fs_;
  std::mutex lock_;
  std::map<Handle, fs::NodeRef> nodes_;
  Handle next_ = 1;
};

// One program: its own store, memory and Wasi over the shared Os.
struct Program {
  wasm::MmapMemoryProvider provider;
  wasm::Store store{provider};
  wasi::Wasi wasi;
  wasm::Memory* mem = nullptr;
  std::map<std::string, wasm::FuncInst*> funcs;

  explicit Program(FsOs& os) : wasi(os) {
    mem = store.create_memory(wasm::MemoryType{wasm::Limits{1, 1, true}}).value();
    wasi.bind_memory(mem);
    EXPECT_EQ(wasi.add_preopen(os.root(), "/").value(), 0u);
  }
  u64 call(const char* name, const char* sig, std::vector<u64> args) {
    wasm::FuncInst*& f = funcs[name];
    if (f == nullptr) f = wasi.resolve_import(store, wasi::kModuleName, name, make_type(sig)).func;
    u64 result = ~0ull;
    wasm::HostCall hc{nullptr, f, support::Span<const u64>(args.data(), args.size()),
                      support::Span<u64>(&result, 1)};
    EXPECT_EQ(f->host(f->host_env, hc), HostStatus::Ok);
    return result;
  }
};

TEST(AppendTest, two_programs_appending_to_one_file_lose_nothing) {
  FsOs os;
  constexpr int kRecords = 4000;
  constexpr u32 kRecordSize = 48;
  std::atomic<int> ready{0};
  auto program = [&](char tag) {
    Program p(os);
    u8* m = p.mem->base;
    memcpy(m + 1000, "log", 3);
    // path_open(0, follow, "log", CREAT, rights, 0, APPEND, &fd)
    ASSERT_EQ(
        p.call("path_open", "iiiiiIIii>i",
               {0, 1, 1000, 3, wasi::kOflagCreat, wasi::right::kAll, 0, wasi::kFdflagAppend, 900}),
        0u);
    u32 fd;
    memcpy(&fd, m + 900, 4);
    ready.fetch_add(1);
    while (ready.load() < 2) std::this_thread::yield();
    for (int i = 0; i < kRecords; ++i) {
      // Each record in two iovecs (as stdio's writev of buffer + new data): head and body.
      char record[kRecordSize + 1];
      snprintf(record, sizeof record, "%c%07d:%-38s\n", tag, i, "record");
      memcpy(m + 2000, record, 10);
      memcpy(m + 3000, record + 10, kRecordSize - 10);
      u32 iovs[4] = {2000, 10, 3000, kRecordSize - 10};
      memcpy(m + 100, iovs, sizeof iovs);
      ASSERT_EQ(p.call("fd_write", "iiii>i", {fd, 100, 2, 120}), 0u);
      u32 n;
      memcpy(&n, m + 120, 4);
      ASSERT_EQ(n, kRecordSize);
    }
  };
  std::thread a(program, 'a'), b(program, 'b');
  a.join();
  b.join();
  auto log = os.fs().lookup(os.fs().root(), "log");
  ASSERT_TRUE(log.is_ok());
  std::string all(2 * kRecords * kRecordSize + 1, '\0');
  auto n = os.fs().read(log.value(), 0, Span<u8>(reinterpret_cast<u8*>(all.data()), all.size()));
  ASSERT_TRUE(n.is_ok());
  ASSERT_EQ(n.value(), 2u * kRecords * kRecordSize);
  int next[2] = {0, 0};
  for (usize at = 0; at < n.value(); at += kRecordSize) {
    std::string record = all.substr(at, kRecordSize);
    ASSERT_TRUE(record[0] == 'a' || record[0] == 'b') << record;
    int& want = next[record[0] - 'a'];
    char expect[kRecordSize + 1];
    snprintf(expect, sizeof expect, "%c%07d:%-38s\n", record[0], want, "record");
    ASSERT_EQ(record, std::string(expect)) << "at " << at;
    ++want;
  }
  EXPECT_EQ(next[0], kRecords);
  EXPECT_EQ(next[1], kRecords);
}

}  // namespace
}  // namespace wasi_test

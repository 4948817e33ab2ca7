// The root file system from the initrd, and the first program.
#include <async/time.h>
#include <fs/loader.h>
#include <ipc/handle.h>
#include <kernel/boot/boot_args.h>
#include <kernel/boot/machine.h>
#include <kernel/console/console.h>
#include <kernel/console/log.h>
#include <kernel/console/tty.h>
#include <kernel/diag/panic.h>
#include <kernel/drivers/entropy.h>
#include <kernel/drivers/ramdisk.h>
#include <kernel/mm/memory.h>
#include <support/new.h>

#include <kernel/proc/disk.h>
#include <kernel/proc/program.h>

namespace programs {
namespace {

u64 realtime_clock(void*) { return entropy::realtime_ns(); }

// File data in whole frames: a 4 KiB chunk from the heap would take two pages (its header does
// not fit beside it), twice what the quota charges.
class FrameChunks final : public fs::ChunkSource {
 public:
  u8* alloc_chunk() override {
    auto frame = kmem::frame_source().alloc_frame(mem::FrameKind::Cache);
    return frame.is_ok() ? machine::phys_ptr<u8>(frame.value()) : nullptr;
  }
  void free_chunk(u8* chunk) override {
    u64 phys = reinterpret_cast<u64>(chunk) - machine::phys_map_base();
    if (kmem::frame_source().free_frame(phys).is_error()) {
      PANIC("file system gave back a chunk the kernel did not give: {}", chunk);
    }
  }
};
static_assert(fs::kChunkSize == mem::kPageSize);

FrameChunks g_chunks;

// Room for what programs write besides the initrd's own files (boot argument `fs.quota=MiB`).
constexpr u64 kDefaultFreeQuotaMiB = 64;

u64 quota_bytes() {
  u64 mib = kDefaultFreeQuotaMiB;
  if (auto value = boot_args::get("fs.quota")) {
    u64 n = 0;
    bool ok = value->size() > 0;
    for (char c : *value) {
      ok &= c >= '0' && c <= '9';
      n = n * 10 + static_cast<u64>(c - '0');
    }
    if (ok && n < (1u << 20)) mib = n;
  }
  // The initrd's files cost about their size plus per-node overhead: give twice its size.
  return mib * 1024 * 1024 + 2 * ramdisk::blob().size();
}

// The words of the command line after ` -- ` become arguments.
bool add_init_arguments(SpawnRequest& request) {
  StringView line = boot_args::command_line();
  usize at = line.find(StringView(" -- "));
  if (at == line.size()) return true;
  StringView rest = line.substr(at + 4);
  usize i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    usize j = i;
    while (j < rest.size() && rest[j] != ' ') ++j;
    if (j > i && request.add_arg(rest.substr(i, j - i)).is_error()) return false;
    i = j;
  }
  return true;
}

// What programs may hold together: the memory free now, less what the file system may still
// grow by (its quota), the reserve, and a margin for the kernel's own allocations.
void init_pool(const fs::FileSystem& root) {
  constexpr u64 kKernelMargin = 8 << 20;
  u64 free = kmem::frames().stats().free * mem::kPageSize;
  u64 keep = (root.limit() - root.used()) + limits().reserve_bytes + kKernelMargin;
  u64 limit = free > keep ? free - keep : 0;
  pool::init(limit, limits().reserve_bytes);
  LOG_INFO("programs: {} MiB for programs together, {} MiB reserve, {} MiB each at most",
           limit >> 20, limits().reserve_bytes >> 20, limits().memory_bytes >> 20);
}

// /dev/null: an empty file whose node the kernel keeps, and opens as the null device.
void make_null_device(fs::FileSystem& root) {
  (void)root.mkdir(root.root(), "dev");
  auto dev = root.resolve("/dev");
  if (dev.is_error()) return;
  auto null = root.create_file(dev.value(), "null", fs::CreateMode::OpenExisting);
  if (null.is_error()) return;
  g_null_node = null.value().get();
  (void)new (std::nothrow) fs::NodeRef(support::move(null.value()));  // kept for good
}

}  // namespace

fs::Node* g_null_node = nullptr;

async::Task<bool> init() {
  entropy::init();
  read_limits();
  init_services();
  auto* root = new (std::nothrow) fs::FileSystem(quota_bytes(), realtime_clock, nullptr, &g_chunks);
  if (root == nullptr) co_return false;
  set_root(*root);
  support::Bytes blob = ramdisk::blob();
  if (blob.size() == 0) {
    (void)root->mkdir(root->root(), "tmp");
    make_null_device(*root);
    disk::mount();
    init_pool(*root);
    co_return true;
  }
  fs::Loader loader(*root, blob);
  for (;;) {
    auto step = loader.step(8);
    if (step.is_error()) {
      LOG_ERROR("initrd: cannot unpack: {}", fs::error_name(step.error()));
      co_return false;
    }
    if (step.value()) break;
    co_await async::yield_now();
  }
  (void)root->mkdir(root->root(), "tmp");
  make_null_device(*root);
  disk::mount();
  LOG_INFO("root file system: {} entries from the initrd, {} KiB used of {} KiB",
           loader.entries_done(), root->used() / 1024, root->limit() / 1024);
  init_pool(*root);
  co_return true;
}

namespace {

// What the kernel makes for the first program at an administrator's request (its listener):
// counted nowhere.
class KernelAccount final : public ipc::Account {
 public:
  bool charge(u64 bytes) override {
    (void)bytes;
    return true;
  }
  void uncharge(u64 bytes) override { (void)bytes; }
};
KernelAccount g_kernel_account;

// Boot argument `listen=ADDR:PORT`: a listener handed to the first program after its preopen
// (the convention of `./x wasm --tcplisten`). Without a network, or on a bad address, the
// program starts without it (the log says why).
void add_init_listener(SpawnRequest& request, ipc::Handle& listener) {
  auto value = boot_args::get("listen");
  if (!value) return;
  net::Endpoint local;
  if (!net::parse_endpoint(*value, &local)) {
    LOG_WARN("listen={}: not an address (A.B.C.D:PORT or *:PORT)", *value);
    return;
  }
  wasi::Errno e = net::listen(g_kernel_account, local, 32, &listener);
  if (e != wasi::Errno::Success) {
    LOG_WARN("listen={}: not listening (WASI errno {})", *value, static_cast<u32>(e));
    return;
  }
  LOG_INFO("listening on {} for the first program", *value);
  request.listener = &listener;
}

}  // namespace

async::Task<bool> run_init() {
  StringView path = "/bin/sh.wasm";
  if (auto value = boot_args::get("init")) path = *value;
  if (path == "monitor" || !file_exists(path, "/")) {
    if (path != "monitor") LOG_WARN("init: no program {}; starting the monitor", path);
    co_return false;
  }
  SpawnRequest request;
  usize slash = path.size();
  while (slash > 0 && path[slash - 1] != '/') --slash;
  StringView name = path.substr(slash);
  if (name.ends_with(".wasm")) name = name.substr(0, name.size() - 5);
  if (request.add_arg(name).is_error() || !add_init_arguments(request)) co_return false;
  static const char* const kEnv[] = {"HOME=/", "PATH=/bin", "TERM=vt100"};
  for (const char* entry : kEnv) {
    if (request.add_env(entry).is_error()) co_return false;
  }
  request.path = path;
  request.reserve = Reserve::All;  // the shell can always list and kill programs
  ipc::Handle listener;
  add_init_listener(request, listener);
  tty::start();  // from now on console input goes to programs, not to the monitor
  auto pid = spawn(request);
  if (pid.is_error()) {
    console::print("init: cannot start {}: {}\n", path, spawn_error_name(pid.error()));
    co_return false;
  }
  auto exit = co_await wait(pid.value());
  if (exit.is_ok()) {
    const Exit& e = exit.value();
    console::print("init ({}) ended: status {}{}{}\n", path, e.code, e.reason[0] ? ", " : "",
                   e.reason);
  }
  co_return true;
}

}  // namespace programs

#include <async/block_cache.h>
#include <async/host_platform.h>

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

namespace async {

namespace {

thread_local const HostPlatform* t_platform = nullptr;
thread_local u32 t_worker = kNoWorker;

// The thread's block cache (block_cache.h). After its destructor has run (thread exit) the
// thread frees and allocates without a cache.
struct ThreadBlockCache {
  BlockCache cache;
  bool alive = true;
  ~ThreadBlockCache();
};
thread_local ThreadBlockCache t_block_cache;

ThreadBlockCache::~ThreadBlockCache() {
  detail::t_thread_cache = nullptr;
  cache.flush();
  alive = false;
}

// The locator: asked only until detail::t_thread_cache names the thread's cache (block_cache.h
// reads that pointer first), and again after the cache's destructor (then: no cache).
BlockCache* thread_block_cache() {
  if (!t_block_cache.alive) return nullptr;
  detail::t_thread_cache = &t_block_cache.cache;
  return detail::t_thread_cache;
}

// The block region (block_cache.h): address space for task records and frames, committed as it
// is touched, in transparent huge pages where the kernel gives them (madvise mode). A burst of a
// million spawned tasks then costs a few hundred page faults instead of some sixty thousand, and
// the next burst reuses the same memory. What the caches keep is bounded by its size; past it,
// blocks come from malloc again.
//
// Not under AddressSanitizer: blocks carved side by side from a region have no redzones between
// them, and an overflow from one task's frame into the next must be reported there.
#define WARDEN_BLOCK_REGION (!WARDEN_BLOCK_CACHE_POISONS)  // block_cache.h: 1 under ASan

#if WARDEN_BLOCK_REGION
constexpr usize kBlockRegionBytes = usize{512} << 20;

void install_block_region() {
  constexpr usize kAlign = BlockCache::kChunkBytes;
  void* mapping = mmap(nullptr, kBlockRegionBytes + kAlign, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) return;  // blocks come from malloc, as without a region
  uptr base = (reinterpret_cast<uptr>(mapping) + kAlign - 1) & ~(kAlign - 1);
  madvise(reinterpret_cast<void*>(base), kBlockRegionBytes, MADV_HUGEPAGE);
  BlockCache::set_region(reinterpret_cast<void*>(base), kBlockRegionBytes);
}
#endif

// Installed before main() (and before any thread the executor starts).
struct InstallBlockCache {
  InstallBlockCache() {
#if WARDEN_BLOCK_REGION
    install_block_region();
#endif
    set_block_cache_locator(&thread_block_cache);
  }
} g_install_block_cache;

Instant monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Instant>(ts.tv_sec) * 1'000'000'000ull + static_cast<Instant>(ts.tv_nsec);
}

// Sleeps while *word == expected, until woken or `deadline` passes.
void futex_wait(const u32* word, u32 expected, Instant deadline) {
  timespec relative;
  timespec* timeout = nullptr;
  if (deadline != kNever) {
    Instant now = monotonic_now();
    if (deadline <= now) return;
    Instant left = deadline - now;
    relative.tv_sec = static_cast<time_t>(left / 1'000'000'000ull);
    relative.tv_nsec = static_cast<long>(left % 1'000'000'000ull);
    timeout = &relative;
  }
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout, nullptr, 0);
}

void futex_wake(const u32* word, int count) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

}  // namespace

u32 HostPlatform::current_worker() const { return t_platform == this ? t_worker : kNoWorker; }

void HostPlatform::set_current_worker(u32 worker) {
  t_platform = worker == kNoWorker ? nullptr : this;
  t_worker = worker;
}

Instant HostPlatform::now() const { return monotonic_now(); }

void HostPlatform::sleep(u32, const u32* word, u32 expected, Instant deadline) {
  sleeps_.fetch_add(1);
  sleeping_.fetch_add(1);
  futex_wait(word, expected, deadline);
  sleeping_.fetch_sub(1);
}

void HostPlatform::wake(u32, const u32* word) {
  wakes_.fetch_add(1);
  futex_wake(word, 1);
}

WorkerThreads::WorkerThreads(Executor& executor, u32 count) : executor_(executor) {
  threads_.reserve(count);
  for (u32 i = 0; i < count; ++i) {
    threads_.emplace_back([this, i] {
      auto result = executor_.run(i);
      if (!result.is_error() || result.error() != Error::Closed) {
        support_must_failed("Executor::run returned without Error::Closed", __FILE__, __LINE__);
      }
    });
  }
}

WorkerThreads::~WorkerThreads() { stop(); }

void WorkerThreads::stop() {
  executor_.close();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

// A reference-counted futex word: a waker may still be waking it when park() has returned.
struct ThreadParker::State {
  support::Atomic<u32> refs{1};
  support::Atomic<u32> word{0};

  void unref() {
    if (refs.fetch_sub(1) == 1) delete this;
  }
  static void clone(void* data) { static_cast<State*>(data)->refs.fetch_add(1); }
  static void wake_by_ref(void* data) {
    auto* state = static_cast<State*>(data);
    state->word.fetch_add(1);
    futex_wake(state->word.raw(), INT_MAX);
  }
  static void wake(void* data) {
    wake_by_ref(data);
    static_cast<State*>(data)->unref();
  }
  static void drop(void* data) { static_cast<State*>(data)->unref(); }
};

namespace {
constexpr WakerVTable kParkerVTable = {ThreadParker::State::clone, ThreadParker::State::wake,
                                       ThreadParker::State::wake_by_ref, ThreadParker::State::drop};
}

ThreadParker::ThreadParker() : state_(new State) {}
ThreadParker::~ThreadParker() { state_->unref(); }

Waker ThreadParker::waker() {
  state_->refs.fetch_add(1);
  return Waker(&kParkerVTable, state_);
}

u32 ThreadParker::epoch() const { return state_->word.load(); }

void ThreadParker::park(u32 epoch) { futex_wait(state_->word.raw(), epoch, kNever); }

}  // namespace async

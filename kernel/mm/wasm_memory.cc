// Linear memories as kernel address-space regions (see <kernel/mm/wasm_memory.h>).
#include <kernel/mm/memory.h>
#include <kernel/mm/wasm_memory.h>
#include <support/utility.h>

namespace wasm_memory {
namespace {

u64 g_committed = 0;

class KernelMemoryProvider final : public wasm::MemoryProvider {
 public:
  u8* reserve(u64 initial_bytes, u64 max_bytes) override {
    mem::ReserveOptions options;
    // A memory with maximum 0 still gets a page so that its base is a real, unique address.
    options.size = support::align_up(max_bytes == 0 ? mem::kPageSize : max_bytes, mem::kPageSize);
    // Wired: pages are mapped when committed (at memory.grow, in task context), so the engine
    // never faults on linear memory. A fault would take the address-space lock in trap context
    // with interrupts off, where a hart holding that lock for a shootdown (another program's
    // memory being released) would wait for this one forever.
    options.backing = mem::Backing::Wired;
    options.perms = mem::kRW | mem::Perms::Global;
    options.guard_size = mem::kPageSize;
    auto& space = kmem::kernel_space();
    auto base = space.reserve(options);
    if (base.is_error()) return nullptr;
    if (initial_bytes > 0 && space.commit(base.value(), initial_bytes).is_error()) {
      (void)space.release(base.value());
      return nullptr;
    }
    __atomic_fetch_add(&g_committed, initial_bytes, __ATOMIC_RELAXED);
    return reinterpret_cast<u8*>(base.value());
  }

  // Commits in steps of kCommitStep, taking the kernel address-space lock for each step only:
  // a large memory.grow (allocating, zeroing and mapping thousands of frames) must not keep
  // other programs' grows, loads and ends waiting for that lock. A step that fails gives back
  // what the earlier steps committed: the memory keeps its old size.
  static constexpr u64 kCommitStep = 1 << 20;

  bool commit(u8* base, u64 old_bytes, u64 new_bytes) override {
    if (new_bytes <= old_bytes) return true;
    auto& space = kmem::kernel_space();
    u64 addr = reinterpret_cast<u64>(base);
    for (u64 done = old_bytes; done < new_bytes;) {
      u64 next = support::min(new_bytes, support::align_down(done + kCommitStep, kCommitStep));
      if (space.commit(addr, next).is_error()) {
        (void)space.decommit(addr, old_bytes);
        return false;
      }
      done = next;
    }
    __atomic_fetch_add(&g_committed, new_bytes - old_bytes, __ATOMIC_RELAXED);
    return true;
  }

  void release(u8* base, u64 max_bytes) override {
    (void)max_bytes;
    auto& space = kmem::kernel_space();
    auto region = space.region_at(reinterpret_cast<u64>(base));
    if (region) __atomic_fetch_sub(&g_committed, region->committed, __ATOMIC_RELAXED);
    (void)space.release(reinterpret_cast<u64>(base));
  }
};

KernelMemoryProvider g_provider;

}  // namespace

wasm::MemoryProvider& provider() { return g_provider; }

u64 committed_bytes() { return __atomic_load_n(&g_committed, __ATOMIC_RELAXED); }

}  // namespace wasm_memory

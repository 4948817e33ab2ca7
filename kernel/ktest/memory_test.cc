// Kernel memory on the real machine: frames, the kernel page table, faults, lazy commit, the heap,
// shootdowns.
#include <arch/cpu.h>
#include <arch/trap.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/boot/machine.h>
#include <kernel/console/console.h>
#include <kernel/drivers/ramdisk.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <support/spinlock.h>

namespace {

u64 checksum(const u8* data, u64 size) {
  u64 h = 1469598103934665603ull;  // FNV-1a
  for (u64 i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

u64 initrd_checksum() {
  const auto& r = machine::info().initrd;
  return r.size == 0 ? 0 : checksum(machine::phys_ptr<const u8>(r.base), r.size);
}

u64 used_frames() {
  auto s = kmem::frames().stats();
  return s.total - s.free;
}

// A small deterministic generator for tests.
struct Rng {
  u64 state;
  u64 next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

}  // namespace

KTEST(mem, every_free_frame_allocates_then_all_free_back) {
  u64 before_free = kmem::frames().stats().free - kmem::frames().stats().cached;
  u64 sum_before = initrd_checksum();
  // Chain every frame through its own first word: nothing else is needed to remember them.
  u64 head = 0, count = 0;
  for (;;) {
    auto frame = kmem::frames().alloc(0, mem::FrameKind::Other);
    if (frame.is_error()) {
      KEXPECT(frame.error() == support::Error::NoMemory);
      break;
    }
    *machine::phys_ptr<u64>(frame.value()) = head;
    head = frame.value();
    ++count;
  }
  KEXPECT(count >= before_free * 9 / 10);
  KEXPECT_EQ(kmem::frames().stats().available, 0ull);
  while (head != 0) {
    u64 next = *machine::phys_ptr<u64>(head);
    KASSERT(kmem::frames().free(head).is_ok());
    head = next;
  }
  KEXPECT_EQ(kmem::frames().stats().free - kmem::frames().stats().cached, before_free);
  KEXPECT_EQ(initrd_checksum(), sum_before);  // no frame of the initrd was handed out
}

KTEST(mem, double_free_is_an_error_not_a_corruption) {
  auto frame = kmem::frames().alloc(0, mem::FrameKind::Other);
  KASSERT(frame.is_ok());
  KEXPECT(kmem::frames().free(frame.value()).is_ok());
  KEXPECT(kmem::frames().free(frame.value()).is_error());
}

namespace {
constexpr u64 kTestVa = 0xffffc08000000000ull;  // inside kernel space, outside its regions' gaps
}

KTEST(mem, map_query_protect_unmap_round_trip) {
  if (kmem::page_table().levels() != 4) return kt.skip("needs Sv48 addresses");
  auto frame = kmem::frames().alloc(0, mem::FrameKind::Other);
  KASSERT(frame.is_ok());
  auto& pt = kmem::page_table();
  KASSERT(pt.map(kTestVa, frame.value(), mem::kPageSize, mem::kRW | mem::Perms::Global,
                 kmem::frame_source(), mem::PageSizes::Small)
              .is_ok());
  auto* p = reinterpret_cast<volatile u64*>(kTestVa);
  *p = 0x5eed;
  KEXPECT_EQ(*machine::phys_ptr<u64>(frame.value()), 0x5eedull);  // same frame, two addresses
  auto t = pt.query(kTestVa + 8);
  KASSERT(t.has_value());
  KEXPECT_EQ(t->phys, frame.value() + 8);
  KEXPECT(t->accessed && t->dirty);  // preset, never left to the hardware

  mem::ShootdownBatch batch;
  KASSERT(pt.protect(kTestVa, mem::kPageSize, mem::Perms::Read | mem::Perms::Global, batch,
                     kmem::frame_source())
              .is_ok());
  kmem::shootdown(batch);
  KEXPECT(batch.complete(kmem::frame_source()).is_ok());
  KEXPECT(mem::has(pt.query(kTestVa)->perms, mem::Perms::Read));
  KEXPECT(!mem::has(pt.query(kTestVa)->perms, mem::Perms::Write));
  // A write through the checked accessor faults, is reported and the kernel goes on.
  KEXPECT_EQ(arch_probe_write_u64(reinterpret_cast<void*>(kTestVa), 1), -1);
  KEXPECT_EQ(arch::last_fixup().scause, 15ull);
  KEXPECT_EQ(arch::last_fixup().stval, kTestVa);
  KEXPECT_EQ(u64(*p), 0x5eedull);  // reads still work

  auto progress =
      pt.unmap(kTestVa, mem::kPageSize, mem::ReleaseFrames::Yes, batch, kmem::frame_source());
  KASSERT(progress.is_ok());
  KEXPECT(progress.value().done);
  kmem::shootdown(batch);
  KEXPECT(batch.complete(kmem::frame_source()).is_ok());  // the frame goes back only now
  KEXPECT(!pt.query(kTestVa).has_value());
  u64 out;
  KEXPECT_EQ(arch_probe_read_u64(reinterpret_cast<void*>(kTestVa), &out), -1);
}

KTEST(mem, guard_page_access_through_fixup_is_reported) {
  auto stack = kmem::allocate_stack(4 * mem::kPageSize);
  KASSERT(stack.is_ok());
  u64 out = 0;
  KEXPECT_EQ(arch_probe_read_u64(reinterpret_cast<void*>(stack.value().bottom), &out), 0);
  KEXPECT_EQ(arch_probe_read_u64(reinterpret_cast<void*>(stack.value().bottom - 8), &out), -1);
  KEXPECT_EQ(arch::last_fixup().stval, stack.value().bottom - 8);
  auto region = kmem::kernel_space().region_at(stack.value().bottom - 8);
  KASSERT(region.has_value());
  KEXPECT(region->backing == mem::Backing::Guard);
}

KTEST(mem, lazy_region_commits_exactly_the_touched_pages) {
  constexpr u64 kSize = 64ull << 20;
  auto& space = kmem::kernel_space();
  mem::ReserveOptions o;
  o.size = kSize;
  o.perms = mem::kRW | mem::Perms::Global;
  auto base = space.reserve(o);
  KASSERT(base.is_ok());
  KASSERT(space.commit(base.value(), kSize).is_ok());  // charged now, frames come on touch
  u64 used_before = used_frames();
  // Touch a random sparse subset: 1 page in 50 or so, each possibly more than once.
  Rng rng{0x9e3779b97f4a7c15ull};
  bool touched[kSize / mem::kPageSize] = {};
  u64 distinct = 0;
  for (int i = 0; i < 400; ++i) {
    u64 page = rng.next() % (kSize / mem::kPageSize);
    auto* p = reinterpret_cast<volatile u64*>(base.value() + page * mem::kPageSize + 8 * (i % 512));
    KEXPECT_EQ(u64(*p), 0ull);  // zero-filled
    *p = i + 1;
    if (!touched[page]) ++distinct;
    touched[page] = true;
  }
  u64 grown = used_frames() - used_before;
  auto info = space.region_at(base.value());
  KASSERT(info.has_value());
  KEXPECT_EQ(info->resident, distinct);
  KEXPECT(grown >= distinct);
  KEXPECT(grown <= distinct + 40);  // page tables (commit prepared most of them already)
  u64 used_with_region = used_frames();
  KEXPECT(space.release(base.value()).is_ok());
  KEXPECT(used_frames() + distinct <= used_with_region);
}

namespace {
struct HeapStress {
  u32 seed;
  u32 failures;
  u32 done;
};
void heap_stress(void* arg) {
  auto* s = static_cast<HeapStress*>(arg);
  Rng rng{s->seed * 2654435761ull + 1};
  void* live[64] = {};
  usize sizes[64] = {};
  for (int i = 0; i < 3000; ++i) {
    u32 slot = rng.next() % 64;
    if (live[slot] != nullptr) {
      auto* bytes = static_cast<u8*>(live[slot]);
      if (bytes[0] != u8(slot) || bytes[sizes[slot] - 1] != u8(slot)) ++s->failures;
      kmem::free(live[slot]);
      live[slot] = nullptr;
    } else {
      static constexpr usize kSizes[] = {8, 24, 100, 500, 1024, 3000, 9000, 70000};
      usize size = kSizes[rng.next() % 8];
      void* p = kmem::allocate(size, (rng.next() & 1) ? 16 : 256);
      if (p == nullptr) {
        ++s->failures;
        continue;
      }
      __builtin_memset(p, u8(slot), size);
      live[slot] = p;
      sizes[slot] = size;
    }
  }
  for (auto* p : live) kmem::free(p);
  __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
}
}  // namespace

KTEST(mem, heap_stress_on_every_hart_frees_back_to_the_start) {
  auto before = kmem::heap_stats();
  static HeapStress stress[arch::kMaxCpus];
  static arch::CallRequest requests[arch::kMaxCpus];
  u32 cpus = smp::cpu_count();
  for (u32 i = 1; i < cpus; ++i) {
    stress[i] = {i, 0, 0};
    requests[i] = {heap_stress, &stress[i], 0, nullptr};
    KASSERT(smp::post(i, requests[i]).is_ok());
  }
  stress[0] = {0, 0, 0};
  heap_stress(&stress[0]);
  for (u32 i = 0; i < cpus; ++i) {
    while (__atomic_load_n(&stress[i].done, __ATOMIC_ACQUIRE) == 0) smp::serve_calls();
    KEXPECT_EQ(stress[i].failures, 0u);
  }
  auto after = kmem::heap_stats();
  KEXPECT_EQ(after.allocations, before.allocations);
  KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
}

namespace {
struct Reader {
  volatile u64* address;
  u32 stop;
  u64 last;
  u64 saw_new;
};
void read_until_stopped(void* arg) {
  auto* r = static_cast<Reader*>(arg);
  while (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) == 0) {
    u64 v = *r->address;
    __atomic_store_n(&r->last, v, __ATOMIC_RELEASE);
    // Keep serving cross-calls (the shootdown) while spinning in interrupt context.
    smp::serve_calls();
  }
}
}  // namespace

KTEST(mem, shootdown_makes_another_hart_see_the_new_frame) {
  if (smp::cpu_count() < 2) return kt.skip("needs 2 harts");
  if (kmem::page_table().levels() != 4) return kt.skip("needs Sv48 addresses");
  auto& pt = kmem::page_table();
  auto a = kmem::frames().alloc(0, mem::FrameKind::Other);
  auto b = kmem::frames().alloc(0, mem::FrameKind::Other);
  KASSERT(a.is_ok() && b.is_ok());
  *machine::phys_ptr<u64>(a.value()) = 0xaaaa;
  *machine::phys_ptr<u64>(b.value()) = 0xbbbb;
  u64 va = kTestVa + 0x10000;
  KASSERT(pt.map(va, a.value(), mem::kPageSize, mem::kRW | mem::Perms::Global, kmem::frame_source(),
                 mem::PageSizes::Small)
              .is_ok());
  static Reader reader;
  reader = {reinterpret_cast<volatile u64*>(va), 0, 0, 0};
  static arch::CallRequest request;
  request = {read_until_stopped, &reader, 0, nullptr};
  u32 other = arch::this_cpu().id == 0 ? 1 : 0;  // never this hart: it must keep going
  KASSERT(smp::post(other, request).is_ok());
  while (__atomic_load_n(&reader.last, __ATOMIC_ACQUIRE) != 0xaaaa) smp::serve_calls();
  // Remap to the other frame: unmap (flushing every hart), then map b.
  mem::ShootdownBatch batch;
  auto progress = pt.unmap(va, mem::kPageSize, mem::ReleaseFrames::No, batch, kmem::frame_source());
  KASSERT(progress.is_ok());
  KASSERT(pt.map(va, b.value(), mem::kPageSize, mem::kRW | mem::Perms::Global, kmem::frame_source(),
                 mem::PageSizes::Small)
              .is_ok());
  kmem::shootdown(batch);  // returns once hart 1 has flushed too
  u64 give_up = ktime::now_ns() + 10ull * 1000000000ull;
  while (__atomic_load_n(&reader.last, __ATOMIC_ACQUIRE) != 0xbbbb && ktime::now_ns() < give_up)
    smp::serve_calls();
  KEXPECT_EQ(__atomic_load_n(&reader.last, __ATOMIC_ACQUIRE), 0xbbbbull);
  __atomic_store_n(&reader.stop, 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&request.done, __ATOMIC_ACQUIRE) == 0) smp::serve_calls();
  mem::ShootdownBatch cleanup;
  KEXPECT(
      pt.unmap(va, mem::kPageSize, mem::ReleaseFrames::No, cleanup, kmem::frame_source()).is_ok());
  kmem::shootdown(cleanup);
  KEXPECT(cleanup.complete(kmem::frame_source()).is_ok());
  KEXPECT(kmem::frames().free(a.value()).is_ok());
  KEXPECT(kmem::frames().free(b.value()).is_ok());
}

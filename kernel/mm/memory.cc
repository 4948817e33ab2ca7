#include <arch/cpu.h>
#include <arch/layout.h>
#include <arch/mmu.h>
#include <kernel/arch/smp.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/diag/panic.h>
#include <kernel/mm/memory.h>
#include <mem/frame_cache.h>
#include <support/format.h>
#include <support/new.h>

extern "C" const char _kernel_start[], _rodata_start[], _rodata_end[], _data_start[],
    _ksyms_start[], _kernel_end[];

// Read by the secondary harts' trampoline (entry.S) to switch to the kernel page table.
extern "C" u64 kernel_satp_value;
u64 kernel_satp_value = 0;

namespace kmem {

namespace {

class DirectMap final : public mem::PhysWindow {
 public:
  void* virtual_of(mem::PhysAddr phys) override { return machine::phys_ptr<void>(phys); }
};

// Single frames through the current CPU's cache; interrupts off while it works, since the cache
// belongs to the CPU and must not be re-entered.
class CpuFrames final : public mem::FrameSource {
 public:
  mem::FrameCache& cache();
  support::Result<mem::PhysAddr> alloc_frame(mem::FrameKind kind) override {
    bool irq = arch::interrupts_disable();
    auto r = cache().alloc_frame(kind);
    arch::interrupts_restore(irq);
    return r;
  }
  support::Result<void> free_frame(mem::PhysAddr frame) override {
    bool irq = arch::interrupts_disable();
    auto r = cache().free_frame(frame);
    arch::interrupts_restore(irq);
    return r;
  }
  support::Result<void> reserve_frames(u64 count) override { return cache().reserve_frames(count); }
  void unreserve_frames(u64 count) override { cache().unreserve_frames(count); }
  mem::PhysAddr alloc_reserved_frame(mem::FrameKind kind) override {
    bool irq = arch::interrupts_disable();
    auto r = cache().alloc_reserved_frame(kind);
    arch::interrupts_restore(irq);
    return r;
  }
};

class HeapPages final : public mem::PageProvider {
 public:
  void* alloc_pages(u64 pages) override;
  void free_pages(void* base, u64 pages) override;
};

class Shootdown final : public mem::TlbShootdown {
 public:
  void shootdown(const mem::ShootdownBatch& batch) override { kmem::shootdown(batch); }
};

#ifdef NDEBUG
constexpr mem::Poison kPoison = mem::Poison::No;
#else
constexpr mem::Poison kPoison = mem::Poison::Yes;
#endif

DirectMap g_window;
mem::FrameAllocator g_frames;
CpuFrames g_cpu_frames;
HeapPages g_heap_pages;
Shootdown g_shootdown;
mem::Heap g_heap(g_heap_pages, kPoison);
bool g_ready = false;
mem::VirtRange g_kernel_space_range;

alignas(mem::FrameCache) u8 g_cache_storage[arch::kMaxCpus][sizeof(mem::FrameCache)];
alignas(mem::PageTable<arch::PteFormat>) u8
    g_page_table_storage[sizeof(mem::PageTable<arch::PteFormat>)];
alignas(mem::AddressSpace) u8 g_space_storage[sizeof(mem::AddressSpace)];

mem::PageTable<arch::PteFormat>& table() {
  return *reinterpret_cast<mem::PageTable<arch::PteFormat>*>(g_page_table_storage);
}

mem::FrameCache& CpuFrames::cache() {
  return *reinterpret_cast<mem::FrameCache*>(g_cache_storage[arch::this_cpu().id]);
}

// A run of exactly `pages` frames: the power-of-two run that holds them, its tail given back.
void* HeapPages::alloc_pages(u64 pages) {
  u32 order = 0;
  while ((u64{1} << order) < pages) ++order;
  if (order > mem::FrameAllocator::kMaxOrder) return nullptr;
  auto frame = g_frames.alloc(order, mem::FrameKind::KernelHeap);
  if (frame.is_error()) return nullptr;
  if (pages < (u64{1} << order)) MUST(g_frames.trim(frame.value(), pages));
  return machine::phys_ptr<void>(frame.value());
}

void HeapPages::free_pages(void* base, u64 pages) {
  u64 phys = reinterpret_cast<u64>(base) - machine::phys_map_base();
  mem::FrameAllocator::for_each_run(phys, pages, [&](mem::PhysAddr run, u32) {
    auto r = g_frames.free(run);
    if (r.is_error()) PANIC("heap gave back a frame the allocator does not know: {:#x}", run);
  });
}

void map_or_panic(u64 va, u64 pa, u64 size, mem::Perms perms, mem::PageSizes sizes,
                  const char* what) {
  if (size == 0) return;
  auto r = table().map(va, pa, size, perms | mem::Perms::Global, g_frames, sizes);
  if (r.is_error())
    PANIC("cannot map {} ({:#x}..{:#x}): {}", what, va, va + size, support::error_name(r.error()));
}

// Maps RAM [base, end) into the direct map, leaving out the firmware's ranges and mapping the
// kernel's text read-only.
void map_ram(u64 base, u64 end, const machine::Range& text) {
  const auto& m = machine::info();
  while (base < end) {
    // The next cut: the start or end of a hole (reserved) or of the text alias.
    u64 next = end;
    mem::Perms perms = mem::kRW;
    bool hole = false;
    for (u32 i = 0; i < m.reserved_count; ++i) {
      const auto& r = m.reserved[i];
      bool keep = r.overlaps(m.dtb) || r.overlaps(m.initrd);  // the kernel reads those in place
      if (keep) continue;
      u64 lo = support::align_down(r.base, mem::kPageSize);
      u64 hi = support::align_up(r.end(), mem::kPageSize);
      if (base >= lo && base < hi) {
        hole = true;
        next = support::min(next, hi);
      } else if (lo > base) {
        next = support::min(next, lo);
      }
    }
    if (!hole) {
      if (base >= text.base && base < text.end()) {
        perms = mem::Perms::Read;
        next = support::min(next, text.end());
      } else if (text.base > base) {
        next = support::min(next, text.base);
      }
      map_or_panic(machine::phys_to_virt(base), base, next - base, perms, mem::PageSizes::Large,
                   "the direct map");
    }
    base = next;
  }
}

void map_device(const machine::Device& device) {
  if (!device.present()) return;
  u64 lo = support::align_down(device.base, mem::kPageSize);
  u64 hi = support::align_up(device.base + device.size, mem::kPageSize);
  for (u64 pa = lo; pa < hi; pa += mem::kPageSize) {
    auto r = table().map(machine::phys_to_virt(pa), pa, mem::kPageSize,
                         mem::kRW | mem::Perms::Global, g_frames, mem::PageSizes::Small);
    if (r.is_error() && r.error() != support::Error::Exists)
      PANIC("cannot map device page {:#x}: {}", pa, support::error_name(r.error()));
  }
}

void flush_batch(void* arg) {
  const auto& batch = *static_cast<const mem::ShootdownBatch*>(arg);
  if (batch.flush_all()) {
    arch::tlb_flush_local_all();
    return;
  }
  for (const auto& range : batch.ranges()) {
    if (range.size > 64 * mem::kPageSize) {
      arch::tlb_flush_local_all();
      return;
    }
    for (u64 va = range.base; va < range.end(); va += mem::kPageSize)
      arch::tlb_flush_local_page(va);
  }
}

const char* outcome_name(mem::FaultOutcome outcome) {
  switch (outcome) {
    case mem::FaultOutcome::Resolved: return "resolved";
    case mem::FaultOutcome::Spurious: return "spurious";
    case mem::FaultOutcome::Unmapped: return "no region";
    case mem::FaultOutcome::Guard: return "guard region";
    case mem::FaultOutcome::Permission: return "not allowed by the region";
    case mem::FaultOutcome::NotCommitted: return "beyond the committed size";
    case mem::FaultOutcome::NoMemory: return "no frame (broken reservation)";
  }
  return "?";
}

const char* access_name(mem::Access access) {
  switch (access) {
    case mem::Access::Read: return "read";
    case mem::Access::Write: return "write";
    case mem::Access::Execute: return "execute";
  }
  return "?";
}

}  // namespace

void init() {
  const auto& m = machine::info();
  machine::Range image{arch::image_phys(_kernel_start),
                       static_cast<u64>(_kernel_end - _kernel_start)};

  mem::PhysRange usable[machine::kMaxRanges];
  for (u32 i = 0; i < m.memory_count; ++i) usable[i] = {m.memory[i].base, m.memory[i].size};
  mem::PhysRange reserved[machine::kMaxRanges + 3];
  u32 n = 0;
  for (u32 i = 0; i < m.reserved_count; ++i)
    reserved[n++] = {m.reserved[i].base, m.reserved[i].size};
  reserved[n++] = {image.base, image.size};
  reserved[n++] = {m.dtb.base, m.dtb.size};
  if (m.initrd.size != 0) reserved[n++] = {m.initrd.base, m.initrd.size};
  auto init_frames = g_frames.init({usable, m.memory_count}, {reserved, n}, g_window);
  if (init_frames.is_error())
    PANIC("frame allocator: {}", support::error_name(init_frames.error()));
  for (u32 i = 0; i < arch::kMaxCpus; ++i) new (g_cache_storage[i]) mem::FrameCache(g_frames);

  arch::PteFormat format = arch::pte_format();
  auto created = mem::PageTable<arch::PteFormat>::create(format, g_window, g_frames);
  if (created.is_error()) PANIC("no frame for the kernel page table");
  new (g_page_table_storage) mem::PageTable<arch::PteFormat>(created.release_value());

  // The image, section by section: nothing both writable and executable.
  u64 kstart = reinterpret_cast<u64>(_kernel_start);
  u64 rodata = reinterpret_cast<u64>(_rodata_start);
  u64 rodata_end = support::align_up(reinterpret_cast<u64>(_rodata_end), mem::kPageSize);
  u64 data = reinterpret_cast<u64>(_data_start);
  u64 ksyms = reinterpret_cast<u64>(_ksyms_start);
  u64 kend = reinterpret_cast<u64>(_kernel_end);
  map_or_panic(kstart, kstart - arch::kKernelOffset, rodata - kstart, mem::kRX,
               mem::PageSizes::Small, "kernel text");
  map_or_panic(rodata, rodata - arch::kKernelOffset, rodata_end - rodata, mem::Perms::Read,
               mem::PageSizes::Small, "kernel rodata");
  map_or_panic(data, data - arch::kKernelOffset, ksyms - data, mem::kRW, mem::PageSizes::Small,
               "kernel data");
  map_or_panic(ksyms, ksyms - arch::kKernelOffset, kend - ksyms, mem::Perms::Read,
               mem::PageSizes::Small, "kernel symbols");

  machine::Range text{kstart - arch::kKernelOffset, rodata - kstart};
  for (u32 i = 0; i < m.memory_count; ++i) {
    u64 lo = support::align_up(m.memory[i].base, mem::kPageSize);
    u64 hi = support::align_down(m.memory[i].end(), mem::kPageSize);
    map_ram(lo, hi, text);
  }
  map_device(m.uart);
  map_device(m.plic);
  map_device(m.rtc);
  map_device(m.test_device);
  for (u32 i = 0; i < m.virtio_count; ++i) map_device(m.virtio[i]);

  kernel_satp_value = arch::mmu_activate(table().root(), format);

  if (format.level_count() == 4) {
    g_kernel_space_range = {arch::kKernelSpaceSv48, arch::kKernelSpaceSv48Size};
  } else {
    g_kernel_space_range = {arch::kKernelSpaceSv39, arch::kKernelSpaceSv39Size};
  }
  new (g_space_storage) mem::AddressSpace(table(), g_cpu_frames, g_window, g_shootdown, g_heap,
                                          g_kernel_space_range.base, g_kernel_space_range.end(),
                                          g_frames.stats().total);
  __atomic_store_n(&g_ready, true, __ATOMIC_RELEASE);

  auto s = g_frames.stats();
  LOG_INFO("memory: {} of {} frames free ({} MiB), page table Sv{}, kernel space {:#x}..{:#x}",
           s.free, s.total, (s.free * mem::kPageSize) >> 20, format.level_count() == 4 ? 48 : 39,
           g_kernel_space_range.base, g_kernel_space_range.end());
  LOG_INFO(
      "  kernel   text {:#x}..{:#x} r-x, rodata ..{:#x} r--, data ..{:#x} rw-, symbols ..{:#x}",
      kstart, rodata, rodata_end, ksyms, kend);
}

bool ready() { return __atomic_load_n(&g_ready, __ATOMIC_ACQUIRE); }
mem::FrameAllocator& frames() { return g_frames; }
mem::FrameSource& frame_source() { return g_cpu_frames; }

void drain_frame_caches() {
  auto drain = [](void*) {
    bool irq = arch::interrupts_disable();
    g_cpu_frames.cache().drain_all();
    arch::interrupts_restore(irq);
  };
  for (u32 i = 0; i < arch::kMaxCpus; ++i) {
    if (smp::cpu(i) != nullptr) (void)smp::call_on(i, drain, nullptr);
  }
}
mem::PhysWindow& window() { return g_window; }
mem::PageMapper& page_table() { return table(); }
mem::AddressSpace& kernel_space() { return *reinterpret_cast<mem::AddressSpace*>(g_space_storage); }
u64 kernel_satp() { return kernel_satp_value; }

void* allocate(usize size, usize align) {
  if (!ready()) return nullptr;
  bool irq = arch::interrupts_disable();
  auto r = g_heap.alloc(size, align);
  arch::interrupts_restore(irq);
  return r.is_ok() ? r.value() : nullptr;
}

void free(void* ptr) {
  if (ptr == nullptr) return;
  bool irq = arch::interrupts_disable();
  auto r = g_heap.free(ptr);
  arch::interrupts_restore(irq);
  if (r.is_error()) PANIC("free({}): {}", ptr, support::error_name(r.error()));
}

mem::HeapStats heap_stats() {
  bool irq = arch::interrupts_disable();
  auto s = g_heap.stats();
  arch::interrupts_restore(irq);
  return s;
}

void trim_heap() {
  bool irq = arch::interrupts_disable();
  g_heap.trim();
  arch::interrupts_restore(irq);
}

support::Result<Stack> allocate_stack(u64 size) {
  size = support::align_up(size, mem::kPageSize);
  mem::ReserveOptions stack;
  stack.size = size;
  stack.backing = mem::Backing::Wired;
  stack.perms = mem::kRW | mem::Perms::Global;
  stack.guard_below = mem::kPageSize;  // stacks grow down: an overflow faults on the guard
  auto& space = kernel_space();
  u64 base = TRY(space.reserve(stack));
  if (auto r = space.commit(base, size); r.is_error()) {
    (void)space.release(base);
    return r.error();
  }
  return Stack{base, base + size};
}

void shootdown(const mem::ShootdownBatch& batch) {
  if (!batch.needs_flush()) return;
  arch::CallRequest requests[arch::kMaxCpus];
  u32 me = arch::this_cpu().id;
  bool posted[arch::kMaxCpus] = {};
  for (u32 i = 0; i < arch::kMaxCpus; ++i) {
    if (i == me || smp::cpu(i) == nullptr) continue;
    requests[i] = {flush_batch, const_cast<mem::ShootdownBatch*>(&batch), 0, nullptr};
    posted[i] = smp::post(i, requests[i]).is_ok();
  }
  flush_batch(const_cast<mem::ShootdownBatch*>(&batch));
  for (u32 i = 0; i < arch::kMaxCpus; ++i) {
    if (!posted[i]) continue;
    while (__atomic_load_n(&requests[i].done, __ATOMIC_ACQUIRE) == 0) smp::serve_calls();
  }
}

bool handle_page_fault(u64 va, mem::Access access, char* report, usize report_size) {
  if (!ready()) return false;
  if (va >= g_kernel_space_range.base && va < g_kernel_space_range.end()) {
    // Trap context, interrupts off: answer cross-calls while the space's lock is taken, since
    // its holder may be in a shootdown waiting for this hart.
    mem::FaultResult result =
        kernel_space().handle_fault(va, access, [](void*) { smp::serve_calls(); }, nullptr);
    if (result.retry()) {
      arch::tlb_flush_local_page(va & ~(mem::kPageSize - 1));
      return true;
    }
    if (result.region) {
      support::format_to_buffer(report, report_size, "{} of {:#x}: {} (region {:#x}..{:#x})",
                                access_name(access), va, outcome_name(result.outcome),
                                result.region->base, result.region->base + result.region->size);
    } else {
      support::format_to_buffer(report, report_size, "{} of {:#x}: {}", access_name(access), va,
                                outcome_name(result.outcome));
    }
    return false;
  }
  if (table().is_spurious_fault(va, access)) {
    arch::tlb_flush_local_page(va & ~(mem::kPageSize - 1));
    return true;
  }
  auto t = table().query(va);
  support::format_to_buffer(report, report_size, "{} of {:#x}: {}", access_name(access), va,
                            t ? "not allowed by the mapping" : "not mapped");
  return false;
}

void print_stats() {
  auto s = g_frames.stats();
  static constexpr const char* kKinds[] = {"heap", "page tables", "programs", "caches", "other"};
  console::print("  frames: {} total, {} free ({} in CPU caches), {} metadata\n", s.total, s.free,
                 s.cached, s.metadata);
  for (usize k = 0; k < 5; ++k) console::print("    {:<12} {}\n", kKinds[k], s.used[k]);
  auto h = heap_stats();
  console::print("  heap: {} allocations, {} bytes in use, {} pages, {} failed\n", h.allocations,
                 h.bytes_in_use, h.pages, h.failed);
  auto k = kernel_space().stats();
  console::print("  kernel space: {} regions, {} pages committed, {} resident\n", k.regions,
                 k.committed_pages, k.resident_pages);
}

}  // namespace kmem

// Host stand-ins for what the kernel provides to lib/mem: simulated physical memory (PhysWindow), a
// frame source with a failure budget, a fake TLB shootdown, a malloc-backed object allocator and
// page provider.
#pragma once

#include <arch/pte_format.h>
#include <gtest/gtest.h>
#include <mem/frame_allocator.h>
#include <mem/heap.h>
#include <mem/page_table.h>
#include <mem/shootdown.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>

namespace mem_test {

using namespace mem;

// Simulated RAM starts where it does on QEMU's virt machine.
constexpr PhysAddr kRam = 0x80000000;
constexpr u64 kMiB = 1 << 20;

// Page tables in the real Sv39/Sv48 entry layout (the kernel's header-only PTE format).
using arch::RiscvPteFormat;
using Table = PageTable<RiscvPteFormat>;

// [base, base + size) of "physical" memory backed by a host buffer.
class HostMemory final : public PhysWindow {
 public:
  HostMemory(PhysAddr base, u64 size) : base_(base), size_(size) {
    buffer_ = static_cast<u8*>(std::aligned_alloc(kPageSize, size));
  }
  ~HostMemory() { std::free(buffer_); }
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;

  void* virtual_of(PhysAddr phys) override {
    if (phys < base_ || phys - base_ >= size_) {
      ADD_FAILURE() << "virtual_of outside simulated RAM: 0x" << std::hex << phys;
      std::abort();
    }
    return buffer_ + (phys - base_);
  }
  PhysAddr base() const { return base_; }
  u64 size() const { return size_; }
  PhysRange range() const { return PhysRange{base_, size_}; }

 private:
  PhysAddr base_;
  u64 size_;
  u8* buffer_;
};

// A FrameSource in front of another that refuses once `budget` frames are out (allocated or
// reserved), to inject allocation failures.
class BudgetFrames final : public FrameSource {
 public:
  explicit BudgetFrames(FrameSource& inner, u64 budget = ~u64{0})
      : inner_(inner), budget_(budget) {}
  void set_budget(u64 budget) { budget_ = budget; }
  u64 out() const { return out_; }

  Result<PhysAddr> alloc_frame(FrameKind kind) override {
    if (out_ + 1 > budget_) return Error::NoMemory;
    PhysAddr frame = TRY(inner_.alloc_frame(kind));
    ++out_;
    return frame;
  }
  Result<void> free_frame(PhysAddr frame) override {
    TRY(inner_.free_frame(frame));
    --out_;
    return {};
  }
  Result<void> reserve_frames(u64 count) override {
    if (out_ + count > budget_) return Error::NoMemory;
    TRY(inner_.reserve_frames(count));
    out_ += count;
    return {};
  }
  void unreserve_frames(u64 count) override {
    inner_.unreserve_frames(count);
    out_ -= count;
  }
  PhysAddr alloc_reserved_frame(FrameKind kind) override {
    return inner_.alloc_reserved_frame(kind);  // already counted by reserve_frames
  }

 private:
  FrameSource& inner_;
  u64 budget_;
  u64 out_ = 0;
};

// Records shootdowns and checks that no frame in a batch was freed before the shootdown.
class FakeTlb final : public TlbShootdown {
 public:
  explicit FakeTlb(FrameAllocator* frames = nullptr) : frames_(frames) {}
  void shootdown(const ShootdownBatch& batch) override {
    if (on_shootdown) on_shootdown();
    ++shootdowns;
    frames_flushed += batch.frames().size();
    if (frames_ != nullptr)
      for (PhysAddr f : batch.frames())
        EXPECT_TRUE(frames_->order_of(f).is_ok()) << "frame freed before its shootdown";
  }
  u64 shootdowns = 0;
  u64 frames_flushed = 0;
  std::function<void()> on_shootdown;  // runs first, with the address space's lock held

 private:
  FrameAllocator* frames_;
};

class MallocObjects final : public Allocator {
 public:
  void* allocate(usize size, usize align) override {
    if (fail) return nullptr;
    ++live;
    return std::aligned_alloc(align < 16 ? 16 : align, (size + 15) & ~usize{15});
  }
  void deallocate(void* ptr) override {
    if (ptr == nullptr) return;
    --live;
    std::free(ptr);
  }
  bool fail = false;
  i64 live = 0;
};

class HostPages final : public PageProvider {
 public:
  void* alloc_pages(u64 pages) override {
    if (held + pages > limit) return nullptr;
    held += pages;
    u64 align = kPageSize;
    while (align < kPageSize * pages) align *= 2;
    return std::aligned_alloc(align, align);
  }
  void free_pages(void* base, u64 pages) override {
    held -= pages;
    std::free(base);
  }
  u64 held = 0;
  u64 limit = ~u64{0};
};

}  // namespace mem_test

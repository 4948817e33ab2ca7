// Vocabulary of the memory library: addresses, permissions, access kinds, frame kinds, and the two
// interfaces through which the library reaches physical memory (PhysWindow) and frames
// (FrameSource). lib/mem never touches a real address or a CSR: the kernel implements these.
#pragma once

#include <support/result.h>
#include <support/types.h>

namespace mem {

using support::Error;
using support::Result;

using PhysAddr = u64;
using VirtAddr = u64;

inline constexpr u32 kPageShift = 12;
inline constexpr u64 kPageSize = u64{1} << kPageShift;

constexpr bool is_page_aligned(u64 value) { return (value & (kPageSize - 1)) == 0; }

// Permissions of a mapping or region. A bit set; combine with |.
enum class Perms : u8 {
  None = 0,
  Read = 1,
  Write = 2,
  Execute = 4,
  User = 8,     // accessible from U-mode
  Global = 16,  // present in every address space (kernel mappings)
};
constexpr Perms operator|(Perms a, Perms b) { return Perms(u8(a) | u8(b)); }
constexpr Perms operator&(Perms a, Perms b) { return Perms(u8(a) & u8(b)); }
constexpr Perms operator~(Perms a) { return Perms(~u8(a) & 31); }
constexpr bool has(Perms set, Perms bits) { return (u8(set) & u8(bits)) == u8(bits); }
inline constexpr Perms kRW = Perms::Read | Perms::Write;
inline constexpr Perms kRX = Perms::Read | Perms::Execute;

// The kind of access that faulted (from scause: load, store/AMO, instruction fetch).
enum class Access : u8 { Read, Write, Execute };

constexpr bool perms_allow(Perms perms, Access access) {
  switch (access) {
    case Access::Read: return has(perms, Perms::Read);
    case Access::Write: return has(perms, Perms::Write);
    case Access::Execute: return has(perms, Perms::Execute);
  }
  return false;
}

// What a frame is used for; the frame allocator keeps a counter per kind.
enum class FrameKind : u8 {
  KernelHeap = 0,
  PageTable,
  Program,  // program (wasm linear) memory and other address-space pages
  Cache,    // file/block caches
  Other,
  CpuCached,  // internal: held in a per-CPU FrameCache, counted as free
  kCount,
};
inline constexpr usize kFrameKindCount = usize(FrameKind::kCount);

// Short lower-case names for statistics ("heap", "page tables", ...).
constexpr const char* frame_kind_name(FrameKind kind) {
  switch (kind) {
    case FrameKind::KernelHeap: return "heap";
    case FrameKind::PageTable: return "page tables";
    case FrameKind::Program: return "programs";
    case FrameKind::Cache: return "caches";
    case FrameKind::Other: return "other";
    case FrameKind::CpuCached: return "cpu caches";
    case FrameKind::kCount: break;
  }
  return "?";
}

// A half-open physical range [base, base + size).
struct PhysRange {
  PhysAddr base = 0;
  u64 size = 0;
  PhysAddr end() const { return base + size; }
};

// A half-open virtual range [base, base + size).
struct VirtRange {
  VirtAddr base = 0;
  u64 size = 0;
  VirtAddr end() const { return base + size; }
};

// How the library reaches physical memory: the kernel answers with its direct map, host tests with
// a buffer. Must be valid for every frame the library is given (RAM only, never MMIO).
class PhysWindow {
 public:
  virtual void* virtual_of(PhysAddr phys) = 0;

 protected:
  ~PhysWindow() = default;
};

// Where single 4 KiB frames come from (FrameAllocator, FrameCache, or a kernel adapter that picks
// the current CPU's FrameCache).
//
// Reservations make "fail at commit time, never later" possible: reserve_frames(n) succeeds only
// when n frames are free and not promised to anyone else; each alloc_reserved_frame() then draws
// one of them and cannot fail. Frames are not zeroed by the source.
class FrameSource {
 public:
  // One frame, not promised to anyone. Error::NoMemory when none is available.
  virtual Result<PhysAddr> alloc_frame(FrameKind kind) = 0;
  // Returns a frame or run (any order) allocated from this allocator family. Error::Invalid when
  // `frame` is not the start of an allocated run, Error::NotFound when it is already free (double
  // free). Nothing changes on error.
  virtual Result<void> free_frame(PhysAddr frame) = 0;
  // Promises `count` frames to the caller. Error::NoMemory (and nothing reserved) otherwise.
  virtual Result<void> reserve_frames(u64 count) = 0;
  virtual void unreserve_frames(u64 count) = 0;
  // One frame out of an earlier reservation. Never fails while the caller holds a reservation.
  virtual PhysAddr alloc_reserved_frame(FrameKind kind) = 0;

 protected:
  ~FrameSource() = default;
};

// General-purpose object allocation (the kernel heap implements it); used for Region objects.
class Allocator {
 public:
  // nullptr on failure. `align` is a power of two.
  virtual void* allocate(usize size, usize align) = 0;
  virtual void deallocate(void* ptr) = 0;

 protected:
  ~Allocator() = default;
};

}  // namespace mem

// Heap: the kernel's general allocator. Size classes from 16 to 1024 bytes are served from
// one-page slabs (a 128-byte header with an occupancy bitmap at the start of each page); larger
// requests, and alignments above 64, take their own run of pages (as many as they need, not a
// power of two) with a 16-byte header at the start of the run (and a copy just below the returned
// pointer when the alignment puts it further in). Pages come from a PageProvider (the kernel's
// frame allocator through the direct map). FIXME(mem): requests between 1 KiB and a page take a
// whole page; 2 and 4 KiB classes on multi-page slabs would halve that waste.
//
// Failure is a null/Error::NoMemory, never a panic. Freeing a pointer the heap did not return, or
// freeing a slab object twice, is detected (Error::Invalid / Error::NotFound); the double free of a
// page run is detected only while its pages are not reused, and `free` reads the 16 bytes below a
// page-aligned pointer, so it must be a pointer into kernel memory. With poisoning on,
// freed memory is filled with kPoisonByte and checked when handed out again: a write after free is
// counted in HeapStats::poison_errors.
//
// Locking: one internal SpinLock; the PageProvider is called with it held (lock order: heap, then
// frame allocator). The kernel disables interrupts around calls if interrupt handlers allocate.
#pragma once

#include <mem/types.h>
#include <support/spinlock.h>

namespace mem {

// Runs of contiguous pages reachable by the CPU (kernel: the direct map), each aligned to the
// smallest power of two not below its size (so that an allocation aligned to more than a page
// finds its alignment in the run).
class PageProvider {
 public:
  virtual void* alloc_pages(u64 pages) = 0;  // nullptr when out of memory
  virtual void free_pages(void* base, u64 pages) = 0;

 protected:
  ~PageProvider() = default;
};

enum class Poison : u8 { No, Yes };

struct HeapStats {
  u64 allocations = 0;   // live allocations
  u64 bytes_in_use = 0;  // usable bytes handed out (size class, or page run minus header)
  u64 pages = 0;         // pages held from the PageProvider
  u64 slabs = 0;
  u64 large = 0;          // live page-run allocations
  u64 failed = 0;         // allocations that returned an error
  u64 poison_errors = 0;  // freed objects found modified when reused
};

class Heap final : public Allocator {
 public:
  static constexpr u8 kPoisonByte = 0xde;
  static constexpr usize kSlabHeader = 128;
  static constexpr usize kClassCount = 12;
  static constexpr u32 kClassSizes[kClassCount] = {16,  32,  48,  64,  96,  128,
                                                   192, 256, 384, 512, 768, 1024};
  static constexpr u32 kMaxLargePages = 1u << 18;  // 1 GiB

  Heap(PageProvider& pages, Poison poison);
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;
  // Gives back cached empty slabs. Live allocations are the caller's leak.
  ~Heap();

  // `size` bytes aligned to `align` (a power of two; 16 is always met). Error::NoMemory when
  // pages run out, Error::Invalid for a bad alignment or an absurd size.
  Result<void*> alloc(usize size, usize align = 16);
  // nullptr is accepted. Error::Invalid for a pointer the heap did not return, Error::NotFound for
  // a slab object already free. Nothing changes on error.
  Result<void> free(void* ptr);
  // The usable size of a live allocation (at least what was asked).
  Result<usize> usable_size(void* ptr);
  HeapStats stats();
  // Returns the cached empty slabs to the PageProvider.
  void trim();

  // Allocator
  void* allocate(usize size, usize align) override;
  void deallocate(void* ptr) override { (void)free(ptr); }

 private:
  struct Slab;
  struct Large;
  static int class_for(usize size, usize align);
  void* alloc_small(int cls) REQUIRES(lock_);
  void* alloc_large(usize size, usize align) REQUIRES(lock_);
  Result<void> free_locked(void* ptr) REQUIRES(lock_);
  Slab* slab_of(void* ptr, Large*& large);
  void unlink(Slab*& list, Slab* slab);
  void push(Slab*& list, Slab* slab);
  void release_slab(Slab* slab) REQUIRES(lock_);
  void check_poison(const u8* ptr, usize size) REQUIRES(lock_);

  support::SpinLock lock_;
  PageProvider& pages_;
  bool poison_;
  // Slabs with free and used objects, linked in their headers.
  Slab* partial_[kClassCount] GUARDED_BY(lock_) = {};
  Slab* empty_[kClassCount] GUARDED_BY(lock_) = {};  // at most one cached empty slab per class
  HeapStats stats_ GUARDED_BY(lock_);
};

}  // namespace mem

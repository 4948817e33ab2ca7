#include <mem/heap.h>
#include <support/allocation_cost.h>

namespace mem {

namespace {
constexpr u32 kSlabMagic = 0x5a4b4c53;   // "SLKZ"
constexpr u32 kLargeMagic = 0x4752414c;  // "LARG"
constexpr usize kLargeHeader = 16;
}  // namespace

struct Heap::Slab {
  u32 magic;
  u16 cls;
  u16 used;
  u16 capacity;
  u16 pad[3];
  Slab* prev;
  Slab* next;
  u64 bitmap[4];  // bit set: object in use

  u8* object(usize index) {
    return reinterpret_cast<u8*>(this) + kSlabHeader + index * kClassSizes[cls];
  }
};

struct Heap::Large {
  u32 magic;
  u32 pages;
  u32 offset;  // from the start of the run to the returned pointer
  u32 pad;
};

namespace {
// support::allocation_cost charges what this heap takes: its classes, then whole pages.
constexpr bool allocation_cost_is_ours() {
  if (sizeof support::kHeapClasses / sizeof support::kHeapClasses[0] != Heap::kClassCount) {
    return false;
  }
  for (usize i = 0; i < Heap::kClassCount; ++i) {
    if (support::kHeapClasses[i] != Heap::kClassSizes[i]) return false;
  }
  return support::allocation_cost(kPageSize - kLargeHeader) == kPageSize &&
         support::allocation_cost(kPageSize - kLargeHeader + 1) == 2 * kPageSize;
}
}  // namespace

Heap::Heap(PageProvider& pages, Poison poison) : pages_(pages), poison_(poison == Poison::Yes) {
  static_assert(allocation_cost_is_ours());
  static_assert(sizeof(Slab) <= kSlabHeader);
  static_assert((kPageSize - kSlabHeader) / 16 <= 256, "bitmap too small");
  static_assert(sizeof(Large) == kLargeHeader);
}

Heap::~Heap() { trim(); }

int Heap::class_for(usize size, usize align) {
  if (align > 64) return -1;
  if (size == 0) size = 1;
  for (usize c = 0; c < kClassCount; ++c)
    if (kClassSizes[c] >= size && kClassSizes[c] % align == 0) return static_cast<int>(c);
  return -1;
}

void Heap::push(Slab*& list, Slab* slab) {
  slab->prev = nullptr;
  slab->next = list;
  if (list) list->prev = slab;
  list = slab;
}

void Heap::unlink(Slab*& list, Slab* slab) {
  if (slab->prev)
    slab->prev->next = slab->next;
  else
    list = slab->next;
  if (slab->next) slab->next->prev = slab->prev;
  slab->prev = slab->next = nullptr;
}

void Heap::check_poison(const u8* ptr, usize size) {
  for (usize i = 0; i < size; ++i) {
    if (ptr[i] != kPoisonByte) {
      ++stats_.poison_errors;
      return;
    }
  }
}

void* Heap::alloc_small(int cls) {
  Slab* slab = partial_[cls];
  if (slab == nullptr) {
    slab = empty_[cls];
    if (slab != nullptr) {
      empty_[cls] = nullptr;
    } else {
      void* page = pages_.alloc_pages(1);
      if (page == nullptr) return nullptr;
      slab = static_cast<Slab*>(page);
      __builtin_memset(slab, 0, kSlabHeader);
      slab->magic = kSlabMagic;
      slab->cls = static_cast<u16>(cls);
      slab->capacity = static_cast<u16>((kPageSize - kSlabHeader) / kClassSizes[cls]);
      if (poison_)
        __builtin_memset(reinterpret_cast<u8*>(slab) + kSlabHeader, kPoisonByte,
                         kPageSize - kSlabHeader);
      ++stats_.pages;
      ++stats_.slabs;
    }
    push(partial_[cls], slab);
  }
  usize index = 0;
  for (usize w = 0; w < 4; ++w) {
    if (~slab->bitmap[w] != 0) {
      index = w * 64 + static_cast<usize>(__builtin_ctzll(~slab->bitmap[w]));
      break;
    }
  }
  slab->bitmap[index / 64] |= u64{1} << (index % 64);
  if (++slab->used == slab->capacity) unlink(partial_[cls], slab);
  u8* object = slab->object(index);
  if (poison_) check_poison(object, kClassSizes[cls]);
  return object;
}

void* Heap::alloc_large(usize size, usize align) {
  usize offset = align > kLargeHeader ? align : kLargeHeader;
  if (size > kPageSize * kMaxLargePages - offset) return nullptr;
  u64 pages = (offset + size + kPageSize - 1) >> kPageShift;
  u8* base = static_cast<u8*>(pages_.alloc_pages(pages));
  if (base == nullptr) return nullptr;
  Large header{kLargeMagic, static_cast<u32>(pages), static_cast<u32>(offset), 0};
  __builtin_memcpy(base, &header, sizeof header);
  u8* user = base + offset;
  if (offset > kLargeHeader) __builtin_memcpy(user - kLargeHeader, &header, sizeof header);
  stats_.pages += pages;
  stats_.bytes_in_use += kPageSize * pages - offset;
  ++stats_.large;
  return user;
}

Result<void*> Heap::alloc(usize size, usize align) {
  if (!support::is_power_of_two(align)) return Error::Invalid;
  if (align < 16) align = 16;
  support::LockGuard guard(lock_);
  int cls = class_for(size, align);
  void* ptr = cls >= 0 ? alloc_small(cls) : alloc_large(size, align);
  if (ptr == nullptr) {
    ++stats_.failed;
    return Error::NoMemory;
  }
  ++stats_.allocations;
  if (cls >= 0) stats_.bytes_in_use += kClassSizes[cls];
  return ptr;
}

void* Heap::allocate(usize size, usize align) {
  Result<void*> ptr = alloc(size, align);
  return ptr.is_ok() ? ptr.value() : nullptr;
}

// The slab holding `ptr`, or nullptr with `large` set for a page-run allocation, or both null.
Heap::Slab* Heap::slab_of(void* ptr, Large*& large) {
  large = nullptr;
  uptr address = reinterpret_cast<uptr>(ptr);
  if ((address & (kPageSize - 1)) == 0) {
    // Slab objects never start a page (the header does): a page-aligned pointer is a large run.
    Large* copy = reinterpret_cast<Large*>(address - kLargeHeader);
    if (copy->magic != kLargeMagic || copy->offset < kPageSize) return nullptr;
    Large* head = reinterpret_cast<Large*>(address - copy->offset);
    if (head->magic == kLargeMagic && head->offset == copy->offset) large = head;
    return nullptr;
  }
  u8* page = reinterpret_cast<u8*>(address & ~(kPageSize - 1));
  u32 magic;
  __builtin_memcpy(&magic, page, sizeof magic);
  if (magic == kSlabMagic) return reinterpret_cast<Slab*>(page);
  if (magic == kLargeMagic) {
    Large* head = reinterpret_cast<Large*>(page);
    if (page + head->offset == ptr) large = head;
  }
  return nullptr;
}

void Heap::release_slab(Slab* slab) {
  slab->magic = 0;
  pages_.free_pages(slab, 1);
  --stats_.pages;
  --stats_.slabs;
}

Result<void> Heap::free_locked(void* ptr) {
  Large* large;
  Slab* slab = slab_of(ptr, large);
  if (large != nullptr) {
    u64 pages = large->pages;
    u8* base = reinterpret_cast<u8*>(large);
    if (large->offset > kLargeHeader)
      reinterpret_cast<Large*>(base + large->offset - kLargeHeader)->magic = 0;
    large->magic = 0;
    usize usable = kPageSize * pages - large->offset;
    pages_.free_pages(base, pages);
    stats_.pages -= pages;
    --stats_.large;
    --stats_.allocations;
    stats_.bytes_in_use -= usable;
    return {};
  }
  if (slab == nullptr) return Error::Invalid;
  usize size = kClassSizes[slab->cls];
  usize offset = static_cast<usize>(static_cast<u8*>(ptr) - reinterpret_cast<u8*>(slab));
  if (offset < kSlabHeader || (offset - kSlabHeader) % size != 0) return Error::Invalid;
  usize index = (offset - kSlabHeader) / size;
  if (index >= slab->capacity) return Error::Invalid;
  u64 bit = u64{1} << (index % 64);
  if ((slab->bitmap[index / 64] & bit) == 0) return Error::NotFound;
  slab->bitmap[index / 64] &= ~bit;
  if (poison_) __builtin_memset(ptr, kPoisonByte, size);
  int cls = slab->cls;
  if (slab->used-- == slab->capacity) push(partial_[cls], slab);
  if (slab->used == 0) {
    unlink(partial_[cls], slab);
    if (empty_[cls] == nullptr)
      empty_[cls] = slab;
    else
      release_slab(slab);
  }
  --stats_.allocations;
  stats_.bytes_in_use -= size;
  return {};
}

Result<void> Heap::free(void* ptr) {
  if (ptr == nullptr) return {};
  support::LockGuard guard(lock_);
  return free_locked(ptr);
}

Result<usize> Heap::usable_size(void* ptr) {
  support::LockGuard guard(lock_);
  Large* large;
  Slab* slab = slab_of(ptr, large);
  if (large != nullptr) return kPageSize * large->pages - large->offset;
  if (slab == nullptr) return Error::Invalid;
  return usize{kClassSizes[slab->cls]};
}

HeapStats Heap::stats() {
  support::LockGuard guard(lock_);
  return stats_;
}

void Heap::trim() {
  support::LockGuard guard(lock_);
  for (usize c = 0; c < kClassCount; ++c) {
    if (empty_[c] != nullptr) {
      release_slab(empty_[c]);
      empty_[c] = nullptr;
    }
  }
}

}  // namespace mem

#include "pool_memory.h"

#include <sys/mman.h>

#include <cstring>

namespace wasm_diff {

PoolMemoryProvider::PoolMemoryProvider(uint64_t max_bytes) : slot_bytes_(max_bytes + 65536) {}

PoolMemoryProvider::~PoolMemoryProvider() {
  for (Slot& s : slots_)
    if (s.base != nullptr) munmap(s.base, slot_bytes_);
}

PoolMemoryProvider::Slot* PoolMemoryProvider::find(uint8_t* base) {
  for (Slot& s : slots_)
    if (s.used && s.base == base) return &s;
  return nullptr;
}

uint8_t* PoolMemoryProvider::reserve(uint64_t initial_bytes, uint64_t max_bytes) {
  Slot* slot = nullptr;
  if (max_bytes < slot_bytes_) {
    for (Slot& s : slots_) {
      if (!s.used) {
        slot = &s;
        break;
      }
    }
  }
  if (slot == nullptr) return fallback_.reserve(initial_bytes, max_bytes);
  if (slot->base == nullptr) {
    void* p =
        mmap(nullptr, slot_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    slot->base = static_cast<uint8_t*>(p);
  }
  slot->used = true;
  if (!commit(slot->base, 0, initial_bytes)) {
    slot->used = false;
    return nullptr;
  }
  return slot->base;
}

bool PoolMemoryProvider::commit(uint8_t* base, uint64_t old_bytes, uint64_t new_bytes) {
  Slot* slot = find(base);
  if (slot == nullptr) return fallback_.commit(base, old_bytes, new_bytes);
  if (new_bytes > slot->readable) {
    if (mprotect(base + slot->readable, new_bytes - slot->readable, PROT_READ | PROT_WRITE) != 0)
      return false;
  } else if (new_bytes < slot->readable) {
    if (mprotect(base + new_bytes, slot->readable - new_bytes, PROT_NONE) != 0) return false;
  }
  slot->readable = new_bytes;
  // Bytes an earlier instance wrote read as zero again.
  if (slot->dirty > old_bytes) {
    uint64_t end = slot->dirty < new_bytes ? slot->dirty : new_bytes;
    if (end > old_bytes) memset(base + old_bytes, 0, end - old_bytes);
  }
  return true;
}

void PoolMemoryProvider::release(uint8_t* base, uint64_t max_bytes) {
  Slot* slot = find(base);
  if (slot == nullptr) {
    fallback_.release(base, max_bytes);
    return;
  }
  if (slot->readable > slot->dirty) slot->dirty = slot->readable;
  slot->used = false;
}

}  // namespace wasm_diff

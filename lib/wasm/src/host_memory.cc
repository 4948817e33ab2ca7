#include <sys/mman.h>
#include <wasm/host.h>

namespace wasm {

u8* MmapMemoryProvider::reserve(u64 initial_bytes, u64 max_bytes) {
  if (max_bytes == 0) max_bytes = 1;  // a zero-page memory still gets a distinct base
  void* p = mmap(nullptr, max_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (initial_bytes != 0 && mprotect(p, initial_bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(p, max_bytes);
    return nullptr;
  }
  return static_cast<u8*>(p);
}

bool MmapMemoryProvider::commit(u8* base, u64 old_bytes, u64 new_bytes) {
  return mprotect(base, new_bytes, PROT_READ | PROT_WRITE) == 0;
  (void)old_bytes;
}

void MmapMemoryProvider::release(u8* base, u64 max_bytes) {
  if (base != nullptr) munmap(base, max_bytes == 0 ? 1 : max_bytes);
}

}  // namespace wasm

// Bounds-checked access to a program's linear memory, for host functions: check a whole range
// with ok() first, then read and write in it. Values are little-endian, as in WebAssembly (every
// platform Warden builds for is little-endian too).
#pragma once

#include <wasm/runtime.h>

namespace wasm {

struct GuestMemory {
  u8* base = nullptr;
  u64 size = 0;

  // The memory as it is now (none: every range fails ok()).
  static GuestMemory of(const Memory* memory) {
    return memory != nullptr ? GuestMemory{memory->base, memory->size} : GuestMemory{};
  }
  bool ok(u64 ptr, u64 len) const { return ptr <= size && len <= size - ptr; }
  u8* at(u64 ptr) const { return base + ptr; }
  template <typename T> T get(u64 ptr) const {
    T v;
    __builtin_memcpy(&v, base + ptr, sizeof(T));
    return v;
  }
  template <typename T> void put(u64 ptr, T v) const {
    __builtin_memcpy(base + ptr, &v, sizeof(T));
  }
};

}  // namespace wasm

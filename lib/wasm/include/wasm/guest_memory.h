// Access to a program's linear memory for host functions (WASI, the kernel's `warden` module).
//
// The rule it shapes: **a guest structure is read once.** A host function copies each structure
// it needs from guest memory (an iovec array, a poll subscription, a path, a spawn request) into
// host memory with copy_in, checks the copy, and from then on uses only the copy. The program can
// change its memory at any moment (another thread of it, another hart in the kernel, or the very
// transfer the call makes: an fd_read whose buffer covers its own iovec array), so a value read
// twice may differ between the check and the use. There is no unchecked read.
//
//   reads     copy_in(ptr, value) / copy_in(ptr, span): checked, copied once; Fault when any byte
//             is outside the memory.
//   writes    check every output range with ok() before the call changes anything (a failing call
//             changes nothing), then put/copy_out at the commit point. Memory never shrinks, so a
//             checked range stays valid; put/copy_out check again and write nothing outside.
//   data      bytes(ptr, len): the range itself, for bulk data the host moves but never
//             interprets (file and console contents, random bytes). Its contents may change
//             during the transfer; that only changes what the program reads or writes.
//
// Values are little-endian, as in WebAssembly (every platform Warden builds for is little-endian
// too), so a structure type whose layout is the guest's (GuestLayout: trivially copyable, no
// hidden padding, padding spelled out as members) is copied byte for byte.
#pragma once

#include <support/result.h>
#include <support/span.h>
#include <wasm/runtime.h>

namespace wasm {

// A type whose bytes are exactly its guest layout.
template <typename T>
concept GuestLayout = __is_trivially_copyable(T) && __has_unique_object_representations(T);

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(u8* base, u64 size) : base_(base), size_(size) {}
  // The memory as it is now (none: every range fails).
  static GuestMemory of(const Memory* memory) {
    return memory != nullptr ? GuestMemory(memory->base, memory->size) : GuestMemory();
  }

  u64 size() const { return size_; }
  // Whether [ptr, ptr + len) is inside the memory (never overflows).
  bool ok(u64 ptr, u64 len) const { return ptr <= size_ && len <= size_ - ptr; }

  // Copy-in of one structure or scalar.
  template <GuestLayout T> [[nodiscard]] support::Result<void> copy_in(u64 ptr, T& out) const {
    return copy_in_bytes(ptr, &out, sizeof(T));
  }
  // Copy-in of out.size() consecutive structures (an array); the caller bounds out.size().
  template <GuestLayout T>
  [[nodiscard]] support::Result<void> copy_in(u64 ptr, support::Span<T> out) const {
    if (out.size() > ~u64{0} / sizeof(T)) return support::Error::Fault;
    return copy_in_bytes(ptr, out.data(), out.size() * sizeof(T));
  }

  // Stores at the commit point (check the range with ok() first); nothing outside is written.
  template <GuestLayout T> void put(u64 ptr, const T& value) const {
    if (ok(ptr, sizeof(T))) __builtin_memcpy(base_ + ptr, &value, sizeof(T));
  }
  void copy_out(u64 ptr, support::Bytes data) const {
    if (ok(ptr, data.size()) && !data.empty())
      __builtin_memcpy(base_ + ptr, data.data(), data.size());
  }
  void fill(u64 ptr, u8 value, u64 len) const {
    if (ok(ptr, len) && len != 0) __builtin_memset(base_ + ptr, value, len);
  }

  // Bulk data in place (see the header comment): never parse or check what it holds.
  [[nodiscard]] support::Result<support::Span<u8>> bytes(u64 ptr, u64 len) const {
    if (!ok(ptr, len)) return support::Error::Fault;
    return support::Span<u8>(base_ + ptr, len);
  }

 private:
  support::Result<void> copy_in_bytes(u64 ptr, void* out, u64 len) const {
    if (!ok(ptr, len)) return support::Error::Fault;
    if (len != 0) __builtin_memcpy(out, base_ + ptr, len);
    // The copy is what the caller checks and uses: the compiler must not replace a later use of
    // it by a second load from guest memory (it may assume nothing else writes there).
    __asm__ volatile("" : : "r"(out) : "memory");
    return {};
  }

  u8* base_ = nullptr;
  u64 size_ = 0;
};

}  // namespace wasm

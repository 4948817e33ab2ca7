// What the compiler expects from a C++ runtime, in a kernel without libc or libstdc++.
#include <kernel/diag/panic.h>
#include <kernel/mm/memory.h>
#include <support/new.h>
#include <support/result.h>

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<u8*>(dst);
  auto* s = static_cast<const u8*>(src);
  if (((reinterpret_cast<uptr>(d) | reinterpret_cast<uptr>(s)) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8)
      *reinterpret_cast<u64*>(d) = *reinterpret_cast<const u64*>(s);
  }
  while (n-- > 0) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<u8*>(dst);
  auto* s = static_cast<const u8*>(src);
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n-- > 0) d[n] = s[n];
  return dst;
}

void* memset(void* dst, int value, size_t n) {
  auto* d = static_cast<u8*>(dst);
  while (n-- > 0) *d++ = static_cast<u8>(value);
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const u8*>(a);
  auto* y = static_cast<const u8*>(b);
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

void __cxa_pure_virtual() { PANIC("pure virtual function called"); }

// Static objects live as long as the kernel: their destructors are never registered to run.
int atexit(void (*)()) { return 0; }

}  // extern "C"

[[noreturn]] void support_must_failed(const char* expr, const char* file, int line) {
  PANIC("MUST({}) failed at {}:{}", expr, file, line);
}

namespace std {
const nothrow_t nothrow{};
}

// Allocation is the kernel heap's; it fails (nullptr) rather than panics, and before the heap
// exists every allocation fails.
void* operator new(size_t size, const std::nothrow_t&) noexcept { return kmem::allocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return kmem::allocate(size); }
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return kmem::allocate(size, static_cast<size_t>(align));
}
void operator delete(void* ptr) noexcept { kmem::free(ptr); }
void operator delete(void* ptr, size_t) noexcept { operator delete(ptr); }
void operator delete[](void* ptr) noexcept { operator delete(ptr); }
void operator delete[](void* ptr, size_t) noexcept { operator delete(ptr); }
void operator delete(void* ptr, std::align_val_t) noexcept { operator delete(ptr); }

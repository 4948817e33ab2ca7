// Conversions between a hardware tick count at `hz` and nanoseconds, exact and without overflow
// for any 64-bit tick count (a naive ticks * 1e9 / hz overflows after ~30 minutes at 10 MHz).
// `hz` must be in [1, kMaxClockHz]; results saturate at UINT64_MAX. Only 64-bit arithmetic
// (the kernel has no 128-bit division helpers).
#pragma once

#include <support/types.h>

namespace support {

inline constexpr u64 kNanosecondsPerSecond = 1000000000ull;
// Above this, remainder * 1e9 (or 1e9 * hz) could overflow 64 bits.
inline constexpr u64 kMaxClockHz = 18000000000ull;

// floor(ticks * 1e9 / hz).
constexpr u64 ticks_to_ns(u64 ticks, u64 hz) {
  u64 whole = 0;
  if (__builtin_mul_overflow(ticks / hz, kNanosecondsPerSecond, &whole)) return ~0ull;
  u64 part = (ticks % hz) * kNanosecondsPerSecond / hz;  // (ticks % hz) < hz <= kMaxClockHz
  u64 total = 0;
  if (__builtin_add_overflow(whole, part, &total)) return ~0ull;
  return total;
}

// ceil(ns * hz / 1e9): the first tick at or after `ns`, so that a deadline is never early.
constexpr u64 ns_to_ticks_ceil(u64 ns, u64 hz) {
  u64 whole = 0;
  if (__builtin_mul_overflow(ns / kNanosecondsPerSecond, hz, &whole)) return ~0ull;
  u64 part =
      ((ns % kNanosecondsPerSecond) * hz + kNanosecondsPerSecond - 1) / kNanosecondsPerSecond;
  u64 total = 0;
  if (__builtin_add_overflow(whole, part, &total)) return ~0ull;
  return total;
}

}  // namespace support

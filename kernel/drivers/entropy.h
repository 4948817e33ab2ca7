// Wall-clock time and random bytes for programs.
//
// Realtime comes from the `virt` machine's goldfish RTC (nanoseconds since 1970), read once at
// boot and then advanced by the monotonic clock, so it never steps backwards. Random bytes come
// from a ChaCha20 keystream keyed from the device tree's /chosen/rng-seed (QEMU fills it from the
// host's entropy) mixed with the boot time; without a seed they are still produced but
// predictable, and the boot log says so.
#pragma once

#include <support/span.h>

namespace entropy {

// Reads the RTC and keys the generator (after the memory and the device tree are up).
void init();
u64 realtime_ns();
void random_bytes(support::Span<u8> out);

}  // namespace entropy

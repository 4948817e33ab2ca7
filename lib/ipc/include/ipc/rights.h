// Rights: what a handle allows. Each handle of a table carries its own set; a duplicate or a
// transferred handle may have fewer rights than its source, never more.
//
// Bits 0..15 are this library's generic rights (below; unnamed ones are reserved for it). Bits
// 16..63 are the embedder's: the WASI layer puts its own rights there (Rights::embedder(wasi
// rights), 48 bits, WASI preview 1 has 30), so one set says what a descriptor allows.
#pragma once

#include <ipc/flags.h>

namespace ipc {

using Rights = Flags<struct RightsTag, u64>;

namespace right {

inline constexpr Rights kNone{0};
inline constexpr Rights kRead{1u << 0};       // read bytes, messages, connections
inline constexpr Rights kWrite{1u << 1};      // write bytes or messages
inline constexpr Rights kDuplicate{1u << 2};  // make another handle to the same object
inline constexpr Rights kTransfer{1u << 3};   // send the handle through a channel
inline constexpr Rights kWait{1u << 4};       // observe the object's signals (WaitSet)

inline constexpr u32 kEmbedderShift = 16;
// The embedder's rights `bits` (up to 48 of them) as a Rights value, and back.
constexpr Rights embedder(u64 bits) { return Rights(bits << kEmbedderShift); }
constexpr u64 embedder_bits(Rights rights) { return rights.bits() >> kEmbedderShift; }

// "The handle's own rights": for a duplicate or a transfer that keeps them all.
inline constexpr Rights kSame{~u64{0}};

// What the factories give each new handle.
inline constexpr Rights kPipeReader = kRead | kWait | kDuplicate | kTransfer;
inline constexpr Rights kPipeWriter = kWrite | kWait | kDuplicate | kTransfer;
// Like Zircon's channels, no kDuplicate: one holder per end keeps "the peer closed" meaningful.
inline constexpr Rights kChannel = kRead | kWrite | kWait | kTransfer;
inline constexpr Rights kService = kRead | kWait | kTransfer;

}  // namespace right

// `asked` resolved against the rights a handle has: kSame gives `have`; a set that is not a
// subset of `have` is refused (false) -- rights are never increased.
constexpr bool resolve_rights(Rights have, Rights asked, Rights* out) {
  if (asked == right::kSame) {
    *out = have;
    return true;
  }
  if (!have.contains(asked)) return false;
  *out = asked;
  return true;
}

}  // namespace ipc

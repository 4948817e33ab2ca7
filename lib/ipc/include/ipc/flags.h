// Flags<Tag, Bits>: a typed bit set, so that rights and signals cannot be mixed up with each other
// or with plain integers. ipc::Rights and ipc::Signals are its two uses.
#pragma once

#include <support/types.h>

namespace ipc {

template <typename Tag, typename Bits> class Flags {
 public:
  constexpr Flags() = default;
  constexpr explicit Flags(Bits bits) : bits_(bits) {}

  constexpr Bits bits() const { return bits_; }
  constexpr bool empty() const { return bits_ == 0; }
  // Every flag of `other` is set here.
  constexpr bool contains(Flags other) const { return (bits_ & other.bits_) == other.bits_; }
  // At least one flag of `other` is set here.
  constexpr bool any(Flags other) const { return (bits_ & other.bits_) != 0; }

  constexpr Flags operator|(Flags other) const { return Flags(bits_ | other.bits_); }
  constexpr Flags operator&(Flags other) const { return Flags(bits_ & other.bits_); }
  constexpr Flags operator~() const { return Flags(static_cast<Bits>(~bits_)); }
  constexpr Flags& operator|=(Flags other) {
    bits_ |= other.bits_;
    return *this;
  }
  constexpr Flags& operator&=(Flags other) {
    bits_ &= other.bits_;
    return *this;
  }
  constexpr bool operator==(const Flags&) const = default;

 private:
  Bits bits_ = 0;
};

}  // namespace ipc

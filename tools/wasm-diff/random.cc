#include "random.h"

#include "engines.h"

namespace wasm_diff {

namespace {
// The bits of a multiple of 1/4 between -5 and 5, which every float type holds exactly.
template <typename Float, typename Bits> Bits small_quarter(Rng& rng) {
  Float value = static_cast<Float>(static_cast<int32_t>(rng.below(41)) - 20) / 4;
  Bits bits;
  __builtin_memcpy(&bits, &value, sizeof bits);
  return bits;
}
}  // namespace

uint64_t edge_bits(Rng& rng, ValType t) {
  static const uint32_t kI32[] = {0,          1,          2,          0xffffffff, 0x7fffffff,
                                  0x80000000, 0x7ffffffe, 0x80000001, 0xffff,     0x10000,
                                  0x8000,     0xff,       0x80,       31,         32,
                                  33,         63,         64,         0xfffffffe, 0xffff0000};
  static const uint64_t kI64[] = {0,
                                  1,
                                  2,
                                  ~0ull,
                                  0x7fffffffffffffffull,
                                  0x8000000000000000ull,
                                  0x8000000000000001ull,
                                  0xffffffffull,
                                  0x100000000ull,
                                  0x7fffffffull,
                                  0xffffffff80000000ull,
                                  0x80000000ull,
                                  63,
                                  64,
                                  65,
                                  0xfffffffffffffffeull};
  static const uint32_t kF32[] = {
      0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000,
      0xffc00000, 0x7fa00000, 0x7fc00001, 0xff800001, 0x00000001, 0x007fffff, 0x00800000,
      0x7f7fffff, 0xff7fffff, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000, 0xdf000000,
      0x5f800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x4effffff,
      0xcf000001, 0x4f7fffff, 0xbf7fffff, 0x3effffff, 0x4b000001, 0xcb7fffff};
  static const uint64_t kF64[] = {
      0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
      0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
      0x7ff4000000000000ull, 0x7ff8000000000001ull, 0xfff0000000000001ull, 0x0000000000000001ull,
      0x000fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull, 0xffefffffffffffffull,
      0x41e0000000000000ull, 0xc1e0000000000000ull, 0xc1e0000000200000ull, 0x41dfffffffc00000ull,
      0x41efffffffe00000ull, 0x41f0000000000000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
      0x43f0000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull, 0x3ff8000000000000ull,
      0x4004000000000000ull, 0xc004000000000000ull, 0x43dfffffffffffffull, 0xbfefffffffffffffull,
      0x4330000000000001ull, 0x36a0000000000000ull, 0x47efffffe0000000ull};
  uint32_t r = rng.below(100);
  switch (t) {
    case ValType::I32:
      if (r < 55) return rng.pick(kI32);
      if (r < 80) return static_cast<uint32_t>(static_cast<int32_t>(rng.below(33)) - 16);
      return static_cast<uint32_t>(rng.next());
    case ValType::I64:
      if (r < 55) return rng.pick(kI64);
      if (r < 80) return static_cast<uint64_t>(static_cast<int64_t>(rng.below(33)) - 16);
      return rng.next();
    case ValType::F32: {
      if (r < 60) return rng.pick(kF32);
      if (r < 80) return small_quarter<float, uint32_t>(rng);
      return static_cast<uint32_t>(rng.next());
    }
    case ValType::F64: {
      if (r < 60) return rng.pick(kF64);
      if (r < 80) return small_quarter<double, uint64_t>(rng);
      return rng.next();
    }
    default: return 0;
  }
}

Val edge_v128(Rng& rng) {
  static const uint8_t kI8[] = {0, 1, 2, 0x7f, 0x80, 0x81, 0xff, 0xfe, 0x0f, 0x10, 0x40};
  static const uint16_t kI16[] = {0,      1,      2,    0x7fff, 0x8000, 0x8001,
                                  0xffff, 0xfffe, 0xff, 0x100,  0x4000};
  uint8_t bytes[16];
  uint32_t shape = rng.below(7);
  for (uint32_t at = 0; at < 16;) {
    uint64_t lane;
    uint32_t width;
    switch (shape) {
      case 0:
        lane = rng.chance(70) ? rng.pick(kI8) : rng.next();
        width = 1;
        break;
      case 1:
        lane = rng.chance(70) ? rng.pick(kI16) : rng.next();
        width = 2;
        break;
      case 2:
        lane = edge_bits(rng, ValType::I32);
        width = 4;
        break;
      case 3:
        lane = edge_bits(rng, ValType::I64);
        width = 8;
        break;
      case 4:
        lane = edge_bits(rng, ValType::F32);
        width = 4;
        break;
      case 5:
        lane = edge_bits(rng, ValType::F64);
        width = 8;
        break;
      default:
        lane = rng.next();
        width = 8;
        break;
    }
    __builtin_memcpy(bytes + at, &lane, width);  // little-endian: the lane's low bytes
    at += width;
  }
  Val v{ValType::V128, 0, 0};
  __builtin_memcpy(&v.bits, bytes, 8);
  __builtin_memcpy(&v.hi, bytes + 8, 8);
  return v;
}

Val random_arg(Rng& rng, ValType t, uint32_t func_count) {
  switch (t) {
    case ValType::V128: return edge_v128(rng);
    case ValType::FuncRef:
      return {t, func_count && rng.chance(70) ? 1 + uint64_t{rng.below(func_count)} : 0};
    case ValType::ExternRef: return {t, rng.chance(70) ? 1 + uint64_t{rng.below(kHostRefs)} : 0};
    default: return {t, edge_bits(rng, t)};
  }
}

}  // namespace wasm_diff

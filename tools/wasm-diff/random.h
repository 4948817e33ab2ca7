// Deterministic randomness: every module and argument list follows from (seed, index), so that
// a mismatch is reproduced by its numbers alone.
#pragma once

#include <cstdint>

#include "outcome.h"

namespace wasm_diff {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return n ? static_cast<uint32_t>(next() % n) : 0; }
  bool chance(uint32_t percent) { return below(100) < percent; }
  template <typename T, size_t N> const T& pick(const T (&items)[N]) { return items[below(N)]; }

 private:
  uint64_t state_;
};

// The seed of item `index` of a run seeded `seed` for stream `stream` (one per generator).
inline uint64_t item_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  Rng r(seed ^ (stream * 0x2545f4914f6cdd1dull) ^ (index * 0x9e3779b97f4a7c15ull));
  r.next();
  return r.next();
}

// Constant bits of a numeric type, mostly the edge values that arithmetic, comparisons and
// conversions treat specially (zeros, extremes, NaNs of each kind, conversion bounds).
uint64_t edge_bits(Rng& rng, ValType t);

// A v128 of edge lanes: its 16 bytes as one lane shape (i8x16, i16x8, i32x4, i64x2, f32x4,
// f64x2), each lane an edge value of its width (edge_bits), or random bytes.
Val edge_v128(Rng& rng);

// An argument value: a number from edge_bits (a v128 from edge_v128); a funcref null or one of the
// first `func_count` functions; an externref null or one of the harness's host values.
Val random_arg(Rng& rng, ValType t, uint32_t func_count);

}  // namespace wasm_diff

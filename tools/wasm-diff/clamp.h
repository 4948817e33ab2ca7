// Makes a module's own tables and memories bounded, so that both engines refuse the same
// table.grow/memory.grow: wabt allocates what it grows (a 4 GiB memory.grow would be 4 GiB of
// zeroes), this engine stops at its configured limit.
#pragma once

#include <cstdint>

#include "wasm_writer.h"

namespace wasm_diff {

enum class Clamp : uint8_t {
  Unchanged,  // nothing to bound (or nothing readable: the engines will judge the bytes)
  Clamped,    // `out` holds the module with maxima set
  TooLarge,   // a minimum is beyond the bound: not compared
};

// Every defined table gets a maximum of at most `max_table`, every memory of at most
// `max_pages`; the rest of the module is copied byte for byte.
Clamp clamp_limits(const Bytes& in, uint64_t max_pages, uint64_t max_table, Bytes& out);

}  // namespace wasm_diff

// Short random instruction sequences, as a module: the generator that reaches the translator's
// peephole state (a constant taken as the next immediate, a result written straight into a local,
// a comparison fused into a branch, a local.get aliasing its local).
//
// Each function is a random walk over a typed operand stack: constants (mostly edge values),
// local.get/set/tee over a few locals of every type, drop, select (typed and untyped),
// arithmetic, comparisons and conversions, comparisons feeding br_if/if/br_table, blocks, loops
// and ifs with parameters and results, loads and stores on a memory of one or two pages, globals
// of every type, ref.func/ref.null/ref.is_null, table.get/set/size/grow/fill/copy/init, memory
// size/grow/fill/copy/init (lengths now and then around the engine's chunk of 64 KiB or 8,192
// elements), calls (to the module's functions and to two host imports) and call_indirect. Values
// left on the stack at a block's end are dropped or reused as its results.
//
// Every function terminates: a budget global is decremented at each function entry and loop
// iteration and traps `unreachable` at zero; export "r<i>" (called before "f<i>") refills it.
#pragma once

#include <cstdint>

#include "wasm_writer.h"

namespace wasm_diff {

// The module for `seed`; valid by construction (both engines must accept it).
Bytes generate_sequence_module(uint64_t seed);

}  // namespace wasm_diff

// What wasm-diff asks of binaryen's wasm-opt (Debian's binaryen package), one process per call.
#pragma once

#include <cstdint>
#include <string>

#include "wasm_writer.h"

namespace wasm_diff {

// A module from `wasm-opt -ttf` (translate-to-fuzz): random bytes become a valid module of random
// functions with binaryen's own hang limits and logging imports (both engines get the same
// recording stubs; for half of the seeds the imports are removed, their calls becoming drops),
// optimised by binaryen first for about half of the seeds. False when wasm-opt
// fails (rare: binaryen refuses some inputs), with the reason. Files go to `work_dir`.
bool generate_ttf_module(uint64_t seed, const std::string& work_dir, Bytes& out, std::string& why);

// The module after `wasm-opt --denan`, which makes every NaN a float operation produces (or a
// function receives) zero: used to tell a difference of NaN bits from a real one.
bool denan_module(const Bytes& in, const std::string& work_dir, Bytes& out);

}  // namespace wasm_diff

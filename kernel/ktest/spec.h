// The WebAssembly specification suite inside the kernel (boot argument `spec`, or `spec=DIR`):
// runs every .wast script found under DIR/ (default `spec/`) in the initrd with lib/spec, the
// runner the host tool uses, on kernel stores (linear memory from wasm_memory::provider()).
// Prints the same per-file lines and total line as `./x spec` on the host. Boot argument
// `wasm-2.0`: the modules are compiled with the 2.0 feature set (the 2.0 suite).
#pragma once

#include <async/task.h>
#include <support/string_view.h>
#include <wasm/module.h>

namespace spec_suite {

struct Summary {
  u64 files = 0;
  u64 passed = 0;
  u64 failed = 0;
  u64 skipped = 0;
};

// Runs the scripts in archive (name) order. Yields to other tasks between commands and between
// fuel slices of every execution; each file's store and modules are released before the next.
async::Task<Summary> run(support::StringView dir, wasm::Features features);

}  // namespace spec_suite

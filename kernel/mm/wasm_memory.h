// WebAssembly linear memories in the kernel: each is a region of the kernel address space,
// reserved once for the largest size it may reach, committed (charged to the kernel-space quota,
// backed by frames and mapped) when it grows. Commit is charged at memory.grow, so a grow that
// cannot be backed returns -1 and a committed page never faults for lack of memory later.
#pragma once

#include <wasm/runtime.h>

namespace wasm_memory {

// The provider every kernel Store uses. Safe from any hart.
wasm::MemoryProvider& provider();

// Bytes of linear memory committed by all stores together (statistics).
u64 committed_bytes();

}  // namespace wasm_memory

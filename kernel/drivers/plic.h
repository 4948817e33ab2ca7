// The RISC-V platform-level interrupt controller, found in the device tree. Handlers are
// registered per source at initialisation; dispatch reads the table without a lock.
#pragma once

#include <support/result.h>
#include <support/types.h>

namespace plic {

inline constexpr u32 kMaxSources = 1024;
using Handler = void (*)(u32 source, void* context);

void init(uptr virtual_base);
bool ready();
// Registers `handler` for `source` and routes the source to `context` (a hart's S-mode context)
// with priority 1. Error::Busy when the source already has a handler.
support::Result<void> attach(u32 source, u32 context, Handler handler, void* handler_context);
// Lets this hart's context take interrupts (threshold 0).
void init_context(u32 context);
// Claims and dispatches every pending source for `context` (from the external interrupt).
void handle(u32 context);
u64 count(u32 source);

}  // namespace plic

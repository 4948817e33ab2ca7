// The kernel's executor: lib/async's work-stealing scheduler with one worker per hart. The boot
// hart's main flow (tests, the monitor, later programs) runs as tasks; a hart without work sleeps
// in `wfi` until an IPI says work was pushed for it or can be stolen.
#pragma once

#include <async/async.h>

namespace sched {

// Creates the executor for `workers` harts (call once, before the other harts start).
void init(u32 workers);
async::Executor& executor();
// Runs this hart's worker; never returns.
[[noreturn]] void run_this_cpu();

}  // namespace sched

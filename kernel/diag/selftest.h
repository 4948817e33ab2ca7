// Deliberate failures, selected by boot argument `selftest=<what>`, that the test suite uses to
// check the kernel's failure reporting: `panic` (a panic three calls deep), `fault` (an
// unhandled page fault in ordinary kernel code), `rofault` (a write to read-only kernel memory),
// `stackoverflow` (unbounded recursion into the stack's guard page).
#pragma once

#include <support/string_view.h>

namespace selftest {

void run(support::StringView what);

}  // namespace selftest

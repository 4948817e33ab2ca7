// The kernel monitor: a line-editing command prompt on the serial console, what `./x run` boots
// into until the shell (a WebAssembly program) exists. `help` lists its commands.
#pragma once

#include <support/string_view.h>

namespace monitor {

[[noreturn]] void run();
// Runs one command line; used by run() and by tests. Returns false for `shutdown`.
bool execute(support::StringView line);

}  // namespace monitor

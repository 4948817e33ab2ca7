// The kernel monitor: a line-editing command prompt on the serial console, what `./x run` boots
// into until the shell (a WebAssembly program) exists. `help` lists its commands.
#pragma once

#include <async/task.h>
#include <support/string_view.h>

namespace monitor {

// The prompt loop, as a task: waiting for input holds no hart. Returns on `shutdown`.
async::Task<void> run();
// Runs one command line. Returns false for `shutdown`.
async::Task<bool> execute(support::StringView line);

}  // namespace monitor

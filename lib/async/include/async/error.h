// The executor's error codes. Errors are values; error_name() gives the user-facing word.
#pragma once

#include <support/types.h>

namespace async {

enum class Error : u8 {
  NoMemory = 1,  // a task record or coroutine frame could not be allocated
  Closed,        // the executor (or channel) is closed and accepts no more work
  Cancelled,     // the task was cancelled before it produced a value
  TimedOut,      // timeout() expired before the future completed
};

// A stable, short, lower-case name for `error` ("no memory", "closed" ...).
const char* error_name(Error error);

}  // namespace async

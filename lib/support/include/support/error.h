// The kernel-wide error code. Errors are values, never strings: the user-facing layer names them.
#pragma once

#include <support/types.h>

namespace support {

enum class Error : u16 {
  NoMemory = 1,  // an allocation failed
  Invalid,       // an argument or an input is malformed
  NotFound,      // a named thing does not exist
  OutOfRange,    // an index, address or size is outside what is allowed
  Busy,          // the resource is held by someone else
  Closed,        // the object no longer accepts work
  Unsupported,   // valid, but not implemented here
  Fault,         // a memory access through a checked accessor faulted
  Truncated,     // input ended early
  Corrupt,       // input is internally inconsistent
  Exists,        // the thing is already there
  Overlap,       // two ranges that must be disjoint are not
};

// A stable, short, lower-case name for `error` ("no memory", "invalid" ...).
const char* error_name(Error error);

}  // namespace support

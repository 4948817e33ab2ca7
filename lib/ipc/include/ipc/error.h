// ipc::Error: why an IPC operation failed. Every failing operation changes nothing (the one
// exception is named where it applies). The WASI mapping in the comments is the integration's
// plan (docs/ipc.md), not something this library does.
#pragma once

#include <support/result.h>
#include <support/types.h>

namespace ipc {

enum class Error : u8 {
  NoMemory = 1,    // an allocation failed                                         ENOMEM
  LimitReached,    // the Account refused the charge                               ENOMEM
  TableFull,       // the handle table is at its limit (or a number is past it)    EMFILE
  BadHandle,       // no such handle: never there, closed, or being transferred    EBADF
  WrongType,       // the handle's object is not of the kind the operation needs   EBADF/ENOTSUP
  AccessDenied,    // the handle lacks a right, or more rights were asked for      ENOTCAPABLE
  WouldBlock,      // nothing can be done now: wait for a signal, then retry       EAGAIN/suspend
  PeerClosed,      // the other end is gone (pipe: EPIPE; channel: no more input)  EPIPE
  BufferTooSmall,  // the next message does not fit the buffers: kept, sizes told  ENOBUFS
  TooBig,          // a message over the channel's bounds for one message          EMSGSIZE/E2BIG
  WouldCycle,      // the transfer could let in-flight handles keep each other     EINVAL
  Invalid,         // an argument is malformed (a handle twice, a bad name)        EINVAL
  NotFound,        // no live service by that name                                 ENOENT
  Exists,          // the name or handle number is taken                           EEXIST
  Busy,            // the service has as many pending connections as it allows     EAGAIN
};

// A stable, short, lower-case name ("would block" ...).
const char* error_name(Error error);

template <typename T> using Result = support::Result<T, Error>;

}  // namespace ipc

#include <ipc/error.h>
#include <ipc/object.h>

namespace ipc {

const char* error_name(Error error) {
  switch (error) {
    case Error::NoMemory: return "no memory";
    case Error::LimitReached: return "limit reached";
    case Error::TableFull: return "handle table full";
    case Error::BadHandle: return "bad handle";
    case Error::WrongType: return "wrong type";
    case Error::AccessDenied: return "access denied";
    case Error::WouldBlock: return "would block";
    case Error::PeerClosed: return "peer closed";
    case Error::BufferTooSmall: return "buffer too small";
    case Error::TooBig: return "too big";
    case Error::WouldCycle: return "would cycle";
    case Error::Invalid: return "invalid";
    case Error::NotFound: return "not found";
    case Error::Exists: return "exists";
    case Error::Busy: return "busy";
  }
  return "unknown error";
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::File: return "file";
    case Kind::Directory: return "directory";
    case Kind::Console: return "console";
    case Kind::PipeReader: return "pipe reader";
    case Kind::PipeWriter: return "pipe writer";
    case Kind::ChannelEnd: return "channel end";
    case Kind::Service: return "service";
    case Kind::Socket: return "socket";
  }
  return "embedder";
}

}  // namespace ipc

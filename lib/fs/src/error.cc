#include <fs/error.h>

namespace fs {

const char* error_name(Error error) {
  switch (error) {
    case Error::NotFound: return "not found";
    case Error::Exists: return "exists";
    case Error::NotDir: return "not a directory";
    case Error::IsDir: return "is a directory";
    case Error::NotEmpty: return "directory not empty";
    case Error::Invalid: return "invalid";
    case Error::NoSpace: return "no space";
    case Error::NoMemory: return "no memory";
    case Error::NameTooLong: return "name too long";
    case Error::Busy: return "busy";
    case Error::FileTooBig: return "file too big";
    case Error::Loop: return "too many symlinks";
    case Error::Io: return "i/o error";
    case Error::ReadOnly: return "read-only file system";
  }
  return "?";
}

}  // namespace fs

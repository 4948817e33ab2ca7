// The file system's error codes, with POSIX-like meanings; the WASI layer maps them to errno.
#pragma once

#include <support/result.h>
#include <support/types.h>

namespace fs {

enum class Error : u8 {
  NotFound = 1,  // ENOENT: no such name, or the directory was removed
  Exists,        // EEXIST: the name is taken
  NotDir,        // ENOTDIR: a directory operation on something else
  IsDir,         // EISDIR: a file operation on a directory (also link() of a directory)
  NotEmpty,      // ENOTEMPTY: rmdir or rename over a directory that has entries
  Invalid,       // EINVAL: bad name ("", ".", "..", "/"), rename into own subtree, not a symlink
  NoSpace,       // ENOSPC: the byte quota would be exceeded; nothing changed
  NoMemory,      // ENOMEM: an allocation failed; nothing changed
  NameTooLong,   // ENAMETOOLONG: a name over kMaxNameSize or a symlink target over kMaxTarget
  Busy,          // EBUSY: for callers (removing "/" by path); FileSystem itself never returns it
  FileTooBig,    // EFBIG: an offset or size over kMaxFileSize
  Loop,          // ELOOP: more than kMaxSymlinkHops symlinks while resolving a path
  Io,            // EIO: the device failed, or what it holds is damaged (a disk file system)
  ReadOnly,      // EROFS: a change to a file system mounted read-only
};

// A stable, short, lower-case name for `error` ("not found", "no space" ...).
const char* error_name(Error error);

template <typename T> using Result = support::Result<T, Error>;

}  // namespace fs

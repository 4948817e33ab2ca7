// What the WASI glue and the disk glue share about file systems: fs::Error as a WASI errno, an
// fs::Stat as WASI's filestat, WASI's fstflags as an fs::TimeUpdate.
#pragma once

#include <fs/error.h>
#include <fs/file_system.h>
#include <wasi/abi.h>
#include <wasi/os.h>

namespace programs {

inline wasi::Errno errno_of(fs::Error error) {
  switch (error) {
    case fs::Error::NotFound: return wasi::Errno::Noent;
    case fs::Error::Exists: return wasi::Errno::Exist;
    case fs::Error::NotDir: return wasi::Errno::Notdir;
    case fs::Error::IsDir: return wasi::Errno::Isdir;
    case fs::Error::NotEmpty: return wasi::Errno::Notempty;
    case fs::Error::Invalid: return wasi::Errno::Inval;
    case fs::Error::NoSpace: return wasi::Errno::Nospc;
    case fs::Error::NoMemory: return wasi::Errno::Nomem;
    case fs::Error::NameTooLong: return wasi::Errno::Nametoolong;
    case fs::Error::Busy: return wasi::Errno::Busy;
    case fs::Error::FileTooBig: return wasi::Errno::Fbig;
    case fs::Error::Loop: return wasi::Errno::Loop;
    case fs::Error::Io: return wasi::Errno::Io;
    case fs::Error::ReadOnly: return wasi::Errno::Rofs;
  }
  return wasi::Errno::Io;
}

inline wasi::FileType type_of(fs::Kind kind) {
  switch (kind) {
    case fs::Kind::Directory: return wasi::FileType::Directory;
    case fs::Kind::File: return wasi::FileType::RegularFile;
    case fs::Kind::Symlink: return wasi::FileType::SymbolicLink;
  }
  return wasi::FileType::Unknown;
}

// `dev` tells the file systems apart: 1 the root file system, 2 the disk.
inline wasi::FileStat stat_of(const fs::Stat& s, u64 dev = 1) {
  wasi::FileStat out;
  out.dev = dev;
  out.ino = s.inode;
  out.type = type_of(s.kind);
  out.nlink = s.nlink;
  out.size = s.size;
  out.atim = s.atim;
  out.mtim = s.mtim;
  out.ctim = s.ctim;
  return out;
}

inline fs::TimeUpdate update(u64 value, u16 flags, u16 set, u16 now) {
  if ((flags & now) != 0) return fs::TimeUpdate::now();
  if ((flags & set) != 0) return fs::TimeUpdate::at(value);
  return fs::TimeUpdate::omit();
}

}  // namespace programs

// Loader: unpacks a cpio "newc" archive (the initrd) into a FileSystem a few entries at a time,
// so that the kernel can yield between steps.
//
//   fs::Loader loader(file_system, initrd_bytes);
//   while (!TRY(loader.step(16))) co_await yield();
//
// Directories along every path are created as needed (an existing directory is reused); regular
// files are created or overwritten with the entry's data; symlinks take the entry's data as
// their target. "." and the trailer are skipped, and so are other kinds (devices, fifos), which
// are counted in skipped(). The archive must stay mapped until the loader is done.
#pragma once

#include <fs/error.h>
#include <fs/file_system.h>
#include <initrd/archive.h>
#include <support/optional.h>
#include <support/span.h>

namespace fs {

class Loader {
 public:
  Loader(FileSystem& fs, support::Bytes archive) : fs_(fs), blob_(archive) {}

  // Unpacks up to `max_entries` more entries (at least one). Returns true once everything is
  // unpacked. Errors: Invalid for a malformed archive (archive_error() says how; the first step
  // validates the whole archive, so nothing is unpacked then) or a path with a ".." component;
  // otherwise the file system's own (NameTooLong, NoSpace, NoMemory, NotDir for a path through
  // a file, IsDir for a file over a directory, Exists for a directory over a file). After an
  // error, every later step returns the same error.
  Result<bool> step(usize max_entries);

  usize entries_done() const { return next_; }
  usize entry_count() const { return archive_.has_value() ? archive_->entry_count() : 0; }
  usize skipped() const { return skipped_; }
  support::Optional<initrd::Error> archive_error() const { return archive_error_; }

 private:
  Result<void> unpack(const initrd::Entry& entry);

  FileSystem& fs_;
  support::Bytes blob_;
  support::Optional<initrd::Archive> archive_;
  support::Optional<initrd::Error> archive_error_;
  support::Optional<Error> failed_;
  usize next_ = 0;
  usize skipped_ = 0;
};

}  // namespace fs

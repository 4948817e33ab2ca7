// Read-only view of a cpio "newc" archive (what `tools/mkinitrd.py` and `cpio -H newc` write):
// the initial ramdisk that carries Warden's programs and test data.
//
// Archive::parse validates every header once (magic, hexadecimal fields, name and data inside the
// blob, the TRAILER!!! entry); later lookups cannot fail on layout. Entries borrow the archive's
// memory. No allocation, no global state, freestanding.
#pragma once

#include <support/result.h>
#include <support/span.h>
#include <support/string_view.h>

namespace initrd {

enum class Error : u8 {
  Truncated = 1,  // a header, name or data runs past the end
  BadMagic,       // not "070701" (or "070702")
  BadField,       // a header field is not 8 hexadecimal digits
  BadName,        // empty, not NUL-terminated, or too long
  NoTrailer,      // the archive does not end with TRAILER!!!
  NotFound,
};
const char* error_name(Error error);

struct Entry {
  support::StringView name;  // as stored, without a leading "./"
  u32 mode;                  // file type and permissions (S_IFREG = 0100000, S_IFDIR = 0040000)
  support::Bytes data;
  bool is_file() const { return (mode & 0170000) == 0100000; }
  bool is_directory() const { return (mode & 0170000) == 0040000; }
};

class Archive {
 public:
  static support::Result<Archive, Error> parse(support::Bytes blob);

  usize entry_count() const { return count_; }
  // Entries in archive order (the trailer excluded): fn(const Entry&).
  template <typename Fn> void for_each(Fn&& fn) const {
    usize offset = 0;
    Entry entry;
    for (usize i = 0; i < count_; ++i) {
      offset = read_at(offset, entry);
      fn(static_cast<const Entry&>(entry));
    }
  }
  // The entry named `name` ("bin/shell.wasm"; a leading "/" or "./" is ignored).
  support::Result<Entry, Error> find(support::StringView name) const;
  usize size() const { return blob_.size(); }

 private:
  explicit Archive(support::Bytes blob, usize count) : blob_(blob), count_(count) {}
  // Decodes the (validated) entry at `offset`; returns the next entry's offset.
  usize read_at(usize offset, Entry& out) const;

  support::Bytes blob_;
  usize count_;
};

}  // namespace initrd

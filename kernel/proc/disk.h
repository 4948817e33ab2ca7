// The disk file system: the ext2 volume (lib/ext2) on the first virtio disk, mounted at boot over
// a directory of the root file system (/data; boot argument `mount=PATH`, `mount=none` to leave
// the disk alone), and the operations the WASI layer (wasi_glue.cc) runs on it.
//
// A program reaches the volume as it reaches any directory: a lookup in the root file system that
// lands on the mount point continues at the volume's root, and from there every name is the
// volume's. ".." is the WASI layer's own (it resolves paths itself), so nothing here walks up out
// of the volume. Names cannot move between the two file systems (rename and link give Xdev), and
// the mount point cannot be removed or renamed (Busy).
//
// Durability: the volume commits its journal every kCommitInterval and on every fsync
// (fd_sync/fd_datasync return once the data and the metadata are on the device); unmount() at
// shutdown writes everything and marks the file system clean. Open files hold a reference to their
// inode (retain/release), so a file unlinked while open keeps its data until its last close.
#pragma once

#include <support/span.h>
#include <support/string_view.h>
#include <support/types.h>
#include <wasi/abi.h>
#include <wasi/os.h>

namespace fs {
class Node;
}

namespace disk {

using Ino = u32;
using wasi::Errno;

// Mounts the first disk when there is one (logging what it mounted, or why it refused) and starts
// the periodic commit. Called once at boot, after the root file system exists.
void mount();
// Commits, writes back and marks the volume clean; later operations fail with Io. For shutdown;
// harmless when nothing is mounted.
void unmount();

bool mounted();
// The root file system's directory the volume covers (null when nothing is mounted).
const fs::Node* mount_point();
Ino root();

// The operations, by inode. A directory argument must be a directory (Notdir); names are one
// component, never "." or ".." except where stat/lookup take "." (the directory itself).
Errno lookup(Ino dir, support::StringView name, Ino* out);
bool is_directory(Ino node);
Errno stat(Ino node, wasi::FileStat* out);
Errno pread(Ino file, support::Span<u8> out, u64 offset, u64* done);
Errno pwrite(Ino file, support::Span<const u8> data, u64 offset, u64* done);
Errno append(Ino file, support::Span<const support::Bytes> parts, u64* at, u64* done);
Errno set_size(Ino file, u64 size);
Errno set_times(Ino node, u64 atim, u64 mtim, u16 flags);
Errno sync(Ino node, bool data_only);
Errno readdir(Ino dir, u64 cookie, wasi::DirEntry* entry, bool* end);
// Opens (and with options.create makes) `name` in `dir`: `*out` holds a reference (release()).
Errno open(Ino dir, support::StringView name, const wasi::OpenOptions& options, Ino* out);
Errno mkdir(Ino dir, support::StringView name);
Errno unlink(Ino dir, support::StringView name);
Errno rmdir(Ino dir, support::StringView name);
Errno rename(Ino from_dir, support::StringView from, Ino to_dir, support::StringView to);
Errno link(Ino node, Ino to_dir, support::StringView to);
Errno symlink(support::StringView target, Ino dir, support::StringView name);
Errno readlink(Ino node, support::Span<char> out, u64* len);
void retain(Ino node);
void release(Ino node);

}  // namespace disk

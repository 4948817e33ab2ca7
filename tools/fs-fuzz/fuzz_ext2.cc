// libFuzzer target for the ext2 reader: the input is a whole image. Mounts it (replaying its
// journal when it needs recovery), walks the tree from the root (stat of every node, readdir of
// every directory, readlink of every symlink, every file read to its end), then unmounts. The
// walk is bounded (a hostile image may link a directory into itself). Seeds: small images made
// by `mke2fs -d` (tools/fs-fuzz/make_seeds.py). Any crash, leak, hang or sanitizer report is a
// finding.
#include <ext2/volume.h>
#include <support/format.h>

#include "fuzz_device.h"

namespace {

constexpr usize kMaxNodes = 512;
constexpr usize kMaxEntries = 8192;
constexpr u64 kMaxFileBytes = 4 << 20;

void read_file(ext2::Volume& volume, ext2::Ino file) {
  static u8 buffer[65536];
  for (u64 offset = 0; offset < kMaxFileBytes;) {
    auto n = volume.read(file, offset, {buffer, sizeof buffer});
    if (n.is_error() || n.value() == 0) return;
    offset += n.value();
  }
}

void walk(ext2::Volume& volume) {
  support::Vector<ext2::Ino> pending;
  if (pending.try_push(volume.root()).is_error()) return;
  usize visited = 0, entries = 0;
  while (!pending.empty() && visited < kMaxNodes) {
    ext2::Ino node = pending.back();
    pending.pop_back();
    ++visited;
    auto stat = volume.stat(node);
    if (stat.is_error()) continue;
    if (stat.value().kind == fs::Kind::File) {
      read_file(volume, node);
    } else if (stat.value().kind == fs::Kind::Symlink) {
      char target[4096];
      (void)volume.readlink(node, {target, sizeof target});
    } else if (stat.value().kind == fs::Kind::Directory) {
      for (u64 cookie = 0; entries < kMaxEntries; ++entries) {
        auto entry = volume.readdir(node, cookie);
        if (entry.is_error() || !entry.value().has_value()) break;
        const fs::DirEntry& e = *entry.value();
        cookie = e.next_cookie;
        if (e.name() == "." || e.name() == "..") continue;
        auto found = volume.lookup(node, e.name());
        if (found.is_ok() && pending.size() < kMaxNodes) (void)pending.try_push(found.value());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const u8* data, usize size) {
  fs_fuzz::FuzzDevice device(data, size, 0);
  ext2::Options options;
  char reason[256];
  support::BufferSink why(reason, sizeof reason);
  auto volume = ext2::Volume::mount(device, options, &why);
  if (volume.is_error()) return 0;
  walk(*volume.value());
  (void)volume.value()->unmount();
  delete volume.value();
  return 0;
}

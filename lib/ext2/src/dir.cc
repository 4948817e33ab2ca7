// Directories: linear records (with or without the filetype feature), read whatever index
// blocks a hashed (dir_index) directory holds between them, and any change clears the index flag.
#include "impl.h"

namespace ext2 {

using namespace format;
using support::StringView;

namespace {
constexpr u64 kMaxDirBytes = u64{1} << 32;
}

u32 Volume::Impl::rec_len_at(const u8* p) const {
  u32 v = le16(p + 4);
  if (block_size < 65536) return v;
  if (v == 65535 || v == 0) return block_size;
  return (v & 65532) | ((v & 3) << 16);
}

void Volume::Impl::set_rec_len(u8* p, u32 rec_len) const {
  u32 disk_len = rec_len;
  if (block_size >= 65536)
    disk_len = rec_len == block_size ? 65535 : ((rec_len & 65532) | ((rec_len >> 16) & 3));
  put16(p + 4, static_cast<u16>(disk_len));
}

void Volume::Impl::put_record(u8* p, Ino ino, u32 rec_len, StringView name, u8 type) {
  put32(p, ino);
  set_rec_len(p, rec_len);
  if (incompat & kIncompatFiletype) {
    p[6] = static_cast<u8>(name.size());
    p[7] = type;
  } else {
    put16(p + 6, static_cast<u16>(name.size()));
  }
  __builtin_memcpy(p + kDirHeader, name.data(), name.size());
}

u8 Volume::Impl::file_type(u16 mode) const {
  if ((incompat & kIncompatFiletype) == 0) return kFtUnknown;
  switch (mode & kTypeMask) {
    case kTypeDir: return kFtDir;
    case kTypeSymlink: return kFtSymlink;
    default: return kFtFile;
  }
}

fs::Result<Record> Volume::Impl::parse(Entry* e, u64 index, u32 pos, u32 prev) {
  if (pos + kDirHeader > block_size) return fs::Error::Io;
  const u8* p = e->data + pos;
  u32 rec_len = rec_len_at(p);
  bool typed = (incompat & kIncompatFiletype) != 0;
  u32 name_size = typed ? p[6] : le16(p + 6);
  Ino ino = le32(p);
  if (rec_len < kDirHeader || rec_len % 4 != 0 || pos + rec_len > block_size ||
      kDirHeader + name_size > rec_len || name_size > fs::kMaxNameSize || ino > inodes_count)
    return fs::Error::Io;
  StringView name(reinterpret_cast<const char*>(p + kDirHeader), name_size);
  return Record{index, e, pos, prev, rec_len, ino, typed ? p[7] : u8{0}, name};
}

// Calls fn(const Record&) for each record from byte `from` on (the records of that block that
// start before it skipped) until it returns true; returns whether it did.
template <typename Fn> fs::Result<bool> Volume::Impl::walk(const Inode& dir, u64 from, Fn&& fn) {
  if (dir.size % block_size != 0 || dir.size > kMaxDirBytes) return fs::Error::Io;
  u64 blocks = dir.size / block_size;
  for (u64 index = from / block_size; index < blocks; ++index) {
    u64 block = TRY(map(dir, index));
    if (block == 0) return fs::Error::Io;  // directories have no holes
    u32 skip = index == from / block_size ? static_cast<u32>(from % block_size) : 0;
    u32 prev = ~0u;
    for (u32 pos = 0; pos < block_size;) {
      Entry* e = TRY(cache.get(block));
      Record r = TRY(parse(e, index, pos, prev));
      if (pos >= skip && fn(r)) return true;
      prev = pos;
      pos += r.rec_len;
    }
  }
  return false;
}

fs::Result<support::Optional<Found>> Volume::Impl::find(const Inode& dir, StringView name) {
  Found found;
  bool hit = TRY(walk(dir, 0, [&](const Record& r) {
    if (r.ino == 0 || !(r.name == name)) return false;
    found = Found{r.index, r.pos, r.prev, r.ino, r.type};
    return true;
  }));
  if (!hit) return support::Optional<Found>();
  return support::Optional<Found>(found);
}

fs::Result<void> Volume::Impl::add_entry(Inode& dir, StringView name, Ino ino, u8 type) {
  u32 need = dir_record_size(static_cast<u32>(name.size()));
  bool placed = TRY(walk(dir, 0, [&](const Record& r) {
    u32 used = r.ino != 0 ? dir_record_size(static_cast<u32>(r.name.size())) : 0;
    if (r.rec_len < used + need) return false;
    u8* p = r.entry->data + r.pos;
    if (used == 0) {
      put_record(p, ino, r.rec_len, name, type);
    } else {
      put_record(p + used, ino, r.rec_len - used, name, type);
      set_rec_len(p, used);
    }
    cache.dirty(r.entry, Dirt::Meta);
    return true;
  }));
  if (!placed) {
    if (dir.size + block_size > kMaxDirBytes) return fs::Error::NoSpace;
    bool created = false;
    u64 block = TRY(map_create(dir, dir.size / block_size, created));
    Entry* e = TRY(cache.fresh(block));
    __builtin_memset(e->data, 0, block_size);
    put_record(e->data, ino, block_size, name, type);
    cache.dirty(e, Dirt::Meta);
    dir.size += block_size;
  }
  dir.flags &= ~kFlagIndex;
  stamp(dir, false, true, true);
  return store(dir);
}

fs::Result<void> Volume::Impl::remove_entry(Inode& dir, const Found& found) {
  u64 block = TRY(map(dir, found.index));
  if (block == 0) return fs::Error::Io;
  Entry* e = TRY(cache.get(block));
  Record r = TRY(parse(e, found.index, found.pos, found.prev));
  if (found.prev != ~0u) {
    Record before = TRY(parse(e, found.index, found.prev, ~0u));
    set_rec_len(e->data + found.prev, before.rec_len + r.rec_len);
  } else {
    put32(e->data + found.pos, 0);
  }
  cache.dirty(e, Dirt::Meta);
  dir.flags &= ~kFlagIndex;
  stamp(dir, false, true, true);
  return store(dir);
}

fs::Result<void> Volume::Impl::set_entry(Inode& dir, const Found& found, Ino ino, u8 type) {
  u64 block = TRY(map(dir, found.index));
  if (block == 0) return fs::Error::Io;
  Entry* e = TRY(cache.get(block));
  TRY(parse(e, found.index, found.pos, found.prev));
  put32(e->data + found.pos, ino);
  if (incompat & kIncompatFiletype) e->data[found.pos + 7] = type;
  cache.dirty(e, Dirt::Meta);
  stamp(dir, false, true, true);
  return store(dir);
}

fs::Result<bool> Volume::Impl::is_empty(const Inode& dir) {
  bool other = TRY(walk(dir, 0, [&](const Record& r) {
    return r.ino != 0 && !(r.name == ".") && !(r.name == "..");
  }));
  return !other;
}

fs::Result<void> Volume::Impl::set_dotdot(Inode& dir, Ino parent) {
  bool done = TRY(walk(dir, 0, [&](const Record& r) {
    if (!(r.name == "..")) return false;
    put32(r.entry->data + r.pos, parent);
    cache.dirty(r.entry, Dirt::Meta);
    return true;
  }));
  return done ? fs::Result<void>() : fs::Result<void>(fs::Error::Io);
}

fs::Result<void> Volume::Impl::init_dir(Inode& dir, Ino parent) {
  bool created = false;
  u64 block = TRY(map_create(dir, 0, created));
  Entry* e = TRY(cache.fresh(block));
  __builtin_memset(e->data, 0, block_size);
  u32 dot = dir_record_size(1);
  put_record(e->data, dir.ino, dot, ".", file_type(kTypeDir));
  put_record(e->data + dot, parent, block_size - dot, "..", file_type(kTypeDir));
  cache.dirty(e, Dirt::Meta);
  dir.size = block_size;
  return {};
}

fs::Result<support::Optional<fs::DirEntry>> Volume::Impl::read_dir(const Inode& dir, u64 cookie) {
  if (cookie >= dir.size) return support::Optional<fs::DirEntry>();
  fs::DirEntry out{};
  bool hit = TRY(walk(dir, cookie, [&](const Record& r) {
    if (r.ino == 0) return false;
    out.inode = r.ino;
    out.kind = r.type == kFtDir       ? fs::Kind::Directory
               : r.type == kFtSymlink ? fs::Kind::Symlink
                                      : fs::Kind::File;
    out.next_cookie = r.index * block_size + r.pos + r.rec_len;
    out.name_size = static_cast<u16>(r.name.size());
    __builtin_memcpy(out.name_bytes, r.name.data(), r.name.size());
    return true;
  }));
  if (!hit) return support::Optional<fs::DirEntry>();
  if ((incompat & kIncompatFiletype) == 0) {
    Inode node = TRY(load(static_cast<Ino>(out.inode)));
    out.kind = node.is_dir()       ? fs::Kind::Directory
               : node.is_symlink() ? fs::Kind::Symlink
                                   : fs::Kind::File;
  }
  return support::Optional<fs::DirEntry>(out);
}

}  // namespace ext2

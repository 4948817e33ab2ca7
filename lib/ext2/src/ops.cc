// The public operations, with the lock held: check everything first, then change.
#include "impl.h"

namespace ext2 {

using namespace format;
using support::StringView;

namespace {

constexpr u16 kLinkMax = 32000;  // EXT2_LINK_MAX
constexpr u32 kMaxAncestorHops = 1u << 16;

fs::Result<void> check_name(StringView name, bool changing) {
  if (name.empty()) return fs::Error::Invalid;
  if (name.size() > fs::kMaxNameSize) return fs::Error::NameTooLong;
  for (char c : name)
    if (c == '/' || c == '\0') return fs::Error::Invalid;
  if (changing && (name == "." || name == "..")) return fs::Error::Invalid;
  return {};
}

fs::Kind kind_of(const Inode& inode) {
  if (inode.is_dir()) return fs::Kind::Directory;
  if (inode.is_symlink()) return fs::Kind::Symlink;
  return fs::Kind::File;
}

}  // namespace

fs::Result<Inode> Volume::Impl::load_dir(Ino dir) {
  Inode inode = TRY(load(dir));
  if (!inode.is_dir()) return fs::Error::NotDir;
  return inode;
}

fs::Result<void> Volume::Impl::clear_inode(Ino ino) {
  u32 index = (ino - 1) % inodes_per_group;
  u64 byte = static_cast<u64>(index) * inode_size;
  Entry* e = TRY(cache.get(groups[(ino - 1) / inodes_per_group].inode_table + byte / block_size));
  __builtin_memset(e->data + byte % block_size, 0, inode_size);
  cache.dirty(e, Dirt::Meta);
  return {};
}

fs::Result<Ino> Volume::Impl::lookup(Ino dir, StringView name) {
  Inode d = TRY(load_dir(dir));
  TRY(check_name(name, false));
  if (d.links == 0) return fs::Error::NotFound;
  if (name == ".") return dir;
  auto found = TRY(find(d, name));
  if (!found) return fs::Error::NotFound;
  return found->ino;
}

fs::Result<Ino> Volume::Impl::create(Ino dir, StringView name, u16 mode, StringView target,
                                     fs::CreateMode create_mode) {
  TRY(writable());
  Inode d = TRY(load_dir(dir));
  TRY(check_name(name, true));
  if (d.links == 0) return fs::Error::NotFound;
  bool is_dir = (mode & kTypeMask) == kTypeDir;
  bool is_link = (mode & kTypeMask) == kTypeSymlink;
  auto existing = TRY(find(d, name));
  if (existing) {
    if (is_dir || is_link || create_mode == fs::CreateMode::Exclusive) return fs::Error::Exists;
    Inode node = TRY(load(existing->ino));
    if (node.is_dir()) return fs::Error::IsDir;
    if (!node.is_file()) return fs::Error::Exists;
    return existing->ino;
  }
  if (is_link) {
    if (target.empty()) return fs::Error::Invalid;
    if (target.size() > fs::kMaxTarget || target.size() >= block_size)
      return fs::Error::NameTooLong;
  }
  if (is_dir && d.links >= kLinkMax) return fs::Error::Invalid;
  if (free_blocks < 8) return fs::Error::NoSpace;  // a block each, with indirect blocks
  Ino ino = TRY(alloc_inode(dir, is_dir));
  TRY(clear_inode(ino));
  Inode n;
  n.ino = ino;
  n.mode = mode;
  n.links = is_dir ? 2 : 1;
  if (inode_size > kGoodOldInodeSize)
    n.extra_isize = inode_size - kGoodOldInodeSize < kExtraIsizeNew ? 0 : kExtraIsizeNew;
  stamp(n, true, true, true);
  if (is_dir) TRY(init_dir(n, dir));
  if (is_link && target.size() < kFastSymlinkMax) {
    __builtin_memcpy(n.iblock, target.data(), target.size());
  } else if (is_link) {
    bool created = false;
    u64 block = TRY(map_create(n, 0, created));
    Entry* e = TRY(cache.fresh(block));
    __builtin_memset(e->data, 0, block_size);
    __builtin_memcpy(e->data, target.data(), target.size());
    cache.dirty(e, Dirt::Meta);
  }
  if (is_link) n.size = target.size();
  TRY(store(n));
  TRY(add_entry(d, name, ino, file_type(mode)));
  if (is_dir) {
    ++d.links;
    TRY(store(d));
  }
  return ino;
}

fs::Result<void> Volume::Impl::remove(Ino dir, StringView name, bool directory) {
  TRY(writable());
  Inode d = TRY(load_dir(dir));
  TRY(check_name(name, true));
  auto found = TRY(find(d, name));
  if (!found) return fs::Error::NotFound;
  if (found->ino == dir) return fs::Error::Io;
  Inode n = TRY(load(found->ino));
  if (directory) {
    if (!n.is_dir()) return fs::Error::NotDir;
    if (!TRY(is_empty(n))) return fs::Error::NotEmpty;
  } else if (n.is_dir()) {
    return fs::Error::IsDir;
  }
  TRY(remove_entry(d, *found));
  if (directory) {
    if (d.links > 2) --d.links;
    TRY(store(d));
  }
  return drop_link(n);
}

fs::Result<void> Volume::Impl::check_rename_target(const Inode& src, const Found& dst) {
  Inode target = TRY(load(dst.ino));
  if (src.is_dir()) {
    if (!target.is_dir()) return fs::Error::NotDir;
    if (!TRY(is_empty(target))) return fs::Error::NotEmpty;
  } else if (target.is_dir()) {
    return fs::Error::IsDir;
  }
  return {};
}

fs::Result<void> Volume::Impl::check_not_ancestor(Ino moved, Ino new_dir) {
  Ino at = new_dir;
  for (u32 hops = 0; hops < kMaxAncestorHops; ++hops) {
    if (at == moved) return fs::Error::Invalid;
    if (at == kRootIno) return {};
    Inode d = TRY(load_dir(at));
    auto up = TRY(find(d, ".."));
    if (!up) return fs::Error::Io;
    at = up->ino;
  }
  return fs::Error::Io;  // a loop of ".." entries: damaged
}

fs::Result<void> Volume::Impl::rename(Ino old_dir, StringView old_name, Ino new_dir,
                                      StringView new_name) {
  TRY(writable());
  bool same = old_dir == new_dir;
  Inode od = TRY(load_dir(old_dir));
  Inode nd_copy = same ? Inode() : TRY(load_dir(new_dir));
  Inode& nd = same ? od : nd_copy;
  TRY(check_name(old_name, true));
  TRY(check_name(new_name, true));
  auto src_found = TRY(find(od, old_name));
  if (!src_found) return fs::Error::NotFound;
  if (nd.links == 0) return fs::Error::NotFound;
  if (same && old_name == new_name) return {};
  Inode src = TRY(load(src_found->ino));
  auto dst_found = TRY(find(nd, new_name));
  if (dst_found && dst_found->ino == src.ino) return {};
  if (dst_found) TRY(check_rename_target(src, *dst_found));
  bool moves_dir = src.is_dir() && !same;
  if (moves_dir) {
    TRY(check_not_ancestor(src.ino, new_dir));
    if (!dst_found && nd.links >= kLinkMax) return fs::Error::Invalid;
  }
  // The new name first (the only step that can run out of space), then the old one goes.
  if (dst_found)
    TRY(set_entry(nd, *dst_found, src.ino, file_type(src.mode)));
  else
    TRY(add_entry(nd, new_name, src.ino, file_type(src.mode)));
  auto again = TRY(find(od, old_name));  // adding may have split the records around it
  if (!again) return fs::Error::Io;
  TRY(remove_entry(od, *again));
  if (moves_dir) {
    TRY(set_dotdot(src, new_dir));
    if (od.links > 2) --od.links;
    ++nd.links;
    TRY(store(od));
  }
  stamp(src, false, false, true);
  TRY(store(src));
  if (dst_found) {
    Inode dst = TRY(load(dst_found->ino));
    if (dst.is_dir() && nd.links > 2) --nd.links;
    TRY(drop_link(dst));
  }
  return store(nd);
}

fs::Result<void> Volume::Impl::link(Ino node, Ino new_dir, StringView new_name) {
  TRY(writable());
  Inode n = TRY(load(node));
  Inode d = TRY(load_dir(new_dir));
  TRY(check_name(new_name, true));
  if (n.is_dir()) return fs::Error::IsDir;
  if (n.links == 0 || d.links == 0) return fs::Error::NotFound;
  if (n.links >= kLinkMax) return fs::Error::Invalid;
  if (TRY(find(d, new_name))) return fs::Error::Exists;
  TRY(add_entry(d, new_name, node, file_type(n.mode)));
  ++n.links;
  stamp(n, false, false, true);
  return store(n);
}

fs::Result<usize> Volume::Impl::readlink(Ino node, support::Span<char> out) {
  Inode n = TRY(load(node));
  if (!n.is_symlink()) return fs::Error::Invalid;
  if (n.size > fs::kMaxTarget || n.size >= block_size) return fs::Error::Io;
  usize size = static_cast<usize>(n.size);
  usize copy = out.size() < size ? out.size() : size;
  if (fast_symlink(n)) {
    __builtin_memcpy(out.data(), n.iblock, copy);
    return size;
  }
  u64 block = TRY(map(n, 0));
  if (block == 0) return fs::Error::Io;
  Entry* e = TRY(cache.get(block));
  __builtin_memcpy(out.data(), e->data, copy);
  return size;
}

fs::Result<u64> Volume::Impl::write(Ino file, bool at_end, u64 offset,
                                    support::Span<const support::Bytes> parts) {
  TRY(writable());
  Inode n = TRY(load(file));
  if (n.is_dir()) return fs::Error::IsDir;
  if (!n.is_file()) return fs::Error::Invalid;
  u64 total = 0;
  for (const support::Bytes& part : parts) total += part.size();
  u64 start = at_end ? n.size : offset;
  u64 limit = max_file_size();
  if (start > limit || total > limit - start) return fs::Error::FileTooBig;
  if (total == 0) return start;
  if (n.uses_extents()) return fs::Error::ReadOnly;
  if (TRY(blocks_to_add(n, start, total)) > free_blocks) return fs::Error::NoSpace;
  if (start + total > 0x7FFFFFFFull && (ro_compat & kRoCompatLargeFile) == 0) {
    ro_compat |= kRoCompatLargeFile;
    TRY(write_super());
  }
  u64 pos = start;
  for (const support::Bytes& part : parts) {
    TRY(write_data(n, pos, part));
    pos += part.size();
  }
  stamp(n, false, true, true);
  TRY(store(n));
  return start;
}

fs::Result<void> Volume::Impl::truncate(Ino file, u64 size) {
  TRY(writable());
  Inode n = TRY(load(file));
  if (n.is_dir()) return fs::Error::IsDir;
  if (!n.is_file()) return fs::Error::Invalid;
  if (size > max_file_size()) return fs::Error::FileTooBig;
  if (n.uses_extents()) return fs::Error::ReadOnly;
  if (size < n.size) {
    TRY(shrink(n, size));
    // The rest of the last block reads as zeros if the file grows again.
    if (size % block_size != 0) {
      u64 block = TRY(map(n, size / block_size));
      if (block != 0) {
        Entry* e = TRY(cache.get(block));
        u32 within = static_cast<u32>(size % block_size);
        __builtin_memset(e->data + within, 0, block_size - within);
        cache.dirty(e, Dirt::Data);
      }
    }
  }
  if (size > 0x7FFFFFFFull && (ro_compat & kRoCompatLargeFile) == 0) {
    ro_compat |= kRoCompatLargeFile;
    TRY(write_super());
  }
  n.size = size;
  stamp(n, false, true, true);
  return store(n);
}

fs::Result<fs::Stat> Volume::Impl::stat(Ino node) {
  Inode n = TRY(load(node));
  fs::Stat st{};
  st.inode = n.ino;
  st.kind = kind_of(n);
  st.nlink = n.links;
  st.size = n.size;
  st.atim = inode_time(n, n.atime, n.atime_x);
  st.mtim = inode_time(n, n.mtime, n.mtime_x);
  st.ctim = inode_time(n, n.ctime, n.ctime_x);
  return st;
}

fs::Result<void> Volume::Impl::set_times(Ino node, fs::TimeUpdate atim, fs::TimeUpdate mtim) {
  TRY(writable());
  Inode n = TRY(load(node));
  Inode set = n;
  stamp(set, true, true, true);
  auto apply = [&](fs::TimeUpdate update, u32& lo, u32& extra, u32 now_lo, u32 now_extra) {
    if (update.mode == fs::TimeUpdate::Mode::Now) {
      lo = now_lo;
      extra = now_extra;
    } else if (update.mode == fs::TimeUpdate::Mode::Set) {
      encode_time(update.ns, lo, extra);
    }
  };
  apply(atim, n.atime, n.atime_x, set.atime, set.atime_x);
  apply(mtim, n.mtime, n.mtime_x, set.mtime, set.mtime_x);
  n.ctime = set.ctime;
  n.ctime_x = set.ctime_x;
  return store(n);
}

fs::Result<void> Volume::Impl::release(Ino node) {
  for (usize i = 0; i < open.size(); ++i) {
    if (open[i].ino != node) continue;
    if (--open[i].count != 0) return {};
    open[i] = open.back();
    open.pop_back();
    if (read_only) return {};
    Inode n = TRY(load(node));
    if (n.links != 0 || n.mode == 0) return {};
    TRY(orphan_remove(n));
    return destroy(n);
  }
  return fs::Error::Invalid;
}

}  // namespace ext2

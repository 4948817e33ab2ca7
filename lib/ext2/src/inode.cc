// Inodes and their blocks: loading and storing inode records, the block map (direct, single,
// double and triple indirect), reading extent trees, reading, writing and truncating data,
// freeing inodes and the orphan list.
#include "impl.h"

namespace ext2 {

using namespace format;

namespace {

constexpr u64 kNsPerSecond = 1'000'000'000;
constexpr u32 kStepBlocks = 64;  // blocks a write or read handles between cache trims

u32 encode_extra(u64 ns) {
  u64 secs = ns / kNsPerSecond;
  u64 epoch = (secs - static_cast<u64>(static_cast<i64>(static_cast<i32>(secs)))) >> 32;
  return static_cast<u32>((epoch & 3) | ((ns % kNsPerSecond) << 2));
}

u64 decode_time(u32 lo, u32 extra, bool has_extra) {
  i64 secs = static_cast<i32>(lo);
  if (!has_extra) return secs < 0 ? 0 : static_cast<u64>(secs) * kNsPerSecond;
  secs += static_cast<i64>(extra & 3) << 32;
  u64 ns = (extra >> 2) < kNsPerSecond ? extra >> 2 : 0;
  return secs < 0 ? 0 : static_cast<u64>(secs) * kNsPerSecond + ns;
}

}  // namespace

void encode_time(u64 ns, u32& lo, u32& extra) {
  lo = static_cast<u32>(ns / kNsPerSecond);
  extra = encode_extra(ns);
}

u64 inode_time(const Inode& inode, u32 lo, u32 extra) {
  return decode_time(lo, extra, inode.extra_isize >= 16);
}

fs::Result<Inode> Volume::Impl::load(Ino ino) {
  if (ino == 0 || ino > inodes_count) return fs::Error::Io;
  u32 index = (ino - 1) % inodes_per_group;
  u64 byte = static_cast<u64>(index) * inode_size;
  Entry* e = TRY(cache.get(groups[(ino - 1) / inodes_per_group].inode_table + byte / block_size));
  const u8* p = e->data + byte % block_size;
  Inode inode;
  inode.ino = ino;
  inode.mode = le16(p + ino::kMode);
  inode.links = le16(p + ino::kLinks);
  inode.size = le32(p + ino::kSizeLo) | (static_cast<u64>(le32(p + ino::kSizeHi)) << 32);
  inode.atime = le32(p + ino::kAtime);
  inode.ctime = le32(p + ino::kCtime);
  inode.mtime = le32(p + ino::kMtime);
  inode.dtime = le32(p + ino::kDtime);
  inode.flags = le32(p + ino::kFlags);
  __builtin_memcpy(inode.iblock, p + ino::kBlock, sizeof(inode.iblock));
  inode.blocks512 = le32(p + ino::kBlocksLo);
  inode.file_acl = le32(p + ino::kFileAcl);
  if (incompat & kIncompat64bit)
    inode.file_acl |= static_cast<u64>(le16(p + ino::kFileAclHi)) << 32;
  if (inode_size > kGoodOldInodeSize) {
    u16 extra = le16(p + ino::kExtraIsize);
    inode.extra_isize = extra <= inode_size - kGoodOldInodeSize ? extra : 0;
    if (inode.extra_isize >= 16) {
      inode.ctime_x = le32(p + ino::kCtimeExtra);
      inode.mtime_x = le32(p + ino::kMtimeExtra);
      inode.atime_x = le32(p + ino::kAtimeExtra);
    }
  }
  if ((ro_compat & kRoCompatHugeFile) && (inode.flags & kFlagHugeFile))
    inode.blocks512 *= block_size / 512;
  return inode;
}

fs::Result<void> Volume::Impl::store(Inode& inode) {
  if (read_only) return fs::Error::ReadOnly;
  u32 index = (inode.ino - 1) % inodes_per_group;
  u64 byte = static_cast<u64>(index) * inode_size;
  Entry* e =
      TRY(cache.get(groups[(inode.ino - 1) / inodes_per_group].inode_table + byte / block_size));
  u8* p = e->data + byte % block_size;
  put16(p + ino::kMode, inode.mode);
  put16(p + ino::kLinks, inode.links);
  put32(p + ino::kSizeLo, static_cast<u32>(inode.size));
  put32(p + ino::kSizeHi, static_cast<u32>(inode.size >> 32));
  put32(p + ino::kAtime, inode.atime);
  put32(p + ino::kCtime, inode.ctime);
  put32(p + ino::kMtime, inode.mtime);
  put32(p + ino::kDtime, inode.dtime);
  put32(p + ino::kFlags, inode.flags);
  __builtin_memcpy(p + ino::kBlock, inode.iblock, sizeof(inode.iblock));
  put32(p + ino::kBlocksLo, static_cast<u32>(inode.blocks512));
  put32(p + ino::kFileAcl, static_cast<u32>(inode.file_acl));
  if (inode_size > kGoodOldInodeSize) {
    put16(p + ino::kExtraIsize, inode.extra_isize);
    if (inode.extra_isize >= 16) {
      put32(p + ino::kCtimeExtra, inode.ctime_x);
      put32(p + ino::kMtimeExtra, inode.mtime_x);
      put32(p + ino::kAtimeExtra, inode.atime_x);
    }
  }
  cache.dirty(e, Dirt::Meta);
  return {};
}

void Volume::Impl::stamp(Inode& inode, bool a, bool m, bool c) {
  u32 secs, extra;
  encode_time(now_ns(), secs, extra);
  if (a) inode.atime = secs, inode.atime_x = extra;
  if (m) inode.mtime = secs, inode.mtime_x = extra;
  if (c) inode.ctime = secs, inode.ctime_x = extra;
}

bool Volume::Impl::fast_symlink(const Inode& inode) const {
  if (!inode.is_symlink() || inode.uses_extents()) return false;
  u64 ea = inode.file_acl != 0 ? block_size / 512 : 0;
  return inode.blocks512 == ea && inode.size < kFastSymlinkMax;
}

u64 Volume::Impl::max_file_size() const {
  u64 ppb = block_size / 4;
  u64 blocks = kDirectBlocks + ppb + ppb * ppb + ppb * ppb * ppb;
  if (blocks > 0xFFFFFFFFull) blocks = 0xFFFFFFFFull;
  u64 limit = blocks * block_size;
  if (limit > fs::kMaxFileSize) limit = fs::kMaxFileSize;
  if (le32(super + sb::kRevLevel) == 0 && limit > 0x7FFFFFFFull) limit = 0x7FFFFFFF;
  return limit;
}

// --- The block map.

namespace {

// Where logical block `index` sits: the i_block slot and, for each level of indirection, the
// offset in the indirect block. Returns the depth (0: direct), or -1 beyond the triple tree.
int locate(u64 index, u64 ppb, u32& slot, u32 (&offsets)[3]) {
  if (index < kDirectBlocks) {
    slot = static_cast<u32>(index);
    return 0;
  }
  index -= kDirectBlocks;
  u64 span = ppb;
  for (int depth = 1; depth <= 3; ++depth) {
    if (index < span) {
      slot = kDirectBlocks + static_cast<u32>(depth) - 1;
      for (int level = depth - 1; level >= 0; --level) {
        offsets[level] = static_cast<u32>(index % ppb);
        index /= ppb;
      }
      return depth;
    }
    index -= span;
    span *= ppb;
  }
  return -1;
}

}  // namespace

fs::Result<u64> Volume::Impl::map(const Inode& inode, u64 index) {
  if (inode.uses_extents()) return map_extent(inode, index);
  u32 slot, offsets[3];
  int depth = locate(index, block_size / 4, slot, offsets);
  if (depth < 0) return u64{0};
  u64 block = inode.slot(slot);
  for (int level = 0; level < depth; ++level) {
    if (block == 0) return u64{0};
    if (!block_valid(block)) return fs::Error::Io;
    Entry* e = TRY(cache.get(block));
    block = le32(e->data + 4 * offsets[level]);
  }
  if (block != 0 && !block_valid(block)) return fs::Error::Io;
  return block;
}

fs::Result<u64> Volume::Impl::map_extent(const Inode& inode, u64 index) {
  const u8* node = inode.iblock;
  u32 room = sizeof(inode.iblock);
  u32 want_depth = ~0u;
  for (u32 level = 0; level <= kMaxExtentDepth; ++level) {
    u32 entries = le16(node + 2);
    u32 depth = le16(node + 6);
    if (le16(node) != kExtentMagic || entries > (room - kExtentHeader) / kExtentEntry ||
        depth > kMaxExtentDepth || (want_depth != ~0u && depth != want_depth))
      return fs::Error::Io;
    const u8* first = node + kExtentHeader;
    if (depth == 0) {
      for (u32 i = 0; i < entries; ++i) {
        const u8* x = first + i * kExtentEntry;
        u64 start = le32(x), length = le16(x + 4);
        bool unwritten = length > kExtentInitMax;
        if (unwritten) length -= kExtentInitMax;
        if (index < start || index >= start + length) continue;
        u64 phys = ((static_cast<u64>(le16(x + 6)) << 32) | le32(x + 8)) + (index - start);
        if (!block_valid(phys)) return fs::Error::Io;
        return unwritten ? u64{0} : phys;
      }
      return u64{0};
    }
    const u8* pick = nullptr;
    for (u32 i = 0; i < entries; ++i) {
      const u8* x = first + i * kExtentEntry;
      if (le32(x) <= index) pick = x;
    }
    if (pick == nullptr) return u64{0};
    u64 child = (static_cast<u64>(le16(pick + 8)) << 32) | le32(pick + 4);
    if (!block_valid(child)) return fs::Error::Io;
    Entry* e = TRY(cache.get(child));
    node = e->data;
    room = block_size;
    want_depth = depth - 1;
  }
  return fs::Error::Io;
}

fs::Result<u64> Volume::Impl::new_block_in(Inode& inode, u64 goal) {
  if (goal == 0) goal = alloc_goal;
  if (goal == 0) goal = groups[(inode.ino - 1) / inodes_per_group].inode_table;
  u64 block = TRY(alloc_block(goal));
  inode.blocks512 += block_size / 512;
  return block;
}

fs::Result<void> Volume::Impl::free_in(Inode& inode, u64 block) {
  u64 count = block_size / 512;
  inode.blocks512 = inode.blocks512 >= count ? inode.blocks512 - count : 0;
  return free_block(block);
}

fs::Result<u64> Volume::Impl::map_create(Inode& inode, u64 index, bool& created) {
  created = false;
  if (inode.uses_extents()) return fs::Error::ReadOnly;
  u32 slot, offsets[3];
  int depth = locate(index, block_size / 4, slot, offsets);
  if (depth < 0) return fs::Error::FileTooBig;
  u64 block = inode.slot(slot);
  if (block == 0) {
    block = TRY(new_block_in(inode, 0));
    inode.set_slot(slot, static_cast<u32>(block));
    if (depth == 0)
      created = true;
    else {
      Entry* fresh = TRY(cache.fresh(block));
      cache.dirty(fresh, Dirt::Meta);
    }
  }
  for (int level = 0; level < depth; ++level) {
    if (!block_valid(block)) return fs::Error::Io;
    Entry* e = TRY(cache.get(block));
    u64 next = le32(e->data + 4 * offsets[level]);
    if (next == 0) {
      next = TRY(new_block_in(inode, block + 1));
      e = TRY(cache.get(block));  // the allocation may have read bitmaps: look again
      put32(e->data + 4 * offsets[level], static_cast<u32>(next));
      cache.dirty(e, Dirt::Meta);
      if (level + 1 == depth)
        created = true;
      else {
        Entry* fresh = TRY(cache.fresh(next));
        cache.dirty(fresh, Dirt::Meta);
      }
    }
    block = next;
  }
  if (!block_valid(block)) return fs::Error::Io;
  return block;
}

fs::Result<u64> Volume::Impl::blocks_to_add(const Inode& inode, u64 offset, u64 size) {
  if (size == 0) return u64{0};
  u64 holes = 0;
  for (u64 index = offset / block_size; index <= (offset + size - 1) / block_size; ++index)
    if (TRY(map(inode, index)) == 0) ++holes;
  u64 ppb = block_size / 4;
  return holes + holes / ppb + holes / (ppb * ppb) + 5;
}

fs::Result<bool> Volume::Impl::free_tree(Inode& inode, u64 block, u32 depth, u64 first, u64 base) {
  if (!block_valid(block)) return fs::Error::Io;
  u64 ppb = block_size / 4;
  u64 span = 1;
  for (u32 i = 1; i < depth; ++i) span *= ppb;
  bool empty = true;
  for (u64 i = 0; i < ppb; ++i) {
    // Looked up again each time: freeing below may have dropped it (a damaged tree can point
    // back at its own blocks).
    Entry* e = TRY(cache.get(block));
    u64 child = le32(e->data + 4 * i);
    if (child == 0) continue;
    u64 child_base = base + i * span;
    if (child_base + span <= first) {
      empty = false;
      continue;
    }
    if (child == block) return fs::Error::Io;
    bool gone = true;
    if (depth > 1) gone = TRY(free_tree(inode, child, depth - 1, first, child_base));
    if (!gone) {
      empty = false;
      continue;
    }
    TRY(free_in(inode, child));
    e = TRY(cache.get(block));
    put32(e->data + 4 * i, 0);
    cache.dirty(e, Dirt::Meta);
  }
  return empty;
}

fs::Result<void> Volume::Impl::shrink(Inode& inode, u64 size) {
  if (inode.uses_extents()) return fs::Error::ReadOnly;
  u64 first = (size + block_size - 1) / block_size;
  for (u32 i = 0; i < kDirectBlocks; ++i) {
    if (i < first || inode.slot(i) == 0) continue;
    TRY(free_in(inode, inode.slot(i)));
    inode.set_slot(i, 0);
  }
  u64 ppb = block_size / 4;
  u64 base = kDirectBlocks, span = ppb;
  for (u32 depth = 1; depth <= 3; ++depth) {
    u32 slot = kDirectBlocks + depth - 1;
    u64 root = inode.slot(slot);
    if (root != 0 && base + span > first) {
      bool gone = TRY(free_tree(inode, root, depth, first, base));
      if (gone) {
        TRY(free_in(inode, root));
        inode.set_slot(slot, 0);
      }
    }
    base += span;
    span *= ppb;
  }
  inode.size = size;
  return {};
}

fs::Result<void> Volume::Impl::release_xattr(Inode& inode) {
  if (inode.file_acl == 0) return {};
  u64 block = inode.file_acl;
  if (!block_valid(block)) return fs::Error::Io;
  Entry* e = TRY(cache.get(block));
  if (le32(e->data) != kXattrMagic) return fs::Error::Io;
  u32 refs = le32(e->data + kXattrRefcount);
  inode.file_acl = 0;
  if (refs > 1) {
    put32(e->data + kXattrRefcount, refs - 1);
    cache.dirty(e, Dirt::Meta);
    u64 count = block_size / 512;
    inode.blocks512 = inode.blocks512 >= count ? inode.blocks512 - count : 0;
    return {};
  }
  return free_in(inode, block);
}

fs::Result<void> Volume::Impl::destroy(Inode& inode) {
  if (!fast_symlink(inode))
    TRY(shrink(inode, 0));
  else
    __builtin_memset(inode.iblock, 0, sizeof(inode.iblock));
  TRY(release_xattr(inode));
  inode.size = 0;
  inode.links = 0;
  inode.dtime = static_cast<u32>(now_ns() / kNsPerSecond);
  if (inode.dtime == 0) inode.dtime = 1;  // e2fsck reads dtime 0 as "in use"
  TRY(store(inode));
  return free_inode_number(inode.ino, inode.is_dir());
}

// --- Data.

fs::Result<usize> Volume::Impl::read_data(Inode& inode, u64 offset, support::Span<u8> out) {
  if (offset >= inode.size) return usize{0};
  u64 left = inode.size - offset;
  usize total = out.size() < left ? out.size() : static_cast<usize>(left);
  usize done = 0;
  u32 steps = 0;
  while (done < total) {
    u64 pos = offset + done;
    u32 within = static_cast<u32>(pos % block_size);
    usize n = block_size - within;
    if (n > total - done) n = total - done;
    u64 block = TRY(map(inode, pos / block_size));
    if (block == 0) {
      __builtin_memset(out.data() + done, 0, n);
    } else {
      Entry* e = TRY(cache.get(block));
      __builtin_memcpy(out.data() + done, e->data + within, n);
    }
    done += n;
    if (++steps % kStepBlocks == 0) TRY(cache.trim(journal == nullptr));
  }
  return done;
}

fs::Result<void> Volume::Impl::write_data(Inode& inode, u64 offset, support::Bytes data) {
  usize done = 0;
  u32 steps = 0;
  while (done < data.size()) {
    u64 pos = offset + done;
    u32 within = static_cast<u32>(pos % block_size);
    usize n = block_size - within;
    if (n > data.size() - done) n = data.size() - done;
    bool created = false;
    u64 block = TRY(map_create(inode, pos / block_size, created));
    Entry* e = TRY(created || n == block_size ? cache.fresh(block) : cache.get(block));
    __builtin_memcpy(e->data + within, data.data() + done, n);
    cache.dirty(e, Dirt::Data);
    done += n;
    if (++steps % kStepBlocks == 0 && done < data.size()) {
      // A consistent state (the inode covers what is written) before the cache may commit.
      if (offset + done > inode.size) inode.size = offset + done;
      TRY(store(inode));
      TRY(end_operation());
    }
  }
  if (offset + data.size() > inode.size) inode.size = offset + data.size();
  return {};
}

// --- Links, open references and the orphan list.

bool Volume::Impl::is_open(Ino ino) const {
  for (const Open& o : open)
    if (o.ino == ino) return true;
  return false;
}

fs::Result<void> Volume::Impl::drop_link(Inode& inode) {
  if (inode.links > 0) --inode.links;
  if (inode.is_dir()) inode.links = 0;  // a removed directory has no names left, "." included
  stamp(inode, false, false, true);
  if (inode.links > 0) return store(inode);
  if (is_open(inode.ino)) {
    TRY(orphan_add(inode));
    return store(inode);
  }
  return destroy(inode);
}

// The orphan list: the superblock's last_orphan, then each inode's dtime naming the next.
fs::Result<void> Volume::Impl::orphan_add(Inode& inode) {
  inode.dtime = le32(super + sb::kLastOrphan);
  put32(super + sb::kLastOrphan, inode.ino);
  return write_super();
}

fs::Result<void> Volume::Impl::orphan_remove(Inode& inode) {
  Ino next = inode.dtime;
  Ino at = le32(super + sb::kLastOrphan);
  if (at == inode.ino) {
    put32(super + sb::kLastOrphan, next);
    inode.dtime = 0;
    return write_super();
  }
  for (u32 hops = 0; at != 0 && hops < inodes_count; ++hops) {
    Inode prev = TRY(load(at));
    if (prev.dtime == inode.ino) {
      prev.dtime = next;
      inode.dtime = 0;
      return store(prev);
    }
    at = prev.dtime;
  }
  return fs::Error::Io;
}

fs::Result<void> Volume::Impl::process_orphans() {
  for (u32 hops = 0; hops < inodes_count; ++hops) {
    Ino at = le32(super + sb::kLastOrphan);
    if (at == 0) return {};
    if (at < first_ino || at > inodes_count) {
      put32(super + sb::kLastOrphan, 0);  // damaged: drop the list (e2fsck finds the rest)
      return write_super();
    }
    Inode inode = TRY(load(at));
    put32(super + sb::kLastOrphan, inode.dtime);
    inode.dtime = 0;
    if (inode.links == 0 && inode.mode != 0)
      TRY(destroy(inode));
    else
      TRY(store(inode));
    TRY(write_super());
  }
  return fs::Error::Io;
}

}  // namespace ext2

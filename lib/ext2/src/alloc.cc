// Block and inode allocation: the group bitmaps, and the free counts in the group descriptors and
// the superblock, kept consistent with each other at every step.
#include "impl.h"

namespace ext2 {

namespace {

// The first clear bit of `bits` in [from, limit), or limit.
u32 find_clear(const u8* bits, u32 from, u32 limit) {
  u32 i = from;
  while (i < limit) {
    if ((i & 7) == 0 && i + 8 <= limit && bits[i >> 3] == 0xFF) {
      i += 8;
      continue;
    }
    if ((bits[i >> 3] & (1u << (i & 7))) == 0) return i;
    ++i;
  }
  return limit;
}

}  // namespace

u32 Volume::Impl::blocks_in_group(u32 group) const {
  u64 start = static_cast<u64>(group) * blocks_per_group;
  u64 left = blocks_count - first_data_block - start;
  return left < blocks_per_group ? static_cast<u32>(left) : blocks_per_group;
}

fs::Result<u64> Volume::Impl::alloc_block(u64 goal) {
  if (free_blocks == 0) return fs::Error::NoSpace;
  if (!block_valid(goal)) goal = first_data_block;
  u32 start_group = static_cast<u32>((goal - first_data_block) / blocks_per_group);
  u32 start_bit = static_cast<u32>((goal - first_data_block) % blocks_per_group);
  for (u32 i = 0; i < group_count; ++i) {
    u32 g = (start_group + i) % group_count;
    Group& group = groups[g];
    if (group.free_blocks == 0) continue;
    Entry* e = TRY(cache.get(group.block_bitmap));
    u32 limit = blocks_in_group(g);
    u32 from = i == 0 && start_bit < limit ? start_bit : 0;
    u32 bit = find_clear(e->data, from, limit);
    if (bit == limit) bit = find_clear(e->data, 0, from);
    if (bit >= limit) continue;
    e->data[bit >> 3] = static_cast<u8>(e->data[bit >> 3] | (1u << (bit & 7)));
    cache.dirty(e, Dirt::Meta);
    --group.free_blocks;
    --free_blocks;
    TRY(write_group(g));
    u64 block = first_data_block + static_cast<u64>(g) * blocks_per_group + bit;
    cache.forget(block);  // whatever was cached is stale: a new block starts as zeros
    alloc_goal = block + 1;
    return block;
  }
  return fs::Error::NoSpace;
}

fs::Result<void> Volume::Impl::free_block(u64 block) {
  if (!block_valid(block)) return fs::Error::Io;
  u32 g = static_cast<u32>((block - first_data_block) / blocks_per_group);
  u32 bit = static_cast<u32>((block - first_data_block) % blocks_per_group);
  Group& group = groups[g];
  Entry* e = TRY(cache.get(group.block_bitmap));
  u8 mask = static_cast<u8>(1u << (bit & 7));
  if ((e->data[bit >> 3] & mask) == 0) return fs::Error::Io;  // already free: damaged
  e->data[bit >> 3] = static_cast<u8>(e->data[bit >> 3] & ~mask);
  cache.dirty(e, Dirt::Meta);
  if (group.free_blocks < blocks_per_group) ++group.free_blocks;
  if (free_blocks < blocks_count) ++free_blocks;
  TRY(write_group(g));
  cache.forget(block);
  return {};
}

fs::Result<Ino> Volume::Impl::alloc_inode(Ino parent, bool dir) {
  if (free_inodes == 0) return fs::Error::NoSpace;
  u32 start = parent >= 1 && parent <= inodes_count ? (parent - 1) / inodes_per_group : 0;
  for (u32 i = 0; i < group_count; ++i) {
    u32 g = (start + i) % group_count;
    Group& group = groups[g];
    if (group.free_inodes == 0) continue;
    Entry* e = TRY(cache.get(group.inode_bitmap));
    u32 base = g * inodes_per_group;
    u32 from = base + 1 >= first_ino ? 0 : first_ino - 1 - base;
    u32 limit = inodes_count - base < inodes_per_group ? inodes_count - base : inodes_per_group;
    if (from >= limit) continue;
    u32 bit = find_clear(e->data, from, limit);
    if (bit >= limit) continue;
    e->data[bit >> 3] = static_cast<u8>(e->data[bit >> 3] | (1u << (bit & 7)));
    cache.dirty(e, Dirt::Meta);
    --group.free_inodes;
    --free_inodes;
    if (dir) ++group.used_dirs;
    TRY(write_group(g));
    return base + bit + 1;
  }
  return fs::Error::NoSpace;
}

fs::Result<void> Volume::Impl::free_inode_number(Ino ino, bool dir) {
  if (ino < first_ino || ino > inodes_count) return fs::Error::Io;
  u32 g = (ino - 1) / inodes_per_group;
  u32 bit = (ino - 1) % inodes_per_group;
  Group& group = groups[g];
  Entry* e = TRY(cache.get(group.inode_bitmap));
  u8 mask = static_cast<u8>(1u << (bit & 7));
  if ((e->data[bit >> 3] & mask) == 0) return fs::Error::Io;
  e->data[bit >> 3] = static_cast<u8>(e->data[bit >> 3] & ~mask);
  cache.dirty(e, Dirt::Meta);
  if (group.free_inodes < inodes_per_group) ++group.free_inodes;
  if (free_inodes < inodes_count) ++free_inodes;
  if (dir && group.used_dirs > 0) --group.used_dirs;
  return write_group(g);
}

}  // namespace ext2

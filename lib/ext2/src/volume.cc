// Mounting (superblock, features, group descriptors), commits and unmounting, and the public
// calls, which take the lock and run the Impl's.
#include "impl.h"

namespace ext2 {

using namespace format;
using support::StringView;

namespace {

struct Feature {
  u32 bit;
  const char* name;
};

// Incompatible features: those Warden handles are kIncompatOk; the rest refuse the mount.
constexpr u32 kIncompatOk =
    kIncompatFiletype | kIncompatRecover | kIncompatExtents | kIncompat64bit | kIncompatFlexBg;
constexpr Feature kIncompatNames[] = {
    {kIncompatCompression, "compression"},
    {kIncompatFiletype, "filetype"},
    {kIncompatRecover, "needs_recovery"},
    {kIncompatJournalDev, "journal_dev"},
    {kIncompatMetaBg, "meta_bg"},
    {kIncompatExtents, "extent"},
    {kIncompat64bit, "64bit"},
    {kIncompatMmp, "mmp"},
    {kIncompatFlexBg, "flex_bg"},
    {kIncompatEaInode, "ea_inode"},
    {kIncompatDirdata, "dirdata"},
    {kIncompatCsumSeed, "metadata_csum_seed"},
    {kIncompatLargedir, "large_dir"},
    {kIncompatInlineData, "inline_data"},
    {kIncompatEncrypt, "encrypt"},
    {kIncompatCasefold, "casefold"},
};
// Read-only-compatible features Warden keeps right when it writes; the rest mount read-only.
constexpr u32 kRoCompatOk =
    kRoCompatSparseSuper | kRoCompatLargeFile | kRoCompatBtreeDir | kRoCompatExtraIsize;
constexpr Feature kRoCompatNames[] = {
    {kRoCompatSparseSuper, "sparse_super"},
    {kRoCompatLargeFile, "large_file"},
    {kRoCompatBtreeDir, "btree_dir"},
    {kRoCompatHugeFile, "huge_file"},
    {kRoCompatGdtCsum, "uninit_bg"},
    {kRoCompatDirNlink, "dir_nlink"},
    {kRoCompatExtraIsize, "extra_isize"},
    {kRoCompatQuota, "quota"},
    {kRoCompatBigalloc, "bigalloc"},
    {kRoCompatMetadataCsum, "metadata_csum"},
    {kRoCompatReadonly, "read-only"},
    {kRoCompatProject, "project"},
    {kRoCompatVerity, "verity"},
    {kRoCompatOrphanPresent, "orphan_present"},
};

// Appends the names of the bits of `bits` (unknown ones as hexadecimal).
template <usize N>
void say_features(support::FormatSink* why, u32 bits, const Feature (&names)[N]) {
  for (const Feature& f : names) {
    if ((bits & f.bit) == 0) continue;
    say(why, " ");
    say(why, f.name);
    bits &= ~f.bit;
  }
  for (u32 bit = 0; bit < 32; ++bit) {
    if ((bits & (1u << bit)) == 0) continue;
    char text[16] = " unknown-bit-";
    u32 n = 13;
    if (bit >= 10) text[n++] = static_cast<char>('0' + bit / 10);
    text[n++] = static_cast<char>('0' + bit % 10);
    say(why, StringView(text, n));
  }
}

u64 div_up(u64 a, u64 b) { return (a + b - 1) / b; }

}  // namespace

void say(support::FormatSink* why, StringView text) {
  if (why != nullptr) why->write(text);
}

u64 Volume::Impl::now_ns() const {
  return options.clock ? options.clock(options.clock_context) : 0;
}

fs::Result<void> Volume::Impl::read_super(support::FormatSink* why) {
  const u8* s = super;
  u32 rev = le32(s + sb::kRevLevel);
  if (rev > 1) {
    say(why, "ext2: unsupported revision (above 1)");
    return fs::Error::Invalid;
  }
  inodes_count = le32(s + sb::kInodesCount);
  blocks_count = le32(s + sb::kBlocksCount);
  incompat = le32(s + sb::kIncompat);
  ro_compat = le32(s + sb::kRoCompat);
  compat = le32(s + sb::kCompat);
  if (rev == 0) incompat = ro_compat = compat = 0;
  if (incompat & kIncompat64bit)
    blocks_count |= static_cast<u64>(le32(s + sb::kBlocksCountHi)) << 32;
  free_blocks = le32(s + sb::kFreeBlocks);
  if (incompat & kIncompat64bit) free_blocks |= static_cast<u64>(le32(s + sb::kFreeBlocksHi)) << 32;
  free_inodes = le32(s + sb::kFreeInodes);
  first_data_block = le32(s + sb::kFirstDataBlock);
  blocks_per_group = le32(s + sb::kBlocksPerGroup);
  inodes_per_group = le32(s + sb::kInodesPerGroup);
  inode_size = rev == 0 ? kGoodOldInodeSize : le16(s + sb::kInodeSize);
  first_ino = rev == 0 ? kGoodOldFirstIno : le32(s + sb::kFirstIno);
  desc_size = kDescSize32;
  if (incompat & kIncompat64bit) desc_size = le16(s + sb::kDescSize);
  u32 bits = block_size * 8;
  const char* bad = nullptr;
  if (blocks_per_group < 8 || blocks_per_group > bits)
    bad = "blocks per group";
  else if (inodes_per_group == 0 || inodes_per_group > bits)
    bad = "inodes per group";
  else if (first_data_block > 1 || blocks_count <= first_data_block)
    bad = "block count";
  else if (inode_size < kGoodOldInodeSize || inode_size > block_size ||
           (inode_size & (inode_size - 1)) != 0)
    bad = "inode size";
  else if (desc_size < kDescSize32 || desc_size > block_size || (desc_size & (desc_size - 1)))
    bad = "group descriptor size";
  if (bad == nullptr) {
    u64 count = div_up(blocks_count - first_data_block, blocks_per_group);
    if (count > 0xFFFFFFFFull / inodes_per_group || inodes_count > count * inodes_per_group ||
        inodes_count < first_ino || first_ino <= kRootIno)
      bad = "inode count";
    group_count = static_cast<u32>(count);
  }
  if (bad == nullptr && blocks_count > device.sector_count() / (block_size / fs::kSectorSize))
    bad = "size (larger than the device)";
  if (bad != nullptr) {
    say(why, "ext2: bad superblock: ");
    say(why, bad);
    return fs::Error::Invalid;
  }
  return {};
}

fs::Result<void> Volume::Impl::check_features(support::FormatSink* why) {
  u32 refused = incompat & ~kIncompatOk;
  if (refused != 0) {
    say(why, "ext2: unsupported incompatible features:");
    say_features(why, refused, kIncompatNames);
    return fs::Error::Invalid;
  }
  u32 ro = ro_compat & ~kRoCompatOk;
  if (ro != 0 || (incompat & kIncompatExtents)) {
    if (!read_only) {
      say(why, "ext2: mounted read-only for the features:");
      say_features(why, ro, kRoCompatNames);
      if (incompat & kIncompatExtents) say(why, " extent (files are read, not written)");
    }
    read_only = true;
  }
  if (device.read_only()) read_only = true;
  return {};
}

fs::Result<void> Volume::Impl::read_groups(support::FormatSink* why) {
  if (groups.try_resize(group_count).is_error()) return fs::Error::NoMemory;
  gdt_block = first_data_block + 1;
  u64 table_blocks = div_up(static_cast<u64>(inodes_per_group) * inode_size, block_size);
  if (gdt_block + div_up(static_cast<u64>(group_count) * desc_size, block_size) > blocks_count) {
    say(why, "ext2: the group descriptors do not fit");
    return fs::Error::Invalid;
  }
  bool wide = desc_size >= kDescSize64;
  for (u32 g = 0; g < group_count; ++g) {
    u64 at = static_cast<u64>(g) * desc_size;
    Entry* e = TRY(cache.get(gdt_block + at / block_size));
    const u8* d = e->data + at % block_size;
    Group& group = groups[g];
    group.block_bitmap = le32(d + gd::kBlockBitmap);
    group.inode_bitmap = le32(d + gd::kInodeBitmap);
    group.inode_table = le32(d + gd::kInodeTable);
    group.free_blocks = le16(d + gd::kFreeBlocks);
    group.free_inodes = le16(d + gd::kFreeInodes);
    group.used_dirs = le16(d + gd::kUsedDirs);
    if (wide) {
      group.block_bitmap |= static_cast<u64>(le32(d + gd::kBlockBitmapHi)) << 32;
      group.inode_bitmap |= static_cast<u64>(le32(d + gd::kInodeBitmapHi)) << 32;
      group.inode_table |= static_cast<u64>(le32(d + gd::kInodeTableHi)) << 32;
      group.free_blocks |= static_cast<u32>(le16(d + gd::kFreeBlocksHi)) << 16;
      group.free_inodes |= static_cast<u32>(le16(d + gd::kFreeInodesHi)) << 16;
      group.used_dirs |= static_cast<u32>(le16(d + gd::kUsedDirsHi)) << 16;
    }
    if (!block_valid(group.block_bitmap) || !block_valid(group.inode_bitmap) ||
        !block_valid(group.inode_table) || group.inode_table + table_blocks > blocks_count) {
      say(why, "ext2: a group descriptor points outside the file system");
      return fs::Error::Invalid;
    }
  }
  return {};
}

fs::Result<void> Volume::Impl::write_group(u32 g) {
  u64 at = static_cast<u64>(g) * desc_size;
  Entry* e = TRY(cache.get(gdt_block + at / block_size));
  u8* d = e->data + at % block_size;
  const Group& group = groups[g];
  put16(d + gd::kFreeBlocks, static_cast<u16>(group.free_blocks));
  put16(d + gd::kFreeInodes, static_cast<u16>(group.free_inodes));
  put16(d + gd::kUsedDirs, static_cast<u16>(group.used_dirs));
  if (desc_size >= kDescSize64) {
    put16(d + gd::kFreeBlocksHi, static_cast<u16>(group.free_blocks >> 16));
    put16(d + gd::kFreeInodesHi, static_cast<u16>(group.free_inodes >> 16));
    put16(d + gd::kUsedDirsHi, static_cast<u16>(group.used_dirs >> 16));
  }
  cache.dirty(e, Dirt::Meta);
  return {};
}

fs::Result<void> Volume::Impl::write_super() {
  put32(super + sb::kFreeBlocks, static_cast<u32>(free_blocks));
  if (incompat & kIncompat64bit)
    put32(super + sb::kFreeBlocksHi, static_cast<u32>(free_blocks >> 32));
  put32(super + sb::kFreeInodes, free_inodes);
  put32(super + sb::kRoCompat, ro_compat);
  put32(super + sb::kIncompat, incompat);
  u64 block = block_size == 1024 ? 1 : 0;
  u32 offset = block_size == 1024 ? 0 : static_cast<u32>(kSuperOffset);
  Entry* e = TRY(cache.get(block));
  __builtin_memcpy(e->data + offset, super, kSuperSize);
  cache.dirty(e, Dirt::Meta);
  return {};
}

fs::Result<void> Volume::Impl::start_writing() {
  u16 state = le16(super + sb::kState);
  put16(super + sb::kState, static_cast<u16>(state & ~kStateValid));
  put16(super + sb::kMountCount, static_cast<u16>(le16(super + sb::kMountCount) + 1));
  put32(super + sb::kMountTime, static_cast<u32>(now_ns() / 1'000'000'000));
  TRY(mark_journal_in_use(true));
  TRY(write_super());
  return commit();
}

fs::Result<void> Volume::Impl::commit() {
  if (read_only) return {};
  if (cache.count(Dirt::Data) == 0 && cache.count(Dirt::Meta) == 0) return {};
  if (cache.count(Dirt::Meta) != 0) {
    put32(super + sb::kWriteTime, static_cast<u32>(now_ns() / 1'000'000'000));
    TRY(write_super());
  }
  // Ordered mode: the data first, so that no committed metadata points at stale blocks.
  if (cache.count(Dirt::Data) != 0) {
    TRY(cache.write_back(Dirt::Data));
    if (device.flush().is_error()) return fs::Error::Io;
  }
  TRY(commit_metadata());
  last_commit_ns = now_ns();
  return {};
}

fs::Result<void> Volume::Impl::end_operation() {
  bool full = TRY(cache.trim(journal == nullptr));
  if (full || cache.count(Dirt::Meta) > max_transaction()) {
    TRY(commit());
    TRY(cache.trim(true));
  }
  return {};
}

fs::Result<void> Volume::Impl::finish_unmount() {
  while (!open.empty()) {
    Ino ino = open.back().ino;
    open.pop_back();
    Inode inode = TRY(load(ino));
    if (inode.links == 0) TRY(destroy(inode));
  }
  TRY(commit());
  u16 state = le16(super + sb::kState);
  put16(super + sb::kState, static_cast<u16>(state | kStateValid));
  TRY(mark_journal_in_use(false));
  TRY(write_super());
  TRY(cache.write_back(Dirt::Meta));
  if (device.flush().is_error()) return fs::Error::Io;
  return {};
}

// --- The public calls.

fs::Result<Volume*> Volume::mount(fs::BlockDevice& device, const Options& options,
                                  support::FormatSink* why) {
  u8 raw[kSuperSize];
  if (device.sector_count() < (kSuperOffset + kSuperSize) / fs::kSectorSize) {
    say(why, "ext2: the device is too small");
    return fs::Error::Invalid;
  }
  if (device.read(kSuperOffset / fs::kSectorSize, support::Span<u8>(raw, kSuperSize)).is_error())
    return fs::Error::Io;
  if (le16(raw + sb::kMagicField) != kMagic) {
    say(why, "ext2: no ext2 superblock (bad magic)");
    return fs::Error::Invalid;
  }
  u32 log = le32(raw + sb::kLogBlockSize);
  if (log > 6) {
    say(why, "ext2: bad superblock: block size");
    return fs::Error::Invalid;
  }
  Impl* impl = new (std::nothrow) Impl(device, options, 1024u << log);
  if (impl == nullptr) return fs::Error::NoMemory;
  __builtin_memcpy(impl->super, raw, kSuperSize);
  impl->block_size = 1024u << log;
  impl->read_only = options.read_only;
  auto mounted = impl->mount(why);
  if (mounted.is_error()) {
    delete impl;
    return mounted.error();
  }
  Volume* volume = new (std::nothrow) Volume(impl, impl->read_only);
  if (volume == nullptr) {
    delete impl;
    return fs::Error::NoMemory;
  }
  return volume;
}

fs::Result<void> Volume::Impl::mount(support::FormatSink* why) {
  TRY(read_super(why));
  TRY(check_features(why));
  TRY(read_groups(why));
  TRY(open_journal(why));
  last_commit_ns = now_ns();
  if (read_only) return {};
  TRY(start_writing());
  TRY(process_orphans());
  return commit();
}

Volume::~Volume() {
  impl_.with([](Impl*& impl) {
    delete impl;
    impl = nullptr;
  });
}

fs::Result<void> Volume::unmount() {
  return locked([&](Impl& s) -> fs::Result<void> {
    if (s.unmounted) return fs::Error::Invalid;
    s.unmounted = true;
    if (s.read_only) return {};
    return s.finish_unmount();
  });
}

#define EXT2_CALL(expr)                                         \
  locked([&](Impl& s) {                                         \
    using R = decltype(s.expr);                                 \
    if (s.unmounted) return R(fs::Error::Invalid);              \
    R r = s.expr;                                               \
    auto ended = s.end_operation();                             \
    if (r.is_ok() && ended.is_error()) return R(ended.error()); \
    return r;                                                   \
  })

fs::Result<Ino> Volume::lookup(Ino dir, StringView name) { return EXT2_CALL(lookup(dir, name)); }
fs::Result<Ino> Volume::create_file(Ino dir, StringView name, fs::CreateMode mode) {
  return EXT2_CALL(create(dir, name, kTypeFile | 0644, StringView(), mode));
}
fs::Result<Ino> Volume::mkdir(Ino dir, StringView name) {
  return EXT2_CALL(create(dir, name, kTypeDir | 0755, StringView(), fs::CreateMode::Exclusive));
}
fs::Result<Ino> Volume::symlink(Ino dir, StringView name, StringView target) {
  return EXT2_CALL(create(dir, name, kTypeSymlink | 0777, target, fs::CreateMode::Exclusive));
}
fs::Result<void> Volume::unlink(Ino dir, StringView name) {
  return EXT2_CALL(remove(dir, name, false));
}
fs::Result<void> Volume::rmdir(Ino dir, StringView name) {
  return EXT2_CALL(remove(dir, name, true));
}
fs::Result<void> Volume::rename(Ino old_dir, StringView old_name, Ino new_dir,
                                StringView new_name) {
  return EXT2_CALL(rename(old_dir, old_name, new_dir, new_name));
}
fs::Result<void> Volume::link(Ino node, Ino new_dir, StringView new_name) {
  return EXT2_CALL(link(node, new_dir, new_name));
}
fs::Result<usize> Volume::readlink(Ino node, support::Span<char> out) {
  return EXT2_CALL(readlink(node, out));
}
fs::Result<support::Optional<fs::DirEntry>> Volume::readdir(Ino dir, u64 cookie) {
  return locked([&](Impl& s) -> fs::Result<support::Optional<fs::DirEntry>> {
    if (s.unmounted) return fs::Error::Invalid;
    Inode inode = TRY(s.load_dir(dir));
    auto r = s.read_dir(inode, cookie);
    TRY(s.end_operation());
    return r;
  });
}
fs::Result<usize> Volume::read(Ino file, u64 offset, support::Span<u8> out) {
  return locked([&](Impl& s) -> fs::Result<usize> {
    if (s.unmounted) return fs::Error::Invalid;
    Inode inode = TRY(s.load(file));
    if (inode.is_dir()) return fs::Error::IsDir;
    if (!inode.is_file()) return fs::Error::Invalid;
    auto r = s.read_data(inode, offset, out);
    TRY(s.end_operation());
    return r;
  });
}
fs::Result<usize> Volume::write(Ino file, u64 offset, support::Bytes data) {
  auto r = EXT2_CALL(write(file, false, offset, support::Span<const support::Bytes>(&data, 1)));
  if (r.is_error()) return r.error();
  return data.size();
}
fs::Result<u64> Volume::append(Ino file, support::Span<const support::Bytes> parts) {
  return EXT2_CALL(write(file, true, 0, parts));
}
fs::Result<void> Volume::truncate(Ino file, u64 size) { return EXT2_CALL(truncate(file, size)); }
fs::Result<fs::Stat> Volume::stat(Ino node) { return EXT2_CALL(stat(node)); }
fs::Result<void> Volume::set_times(Ino node, fs::TimeUpdate atim, fs::TimeUpdate mtim) {
  return EXT2_CALL(set_times(node, atim, mtim));
}
fs::Result<void> Volume::sync(Ino node, bool data_only) {
  (void)data_only;
  return locked([&](Impl& s) -> fs::Result<void> {
    if (s.unmounted) return fs::Error::Invalid;
    TRY(s.load(node));
    return s.commit();
  });
}
fs::Result<void> Volume::commit_if_due(u64 now_ns) {
  return locked([&](Impl& s) -> fs::Result<void> {
    if (s.unmounted) return fs::Error::Invalid;
    if (now_ns - s.last_commit_ns < s.options.commit_interval_ns) return {};
    TRY(s.commit());
    s.last_commit_ns = now_ns;
    return {};
  });
}
void Volume::retain(Ino node) {
  locked([&](Impl& s) {
    for (Impl::Open& o : s.open)
      if (o.ino == node) {
        ++o.count;
        return;
      }
    (void)s.open.try_push(Impl::Open{node, 1});
  });
}
fs::Result<void> Volume::release(Ino node) { return EXT2_CALL(release(node)); }
u64 Volume::free_bytes() {
  return locked([&](Impl& s) { return s.free_blocks * s.block_size; });
}

}  // namespace ext2

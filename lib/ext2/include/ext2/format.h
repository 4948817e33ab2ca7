// The ext2 on-disk format (with the ext3/ext4 fields Warden reads): byte offsets of the
// superblock, group descriptor, inode and directory entry fields, feature bits and flags. Every
// field is little-endian and read or written through the helpers below, never by casting a
// structure onto disk bytes (an image is untrusted input: nothing here assumes alignment).
#pragma once

#include <support/types.h>

namespace ext2::format {

inline u16 le16(const u8* p) { return static_cast<u16>(p[0] | (p[1] << 8)); }
inline u32 le32(const u8* p) {
  return static_cast<u32>(p[0]) | (static_cast<u32>(p[1]) << 8) | (static_cast<u32>(p[2]) << 16) |
         (static_cast<u32>(p[3]) << 24);
}
inline void put16(u8* p, u16 v) {
  p[0] = static_cast<u8>(v);
  p[1] = static_cast<u8>(v >> 8);
}
inline void put32(u8* p, u32 v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<u8>(v >> (8 * i));
}

// --- Superblock: kSuperSize bytes at byte kSuperOffset of the device.
inline constexpr u64 kSuperOffset = 1024;
inline constexpr u32 kSuperSize = 1024;
inline constexpr u16 kMagic = 0xEF53;
namespace sb {
inline constexpr u32 kInodesCount = 0, kBlocksCount = 4, kReservedBlocks = 8, kFreeBlocks = 12,
                     kFreeInodes = 16, kFirstDataBlock = 20, kLogBlockSize = 24,
                     kLogClusterSize = 28, kBlocksPerGroup = 32, kClustersPerGroup = 36,
                     kInodesPerGroup = 40, kMountTime = 44, kWriteTime = 48, kMountCount = 52,
                     kMagicField = 56, kState = 58, kRevLevel = 76, kFirstIno = 84, kInodeSize = 88,
                     kCompat = 92, kIncompat = 96, kRoCompat = 100, kJournalInum = 224,
                     kJournalDev = 228, kLastOrphan = 232, kDescSize = 254, kBlocksCountHi = 336,
                     kFreeBlocksHi = 344;
}  // namespace sb
inline constexpr u16 kStateValid = 1;   // cleanly unmounted
inline constexpr u16 kStateErrors = 2;  // errors detected

// Feature bits. Compatible features never stop a mount; the others are listed in volume.cc with
// what Warden does about each.
inline constexpr u32 kCompatHasJournal = 0x4;
inline constexpr u32 kIncompatCompression = 0x1, kIncompatFiletype = 0x2, kIncompatRecover = 0x4,
                     kIncompatJournalDev = 0x8, kIncompatMetaBg = 0x10, kIncompatExtents = 0x40,
                     kIncompat64bit = 0x80, kIncompatMmp = 0x100, kIncompatFlexBg = 0x200,
                     kIncompatEaInode = 0x400, kIncompatDirdata = 0x1000,
                     kIncompatCsumSeed = 0x2000, kIncompatLargedir = 0x4000,
                     kIncompatInlineData = 0x8000, kIncompatEncrypt = 0x10000,
                     kIncompatCasefold = 0x20000;
inline constexpr u32 kRoCompatSparseSuper = 0x1, kRoCompatLargeFile = 0x2, kRoCompatBtreeDir = 0x4,
                     kRoCompatHugeFile = 0x8, kRoCompatGdtCsum = 0x10, kRoCompatDirNlink = 0x20,
                     kRoCompatExtraIsize = 0x40, kRoCompatQuota = 0x100, kRoCompatBigalloc = 0x200,
                     kRoCompatMetadataCsum = 0x400, kRoCompatReadonly = 0x1000,
                     kRoCompatProject = 0x2000, kRoCompatVerity = 0x8000,
                     kRoCompatOrphanPresent = 0x10000;

// --- Group descriptors: kDescSize32 bytes each (kDescSize64 with the 64bit feature), in the
// block after the superblock's.
inline constexpr u32 kDescSize32 = 32, kDescSize64 = 64;
namespace gd {
inline constexpr u32 kBlockBitmap = 0, kInodeBitmap = 4, kInodeTable = 8, kFreeBlocks = 12,
                     kFreeInodes = 14, kUsedDirs = 16, kBlockBitmapHi = 32, kInodeBitmapHi = 36,
                     kInodeTableHi = 40, kFreeBlocksHi = 44, kFreeInodesHi = 46, kUsedDirsHi = 48;
}  // namespace gd

// --- Inodes: 128 bytes, or the superblock's inode size (the extra fields after 128).
inline constexpr u32 kGoodOldInodeSize = 128;
inline constexpr u32 kGoodOldFirstIno = 11;
inline constexpr u32 kRootIno = 2;
inline constexpr u32 kDirectBlocks = 12, kIndirect = 12, kDoubleIndirect = 13, kTripleIndirect = 14,
                     kBlockSlots = 15;
namespace ino {
inline constexpr u32 kMode = 0, kSizeLo = 4, kAtime = 8, kCtime = 12, kMtime = 16, kDtime = 20,
                     kLinks = 26, kBlocksLo = 28, kFlags = 32, kBlock = 40, kFileAcl = 104,
                     kSizeHi = 108, kBlocksHi = 116, kFileAclHi = 118, kExtraIsize = 128,
                     kCtimeExtra = 132, kMtimeExtra = 136, kAtimeExtra = 140;
}  // namespace ino
inline constexpr u16 kExtraIsizeNew = 32;  // what new large inodes get (as mke2fs does)
inline constexpr u16 kTypeMask = 0xF000, kTypeDir = 0x4000, kTypeFile = 0x8000,
                     kTypeSymlink = 0xA000;
inline constexpr u32 kFlagIndex = 0x1000, kFlagHugeFile = 0x40000, kFlagExtents = 0x80000,
                     kFlagEaInode = 0x200000, kFlagInlineData = 0x10000000;
inline constexpr u32 kFastSymlinkMax = 60;  // bytes of target kept in i_block

// --- Extents (ext4): a header, then entries of 12 bytes, in i_block and in tree blocks.
inline constexpr u16 kExtentMagic = 0xF30A;
inline constexpr u32 kExtentHeader = 12, kExtentEntry = 12;
inline constexpr u32 kMaxExtentDepth = 5;
inline constexpr u16 kExtentInitMax = 32768;  // lengths above are unwritten extents

// --- Directory entries: inode, record length, name length, file type (with the filetype
// feature; else a 16-bit name length), the name, padded to 4 bytes.
inline constexpr u32 kDirHeader = 8;
inline constexpr u8 kFtUnknown = 0, kFtFile = 1, kFtDir = 2, kFtSymlink = 7;
inline constexpr u32 dir_record_size(u32 name_size) { return (kDirHeader + name_size + 3) & ~3u; }

// --- Extended attribute blocks: the reference count at this offset.
inline constexpr u32 kXattrMagic = 0xEA020000;
inline constexpr u32 kXattrRefcount = 4;

}  // namespace ext2::format

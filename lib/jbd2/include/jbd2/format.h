// The jbd2 on-disk format (the ext3/ext4 journal): every field big-endian, named once here.
//
// A journal is an array of blocks of the file system's block size. Block 0 holds the journal
// superblock; blocks s_first .. s_maxlen-1 are a circular log. The log holds transactions, each
// a run of blocks that all carry the transaction's sequence number in their header: descriptor
// blocks (a tag per logged block: its home block number and flags, each tag followed by the
// journal's copy of that block), revoke blocks (home block numbers whose older copies must not
// be replayed) and, last, the commit block. A transaction counts only once its commit block is
// on disk. s_start is the log block where the oldest transaction not yet written home begins
// (0: the log is empty) and s_sequence that transaction's sequence number.
#pragma once

#include <support/span.h>
#include <support/types.h>

namespace jbd2 {

inline constexpr u32 kMagic = 0xC03B3998;

// h_blocktype: what a journal block holds.
enum class BlockType : u32 {
  Descriptor = 1,
  Commit = 2,
  SuperblockV1 = 3,
  SuperblockV2 = 4,
  Revoke = 5,
};

// Every metadata block (and the superblock) starts with this header: magic, type, sequence.
namespace header {
inline constexpr usize kMagic = 0x0;
inline constexpr usize kBlockType = 0x4;
inline constexpr usize kSequence = 0x8;
inline constexpr usize kSize = 12;
}  // namespace header

// The journal superblock, at offset 0 of journal block 0 (1024 bytes; v1 ends at kFeatureCompat).
namespace sb {
inline constexpr usize kBlockSize = 0xC;
inline constexpr usize kMaxLen = 0x10;    // blocks in the journal, superblock included
inline constexpr usize kFirst = 0x14;     // first block of the log
inline constexpr usize kSequence = 0x18;  // sequence number of the transaction at s_start
inline constexpr usize kStart = 0x1C;     // first block of the log's oldest transaction; 0: empty
inline constexpr usize kErrno = 0x20;     // set when the journal was aborted
inline constexpr usize kFeatureCompat = 0x24;
inline constexpr usize kFeatureIncompat = 0x28;
inline constexpr usize kFeatureRoCompat = 0x2C;
inline constexpr usize kUuid = 0x30;  // 16 bytes
inline constexpr usize kChecksumType = 0x50;
inline constexpr usize kChecksum = 0xFC;  // crc32c of the 1024 bytes with this field zero
inline constexpr usize kSize = 1024;
}  // namespace sb

inline constexpr usize kUuidSize = 16;

// s_feature_compat.
inline constexpr u32 kCompatChecksum = 0x1;  // checksum v1 in commit blocks (not verified here)
// s_feature_incompat.
inline constexpr u32 kIncompatRevoke = 0x1;
inline constexpr u32 kIncompat64Bit = 0x2;
inline constexpr u32 kIncompatAsyncCommit = 0x4;
inline constexpr u32 kIncompatCsumV2 = 0x8;
inline constexpr u32 kIncompatCsumV3 = 0x10;
inline constexpr u32 kIncompatFastCommit = 0x20;
inline constexpr u32 kIncompatSupported =
    kIncompatRevoke | kIncompat64Bit | kIncompatCsumV2 | kIncompatCsumV3;
// s_checksum_type when csum v2/v3 is on.
inline constexpr u8 kChecksumCrc32c = 4;

// A descriptor block's tags, from offset header::kSize. Two layouts:
//  csum v3:  t_blocknr u32, t_flags u32, t_blocknr_high u32, t_checksum u32 (16 bytes)
//  others:   t_blocknr u32, t_checksum u16, t_flags u16, then t_blocknr_high u32 only with the
//            64bit feature (8 or 12 bytes, +2 with csum v2)
// A tag without kTagSameUuid is followed by the 16-byte uuid. With csum v2/v3 the last 4 bytes
// of a descriptor (and of a revoke block) hold a crc32c of the block (the tail).
inline constexpr u32 kTagEscape = 0x1;    // the copy's first 4 bytes were the magic, stored as 0
inline constexpr u32 kTagSameUuid = 0x2;  // no uuid follows this tag
inline constexpr u32 kTagDeleted = 0x4;
inline constexpr u32 kTagLast = 0x8;  // the descriptor's last tag
inline constexpr usize kTailSize = 4;

// A revoke block: the header, r_count (bytes used, header included), then 4- or 8-byte (64bit)
// block numbers.
namespace revoke {
inline constexpr usize kCount = 0xC;
inline constexpr usize kRecords = 0x10;
}  // namespace revoke

// A commit block: the header, then the checksum fields (csum v2/v3: h_chksum[0] is the crc32c of
// the block with that field zero) and the commit time.
namespace commit {
inline constexpr usize kChecksumType = 0xC;
inline constexpr usize kChecksumSize = 0xD;
inline constexpr usize kChecksum = 0x10;
inline constexpr usize kCommitSeconds = 0x30;
inline constexpr usize kCommitNanoseconds = 0x38;
}  // namespace commit

inline u32 load_be32(const u8* p) {
  return (u32{p[0]} << 24) | (u32{p[1]} << 16) | (u32{p[2]} << 8) | u32{p[3]};
}
inline u16 load_be16(const u8* p) { return static_cast<u16>((p[0] << 8) | p[1]); }
inline void store_be32(u8* p, u32 v) {
  p[0] = static_cast<u8>(v >> 24);
  p[1] = static_cast<u8>(v >> 16);
  p[2] = static_cast<u8>(v >> 8);
  p[3] = static_cast<u8>(v);
}
inline void store_be16(u8* p, u16 v) {
  p[0] = static_cast<u8>(v >> 8);
  p[1] = static_cast<u8>(v);
}
inline void store_be64(u8* p, u64 v) {
  store_be32(p, static_cast<u32>(v >> 32));
  store_be32(p + 4, static_cast<u32>(v));
}

// The Castagnoli CRC as jbd2 uses it: `crc` is the running value (the seed ~0 to start; no final
// inversion), so crc32c(crc32c(s, a), b) == crc32c(s, a ++ b).
u32 crc32c(u32 crc, support::Span<const u8> data);

}  // namespace jbd2

// Journal: an ext3/ext4 journal (jbd2 format, <jbd2/format.h>) kept in an inode of a file system
// on an fs::BlockDevice. It recovers a journal left by a crash (written by Linux, e2fsprogs or
// this library) and commits new transactions that Linux and e2fsck can replay.
//
// The caller (a file system in ordered mode) owns the policy:
//   data blocks home + flush; commit(metadata blocks); metadata blocks home + flush;
//   checkpointed() once every committed block is home.
// While the log is not empty (from the first commit() to checkpointed()) the file system's own
// superblock must say that the journal needs recovery (ext2's incompat flag RECOVER, 0x4), or
// e2fsck ignores the log. The journal never touches the file system's superblock.
//
// Everything read from the device is treated as hostile: open() refuses a damaged superblock,
// recover() stops at the first damaged or incomplete transaction, and every loop is bounded by
// the journal's size. Writes: version 2 superblock fields kept as found; tags carry 32-bit block
// numbers unless the journal has the 64bit feature; checksums (csum v2/v3) only when the
// superblock has them on. Not thread-safe: one caller at a time.
//
// Errors: Invalid (a damaged or unsupported journal, or a bad argument), Io (the device failed;
// after a failed commit() or checkpointed() the journal is aborted and every later call returns
// Io, as the log's state on disk is unknown: recover() on a fresh open() sorts it out), NoSpace
// (commit(): the log lacks room), NoMemory.
#pragma once

#include <fs/block_device.h>
#include <fs/error.h>
#include <jbd2/format.h>
#include <support/format.h>
#include <support/span.h>
#include <support/types.h>
#include <support/vector.h>

namespace jbd2 {

// Where the journal lives: its inode's blocks in order, as physical file system block numbers
// (journal block i is blocks[i]); a block is `block_size` bytes, a multiple of the sector size.
struct Location {
  fs::BlockDevice* device = nullptr;
  u32 block_size = 0;
  support::Vector<u64> blocks;
};

// One block to log: its home (a file system block number) and its new contents (block_size bytes).
struct Block {
  u64 home = 0;
  support::Span<const u8> data;
};

struct RecoveryStats {
  u32 transactions = 0;     // complete transactions found in the log
  u32 blocks_replayed = 0;  // home blocks written (each once: the newest copy)
  u32 blocks_revoked = 0;   // logged copies skipped because a later revoke record covers them
};

class Journal {
 public:
  ~Journal() = default;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Reads and checks the journal superblock (v1 and v2). Refuses (Invalid, with a line in *why
  // when `why` is not null) a bad magic or block type, a block size other than
  // location.block_size, a log that does not fit the given blocks or the device, a superblock
  // checksum that does not match, and unsupported incompatible or read-only features, named
  // ("async_commit", "fast_commit", or the bit in hex). Io when the device fails. The caller
  // owns the returned journal (delete).
  static fs::Result<Journal*> open(Location location, support::FormatSink* why = nullptr);
  // The same, appending the reason's characters (no NUL) to *why.
  static fs::Result<Journal*> open(Location location, support::Vector<char>* why);

  // The log holds transactions that may not be home yet (s_start != 0): call recover().
  bool needs_recovery() const { return needs_recovery_; }

  // Scans the log from s_start: sequence numbers, descriptor, revoke and commit blocks, escaped
  // blocks, and the checksums when csum v2/v3 is on. Stops at the first incomplete or damaged
  // transaction, which is not applied, nor any after it. Then writes every block of every
  // complete transaction home (the newest copy of each, except those a revoke record in the same
  // or a later transaction covers), flushes, and marks the journal empty (s_start 0, s_sequence
  // the next sequence number), written and flushed. A journal that needs no recovery returns
  // zero stats. Io when the device fails (nothing is marked: recovering again is safe).
  fs::Result<RecoveryStats> recover();

  // The most blocks one commit() may carry (with at most as many revoked blocks): what fits an
  // empty log.
  u32 max_transaction_blocks() const;

  // Logs one transaction: revoke records for `revoked` (home blocks whose logged copies must not
  // be replayed any more: blocks freed since they were logged), descriptor blocks with a tag per
  // block (escaping a block that begins with the jbd2 magic), the blocks, a flush, the commit
  // block, a flush. Durable on return: after a crash recover() writes these blocks home.
  // Invalid: a block's size is not block_size, a home outside the device (or over 32 bits
  // without the 64bit feature) or in the journal, a home both in `blocks` and `revoked`, more than
  // max_transaction_blocks(), revokes on a v1 journal, or a journal that needs recovery.
  // NoSpace: the log lacks room now (write the committed blocks home, checkpointed(), retry).
  fs::Result<void> commit(support::Span<const Block> blocks, support::Span<const u64> revoked = {});

  // The caller has written every committed block home and flushed: the log is empty again
  // (s_start 0, s_sequence the next sequence number), written and flushed.
  fs::Result<void> checkpointed();

  // The sequence number the next commit() gets.
  u32 next_sequence() const { return sequence_; }
  // Blocks the log holds now, and its size (s_maxlen - s_first).
  u32 log_used() const { return used_; }
  u32 log_size() const { return max_len_ - first_; }

 private:
  struct Tag;
  struct Revoked;
  struct Scan;

  explicit Journal(Location location) : location_(support::move(location)) {}
  fs::Result<void> load_superblock(support::FormatSink* why);
  fs::Result<void> check_features(support::FormatSink* why);

  u32 next(u32 index) const { return index + 1 == max_len_ ? first_ : index + 1; }
  u64 sector_of(u64 fs_block) const { return fs_block * (block_size_ / fs::kSectorSize); }
  bool home_ok(u64 home) const;
  bool in_journal(u64 home) const;
  bool csum() const { return (incompat_ & (kIncompatCsumV2 | kIncompatCsumV3)) != 0; }
  usize tag_bytes() const;
  usize tags_per_descriptor() const;
  usize records_per_revoke() const;
  u32 blocks_needed(usize blocks, usize revoked) const;
  fs::Result<void> read_block(u32 index, support::Span<u8> out);
  u32 superblock_checksum() const;
  void seal_superblock(u32 start, u32 sequence);
  fs::Result<void> write_superblock();
  void write_tag(u8* tag, u64 home, u32 flags, u32 checksum) const;
  void seal_tail(support::Span<u8> block) const;
  bool tail_ok(support::Span<u8> block) const;
  u32 data_checksum(u32 sequence, support::Span<const u8> data) const;

  fs::Result<void> scan(Scan& scan);
  fs::Result<bool> scan_transaction(Scan& scan, u32& index, u32 sequence);
  fs::Result<bool> scan_descriptor(Scan& scan, u32& index, u32 sequence,
                                   support::Span<u8> descriptor);
  fs::Result<bool> scan_revoke(Scan& scan, support::Span<u8> block);
  bool commit_ok(support::Span<u8> block);
  fs::Result<void> replay(Scan& scan, RecoveryStats& stats);
  fs::Result<void> replay_batch(support::Span<const Tag> tags);

  fs::Result<void> check_commit(support::Span<const Block> blocks,
                                support::Span<const u64> revoked) const;
  fs::Result<void> write_transaction(support::Span<const Block> blocks,
                                     support::Span<const u64> revoked);

  Location location_;
  u32 block_size_ = 0;
  u64 device_blocks_ = 0;               // the device's size in blocks: every home is below it
  support::Vector<u64> sorted_blocks_;  // the journal's blocks, sorted: no home is one of them
  support::Vector<u8> superblock_;      // journal block 0 as read, rewritten with new fields
  u32 version_ = 0;                     // 1 or 2
  u32 max_len_ = 0;
  u32 first_ = 0;
  u32 start_ = 0;      // s_start as on disk
  u32 incompat_ = 0;   // s_feature_incompat (0 for v1)
  u32 csum_seed_ = 0;  // crc32c(~0, uuid)
  bool needs_recovery_ = false;
  bool aborted_ = false;
  // The log as this journal writes it: the next block to write, blocks in use, and the next
  // transaction's sequence number.
  u32 head_ = 0;
  u32 used_ = 0;
  u32 sequence_ = 0;
  u32 sequence_of_start_ = 0;  // the sequence number of the transaction at start_
};

}  // namespace jbd2

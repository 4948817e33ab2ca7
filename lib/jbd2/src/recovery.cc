// Journal::recover: a scan of the log that keeps only complete transactions, then the replay of
// their blocks (revoke records applied, the newest copy of each home block written).
#include <jbd2/journal.h>

#include "journal_internal.h"
#include "sort.h"

namespace jbd2 {
namespace {

// Home blocks written per batch: one transfer reads their copies, one writes them home.
constexpr usize kReplayBatch = 32;

}  // namespace

fs::Result<RecoveryStats> Journal::recover() {
  if (aborted_) return fs::Error::Io;
  if (!needs_recovery_) return RecoveryStats{};
  Scan scan;
  TRY(resize(scan.block, block_size_));
  TRY(resize(scan.data, block_size_));
  TRY(this->scan(scan));
  RecoveryStats stats;
  stats.transactions = scan.transactions;
  TRY(replay(scan, stats));
  TRY(location_.device->flush());
  // The number after the first one the scan did not accept: blocks of a damaged or incomplete
  // transaction may still be in the log, and must never be taken for a new transaction's.
  sequence_ = scan.next_sequence + 1;
  seal_superblock(0, sequence_);
  TRY(write_superblock());
  TRY(location_.device->flush());
  start_ = 0;
  head_ = first_;
  used_ = 0;
  needs_recovery_ = false;
  return stats;
}

fs::Result<void> Journal::scan(Scan& scan) {
  u32 index = start_;
  u32 sequence = load_be32(superblock_.data() + sb::kSequence);
  usize tags = 0, revoked = 0;
  for (;;) {
    bool complete = TRY(scan_transaction(scan, index, sequence));
    if (!complete) break;
    tags = scan.tags.size();
    revoked = scan.revoked.size();
    ++scan.transactions;
    ++sequence;
  }
  scan.tags.shrink_to(tags);
  scan.revoked.shrink_to(revoked);
  scan.next_sequence = sequence;
  return {};
}

// Reads one transaction from `index` on, recording its tags and revoke records; true when its
// commit block was found and checks out, false when the transaction is incomplete or damaged.
fs::Result<bool> Journal::scan_transaction(Scan& scan, u32& index, u32 sequence) {
  for (;;) {
    if (scan.walked >= log_size()) return false;
    ++scan.walked;
    TRY(read_block(index, scan.block.span()));
    index = next(index);
    const u8* block = scan.block.data();
    if (load_be32(block + header::kMagic) != kMagic) return false;
    if (load_be32(block + header::kSequence) != sequence) return false;
    switch (static_cast<BlockType>(load_be32(block + header::kBlockType))) {
      case BlockType::Descriptor:
        if (!TRY(scan_descriptor(scan, index, sequence, scan.block.span()))) return false;
        break;
      case BlockType::Revoke:
        if (!TRY(scan_revoke(scan, scan.block.span()))) return false;
        break;
      case BlockType::Commit: return commit_ok(scan.block.span());
      default: return false;
    }
  }
}

fs::Result<bool> Journal::scan_descriptor(Scan& scan, u32& index, u32 sequence,
                                          support::Span<u8> descriptor) {
  if (csum() && !tail_ok(descriptor)) return false;
  const usize end = block_size_ - (csum() ? kTailSize : 0), size = tag_bytes();
  const bool v3 = (incompat_ & kIncompatCsumV3) != 0, wide = (incompat_ & kIncompat64Bit) != 0;
  for (usize offset = header::kSize; offset + size <= end;) {
    const u8* tag = descriptor.data() + offset;
    u64 home = load_be32(tag);
    u32 flags = v3 ? load_be32(tag + 4) : load_be16(tag + 6);
    u32 checksum = v3 ? load_be32(tag + 12) : load_be16(tag + 4);
    if (wide) home |= u64{load_be32(tag + 8)} << 32;
    offset += size;
    if ((flags & kTagSameUuid) == 0) offset += kUuidSize;
    if (offset > end || !home_ok(home) || in_journal(home)) return false;
    if (scan.walked >= log_size()) return false;
    ++scan.walked;
    u32 copy = index;
    index = next(index);
    if (csum()) {
      TRY(read_block(copy, scan.data.span()));
      u32 computed = data_checksum(sequence, scan.data.span());
      if (!v3) computed &= 0xFFFF;
      if (computed != checksum) return false;
    }
    TRY(push(scan.tags, Tag{home, copy, scan.transactions, static_cast<u32>(scan.tags.size()),
                            (flags & kTagEscape) != 0}));
    if ((flags & kTagLast) != 0) break;
  }
  return true;
}

fs::Result<bool> Journal::scan_revoke(Scan& scan, support::Span<u8> block) {
  if (csum() && !tail_ok(block)) return false;
  const usize end = block_size_ - (csum() ? kTailSize : 0);
  const u32 count = load_be32(block.data() + revoke::kCount);
  if (count < revoke::kRecords || count > end) return false;
  const bool wide = (incompat_ & kIncompat64Bit) != 0;
  const usize record = wide ? 8 : 4;
  for (usize offset = revoke::kRecords; offset + record <= count; offset += record) {
    const u8* p = block.data() + offset;
    u64 home = wide ? (u64{load_be32(p)} << 32) | load_be32(p + 4) : load_be32(p);
    TRY(push(scan.revoked, Revoked{home, scan.transactions}));
  }
  return true;
}

bool Journal::commit_ok(support::Span<u8> block) {
  if (!csum()) return true;
  u8* field = block.data() + commit::kChecksum;
  u32 stored = load_be32(field);
  store_be32(field, 0);
  u32 computed = crc32c(csum_seed_, block);
  store_be32(field, stored);
  return stored == computed;
}

// Drops the copies that revoke records cover, keeps the newest copy of each home, and writes
// those home in batches.
fs::Result<void> Journal::replay(Scan& scan, RecoveryStats& stats) {
  heap_sort(scan.revoked.span(), [](const Revoked& a, const Revoked& b) {
    return a.block != b.block ? a.block < b.block : a.transaction < b.transaction;
  });
  // The last record of a block holds the latest transaction that revokes it.
  auto revoked = [&](const Tag& tag) {
    usize low = 0, high = scan.revoked.size();
    while (low < high) {
      usize mid = (low + high) / 2;
      if (scan.revoked[mid].block <= tag.home)
        low = mid + 1;
      else
        high = mid;
    }
    return low > 0 && scan.revoked[low - 1].block == tag.home &&
           scan.revoked[low - 1].transaction >= tag.transaction;
  };
  usize kept = 0;
  for (usize i = 0; i < scan.tags.size(); ++i) {
    if (revoked(scan.tags[i])) {
      ++stats.blocks_revoked;
      continue;
    }
    scan.tags[kept++] = scan.tags[i];
  }
  scan.tags.shrink_to(kept);
  heap_sort(scan.tags.span(), [](const Tag& a, const Tag& b) {
    return a.home != b.home ? a.home < b.home : a.order < b.order;
  });
  // Keep the last (newest) tag of each home.
  kept = 0;
  for (usize i = 0; i < scan.tags.size(); ++i) {
    if (i + 1 < scan.tags.size() && scan.tags[i + 1].home == scan.tags[i].home) continue;
    scan.tags[kept++] = scan.tags[i];
  }
  scan.tags.shrink_to(kept);
  for (usize i = 0; i < kept; i += kReplayBatch)
    TRY(replay_batch(scan.tags.span().subspan(i, kReplayBatch)));
  stats.blocks_replayed = static_cast<u32>(kept);
  return {};
}

fs::Result<void> Journal::replay_batch(support::Span<const Tag> tags) {
  support::Vector<u8> buffer;
  support::Vector<fs::BlockRequest> requests;
  TRY(resize(buffer, tags.size() * block_size_));
  TRY(resize(requests, tags.size()));
  for (usize i = 0; i < tags.size(); ++i)
    requests[i] = fs::BlockRequest{false,
                                   sector_of(location_.blocks[tags[i].index]),
                                   {buffer.data() + i * block_size_, block_size_},
                                   {}};
  TRY(location_.device->transfer(requests.span()));
  for (usize i = 0; i < tags.size(); ++i) {
    if (tags[i].escaped) store_be32(buffer.data() + i * block_size_, kMagic);
    requests[i].write = true;
    requests[i].sector = sector_of(tags[i].home);
    requests[i].result = {};
  }
  return location_.device->transfer(requests.span());
}

}  // namespace jbd2

// The ext3 journal (lib/jbd2) in ordered mode. A commit writes the dirty data blocks home and
// flushes (volume.cc), then logs the dirty metadata blocks as one transaction (durable when
// journal->commit() returns), writes them home, flushes, and tells the journal its log is empty
// again. The log is empty between commits, so a block freed and reused never needs a revoke
// record: no older transaction can be replayed over it. The superblock says needs_recovery
// (RECOVER) from a read-write mount to its unmount, as Linux does.
#include <jbd2/journal.h>

#include "impl.h"

namespace ext2 {

using namespace format;

namespace {
constexpr u32 kJournalBlocksMax =
    1u << 24;  // no journal is larger (mke2fs caps it at 1 GiB... in blocks)
}

Volume::Impl::~Impl() { delete journal; }

// The journal inode's blocks in order.
fs::Result<void> Volume::Impl::journal_blocks(support::Vector<u64>& out, support::FormatSink* why) {
  Ino ino = le32(super + sb::kJournalInum);
  if (ino == 0 || le32(super + sb::kJournalDev) != 0) {
    say(why, "ext2: the journal is on another device (unsupported)");
    return fs::Error::Invalid;
  }
  Inode inode = TRY(load(ino));
  u64 count = inode.size / block_size;
  if (!inode.is_file() || count == 0 || count > kJournalBlocksMax) {
    say(why, "ext2: the journal inode is damaged");
    return fs::Error::Invalid;
  }
  if (out.try_reserve(static_cast<usize>(count)).is_error()) return fs::Error::NoMemory;
  for (u64 index = 0; index < count; ++index) {
    auto block = map(inode, index);
    if (block.is_error() || block.value() == 0) {
      say(why, "ext2: the journal inode is damaged");
      return fs::Error::Invalid;
    }
    (void)out.try_push(block.value());  // reserved above
  }
  return {};
}

fs::Result<void> Volume::Impl::open_journal(support::FormatSink* why) {
  if ((compat & kCompatHasJournal) == 0) {
    if (incompat & kIncompatRecover) {
      say(why, "ext2: needs_recovery without a journal");
      return fs::Error::Invalid;
    }
    return {};
  }
  jbd2::Location location;
  location.device = &device;
  location.block_size = block_size;
  TRY(journal_blocks(location.blocks, why));
  journal = TRY(jbd2::Journal::open(support::move(location), why));
  if (!journal->needs_recovery() && (incompat & kIncompatRecover) == 0) return {};
  if (device.read_only()) {
    say(why, "ext2: the journal needs recovery and the device is read-only");
    return fs::Error::ReadOnly;
  }
  TRY(journal->recover());
  // Recovery wrote blocks home behind the cache's back: read everything again.
  cache.drop_clean();
  if (device.read(kSuperOffset / fs::kSectorSize, support::Span<u8>(super, kSuperSize)).is_error())
    return fs::Error::Io;
  if (le16(super + sb::kMagicField) != kMagic) {
    say(why, "ext2: no ext2 superblock after journal recovery");
    return fs::Error::Invalid;
  }
  bool wanted_read_only = read_only;
  TRY(read_super(why));
  TRY(check_features(why));
  TRY(read_groups(why));
  incompat &= ~kIncompatRecover;
  bool was = read_only;
  read_only = false;  // the superblock's new state goes home even on a read-only mount
  TRY(write_super());
  TRY(commit_metadata_direct());
  read_only = was || wanted_read_only;
  return {};
}

fs::Result<void> Volume::Impl::commit_metadata_direct() {
  TRY(cache.write_back(Dirt::Meta));
  if (device.flush().is_error()) return fs::Error::Io;
  return {};
}

fs::Result<void> Volume::Impl::commit_metadata() {
  if (cache.count(Dirt::Meta) == 0) return {};
  if (journal == nullptr) return commit_metadata_direct();
  support::Vector<Entry*> entries;
  TRY(cache.collect(Dirt::Meta, entries));
  support::Vector<jbd2::Block> blocks;
  if (blocks.try_reserve(entries.size()).is_error()) return fs::Error::NoMemory;
  for (Entry* e : entries)
    (void)blocks.try_push(jbd2::Block{e->block, support::Span<const u8>(e->data, block_size)});
  // FIXME: a transaction larger than the log (no operation makes one: end_operation() commits
  // long before) is logged in parts, which is not atomic.
  usize max = journal->max_transaction_blocks();
  for (usize at = 0; at < blocks.size(); at += max) {
    usize n = blocks.size() - at < max ? blocks.size() - at : max;
    TRY(journal->commit(support::Span<const jbd2::Block>(blocks.data() + at, n)));
  }
  TRY(commit_metadata_direct());
  return journal->checkpointed();
}

usize Volume::Impl::max_transaction() const {
  if (journal == nullptr) return 4096;
  return journal->max_transaction_blocks() / 2;
}

fs::Result<void> Volume::Impl::mark_journal_in_use(bool in_use) {
  if (journal == nullptr) return {};
  if (in_use)
    incompat |= kIncompatRecover;
  else
    incompat &= ~kIncompatRecover;
  return {};
}

}  // namespace ext2

// Journal: opening (the superblock and its checks), commits and checkpoints. Recovery is in
// recovery.cc.
#include <jbd2/journal.h>
#include <support/new.h>
#include <support/utility.h>

#include "journal_internal.h"
#include "sort.h"

namespace jbd2 {
namespace {

constexpr u32 kMinBlockSize = 1024;
constexpr u32 kMaxBlockSize = 65536;
constexpr u32 kMinLogBlocks = 4;

struct FeatureName {
  u32 bit;
  const char* name;
};
constexpr FeatureName kIncompatNames[] = {
    {kIncompatRevoke, "revoke"},
    {kIncompat64Bit, "64bit"},
    {kIncompatAsyncCommit, "async_commit"},
    {kIncompatCsumV2, "csum_v2"},
    {kIncompatCsumV3, "csum_v3"},
    {kIncompatFastCommit, "fast_commit"},
};

// Writes the reason into *why (when there is one) and returns Invalid.
template <typename... Args>
fs::Error refuse(support::FormatSink* why, support::StringView fmt, const Args&... args) {
  if (why != nullptr) support::format(*why, fmt, args...);
  return fs::Error::Invalid;
}

}  // namespace

fs::Result<Journal*> Journal::open(Location location, support::FormatSink* why) {
  Journal* journal = new (std::nothrow) Journal(support::move(location));
  if (journal == nullptr) return fs::Error::NoMemory;
  auto loaded = journal->load_superblock(why);
  if (loaded.is_error()) {
    delete journal;
    return loaded.error();
  }
  return journal;
}

namespace {

// Appends what is formatted to a Vector<char> (as much as memory allows).
class VectorSink final : public support::FormatSink {
 public:
  explicit VectorSink(support::Vector<char>& out) : out_(out) {}
  void write(const char* data, usize size) override {
    for (usize i = 0; i < size; ++i)
      if (out_.try_push(data[i]).is_error()) return;
  }
  using FormatSink::write;

 private:
  support::Vector<char>& out_;
};

}  // namespace

fs::Result<Journal*> Journal::open(Location location, support::Vector<char>* why) {
  if (why == nullptr)
    return open(support::move(location), static_cast<support::FormatSink*>(nullptr));
  VectorSink sink(*why);
  return open(support::move(location), &sink);
}

fs::Result<void> Journal::load_superblock(support::FormatSink* why) {
  fs::BlockDevice* device = location_.device;
  u32 size = location_.block_size;
  if (device == nullptr) return refuse(why, "journal: no device");
  if (size < kMinBlockSize || size > kMaxBlockSize || !support::is_power_of_two(size))
    return refuse(why, "journal: block size {} is not a power of two from 1024 to 65536", size);
  block_size_ = size;
  device_blocks_ = device->sector_count() / (size / fs::kSectorSize);
  if (location_.blocks.empty() || !home_ok(location_.blocks[0]))
    return refuse(why, "journal: its first block is missing or outside the device");
  TRY(resize(superblock_, size));
  TRY(read_block(0, superblock_.span()));
  const u8* s = superblock_.data();
  if (load_be32(s + header::kMagic) != kMagic)
    return refuse(why, "journal: bad magic {:#x}", load_be32(s + header::kMagic));
  u32 type = load_be32(s + header::kBlockType);
  if (type == static_cast<u32>(BlockType::SuperblockV1))
    version_ = 1;
  else if (type == static_cast<u32>(BlockType::SuperblockV2))
    version_ = 2;
  else
    return refuse(why, "journal: block 0 is not a superblock (type {})", type);
  if (load_be32(s + sb::kBlockSize) != size)
    return refuse(why, "journal: block size {}, the file system's is {}",
                  load_be32(s + sb::kBlockSize), size);
  max_len_ = load_be32(s + sb::kMaxLen);
  first_ = load_be32(s + sb::kFirst);
  if (max_len_ > location_.blocks.size())
    return refuse(why, "journal: {} blocks, its inode has {}", max_len_, location_.blocks.size());
  if (first_ == 0 || first_ >= max_len_ || max_len_ - first_ < kMinLogBlocks)
    return refuse(why, "journal: a log from block {} to {} is misplaced or too small", first_,
                  max_len_);
  if (sorted_blocks_.try_reserve(max_len_).is_error()) return fs::Error::NoMemory;
  for (u32 i = 0; i < max_len_; ++i) {
    if (!home_ok(location_.blocks[i]))
      return refuse(why, "journal: block {} ({}) is outside the device", i, location_.blocks[i]);
    (void)sorted_blocks_.try_push(location_.blocks[i]);  // reserved above
  }
  heap_sort(sorted_blocks_.span(), [](u64 a, u64 b) { return a < b; });
  for (u32 i = 1; i < max_len_; ++i)
    if (sorted_blocks_[i] == sorted_blocks_[i - 1])
      return refuse(why, "journal: block {} appears twice in its inode", sorted_blocks_[i]);
  start_ = load_be32(s + sb::kStart);
  if (start_ != 0 && (start_ < first_ || start_ >= max_len_))
    return refuse(why, "journal: s_start {} is outside the log", start_);
  sequence_ = load_be32(s + sb::kSequence);
  if (version_ == 2) TRY(check_features(why));
  needs_recovery_ = start_ != 0;
  head_ = first_;
  used_ = 0;
  return {};
}

fs::Result<void> Journal::check_features(support::FormatSink* why) {
  const u8* s = superblock_.data();
  incompat_ = load_be32(s + sb::kFeatureIncompat);
  u32 unsupported = incompat_ & ~kIncompatSupported;
  if (unsupported != 0) {
    if (why != nullptr) {
      support::format(*why, "journal: unsupported incompatible features:");
      for (const FeatureName& feature : kIncompatNames) {
        if ((unsupported & feature.bit) == 0) continue;
        support::format(*why, " {}", feature.name);
        unsupported &= ~feature.bit;
      }
      if (unsupported != 0) support::format(*why, " {:#x}", unsupported);
    }
    return fs::Error::Invalid;
  }
  u32 ro_compat = load_be32(s + sb::kFeatureRoCompat);
  if (ro_compat != 0)
    return refuse(why, "journal: unsupported read-only features {:#x}", ro_compat);
  if ((incompat_ & kIncompatCsumV2) != 0 && (incompat_ & kIncompatCsumV3) != 0)
    return refuse(why, "journal: both csum_v2 and csum_v3");
  if (!csum()) return {};
  if (s[sb::kChecksumType] != kChecksumCrc32c)
    return refuse(why, "journal: checksum type {} is not crc32c", s[sb::kChecksumType]);
  u32 stored = load_be32(s + sb::kChecksum);
  u32 computed = superblock_checksum();
  if (stored != computed)
    return refuse(why, "journal: superblock checksum {:#x}, computed {:#x}", stored, computed);
  csum_seed_ = crc32c(~0u, support::Span<const u8>(s + sb::kUuid, kUuidSize));
  return {};
}

u32 Journal::superblock_checksum() const {
  static constexpr u8 kZero[4] = {};
  const u8* s = superblock_.data();
  u32 crc = crc32c(~0u, support::Span<const u8>(s, sb::kChecksum));
  crc = crc32c(crc, support::Span<const u8>(kZero, 4));
  return crc32c(crc, support::Span<const u8>(s + sb::kChecksum + 4, sb::kSize - sb::kChecksum - 4));
}

bool Journal::home_ok(u64 home) const { return home < device_blocks_; }

bool Journal::in_journal(u64 home) const {
  usize low = 0, high = sorted_blocks_.size();
  while (low < high) {
    usize mid = (low + high) / 2;
    if (sorted_blocks_[mid] < home)
      low = mid + 1;
    else
      high = mid;
  }
  return low < sorted_blocks_.size() && sorted_blocks_[low] == home;
}

usize Journal::tag_bytes() const {
  if ((incompat_ & kIncompatCsumV3) != 0) return 16;
  usize size = 12;
  if ((incompat_ & kIncompatCsumV2) != 0) size += 2;
  if ((incompat_ & kIncompat64Bit) == 0) size -= 4;
  return size;
}

usize Journal::tags_per_descriptor() const {
  // The first tag of a descriptor carries the uuid; the others say "same uuid".
  usize room = block_size_ - header::kSize - (csum() ? kTailSize : 0) - kUuidSize;
  return room / tag_bytes();
}

usize Journal::records_per_revoke() const {
  usize room = block_size_ - revoke::kRecords - (csum() ? kTailSize : 0);
  return room / ((incompat_ & kIncompat64Bit) != 0 ? 8 : 4);
}

u32 Journal::blocks_needed(usize blocks, usize revoked) const {
  usize tags = tags_per_descriptor(), records = records_per_revoke();
  usize total = (blocks + tags - 1) / tags + blocks + (revoked + records - 1) / records + 1;
  return total > log_size() ? log_size() + 1 : static_cast<u32>(total);
}

u32 Journal::max_transaction_blocks() const {
  u32 low = 0, high = log_size();
  while (low < high) {
    u32 mid = low + (high - low + 1) / 2;
    if (blocks_needed(mid, mid) <= log_size())
      low = mid;
    else
      high = mid - 1;
  }
  return low;
}

fs::Result<void> Journal::read_block(u32 index, support::Span<u8> out) {
  return location_.device->read(sector_of(location_.blocks[index]), out);
}

void Journal::seal_superblock(u32 start, u32 sequence) {
  u8* s = superblock_.data();
  store_be32(s + sb::kStart, start);
  store_be32(s + sb::kSequence, sequence);
  if (version_ == 2) store_be32(s + sb::kFeatureIncompat, incompat_);
  if (csum()) store_be32(s + sb::kChecksum, superblock_checksum());
}

fs::Result<void> Journal::write_superblock() {
  return location_.device->write(sector_of(location_.blocks[0]), superblock_.span());
}

void Journal::seal_tail(support::Span<u8> block) const {
  if (!csum()) return;
  u8* tail = block.data() + block.size() - kTailSize;
  store_be32(tail, 0);
  store_be32(tail, crc32c(csum_seed_, block));
}

bool Journal::tail_ok(support::Span<u8> block) const {
  u8* tail = block.data() + block.size() - kTailSize;
  u32 stored = load_be32(tail);
  store_be32(tail, 0);
  u32 computed = crc32c(csum_seed_, block);
  store_be32(tail, stored);
  return stored == computed;
}

u32 Journal::data_checksum(u32 sequence, support::Span<const u8> data) const {
  u8 number[4];
  store_be32(number, sequence);
  return crc32c(crc32c(csum_seed_, support::Span<const u8>(number, 4)), data);
}

fs::Result<void> Journal::commit(support::Span<const Block> blocks,
                                 support::Span<const u64> revoked) {
  if (aborted_) return fs::Error::Io;
  TRY(check_commit(blocks, revoked));
  if (blocks_needed(blocks.size(), revoked.size()) > log_size() - used_) return fs::Error::NoSpace;
  auto written = write_transaction(blocks, revoked);
  // Once a write was issued the log's state on disk is unknown: nothing more goes into it.
  if (written.is_error() && written.error() != fs::Error::NoMemory) aborted_ = true;
  return written;
}

fs::Result<void> Journal::check_commit(support::Span<const Block> blocks,
                                       support::Span<const u64> revoked) const {
  if (needs_recovery_) return fs::Error::Invalid;
  if (version_ == 1 && !revoked.empty()) return fs::Error::Invalid;
  u32 most = max_transaction_blocks();
  if (blocks.size() > most || revoked.size() > most) return fs::Error::Invalid;
  bool wide = (incompat_ & kIncompat64Bit) != 0;
  auto home_fits = [&](u64 home) { return home_ok(home) && (wide || (home >> 32) == 0); };
  support::Vector<u64> sorted;
  if (sorted.try_reserve(revoked.size()).is_error()) return fs::Error::NoMemory;
  for (u64 home : revoked) {
    if (!home_fits(home)) return fs::Error::Invalid;
    (void)sorted.try_push(home);  // reserved above
  }
  heap_sort(sorted.span(), [](u64 a, u64 b) { return a < b; });
  for (const Block& block : blocks) {
    if (block.data.size() != block_size_ || !home_fits(block.home) || in_journal(block.home))
      return fs::Error::Invalid;
    usize low = 0, high = sorted.size();
    while (low < high) {
      usize mid = (low + high) / 2;
      if (sorted[mid] < block.home)
        low = mid + 1;
      else
        high = mid;
    }
    if (low < sorted.size() && sorted[low] == block.home) return fs::Error::Invalid;
  }
  return {};
}

void Journal::write_tag(u8* tag, u64 home, u32 flags, u32 checksum) const {
  store_be32(tag, static_cast<u32>(home));
  bool wide = (incompat_ & kIncompat64Bit) != 0;
  if ((incompat_ & kIncompatCsumV3) != 0) {
    store_be32(tag + 4, flags);
    store_be32(tag + 8, wide ? static_cast<u32>(home >> 32) : 0);
    store_be32(tag + 12, checksum);
    return;
  }
  store_be16(tag + 4, (incompat_ & kIncompatCsumV2) != 0 ? static_cast<u16>(checksum) : 0);
  store_be16(tag + 6, static_cast<u16>(flags));
  if (wide) store_be32(tag + 8, static_cast<u32>(home >> 32));
}

// The log order: revoke blocks, then each descriptor followed by its blocks, then the commit
// block after a flush.
fs::Result<void> Journal::write_transaction(support::Span<const Block> blocks,
                                            support::Span<const u64> revoked) {
  const usize size = block_size_, per_descriptor = tags_per_descriptor();
  const usize per_revoke = records_per_revoke();
  const bool wide = (incompat_ & kIncompat64Bit) != 0;
  usize escaped = 0;
  for (const Block& block : blocks) escaped += load_be32(block.data.data()) == kMagic;
  usize descriptors = (blocks.size() + per_descriptor - 1) / per_descriptor;
  usize revokes = (revoked.size() + per_revoke - 1) / per_revoke;
  support::Vector<u8> scratch;
  support::Vector<fs::BlockRequest> requests;
  TRY(resize(scratch, (descriptors + revokes + 1 + escaped) * size));
  if (requests.try_reserve(descriptors + revokes + blocks.size() + 1).is_error())
    return fs::Error::NoMemory;
  const u32 sequence = sequence_, first = head_;
  u32 index = head_;
  u8* free = scratch.data();
  auto take = [&] {
    u8* block = free;
    free += size;
    return block;
  };
  auto add = [&](u8* data) {
    (void)requests.try_push(
        fs::BlockRequest{true, sector_of(location_.blocks[index]), {data, size}, {}});
    index = next(index);
  };
  for (usize i = 0; i < revoked.size();) {
    u8* block = take();
    put_header(block, BlockType::Revoke, sequence);
    usize offset = revoke::kRecords;
    for (usize k = 0; k < per_revoke && i < revoked.size(); ++k, ++i) {
      if (wide) {
        store_be64(block + offset, revoked[i]);
        offset += 8;
      } else {
        store_be32(block + offset, static_cast<u32>(revoked[i]));
        offset += 4;
      }
    }
    store_be32(block + revoke::kCount, static_cast<u32>(offset));
    seal_tail({block, size});
    add(block);
  }
  for (usize i = 0; i < blocks.size();) {
    u8* descriptor = take();
    put_header(descriptor, BlockType::Descriptor, sequence);
    add(descriptor);
    usize count = support::min(per_descriptor, blocks.size() - i), offset = header::kSize;
    for (usize k = 0; k < count; ++k, ++i) {
      const u8* data = blocks[i].data.data();
      u32 flags = (k == 0 ? 0 : kTagSameUuid) | (k + 1 == count ? kTagLast : 0);
      if (load_be32(data) == kMagic) {
        u8* copy = take();
        __builtin_memcpy(copy, data, size);
        store_be32(copy, 0);
        data = copy;
        flags |= kTagEscape;
      }
      write_tag(descriptor + offset, blocks[i].home, flags, data_checksum(sequence, {data, size}));
      offset += tag_bytes();
      if (k == 0) {
        __builtin_memcpy(descriptor + offset, superblock_.data() + sb::kUuid, kUuidSize);
        offset += kUuidSize;
      }
      add(const_cast<u8*>(data));  // transfer() never writes into a write request's bytes
    }
    seal_tail({descriptor, size});
  }
  u8* commit = take();
  put_header(commit, BlockType::Commit, sequence);
  if (csum()) store_be32(commit + commit::kChecksum, crc32c(csum_seed_, {commit, size}));
  u32 commit_index = index;
  bool new_revoke_feature = !revoked.empty() && (incompat_ & kIncompatRevoke) == 0;
  bool superblock = used_ == 0 || new_revoke_feature;
  if (superblock) {
    incompat_ |= revoked.empty() ? 0 : kIncompatRevoke;
    seal_superblock(used_ == 0 ? first : start_, used_ == 0 ? sequence : sequence_of_start_);
    (void)requests.try_push(
        fs::BlockRequest{true, sector_of(location_.blocks[0]), superblock_.span(), {}});
  }
  fs::BlockDevice& device = *location_.device;
  TRY(device.transfer(requests.span()));
  TRY(device.flush());
  TRY(device.write(sector_of(location_.blocks[commit_index]), {commit, size}));
  TRY(device.flush());
  if (used_ == 0) {
    start_ = first;
    sequence_of_start_ = sequence;
  }
  used_ += blocks_needed(blocks.size(), revoked.size());
  head_ = next(commit_index);
  ++sequence_;
  return {};
}

fs::Result<void> Journal::checkpointed() {
  if (aborted_) return fs::Error::Io;
  if (needs_recovery_) return fs::Error::Invalid;
  seal_superblock(0, sequence_);
  auto written = write_superblock();
  if (written.is_ok()) written = location_.device->flush();
  if (written.is_error()) {
    aborted_ = true;
    return written.error();
  }
  start_ = 0;
  head_ = first_;
  used_ = 0;
  return {};
}

}  // namespace jbd2

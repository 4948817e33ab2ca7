// libFuzzer target for the journal reader: the input is a journal (block 0 its superblock, its
// blocks the first of a 64 MiB disk, in order). Opens it, recovers it when it needs recovery,
// then commits a transaction with an escaped block and a revoke and checkpoints, so that the
// writer runs on whatever superblock got through. Seeds: journals from mke2fs images with
// debugfs-written transactions (tools/fs-fuzz/make_seeds.py). Any crash, leak, hang or
// sanitizer report is a finding.
#include <jbd2/journal.h>

#include "fuzz_device.h"

namespace {

constexpr u64 kDiskSectors = (64u << 20) / fs::kSectorSize;

// The block size the superblock claims when it is one a file system uses, else 1 KiB.
u32 block_size_of(const u8* data, usize size) {
  if (size < jbd2::sb::kBlockSize + 4) return 1024;
  u32 claimed = jbd2::load_be32(data + jbd2::sb::kBlockSize);
  return claimed == 2048 || claimed == 4096 ? claimed : 1024;
}

void exercise(jbd2::Journal& journal, u32 block_size) {
  if (journal.needs_recovery()) {
    if (journal.recover().is_error()) return;
  }
  if (journal.max_transaction_blocks() < 2) return;
  static u8 plain[65536], escaped[65536];
  for (u32 i = 0; i < block_size; ++i) plain[i] = static_cast<u8>(i * 7);
  jbd2::store_be32(escaped, jbd2::kMagic);
  jbd2::Block blocks[] = {{1, {plain, block_size}}, {2, {escaped, block_size}}};
  u64 revoked[] = {3};
  if (journal.commit(blocks, revoked).is_ok()) (void)journal.checkpointed();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const u8* data, usize size) {
  u32 block_size = block_size_of(data, size);
  fs_fuzz::FuzzDevice device(data, size, kDiskSectors);
  jbd2::Location where;
  where.device = &device;
  where.block_size = block_size;
  usize blocks = (size + block_size - 1) / block_size;
  for (u64 i = 0; i < blocks; ++i)
    if (where.blocks.try_push(i).is_error()) return 0;
  char reason[200];
  support::BufferSink why(reason, sizeof reason);
  auto journal = jbd2::Journal::open(support::move(where), &why);
  if (journal.is_error()) return 0;
  exercise(*journal.value(), block_size);
  delete journal.value();
  return 0;
}

// The journal against the real e2fsprogs: what it commits, debugfs lists and e2fsck replays; what
// e2fsprogs writes, it recovers; crashes at every write lose no committed transaction and apply
// no half one; hostile journals are refused or stop the scan cleanly.
#include <gtest/gtest.h>
#include <jbd2/journal.h>

#include <cstring>
#include <memory>

#include "image_device.h"

namespace jbd2_test {
namespace {

constexpr u32 kBlock = 1024;

std::vector<uint8_t> pattern(u32 seed, u32 size = kBlock) {
  std::vector<uint8_t> bytes(size);
  u32 x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  return bytes;
}

// A block that begins with the jbd2 magic: the journal must escape it.
std::vector<uint8_t> magic_block(u32 seed) {
  std::vector<uint8_t> bytes = pattern(seed);
  jbd2::store_be32(bytes.data(), jbd2::kMagic);
  return bytes;
}

struct Change {
  u64 home;
  std::vector<uint8_t> data;
};

std::unique_ptr<jbd2::Journal> open_journal(fs::BlockDevice& device, const std::vector<u64>& blocks,
                                            u32 block_size = kBlock) {
  char why[200];
  support::BufferSink sink(why, sizeof why);
  auto journal = jbd2::Journal::open(location(device, blocks, block_size), &sink);
  EXPECT_TRUE(journal.is_ok()) << why;
  return std::unique_ptr<jbd2::Journal>(journal.is_ok() ? journal.value() : nullptr);
}

fs::Result<void> commit(jbd2::Journal& journal, const std::vector<Change>& changes,
                        const std::vector<u64>& revoked = {}) {
  std::vector<jbd2::Block> blocks;
  for (const Change& c : changes) blocks.push_back({c.home, {c.data.data(), c.data.size()}});
  return journal.commit({blocks.data(), blocks.size()}, {revoked.data(), revoked.size()});
}

class JournalTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = temp_path("image");
    make_image(path_, "-t ext2 -j -b 1024", "8M");
    blocks_ = journal_blocks(path_);
    ASSERT_EQ(blocks_.size(), 1024u);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // Four transactions: a block changed twice (the newest wins), an escaped block, a block logged
  // and then revoked by a later transaction.
  void commit_four(jbd2::Journal& journal) {
    ASSERT_TRUE(commit(journal, {{4000, pattern(1)}, {4001, magic_block(2)}}).is_ok());
    ASSERT_TRUE(commit(journal, {{4000, pattern(3)}, {4002, pattern(4)}}).is_ok());
    ASSERT_TRUE(commit(journal, {{4003, pattern(5)}}).is_ok());
    ASSERT_TRUE(commit(journal, {{4004, pattern(6)}}, {4003}).is_ok());
  }
  void expect_four_home(ImageDevice& image, const std::vector<uint8_t>& old_4003) {
    EXPECT_EQ(image.block(4000, kBlock), pattern(3));
    EXPECT_EQ(image.block(4001, kBlock), magic_block(2));
    EXPECT_EQ(image.block(4002, kBlock), pattern(4));
    EXPECT_EQ(image.block(4003, kBlock), old_4003);
    EXPECT_EQ(image.block(4004, kBlock), pattern(6));
  }

  std::string path_;
  std::vector<u64> blocks_;
};

TEST_F(JournalTest, opens_the_journal_mke2fs_makes) {
  ImageDevice image = ImageDevice::load(path_);
  auto journal = open_journal(image, blocks_);
  ASSERT_TRUE(journal);
  EXPECT_FALSE(journal->needs_recovery());
  EXPECT_EQ(journal->log_size(), 1023u);
  EXPECT_EQ(journal->next_sequence(), 1u);
  EXPECT_GT(journal->max_transaction_blocks(), 400u);
  auto stats = journal->recover();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats.value().transactions, 0u);
}

TEST_F(JournalTest, commits_that_debugfs_lists_and_e2fsck_replays) {
  ImageDevice image = ImageDevice::load(path_);
  std::vector<uint8_t> old_4003 = image.block(4003, kBlock);
  auto journal = open_journal(image, blocks_);
  ASSERT_TRUE(journal);
  commit_four(*journal);
  set_needs_recovery(image);
  image.save(path_);
  std::string out;
  run("/usr/sbin/debugfs -R 'logdump' " + path_, &out);
  EXPECT_NE(out.find("Found expected sequence 1, type 1 (descriptor block) at block 1"),
            std::string::npos) << out;
  EXPECT_NE(out.find("Found expected sequence 4, type 5 (revoke table)"), std::string::npos) << out;
  EXPECT_NE(out.find("Found expected sequence 4, type 2 (commit block)"), std::string::npos) << out;
  int status = run("/usr/sbin/e2fsck -fy " + path_, &out);
  EXPECT_TRUE(status == 0 || status == 1) << out;
  EXPECT_NE(out.find("recovering journal"), std::string::npos) << out;
  EXPECT_EQ(run("/usr/sbin/e2fsck -fn " + path_, &out), 0) << out;
  ImageDevice replayed = ImageDevice::load(path_);
  expect_four_home(replayed, old_4003);
}

TEST_F(JournalTest, recovers_its_own_commits) {
  ImageDevice image = ImageDevice::load(path_);
  std::vector<uint8_t> old_4003 = image.block(4003, kBlock);
  {
    auto journal = open_journal(image, blocks_);
    ASSERT_TRUE(journal);
    commit_four(*journal);
    EXPECT_EQ(image.block(4000, kBlock), std::vector<uint8_t>(kBlock, 0)) << "written home early";
  }
  auto journal = open_journal(image, blocks_);
  ASSERT_TRUE(journal);
  EXPECT_TRUE(journal->needs_recovery());
  auto stats = journal->recover();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats.value().transactions, 4u);
  EXPECT_EQ(stats.value().blocks_replayed, 4u);
  EXPECT_EQ(stats.value().blocks_revoked, 1u);
  EXPECT_FALSE(journal->needs_recovery());
  expect_four_home(image, old_4003);
  // Marked empty, and the sequence goes on past the scan's end.
  EXPECT_EQ(journal->next_sequence(), 6u);
  image.save(path_);
  std::string out;
  run("/usr/sbin/dumpe2fs -h " + path_, &out);
  EXPECT_NE(out.find("Journal start:            0"), std::string::npos) << out;
  EXPECT_EQ(run("/usr/sbin/e2fsck -fn " + path_, &out), 0) << out;
  // The journal goes on working after a recovery.
  ASSERT_TRUE(commit(*journal, {{4005, pattern(7)}}).is_ok());
  ASSERT_TRUE(journal->checkpointed().is_ok());
}

TEST_F(JournalTest, commit_checks_its_arguments_and_the_room_left) {
  ImageDevice image = ImageDevice::load(path_);
  auto journal = open_journal(image, blocks_);
  ASSERT_TRUE(journal);
  std::vector<uint8_t> data = pattern(1);
  EXPECT_EQ(commit(*journal, {{4000, pattern(1, 512)}}).error(), fs::Error::Invalid);
  EXPECT_EQ(commit(*journal, {{8192, data}}).error(), fs::Error::Invalid);  // past the device
  EXPECT_EQ(commit(*journal, {{4000, data}}, {4000}).error(), fs::Error::Invalid);
  u32 most = journal->max_transaction_blocks();
  std::vector<Change> big;
  for (u32 i = 0; i <= most; ++i) big.push_back({2000 + i, data});
  EXPECT_EQ(commit(*journal, big).error(), fs::Error::Invalid);
  big.pop_back();
  ASSERT_TRUE(commit(*journal, big).is_ok());
  EXPECT_EQ(commit(*journal, big).error(), fs::Error::NoSpace);
  ASSERT_TRUE(journal->checkpointed().is_ok());
  EXPECT_EQ(journal->log_used(), 0u);
  EXPECT_TRUE(commit(*journal, {{4000, data}}).is_ok());
}

// Transactions of 100 blocks, each written home and checkpointed but the last three: the log
// goes round its end, and the three left straddle it.
TEST_F(JournalTest, a_wrapped_log_is_read_in_order) {
  ImageDevice image = ImageDevice::load(path_);
  auto journal = open_journal(image, blocks_);
  ASSERT_TRUE(journal);
  constexpr u32 kRounds = 12, kPerRound = 100;
  for (u32 round = 0; round < kRounds; ++round) {
    std::vector<Change> changes;
    for (u32 i = 0; i < kPerRound; ++i) changes.push_back({3000 + i, pattern(round * 1000 + i)});
    ASSERT_TRUE(commit(*journal, changes).is_ok()) << round;
    if (round + 3 >= kRounds) continue;
    for (const Change& c : changes) ASSERT_TRUE(image.write(c.home * 2, {c.data.data(), kBlock}).is_ok());
    ASSERT_TRUE(journal->checkpointed().is_ok());
  }
  EXPECT_EQ(journal->log_used(), 3 * (kPerRound + 2));
  set_needs_recovery(image);
  image.save(path_);
  ImageDevice copy = ImageDevice::load(path_);
  auto again = open_journal(copy, blocks_);
  ASSERT_TRUE(again);
  auto stats = again->recover();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats.value().transactions, 3u);
  for (u32 i = 0; i < kPerRound; ++i)
    ASSERT_EQ(copy.block(3000 + i, kBlock), pattern((kRounds - 1) * 1000 + i)) << i;
  // e2fsck reads the wrapped log the same way.
  std::string out;
  int status = run("/usr/sbin/e2fsck -fy " + path_, &out);
  EXPECT_TRUE(status == 0 || status == 1) << out;
  ImageDevice replayed = ImageDevice::load(path_);
  for (u32 i = 0; i < kPerRound; ++i)
    ASSERT_EQ(replayed.block(3000 + i, kBlock), pattern((kRounds - 1) * 1000 + i)) << i;
}

TEST_F(JournalTest, refuses_unknown_incompatible_features_by_name) {
  ImageDevice image = ImageDevice::load(path_);
  u8* sb = image.bytes().data() + blocks_[0] * kBlock;
  jbd2::store_be32(sb + jbd2::sb::kFeatureIncompat, 0x4 | 0x20 | 0x100);
  char why[200];
  support::BufferSink sink(why, sizeof why);
  auto journal = jbd2::Journal::open(location(image, blocks_), &sink);
  ASSERT_TRUE(journal.is_error());
  EXPECT_EQ(journal.error(), fs::Error::Invalid);
  EXPECT_STREQ(why, "journal: unsupported incompatible features: async_commit fast_commit 0x100");
}

TEST_F(JournalTest, refuses_a_block_size_other_than_the_file_systems) {
  ImageDevice image = ImageDevice::load(path_);
  char why[200];
  support::BufferSink sink(why, sizeof why);
  auto journal = jbd2::Journal::open(location(image, blocks_, 2048), &sink);
  ASSERT_TRUE(journal.is_error());
  EXPECT_STREQ(why, "journal: bad magic 0x0");
}

}  // namespace
}  // namespace jbd2_test

// The journal against the real e2fsprogs: what it commits, debugfs lists and e2fsck replays; what
// e2fsprogs writes, it recovers; crashes at every write lose no committed transaction and apply
// no half one; hostile journals are refused or stop the scan cleanly.
#include <gtest/gtest.h>
#include <jbd2/journal.h>

#include <cstring>
#include <map>
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
            std::string::npos)
      << out;
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
  EXPECT_EQ(commit(*journal, {{blocks_[5], data}}).error(), fs::Error::Invalid);  // the journal's
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
    for (const Change& c : changes)
      ASSERT_TRUE(image.write(c.home * 2, {c.data.data(), kBlock}).is_ok());
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

TEST_F(JournalTest, says_why_into_a_vector_too) {
  ImageDevice image = ImageDevice::load(path_);
  u8* sb = image.bytes().data() + blocks_[0] * kBlock;
  jbd2::store_be32(sb + jbd2::sb::kFeatureIncompat, 0x20);
  support::Vector<char> why;
  ASSERT_TRUE(jbd2::Journal::open(location(image, blocks_), &why).is_error());
  EXPECT_EQ(std::string(why.data(), why.size()),
            "journal: unsupported incompatible features: fast_commit");
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

namespace jbd2_test {
namespace {

// Journals written by debugfs (journal_open, journal_write, journal_close): what it logs, this
// library replays as e2fsck does.
struct Written {
  const char* mkfs;
  const char* open;
  u32 block_size;
  const char* features;  // dumpe2fs's "Journal features:" line
};

class DebugfsJournalTest : public testing::TestWithParam<Written> {};

std::string written_name(const testing::TestParamInfo<Written>& info) {
  static const char* const kNames[] = {"ext2_1k", "ext2_4k", "ext4_csum_v3", "ext4_csum_v2"};
  return kNames[info.index];
}

TEST_P(DebugfsJournalTest, recovers_what_debugfs_writes_as_e2fsck_does) {
  const Written& w = GetParam();
  std::string path = temp_path("image"), data = temp_path("data"), cmds = temp_path("cmds");
  make_image(path, w.mkfs, "32M");
  std::vector<u64> blocks = journal_blocks(path);
  ASSERT_FALSE(blocks.empty());
  std::vector<uint8_t> bytes = pattern(9, 3 * w.block_size);
  jbd2::store_be32(bytes.data() + w.block_size, jbd2::kMagic);  // debugfs escapes this one
  FILE* f = std::fopen(data.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  // Five free blocks b[0..4] (debugfs writes home wherever it is told, the journal included).
  // T1: b0, b1, b2; T2: b3 and a revoke of b0; then, in a second session (debugfs 1.47 writes
  // the next transaction over the commit block of one with revoke records), T3: b4 without its
  // commit block.
  std::vector<u64> b = free_blocks(path, 5);
  ASSERT_EQ(b.size(), 5u);
  std::string out;
  for (u32 session = 0; session < 2; ++session) {
    f = std::fopen(cmds.c_str(), "w");
    std::fprintf(f, "%s\n", w.open);
    if (session == 0)
      std::fprintf(f, "jw -b %llu,%llu,%llu %s\njw -b %llu -r %llu %s\n", (unsigned long long)b[0],
                   (unsigned long long)b[1], (unsigned long long)b[2], data.c_str(),
                   (unsigned long long)b[3], (unsigned long long)b[0], data.c_str());
    else
      std::fprintf(f, "jw -b %llu -c %s\n", (unsigned long long)b[4], data.c_str());
    std::fprintf(f, "jc\n");
    std::fclose(f);
    ASSERT_EQ(run("/usr/sbin/debugfs -w -f " + cmds + " " + path, &out), 0) << out;
  }
  run("/usr/sbin/dumpe2fs -h " + path, &out);
  EXPECT_NE(out.find(std::string("Journal features:         ") + w.features), std::string::npos)
      << out;
  ImageDevice image = ImageDevice::load(path);
  std::vector<uint8_t> old_b0 = image.block(b[0], w.block_size);
  std::vector<uint8_t> old_b4 = image.block(b[4], w.block_size);
  auto journal = open_journal(image, blocks, w.block_size);
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->needs_recovery());
  auto stats = journal->recover();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats.value().transactions, 2u);
  EXPECT_EQ(stats.value().blocks_revoked, 1u);
  EXPECT_EQ(stats.value().blocks_replayed, 3u);
  auto part = [&](u32 i) {
    return std::vector<uint8_t>(bytes.begin() + i * w.block_size,
                                bytes.begin() + (i + 1) * w.block_size);
  };
  EXPECT_EQ(image.block(b[0], w.block_size), old_b0);   // revoked
  EXPECT_EQ(image.block(b[1], w.block_size), part(1));  // escaped in the log
  EXPECT_EQ(image.block(b[2], w.block_size), part(2));
  EXPECT_EQ(image.block(b[3], w.block_size), part(0));
  EXPECT_EQ(image.block(b[4], w.block_size), old_b4);  // never committed
  // e2fsck on the same journal puts the same bytes home.
  int status = run("/usr/sbin/e2fsck -fy " + path, &out);
  EXPECT_TRUE(status == 0 || status == 1) << out;
  ImageDevice replayed = ImageDevice::load(path);
  for (u64 home : b)
    EXPECT_EQ(replayed.block(home, w.block_size), image.block(home, w.block_size)) << home;
  std::remove(path.c_str());
  std::remove(data.c_str());
  std::remove(cmds.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Journals, DebugfsJournalTest,
    testing::Values(Written{"-t ext2 -j -b 1024", "jo", 1024, "journal_incompat_revoke"},
                    Written{"-t ext2 -j -b 4096", "jo", 4096, "journal_incompat_revoke"},
                    Written{"-t ext4 -b 1024", "jo -c", 1024,
                            "journal_incompat_revoke journal_64bit journal_checksum_v3"},
                    Written{"-t ext4 -b 4096", "jo -c -v 2", 4096,
                            "journal_incompat_revoke journal_64bit journal_checksum_v2"}),
    written_name);

}  // namespace
}  // namespace jbd2_test

namespace jbd2_test {
namespace {

// A journal whose superblock debugfs switched to checksums (csum v3 or v2, with 64bit): what
// this library commits there, e2fsck checks and replays.
class ChecksumJournalTest : public testing::TestWithParam<const char*> {};

TEST_P(ChecksumJournalTest, commits_with_checksums_that_e2fsck_replays) {
  std::string path = temp_path("image"), cmds = temp_path("cmds");
  make_image(path, "-t ext4 -b 1024", "16M");
  FILE* f = std::fopen(cmds.c_str(), "w");
  std::fprintf(f, "%s\njc\n", GetParam());
  std::fclose(f);
  std::string out;
  ASSERT_EQ(run("/usr/sbin/debugfs -w -f " + cmds + " " + path, &out), 0) << out;
  std::vector<u64> blocks = journal_blocks(path);
  ImageDevice image = ImageDevice::load(path);
  std::vector<uint8_t> old_4003 = image.block(4003, kBlock);
  {
    auto journal = open_journal(image, blocks);
    ASSERT_TRUE(journal);
    ASSERT_TRUE(commit(*journal, {{4000, pattern(1)}, {4001, magic_block(2)}}).is_ok());
    ASSERT_TRUE(commit(*journal, {{4002, pattern(3)}, {4003, pattern(4)}}).is_ok());
    ASSERT_TRUE(commit(*journal, {{4004, pattern(5)}}, {4003}).is_ok());
  }
  set_needs_recovery(image);
  image.save(path);
  run("/usr/sbin/debugfs -R 'logdump' " + path, &out);
  EXPECT_NE(out.find("Found expected sequence 3, type 2 (commit block)"), std::string::npos) << out;
  EXPECT_EQ(out.find("checksum"), std::string::npos) << out;  // logdump names bad checksums
  int status = run("/usr/sbin/e2fsck -fy " + path, &out);
  EXPECT_TRUE(status == 0 || status == 1) << out;
  EXPECT_EQ(run("/usr/sbin/e2fsck -fn " + path, &out), 0) << out;
  ImageDevice replayed = ImageDevice::load(path);
  EXPECT_EQ(replayed.block(4000, kBlock), pattern(1));
  EXPECT_EQ(replayed.block(4001, kBlock), magic_block(2));
  EXPECT_EQ(replayed.block(4002, kBlock), pattern(3));
  EXPECT_EQ(replayed.block(4003, kBlock), old_4003);
  EXPECT_EQ(replayed.block(4004, kBlock), pattern(5));
  std::remove(path.c_str());
  std::remove(cmds.c_str());
}

// A copy whose bytes no longer match its tag's checksum: its transaction and every later one are
// dropped, the earlier ones replayed.
TEST_P(ChecksumJournalTest, a_bad_copy_drops_its_transaction_and_all_after) {
  std::string path = temp_path("image"), cmds = temp_path("cmds");
  make_image(path, "-t ext4 -b 1024", "16M");
  FILE* f = std::fopen(cmds.c_str(), "w");
  std::fprintf(f, "%s\njc\n", GetParam());
  std::fclose(f);
  std::string out;
  ASSERT_EQ(run("/usr/sbin/debugfs -w -f " + cmds + " " + path, &out), 0) << out;
  std::vector<u64> blocks = journal_blocks(path);
  ImageDevice image = ImageDevice::load(path);
  std::vector<uint8_t> old_4002 = image.block(4002, kBlock), old_4003 = image.block(4003, kBlock);
  {
    auto journal = open_journal(image, blocks);
    ASSERT_TRUE(journal);
    // Log blocks: T1 = descriptor 1, copy 2, commit 3; T2 = descriptor 4, copy 5, commit 6; T3 ...
    ASSERT_TRUE(commit(*journal, {{4001, pattern(1)}}).is_ok());
    ASSERT_TRUE(commit(*journal, {{4002, pattern(2)}}).is_ok());
    ASSERT_TRUE(commit(*journal, {{4003, pattern(3)}}).is_ok());
  }
  image.bytes()[blocks[5] * kBlock + 100] ^= 1;
  auto journal = open_journal(image, blocks);
  ASSERT_TRUE(journal);
  auto stats = journal->recover();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats.value().transactions, 1u);
  EXPECT_EQ(image.block(4001, kBlock), pattern(1));
  EXPECT_EQ(image.block(4002, kBlock), old_4002);
  EXPECT_EQ(image.block(4003, kBlock), old_4003);
  std::remove(path.c_str());
  std::remove(cmds.c_str());
}

INSTANTIATE_TEST_SUITE_P(Journals, ChecksumJournalTest, testing::Values("jo -c", "jo -c -v 2"));

// Power cuts at every write of a run of commits and a checkpoint (and, of the writes not yet
// flushed, a random part lands): recovery then finds every transaction whose commit() returned,
// and at most the one in flight besides, whole.
TEST_F(JournalTest, a_crash_at_any_write_loses_no_commit_and_applies_no_half) {
  const ImageDevice pristine = ImageDevice::load(path_);
  constexpr u32 kTransactions = 6;
  auto changes_of = [](u32 t) {
    return std::vector<Change>{{4000 + t % 4, pattern(t * 10 + 1)},
                               {4001 + t % 3, magic_block(t * 10 + 2)},
                               {4005, pattern(t * 10 + 3)}};
  };
  // The home blocks after the first k transactions.
  auto expected = [&](u32 k) {
    std::map<u64, std::vector<uint8_t>> state;
    for (u64 home = 4000; home <= 4005; ++home) state[home] = pristine.block(home, kBlock);
    for (u32 t = 0; t < k; ++t)
      for (Change& c : changes_of(t)) state[c.home] = c.data;
    return state;
  };
  // Runs the script on `device`: the commits that returned, stopping at the first failure.
  auto script = [&](fs::BlockDevice& device) -> u32 {
    auto journal = jbd2::Journal::open(location(device, blocks_));
    if (journal.is_error()) return 0;
    std::unique_ptr<jbd2::Journal> owned(journal.value());
    for (u32 t = 0; t < kTransactions; ++t) {
      if (commit(*owned, changes_of(t)).is_error()) return t;
      if (t != 2) continue;
      for (auto& [home, data] : expected(3))
        if (device.write(home * 2, {data.data(), data.size()}).is_error()) return t + 1;
      if (device.flush().is_error() || owned->checkpointed().is_error()) return t + 1;
    }
    return kTransactions;
  };
  ImageDevice counting(std::vector<uint8_t>(pristine.bytes()));
  ASSERT_EQ(script(counting), kTransactions);
  const u64 total = counting.writes() + counting.flushes();
  u32 trials = 0;
  for (u64 allowed = 0; allowed <= total; ++allowed) {
    for (u32 seed = 0; seed < 4; ++seed, ++trials) {
      ImageDevice disk(std::vector<uint8_t>(pristine.bytes()));
      CrashDevice crashing(disk, allowed, seed);
      u32 returned = script(crashing);
      auto journal = open_journal(disk, blocks_);
      ASSERT_TRUE(journal);
      ASSERT_TRUE(journal->recover().is_ok());
      std::map<u64, std::vector<uint8_t>> found;
      for (u64 home = 4000; home <= 4005; ++home) found[home] = disk.block(home, kBlock);
      bool whole = found == expected(returned) ||
                   (returned < kTransactions && found == expected(returned + 1));
      ASSERT_TRUE(whole) << "power cut after " << allowed << " writes (seed " << seed << "), "
                         << returned << " commits returned";
    }
  }
  std::printf(
      "crash trials: %u (at each of %llu writes and flushes, 4 seeds each), all recovered whole\n",
      trials, static_cast<unsigned long long>(total));
}

// Random bytes in the journal superblock, descriptors, tags, revoke and commit blocks: open()
// refuses or recover() returns (a result or an error), never a crash or a hang (and under ASan,
// never a bad access). Seeded: the same trials each run.
class HostileJournalTest : public testing::TestWithParam<const char*> {};

TEST_P(HostileJournalTest, hostile_journals_are_refused_or_stop_cleanly) {
  std::string path = temp_path("image");
  bool checksums = std::string(GetParam()) == "csum_v3";
  make_image(path, checksums ? "-t ext4 -b 1024" : "-t ext2 -j -b 1024", "4M");
  std::vector<u64> blocks = journal_blocks(path);
  ImageDevice image = ImageDevice::load(path);
  if (checksums) {
    // Switch the journal to csum v3 the way debugfs does, then commit through this library.
    std::string cmds = temp_path("cmds"), out;
    FILE* f = std::fopen(cmds.c_str(), "w");
    std::fprintf(f, "jo -c\njc\n");
    std::fclose(f);
    ASSERT_EQ(run("/usr/sbin/debugfs -w -f " + cmds + " " + path, &out), 0) << out;
    image = ImageDevice::load(path);
    std::remove(cmds.c_str());
  }
  {
    auto journal = open_journal(image, blocks);
    ASSERT_TRUE(journal);
    ASSERT_TRUE(commit(*journal, {{3000, pattern(1)}, {3001, magic_block(2)}}).is_ok());
    ASSERT_TRUE(commit(*journal, {{3002, pattern(3)}}, {3000}).is_ok());
    ASSERT_TRUE(commit(*journal, {{3000, pattern(4)}, {3003, pattern(5)}}).is_ok());
  }
  const std::vector<uint8_t> base = image.bytes();
  std::mt19937 random(12345);
  u32 refused = 0, recovered = 0, failed = 0;
  constexpr u32 kTrials = 1500;
  for (u32 trial = 0; trial < kTrials; ++trial) {
    image.bytes() = base;
    u32 flips = 1 + random() % 8;
    for (u32 i = 0; i < flips; ++i) {
      // Mostly the first log blocks (superblock and the transactions), sometimes a header field.
      u32 journal_block = random() % 10;
      u32 offset = random() % 4 == 0 ? random() % 64 : random() % kBlock;
      image.bytes()[blocks[journal_block] * kBlock + offset] = static_cast<uint8_t>(random());
    }
    auto journal = jbd2::Journal::open(location(image, blocks));
    if (journal.is_error()) {
      ++refused;
      continue;
    }
    std::unique_ptr<jbd2::Journal> owned(journal.value());
    auto stats = owned->recover();
    if (stats.is_ok()) {
      ++recovered;
      EXPECT_LE(stats.value().transactions, 3u + 1000u);
    } else {
      ++failed;
    }
  }
  std::printf("hostile %s journals: %u trials, %u refused by open, %u recovered, %u failed\n",
              GetParam(), kTrials, refused, recovered, failed);
  EXPECT_EQ(refused + recovered + failed, kTrials);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Journals, HostileJournalTest, testing::Values("plain", "csum_v3"));

}  // namespace
}  // namespace jbd2_test

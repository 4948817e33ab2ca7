#include <fs/file_system.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "fs_test_util.h"

namespace {

using fs::CreateMode;
using fs::Error;
using fs::FollowLast;
using fs::Kind;
using fs::NodeRef;
using fs::TimeUpdate;
using fs_test::bytes;
using fs_test::names;
using fs_test::read_string;
using fs_test::sv;

class FileSystemTest : public ::testing::Test {
 protected:
  NodeRef file(const NodeRef& dir, const std::string& name) {
    return fs.create_file(dir, sv(name), CreateMode::Exclusive).release_value();
  }
  NodeRef dir(const NodeRef& parent, const std::string& name) {
    return fs.mkdir(parent, sv(name)).release_value();
  }
  NodeRef at(const std::string& path) { return fs.resolve(sv(path)).release_value(); }
  void put(const NodeRef& node, u64 offset, const std::string& data) {
    auto r = fs.write(node, offset, bytes(data));
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r.value(), data.size());
  }

  fs_test::FakeClock clock;
  fs::FileSystem fs{1 << 24, &fs_test::FakeClock::read, &clock};
  NodeRef root = fs.root();
};

TEST_F(FileSystemTest, RootIsAnEmptyDirectoryListingDotAndDotDot) {
  fs::Stat st = fs.stat(root);
  EXPECT_EQ(st.inode, 1u);
  EXPECT_EQ(st.kind, Kind::Directory);
  EXPECT_EQ(st.nlink, 2u);
  EXPECT_EQ(st.size, 0u);
  EXPECT_EQ(st.mtim, 1000u);
  auto listed = fs_test::list(fs, root);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0], (fs_test::Listed{".", 1, Kind::Directory}));
  EXPECT_EQ(listed[1], (fs_test::Listed{"..", 1, Kind::Directory}));
  EXPECT_EQ(fs.lookup(root, "..").value(), root);
  EXPECT_EQ(fs.lookup(root, ".").value(), root);
  EXPECT_EQ(fs.used(), 0u);
  EXPECT_EQ(fs.limit(), 1u << 24);
}

TEST_F(FileSystemTest, CreatedFilesHaveUniqueInodesThatReaddirAgreesWith) {
  clock.now = 5000;
  NodeRef a = file(root, "a");
  NodeRef b = file(root, "b");
  EXPECT_EQ(fs.lookup(root, "a").value(), a);
  fs::Stat sa = fs.stat(a), sb = fs.stat(b);
  EXPECT_NE(sa.inode, sb.inode);
  EXPECT_NE(sa.inode, 1u);
  EXPECT_EQ(sa.kind, Kind::File);
  EXPECT_EQ(sa.nlink, 1u);
  EXPECT_EQ(sa.size, 0u);
  EXPECT_EQ(sa.atim, 5000u);
  EXPECT_EQ(sa.mtim, 5000u);
  EXPECT_EQ(sa.ctim, 5000u);
  EXPECT_EQ(a->inode(), sa.inode);
  auto listed = fs_test::list(fs, root);
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[2], (fs_test::Listed{"a", sa.inode, Kind::File}));
  EXPECT_EQ(listed[3], (fs_test::Listed{"b", sb.inode, Kind::File}));
  EXPECT_EQ(fs.stat(root).size, 2u);
  EXPECT_EQ(fs.stat(root).mtim, 5000u);
}

TEST_F(FileSystemTest, CreateExclusiveOrOpenExisting) {
  NodeRef a = file(root, "a");
  EXPECT_EQ(fs.create_file(root, "a", CreateMode::Exclusive).error(), Error::Exists);
  EXPECT_EQ(fs.create_file(root, "a", CreateMode::OpenExisting).value(), a);
  dir(root, "d");
  EXPECT_EQ(fs.create_file(root, "d", CreateMode::OpenExisting).error(), Error::IsDir);
  EXPECT_EQ(fs.create_file(root, "d", CreateMode::Exclusive).error(), Error::Exists);
  ASSERT_TRUE(fs.symlink(root, "s", "a").is_ok());
  EXPECT_EQ(fs.create_file(root, "s", CreateMode::OpenExisting).error(), Error::Exists);
  EXPECT_EQ(fs.create_file(a, "x", CreateMode::Exclusive).error(), Error::NotDir);
}

TEST_F(FileSystemTest, NamesAreCheckedEverywhere) {
  std::string longest(255, 'n'), too_long(256, 'n');
  for (const char* bad : {"", "a/b", "/", ".", ".."}) {
    EXPECT_EQ(fs.create_file(root, bad, CreateMode::Exclusive).error(), Error::Invalid) << bad;
    EXPECT_EQ(fs.mkdir(root, bad).error(), Error::Invalid) << bad;
    EXPECT_EQ(fs.symlink(root, bad, "t").error(), Error::Invalid) << bad;
    EXPECT_EQ(fs.unlink(root, bad).error(), Error::Invalid) << bad;
    EXPECT_EQ(fs.rmdir(root, bad).error(), Error::Invalid) << bad;
  }
  EXPECT_EQ(fs.lookup(root, "").error(), Error::Invalid);
  EXPECT_EQ(fs.lookup(root, "a/b").error(), Error::Invalid);
  EXPECT_EQ(fs.lookup(root, support::StringView("a\0b", 3)).error(), Error::Invalid);
  EXPECT_EQ(fs.create_file(root, sv(too_long), CreateMode::Exclusive).error(), Error::NameTooLong);
  EXPECT_EQ(fs.lookup(root, sv(too_long)).error(), Error::NameTooLong);
  NodeRef f = file(root, longest);
  EXPECT_EQ(fs.lookup(root, sv(longest)).value(), f);
  EXPECT_EQ(names(fs, root).back(), longest);
  EXPECT_EQ(fs.lookup(root, "missing").error(), Error::NotFound);
}

TEST_F(FileSystemTest, DirectoriesCountLinksAndKnowTheirParent) {
  NodeRef d = dir(root, "d");
  NodeRef e = dir(d, "e");
  EXPECT_EQ(fs.stat(root).nlink, 3u);
  EXPECT_EQ(fs.stat(d).nlink, 3u);
  EXPECT_EQ(fs.stat(e).nlink, 2u);
  EXPECT_EQ(fs.lookup(e, "..").value(), d);
  EXPECT_EQ(fs.lookup(d, "..").value(), root);
  EXPECT_EQ(fs.mkdir(root, "d").error(), Error::Exists);
  auto listed = fs_test::list(fs, e);
  EXPECT_EQ(listed[0].inode, e->inode());
  EXPECT_EQ(listed[1].inode, d->inode());
  EXPECT_EQ(listed.size(), 2u);
}

TEST_F(FileSystemTest, UnlinkRemovesNamesButAnOpenHandleKeepsTheData) {
  NodeRef a = file(root, "a");
  put(a, 0, "still here");
  u64 used = fs.used();
  EXPECT_GT(used, 0u);
  ASSERT_TRUE(fs.unlink(root, "a").is_ok());
  EXPECT_EQ(fs.lookup(root, "a").error(), Error::NotFound);
  EXPECT_EQ(fs.stat(a).nlink, 0u);
  EXPECT_EQ(read_string(fs, a), "still here");
  put(a, 10, "!");
  EXPECT_EQ(read_string(fs, a), "still here!");
  EXPECT_GT(fs.used(), 0u);  // the data is still held
  a.reset();
  EXPECT_EQ(fs.used(), 0u);
  EXPECT_EQ(fs.unlink(root, "a").error(), Error::NotFound);
  dir(root, "d");
  EXPECT_EQ(fs.unlink(root, "d").error(), Error::IsDir);
  NodeRef f = file(root, "f");
  EXPECT_EQ(fs.unlink(f, "x").error(), Error::NotDir);
}

TEST_F(FileSystemTest, RmdirRemovesOnlyEmptyDirectories) {
  NodeRef d = dir(root, "d");
  NodeRef f = file(d, "f");
  EXPECT_EQ(fs.rmdir(root, "d").error(), Error::NotEmpty);
  EXPECT_EQ(fs.rmdir(d, "f").error(), Error::NotDir);
  EXPECT_EQ(fs.rmdir(root, "zz").error(), Error::NotFound);
  ASSERT_TRUE(fs.unlink(d, "f").is_ok());
  ASSERT_TRUE(fs.rmdir(root, "d").is_ok());
  EXPECT_EQ(fs.stat(root).nlink, 2u);
  EXPECT_EQ(fs.stat(d).nlink, 0u);
  // A removed directory that is still open: nothing can be created in it, ".." is gone.
  EXPECT_EQ(fs.create_file(d, "g", CreateMode::Exclusive).error(), Error::NotFound);
  EXPECT_EQ(fs.mkdir(d, "g").error(), Error::NotFound);
  EXPECT_EQ(fs.symlink(d, "g", "t").error(), Error::NotFound);
  EXPECT_EQ(fs.lookup(d, "..").error(), Error::NotFound);
  EXPECT_EQ(fs.lookup(d, ".").value(), d);
  EXPECT_EQ(names(fs, d), (std::vector<std::string>{".", ".."}));
  EXPECT_EQ(fs.link(f, d, "g").error(), Error::NotFound);
  // The root has no name to remove it by.
  EXPECT_EQ(fs.rmdir(root, "..").error(), Error::Invalid);
}

TEST_F(FileSystemTest, RenameWithinADirectoryKeepsTheReaddirPosition) {
  NodeRef a = file(root, "a");
  file(root, "b");
  clock.now = 7000;
  ASSERT_TRUE(fs.rename(root, "a", root, "z").is_ok());
  EXPECT_EQ(names(fs, root), (std::vector<std::string>{".", "..", "z", "b"}));
  EXPECT_EQ(fs.lookup(root, "z").value(), a);
  EXPECT_EQ(fs.lookup(root, "a").error(), Error::NotFound);
  EXPECT_EQ(fs.stat(a).ctim, 7000u);
  EXPECT_EQ(fs.stat(root).mtim, 7000u);
  EXPECT_EQ(fs.rename(root, "a", root, "y").error(), Error::NotFound);
  ASSERT_TRUE(fs.rename(root, "z", root, "z").is_ok());
  EXPECT_EQ(fs.lookup(root, "z").value(), a);
}

TEST_F(FileSystemTest, RenameReplacesAFileAndTheOldTargetLivesOnThroughItsHandle) {
  NodeRef a = file(root, "a");
  NodeRef b = file(root, "b");
  put(a, 0, "A");
  put(b, 0, "B");
  ASSERT_TRUE(fs.rename(root, "a", root, "b").is_ok());
  EXPECT_EQ(fs.lookup(root, "b").value(), a);
  EXPECT_EQ(fs.lookup(root, "a").error(), Error::NotFound);
  EXPECT_EQ(fs.stat(b).nlink, 0u);
  EXPECT_EQ(read_string(fs, b), "B");
  EXPECT_EQ(names(fs, root), (std::vector<std::string>{".", "..", "b"}));
}

TEST_F(FileSystemTest, RenameOfDirectoriesFollowsPosix) {
  NodeRef a = dir(root, "a");
  NodeRef b = dir(root, "b");
  NodeRef sub = dir(a, "sub");
  file(b, "f");
  NodeRef f = file(root, "f");
  EXPECT_EQ(fs.rename(root, "a", root, "b").error(), Error::NotEmpty);
  EXPECT_EQ(fs.rename(root, "a", root, "f").error(), Error::NotDir);
  EXPECT_EQ(fs.rename(root, "f", root, "a").error(), Error::IsDir);
  EXPECT_EQ(fs.rename(root, "a", sub, "x").error(), Error::Invalid);
  EXPECT_EQ(fs.rename(root, "a", a, "x").error(), Error::Invalid);
  EXPECT_EQ(fs.rename(root, ".", root, "x").error(), Error::Invalid);
  // Move a directory across parents: link counts and ".." follow.
  ASSERT_TRUE(fs.rename(a, "sub", b, "moved").is_ok());
  EXPECT_EQ(fs.lookup(sub, "..").value(), b);
  EXPECT_EQ(fs.stat(a).nlink, 2u);
  EXPECT_EQ(fs.stat(b).nlink, 3u);
  // Replace an empty directory with a directory.
  NodeRef empty = dir(root, "empty");
  ASSERT_TRUE(fs.rename(b, "moved", root, "empty").is_ok());
  EXPECT_EQ(fs.lookup(root, "empty").value(), sub);
  EXPECT_EQ(fs.stat(empty).nlink, 0u);
  EXPECT_EQ(fs.stat(root).nlink, 5u);  // a, b, empty(=sub)
  EXPECT_EQ(fs.stat(b).nlink, 2u);
  EXPECT_EQ(fs.lookup(sub, "..").value(), root);
  EXPECT_EQ(fs.rename(f, "x", root, "y").error(), Error::NotDir);
}

TEST_F(FileSystemTest, RenameBetweenHardLinksOfOneFileDoesNothing) {
  NodeRef a = file(root, "a");
  ASSERT_TRUE(fs.link(a, root, "b").is_ok());
  ASSERT_TRUE(fs.rename(root, "a", root, "b").is_ok());
  EXPECT_EQ(fs.lookup(root, "a").value(), a);
  EXPECT_EQ(fs.lookup(root, "b").value(), a);
  EXPECT_EQ(fs.stat(a).nlink, 2u);
}

TEST_F(FileSystemTest, HardLinksShareTheNode) {
  NodeRef d = dir(root, "d");
  NodeRef a = file(root, "a");
  put(a, 0, "shared");
  ASSERT_TRUE(fs.link(a, d, "b").is_ok());
  NodeRef b = fs.lookup(d, "b").release_value();
  EXPECT_EQ(b, a);
  EXPECT_EQ(fs.stat(a).nlink, 2u);
  EXPECT_EQ(fs_test::list(fs, d)[2].inode, a->inode());
  ASSERT_TRUE(fs.unlink(root, "a").is_ok());
  EXPECT_EQ(fs.stat(b).nlink, 1u);
  EXPECT_EQ(read_string(fs, b), "shared");
  EXPECT_EQ(fs.link(d, root, "d2").error(), Error::IsDir);
  EXPECT_EQ(fs.link(b, d, "b").error(), Error::Exists);
  EXPECT_EQ(fs.link(b, b, "x").error(), Error::NotDir);
  ASSERT_TRUE(fs.unlink(d, "b").is_ok());
  EXPECT_EQ(fs.link(b, root, "again").error(), Error::NotFound);
}

TEST_F(FileSystemTest, SymlinksStoreTheirTarget) {
  NodeRef s = fs.symlink(root, "s", "some/target").release_value();
  EXPECT_EQ(s->kind(), Kind::Symlink);
  fs::Stat st = fs.stat(s);
  EXPECT_EQ(st.size, 11u);
  EXPECT_EQ(st.nlink, 1u);
  char buf[64];
  EXPECT_EQ(fs.readlink(s, support::Span<char>(buf, sizeof buf)).value(), 11u);
  EXPECT_EQ(std::string(buf, 11), "some/target");
  EXPECT_EQ(fs.readlink(s, support::Span<char>(buf, 4)).value(), 11u);  // truncated copy
  EXPECT_EQ(std::string(buf, 4), "some");
  NodeRef f = file(root, "f");
  EXPECT_EQ(fs.readlink(f, support::Span<char>(buf, sizeof buf)).error(), Error::Invalid);
  EXPECT_EQ(fs.readlink(root, support::Span<char>(buf, sizeof buf)).error(), Error::Invalid);
  EXPECT_EQ(fs.symlink(root, "e", "").error(), Error::Invalid);
  EXPECT_EQ(fs.symlink(root, "e", sv(std::string(4096, 'x'))).error(), Error::NameTooLong);
  EXPECT_TRUE(fs.symlink(root, "e", sv(std::string(4095, 'x'))).is_ok());
  EXPECT_EQ(fs.symlink(root, "s", "x").error(), Error::Exists);
  u8 byte;
  EXPECT_EQ(fs.read(s, 0, support::Span<u8>(&byte, 1)).error(), Error::Invalid);
  EXPECT_EQ(fs.write(s, 0, bytes("x")).error(), Error::Invalid);
  EXPECT_EQ(fs.link(s, root, "s2").is_ok(), true);
  EXPECT_EQ(fs.stat(s).nlink, 2u);
}

TEST_F(FileSystemTest, ReadAndWriteAcrossChunksAndHoles) {
  NodeRef f = file(root, "f");
  put(f, 0, "hello");
  EXPECT_EQ(read_string(fs, f), "hello");
  EXPECT_EQ(read_string(fs, f, 1, 3), "ell");
  EXPECT_EQ(read_string(fs, f, 5), "");
  EXPECT_EQ(read_string(fs, f, 500), "");
  put(f, 10000, "far");
  EXPECT_EQ(fs.stat(f).size, 10003u);
  std::string all = read_string(fs, f);
  EXPECT_EQ(all, "hello" + std::string(9995, '\0') + "far");
  // A write that straddles three chunks.
  std::string big;
  for (int i = 0; i < 9000; ++i) big.push_back(static_cast<char>('a' + i % 26));
  put(f, 4000, big);
  all = read_string(fs, f);
  EXPECT_EQ(all.substr(4000, 9000), big);
  EXPECT_EQ(all.substr(0, 5), "hello");
  EXPECT_EQ(all.size(), 13000u);
  EXPECT_EQ(fs.write(f, 0, support::Bytes()).value(), 0u);
  EXPECT_EQ(fs.write(root, 0, bytes("x")).error(), Error::IsDir);
  u8 byte;
  EXPECT_EQ(fs.read(root, 0, support::Span<u8>(&byte, 1)).error(), Error::IsDir);
  EXPECT_EQ(fs.write(f, fs::kMaxFileSize, bytes("x")).error(), Error::FileTooBig);
  EXPECT_EQ(fs.write(f, ~0ull, bytes("x")).error(), Error::FileTooBig);
  EXPECT_EQ(fs.truncate(f, fs::kMaxFileSize + 1).error(), Error::FileTooBig);
}

TEST_F(FileSystemTest, TruncateShrinksAndGrowsWithZeros) {
  NodeRef f = file(root, "f");
  put(f, 0, std::string(10000, 'x'));
  ASSERT_TRUE(fs.truncate(f, 5000).is_ok());
  EXPECT_EQ(fs.stat(f).size, 5000u);
  ASSERT_TRUE(fs.truncate(f, 9000).is_ok());
  std::string all = read_string(fs, f);
  EXPECT_EQ(all, std::string(5000, 'x') + std::string(4000, '\0'));
  // Growing through a write past the end also reads zeros in between.
  ASSERT_TRUE(fs.truncate(f, 3).is_ok());
  put(f, 6, "y");
  EXPECT_EQ(read_string(fs, f), std::string("xxx\0\0\0y", 7));
  ASSERT_TRUE(fs.truncate(f, 0).is_ok());
  EXPECT_EQ(fs.used(), fs::kNodeCost + fs::FileSystem::entry_cost(1));  // the node and its name
  EXPECT_EQ(fs.truncate(root, 0).error(), Error::IsDir);
}

TEST_F(FileSystemTest, AppendWritesAtTheEnd) {
  NodeRef f = file(root, "f");
  EXPECT_EQ(fs.append(f, bytes("ab")).value(), 0u);
  EXPECT_EQ(fs.append(f, bytes("cd")).value(), 2u);
  ASSERT_TRUE(fs.truncate(f, 5).is_ok());
  EXPECT_EQ(fs.append(f, bytes("e")).value(), 5u);
  EXPECT_EQ(read_string(fs, f), std::string("abcd\0e", 6));
  EXPECT_EQ(fs.append(root, bytes("e")).error(), Error::IsDir);
}

TEST_F(FileSystemTest, AppendOfPartsWritesThemTogetherOrNothing) {
  NodeRef f = file(root, "f");
  EXPECT_EQ(fs.append(f, bytes("01")).value(), 0u);
  // The strings outlive the spans (bytes() views its argument).
  std::string ab = "ab", none, big(5000, 'b'), cd = "cd";
  support::Bytes parts[] = {bytes(ab), bytes(none), bytes(big), bytes(cd)};
  EXPECT_EQ(fs.append(f, support::Span<const support::Bytes>(parts)).value(), 2u);
  EXPECT_EQ(read_string(fs, f), "01ab" + big + "cd");
  // Over the quota: neither part is written.
  fs_test::FakeClock c;
  fs::FileSystem small(2 * fs::kNodeCost + fs::kChunkSize + 100, &fs_test::FakeClock::read, &c);
  NodeRef g = small.create_file(small.root(), "g", CreateMode::Exclusive).release_value();
  std::string x = "x", y(fs::kChunkSize, 'y');
  support::Bytes too_much[] = {bytes(x), bytes(y)};
  EXPECT_EQ(small.append(g, support::Span<const support::Bytes>(too_much)).error(), Error::NoSpace);
  EXPECT_EQ(small.stat(g).size, 0u);
}

TEST_F(FileSystemTest, ReadAllCopiesTheWholeFile) {
  NodeRef f = file(root, "f");
  std::string data(20000, 'q');
  data[19999] = 'z';
  put(f, 0, data);
  auto all = fs.read_all(f);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(all.value().data()), all.value().size()),
            data);
  EXPECT_EQ(fs.read_all(root).error(), Error::IsDir);
  NodeRef empty = file(root, "e");
  EXPECT_EQ(fs.read_all(empty).value().size(), 0u);
}

TEST_F(FileSystemTest, TimestampsComeFromTheClock) {
  clock.now = 100;
  NodeRef f = file(root, "f");
  clock.now = 200;
  put(f, 0, "x");
  fs::Stat st = fs.stat(f);
  EXPECT_EQ(st.atim, 100u);
  EXPECT_EQ(st.mtim, 200u);
  EXPECT_EQ(st.ctim, 200u);
  clock.now = 300;
  read_string(fs, f);
  EXPECT_EQ(fs.stat(f).atim, 300u);
  clock.now = 400;
  fs.set_times(f, TimeUpdate::at(7), TimeUpdate::omit());
  st = fs.stat(f);
  EXPECT_EQ(st.atim, 7u);
  EXPECT_EQ(st.mtim, 200u);
  EXPECT_EQ(st.ctim, 400u);
  clock.now = 500;
  fs.set_times(f, TimeUpdate::omit(), TimeUpdate::now());
  st = fs.stat(f);
  EXPECT_EQ(st.atim, 7u);
  EXPECT_EQ(st.mtim, 500u);
  clock.now = 600;
  ASSERT_TRUE(fs.truncate(f, 0).is_ok());
  EXPECT_EQ(fs.stat(f).mtim, 600u);
  clock.now = 700;
  ASSERT_TRUE(fs.link(f, root, "g").is_ok());
  EXPECT_EQ(fs.stat(f).ctim, 700u);
  EXPECT_EQ(fs.stat(root).mtim, 700u);
  clock.now = 800;
  ASSERT_TRUE(fs.unlink(root, "g").is_ok());
  EXPECT_EQ(fs.stat(f).ctim, 800u);
  EXPECT_EQ(fs.stat(root).mtim, 800u);
}

TEST_F(FileSystemTest, QuotaChargesNodesNamesAndChunks) {
  fs_test::FakeClock c;
  auto entry = fs::FileSystem::entry_cost;
  const u64 node = fs::kNodeCost, chunk = fs::kChunkSize, slot = fs::kSlotCost;
  // Room for three nodes, their entries, two chunks and a symlink target, and `spare` more: less
  // than another file, more than two entries.
  const u64 spare = node + entry(1) - 1;
  const u64 limit = 3 * node + entry(1) + entry(3) + entry(1) + fs::allocation_cost(11) +
                    2 * chunk + 2 * slot + spare;
  fs::FileSystem small(limit, &fs_test::FakeClock::read, &c);
  NodeRef r = small.root();
  NodeRef f = small.create_file(r, "f", CreateMode::Exclusive).release_value();
  EXPECT_EQ(small.used(), node + entry(1));
  ASSERT_TRUE(small.write(f, 0, bytes("x")).is_ok());
  EXPECT_EQ(small.used(), node + entry(1) + chunk + slot);
  ASSERT_TRUE(small.write(f, 100, bytes("y")).is_ok());  // same chunk: free
  EXPECT_EQ(small.used(), node + entry(1) + chunk + slot);
  // Three more chunks do not fit: nothing changes.
  u64 before = small.used();
  EXPECT_EQ(small.write(f, 4096, bytes(std::string(9000, 'z'))).error(), Error::NoSpace);
  EXPECT_EQ(small.used(), before);
  EXPECT_EQ(small.stat(f).size, 101u);
  EXPECT_EQ(read_string(small, f, 4096), "");
  // A sparse write far away pays for the chunk and the slots up to it.
  ASSERT_TRUE(small.write(f, u64{4096} * 20, bytes("w")).is_ok());
  EXPECT_EQ(small.used(), node + entry(1) + 2 * chunk + 21 * slot);
  ASSERT_TRUE(small.truncate(f, 50).is_ok());
  EXPECT_EQ(small.used(), node + entry(1) + chunk + slot);
  // Growing by truncation is free.
  ASSERT_TRUE(small.truncate(f, 1 << 30).is_ok());
  EXPECT_EQ(small.used(), node + entry(1) + chunk + slot);
  NodeRef d = small.mkdir(r, "dir").release_value();
  EXPECT_EQ(small.used(), 2 * node + entry(1) + entry(3) + chunk + slot);
  ASSERT_TRUE(small.symlink(d, "s", "0123456789").is_ok());
  EXPECT_EQ(small.used(),
            3 * node + entry(1) + entry(3) + entry(1) + fs::allocation_cost(11) + chunk + slot);
  // Fill up to `spare` bytes short of the limit: no room for another node.
  ASSERT_TRUE(small.write(f, 4096, bytes(std::string(4096, 'v'))).is_ok());
  EXPECT_EQ(small.used(), limit - spare);
  before = small.used();
  EXPECT_EQ(small.create_file(r, "g", CreateMode::Exclusive).error(), Error::NoSpace);
  EXPECT_EQ(small.mkdir(r, "g").error(), Error::NoSpace);
  EXPECT_EQ(small.used(), before);
  EXPECT_EQ(small.lookup(r, "g").error(), Error::NotFound);
  // A hard link costs its entry (not just its name's bytes).
  ASSERT_TRUE(small.link(f, d, "hard").is_ok());
  EXPECT_EQ(small.used(), before + entry(4));
  ASSERT_TRUE(small.rename(d, "hard", r, "hard2").is_ok());
  EXPECT_EQ(small.used(), before + entry(5));
  // Remove everything: back to zero, even with the handles still open until released.
  ASSERT_TRUE(small.unlink(d, "s").is_ok());
  ASSERT_TRUE(small.rmdir(r, "dir").is_ok());
  ASSERT_TRUE(small.unlink(r, "hard2").is_ok());
  ASSERT_TRUE(small.unlink(r, "f").is_ok());
  EXPECT_EQ(small.used(), node + 2 * chunk + 2 * slot + node);  // f, d open
  f.reset();
  d.reset();
  EXPECT_EQ(small.used(), 0u);
  EXPECT_EQ(small.limit(), limit);
}

// What the quota charges covers what the file system really allocates: measured with the C
// library's own count of the bytes it has handed out (hard links used to be charged their name's
// bytes, about 22 times less than they cost).
TEST_F(FileSystemTest, QuotaCoversWhatIsReallyAllocated) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
  GTEST_SKIP() << "the sanitizer's allocator does not keep the C library's count";
#endif
#endif
  // Bytes handed out from the heap and in chunks of their own (large ones are mmapped).
  auto heap = [] {
    struct mallinfo2 m = mallinfo2();
    return static_cast<u64>(m.uordblks + m.hblkhd);
  };
  NodeRef f = file(root, "target");
  put(f, 0, "data");
  NodeRef d = fs.mkdir(root, "links").release_value();
  u64 heap_before = heap(), used_before = fs.used();
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(fs.link(f, d, sv("l" + std::to_string(i))).is_ok());
  }
  u64 heap_links = heap() - heap_before, charged_links = fs.used() - used_before;
  EXPECT_GE(charged_links, heap_links);
  EXPECT_LE(charged_links, 2 * heap_links);  // and not much more
  // Nodes, symlinks, long names and file data too.
  heap_before = heap();
  used_before = fs.used();
  for (int i = 0; i < 1000; ++i) {
    std::string n = std::to_string(i);
    ASSERT_TRUE(fs.mkdir(d, sv("dir" + n)).is_ok());
    ASSERT_TRUE(fs.symlink(d, sv("sym" + n), sv(std::string(100 + i % 200, 's'))).is_ok());
    NodeRef g =
        fs.create_file(d, sv(std::string(200, 'n') + n), CreateMode::Exclusive).release_value();
    put(g, u64(i % 7) * 4096, std::string(100 + i, 'd'));
  }
  u64 heap_more = heap() - heap_before, charged_more = fs.used() - used_before;
  EXPECT_GE(charged_more, heap_more);
  EXPECT_LE(charged_more, 2 * heap_more);
  std::printf(
      "    10,000 hard links: %llu bytes allocated, %llu charged; 3,000 nodes: %llu, %llu\n",
      static_cast<unsigned long long>(heap_links), static_cast<unsigned long long>(charged_links),
      static_cast<unsigned long long>(heap_more), static_cast<unsigned long long>(charged_more));
}

TEST_F(FileSystemTest, ReaddirWalksSurviveChanges) {
  for (int i = 0; i < 10; ++i) file(root, "f" + std::to_string(i));
  std::vector<std::string> seen;
  u64 cookie = 0;
  int step = 0;
  for (;;) {
    auto entry = fs.readdir(root, cookie).release_value();
    if (!entry) break;
    seen.emplace_back(entry->name().data(), entry->name().size());
    cookie = entry->next_cookie;
    // Change the directory under the walk: drop the entry just returned and one ahead, add one.
    if (seen.back() != "." && seen.back() != "..")
      ASSERT_TRUE(fs.unlink(root, sv(seen.back())).is_ok());
    if (step == 4) ASSERT_TRUE(fs.unlink(root, "f7").is_ok());
    if (step < 20) file(root, "n" + std::to_string(step));
    ++step;
    ASSERT_LT(step, 1000) << "the walk must end";
  }
  // Each name once; f7 was removed before the walk got there; added names show up in order.
  std::vector<std::string> expected = {".", ".."};
  for (int i = 0; i < 10; ++i)
    if (i != 7) expected.push_back("f" + std::to_string(i));
  for (int i = 0; i < 20; ++i) expected.push_back("n" + std::to_string(i));
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(fs.readdir(root, ~0ull).value().has_value());
  NodeRef f = file(root, "x");
  EXPECT_EQ(fs.readdir(f, 0).error(), Error::NotDir);
  // Resuming from a cookie gives the same entries as the walk that produced it.
  auto listed = fs_test::list(fs, root);
  ASSERT_GE(listed.size(), 3u);
  auto third = fs.readdir(root, 2).release_value();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(std::string(third->name().data(), third->name().size()), listed[2].name);
}

TEST_F(FileSystemTest, ResolveWalksAbsolutePathsAndSymlinks) {
  NodeRef bin = dir(root, "bin");
  NodeRef echo = file(bin, "echo.wasm");
  NodeRef usr = dir(root, "usr");
  ASSERT_TRUE(fs.symlink(usr, "bin", "../bin").is_ok());
  ASSERT_TRUE(fs.symlink(root, "abs", "/usr/bin/echo.wasm").is_ok());
  ASSERT_TRUE(fs.symlink(root, "loop", "loop").is_ok());
  ASSERT_TRUE(fs.symlink(root, "dangling", "nowhere").is_ok());
  EXPECT_EQ(fs.resolve("/").value(), root);
  EXPECT_EQ(fs.resolve("/bin/echo.wasm").value(), echo);
  EXPECT_EQ(fs.resolve("//bin//echo.wasm").value(), echo);
  EXPECT_EQ(fs.resolve("/usr/bin/echo.wasm").value(), echo);
  EXPECT_EQ(fs.resolve("/abs").value(), echo);
  EXPECT_EQ(fs.resolve("/usr/./bin/../bin/echo.wasm").value(), echo);
  EXPECT_EQ(fs.resolve("/../bin/echo.wasm").value(), echo);
  EXPECT_EQ(fs.resolve("/usr/bin").value(), bin);
  EXPECT_EQ(fs.resolve("/usr/bin", FollowLast::No).value()->kind(), Kind::Symlink);
  EXPECT_EQ(fs.resolve("/usr/bin/", FollowLast::No).value(), bin);
  EXPECT_EQ(fs.resolve("/abs", FollowLast::No).value()->kind(), Kind::Symlink);
  EXPECT_EQ(fs.resolve("/loop").error(), Error::Loop);
  EXPECT_EQ(fs.resolve("/loop", FollowLast::No).value()->kind(), Kind::Symlink);
  EXPECT_EQ(fs.resolve("/dangling").error(), Error::NotFound);
  EXPECT_EQ(fs.resolve("/bin/echo.wasm/").error(), Error::NotDir);
  EXPECT_EQ(fs.resolve("/bin/echo.wasm/x").error(), Error::NotDir);
  EXPECT_EQ(fs.resolve("/bin/nope").error(), Error::NotFound);
  EXPECT_EQ(fs.resolve("bin/echo.wasm").error(), Error::Invalid);
  EXPECT_EQ(fs.resolve("").error(), Error::Invalid);
  EXPECT_EQ(fs.resolve(sv("/" + std::string(256, 'x'))).error(), Error::NameTooLong);
  // A chain of exactly kMaxSymlinkHops links resolves, one more does not.
  file(root, "l0");
  for (usize i = 1; i <= fs::kMaxSymlinkHops + 1; ++i)
    ASSERT_TRUE(
        fs.symlink(root, sv("l" + std::to_string(i)), sv("l" + std::to_string(i - 1))).is_ok());
  EXPECT_TRUE(fs.resolve(sv("/l" + std::to_string(fs::kMaxSymlinkHops))).is_ok());
  EXPECT_EQ(fs.resolve(sv("/l" + std::to_string(fs::kMaxSymlinkHops + 1))).error(), Error::Loop);
}

TEST_F(FileSystemTest, DestroyingADeepTreeNeedsNoRecursion) {
  fs_test::FakeClock c;
  auto* deep = new fs::FileSystem(1ull << 32, &fs_test::FakeClock::read, &c);
  {
    NodeRef d = deep->root();
    for (int i = 0; i < 100000; ++i) {
      d = deep->mkdir(d, "d").release_value();
      if (i % 1000 == 0) ASSERT_TRUE(deep->create_file(d, "f", CreateMode::Exclusive).is_ok());
    }
  }
  delete deep;  // ASan would report a leak or a stack overflow
}

TEST(FileSystemErrors, EveryErrorHasAName) {
  for (int e = 1; e <= static_cast<int>(Error::ReadOnly); ++e)
    EXPECT_STRNE(fs::error_name(static_cast<Error>(e)), "?");
}

}  // namespace

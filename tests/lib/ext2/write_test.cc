// What the library writes, e2fsprogs reads: files written, renamed, truncated, linked and
// removed are read back by debugfs byte-exact, its listing shows the expected tree, and e2fsck
// -fn finds nothing to fix. Also ENOSPC, the orphan list, and a remount reading it all back.
#include <set>

#include "ext2_test_util.h"

namespace ext2_test {
namespace {

class WriteTest : public Ext2Test, public ::testing::WithParamInterface<const char*> {
 protected:
  ext2::Ino must_create(const std::string& p) {
    size_t slash = p.rfind('/');
    auto dir = resolve(p.substr(0, slash == 0 ? 1 : slash));
    EXPECT_TRUE(dir.is_ok()) << p;
    auto r = volume_->create_file(dir.value(), sv(p.substr(slash + 1)), fs::CreateMode::Exclusive);
    EXPECT_TRUE(r.is_ok()) << p << ": " << (r.is_ok() ? "" : fs::error_name(r.error()));
    return r.is_ok() ? r.value() : 0;
  }
  void must_write(ext2::Ino ino, u64 offset, const std::string& data) {
    auto r = volume_->write(ino, offset, bytes(data));
    ASSERT_TRUE(r.is_ok()) << fs::error_name(r.error());
    ASSERT_EQ(r.value(), data.size());
  }
  // Checks every file of `files` with debugfs cat.
  void check_with_debugfs(const std::string& image,
                          const std::map<std::string, std::string>& files) {
    for (const auto& [p, content] : files) {
      std::string got = debugfs(image, "cat " + p);
      EXPECT_TRUE(got == content) << "debugfs cat " << p << ": " << difference(got, content);
    }
  }
  std::set<std::string> debugfs_names(const std::string& image, const std::string& dir) {
    // "ls -p" prints "/INODE/MODE/UID/GID/NAME/SIZE/" a line, empty records too.
    std::string out = debugfs(image, "ls -p " + dir);
    std::set<std::string> names;
    size_t at = 0;
    while (at < out.size()) {
      size_t end = out.find('\n', at);
      if (end == std::string::npos) end = out.size();
      std::string line = out.substr(at, end - at);
      at = end + 1;
      std::vector<std::string> fields;
      for (size_t from = 0, slash; (slash = line.find('/', from)) != std::string::npos;
           from = slash + 1)
        fields.push_back(line.substr(from, slash - from));
      if (fields.size() >= 6 && fields[1] != "0") names.insert(fields[5]);  // 0: an empty record
    }
    names.erase(".");
    names.erase("..");
    names.erase("lost+found");
    return names;
  }
};

TEST_P(WriteTest, files_written_by_the_library_are_read_back_by_debugfs_and_e2fsck_is_clean) {
  std::string image = path("image");
  make_image(image, GetParam(), "64M");
  ASSERT_TRUE(mount(image).is_ok()) << why();
  ext2::Ino root = volume_->root();
  std::map<std::string, std::string> files;

  ASSERT_TRUE(volume_->mkdir(root, sv("docs")).is_ok());
  ASSERT_TRUE(volume_->mkdir(resolve("/docs").value(), sv("sub")).is_ok());
  ext2::Ino a = must_create("/docs/a.txt");
  must_write(a, 0, "alpha");
  // A file across the direct, single- and double-indirect blocks, written in odd pieces.
  std::string big = pattern(3 << 20, 7);
  ext2::Ino b = must_create("/big.bin");
  for (size_t at = 0; at < big.size(); at += 100'003) must_write(b, at, big.substr(at, 100'003));
  // A hole, then a tail far out.
  ext2::Ino sparse = must_create("/sparse.bin");
  must_write(sparse, 6 << 20, "tail");
  files["/sparse.bin"] = std::string(6 << 20, '\0') + "tail";
  // Rename into a subdirectory, then over an existing file (atomic replace).
  ASSERT_TRUE(
      volume_
          ->rename(resolve("/docs").value(), sv("a.txt"), resolve("/docs/sub").value(), sv("b.txt"))
          .is_ok());
  ext2::Ino victim = must_create("/victim");
  must_write(victim, 0, "old contents");
  ASSERT_TRUE(
      volume_->rename(resolve("/docs/sub").value(), sv("b.txt"), root, sv("victim")).is_ok());
  files["/victim"] = "alpha";
  EXPECT_EQ(resolve("/docs/sub/b.txt").error(), fs::Error::NotFound);
  // Truncate down (freeing indirect blocks) and append.
  ASSERT_TRUE(volume_->truncate(b, (3 << 19) + 7).is_ok());
  std::string one = "one,", two = "two";
  support::Bytes parts[] = {bytes(one), bytes(two)};
  auto appended = volume_->append(b, support::Span<const support::Bytes>(parts, 2));
  ASSERT_TRUE(appended.is_ok());
  EXPECT_EQ(appended.value(), (3u << 19) + 7);
  files["/big.bin"] = big.substr(0, (3 << 19) + 7) + "one,two";
  // Hard link, symlinks short and long.
  ASSERT_TRUE(
      volume_->link(resolve("/victim").value(), resolve("/docs").value(), sv("hard")).is_ok());
  files["/docs/hard"] = "alpha";
  EXPECT_EQ(volume_->stat(resolve("/victim").value()).value().nlink, 2u);
  ASSERT_TRUE(volume_->symlink(root, sv("s_short"), sv("victim")).is_ok());
  std::string long_target = std::string(300, 'L') + "/target";
  ASSERT_TRUE(volume_->symlink(root, sv("s_long"), sv(long_target)).is_ok());
  // Created and removed: a file, a directory, half of a big directory.
  must_create("/gone");
  ASSERT_TRUE(volume_->unlink(root, sv("gone")).is_ok());
  ASSERT_TRUE(volume_->mkdir(root, sv("empty")).is_ok());
  ASSERT_TRUE(volume_->rmdir(root, sv("empty")).is_ok());
  ASSERT_TRUE(volume_->mkdir(resolve("/docs").value(), sv("many")).is_ok());
  for (int i = 0; i < 300; ++i) {
    std::string p = "/docs/many/file_number_" + std::to_string(i);
    must_write(must_create(p), 0, std::to_string(i * i));
    if (i % 2 == 0) files[p] = std::to_string(i * i);
  }
  for (int i = 1; i < 300; i += 2)
    ASSERT_TRUE(
        volume_->unlink(resolve("/docs/many").value(), sv("file_number_" + std::to_string(i)))
            .is_ok());
  // A directory moved under another keeps its ".." right.
  ASSERT_TRUE(volume_->rename(resolve("/docs").value(), sv("sub"), root, sv("moved")).is_ok());
  EXPECT_EQ(resolve("/moved/..").value(), root);
  EXPECT_EQ(volume_->rename(root, sv("docs"), resolve("/docs/many").value(), sv("x")).error(),
            fs::Error::Invalid);
  EXPECT_EQ(volume_->rmdir(root, sv("docs")).error(), fs::Error::NotEmpty);

  for (const auto& [p, content] : files) {
    std::string got = read_all(resolve(p).value());
    EXPECT_TRUE(got == content) << p << ": " << difference(got, content);
  }
  unmount_to(image);
  expect_clean(image);
  check_with_debugfs(image, files);
  EXPECT_EQ(debugfs_names(image, "/"),
            (std::set<std::string>{"docs", "big.bin", "sparse.bin", "victim", "s_short", "s_long",
                                   "moved"}));
  EXPECT_EQ(debugfs_names(image, "/docs"), (std::set<std::string>{"hard", "many"}));
  std::set<std::string> many;
  for (int i = 0; i < 300; i += 2) many.insert("file_number_" + std::to_string(i));
  std::set<std::string> listed = debugfs_names(image, "/docs/many");
  std::string extra, missing;
  for (const auto& n : listed)
    if (!many.count(n)) extra += " " + n;
  for (const auto& n : many)
    if (!listed.count(n)) missing += " " + n;
  EXPECT_TRUE(listed == many) << "debugfs ls /docs/many: extra" << extra << "; missing" << missing;
  EXPECT_EQ(debugfs(image, "cat /s_long"), long_target);
  EXPECT_NE(debugfs(image, "stat /s_short").find("Fast link dest: \"victim\""), std::string::npos);

  // Mounted again, everything reads back the same.
  ASSERT_TRUE(mount(image).is_ok()) << why();
  for (const auto& [p, content] : files) {
    std::string got = read_all(resolve(p).value());
    EXPECT_TRUE(got == content) << p << ": " << difference(got, content);
  }
  char target[512];
  auto n =
      volume_->readlink(resolve("/s_long").value(), support::Span<char>(target, sizeof target));
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(std::string(target, n.value()), long_target);
  unmount_to(image);
  expect_clean(image);
}

INSTANTIATE_TEST_SUITE_P(Images, WriteTest,
                         ::testing::Values("-t ext2 -b 1024", "-t ext2 -b 4096",
                                           "-t ext2 -j -b 1024", "-t ext2 -j -b 4096",
                                           "-r 0 -b 1024", "-t ext2 -b 65536"));

TEST_F(Ext2Test, a_full_disk_gives_no_space_and_keeps_what_is_there) {
  std::string image = path("image");
  make_image(image, "-t ext2 -b 1024", "2M");
  ASSERT_TRUE(mount(image).is_ok()) << why();
  ext2::Ino root = volume_->root();
  std::string keep = pattern(100'000, 11);
  ext2::Ino kept = volume_->create_file(root, sv("keep"), fs::CreateMode::Exclusive).value();
  ASSERT_TRUE(volume_->write(kept, 0, bytes(keep)).is_ok());
  std::string chunk = pattern(64 << 10, 12);
  bool full = false;
  for (int i = 0; i < 100 && !full; ++i) {
    auto file =
        volume_->create_file(root, sv("fill" + std::to_string(i)), fs::CreateMode::Exclusive);
    if (file.is_error()) {
      EXPECT_EQ(file.error(), fs::Error::NoSpace);
      full = true;
      break;
    }
    for (int j = 0; j < 4; ++j) {
      u64 before = volume_->stat(file.value()).value().size;
      auto w = volume_->write(file.value(), before, bytes(chunk));
      if (w.is_error()) {
        EXPECT_EQ(w.error(), fs::Error::NoSpace);
        EXPECT_EQ(volume_->stat(file.value()).value().size, before);  // nothing written
        full = true;
        break;
      }
    }
  }
  EXPECT_TRUE(full);
  EXPECT_LT(volume_->free_bytes(), 80u << 10);
  EXPECT_TRUE(read_all(kept) == keep);
  unmount_to(image);
  expect_clean(image);
  EXPECT_TRUE(debugfs(image, "cat /keep") == keep);
}

TEST_F(Ext2Test, an_unlinked_open_file_lives_until_released_and_a_crash_does_not_leak_it) {
  std::string image = path("image");
  make_image(image, "-t ext2 -b 1024", "8M");
  ASSERT_TRUE(mount(image).is_ok()) << why();
  ext2::Ino root = volume_->root();
  u64 free_before = volume_->free_bytes();
  ext2::Ino f = volume_->create_file(root, sv("open"), fs::CreateMode::Exclusive).value();
  std::string data = pattern(300'000, 5);
  ASSERT_TRUE(volume_->write(f, 0, bytes(data)).is_ok());
  volume_->retain(f);
  ASSERT_TRUE(volume_->unlink(root, sv("open")).is_ok());
  EXPECT_TRUE(read_all(f) == data);
  EXPECT_LT(volume_->free_bytes(), free_before - 290'000);
  ASSERT_TRUE(volume_->release(f).is_ok());
  EXPECT_EQ(volume_->free_bytes(), free_before);

  // Retained, unlinked, committed, then the machine stops (no unmount): the next mount frees it.
  ext2::Ino g = volume_->create_file(root, sv("crash"), fs::CreateMode::Exclusive).value();
  ASSERT_TRUE(volume_->write(g, 0, bytes(data)).is_ok());
  volume_->retain(g);
  ASSERT_TRUE(volume_->unlink(root, sv("crash")).is_ok());
  ASSERT_TRUE(volume_->sync(g, false).is_ok());
  device_->save(image);
  delete volume_;
  volume_ = nullptr;
  EXPECT_NE(debugfs(image, "stats").find("First orphan inode:"), std::string::npos);
  ASSERT_TRUE(mount(image).is_ok()) << why();
  EXPECT_EQ(volume_->free_bytes(), free_before);
  unmount_to(image);
  expect_clean(image);
}

TEST_F(Ext2Test, errors_follow_posix_rules) {
  std::string image = path("image");
  make_image(image, "-t ext2", "8M");
  ASSERT_TRUE(mount(image).is_ok()) << why();
  ext2::Ino root = volume_->root();
  ext2::Ino f = volume_->create_file(root, sv("f"), fs::CreateMode::Exclusive).value();
  ext2::Ino d = volume_->mkdir(root, sv("d")).value();
  EXPECT_EQ(volume_->create_file(root, sv("f"), fs::CreateMode::Exclusive).error(),
            fs::Error::Exists);
  EXPECT_EQ(volume_->create_file(root, sv("f"), fs::CreateMode::OpenExisting).value(), f);
  EXPECT_EQ(volume_->create_file(root, sv("d"), fs::CreateMode::OpenExisting).error(),
            fs::Error::IsDir);
  EXPECT_EQ(volume_->lookup(root, sv("nope")).error(), fs::Error::NotFound);
  EXPECT_EQ(volume_->lookup(f, sv("x")).error(), fs::Error::NotDir);
  EXPECT_EQ(volume_->mkdir(root, sv(std::string(256, 'n'))).error(), fs::Error::NameTooLong);
  EXPECT_EQ(volume_->mkdir(root, sv("a/b")).error(), fs::Error::Invalid);
  EXPECT_EQ(volume_->unlink(root, sv("d")).error(), fs::Error::IsDir);
  EXPECT_EQ(volume_->rmdir(root, sv("f")).error(), fs::Error::NotDir);
  EXPECT_EQ(volume_->rename(root, sv("d"), root, sv("f")).error(), fs::Error::NotDir);
  EXPECT_EQ(volume_->rename(root, sv("f"), root, sv("d")).error(), fs::Error::IsDir);
  EXPECT_EQ(volume_->link(d, root, sv("dl")).error(), fs::Error::IsDir);
  EXPECT_EQ(volume_->read(d, 0, support::Span<u8>()).error(), fs::Error::IsDir);
  EXPECT_EQ(volume_->lookup(root, sv("..")).value(), root);
  EXPECT_EQ(volume_->lookup(d, sv("..")).value(), root);
  EXPECT_EQ(volume_->stat(d).value().nlink, 2u);
  EXPECT_EQ(volume_->stat(root).value().nlink, 4u);  // ".", "..", lost+found, d
  ASSERT_TRUE(
      volume_
          ->set_times(f, fs::TimeUpdate::at(1'234'567'890'123'456'789ull), fs::TimeUpdate::omit())
          .is_ok());
  EXPECT_EQ(volume_->stat(f).value().atim, 1'234'567'890'123'456'789ull);
  unmount_to(image);
  expect_clean(image);
}

}  // namespace
}  // namespace ext2_test

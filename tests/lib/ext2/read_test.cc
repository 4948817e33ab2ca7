// Images made by mke2fs from a host folder are read byte-exact: small files, a file past the
// double-indirect limit (1 KiB blocks), a sparse file, short and long symlinks, hard links, a
// directory of hundreds of entries made dir_index by e2fsck -fD.
#include <fstream>

#include "ext2_test_util.h"

namespace ext2_test {
namespace {

namespace stdfs = std::filesystem;

void write_file(const std::string& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

// The folder every populated image starts from.
void make_tree(const std::string& root, size_t big_size) {
  stdfs::create_directories(root + "/a/b/c");
  stdfs::create_directories(root + "/many");
  write_file(root + "/small.txt", "hello ext2\n");
  write_file(root + "/empty", "");
  write_file(root + "/a/b/c/deep.bin", pattern(13000, 1));
  write_file(root + "/block.bin", pattern(4096, 2));
  write_file(root + "/big.bin", pattern(big_size, 3));
  {
    std::ofstream sparse(root + "/sparse.bin", std::ios::binary);
    sparse << "start";
    sparse.seekp(5 << 20);
    sparse << "middle";
    sparse.seekp(9 << 20);
    sparse << "end";
  }
  for (int i = 0; i < 400; ++i)
    write_file(root + "/many/entry_with_a_longish_name_" + std::to_string(i), std::to_string(i));
  stdfs::create_symlink("small.txt", root + "/short_link");
  stdfs::create_symlink(std::string(200, 'x') + "/" + std::string(100, 'y'), root + "/long_link");
  write_file(root + "/one", "linked twice");
  stdfs::create_hard_link(root + "/one", root + "/a/one_again");
}

class ReadTest : public Ext2Test, public ::testing::WithParamInterface<const char*> {
 protected:
  // Every name under host folder `host` matches the volume's directory `ino`, recursively.
  void compare(const std::string& host, ext2::Ino ino) {
    std::vector<std::string> names;
    for (const auto& entry : stdfs::directory_iterator(host)) {
      std::string name = entry.path().filename();
      if (name == "lost+found") continue;
      names.push_back(name);
      auto child = volume_->lookup(ino, sv(name));
      ASSERT_TRUE(child.is_ok()) << host << "/" << name;
      auto st = volume_->stat(child.value());
      ASSERT_TRUE(st.is_ok());
      if (entry.is_symlink()) {
        std::string target = stdfs::read_symlink(entry.path());
        char out[4096];
        auto n = volume_->readlink(child.value(), support::Span<char>(out, sizeof out));
        ASSERT_TRUE(n.is_ok());
        EXPECT_EQ(std::string(out, n.value()), target) << name;
        EXPECT_EQ(st.value().kind, fs::Kind::Symlink);
      } else if (entry.is_directory()) {
        EXPECT_EQ(st.value().kind, fs::Kind::Directory);
        compare(entry.path(), child.value());
      } else {
        std::ifstream in(entry.path(), std::ios::binary);
        std::string want((std::istreambuf_iterator<char>(in)), {});
        std::string got = read_all(child.value());
        EXPECT_EQ(got.size(), want.size()) << name;
        EXPECT_TRUE(got == want) << name << " differs";
      }
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> got = list(ino);
    got.erase(std::remove(got.begin(), got.end(), "lost+found"), got.end());
    EXPECT_EQ(got, names) << host;
  }
};

TEST_P(ReadTest, reads_every_file_of_a_populated_image_byte_exact) {
  std::string tree = path("tree"), image = path("image");
  std::string args = GetParam();
  // At 1 KiB blocks the double-indirect tree ends at 12 + 256 + 65536 blocks: the big file goes
  // past it (into the triple-indirect tree) on the images with the default inode size.
  bool past_double = args.find("-b 1024") != std::string::npos && args.find("-t ext2") == 0 &&
                     args.find("-I") == std::string::npos;
  make_tree(tree, past_double ? ((12 + 256 + 65536) << 10) + 300'000 : 3'000'000);
  make_image(image, args, past_double ? "96M" : "48M", tree);
  Command index = run("/usr/sbin/e2fsck -fyD " + quote(image));
  ASSERT_LE(index.status, 1) << index.output;  // 1: the directories were optimized
  if (args.find("-r 0") == std::string::npos)
    EXPECT_NE(debugfs(image, "stat /many").find("Flags: 0x1000"), std::string::npos)
        << "/many should be a hashed (dir_index) directory";
  ASSERT_TRUE(mount(image).is_ok()) << why();
  compare(tree, volume_->root());
  auto one = resolve("/one"), again = resolve("/a/one_again");
  ASSERT_TRUE(one.is_ok() && again.is_ok());
  EXPECT_EQ(one.value(), again.value());
  EXPECT_EQ(volume_->stat(one.value()).value().nlink, 2u);
  auto dotdot = resolve("/a/b/..");
  ASSERT_TRUE(dotdot.is_ok());
  EXPECT_EQ(dotdot.value(), resolve("/a").value());
  unmount_to(image);
  expect_clean(image);
}

INSTANTIATE_TEST_SUITE_P(Images, ReadTest,
                         ::testing::Values("-t ext2 -b 1024", "-t ext2 -b 4096",
                                           "-t ext2 -j -b 1024", "-t ext2 -j -b 4096",
                                           "-t ext2 -b 1024 -I 128", "-r 0 -b 1024"));

TEST_F(Ext2Test, ext4_images_mount_read_only_and_read_byte_exact) {
  std::string tree = path("tree"), image = path("image");
  stdfs::create_directories(tree + "/d");
  write_file(tree + "/d/file.bin", pattern(5'000'000, 9));
  write_file(tree + "/small", "small");
  make_image(image, "-t ext4", "32M", tree);
  ASSERT_TRUE(mount(image).is_ok()) << why();
  EXPECT_TRUE(volume_->read_only());
  EXPECT_NE(why().find("read-only"), std::string::npos) << why();
  EXPECT_NE(why().find("extent"), std::string::npos) << why();
  auto file = resolve("/d/file.bin");
  ASSERT_TRUE(file.is_ok());
  EXPECT_TRUE(read_all(file.value()) == pattern(5'000'000, 9));
  EXPECT_EQ(read_all(resolve("/small").value()), "small");
  auto created = volume_->create_file(volume_->root(), sv("new"), fs::CreateMode::Exclusive);
  ASSERT_TRUE(created.is_error());
  EXPECT_EQ(created.error(), fs::Error::ReadOnly);
  unmount_to(image);
  expect_clean(image);
}

TEST_F(Ext2Test, refuses_unsupported_incompatible_features_by_name) {
  std::string image = path("image");
  make_image(image, "-t ext4 -O inline_data", "16M");
  auto r = mount(image);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error(), fs::Error::Invalid);
  EXPECT_NE(why().find("inline_data"), std::string::npos) << why();
  make_image(image, "-t ext2 -O meta_bg,^resize_inode", "16M");
  r = mount(image);
  ASSERT_TRUE(r.is_error());
  EXPECT_NE(why().find("meta_bg"), std::string::npos) << why();
}

TEST_F(Ext2Test, unknown_read_only_features_mount_read_only) {
  std::string image = path("image");
  make_image(image, "-t ext2 -O quota", "16M");
  ASSERT_TRUE(mount(image).is_ok()) << why();
  EXPECT_TRUE(volume_->read_only());
  EXPECT_NE(why().find("quota"), std::string::npos) << why();
  auto r = volume_->mkdir(volume_->root(), sv("d"));
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error(), fs::Error::ReadOnly);
}

}  // namespace
}  // namespace ext2_test

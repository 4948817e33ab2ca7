// Damaged and hostile images: random bytes in the superblock, the group descriptors, the inode
// table and directory blocks (seeded, many trials). The mount refuses, or operations give errors
// (Io for what is damaged); nothing crashes, hangs or reads out of bounds (the asan build runs
// this too).
#include <fstream>
#include <sstream>

#include <ext2/format.h>

#include "ext2_test_util.h"

namespace ext2_test {
namespace {

namespace stdfs = std::filesystem;

struct Region {
  const char* name;
  u64 begin, end;  // bytes of the image
};

class HostileTest : public Ext2Test, public ::testing::WithParamInterface<u32> {
 protected:
  // Walks the tree under `dir` (bounded), reading everything it finds; returns the number of
  // operations that failed.
  int explore(ext2::Ino dir, int depth, int& budget) {
    int failures = 0;
    u64 cookie = 0;
    std::vector<u8> buffer(64 << 10);
    while (budget-- > 0) {
      auto r = volume_->readdir(dir, cookie);
      if (r.is_error()) return failures + 1;
      if (!r.value()) break;
      fs::DirEntry e = *r.value();
      if (e.next_cookie <= cookie) return failures + 1;  // cookies only grow
      cookie = e.next_cookie;
      std::string name(e.name().data(), e.name().size());
      if (name == "." || name == "..") continue;
      auto child = volume_->lookup(dir, e.name());
      if (child.is_error()) {
        ++failures;
        continue;
      }
      auto st = volume_->stat(child.value());
      if (st.is_error()) {
        ++failures;
        continue;
      }
      if (st.value().kind == fs::Kind::Directory && depth < 6) {
        failures += explore(child.value(), depth + 1, budget);
      } else if (st.value().kind == fs::Kind::Symlink) {
        char target[4096];
        failures +=
            volume_->readlink(child.value(), support::Span<char>(target, sizeof target)).is_error();
      } else {
        for (u64 at = 0; at < (1 << 20); at += buffer.size()) {
          auto n =
              volume_->read(child.value(), at, support::Span<u8>(buffer.data(), buffer.size()));
          if (n.is_error()) ++failures;
          if (n.is_error() || n.value() == 0) break;
        }
      }
    }
    return failures;
  }

  // Changes that may meet the damage: each may fail, none may crash.
  void change() {
    ext2::Ino root = volume_->root();
    auto f = volume_->create_file(root, sv("new_file"), fs::CreateMode::OpenExisting);
    if (f.is_ok()) {
      std::string data = pattern(20000, 1);
      (void)volume_->write(f.value(), 0, bytes(data));
      (void)volume_->truncate(f.value(), 5000);
    }
    (void)volume_->mkdir(root, sv("new_dir"));
    (void)volume_->rename(root, sv("new_dir"), root, sv("renamed_dir"));
    (void)volume_->rename(root, sv("d"), root, sv("renamed_dir"));
    (void)volume_->unlink(root, sv("small"));
    (void)volume_->unlink(root, sv("file.bin"));
    auto d = volume_->lookup(root, sv("d"));
    if (d.is_ok()) {
      for (int i = 0; i < 10; ++i)
        (void)volume_->unlink(d.value(), sv("entry_" + std::to_string(i)));
      (void)volume_->symlink(d.value(), sv("a_link"), sv(std::string(300, 'z')));
    }
    (void)volume_->rmdir(root, sv("empty_dir"));
  }
};

std::vector<u64> blocks_of(const std::string& out) {
  std::vector<u64> blocks;
  std::istringstream in(out);
  u64 b;
  while (in >> b) blocks.push_back(b);
  return blocks;
}

TEST_P(HostileTest, damaged_images_are_refused_or_give_errors_never_a_crash) {
  u32 block_size = GetParam();
  std::string tree = path("tree"), image = path("image");
  stdfs::create_directories(tree + "/d");
  stdfs::create_directories(tree + "/empty_dir");
  for (int i = 0; i < 60; ++i)
    std::ofstream(tree + "/d/entry_" + std::to_string(i)) << pattern(i * 37, i);
  std::ofstream(tree + "/file.bin") << pattern(300'000, 4);
  std::ofstream(tree + "/small") << "small";
  stdfs::create_symlink("small", tree + "/short_link");
  stdfs::create_symlink(std::string(200, 'q'), tree + "/long_link");
  make_image(image, "-t ext2 -b " + std::to_string(block_size), "4M", tree);
  std::vector<u8> clean = ImageDevice::load(image).bytes();

  u64 gdt = block_size == 1024 ? 2 * 1024 : block_size;
  u64 table = u64{ext2::format::le32(clean.data() + gdt + 8)} * block_size;
  std::vector<Region> regions = {
      {"superblock", 1024, 2048},
      {"group descriptors", gdt, gdt + 64},
      {"inode table", table, table + 32 * 256},
  };
  for (const char* dir : {"/", "/d"})
    for (u64 b : blocks_of(debugfs(image, std::string("blocks ") + dir)))
      regions.push_back({"directory block", b * block_size, (b + 1) * block_size});
  for (u64 b : blocks_of(debugfs(image, "blocks /file.bin")))
    if (b * block_size < clean.size())
      regions.push_back({"file block", b * block_size, b * block_size + 64});

  const int kTrials = 400;
  int refused = 0, mounted = 0, failures = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::mt19937 rng(static_cast<u32>(trial) * 7919u + block_size);
    const Region& region = regions[trial % 4 == 3 ? 3 + rng() % (regions.size() - 3) : trial % 4];
    std::vector<u8> bytes_copy = clean;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) {
      u64 at = region.begin + rng() % (region.end - region.begin);
      bytes_copy[at] = static_cast<u8>(rng() % 4 == 0 ? 0xFF : rng());
    }
    device_ = std::make_unique<ImageDevice>(std::move(bytes_copy));
    auto r = mount_device();
    if (r.is_error()) {
      ++refused;
      continue;
    }
    ++mounted;
    int budget = 3000;
    failures += explore(volume_->root(), 0, budget);
    if (!volume_->read_only()) change();
    (void)volume_->unmount();
    delete volume_;
    volume_ = nullptr;
  }
  std::printf(
      "hostile images (%u-byte blocks): %d trials, %d refused, %d mounted, %d failed operations, 0 "
      "crashes\n",
      block_size, kTrials, refused, mounted, failures);
  EXPECT_EQ(refused + mounted, kTrials);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, HostileTest, ::testing::Values(1024u, 4096u));

}  // namespace
}  // namespace ext2_test

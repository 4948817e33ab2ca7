#include <fs/file_system.h>
#include <fs/loader.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "fs_test_util.h"

namespace {

using fs::Error;
using fs::NodeRef;
using fs_test::read_string;
using fs_test::sv;

// Writes cpio "newc" archives: 110-byte headers of hexadecimal fields, names and data padded
// to 4 bytes.
class NewcBuilder {
 public:
  NewcBuilder& add(const std::string& name, unsigned mode, const std::string& data = "") {
    char header[111];
    std::snprintf(header, sizeof header,
                  "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x", ++ino_, mode, 0,
                  0, 1, 0, data.size(), 0, 0, 0, 0, name.size() + 1, 0);
    out_ += header;
    out_ += name;
    out_.push_back('\0');
    pad();
    out_ += data;
    pad();
    return *this;
  }
  NewcBuilder& file(const std::string& name, const std::string& data) {
    return add(name, 0100644, data);
  }
  NewcBuilder& dir(const std::string& name) { return add(name, 0040755); }
  NewcBuilder& symlink(const std::string& name, const std::string& target) {
    return add(name, 0120777, target);
  }
  std::string finish() {
    add("TRAILER!!!", 0);
    return out_;
  }

 private:
  void pad() {
    while (out_.size() % 4 != 0) out_.push_back('\0');
  }
  std::string out_;
  unsigned ino_ = 0;
};

support::Bytes blob(const std::string& s) { return fs_test::bytes(s); }

class LoaderTest : public ::testing::Test {
 protected:
  NodeRef at(const std::string& path) { return fs.resolve(sv(path)).release_value(); }

  fs_test::FakeClock clock;
  fs::FileSystem fs{1 << 24, &fs_test::FakeClock::read, &clock};
};

TEST_F(LoaderTest, UnpacksAnArchiveOneStepAtATime) {
  std::string wasm("\0asm\1\0\0\0", 8);
  std::string big(10000, 'b');
  std::string archive = NewcBuilder()
                            .dir(".")
                            .dir("bin")
                            .file("bin/echo.wasm", wasm)
                            .file("./etc/motd", "welcome\n")  // no entry for etc itself
                            .dir("usr/share/empty")
                            .symlink("usr/bin", "../bin")
                            .add("dev/null", 0020666)  // a character device: skipped
                            .file("data/big", big)
                            .file("etc/motd", "replaced\n")
                            .finish();
  fs::Loader loader(fs, blob(archive));
  int steps = 0;
  for (;;) {
    auto done = loader.step(1);
    ASSERT_TRUE(done.is_ok()) << fs::error_name(done.error());
    ++steps;
    if (done.value()) break;
    ASSERT_LT(steps, 100);
  }
  EXPECT_EQ(steps, 9);
  EXPECT_EQ(loader.entry_count(), 9u);
  EXPECT_EQ(loader.entries_done(), 9u);
  EXPECT_EQ(loader.skipped(), 1u);
  EXPECT_EQ(loader.step(1).value(), true);  // done stays done

  auto echo = fs.read_all(at("/bin/echo.wasm"));
  ASSERT_TRUE(echo.is_ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(echo.value().data()), echo.value().size()),
            wasm);
  EXPECT_EQ(read_string(fs, at("/etc/motd")), "replaced\n");
  EXPECT_EQ(read_string(fs, at("/data/big")), big);
  EXPECT_EQ(at("/usr/share/empty")->kind(), fs::Kind::Directory);
  EXPECT_EQ(at("/usr/bin/echo.wasm"), at("/bin/echo.wasm"));
  EXPECT_EQ(fs.resolve("/usr/bin", fs::FollowLast::No).value()->kind(), fs::Kind::Symlink);
  EXPECT_EQ(fs.resolve("/dev/null").error(), Error::NotFound);
  EXPECT_EQ(fs_test::names(fs, fs.root()),
            (std::vector<std::string>{".", "..", "bin", "etc", "usr", "data"}));  // no dev
}

TEST_F(LoaderTest, LargeStepsFinishAtOnce) {
  std::string archive = NewcBuilder().file("a", "1").file("b", "2").file("c", "3").finish();
  fs::Loader loader(fs, blob(archive));
  EXPECT_EQ(loader.step(2).value(), false);
  EXPECT_EQ(loader.step(100).value(), true);
  EXPECT_EQ(read_string(fs, at("/c")), "3");
}

TEST_F(LoaderTest, AnEmptyArchiveIsDoneAtOnce) {
  std::string archive = NewcBuilder().finish();
  fs::Loader loader(fs, blob(archive));
  EXPECT_EQ(loader.step(1).value(), true);
}

TEST_F(LoaderTest, MalformedArchivesAreErrorsAndNothingIsUnpacked) {
  std::string archive = NewcBuilder().file("a", "hello").file("b", "world").finish();
  for (usize cut : {usize{0}, usize{50}, usize{120}, archive.size() / 2, archive.size() - 30}) {
    std::string truncated = archive.substr(0, cut);
    fs::Loader loader(fs, blob(truncated));
    EXPECT_EQ(loader.step(1).error(), Error::Invalid) << cut;
    ASSERT_TRUE(loader.archive_error().has_value());
    EXPECT_EQ(loader.step(1).error(), Error::Invalid);  // stays failed
  }
  EXPECT_EQ(fs_test::names(fs, fs.root()), (std::vector<std::string>{".", ".."}));
  std::string bad = archive;
  bad[0] = 'X';
  fs::Loader loader(fs, blob(bad));
  EXPECT_EQ(loader.step(8).error(), Error::Invalid);
  EXPECT_EQ(*loader.archive_error(), initrd::Error::BadMagic);
  std::string header_only = archive.substr(0, 112);  // the first header and name, no data
  fs::Loader cut(fs, blob(header_only));
  EXPECT_EQ(cut.step(8).error(), Error::Invalid);
  EXPECT_EQ(*cut.archive_error(), initrd::Error::Truncated);
}

TEST_F(LoaderTest, BadPathsAndConflictsAreErrors) {
  {
    std::string archive = NewcBuilder().file("a/../b", "x").finish();
    fs::Loader loader(fs, blob(archive));
    EXPECT_EQ(loader.step(4).error(), Error::Invalid);
  }
  {
    std::string archive = NewcBuilder().file("f", "x").file("f/g", "y").finish();
    fs::Loader loader(fs, blob(archive));
    EXPECT_EQ(loader.step(4).error(), Error::NotDir);
    EXPECT_EQ(loader.entries_done(), 1u);
  }
  {
    std::string archive = NewcBuilder().dir("d").file("d", "x").finish();
    fs::Loader loader(fs, blob(archive));
    EXPECT_EQ(loader.step(4).error(), Error::IsDir);
  }
  {
    std::string archive = NewcBuilder().file("e", "x").dir("e").finish();
    fs::Loader loader(fs, blob(archive));
    EXPECT_EQ(loader.step(4).error(), Error::Exists);
  }
  {
    std::string archive = NewcBuilder().file(std::string(300, 'n'), "x").finish();
    fs::Loader loader(fs, blob(archive));
    EXPECT_EQ(loader.step(4).error(), Error::NameTooLong);
  }
}

TEST(LoaderQuota, AnArchiveLargerThanTheQuotaIsNoSpace) {
  fs_test::FakeClock clock;
  fs::FileSystem small(3 * fs::kChunkSize, &fs_test::FakeClock::read, &clock);
  std::string archive = NewcBuilder().file("big", std::string(20000, 'x')).finish();
  fs::Loader loader(small, blob(archive));
  EXPECT_EQ(loader.step(4).error(), Error::NoSpace);
}

}  // namespace

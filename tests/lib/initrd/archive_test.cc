#include <gtest/gtest.h>
#include <initrd/archive.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

std::string field(unsigned v) {
  char b[9];
  snprintf(b, sizeof b, "%08x", v);
  return b;
}

void pad4(std::string& s) {
  while (s.size() % 4 != 0) s.push_back('\0');
}

std::string entry(const std::string& name, unsigned mode, const std::string& data) {
  std::string s = "070701" + field(1) + field(mode) + field(0) + field(0) + field(1) + field(0) +
                  field(data.size()) + field(0) + field(0) + field(0) + field(0) +
                  field(name.size() + 1) + field(0);
  s += name;
  s.push_back('\0');
  pad4(s);
  s += data;
  pad4(s);
  return s;
}

std::string archive() {
  return entry("./bin/hello.wasm", 0100644, std::string("\0asm\1\0\0\0", 8)) +
         entry("etc", 0040755, "") + entry("etc/motd", 0100644, "welcome\n") +
         entry("TRAILER!!!", 0, "");
}

support::Bytes bytes(const std::string& s) {
  return support::Bytes(reinterpret_cast<const u8*>(s.data()), s.size());
}

TEST(Archive, ListsEntriesInOrderWithoutTheTrailer) {
  std::string blob = archive();
  auto parsed = initrd::Archive::parse(bytes(blob));
  ASSERT_TRUE(parsed.is_ok());
  std::vector<std::string> names;
  parsed.value().for_each(
      [&](const initrd::Entry& e) { names.emplace_back(e.name.data(), e.name.size()); });
  EXPECT_EQ(names, (std::vector<std::string>{"bin/hello.wasm", "etc", "etc/motd"}));
  EXPECT_EQ(parsed.value().entry_count(), 3u);
}

TEST(Archive, FindsFilesByPathAndReturnsTheirBytes) {
  std::string blob = archive();
  auto a = initrd::Archive::parse(bytes(blob)).release_value();
  auto motd = a.find("/etc/motd");
  ASSERT_TRUE(motd.is_ok());
  EXPECT_TRUE(motd.value().is_file());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(motd.value().data.data()),
                        motd.value().data.size()),
            "welcome\n");
  EXPECT_TRUE(a.find("etc").value().is_directory());
  EXPECT_EQ(a.find("bin/hello.wasm").value().data.size(), 8u);
  EXPECT_EQ(a.find("nope").error(), initrd::Error::NotFound);
}

TEST(Archive, RejectsWhatIsNotAnArchive) {
  EXPECT_EQ(initrd::Archive::parse(bytes("")).error(), initrd::Error::Truncated);
  std::string blob = archive();
  blob[0] = 'x';
  EXPECT_EQ(initrd::Archive::parse(bytes(blob)).error(), initrd::Error::BadMagic);
  blob = archive();
  blob[10] = 'z';  // inside the first field
  EXPECT_EQ(initrd::Archive::parse(bytes(blob)).error(), initrd::Error::BadField);
  std::string no_trailer = entry("a", 0100644, "x");
  EXPECT_EQ(initrd::Archive::parse(bytes(no_trailer)).error(), initrd::Error::NoTrailer);
}

TEST(Archive, EveryTruncationIsAnError) {
  std::string blob = archive();
  for (size_t n = 0; n < blob.size() - 4; ++n) {
    // The trailer's padding aside, every prefix misses something.
    auto r = initrd::Archive::parse(bytes(blob.substr(0, n)));
    EXPECT_TRUE(r.is_error()) << "prefix " << n;
  }
}

TEST(Archive, RandomCorruptionNeverReadsOutside) {
  std::mt19937 rng(7);
  std::string original = archive();
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string blob = original;
    for (int flips = 1 + rng() % 4; flips > 0; --flips) blob[rng() % blob.size()] = rng();
    // A private copy of exactly this size: ASan catches any read past it.
    std::vector<u8> exact(blob.begin(), blob.end());
    auto r = initrd::Archive::parse(support::Bytes(exact.data(), exact.size()));
    if (r.is_ok()) {
      ++parsed;
      r.value().for_each([&](const initrd::Entry& e) {
        volatile u8 sink = 0;
        for (u8 b : e.data) sink ^= b;
        for (char c : e.name) sink ^= c;
      });
    }
  }
  EXPECT_GT(parsed, 0);  // some flips hit file contents only
}

}  // namespace

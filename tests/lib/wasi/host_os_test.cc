// wasi::HostOs's append: one writev at the end of the file, atomic against other appenders,
// with O_APPEND only for the call (a positioned write afterwards still goes where it is told).
#include <gtest/gtest.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <wasi/host_os.h>

namespace wasi_test {
namespace {

using namespace wasi;

class HostOsTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/warden-host-os-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    path = pattern;
    ASSERT_EQ(os.open_directory(path.c_str(), &dir), Errno::Success);
  }
  void TearDown() override {
    unlink((path + "/log").c_str());
    rmdir(path.c_str());
  }
  Handle open_log() {
    OpenOptions o;
    o.read = o.write = o.create = true;
    Handle h = 0;
    EXPECT_EQ(os.open_at(dir, "log", o, &h), Errno::Success);
    return h;
  }
  static support::Bytes bytes(const std::string& s) {
    return support::Bytes(reinterpret_cast<const u8*>(s.data()), s.size());
  }
  std::string contents() {
    std::string all;
    FILE* f = fopen((path + "/log").c_str(), "rb");
    if (f == nullptr) return all;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) all.append(buf, n);
    fclose(f);
    return all;
  }

  HostOs os;
  Handle dir = 0;
  std::string path;
};

TEST_F(HostOsTest, append_writes_its_parts_at_the_end_and_clears_the_flag_after) {
  Handle h = open_log();
  std::string a = "0123", b = "ab", c = "cde";
  u64 at = 9, done = 9;
  ASSERT_EQ(os.pwrite(h, bytes(a), 0, &done), Errno::Success);
  support::Bytes parts[] = {bytes(b), bytes(c)};
  ASSERT_EQ(os.append(h, support::Span<const support::Bytes>(parts), &at, &done), Errno::Success);
  EXPECT_EQ(at, 4u);
  EXPECT_EQ(done, 5u);
  // Not in append mode any more: pwrite at 0 overwrites.
  ASSERT_EQ(os.pwrite(h, bytes(b), 0, &done), Errno::Success);
  EXPECT_EQ(contents(), "ab23abcde");
  EXPECT_EQ(os.close(h), Errno::Success);
}

TEST_F(HostOsTest, two_descriptors_appending_at_once_lose_nothing) {
  constexpr int kRecords = 3000;
  auto writer = [&](char tag) {
    Handle h = open_log();
    for (int i = 0; i < kRecords; ++i) {
      char head[16], body[32];
      snprintf(head, sizeof head, "%c%07d", tag, i);
      snprintf(body, sizeof body, ":%-22s\n", "record");
      std::string hs = head, bs = body;
      support::Bytes parts[] = {bytes(hs), bytes(bs)};
      u64 at, done;
      ASSERT_EQ(os.append(h, support::Span<const support::Bytes>(parts), &at, &done),
                Errno::Success);
      ASSERT_EQ(done, 32u);
    }
    EXPECT_EQ(os.close(h), Errno::Success);
  };
  std::thread a(writer, 'a'), b(writer, 'b');
  a.join();
  b.join();
  std::string all = contents();
  ASSERT_EQ(all.size(), 2u * kRecords * 32);
  int next[2] = {0, 0};
  for (size_t at = 0; at < all.size(); at += 32) {
    std::string record = all.substr(at, 32);
    ASSERT_TRUE(record[0] == 'a' || record[0] == 'b') << record;
    char expect[40];
    snprintf(expect, sizeof expect, "%c%07d:%-22s\n", record[0], next[record[0] - 'a']++, "record");
    ASSERT_EQ(record, std::string(expect));
  }
}

}  // namespace
}  // namespace wasi_test

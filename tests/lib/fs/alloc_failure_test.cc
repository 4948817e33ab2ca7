// Every allocation the file system makes can fail: the operation reports NoMemory and changes
// nothing. The test replaces the nothrow operator new (which the library uses, and the test
// framework does not) with one that fails on demand.
#include <fs/file_system.h>
#include <gtest/gtest.h>

#include <new>
#include <string>

#include "fs_test_util.h"

namespace {

thread_local long fail_countdown = -1;  // the allocation that fails; -1: none

// Whether the next allocation may go ahead (it fails when the countdown reaches zero).
[[maybe_unused]] bool may_allocate() {
  if (fail_countdown == 0) {
    fail_countdown = -1;
    return false;
  }
  if (fail_countdown > 0) --fail_countdown;
  return true;
}

}  // namespace

// ThreadSanitizer's runtime defines these operators itself (strongly), so that build goes without
// the failure injection and skips the test.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FS_TEST_NO_INJECTION 1
#endif
#endif

#ifndef FS_TEST_NO_INJECTION
// The throwing forms do the allocating, so that each pairs with its usual delete.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (!may_allocate()) return nullptr;
  try {
    return ::operator new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  if (!may_allocate()) return nullptr;
  try {
    return ::operator new[](size);
  } catch (...) {
    return nullptr;
  }
}
#endif

namespace {

using fs::CreateMode;
using fs::Error;
using fs::NodeRef;
using fs_test::bytes;

// The state an operation must leave alone when it fails.
struct Snapshot {
  u64 used;
  std::vector<std::string> root_names, dir_names;
  std::string data;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(fs::FileSystem& fs, const NodeRef& dir, const NodeRef& file) {
  return {fs.used(), fs_test::names(fs, fs.root()), fs_test::names(fs, dir),
          fs_test::read_string(fs, file)};
}

struct Env {
  fs::FileSystem& fs;
  NodeRef root, dir, file;
  std::string big;
};

// Each operation is undone after it succeeds, with allocations working again.
struct Case {
  const char* what;
  fs::Result<void> (*run)(Env&);
  void (*undo)(Env&);
};

template <typename T> fs::Result<void> drop_value(fs::Result<T> r) {
  if (r.is_error()) return r.error();
  return {};
}

const Case kCases[] = {
    {"create",
     [](Env& e) { return drop_value(e.fs.create_file(e.dir, "new", CreateMode::Exclusive)); },
     [](Env& e) { MUST(e.fs.unlink(e.dir, "new")); }},
    {"mkdir", [](Env& e) { return drop_value(e.fs.mkdir(e.dir, "sub")); },
     [](Env& e) { MUST(e.fs.rmdir(e.dir, "sub")); }},
    {"symlink", [](Env& e) { return drop_value(e.fs.symlink(e.dir, "link", "target")); },
     [](Env& e) { MUST(e.fs.unlink(e.dir, "link")); }},
    {"link", [](Env& e) { return e.fs.link(e.file, e.dir, "hard"); },
     [](Env& e) { MUST(e.fs.unlink(e.dir, "hard")); }},
    {"rename", [](Env& e) { return e.fs.rename(e.root, "file", e.dir, "moved"); },
     [](Env& e) { MUST(e.fs.rename(e.dir, "moved", e.root, "file")); }},
    {"rename in place", [](Env& e) { return e.fs.rename(e.root, "file", e.root, "renamed"); },
     [](Env& e) { MUST(e.fs.rename(e.root, "renamed", e.root, "file")); }},
    {"write", [](Env& e) { return drop_value(e.fs.write(e.file, 100, bytes(e.big))); },
     [](Env& e) { MUST(e.fs.truncate(e.file, 10)); }},
    {"append", [](Env& e) { return drop_value(e.fs.append(e.file, bytes(e.big))); },
     [](Env& e) { MUST(e.fs.truncate(e.file, 10)); }},
    {"read_all", [](Env& e) { return drop_value(e.fs.read_all(e.file)); }, [](Env&) {}},
};

TEST(AllocationFailure, EveryFailureIsNoMemoryAndChangesNothing) {
#ifdef FS_TEST_NO_INJECTION
  GTEST_SKIP() << "no allocation failure injection under ThreadSanitizer";
#endif
  fs_test::FakeClock clock;
  fs::FileSystem fs(1 << 24, &fs_test::FakeClock::read, &clock);
  {
    Env env{fs, fs.root(), {}, {}, std::string(3 * fs::kChunkSize, 'b')};
    env.dir = fs.mkdir(env.root, "dir").release_value();
    env.file = fs.create_file(env.root, "file", CreateMode::Exclusive).release_value();
    ASSERT_TRUE(fs.write(env.file, 0, bytes("0123456789")).is_ok());
    for (const Case& c : kCases) {
      int failures = 0;
      for (long n = 0;; ++n) {
        ASSERT_LT(n, 100) << c.what;
        Snapshot before = snapshot(fs, env.dir, env.file);
        fail_countdown = n;
        auto r = c.run(env);
        bool injected = fail_countdown == -1;
        fail_countdown = -1;
        if (!injected) {
          ASSERT_TRUE(r.is_ok()) << c.what;
          c.undo(env);
          EXPECT_EQ(snapshot(fs, env.dir, env.file), before) << c.what;
          break;
        }
        ++failures;
        ASSERT_TRUE(r.is_error()) << c.what << ": allocation " << n << " failed unnoticed";
        EXPECT_EQ(r.error(), Error::NoMemory) << c.what << " n=" << n;
        EXPECT_EQ(snapshot(fs, env.dir, env.file), before) << c.what << " n=" << n;
      }
      EXPECT_GT(failures, 0) << c.what;
    }
  }
  ASSERT_TRUE(fs.rmdir(fs.root(), "dir").is_ok());
  ASSERT_TRUE(fs.unlink(fs.root(), "file").is_ok());
  EXPECT_EQ(fs.used(), 0u);
}

}  // namespace

// Random operations against a reference model kept in std:: containers, and random operations
// from several threads at once.
#include <fs/file_system.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fs_test_util.h"

namespace {

using fs::CreateMode;
using fs::Error;
using fs::NodeRef;
using fs_test::bytes;
using fs_test::sv;

// The reference: nodes by id, directories map names to ids. Hard links share an id.
struct Model {
  struct Node {
    bool dir = false;
    bool symlink = false;  // data holds the target
    std::string data;
    std::set<u64> chunks;  // allocated chunk indices (what the quota charges)
    u64 slots = 0;
    std::map<std::string, int> children;
    int parent = -1;
    int nlink = 0;
    u64 inode = 0;  // the real file system's number, recorded at creation
  };
  std::map<int, Node> nodes;
  int next_id = 1;

  Model() {
    nodes[0].dir = true;
    nodes[0].parent = 0;
    nodes[0].inode = 1;
  }

  // Records what the file system just created as `name` in directory `parent`: a node with one
  // link and the file system's inode number, returned for the rest of its fields.
  Node& add(int parent, const std::string& name, u64 inode) {
    int id = next_id++;
    Node& n = nodes[id];
    n.nlink = 1;
    n.inode = inode;
    nodes.at(parent).children[name] = id;
    return n;
  }

  // Every directory with its absolute path.
  std::vector<std::pair<int, std::string>> dirs() const {
    std::vector<std::pair<int, std::string>> out;
    std::vector<std::pair<int, std::string>> stack = {{0, "/"}};
    while (!stack.empty()) {
      auto [id, path] = stack.back();
      stack.pop_back();
      out.push_back({id, path});
      for (auto& [name, child] : nodes.at(id).children)
        if (nodes.at(child).dir) stack.push_back({child, path + name + "/"});
    }
    return out;
  }
  bool inside(int dir, int ancestor) const {
    for (int p = dir;; p = nodes.at(p).parent) {
      if (p == ancestor) return true;
      if (p == 0) return false;
    }
  }
  // Ids the test holds a NodeRef to: they outlive their last name.
  std::set<int> open;

  void drop(int id) {
    Node& n = nodes.at(id);
    if (n.dir) n.nlink = 0;
    if (--n.nlink <= 0 && !open.count(id)) nodes.erase(id);
  }
  void close(int id) {
    open.erase(id);
    if (nodes.at(id).nlink <= 0) nodes.erase(id);
  }
  u64 expected_used() const {
    u64 used = 0;
    for (auto& [id, n] : nodes) {
      if (id != 0) used += fs::kNodeCost;
      used += n.chunks.size() * fs::kChunkSize + n.slots * fs::kSlotCost;
      if (n.symlink) used += fs::allocation_cost(n.data.size() + 1);
      for (auto& [name, child] : n.children) used += fs::FileSystem::entry_cost(name.size());
    }
    return used;
  }
  void write(Node& n, u64 offset, const std::string& data) {
    if (data.empty()) return;
    if (n.data.size() < offset + data.size()) n.data.resize(offset + data.size(), '\0');
    n.data.replace(offset, data.size(), data);
    u64 first = offset / fs::kChunkSize, last = (offset + data.size() - 1) / fs::kChunkSize;
    for (u64 i = first; i <= last; ++i) n.chunks.insert(i);
    n.slots = std::max(n.slots, last + 1);
  }
  void truncate(Node& n, u64 size) {
    if (size < n.data.size()) {
      u64 keep = (size + fs::kChunkSize - 1) / fs::kChunkSize;
      n.chunks.erase(n.chunks.lower_bound(keep), n.chunks.end());
      n.slots = std::min(n.slots, keep);
    }
    n.data.resize(size, '\0');
  }
};

template <typename T> std::optional<Error> error_of(const fs::Result<T>& r) {
  if (r.is_ok()) return std::nullopt;
  return r.error();
}

class ModelTest : public ::testing::Test {
 protected:
  NodeRef at(const std::string& path) {
    auto r = fs.resolve(sv(path));
    EXPECT_TRUE(r.is_ok()) << path;
    return r.release_value();
  }

  void check_dir(int id, const std::string& path) {
    NodeRef dir = at(path);
    std::map<std::string, u64> expected;
    for (auto& [name, child] : model.nodes.at(id).children)
      expected[name] = model.nodes.at(child).inode;
    std::map<std::string, u64> actual;
    auto listed = fs_test::list(fs, dir);
    ASSERT_GE(listed.size(), 2u);
    for (usize i = 2; i < listed.size(); ++i) {
      EXPECT_EQ(actual.count(listed[i].name), 0u) << "twice: " << listed[i].name;
      actual[listed[i].name] = listed[i].inode;
    }
    EXPECT_EQ(actual, expected) << path;
    fs::Stat st = fs.stat(dir);
    EXPECT_EQ(st.size, expected.size());
    int subdirs = 0;
    for (auto& [name, child] : model.nodes.at(id).children) subdirs += model.nodes.at(child).dir;
    EXPECT_EQ(st.nlink, 2u + subdirs);
  }

  fs_test::FakeClock clock;
  fs::FileSystem fs{1ull << 30, &fs_test::FakeClock::read, &clock};
  Model model;
};

TEST_F(ModelTest, RandomOperationsMatchTheModel) {
  std::mt19937_64 rng(12345);
  const char* kNames[] = {"a", "b", "c", "d", "e", "f"};
  auto pick_name = [&] { return std::string(kNames[rng() % 6]); };
  auto random_data = [&](usize n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>('A' + rng() % 26);
    return s;
  };
  constexpr int kOps = 14;
  int ops[kOps] = {};
  std::map<int, NodeRef> handles;  // model id -> an open handle
  for (int step = 0; step < 50000; ++step) {
    clock.now += 1;
    auto dirs = model.dirs();
    auto [dir_id, dir_path] = dirs[rng() % dirs.size()];
    NodeRef dir = at(dir_path);
    Model::Node& md = model.nodes.at(dir_id);
    std::string name = pick_name();
    auto child = md.children.find(name);
    int child_id = child == md.children.end() ? -1 : child->second;
    int op = static_cast<int>(rng() % kOps);
    ++ops[op];
    SCOPED_TRACE("step " + std::to_string(step) + " op " + std::to_string(op) + " " + dir_path +
                 name);
    switch (op) {
      case 0: {  // create a file or a symlink
        if (rng() % 4 == 0) {
          std::string target = random_data(1 + rng() % 40);
          auto r = fs.symlink(dir, sv(name), sv(target));
          if (child_id >= 0) {
            EXPECT_EQ(error_of(r), Error::Exists);
            break;
          }
          ASSERT_TRUE(r.is_ok());
          Model::Node& n = model.add(dir_id, name, r.value()->inode());
          n.symlink = true;
          n.data = target;
          break;
        }
        bool exclusive = rng() % 2;
        auto r = fs.create_file(dir, sv(name),
                                exclusive ? CreateMode::Exclusive : CreateMode::OpenExisting);
        if (child_id < 0) {
          ASSERT_TRUE(r.is_ok());
          model.add(dir_id, name, r.value()->inode());
        } else if (exclusive) {
          EXPECT_EQ(error_of(r), Error::Exists);
        } else if (model.nodes.at(child_id).dir) {
          EXPECT_EQ(error_of(r), Error::IsDir);
        } else if (model.nodes.at(child_id).symlink) {
          EXPECT_EQ(error_of(r), Error::Exists);
        } else {
          ASSERT_TRUE(r.is_ok());
          EXPECT_EQ(r.value()->inode(), model.nodes.at(child_id).inode);
        }
        break;
      }
      case 1: {                                       // mkdir
        if (dirs.size() > 12 && child_id < 0) break;  // keep the tree small
        auto r = fs.mkdir(dir, sv(name));
        if (child_id >= 0) {
          EXPECT_EQ(error_of(r), Error::Exists);
        } else {
          ASSERT_TRUE(r.is_ok());
          Model::Node& n = model.add(dir_id, name, r.value()->inode());
          n.dir = true;
          n.parent = dir_id;
        }
        break;
      }
      case 2:
      case 3: {  // write
        u64 offset = rng() % 9000;
        std::string data = random_data(rng() % 5000);
        auto node = fs.lookup(dir, sv(name));
        if (child_id < 0) {
          EXPECT_EQ(error_of(node), Error::NotFound);
          break;
        }
        auto r = fs.write(node.value(), offset, bytes(data));
        if (model.nodes.at(child_id).dir) {
          EXPECT_EQ(error_of(r), Error::IsDir);
        } else if (model.nodes.at(child_id).symlink) {
          EXPECT_EQ(error_of(r), Error::Invalid);
        } else {
          ASSERT_TRUE(r.is_ok());
          model.write(model.nodes.at(child_id), offset, data);
        }
        break;
      }
      case 4: {  // truncate
        u64 size = rng() % 12000;
        if (child_id < 0) break;
        auto r = fs.truncate(fs.lookup(dir, sv(name)).value(), size);
        if (model.nodes.at(child_id).dir) {
          EXPECT_EQ(error_of(r), Error::IsDir);
        } else if (model.nodes.at(child_id).symlink) {
          EXPECT_EQ(error_of(r), Error::Invalid);
        } else {
          ASSERT_TRUE(r.is_ok());
          model.truncate(model.nodes.at(child_id), size);
        }
        break;
      }
      case 5: {  // unlink
        auto r = fs.unlink(dir, sv(name));
        if (child_id < 0) {
          EXPECT_EQ(error_of(r), Error::NotFound);
        } else if (model.nodes.at(child_id).dir) {
          EXPECT_EQ(error_of(r), Error::IsDir);
        } else {
          ASSERT_TRUE(r.is_ok());
          md.children.erase(name);
          model.drop(child_id);
        }
        break;
      }
      case 6: {  // rmdir
        auto r = fs.rmdir(dir, sv(name));
        if (child_id < 0) {
          EXPECT_EQ(error_of(r), Error::NotFound);
        } else if (!model.nodes.at(child_id).dir) {
          EXPECT_EQ(error_of(r), Error::NotDir);
        } else if (!model.nodes.at(child_id).children.empty()) {
          EXPECT_EQ(error_of(r), Error::NotEmpty);
        } else {
          ASSERT_TRUE(r.is_ok());
          md.children.erase(name);
          model.drop(child_id);
        }
        break;
      }
      case 7:
      case 8: {  // rename
        auto [to_id, to_path] = dirs[rng() % dirs.size()];
        std::string to_name = pick_name();
        NodeRef to = at(to_path);
        auto r = fs.rename(dir, sv(name), to, sv(to_name));
        Model::Node& mt = model.nodes.at(to_id);
        auto dst = mt.children.find(to_name);
        int dst_id = dst == mt.children.end() ? -1 : dst->second;
        std::optional<Error> expected;
        if (child_id < 0) {
          expected = Error::NotFound;
        } else if (dst_id == child_id) {
        } else if (model.nodes.at(child_id).dir) {
          if (model.inside(to_id, child_id))
            expected = Error::Invalid;
          else if (dst_id >= 0 && !model.nodes.at(dst_id).dir)
            expected = Error::NotDir;
          else if (dst_id >= 0 && !model.nodes.at(dst_id).children.empty())
            expected = Error::NotEmpty;
        } else if (dst_id >= 0 && model.nodes.at(dst_id).dir) {
          expected = Error::IsDir;
        }
        ASSERT_EQ(error_of(r), expected);
        if (expected || child_id < 0 || dst_id == child_id) break;
        if (dst_id >= 0) model.drop(dst_id);
        md.children.erase(name);
        mt.children[to_name] = child_id;
        if (model.nodes.at(child_id).dir) model.nodes.at(child_id).parent = to_id;
        break;
      }
      case 9: {  // link
        if (child_id < 0) break;
        auto [to_id, to_path] = dirs[rng() % dirs.size()];
        std::string to_name = pick_name();
        NodeRef to = at(to_path);
        auto r = fs.link(fs.lookup(dir, sv(name)).value(), to, sv(to_name));
        Model::Node& mt = model.nodes.at(to_id);
        if (model.nodes.at(child_id).dir) {
          EXPECT_EQ(error_of(r), Error::IsDir);
        } else if (mt.children.count(to_name)) {
          EXPECT_EQ(error_of(r), Error::Exists);
        } else {
          ASSERT_TRUE(r.is_ok());
          mt.children[to_name] = child_id;
          ++model.nodes.at(child_id).nlink;
        }
        break;
      }
      case 10: {  // read back a file and its stat
        if (child_id < 0) break;
        Model::Node& mn = model.nodes.at(child_id);
        NodeRef node = fs.lookup(dir, sv(name)).release_value();
        fs::Stat st = fs.stat(node);
        EXPECT_EQ(st.inode, mn.inode);
        if (mn.dir) break;
        EXPECT_EQ(st.size, mn.data.size());
        EXPECT_EQ(st.nlink, static_cast<u64>(mn.nlink));
        if (mn.symlink) {
          char buf[64];
          auto n = fs.readlink(node, support::Span<char>(buf, sizeof buf));
          ASSERT_TRUE(n.is_ok());
          EXPECT_EQ(std::string(buf, n.value()), mn.data);
        } else {
          ASSERT_EQ(fs_test::read_string(fs, node), mn.data);
        }
        break;
      }
      case 12: {  // open a handle to a name, or close one
        if (!handles.empty() && (rng() % 2 || child_id < 0)) {
          auto it = std::next(handles.begin(), static_cast<long>(rng() % handles.size()));
          int id = it->first;
          handles.erase(it);
          model.close(id);
        } else if (child_id >= 0 && handles.size() < 6) {
          handles[child_id] = fs.lookup(dir, sv(name)).release_value();
          model.open.insert(child_id);
        }
        break;
      }
      case 13: {  // use a handle, whose node may have no name left
        if (handles.empty()) break;
        auto it = std::next(handles.begin(), static_cast<long>(rng() % handles.size()));
        Model::Node& mn = model.nodes.at(it->first);
        fs::Stat st = fs.stat(it->second);
        EXPECT_EQ(st.inode, mn.inode);
        EXPECT_EQ(st.nlink, mn.dir ? (mn.nlink > 0 ? st.nlink : 0u)
                                   : static_cast<u64>(std::max(mn.nlink, 0)));
        if (mn.dir) {
          if (mn.nlink <= 0) {
            EXPECT_EQ(error_of(fs.mkdir(it->second, "x")), Error::NotFound);
            EXPECT_EQ(fs_test::names(fs, it->second), (std::vector<std::string>{".", ".."}));
          }
          break;
        }
        if (mn.symlink) break;
        u64 offset = rng() % 9000;
        std::string data = random_data(rng() % 3000);
        ASSERT_TRUE(fs.write(it->second, offset, bytes(data)).is_ok());
        model.write(mn, offset, data);
        ASSERT_EQ(fs_test::read_string(fs, it->second), mn.data);
        break;
      }
      case 11: check_dir(dir_id, dir_path); break;
      default: FAIL() << "no operation " << op;
    }
    if (step % 1000 == 0) ASSERT_EQ(fs.used(), model.expected_used());
  }
  for (auto& [id, path] : model.dirs()) check_dir(id, path);
  EXPECT_EQ(fs.used(), model.expected_used());
  for (int op = 0; op < kOps; ++op) EXPECT_GT(ops[op], 1000) << op;
  handles.clear();
  for (int id : std::set<int>(model.open)) model.close(id);
  EXPECT_EQ(fs.used(), model.expected_used());

  // Remove everything, deepest first: the quota returns to zero.
  for (;;) {
    auto dirs = model.dirs();
    bool removed = false;
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
      NodeRef dir = at(it->second);
      auto children = model.nodes.at(it->first).children;
      for (auto& [name, child] : children) {
        if (model.nodes.at(child).dir && !model.nodes.at(child).children.empty()) continue;
        bool is_dir = model.nodes.at(child).dir;
        ASSERT_TRUE(is_dir ? fs.rmdir(dir, sv(name)).is_ok() : fs.unlink(dir, sv(name)).is_ok());
        model.nodes.at(it->first).children.erase(name);
        model.drop(child);
        removed = true;
      }
    }
    if (!removed) break;
  }
  EXPECT_EQ(fs_test::names(fs, fs.root()), (std::vector<std::string>{".", ".."}));
  EXPECT_EQ(fs.used(), 0u);
}

std::atomic<u64> shared_clock{0};
u64 atomic_clock(void*) { return shared_clock.fetch_add(1); }

TEST(ConcurrencyTest, FourThreadsOnPrivateAndSharedDirectories) {
  fs::FileSystem fs(1ull << 28, &atomic_clock, nullptr);
  NodeRef root = fs.root();
  NodeRef shared = fs.mkdir(root, "shared").release_value();
  NodeRef log = fs.create_file(root, "log", CreateMode::Exclusive).release_value();
  constexpr int kThreads = 4;
  constexpr int kSteps = 20000;
  constexpr usize kRecord = 64;
  std::atomic<int> appended{0};
  std::atomic<int> ready{0};
  auto worker = [&](int id) {
    std::mt19937 rng(id);
    // Start together, so that the threads really overlap.
    ready.fetch_add(1);
    while (ready.load() < kThreads) std::this_thread::yield();
    NodeRef mine = fs.mkdir(root, sv("t" + std::to_string(id))).release_value();
    NodeRef dirs[2] = {mine, shared};
    const char* kNames[] = {"a", "b", "c", "d"};
    std::string record(kRecord, static_cast<char>('0' + id));
    for (int step = 0; step < kSteps; ++step) {
      NodeRef dir = dirs[rng() % 2];
      support::StringView name = kNames[rng() % 4];
      switch (rng() % 10) {
        case 0: (void)fs.create_file(dir, name, CreateMode::OpenExisting); break;
        case 1: (void)fs.mkdir(dir, name); break;
        case 2: (void)fs.unlink(dir, name); break;
        case 3: (void)fs.rmdir(dir, name); break;
        case 4: (void)fs.rename(dir, name, dirs[rng() % 2], kNames[rng() % 4]); break;
        case 5: {
          auto node = fs.lookup(dir, name);
          if (node.is_ok()) (void)fs.link(node.value(), dirs[rng() % 2], kNames[rng() % 4]);
          break;
        }
        case 6: {
          auto node = fs.lookup(dir, name);
          if (node.is_ok()) {
            std::string data(rng() % 6000, 'x');
            (void)fs.write(node.value(), rng() % 6000, bytes(data));
            (void)fs.truncate(node.value(), rng() % 8000);
            u8 buf[512];
            (void)fs.read(node.value(), rng() % 8000, support::Span<u8>(buf, sizeof buf));
          }
          break;
        }
        case 7: {
          int walked = 0;
          for (u64 cookie = 0;;) {
            auto entry = fs.readdir(dir, cookie);
            if (entry.is_error() || !entry.value().has_value()) break;
            cookie = entry.value()->next_cookie;
            ASSERT_LT(++walked, 1000);
          }
          break;
        }
        case 8:
          ASSERT_TRUE(fs.append(log, bytes(record)).is_ok());
          appended.fetch_add(1);
          break;
        case 9: (void)fs.resolve("/shared/a/b"); break;
        default: break;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();

  // Appends never interleave: every record is whole.
  std::string all = fs_test::read_string(fs, log, 0, 1 << 24);
  ASSERT_EQ(all.size(), appended.load() * kRecord);
  for (usize i = 0; i < all.size(); i += kRecord)
    EXPECT_EQ(all.substr(i, kRecord), std::string(kRecord, all[i]));

  // Tear the tree down through the API; the quota must come back to zero.
  std::vector<std::string> dirs = {"/"};
  for (usize i = 0; i < dirs.size(); ++i) {
    NodeRef d = fs.resolve(sv(dirs[i])).release_value();
    for (auto& e : fs_test::list(fs, d))
      if (e.kind == fs::Kind::Directory && e.name != "." && e.name != "..")
        dirs.push_back(dirs[i] + e.name + "/");
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    NodeRef d = fs.resolve(sv(*it)).release_value();
    for (auto& e : fs_test::list(fs, d)) {
      if (e.name == "." || e.name == "..") continue;
      if (e.kind == fs::Kind::Directory)
        ASSERT_TRUE(fs.rmdir(d, sv(e.name)).is_ok());
      else
        ASSERT_TRUE(fs.unlink(d, sv(e.name)).is_ok());
    }
  }
  shared.reset();
  log.reset();
  EXPECT_EQ(fs.used(), 0u);
}

}  // namespace

// Node: one file, directory or symlink of a FileSystem, and NodeRef, the reference-counted
// handle to it.
//
// A node lives while anything refers to it: each directory entry naming it holds one reference,
// each NodeRef another. So an unlinked file stays readable and writable through an open handle,
// and its data and quota are given back when the last NodeRef goes (see FileSystem).
//
// Everything but the reference count, the kind and the inode number is guarded by the owning
// FileSystem's lock: read it through FileSystem (stat, read ...), never directly.
#pragma once

#include <fs/error.h>
#include <support/atomic.h>
#include <support/string_view.h>
#include <support/types.h>
#include <support/vector.h>

namespace fs {

class FileSystem;
class NodeRef;

enum class Kind : u8 { Directory, File, Symlink };

class Node {
 public:
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Immutable for the node's life: readable without the lock.
  Kind kind() const { return kind_; }
  u64 inode() const { return inode_; }
  bool is_directory() const { return kind_ == Kind::Directory; }
  bool is_file() const { return kind_ == Kind::File; }
  bool is_symlink() const { return kind_ == Kind::Symlink; }

 private:
  friend class FileSystem;
  friend class NodeRef;

  // One name in a directory. Entries are kept in `seq` order (append-only numbering), which is
  // what makes readdir cookies stable.
  struct Entry;

  Node(FileSystem& fs, Kind kind, u64 inode, u64 now);
  ~Node();

  void acquire() { refs_.fetch_add(1, support::MemoryOrder::Relaxed); }
  // Drops one reference; the last one frees the node and returns its quota. Never takes the
  // file system's lock, so it is safe with the lock held.
  void release();

  support::Atomic<u32> refs_{0};
  FileSystem& fs_;
  const Kind kind_;
  const u64 inode_;

  // Guarded by the file system's lock.
  u32 nlink_ = 0;
  u64 size_ = 0;  // files: bytes; symlinks: target length; directories: entry count
  u64 atim_, mtim_, ctim_;
  u64 charged_ = 0;  // quota bytes held besides the fixed per-node cost
  // Directories.
  Node* parent_ = nullptr;  // null once removed; the root's parent is itself
  support::Vector<Entry> entries_;
  u64 next_seq_ = 0;
  // Files: fixed-size chunks, null for a hole; none past the last written chunk.
  support::Vector<u8*> chunks_;
  // Symlinks.
  support::Vector<char> target_;
};

// An owning, counted reference to a Node (like an intrusive shared pointer). Copying adds a
// reference; destruction drops one. Every NodeRef must be gone before its FileSystem is
// destroyed.
class NodeRef {
 public:
  NodeRef() = default;
  NodeRef(const NodeRef& other) : node_(other.node_) {
    if (node_ != nullptr) node_->acquire();
  }
  NodeRef(NodeRef&& other) : node_(other.node_) { other.node_ = nullptr; }
  NodeRef& operator=(const NodeRef& other) {
    NodeRef copy(other);
    swap(copy);
    return *this;
  }
  NodeRef& operator=(NodeRef&& other) {
    NodeRef moved(support::move(other));
    swap(moved);
    return *this;
  }
  ~NodeRef() { reset(); }

  void reset() {
    if (node_ != nullptr) node_->release();
    node_ = nullptr;
  }
  void swap(NodeRef& other) {
    Node* n = node_;
    node_ = other.node_;
    other.node_ = n;
  }

  explicit operator bool() const { return node_ != nullptr; }
  Node* get() const { return node_; }
  Node* operator->() const { return node_; }
  Node& operator*() const { return *node_; }
  bool operator==(const NodeRef& other) const { return node_ == other.node_; }

 private:
  friend class FileSystem;
  friend class Node;
  // Takes a new reference to `node`.
  explicit NodeRef(Node* node) : node_(node) {
    if (node_ != nullptr) node_->acquire();
  }

  Node* node_ = nullptr;
};

struct Node::Entry {
  u64 seq;
  NodeRef node;
  support::Vector<char> name;
  support::StringView name_view() const { return support::StringView(name.data(), name.size()); }
};

}  // namespace fs

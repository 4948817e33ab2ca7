#include <fs/file_system.h>
#include <support/new.h>

namespace fs {

using support::Bytes;
using support::Optional;
using support::Span;
using support::StringView;

namespace {

bool is_dot_name(StringView name) { return name == "." || name == ".."; }

// A name that may be looked up: one component, "." and ".." allowed.
Result<void> check_name(StringView name) {
  if (name.empty()) return Error::Invalid;
  if (name.size() > kMaxNameSize) return Error::NameTooLong;
  for (char c : name)
    if (c == '/' || c == '\0') return Error::Invalid;
  return {};
}

// A name that may be created or removed.
Result<void> check_new_name(StringView name) {
  TRY(check_name(name));
  if (is_dot_name(name)) return Error::Invalid;
  return {};
}

Result<void> copy_name(support::Vector<char>& out, StringView name) {
  if (out.try_resize(name.size()).is_error()) return Error::NoMemory;
  if (!name.empty()) __builtin_memcpy(out.data(), name.data(), name.size());
  return {};
}

// Files only: IsDir for a directory, Invalid for a symlink.
Result<void> check_file(const Node& node) {
  if (node.is_directory()) return Error::IsDir;
  if (!node.is_file()) return Error::Invalid;
  return {};
}

u64 chunks_for(u64 size) { return (size + kChunkSize - 1) / kChunkSize; }

// A write's parts (a gathered write) as one run of bytes, read front to back.
class PartsCursor {
 public:
  explicit PartsCursor(Span<const Bytes> parts) : parts_(parts) {}
  // The bytes at `offset` into the run, at most `max` (fewer at the end of a part). Offsets only
  // grow from one call to the next.
  Bytes at(u64 offset, usize max) {
    while (part_ < parts_.size() && offset >= start_ + parts_[part_].size()) {
      start_ += parts_[part_].size();
      ++part_;
    }
    if (part_ == parts_.size()) return {};
    usize within = static_cast<usize>(offset - start_);
    return parts_[part_].subspan(within, support::min(max, parts_[part_].size() - within));
  }

 private:
  Span<const Bytes> parts_;
  usize part_ = 0;
  u64 start_ = 0;  // the offset of parts_[part_] in the run
};

}  // namespace

FileSystem::FileSystem(u64 quota_bytes, ClockFn clock, void* clock_context, ChunkSource* chunks)
    : clock_(clock),
      clock_context_(clock_context),
      chunks_(chunks),
      limit_(quota_bytes),
      root_(*this, Kind::Directory, 1, clock(clock_context)) {
  root_.nlink_ = 2;
  root_.parent_ = &root_;
  root_.refs_.store(1);  // the file system's own: the root is never freed through release()
}

FileSystem::~FileSystem() {
  // Depth first through the parent links, so a deep tree needs neither recursion nor memory.
  // Each directory is emptied before the entry naming it is dropped.
  Node* dir = &root_;
  for (;;) {
    if (!dir->entries_.empty()) {
      Node* child = dir->entries_.back().node.get();
      if (child->is_directory() && !child->entries_.empty() && child->parent_ == dir) {
        dir = child;
        continue;
      }
      dir->entries_.pop_back();
      continue;
    }
    if (dir == &root_) break;
    dir = dir->parent_;
  }
}

u64 FileSystem::entry_cost(usize name_size) {
  return 2 * sizeof(Node::Entry) + allocation_cost(name_size + 1);
}

u8* FileSystem::alloc_chunk() {
  if (chunks_ != nullptr) return chunks_->alloc_chunk();
  return new (std::nothrow) u8[kChunkSize];
}

void FileSystem::free_chunk(u8* chunk) {
  if (chunks_ != nullptr) {
    chunks_->free_chunk(chunk);
  } else {
    delete[] chunk;
  }
}

Result<void> FileSystem::charge(u64 bytes) {
  u64 current = used_.load();
  for (;;) {
    if (bytes > limit_ || current > limit_ - bytes) return Error::NoSpace;
    if (used_.compare_exchange(current, current + bytes)) return {};
  }
}

Result<Node*> FileSystem::new_node_locked(State& state, Kind kind) {
  TRY(charge(kNodeCost));
  Node* node = new (std::nothrow) Node(*this, kind, state.next_inode, now());
  if (node == nullptr) {
    uncharge(kNodeCost);
    return Error::NoMemory;
  }
  ++state.next_inode;
  return node;
}

Result<void> FileSystem::add_entry_locked(Node& dir, StringView name, Node& child) {
  u64 cost = entry_cost(name.size());
  TRY(charge(cost));
  Node::Entry entry;
  entry.seq = dir.next_seq_;
  entry.node = NodeRef(&child);  // never the last reference: the caller holds one
  if (copy_name(entry.name, name).is_error() ||
      dir.entries_.try_push(support::move(entry)).is_error()) {
    uncharge(cost);
    return Error::NoMemory;
  }
  ++dir.next_seq_;
  ++dir.size_;
  dir.charged_ += cost;
  return {};
}

NodeRef FileSystem::remove_entry_locked(Node& dir, usize index) {
  NodeRef removed = support::move(dir.entries_[index].node);
  u64 cost = entry_cost(dir.entries_[index].name.size());
  for (usize i = index; i + 1 < dir.entries_.size(); ++i)
    dir.entries_[i] = support::move(dir.entries_[i + 1]);
  dir.entries_.pop_back();
  dir.charged_ -= cost;
  uncharge(cost);
  --dir.size_;
  return removed;
}

Result<usize> FileSystem::find_locked(Node& dir, StringView name) {
  for (usize i = 0; i < dir.entries_.size(); ++i)
    if (dir.entries_[i].name_view() == name) return i;
  return Error::NotFound;
}

Result<usize> FileSystem::find_removable_locked(Node& dir, StringView name) {
  if (!dir.is_directory()) return Error::NotDir;
  TRY(check_new_name(name));
  return find_locked(dir, name);
}

Result<Node*> FileSystem::lookup_locked(Node& dir, StringView name) {
  if (!dir.is_directory()) return Error::NotDir;
  TRY(check_name(name));
  if (name == ".") return &dir;
  if (name == "..") {
    if (dir.parent_ == nullptr) return Error::NotFound;
    return dir.parent_;
  }
  usize index = TRY(find_locked(dir, name));
  return dir.entries_[index].node.get();
}

void FileSystem::touch_dir_locked(Node& dir, u64 t) {
  dir.mtim_ = t;
  dir.ctim_ = t;
}

// --- Single names.

Result<NodeRef> FileSystem::lookup(const NodeRef& dir, StringView name) {
  return state_.with([&](State&) -> Result<NodeRef> {
    Node* node = TRY(lookup_locked(*dir, name));
    return NodeRef(node);
  });
}

Result<NodeRef> FileSystem::create_file(const NodeRef& dir_ref, StringView name, CreateMode mode) {
  return state_.with([&](State& state) -> Result<NodeRef> {
    Node& dir = *dir_ref;
    if (!dir.is_directory()) return Error::NotDir;
    TRY(check_new_name(name));
    if (dir.parent_ == nullptr) return Error::NotFound;
    if (auto found = find_locked(dir, name); found.is_ok()) {
      Node* existing = dir.entries_[found.value()].node.get();
      if (mode == CreateMode::Exclusive) return Error::Exists;
      if (existing->is_directory()) return Error::IsDir;
      if (!existing->is_file()) return Error::Exists;
      return NodeRef(existing);
    }
    NodeRef node(TRY(new_node_locked(state, Kind::File)));
    TRY(add_entry_locked(dir, name, *node));  // on failure `node` frees itself
    node->nlink_ = 1;
    touch_dir_locked(dir, node->ctim_);
    return node;
  });
}

Result<NodeRef> FileSystem::mkdir(const NodeRef& dir_ref, StringView name) {
  return state_.with([&](State& state) -> Result<NodeRef> {
    Node& dir = *dir_ref;
    if (!dir.is_directory()) return Error::NotDir;
    TRY(check_new_name(name));
    if (dir.parent_ == nullptr) return Error::NotFound;
    if (find_locked(dir, name).is_ok()) return Error::Exists;
    NodeRef node(TRY(new_node_locked(state, Kind::Directory)));
    TRY(add_entry_locked(dir, name, *node));
    node->nlink_ = 2;
    node->parent_ = &dir;
    ++dir.nlink_;
    touch_dir_locked(dir, node->ctim_);
    return node;
  });
}

Result<NodeRef> FileSystem::symlink(const NodeRef& dir_ref, StringView name, StringView target) {
  return state_.with([&](State& state) -> Result<NodeRef> {
    Node& dir = *dir_ref;
    if (!dir.is_directory()) return Error::NotDir;
    TRY(check_new_name(name));
    if (target.empty()) return Error::Invalid;
    if (target.size() > kMaxTarget) return Error::NameTooLong;
    if (dir.parent_ == nullptr) return Error::NotFound;
    if (find_locked(dir, name).is_ok()) return Error::Exists;
    NodeRef node(TRY(new_node_locked(state, Kind::Symlink)));
    TRY(charge(allocation_cost(target.size() + 1)));
    node->charged_ = allocation_cost(target.size() + 1);  // freeing the node returns it
    TRY(copy_name(node->target_, target));
    node->size_ = target.size();
    TRY(add_entry_locked(dir, name, *node));
    node->nlink_ = 1;
    touch_dir_locked(dir, node->ctim_);
    return node;
  });
}

Result<void> FileSystem::unlink(const NodeRef& dir_ref, StringView name) {
  // The removed entry's reference is dropped after the lock is released: freeing a big file's
  // chunks should not lengthen the critical section.
  NodeRef dropped = TRY(state_.with([&](State&) -> Result<NodeRef> {
    Node& dir = *dir_ref;
    usize index = TRY(find_removable_locked(dir, name));
    Node& node = *dir.entries_[index].node;
    if (node.is_directory()) return Error::IsDir;
    u64 t = now();
    --node.nlink_;
    node.ctim_ = t;
    touch_dir_locked(dir, t);
    return remove_entry_locked(dir, index);
  }));
  return {};
}

Result<void> FileSystem::rmdir(const NodeRef& dir_ref, StringView name) {
  NodeRef dropped = TRY(state_.with([&](State&) -> Result<NodeRef> {
    Node& dir = *dir_ref;
    usize index = TRY(find_removable_locked(dir, name));
    Node& node = *dir.entries_[index].node;
    if (!node.is_directory()) return Error::NotDir;
    if (!node.entries_.empty()) return Error::NotEmpty;
    u64 t = now();
    node.nlink_ = 0;
    node.parent_ = nullptr;
    node.ctim_ = t;
    --dir.nlink_;
    touch_dir_locked(dir, t);
    return remove_entry_locked(dir, index);
  }));
  return {};
}

Result<void> FileSystem::rename(const NodeRef& old_dir_ref, StringView old_name,
                                const NodeRef& new_dir_ref, StringView new_name) {
  NodeRef displaced = TRY(state_.with([&](State&) -> Result<NodeRef> {
    Node& od = *old_dir_ref;
    Node& nd = *new_dir_ref;
    if (!od.is_directory() || !nd.is_directory()) return Error::NotDir;
    TRY(check_new_name(old_name));
    TRY(check_new_name(new_name));
    if (od.parent_ == nullptr || nd.parent_ == nullptr) return Error::NotFound;
    usize old_index = TRY(find_locked(od, old_name));
    Node* src = od.entries_[old_index].node.get();
    auto found = find_locked(nd, new_name);
    Node* dst = found.is_ok() ? nd.entries_[found.value()].node.get() : nullptr;
    if (dst == src) return NodeRef();  // two names of one node: POSIX says do nothing
    if (src->is_directory()) {
      // Moving a directory under itself would cut the subtree off the tree.
      for (Node* p = &nd;; p = p->parent_) {
        if (p == src) return Error::Invalid;
        if (p == &root_) break;
      }
      if (dst != nullptr) {
        if (!dst->is_directory()) return Error::NotDir;
        if (!dst->entries_.empty()) return Error::NotEmpty;
      }
    } else if (dst != nullptr && dst->is_directory()) {
      return Error::IsDir;
    }

    u64 t = now();
    NodeRef out;
    if (dst != nullptr) {
      // The target's entry keeps its name and place and now names the source.
      usize new_index = found.value();
      out = support::move(nd.entries_[new_index].node);
      nd.entries_[new_index].node = NodeRef(src);
      NodeRef old_ref = remove_entry_locked(od, old_index);  // not the last: the new entry holds
      if (dst->is_directory()) {
        dst->nlink_ = 0;
        dst->parent_ = nullptr;
        --nd.nlink_;
      } else {
        --dst->nlink_;
      }
      dst->ctim_ = t;
    } else if (&od == &nd) {
      // Same directory: rename the entry in place, so a readdir walk keeps its position.
      support::Vector<char> name;
      u64 cost = entry_cost(new_name.size());
      TRY(charge(cost));
      if (copy_name(name, new_name).is_error()) {
        uncharge(cost);
        return Error::NoMemory;
      }
      Node::Entry& entry = od.entries_[old_index];
      u64 old_cost = entry_cost(entry.name.size());
      uncharge(old_cost);
      od.charged_ = od.charged_ - old_cost + cost;
      entry.name = support::move(name);
    } else {
      TRY(add_entry_locked(nd, new_name, *src));
      NodeRef old_ref = remove_entry_locked(od, old_index);
    }
    if (src->is_directory() && &od != &nd) {
      src->parent_ = &nd;
      --od.nlink_;
      ++nd.nlink_;
    }
    src->ctim_ = t;
    touch_dir_locked(od, t);
    touch_dir_locked(nd, t);
    return out;
  }));
  return {};
}

Result<void> FileSystem::link(const NodeRef& node_ref, const NodeRef& dir_ref, StringView name) {
  return state_.with([&](State&) -> Result<void> {
    Node& node = *node_ref;
    Node& dir = *dir_ref;
    if (!dir.is_directory()) return Error::NotDir;
    TRY(check_new_name(name));
    if (node.is_directory()) return Error::IsDir;
    if (node.nlink_ == 0 || dir.parent_ == nullptr) return Error::NotFound;
    if (find_locked(dir, name).is_ok()) return Error::Exists;
    TRY(add_entry_locked(dir, name, node));
    u64 t = now();
    ++node.nlink_;
    node.ctim_ = t;
    touch_dir_locked(dir, t);
    return {};
  });
}

Result<usize> FileSystem::readlink(const NodeRef& node_ref, Span<char> out) {
  return state_.with([&](State&) -> Result<usize> {
    Node& node = *node_ref;
    if (!node.is_symlink()) return Error::Invalid;
    usize n = support::min(out.size(), node.target_.size());
    if (n != 0) __builtin_memcpy(out.data(), node.target_.data(), n);
    return node.target_.size();
  });
}

Result<Optional<DirEntry>> FileSystem::readdir(const NodeRef& dir_ref, u64 cookie) {
  return state_.with([&](State&) -> Result<Optional<DirEntry>> {
    Node& dir = *dir_ref;
    if (!dir.is_directory()) return Error::NotDir;
    DirEntry out;
    out.kind = Kind::Directory;
    if (cookie < 2) {
      Node* node = cookie == 0 || dir.parent_ == nullptr ? &dir : dir.parent_;
      out.inode = node->inode_;
      out.next_cookie = cookie + 1;
      out.name_size = static_cast<u16>(cookie + 1);
      out.name_bytes[0] = out.name_bytes[1] = '.';
      return Optional<DirEntry>(out);
    }
    // The first entry numbered at or after cookie - 2 (entries are in number order).
    u64 seq = cookie - 2;
    usize lo = 0, hi = dir.entries_.size();
    while (lo < hi) {
      usize mid = lo + (hi - lo) / 2;
      if (dir.entries_[mid].seq < seq)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == dir.entries_.size()) return Optional<DirEntry>();
    const Node::Entry& entry = dir.entries_[lo];
    out.inode = entry.node->inode_;
    out.kind = entry.node->kind_;
    out.next_cookie = entry.seq + 3;
    out.name_size = static_cast<u16>(entry.name.size());
    __builtin_memcpy(out.name_bytes, entry.name.data(), entry.name.size());
    return Optional<DirEntry>(out);
  });
}

// --- Data.

Result<usize> FileSystem::read(const NodeRef& file_ref, u64 offset, Span<u8> out) {
  Node& file = *file_ref;
  usize done = 0;
  // One step per lock hold; the first also checks the node. A file that shrinks (or ends) between
  // steps ends the read there.
  for (;; state_.lock().let_waiters_in()) {
    bool more = TRY(state_.with([&](State&) -> Result<bool> {
      if (done == 0) {
        TRY(check_file(file));
        file.atim_ = now();
      }
      // offset + done stays below 2^40 once offset is inside the file (done <= size_ - offset).
      u64 pos = offset + done;
      if (offset >= file.size_ || pos >= file.size_ || done == out.size()) return false;
      usize want = support::min(out.size() - done, kCopyStep);
      usize n = static_cast<usize>(support::min<u64>(want, file.size_ - pos));
      for (usize k = 0; k < n;) {
        u64 at = pos + k;
        u64 index = at / kChunkSize;
        usize within = static_cast<usize>(at % kChunkSize);
        usize piece = support::min(kChunkSize - within, n - k);
        u8* chunk = index < file.chunks_.size() ? file.chunks_[index] : nullptr;
        if (chunk != nullptr)
          __builtin_memcpy(out.data() + done + k, chunk + within, piece);
        else
          __builtin_memset(out.data() + done + k, 0, piece);
        k += piece;
      }
      done += n;
      return n == want && done < out.size();
    }));
    if (!more) return done;
  }
}

Result<u64> FileSystem::write_in_steps(Node& file, WriteAt at, u64 offset,
                                       Span<const Bytes> parts) {
  u64 size = 0;
  bool too_big = false;
  for (Bytes part : parts) {
    too_big |= part.size() > kMaxFileSize - size;
    if (!too_big) size += part.size();
  }
  // Zeroed chunks made without the lock for the part of the range that has none; the lock is
  // taken again to install them, and if the file changed meanwhile so that more are needed, more
  // are made. Whatever is left over is freed.
  support::Vector<u8*> fresh;
  auto drop_fresh = [this, &fresh] {
    for (u8* chunk : fresh) free_chunk(chunk);
    fresh.shrink_to(0);
  };
  u64 start = 0;
  for (;;) {
    usize needed = 0;
    // Everything that can fail happens before the first change.
    auto taken = state_.with([&](State&) -> Result<bool> {
      TRY(check_file(file));
      start = at == WriteAt::End ? file.size_ : offset;
      if (too_big || start > kMaxFileSize || size > kMaxFileSize - start) return Error::FileTooBig;
      if (size == 0) return true;
      u64 end = start + size;
      u64 first = start / kChunkSize;
      u64 last = (end - 1) / kChunkSize;
      usize old_slots = file.chunks_.size();
      usize new_slots = support::max<usize>(old_slots, last + 1);
      usize missing = 0;
      for (u64 i = first; i <= last; ++i)
        if (i >= old_slots || file.chunks_[i] == nullptr) ++missing;
      if (missing > fresh.size()) {
        needed = missing;
        return false;
      }
      u64 cost = missing * kChunkSize + (new_slots - old_slots) * kSlotCost;
      TRY(charge(cost));
      if (file.chunks_.try_resize(new_slots).is_error()) {
        uncharge(cost);
        return Error::NoMemory;
      }
      // The commit point: the range is the write's.
      usize next = fresh.size();
      for (u64 i = first; i <= last; ++i)
        if (file.chunks_[i] == nullptr) file.chunks_[i] = fresh[--next];
      fresh.shrink_to(next);
      file.charged_ += cost;
      if (end > file.size_) file.size_ = end;
      u64 t = now();
      file.mtim_ = t;
      file.ctim_ = t;
      return true;
    });
    if (taken.is_error()) {
      drop_fresh();
      return taken.error();
    }
    if (taken.value()) break;
    bool failed = fresh.try_reserve(needed).is_error();
    while (!failed && fresh.size() < needed) {
      u8* chunk = alloc_chunk();
      if (chunk == nullptr) {
        failed = true;
      } else {
        __builtin_memset(chunk, 0, kChunkSize);
        MUST(fresh.try_push(chunk));  // reserved above
      }
    }
    if (failed) {
      drop_fresh();
      return Error::NoMemory;
    }
  }
  drop_fresh();

  // The copy, a step per lock hold. Only below the file's current size: a truncate since the
  // commit point cut the rest off (and a kept chunk's tail past the size must stay zero). Byte
  // `done + k` of the parts goes to `start + done + k`, whatever an earlier step skipped.
  PartsCursor source(parts);
  for (u64 done = 0; done < size;) {
    state_.lock().let_waiters_in();
    u64 step = support::min<u64>(kCopyStep, size - done);
    state_.with([&](State&) {
      u64 pos = start + done;
      u64 n = pos < file.size_ ? support::min<u64>(step, file.size_ - pos) : 0;
      for (u64 k = 0; k < n;) {
        u64 index = (pos + k) / kChunkSize;
        usize within = static_cast<usize>((pos + k) % kChunkSize);
        Bytes piece =
            source.at(done + k, static_cast<usize>(support::min<u64>(kChunkSize - within, n - k)));
        if (piece.empty()) break;  // never: the parts hold `size` bytes
        u8* chunk = index < file.chunks_.size() ? file.chunks_[index] : nullptr;
        if (chunk != nullptr) __builtin_memcpy(chunk + within, piece.data(), piece.size());
        k += piece.size();
      }
    });
    done += step;
  }
  return start;
}

Result<usize> FileSystem::write(const NodeRef& file, u64 offset, Bytes data) {
  TRY(write_in_steps(*file, WriteAt::Offset, offset, Span<const Bytes>(&data, 1)));
  return data.size();
}

Result<u64> FileSystem::append(const NodeRef& file, Bytes data) {
  return write_in_steps(*file, WriteAt::End, 0, Span<const Bytes>(&data, 1));
}

Result<u64> FileSystem::append(const NodeRef& file, Span<const Bytes> parts) {
  return write_in_steps(*file, WriteAt::End, 0, parts);
}

void FileSystem::shrink_locked(Node& file, u64 size) {
  usize keep = static_cast<usize>(chunks_for(size));
  u64 freed = 0;
  for (usize i = keep; i < file.chunks_.size(); ++i) {
    if (file.chunks_[i] != nullptr) {
      free_chunk(file.chunks_[i]);
      freed += kChunkSize;
    }
    freed += kSlotCost;
  }
  if (keep < file.chunks_.size()) file.chunks_.shrink_to(keep);
  // The kept part of the last chunk must read as zeros if the file grows again.
  usize within = static_cast<usize>(size % kChunkSize);
  if (within != 0 && keep - 1 < file.chunks_.size() && file.chunks_[keep - 1] != nullptr)
    __builtin_memset(file.chunks_[keep - 1] + within, 0, kChunkSize - within);
  file.charged_ -= freed;
  uncharge(freed);
}

Result<void> FileSystem::truncate(const NodeRef& file_ref, u64 size) {
  return state_.with([&](State&) -> Result<void> {
    Node& file = *file_ref;
    TRY(check_file(file));
    if (size > kMaxFileSize) return Error::FileTooBig;
    if (size < file.size_) shrink_locked(file, size);
    file.size_ = size;
    u64 t = now();
    file.mtim_ = t;
    file.ctim_ = t;
    return {};
  });
}

Result<support::Vector<u8>> FileSystem::read_all(const NodeRef& file) {
  // Sized first, allocated without the lock, then filled in one read.
  u64 size = TRY(state_.with([&](State&) -> Result<u64> {
    TRY(check_file(*file));
    return file->size_;
  }));
  support::Vector<u8> data;
  if (data.try_resize(static_cast<usize>(size)).is_error()) return Error::NoMemory;
  usize got = TRY(read(file, 0, data.span()));
  data.shrink_to(got);  // the file shrank in between
  return data;
}

// --- Metadata.

Stat FileSystem::stat(const NodeRef& node_ref) {
  return state_.with([&](State&) {
    Node& node = *node_ref;
    return Stat{node.inode_, node.kind_, node.nlink_, node.size_,
                node.atim_,  node.mtim_, node.ctim_};
  });
}

void FileSystem::set_times(const NodeRef& node_ref, TimeUpdate atim, TimeUpdate mtim) {
  state_.with([&](State&) {
    Node& node = *node_ref;
    u64 t = now();
    auto apply = [t](u64& field, TimeUpdate update) {
      if (update.mode == TimeUpdate::Mode::Now) field = t;
      if (update.mode == TimeUpdate::Mode::Set) field = update.ns;
    };
    apply(node.atim_, atim);
    apply(node.mtim_, mtim);
    node.ctim_ = t;
  });
}

// --- Paths.

Result<NodeRef> FileSystem::resolve(StringView path, FollowLast follow) {
  if (path.empty() || path[0] != '/') return Error::Invalid;
  return state_.with([&](State&) -> Result<NodeRef> {
    // What is left to walk, innermost symlink target last. Targets live in their nodes, which
    // cannot go away while the lock is held.
    StringView pending[kMaxSymlinkHops + 1];
    usize depth = 0;
    usize hops = 0;
    pending[depth++] = path;
    bool must_be_dir = path[path.size() - 1] == '/';
    Node* current = &root_;
    auto skip_slashes = [](StringView s) {
      while (!s.empty() && s[0] == '/') s = s.substr(1);
      return s;
    };
    while (depth > 0) {
      StringView& rest = pending[depth - 1];
      rest = skip_slashes(rest);
      if (rest.empty()) {
        --depth;
        continue;
      }
      usize slash = rest.find('/');
      StringView name = rest.substr(0, slash);
      rest = skip_slashes(rest.substr(slash));
      bool last = true;
      for (usize i = 0; i < depth; ++i)
        if (!pending[i].empty()) last = false;
      Node* next = TRY(lookup_locked(*current, name));
      if (next->is_symlink() && (!last || follow == FollowLast::Yes || must_be_dir)) {
        if (++hops > kMaxSymlinkHops) return Error::Loop;
        StringView target(next->target_.data(), next->target_.size());
        if (target[0] == '/') current = &root_;
        while (depth > 0 && pending[depth - 1].empty()) --depth;  // finished levels
        pending[depth++] = target;
        continue;
      }
      current = next;
    }
    if (must_be_dir && !current->is_directory()) return Error::NotDir;
    return NodeRef(current);
  });
}

}  // namespace fs

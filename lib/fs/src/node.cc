#include <fs/file_system.h>
#include <fs/node.h>

namespace fs {

Node::Node(FileSystem& fs, Kind kind, u64 inode, u64 now)
    : fs_(fs), kind_(kind), inode_(inode), atim_(now), mtim_(now), ctim_(now) {}

// What kNodeCost covers: the record and the heap's bookkeeping for it.
static_assert(allocation_cost(sizeof(Node)) <= kNodeCost);

Node::~Node() {
  for (u8* chunk : chunks_) {
    if (chunk != nullptr) fs_.free_chunk(chunk);
  }
}

void Node::release() {
  // AcqRel: the thread that frees sees every change made by the threads that dropped earlier
  // references (each made its changes under the lock, then released).
  if (refs_.fetch_sub(1, support::MemoryOrder::AcqRel) != 1) return;
  // Nobody can reach the node any more: no directory names it and no NodeRef holds it, so its
  // fields may be read without the lock. The root never gets here (its file system holds it).
  FileSystem& fs = fs_;
  u64 bytes = kNodeCost + charged_;
  delete this;
  fs.uncharge(bytes);
}

}  // namespace fs

#include <ext2/block_cache.h>
#include <support/new.h>

namespace ext2 {

namespace {
constexpr usize kBuckets = 4096;   // a power of two
constexpr usize kWriteBatch = 32;  // requests per transfer()
usize bucket_of(u64 block) { return static_cast<usize>((block * 0x9E3779B97F4A7C15ull) >> 52); }
}  // namespace

BlockCache::BlockCache(fs::BlockDevice& device, u32 block_size, u64 budget_bytes)
    : device_(device), block_size_(block_size), budget_(budget_bytes) {}

BlockCache::~BlockCache() {
  while (lru_head_ != nullptr) remove(lru_head_);
}

BlockCache::Entry* BlockCache::find(u64 block) {
  if (buckets_.empty()) return nullptr;
  for (Entry* e = buckets_[bucket_of(block)]; e != nullptr; e = e->hash_next)
    if (e->block == block) return e;
  return nullptr;
}

void BlockCache::unlink_lru(Entry* e) {
  if (e->lru_prev)
    e->lru_prev->lru_next = e->lru_next;
  else
    lru_head_ = e->lru_next;
  if (e->lru_next)
    e->lru_next->lru_prev = e->lru_prev;
  else
    lru_tail_ = e->lru_prev;
  e->lru_prev = e->lru_next = nullptr;
}

void BlockCache::push_front(Entry* e) {
  e->lru_prev = nullptr;
  e->lru_next = lru_head_;
  if (lru_head_) lru_head_->lru_prev = e;
  lru_head_ = e;
  if (lru_tail_ == nullptr) lru_tail_ = e;
}

fs::Result<BlockCache::Entry*> BlockCache::insert(u64 block) {
  if (buckets_.empty()) {
    if (buckets_.try_resize(kBuckets).is_error()) return fs::Error::NoMemory;
  }
  Entry* e = new (std::nothrow) Entry;
  if (e == nullptr) return fs::Error::NoMemory;
  e->data = new (std::nothrow) u8[block_size_];
  if (e->data == nullptr) {
    delete e;
    return fs::Error::NoMemory;
  }
  __builtin_memset(e->data, 0, block_size_);
  e->block = block;
  Entry*& head = buckets_[bucket_of(block)];
  e->hash_next = head;
  head = e;
  push_front(e);
  used_ += block_size_;
  return e;
}

void BlockCache::remove(Entry* e) {
  if (!buckets_.empty()) {
    Entry** link = &buckets_[bucket_of(e->block)];
    while (*link != nullptr && *link != e) link = &(*link)->hash_next;
    if (*link == e) *link = e->hash_next;
  }
  unlink_lru(e);
  if (e->dirt != Dirt::Clean) --dirty_count_[static_cast<u8>(e->dirt)];
  used_ -= block_size_;
  delete[] e->data;
  delete e;
}

fs::Result<BlockCache::Entry*> BlockCache::get(u64 block) {
  if (Entry* e = find(block)) {
    unlink_lru(e);
    push_front(e);
    return e;
  }
  Entry* e = TRY(insert(block));
  u64 sector = block * (block_size_ / fs::kSectorSize);
  auto r = device_.read(sector, support::Span<u8>(e->data, block_size_));
  if (r.is_error()) {
    remove(e);
    return fs::Error::Io;
  }
  return e;
}

fs::Result<BlockCache::Entry*> BlockCache::fresh(u64 block) {
  if (Entry* e = find(block)) {
    unlink_lru(e);
    push_front(e);
    return e;
  }
  return insert(block);
}

void BlockCache::dirty(Entry* e, Dirt dirt) {
  if (e->dirt == Dirt::Meta || e->dirt == dirt) return;
  if (e->dirt != Dirt::Clean) --dirty_count_[static_cast<u8>(e->dirt)];
  e->dirt = dirt;
  ++dirty_count_[static_cast<u8>(dirt)];
}

void BlockCache::forget(u64 block) {
  if (Entry* e = find(block)) remove(e);
}

fs::Result<void> BlockCache::write_entries(support::Span<Entry*> entries) {
  fs::BlockRequest requests[kWriteBatch];
  u64 per_block = block_size_ / fs::kSectorSize;
  for (usize at = 0; at < entries.size(); at += kWriteBatch) {
    usize n = entries.size() - at < kWriteBatch ? entries.size() - at : kWriteBatch;
    for (usize i = 0; i < n; ++i) {
      Entry* e = entries[at + i];
      requests[i] =
          fs::BlockRequest{true, e->block * per_block, support::Span<u8>(e->data, block_size_), {}};
    }
    if (device_.transfer(support::Span<fs::BlockRequest>(requests, n)).is_error())
      return fs::Error::Io;
    for (usize i = 0; i < n; ++i) {
      Entry* e = entries[at + i];
      --dirty_count_[static_cast<u8>(e->dirt)];
      e->dirt = Dirt::Clean;
    }
  }
  return {};
}

fs::Result<void> BlockCache::collect(Dirt dirt, support::Vector<Entry*>& out) {
  out.clear();
  if (out.try_reserve(count(dirt)).is_error()) return fs::Error::NoMemory;
  for (Entry* e = lru_head_; e != nullptr; e = e->lru_next)
    if (e->dirt == dirt) (void)out.try_push(e);  // reserved above
  return {};
}

fs::Result<void> BlockCache::write_back(Dirt dirt) {
  if (count(dirt) == 0) return {};
  support::Vector<Entry*> entries;
  TRY(collect(dirt, entries));
  return write_entries(entries.span());
}

fs::Result<bool> BlockCache::trim(bool may_write_meta) {
  for (int pass = 0; pass < 3 && used_ > budget_; ++pass) {
    if (pass == 1) TRY(write_back(Dirt::Data));
    if (pass == 2) {
      if (!may_write_meta) break;
      TRY(write_back(Dirt::Meta));
    }
    Entry* e = lru_tail_;
    while (e != nullptr && used_ > budget_) {
      Entry* prev = e->lru_prev;
      if (e->dirt == Dirt::Clean) remove(e);
      e = prev;
    }
  }
  return used_ > budget_;
}

void BlockCache::drop_clean() {
  Entry* e = lru_head_;
  while (e != nullptr) {
    Entry* next = e->lru_next;
    if (e->dirt == Dirt::Clean) remove(e);
    e = next;
  }
}

}  // namespace ext2

// What journal.cc and recovery.cc share: the scan's records and small helpers.
#pragma once

#include <jbd2/journal.h>

namespace jbd2 {

// One logged block found by the scan: where its copy is in the journal and where it goes.
struct Journal::Tag {
  u64 home;
  u32 index;        // journal block of the copy
  u32 transaction;  // ordinal of its transaction in the scan (0 is the one at s_start)
  u32 order;        // position in the log, to keep the newest copy of a home
  bool escaped;
};

// A revoke record: copies of `block` logged in transactions up to `transaction` are not replayed.
struct Journal::Revoked {
  u64 block;
  u32 transaction;
};

struct Journal::Scan {
  support::Vector<Tag> tags;
  support::Vector<Revoked> revoked;
  support::Vector<u8> block;  // the metadata block being read
  support::Vector<u8> data;   // a data block being checked
  u32 transactions = 0;       // complete transactions so far
  u32 walked = 0;             // log blocks read, never more than the log's size
  u32 next_sequence = 0;
};

// Vector growth as fs errors.
template <typename T> fs::Result<void> resize(support::Vector<T>& v, usize size) {
  if (v.try_resize(size).is_error()) return fs::Error::NoMemory;
  return {};
}
template <typename T> fs::Result<void> push(support::Vector<T>& v, const T& value) {
  if (v.try_push(value).is_error()) return fs::Error::NoMemory;
  return {};
}

inline void put_header(u8* block, BlockType type, u32 sequence) {
  store_be32(block + header::kMagic, kMagic);
  store_be32(block + header::kBlockType, static_cast<u32>(type));
  store_be32(block + header::kSequence, sequence);
}

}  // namespace jbd2

// HandleTable: one program's handles, by number. Numbers are small and the lowest free one is
// given first (WASI descriptors are numbers of this table: 0, 1 and 2 are the standard streams,
// placed first). The table has a limit on its numbers, given at construction (the kernel's
// per-program handle limit): past it, Error::TableFull (EMFILE). Its slot array is charged to
// its Account as it grows (Error::LimitReached when refused).
//
// Thread-safe: one lock, held only for the table's own bookkeeping. A handle the table lets go
// (close, close_all, a renumber that replaces one) is dropped after the lock is released, so
// closing objects never happens under it. Every failing call changes nothing.
//
// Transfers (channel_write, spawn) move several handles out all or nothing: take() checks them
// all and moves them out, leaving their numbers RESERVED (no lookup finds them, no insert reuses
// them), then the caller either commits (the numbers become free) or undoes (the handles come
// back where they were, with their rights). Receiving is the mirror: reserve() numbers first,
// then fill() them, or unreserve().
#pragma once

#include <ipc/account.h>
#include <ipc/error.h>
#include <ipc/handle.h>
#include <ipc/rights.h>
#include <support/span.h>
#include <support/spinlock.h>
#include <support/vector.h>

namespace ipc {

// A sensible default for the kernel's per-program handle limit (its boot argument's default).
inline constexpr u32 kDefaultHandleLimit = 1024;

// One handle to send: its number in the sender's table and the rights the receiver gets
// (right::kSame: all of the handle's; otherwise a subset).
struct HandleTransfer {
  u32 handle = 0;
  Rights rights = right::kSame;
};

// What lookup() finds: a transient reference, the handle's rights and word.
struct HandleInfo {
  Ref<Object> object;
  Rights rights;
  u64 word = 0;
};

class HandleTable {
 public:
  // Numbers 0 .. limit-1. Slots are allocated as numbers are used, charged to `account`, which
  // must outlive the table (a Charge retains it).
  HandleTable(Account& account, u32 limit);
  ~HandleTable() { close_all(); }
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  Account& account() const { return account_; }
  u32 limit() const { return limit_; }
  // Numbers in use (reserved ones included).
  u32 count();

  // Puts `handle` at the lowest free number and returns it. On success the table takes the
  // handle (left empty); on failure it is left as it was. TableFull, LimitReached, NoMemory,
  // BadHandle (an empty handle, or the table was closed by close_all).
  Result<u32> insert(Handle& handle);
  // Puts `handle` at `number` (the standard streams of a child): Exists if it is in use,
  // TableFull past the limit; otherwise as insert().
  Result<void> insert_at(u32 number, Handle& handle);

  // The handle at `number`, which must have every right in `required`: BadHandle, AccessDenied.
  Result<HandleInfo> lookup(u32 number, Rights required = right::kNone);
  // The object at `number` as a T (T::kKind), with `required` rights: also WrongType.
  template <typename T> Result<Ref<T>> get(u32 number, Rights required = right::kNone) {
    HandleInfo info = TRY(lookup(number, required));
    Ref<T> object = ref_cast<T>(info.object);
    if (!object) return Error::WrongType;
    return object;
  }

  // A second handle to the object at `number` with `rights` (kSame: the same), at the lowest
  // free number. Needs kDuplicate; rights are never increased (AccessDenied).
  Result<u32> duplicate(u32 number, Rights rights = right::kSame);
  // Lowers the rights of the handle at `number` (WASI's fd_fdstat_set_rights): AccessDenied if
  // `rights` is not a subset of its rights.
  Result<void> reduce_rights(u32 number, Rights rights);
  // Sets the embedder's word of the handle at `number`.
  Result<void> set_word(u32 number, u64 word);

  // Moves the handle at `from` to `to` (WASI's fd_renumber), closing what was at `to`; `from`
  // becomes free. BadHandle if `from` is not in use, `to` is past the limit or reserved.
  Result<void> renumber(u32 from, u32 to);
  // Takes the handle at `number` out of the table (to send it, or to drop it): BadHandle.
  Result<Handle> remove(u32 number);
  // Closes the handle at `number`: BadHandle.
  Result<void> close(u32 number);
  // Closes every handle and refuses inserts from now on (the program ended, by exit, trap or
  // kill). Gives the slot array and its charge back. Idempotent.
  void close_all();

  // --- Transfers (see the header comment).
  // Checks that every `transfers[i].handle` is in use, distinct (Invalid), has kTransfer and
  // at least the rights asked (AccessDenied); then moves each into `out[i]` (out.size() ==
  // transfers.size(), empty handles) with the rights asked, leaving the numbers reserved.
  Result<void> take(support::Span<const HandleTransfer> transfers, support::Span<Handle> out);
  // The transfer happened: the reserved numbers become free.
  void commit_take(support::Span<const HandleTransfer> transfers);
  // The transfer failed: `handles` (those take() gave, rights as it set them) go back to their
  // numbers with their former rights. After close_all() they are dropped instead.
  void undo_take(support::Span<const HandleTransfer> transfers, support::Span<Handle> handles);

  // Reserves the lowest free numbers into `numbers` (all or none): TableFull, LimitReached,
  // NoMemory, BadHandle (closed table).
  Result<void> reserve(support::Span<u32> numbers);
  // Puts `handles[i]` at the reserved `numbers[i]` (dropped after close_all()).
  void fill(support::Span<const u32> numbers, support::Span<Handle> handles);
  // Frees reserved numbers that were not filled.
  void unreserve(support::Span<const u32> numbers);

 private:
  enum class SlotState : u8 { Free, Used, Reserved };
  struct Slot {
    Handle handle;
    SlotState state = SlotState::Free;
    Rights saved;  // Reserved by take(): the rights to restore on undo
  };
  struct State {
    support::Vector<Slot> slots;
    u32 used = 0;    // Used and Reserved slots
    u32 lowest = 0;  // no free slot below this one
    bool closed = false;
    Charge charge;  // for the slot array
  };

  // Finds the lowest free number (growing the array if needed) and marks it `state`.
  Result<u32> allocate_locked(State& s, SlotState state);
  // Makes slots[number] exist.
  Result<void> grow_locked(State& s, u32 number);
  void free_locked(State& s, u32 number);
  static bool in_use(const State& s, u32 number) {
    return number < s.slots.size() && s.slots[number].state == SlotState::Used;
  }

  Account& account_;
  const u32 limit_;
  support::Locked<State> state_;
};

}  // namespace ipc

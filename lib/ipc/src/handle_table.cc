#include <ipc/handle_table.h>
#include <support/allocation_cost.h>

#include "assert.h"

namespace ipc {

using support::Span;

namespace {
// Slots the array grows to at least, so that the first handles do not reallocate it each time.
constexpr u32 kMinSlots = 8;
}  // namespace

HandleTable::HandleTable(Account& account, u32 limit) : account_(account), limit_(limit) {}

u32 HandleTable::count() {
  return state_.with([](State& s) { return s.used; });
}

Result<void> HandleTable::grow_locked(State& s, u32 number) {
  u32 size = static_cast<u32>(s.slots.size());
  if (number < size) return {};
  u32 want = size * 2 > number + 1 ? size * 2 : number + 1;
  if (want < kMinSlots) want = kMinSlots;
  if (want > limit_) want = limit_;
  IPC_ASSERT(want > number);
  // The array is one allocation of capacity * sizeof(Slot) + alignof(Slot) (support::Vector).
  auto cost = [](usize slots) -> u64 {
    return slots == 0 ? 0 : support::allocation_cost(slots * sizeof(Slot) + alignof(Slot));
  };
  u64 before = cost(s.slots.capacity());
  u64 after = cost(want);
  if (s.charge.account() == nullptr) {
    s.charge = TRY(Charge::take(account_, after));
  } else {
    TRY(s.charge.grow(after - before));
  }
  if (s.slots.try_reserve(want).is_error()) {
    s.charge.shrink(after - before);
    return Error::NoMemory;
  }
  MUST(s.slots.try_resize(want));  // within the capacity just reserved
  return {};
}

Result<u32> HandleTable::allocate_locked(State& s, SlotState state) {
  if (s.closed) return Error::BadHandle;
  u32 number = s.lowest;
  while (number < s.slots.size() && s.slots[number].state != SlotState::Free) ++number;
  if (number >= limit_) return Error::TableFull;
  TRY(grow_locked(s, number));
  s.slots[number].state = state;
  ++s.used;
  s.lowest = number + 1;
  return number;
}

void HandleTable::free_locked(State& s, u32 number) {
  Slot& slot = s.slots[number];
  IPC_ASSERT(slot.state != SlotState::Free && !slot.handle);
  slot.state = SlotState::Free;
  --s.used;
  if (number < s.lowest) s.lowest = number;
}

Result<u32> HandleTable::insert(Handle& handle) {
  if (!handle) return Error::BadHandle;
  return state_.with([&](State& s) -> Result<u32> {
    u32 number = TRY(allocate_locked(s, SlotState::Used));
    s.slots[number].handle = support::move(handle);
    return number;
  });
}

Result<void> HandleTable::insert_at(u32 number, Handle& handle) {
  if (!handle) return Error::BadHandle;
  return state_.with([&](State& s) -> Result<void> {
    if (s.closed) return Error::BadHandle;
    if (number >= limit_) return Error::TableFull;
    if (number < s.slots.size() && s.slots[number].state != SlotState::Free) return Error::Exists;
    TRY(grow_locked(s, number));
    s.slots[number].handle = support::move(handle);
    s.slots[number].state = SlotState::Used;
    ++s.used;
    return {};
  });
}

Result<HandleInfo> HandleTable::lookup(u32 number, Rights required) {
  return state_.with([&](State& s) -> Result<HandleInfo> {
    if (!in_use(s, number)) return Error::BadHandle;
    const Handle& handle = s.slots[number].handle;
    if (!handle.has(required)) return Error::AccessDenied;
    return HandleInfo{handle.ref(), handle.rights(), handle.word()};
  });
}

Result<u32> HandleTable::duplicate(u32 number, Rights rights) {
  return state_.with([&](State& s) -> Result<u32> {
    if (!in_use(s, number)) return Error::BadHandle;
    // Checked before a number is taken; a duplicate never closes anything when dropped (its
    // source stays), but it is made only once it has a place.
    Rights resolved;
    const Handle& source = s.slots[number].handle;
    if (!source.has(right::kDuplicate) || !resolve_rights(source.rights(), rights, &resolved)) {
      return Error::AccessDenied;
    }
    u32 copy = TRY(allocate_locked(s, SlotState::Used));
    // allocate_locked may have moved the array: find the source again.
    s.slots[copy].handle = MUST(s.slots[number].handle.duplicate(resolved));
    return copy;
  });
}

Result<void> HandleTable::reduce_rights(u32 number, Rights rights) {
  return state_.with([&](State& s) -> Result<void> {
    if (!in_use(s, number)) return Error::BadHandle;
    return s.slots[number].handle.reduce(rights);
  });
}

Result<void> HandleTable::set_word(u32 number, u64 word) {
  return state_.with([&](State& s) -> Result<void> {
    if (!in_use(s, number)) return Error::BadHandle;
    s.slots[number].handle.set_word(word);
    return {};
  });
}

Result<void> HandleTable::renumber(u32 from, u32 to) {
  Handle displaced;  // dropped after the lock is released
  return state_.with([&](State& s) -> Result<void> {
    if (!in_use(s, from) || to >= limit_) return Error::BadHandle;
    if (from == to) return {};
    if (to < s.slots.size() && s.slots[to].state == SlotState::Reserved) return Error::BadHandle;
    TRY(grow_locked(s, to));
    Slot& target = s.slots[to];
    if (target.state == SlotState::Used) {
      displaced = support::move(target.handle);
    } else {
      target.state = SlotState::Used;
      ++s.used;
    }
    target.handle = support::move(s.slots[from].handle);
    free_locked(s, from);
    return {};
  });
}

Result<Handle> HandleTable::remove(u32 number) {
  return state_.with([&](State& s) -> Result<Handle> {
    if (!in_use(s, number)) return Error::BadHandle;
    Handle handle = support::move(s.slots[number].handle);
    free_locked(s, number);
    return handle;
  });
}

Result<void> HandleTable::close(u32 number) {
  Handle handle = TRY(remove(number));
  handle.reset();
  return {};
}

void HandleTable::close_all() {
  // Declared first, destroyed last: the charge goes back once the array is freed.
  Charge charge;
  support::Vector<Slot> slots;
  state_.with([&](State& s) {
    s.closed = true;
    slots = support::move(s.slots);
    charge = support::move(s.charge);
    s.used = 0;
    s.lowest = 0;
  });
  // The handles close here, outside the lock, lowest number first.
  for (Slot& slot : slots) slot.handle.reset();
}

Result<void> HandleTable::take(Span<const HandleTransfer> transfers, Span<Handle> out) {
  if (out.size() != transfers.size()) return Error::Invalid;
  return state_.with([&](State& s) -> Result<void> {
    for (usize i = 0; i < transfers.size(); ++i) {
      u32 number = transfers[i].handle;
      if (!in_use(s, number)) return Error::BadHandle;
      for (usize j = 0; j < i; ++j) {
        if (transfers[j].handle == number) return Error::Invalid;
      }
      const Handle& handle = s.slots[number].handle;
      Rights resolved;
      if (!handle.has(right::kTransfer) ||
          !resolve_rights(handle.rights(), transfers[i].rights, &resolved)) {
        return Error::AccessDenied;
      }
    }
    // Checked: nothing fails from here on.
    for (usize i = 0; i < transfers.size(); ++i) {
      IPC_ASSERT(!out[i]);
      Slot& slot = s.slots[transfers[i].handle];
      Rights resolved;
      resolve_rights(slot.handle.rights(), transfers[i].rights, &resolved);
      slot.saved = slot.handle.rights();
      out[i] = support::move(slot.handle);
      out[i].rights_ = resolved;
      slot.state = SlotState::Reserved;
    }
    return {};
  });
}

void HandleTable::commit_take(Span<const HandleTransfer> transfers) {
  state_.with([&](State& s) {
    if (s.closed) return;
    for (const HandleTransfer& t : transfers) free_locked(s, t.handle);
  });
}

void HandleTable::undo_take(Span<const HandleTransfer> transfers, Span<Handle> handles) {
  state_.with([&](State& s) {
    if (s.closed) return;  // the handles stay with the caller, who drops them
    for (usize i = 0; i < transfers.size(); ++i) {
      Slot& slot = s.slots[transfers[i].handle];
      IPC_ASSERT(slot.state == SlotState::Reserved && handles[i]);
      slot.handle = support::move(handles[i]);
      slot.handle.rights_ = slot.saved;
      slot.state = SlotState::Used;
    }
  });
}

Result<void> HandleTable::reserve(Span<u32> numbers) {
  return state_.with([&](State& s) -> Result<void> {
    for (usize i = 0; i < numbers.size(); ++i) {
      Result<u32> number = allocate_locked(s, SlotState::Reserved);
      if (number.is_error()) {
        for (usize j = 0; j < i; ++j) free_locked(s, numbers[j]);
        return number.error();
      }
      numbers[i] = number.value();
    }
    return {};
  });
}

void HandleTable::fill(Span<const u32> numbers, Span<Handle> handles) {
  state_.with([&](State& s) {
    if (s.closed) return;  // the handles stay with the caller, who drops them
    for (usize i = 0; i < numbers.size(); ++i) {
      Slot& slot = s.slots[numbers[i]];
      IPC_ASSERT(slot.state == SlotState::Reserved && handles[i]);
      slot.handle = support::move(handles[i]);
      slot.state = SlotState::Used;
    }
  });
}

void HandleTable::unreserve(Span<const u32> numbers) {
  state_.with([&](State& s) {
    if (s.closed) return;
    for (u32 number : numbers) free_locked(s, number);
  });
}

}  // namespace ipc

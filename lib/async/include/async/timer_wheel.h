// TimerWheel: the one timer structure of the executor. A hierarchical wheel of 6 levels of 64
// slots over ticks of 2^16 ns (65.5 us): level L slot s holds timers due in the s-th 64^L-tick
// span of the current 64^(L+1)-tick window; as time advances a slot's timers cascade to lower
// levels, and level 0 fires. Insert and remove are O(1) (an intrusive list per slot and an
// occupancy bit mask per level), so a cancelled timer costs nothing when it would have fired.
// Timers further out than 64^6 ticks (about 52 days) wait in the last slot and are re-filed.
// Not thread-safe: the executor guards it with its timer lock.
#pragma once

#include <async/platform.h>
#include <async/waker.h>
#include <support/intrusive_list.h>

namespace async {

struct TimerEntry {
  Instant deadline = 0;
  Waker waker;         // woken when the timer fires
  bool fired = false;  // set (under the timer lock) when it fired
  support::IntrusiveNode node;
  u64 tick = 0;  // deadline in ticks, rounded up
  u8 level = 0;  // where it is filed; kPendingLevel: expired, waiting to be popped
  u8 slot = 0;
};

class TimerWheel {
 public:
  static constexpr u32 kLevels = 6;
  static constexpr u32 kSlots = 64;
  static constexpr u32 kTickShift = 16;
  static constexpr u8 kPendingLevel = 0xff;

  TimerWheel() = default;
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Files `entry` (not filed yet) by entry.deadline.
  void insert(TimerEntry& entry);
  // Withdraws a filed entry.
  void remove(TimerEntry& entry);
  bool contains(const TimerEntry& entry) const { return entry.node.is_linked(); }
  // Unfiles and returns one entry whose deadline is <= now, or nullptr. `now` never goes back.
  // Resolution is one tick: an entry comes out within a tick after its deadline.
  TimerEntry* pop_expired(Instant now);
  // The earliest instant at which pop_expired may return an entry; kNever when empty.
  Instant next_deadline() const;
  bool empty() const { return count_ == 0; }
  usize size() const { return count_; }

 private:
  using List = support::IntrusiveList<TimerEntry, &TimerEntry::node>;
  struct Expiration {
    u32 level;
    u32 slot;
    u64 tick;
  };
  bool next_expiration(Expiration& out) const;
  void file(TimerEntry& entry);

  List slots_[kLevels][kSlots];
  u64 occupied_[kLevels] = {};
  List pending_;
  u64 elapsed_ = 0;  // ticks processed so far
  usize count_ = 0;
};

}  // namespace async

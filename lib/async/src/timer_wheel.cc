#include <async/timer_wheel.h>

namespace async {

namespace {

constexpr u64 kMask = TimerWheel::kSlots - 1;

constexpr u64 ticks_of(Instant deadline) {
  u64 ticks = deadline >> TimerWheel::kTickShift;
  if ((deadline & ((u64{1} << TimerWheel::kTickShift) - 1)) != 0) ++ticks;  // round up
  return ticks;
}
constexpr u64 slot_range(u32 level) { return u64{1} << (6 * level); }
constexpr u64 level_range(u32 level) { return u64{1} << (6 * (level + 1)); }

u64 rotate_right(u64 bits, u32 by) {
  by &= 63;
  return by == 0 ? bits : (bits >> by) | (bits << (64 - by));
}

}  // namespace

void TimerWheel::insert(TimerEntry& entry) {
  entry.tick = ticks_of(entry.deadline);
  entry.fired = false;
  ++count_;
  file(entry);
}

void TimerWheel::file(TimerEntry& entry) {
  if (entry.tick <= elapsed_) {
    entry.level = kPendingLevel;
    pending_.push_back(entry);
    return;
  }
  // Far-future timers wait at the end of the wheel's current window and are re-filed from there.
  u64 max_tick = elapsed_ | (level_range(kLevels - 1) - 1);
  if (max_tick == elapsed_) max_tick = elapsed_ + 1;  // at the window's last tick: the next one
  u64 when = entry.tick < max_tick ? entry.tick : max_tick;
  u64 significant = (elapsed_ ^ when) | kMask;
  u32 level = (63 - static_cast<u32>(__builtin_clzll(significant))) / 6;
  // Only `when == elapsed_ + 1` across a window boundary gets here; level 0's slot for it is
  // the next one to expire (next_expiration wraps it to elapsed_ + 1).
  if (level >= kLevels) level = 0;
  u32 slot = static_cast<u32>((when >> (6 * level)) & kMask);
  entry.level = static_cast<u8>(level);
  entry.slot = static_cast<u8>(slot);
  slots_[level][slot].push_back(entry);
  occupied_[level] |= u64{1} << slot;
}

void TimerWheel::remove(TimerEntry& entry) {
  --count_;
  if (entry.level == kPendingLevel) {
    pending_.remove(entry);
    return;
  }
  List& list = slots_[entry.level][entry.slot];
  list.remove(entry);
  if (list.empty()) occupied_[entry.level] &= ~(u64{1} << entry.slot);
}

bool TimerWheel::next_expiration(Expiration& out) const {
  for (u32 level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    u32 now_slot = static_cast<u32>((elapsed_ >> (6 * level)) & kMask);
    u32 zeros = static_cast<u32>(__builtin_ctzll(rotate_right(occupied_[level], now_slot)));
    u32 slot = (zeros + now_slot) & kMask;
    u64 level_start = elapsed_ & ~(level_range(level) - 1);
    u64 tick = level_start + slot * slot_range(level);
    if (tick <= elapsed_) tick += level_range(level);  // wrapped (only the last level does)
    out = {level, slot, tick};
    return true;
  }
  return false;
}

TimerEntry* TimerWheel::pop_expired(Instant now) {
  u64 now_tick = now >> kTickShift;
  for (;;) {
    if (TimerEntry* entry = pending_.pop_front()) {
      --count_;
      return entry;
    }
    Expiration next;
    if (!next_expiration(next) || next.tick > now_tick) {
      if (now_tick > elapsed_) elapsed_ = now_tick;
      return nullptr;
    }
    // Advance to the slot's start and re-file its timers: due ones go to pending_, the others
    // cascade to lower levels.
    elapsed_ = next.tick;
    List& list = slots_[next.level][next.slot];
    occupied_[next.level] &= ~(u64{1} << next.slot);
    List moved;
    while (TimerEntry* entry = list.pop_front()) moved.push_back(*entry);
    while (TimerEntry* entry = moved.pop_front()) file(*entry);
  }
}

Instant TimerWheel::next_deadline() const {
  if (!pending_.empty()) return 0;
  Expiration next;
  if (!next_expiration(next)) return kNever;
  if (next.tick >= (kNever >> kTickShift)) return kNever;
  return next.tick << kTickShift;
}

}  // namespace async

#include "stats.h"

#include <support/atomic.h>

namespace ipc::stats {

namespace {
// Statistics only: relaxed counters, never read to decide anything.
support::Atomic<u64> g_objects[kKindCount];
support::Atomic<u64> g_handles;
support::Atomic<u64> g_messages;
constexpr auto kRelaxed = support::MemoryOrder::Relaxed;
}  // namespace

u64 objects(Kind kind) {
  u32 index = static_cast<u32>(kind);
  return index < kKindCount ? g_objects[index].load(kRelaxed) : 0;
}
u64 objects() {
  u64 total = 0;
  for (const auto& count : g_objects) total += count.load(kRelaxed);
  return total;
}
u64 handles() { return g_handles.load(kRelaxed); }
u64 messages() { return g_messages.load(kRelaxed); }

namespace detail {
void object_created(Kind kind) { g_objects[static_cast<u32>(kind)].fetch_add(1, kRelaxed); }
void object_destroyed(Kind kind) { g_objects[static_cast<u32>(kind)].fetch_sub(1, kRelaxed); }
void handles_added(u64 n) { g_handles.fetch_add(n, kRelaxed); }
void handles_dropped(u64 n) { g_handles.fetch_sub(n, kRelaxed); }
void message_created() { g_messages.fetch_add(1, kRelaxed); }
void message_freed() { g_messages.fetch_sub(1, kRelaxed); }
}  // namespace detail

}  // namespace ipc::stats

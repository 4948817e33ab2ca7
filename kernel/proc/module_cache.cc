// The module cache: a compiled module per distinct content (FNV-1a 64 of the bytes and the size),
// shared by every program running it, freed when the last one ends and the cache is dropped.
//
// A miss compiles in steps of kCompileBudget bytes of the module (about half a millisecond under
// QEMU) with a yield between steps, so a large module does not hold a hart while it compiles.
#include <async/time.h>
#include <support/format.h>
#include <support/spinlock.h>

#include "program.h"

namespace programs {
namespace {

struct Entry {
  u64 hash = 0;
  u64 size = 0;
  const wasm::Module* module = nullptr;
  u32 users = 0;
};

support::SpinLock g_lock;
support::Vector<Entry> g_entries;
u64 g_hits = 0;

u64 fnv1a(support::Span<const u8> bytes) {
  u64 h = 0xcbf29ce484222325ull;
  for (u8 b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool same(const wasm::Module* module, support::Span<const u8> bytes) {
  if (module->bytes.size() != bytes.size()) return false;
  for (usize i = 0; i < bytes.size(); ++i) {
    if (module->bytes[i] != bytes[i]) return false;
  }
  return true;
}

constexpr u64 kCompileBudget = 2048;

void describe(CompileOutcome& outcome, const wasm::CompileError& error) {
  support::BufferSink sink(outcome.reason, sizeof outcome.reason);
  support::format(sink, "{} module at offset {:#x}: {}", wasm::error_kind_name(error.kind),
                  error.offset, error.message);
}

}  // namespace

async::Task<CompileOutcome> cache_get(support::Span<const u8> bytes) {
  CompileOutcome outcome;
  u64 hash = fnv1a(bytes);
  {
    support::LockGuard guard(g_lock);
    for (Entry& e : g_entries) {
      if (e.hash == hash && e.size == bytes.size() && same(e.module, bytes)) {
        ++e.users;
        ++g_hits;
        outcome.module = e.module;
        co_return outcome;
      }
    }
  }
  auto begun = wasm::Compilation::begin(bytes);
  if (begun.is_error()) {
    describe(outcome, begun.error());
    co_return outcome;
  }
  // Freed however this task ends (an error, or the program killed while it compiles).
  struct Owner {
    wasm::Compilation* compilation;
    ~Owner() { delete compilation; }
  } owner{begun.value()};
  for (;;) {
    auto step = owner.compilation->step(kCompileBudget);
    if (step.is_error()) {
      describe(outcome, step.error());
      co_return outcome;
    }
    if (step.value()) break;
    co_await async::yield_now();
  }
  const wasm::Module* module = owner.compilation->take();
  support::LockGuard guard(g_lock);
  // Another program may have compiled the same bytes meanwhile: keep one.
  for (Entry& e : g_entries) {
    if (e.hash == hash && e.size == bytes.size() && same(e.module, bytes)) {
      ++e.users;
      delete module;
      outcome.module = e.module;
      co_return outcome;
    }
  }
  Entry entry{hash, bytes.size(), module, 1};
  if (g_entries.try_push(entry).is_error()) {
    // Uncached: this program owns it alone (cache_put frees modules it does not know).
  }
  outcome.module = module;
  co_return outcome;
}

// Modules no program runs stay cached for the next run, up to this many; beyond, the one just
// released goes (so a program writing and running new modules cannot grow the cache forever).
constexpr usize kMaxUnused = 16;

void cache_put(const wasm::Module* module) {
  {
    support::LockGuard guard(g_lock);
    usize unused = 0, index = g_entries.size();
    for (usize i = 0; i < g_entries.size(); ++i) {
      Entry& e = g_entries[i];
      if (e.module == module) {
        --e.users;
        index = i;
      }
      if (e.users == 0) ++unused;
    }
    if (index == g_entries.size()) {
      // Not cached (the cache could not grow): this program owned it alone.
    } else if (unused <= kMaxUnused || g_entries[index].users != 0) {
      return;
    } else {
      for (usize j = index + 1; j < g_entries.size(); ++j) g_entries[j - 1] = g_entries[j];
      g_entries.shrink_to(g_entries.size() - 1);
    }
  }
  delete module;
}

u64 cache_size() {
  support::LockGuard guard(g_lock);
  return g_entries.size();
}

u64 cache_hits() {
  support::LockGuard guard(g_lock);
  return g_hits;
}

void cache_drop_unused() {
  support::Vector<const wasm::Module*> dead;
  {
    support::LockGuard guard(g_lock);
    usize kept = 0;
    for (usize i = 0; i < g_entries.size(); ++i) {
      Entry e = g_entries[i];
      if (e.users == 0 && dead.try_push(e.module).is_ok()) continue;
      g_entries[kept++] = e;
    }
    g_entries.shrink_to(kept);
  }
  for (const wasm::Module* m : dead) delete m;
}

}  // namespace programs

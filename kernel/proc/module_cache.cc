// The module cache: a compiled module per distinct content (FNV-1a 64 of the bytes and the size),
// shared by every program running it, freed when the last one ends and the cache is dropped.
//
// FIXME: compile() validates and translates a whole module in one call, so a very large module
// holds its hart for the duration; the engine needs a resumable compile (per function) to yield.
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

}  // namespace

CompileOutcome cache_get(support::Span<const u8> bytes) {
  CompileOutcome outcome;
  u64 hash = fnv1a(bytes);
  {
    support::LockGuard guard(g_lock);
    for (Entry& e : g_entries) {
      if (e.hash == hash && e.size == bytes.size() && same(e.module, bytes)) {
        ++e.users;
        ++g_hits;
        outcome.module = e.module;
        return outcome;
      }
    }
  }
  auto compiled = wasm::Module::compile(bytes);
  if (compiled.is_error()) {
    const wasm::CompileError& error = compiled.error();
    support::BufferSink sink(outcome.reason, sizeof outcome.reason);
    support::format(sink, "{} module at offset {:#x}: {}", wasm::error_kind_name(error.kind),
                    error.offset, error.message);
    return outcome;
  }
  const wasm::Module* module = compiled.value();
  support::LockGuard guard(g_lock);
  // Another program may have compiled the same bytes meanwhile: keep one.
  for (Entry& e : g_entries) {
    if (e.hash == hash && e.size == bytes.size() && same(e.module, bytes)) {
      ++e.users;
      delete module;
      outcome.module = e.module;
      return outcome;
    }
  }
  Entry entry{hash, bytes.size(), module, 1};
  if (g_entries.try_push(entry).is_error()) {
    // Uncached: this program owns it alone (cache_put frees modules it does not know).
  }
  outcome.module = module;
  return outcome;
}

void cache_put(const wasm::Module* module) {
  support::LockGuard guard(g_lock);
  for (Entry& e : g_entries) {
    if (e.module == module) {
      --e.users;
      return;
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

// The module cache: a compiled module per distinct content (FNV-1a 64 of the bytes and the size),
// shared by every program running it. Modules no program runs stay for the next run while they
// take at most program.cache bytes together; beyond, the least recently used go.
//
// A miss compiles in steps of kCompileBudget bytes of the module (about half a millisecond under
// QEMU) with a yield between steps, so a large module does not hold a hart while it compiles.
// What the compilation allocates is charged to the program that loads it as it goes, against its
// program.memory and the pool, so a module whose internal code would not fit fails early. While
// a module compiles, programs that start with the same bytes wait for it instead of compiling it
// again (1,000 programs started at once on one hart compile once).
#include <async/sync.h>
#include <async/time.h>
#include <support/format.h>
#include <support/spinlock.h>

#include <kernel/proc/program.h>

namespace programs {
namespace {

struct Entry {
  u64 hash = 0;
  u64 size = 0;
  const wasm::Module* module = nullptr;
  u64 footprint = 0;  // charged to the pool while the module is here
  u32 users = 0;
  u64 last_used = 0;  // Cache::clock when the last user returned it
};

support::Atomic<u64> g_bytes{0};  // footprints of the cached modules

// A compilation under way (hash and size of its bytes).
struct InFlight {
  u64 hash;
  u64 size;
};

struct Cache {
  support::Vector<Entry> entries;
  u64 hits = 0;
  u64 clock = 0;
  // Compilations under way; g_compiled is notified when one ends.
  support::Vector<InFlight> in_flight;

  bool compiling(u64 hash, u64 size) const {
    for (const InFlight& f : in_flight) {
      if (f.hash == hash && f.size == size) return true;
    }
    return false;
  }
  // Removes entry `index`.
  void remove(usize index) {
    g_bytes.fetch_sub(entries[index].footprint);
    for (usize j = index + 1; j < entries.size(); ++j) entries[j - 1] = entries[j];
    entries.shrink_to(entries.size() - 1);
  }
};
// Lock order: g_compiled's lock, then this one (a waiting program's condition reads the cache);
// the kernel heap's under it (a module compiled twice is freed there).
support::Locked<Cache> g_cache;
async::WaitQueue g_compiled;

// Registers a compilation under way (if there is memory to: otherwise others may compile the
// same bytes too) and removes it, waking the programs waiting for it, however the compiling task
// ends.
class CompilingGuard {
 public:
  CompilingGuard(u64 hash, u64 size) : hash_(hash), size_(size) {
    registered_ = g_cache.with(
        [&](Cache& cache) { return cache.in_flight.try_push(InFlight{hash, size}).is_ok(); });
  }
  CompilingGuard(const CompilingGuard&) = delete;
  ~CompilingGuard() {
    if (!registered_) return;
    g_cache.with([&](Cache& cache) {
      support::Vector<InFlight>& in_flight = cache.in_flight;
      for (usize i = 0; i < in_flight.size(); ++i) {
        if (in_flight[i].hash != hash_ || in_flight[i].size != size_) continue;
        in_flight[i] = in_flight[in_flight.size() - 1];
        in_flight.shrink_to(in_flight.size() - 1);
        break;
      }
    });
    g_compiled.notify_all();
  }

 private:
  u64 hash_;
  u64 size_;
  bool registered_ = false;
};

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

// Frees a module that left the cache (or never entered it) and gives its charge back.
void destroy(const wasm::Module* module, u64 footprint) {
  delete module;
  pool::uncharge(footprint);
}

// The compilation's allocations, charged to the program (for its limit and `ps`) and to the pool
// as they happen; handed over to the cache entry, or given back, at the end.
class CompileCharge {
 public:
  // Takes over `taken` bytes already charged to the program and the pool (its file's bytes,
  // which become the module's copy).
  CompileCharge(Program& program, u64 taken) : program_(program), charged_(taken) {}
  CompileCharge(const CompileCharge&) = delete;
  ~CompileCharge() { set(0); }
  // The limit for the compilation's next step: the program's own limit, or what the pool has
  // room for now, whichever is less (`own`: whether it is the program's).
  u64 next_limit(bool& own) const {
    u64 held = program_.memory_bytes.load();
    u64 others = held - charged_;  // the program's overhead
    u64 mine = limits().memory_bytes > others ? limits().memory_bytes - others : 0;
    u64 room = charged_ + pool::room(program_.reserve, held);
    own = mine <= room;
    return own ? mine : room;
  }
  // Brings the charge to `bytes`; false when the pool refuses (another program took the room).
  bool set(u64 bytes) {
    if (bytes > charged_) {
      u64 more = bytes - charged_;
      if (!pool::charge(more, program_.reserve, program_.memory_bytes.load() + more)) return false;
      program_.memory_bytes.fetch_add(more);
    } else {
      pool::uncharge(charged_ - bytes);
      program_.memory_bytes.fetch_sub(charged_ - bytes);
    }
    charged_ = bytes;
    return true;
  }
  // The module's footprint stays charged to the pool (for the cache) and to the program (until
  // it returns the module): nothing is given back when this goes.
  void hand_over() { charged_ = 0; }

 private:
  Program& program_;
  u64 charged_ = 0;
};

}  // namespace

async::Task<CompileOutcome> cache_get(support::Vector<u8>& file, Program& program,
                                      u64& file_charge) {
  CompileOutcome outcome;
  support::Span<const u8> bytes = file.span();
  u64 hash = fnv1a(bytes);
  for (;;) {
    bool compiling = false;
    bool hit = g_cache.with([&](Cache& cache) {
      for (Entry& e : cache.entries) {
        if (e.hash == hash && e.size == bytes.size() && same(e.module, bytes)) {
          ++e.users;
          ++cache.hits;
          outcome.module = e.module;
          outcome.footprint = e.footprint;
          program.memory_bytes.fetch_add(e.footprint);
          return true;
        }
      }
      compiling = cache.compiling(hash, bytes.size());
      return false;
    });
    if (hit) co_return outcome;
    if (!compiling) break;
    co_await g_compiled.wait_until([&] {
      return g_cache.with([&](Cache& cache) { return !cache.compiling(hash, bytes.size()); });
    });
  }
  // (Another program may register the same bytes between the look-up and this: both compile, and
  // the second to finish keeps the first's module.)
  CompilingGuard compiling(hash, bytes.size());
  auto over_limit = [&](bool own) {
    support::BufferSink sink(outcome.reason, sizeof outcome.reason);
    if (own) {
      support::format(sink, "compiled module over the program's memory limit ({} MiB)",
                      limits().memory_bytes >> 20);
    } else {
      support::format(sink, "out of memory for the compiled module (other programs hold it)");
    }
  };
  CompileCharge charge(program, file_charge);
  file_charge = 0;
  bool own = false;
  u64 limit = charge.next_limit(own);
  if (wasm::allocation_cost(bytes.size()) > limit ||
      !charge.set(wasm::allocation_cost(bytes.size()))) {
    over_limit(own);
    co_return outcome;
  }
  u64 size = bytes.size();
  auto begun = wasm::Compilation::begin(support::move(file));
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
    owner.compilation->set_memory_limit(charge.next_limit(own));
    auto step = owner.compilation->step(kCompileBudget);
    bool charged = charge.set(owner.compilation->memory_used());
    if (step.is_error()) {
      if (step.error().message == wasm::kOverMemoryLimit) {
        over_limit(own);
      } else {
        describe(outcome, step.error());
      }
      co_return outcome;
    }
    if (!charged) {
      over_limit(false);
      co_return outcome;
    }
    if (step.value()) break;
    co_await async::yield_now();
  }
  const wasm::Module* module = owner.compilation->take();
  u64 footprint = module->footprint();
  bytes = module->bytes.span();
  // The compiler's work stacks are gone: the module's own footprint stays charged.
  if (!charge.set(footprint)) {
    delete module;
    over_limit(false);
    co_return outcome;
  }
  charge.hand_over();
  outcome.footprint = footprint;
  outcome.module = g_cache.with([&](Cache& cache) {
    // Another program may have compiled the same bytes meanwhile: keep one.
    for (Entry& e : cache.entries) {
      if (e.hash == hash && e.size == size && same(e.module, bytes)) {
        ++e.users;
        // The other module's footprint (equal: same bytes, same code) is charged instead.
        pool::uncharge(footprint);
        delete module;
        return e.module;
      }
    }
    Entry entry{hash, size, module, footprint, 1, 0};
    if (cache.entries.try_push(entry).is_ok()) {
      g_bytes.fetch_add(footprint);
    } else {
      // Uncached: this program owns it alone (cache_put frees modules it does not know).
    }
    return module;
  });
  co_return outcome;
}

void cache_put(const wasm::Module* module) {
  // Freed after the lock is released: a big module takes a while to free.
  const wasm::Module* dead[8];
  u64 dead_bytes[8];
  usize dead_count = 0;
  g_cache.with([&](Cache& cache) {
    support::Vector<Entry>& entries = cache.entries;
    usize index = entries.size();
    for (usize i = 0; i < entries.size(); ++i) {
      if (entries[i].module == module) index = i;
    }
    if (index == entries.size()) {
      // Not cached (the cache could not grow): this program owned it alone.
      dead[dead_count] = module;
      dead_bytes[dead_count++] = module->footprint();
      return;
    }
    Entry& e = entries[index];
    --e.users;
    e.last_used = ++cache.clock;
    // Over the limit, unused modules go, least recently used first (this one too, if it alone
    // is over).
    u64 unused = 0;
    for (const Entry& u : entries) unused += u.users == 0 ? u.footprint : 0;
    while (unused > limits().cache_bytes && dead_count < 8) {
      usize oldest = entries.size();
      for (usize i = 0; i < entries.size(); ++i) {
        if (entries[i].users != 0) continue;
        if (oldest == entries.size() || entries[i].last_used < entries[oldest].last_used) {
          oldest = i;
        }
      }
      dead[dead_count] = entries[oldest].module;
      dead_bytes[dead_count++] = entries[oldest].footprint;
      unused -= entries[oldest].footprint;
      cache.remove(oldest);
    }
  });
  for (usize i = 0; i < dead_count; ++i) destroy(dead[i], dead_bytes[i]);
}

u64 cache_size() {
  return g_cache.with([](Cache& cache) { return cache.entries.size(); });
}

u64 cache_bytes() { return g_bytes.load(); }

u64 cache_hits() {
  return g_cache.with([](Cache& cache) { return cache.hits; });
}

void cache_drop_unused() {
  // One at a time, so that no list of them needs memory (this runs when memory is short).
  for (;;) {
    const wasm::Module* module = nullptr;
    u64 footprint = 0;
    g_cache.with([&](Cache& cache) {
      for (usize i = 0; i < cache.entries.size(); ++i) {
        if (cache.entries[i].users != 0) continue;
        module = cache.entries[i].module;
        footprint = cache.entries[i].footprint;
        cache.remove(i);
        break;
      }
    });
    if (module == nullptr) return;
    destroy(module, footprint);
  }
}

}  // namespace programs

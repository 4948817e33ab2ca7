// The pool: memory that programs hold together, and the reserve kept for the first program (the
// shell) and the tools it runs, so that `ps` and `kill` work when every other program is out of
// memory (see <kernel/proc/programs.h>, Reserve, and docs/programs.md, "Limits").
//
// The pool is a number of bytes fixed at init: what was free then, less the file system's room
// to grow (its quota) and the reserve. A program's charges (its overhead, its store's linear
// memory, tables, stacks and instances, what its compilations allocate) and the compiled modules
// of the cache all count. A charge is one atomic step, so two programs racing for the last bytes
// cannot both get them.
#include <support/atomic.h>

#include <kernel/proc/program.h>

namespace programs {
namespace pool {
namespace {

support::Atomic<u64> g_used{0};
u64 g_limit = 0;
u64 g_reserve = 0;

// The most the pool may hold once this charge is made.
u64 ceiling(Reserve reserve, u64 holder_total) {
  switch (reserve) {
    case Reserve::All: return g_limit + g_reserve;
    case Reserve::Tools: return holder_total <= kToolBytes ? g_limit + g_reserve / 2 : g_limit;
    case Reserve::None: return g_limit;
  }
  return g_limit;
}

bool try_charge(u64 bytes, u64 top) {
  u64 current = g_used.load();
  for (;;) {
    if (bytes > top || current > top - bytes) return false;
    if (g_used.compare_exchange(current, current + bytes)) return true;
  }
}

}  // namespace

void init(u64 limit, u64 reserve) {
  g_limit = limit;
  g_reserve = reserve;
}

bool charge(u64 bytes, Reserve reserve, u64 holder_total) {
  if (bytes == 0) return true;
  u64 top = ceiling(reserve, holder_total);
  if (try_charge(bytes, top)) return true;
  // Compiled modules nobody runs give way to programs that run.
  if (cache_bytes() == 0) return false;
  cache_drop_unused();
  return try_charge(bytes, top);
}

void uncharge(u64 bytes) { g_used.fetch_sub(bytes); }

u64 room(Reserve reserve, u64 holder_total) {
  u64 top = ceiling(reserve, holder_total);
  u64 current = g_used.load();
  return current < top ? top - current : 0;
}

u64 used() { return g_used.load(); }
u64 limit() { return g_limit; }
u64 reserve() { return g_reserve; }

}  // namespace pool

// program.memory bounds everything charged to one program, whoever charges it: its store, and
// what IPC and the WASI layer keep for it (pipes, messages, sockets and their buffers, a poll's
// subscriptions), which the store's own max_bytes does not see. The program's total is reserved
// first (one atomic step: two charges racing cannot both take its last bytes), then the pool.
bool ProgramAccount::charge(u64 bytes) {
  u64 limit = limits().memory_bytes;
  u64 held = program_.memory_bytes.load();
  do {
    if (bytes > limit || held > limit - bytes) return false;
  } while (!program_.memory_bytes.compare_exchange(held, held + bytes));
  if (!pool::charge(bytes, program_.reserve, held + bytes)) {
    program_.memory_bytes.fetch_sub(bytes);
    return false;
  }
  return true;
}

void ProgramAccount::uncharge(u64 bytes) {
  program_.memory_bytes.fetch_sub(bytes);
  pool::uncharge(bytes);
}

bool ProgramIpcAccount::charge(u64 bytes) { return program_.account.charge(bytes); }
void ProgramIpcAccount::uncharge(u64 bytes) { program_.account.uncharge(bytes); }
void ProgramIpcAccount::retain() { program_.refs.fetch_add(1); }
void ProgramIpcAccount::release() { programs::release(&program_); }

}  // namespace programs

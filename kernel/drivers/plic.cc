#include <kernel/drivers/plic.h>

namespace plic {

namespace {

struct Entry {
  Handler handler;
  void* context;
  u64 count;
};

uptr g_base = 0;
Entry g_entries[kMaxSources];

volatile u32& reg(uptr offset) { return *reinterpret_cast<volatile u32*>(g_base + offset); }
volatile u32& priority(u32 source) { return reg(4 * source); }
volatile u32& enable_word(u32 context, u32 source) {
  return reg(0x2000 + 0x80 * context + 4 * (source / 32));
}
volatile u32& threshold(u32 context) { return reg(0x200000 + 0x1000 * context); }
volatile u32& claim(u32 context) { return reg(0x200004 + 0x1000 * context); }

}  // namespace

void init(uptr virtual_base) { g_base = virtual_base; }
bool ready() { return g_base != 0; }

support::Result<void> attach(u32 source, u32 context, Handler handler, void* handler_context) {
  if (source == 0 || source >= kMaxSources || !ready()) return support::Error::Invalid;
  if (g_entries[source].handler != nullptr) return support::Error::Busy;
  g_entries[source].context = handler_context;
  __atomic_store_n(&g_entries[source].handler, handler, __ATOMIC_RELEASE);
  priority(source) = 1;
  enable_word(context, source) = enable_word(context, source) | (1u << (source % 32));
  return {};
}

void init_context(u32 context) {
  if (ready()) threshold(context) = 0;
}

void handle(u32 context) {
  for (;;) {
    u32 source = claim(context);
    if (source == 0) return;
    if (source < kMaxSources) {
      Entry& e = g_entries[source];
      Handler h = __atomic_load_n(&e.handler, __ATOMIC_ACQUIRE);
      ++e.count;
      if (h != nullptr) h(source, e.context);
    }
    claim(context) = source;  // complete
  }
}

u64 count(u32 source) { return source < kMaxSources ? g_entries[source].count : 0; }

}  // namespace plic

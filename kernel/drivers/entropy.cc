// The RTC and the random generator (see <kernel/drivers/entropy.h>).
#include <kernel/arch/time.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/drivers/entropy.h>
#include <support/spinlock.h>

namespace entropy {
namespace {

u64 g_realtime_at_boot = 0;  // RTC reading, ns since 1970
u64 g_monotonic_at_boot = 0;

struct Generator {
  u32 key[8] = {};
  u64 counter = 0;
  u8 block[64] = {};
  usize used = 64;  // bytes of `block` handed out
};
support::Locked<Generator> g_gen;

constexpr u32 rotl(u32 v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter(u32* x, int a, int b, int c, int d) {
  x[a] += x[b];
  x[d] = rotl(x[d] ^ x[a], 16);
  x[c] += x[d];
  x[b] = rotl(x[b] ^ x[c], 12);
  x[a] += x[b];
  x[d] = rotl(x[d] ^ x[a], 8);
  x[c] += x[d];
  x[b] = rotl(x[b] ^ x[c], 7);
}

// One ChaCha20 block of the keystream at `counter` (nonce zero).
void chacha_block(const u32 key[8], u64 counter, u8 out[64]) {
  u32 state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; ++i) state[4 + i] = key[i];
  state[12] = static_cast<u32>(counter);
  state[13] = static_cast<u32>(counter >> 32);
  u32 x[16];
  for (int i = 0; i < 16; ++i) x[i] = state[i];
  for (int round = 0; round < 10; ++round) {
    quarter(x, 0, 4, 8, 12);
    quarter(x, 1, 5, 9, 13);
    quarter(x, 2, 6, 10, 14);
    quarter(x, 3, 7, 11, 15);
    quarter(x, 0, 5, 10, 15);
    quarter(x, 1, 6, 11, 12);
    quarter(x, 2, 7, 8, 13);
    quarter(x, 3, 4, 9, 14);
  }
  for (int i = 0; i < 16; ++i) {
    u32 v = x[i] + state[i];
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<u8>(v >> (8 * b));
  }
}

u64 read_rtc() {
  const auto& rtc = machine::info().rtc;
  if (!rtc.present()) return 0;
  auto* regs = machine::phys_ptr<volatile u32>(rtc.base);
  // Reading TIME_LOW latches TIME_HIGH.
  u64 low = regs[0];
  u64 high = regs[1];
  return high << 32 | low;
}

}  // namespace

void init() {
  g_realtime_at_boot = read_rtc();
  g_monotonic_at_boot = ktime::now_ns();
  support::Bytes seed = machine::info().rng_seed;
  // The key: the seed's bytes folded into 32 bytes, then the boot time, through one block.
  u8 material[32] = {};
  for (usize i = 0; i < seed.size(); ++i) material[i % 32] ^= seed[i];
  for (int i = 0; i < 8; ++i) material[i] ^= static_cast<u8>(g_realtime_at_boot >> (8 * i));
  g_gen.with([&](Generator& gen) {
    for (int i = 0; i < 8; ++i) __builtin_memcpy(&gen.key[i], material + 4 * i, 4);
  });
  if (seed.size() == 0) LOG_WARN("entropy: no /chosen/rng-seed; random bytes are predictable");
  LOG_INFO("entropy: realtime {} s since 1970 from the RTC, {} seed bytes",
           g_realtime_at_boot / 1000000000, seed.size());
}

u64 realtime_ns() { return g_realtime_at_boot + (ktime::now_ns() - g_monotonic_at_boot); }

void random_bytes(support::Span<u8> out) {
  g_gen.with([&](Generator& gen) {
    for (usize i = 0; i < out.size(); ++i) {
      if (gen.used == 64) {
        chacha_block(gen.key, gen.counter++, gen.block);
        gen.used = 0;
        // Fast key erasure: the first block after every 16 re-keys, so past output cannot be
        // recomputed from a later state.
        if (gen.counter % 16 == 0) {
          __builtin_memcpy(gen.key, gen.block, sizeof gen.key);
          chacha_block(gen.key, gen.counter++, gen.block);
        }
      }
      out[i] = gen.block[gen.used++];
    }
  });
}

}  // namespace entropy

#include <jbd2/format.h>

namespace jbd2 {
namespace {

// The reflected Castagnoli polynomial 0x1EDC6F41.
constexpr u32 kPolynomial = 0x82F63B78;

struct Table {
  u32 entry[256];
  constexpr Table() : entry() {
    for (u32 i = 0; i < 256; ++i) {
      u32 c = i;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
      entry[i] = c;
    }
  }
};

constexpr Table kTable;

}  // namespace

u32 crc32c(u32 crc, support::Span<const u8> data) {
  for (u8 byte : data) crc = kTable.entry[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc;
}

}  // namespace jbd2

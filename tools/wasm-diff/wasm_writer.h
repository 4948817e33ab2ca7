// Encoding helpers for the binary format: LEB128 numbers, sections and little-endian constants.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace wasm_diff {

using Bytes = std::vector<uint8_t>;

class Writer {
 public:
  Bytes bytes;

  void byte(uint8_t b) { bytes.push_back(b); }
  void u32(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      byte(v ? b | 0x80 : b);
    } while (v);
  }
  void s64(int64_t v) {
    for (;;) {
      uint8_t b = v & 0x7f;
      v >>= 7;
      bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
      byte(done ? b : b | 0x80);
      if (done) return;
    }
  }
  void f32_bits(uint32_t bits) {
    for (int i = 0; i < 4; ++i) byte(static_cast<uint8_t>(bits >> (8 * i)));
  }
  void f64_bits(uint64_t bits) {
    for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(bits >> (8 * i)));
  }
  void name(const char* s) {
    size_t n = strlen(s);
    u32(n);
    bytes.insert(bytes.end(), s, s + n);
  }
  void append(const Bytes& b) { bytes.insert(bytes.end(), b.begin(), b.end()); }
  // Section `id` with `body` as its contents.
  void section(uint8_t id, const Writer& body) {
    byte(id);
    u32(body.bytes.size());
    append(body.bytes);
  }
};

}  // namespace wasm_diff

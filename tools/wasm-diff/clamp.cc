#include "clamp.h"

namespace wasm_diff {

namespace {

struct Reader {
  const Bytes& b;
  size_t at;
  size_t end;
  bool ok = true;

  uint8_t byte() {
    if (at >= end) {
      ok = false;
      return 0;
    }
    return b[at++];
  }
  uint64_t u32() {
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t x = byte();
      v |= uint64_t{x & 0x7fu} << shift;
      if (!(x & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
};

// Re-encodes limits (flags 0 or 1; anything else, e.g. shared or 64-bit, is left alone by
// returning false) with a maximum of at most `bound`.
bool clamp_one(Reader& r, Writer& w, uint64_t bound, bool& too_large) {
  uint8_t flags = r.byte();
  if (flags > 1) return false;
  uint64_t min = r.u32();
  uint64_t max = flags ? r.u32() : ~uint64_t{0};
  if (!r.ok) return false;
  if (min > bound) too_large = true;
  w.byte(1);
  w.u32(min);
  w.u32(max < bound ? max : bound);
  return true;
}

}  // namespace

Clamp clamp_limits(const Bytes& in, uint64_t max_pages, uint64_t max_table, Bytes& out) {
  if (in.size() < 8) return Clamp::Unchanged;
  Writer w;
  w.bytes.assign(in.begin(), in.begin() + 8);
  Reader r{in, 8, in.size()};
  bool changed = false, too_large = false;
  while (r.at < in.size()) {
    uint8_t id = r.byte();
    uint64_t size = r.u32();
    if (!r.ok || size > in.size() - r.at) return Clamp::Unchanged;
    size_t body = r.at, body_end = r.at + size;
    if (id == 4 || id == 5) {
      Reader s{in, body, body_end};
      Writer sec;
      uint64_t n = s.u32();
      sec.u32(n);
      for (uint64_t i = 0; i < n && s.ok; ++i) {
        if (id == 4) sec.byte(s.byte());  // the element type
        if (!clamp_one(s, sec, id == 4 ? max_table : max_pages, too_large)) return Clamp::Unchanged;
      }
      if (!s.ok || s.at != body_end) return Clamp::Unchanged;
      w.section(id, sec);
      changed = true;
    } else {
      w.byte(id);
      w.u32(size);
      w.bytes.insert(w.bytes.end(), in.data() + body, in.data() + body_end);
    }
    r.at = body_end;
  }
  if (too_large) return Clamp::TooLarge;
  if (!changed) return Clamp::Unchanged;
  out = std::move(w.bytes);
  return Clamp::Clamped;
}

}  // namespace wasm_diff

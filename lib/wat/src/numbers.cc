// Exact literal parsing. Floats go through a fixed-size big integer: the literal's value is
// N / D * 2^E2 with integers N, D (D a power of five for decimal literals); the quotient is taken
// to a few bits more than the target precision with a sticky bit for the remainder, then
// rounded once to nearest-even with the target's exponent range (subnormals included).
#include <wat/numbers.h>

namespace wat {
namespace {

using support::StringView;

int digit_value(char c, bool hex) {
  if (c >= '0' && c <= '9') return c - '0';
  if (hex && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (hex && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Scans digits with `_` allowed only between two digits. Returns the count of characters
// consumed (0 when no digit starts here) or ~0 on a misplaced underscore.
usize scan_digits(StringView text, usize at, bool hex) {
  usize i = at;
  if (i >= text.size() || digit_value(text[i], hex) < 0) return 0;
  while (i < text.size()) {
    if (digit_value(text[i], hex) >= 0) {
      ++i;
    } else if (text[i] == '_') {
      if (i + 1 >= text.size() || digit_value(text[i + 1], hex) < 0) return ~usize{0};
      ++i;
    } else {
      break;
    }
  }
  return i - at;
}

// Unsigned magnitude of a digit run (decimal or hex after the caller stripped 0x); saturates
// into `overflow`.
u64 digits_value(StringView digits, bool hex, bool& overflow) {
  u64 value = 0;
  u64 base = hex ? 16 : 10;
  for (char c : digits) {
    if (c == '_') continue;
    u64 d = static_cast<u64>(digit_value(c, hex));
    if (value > (~u64{0} - d) / base) overflow = true;
    value = value * base + d;
  }
  return value;
}

support::Result<u64, NumberError> parse_magnitude(StringView text, bool& overflow) {
  bool hex = text.size() > 2 && text[0] == '0' && text[1] == 'x';
  usize start = hex ? 2 : 0;
  usize len = scan_digits(text, start, hex);
  if (len == 0 || len == ~usize{0} || start + len != text.size()) return NumberError::Syntax;
  return digits_value(text.substr(start), hex, overflow);
}

// A fixed-capacity unsigned big integer, little-endian 32-bit limbs.
class Big {
 public:
  static constexpr usize kLimbs = 240;  // 7680 bits: enough for the clamps below

  bool is_zero() const { return size_ == 0; }
  usize bits() const {
    if (size_ == 0) return 0;
    u32 top = limb_[size_ - 1];
    usize b = 0;
    while (top) ++b, top >>= 1;
    return (size_ - 1) * 32 + b;
  }
  void set(u64 v) {
    size_ = 0;
    while (v) limb_[size_++] = static_cast<u32>(v), v >>= 32;
  }
  void mul_add(u32 m, u32 a) {
    u64 carry = a;
    for (usize i = 0; i < size_; ++i) {
      u64 t = static_cast<u64>(limb_[i]) * m + carry;
      limb_[i] = static_cast<u32>(t);
      carry = t >> 32;
    }
    if (carry && size_ < kLimbs) limb_[size_++] = static_cast<u32>(carry);
  }
  void shl(usize s) {
    if (size_ == 0 || s == 0) return;
    usize words = s / 32, rem = s % 32;
    usize new_size = size_ + words + 1;
    if (new_size > kLimbs) new_size = kLimbs;
    for (usize i = new_size; i-- > 0;) {
      u64 hi = i >= words && i - words < size_ ? limb_[i - words] : 0;
      u64 lo = rem && i >= words + 1 && i - words - 1 < size_ ? limb_[i - words - 1] : 0;
      limb_[i] = static_cast<u32>((hi << rem) | (rem ? lo >> (32 - rem) : 0));
    }
    size_ = new_size;
    trim();
  }
  bool bit(usize i) const { return i / 32 < size_ && ((limb_[i / 32] >> (i % 32)) & 1); }
  // Returns floor(this / d) (must fit 64 bits) and leaves the remainder in *this.
  u64 divide(const Big& d, usize quotient_bits) {
    u64 q = 0;
    Big shifted;
    for (usize i = quotient_bits; i-- > 0;) {
      shifted = d;
      shifted.shl(i);
      if (compare(shifted) >= 0) {
        subtract(shifted);
        q |= u64{1} << i;
      }
    }
    return q;
  }
  int compare(const Big& o) const {
    if (size_ != o.size_) return size_ < o.size_ ? -1 : 1;
    for (usize i = size_; i-- > 0;)
      if (limb_[i] != o.limb_[i]) return limb_[i] < o.limb_[i] ? -1 : 1;
    return 0;
  }

 private:
  void subtract(const Big& o) {
    i64 borrow = 0;
    for (usize i = 0; i < size_; ++i) {
      i64 t = static_cast<i64>(limb_[i]) - (i < o.size_ ? o.limb_[i] : 0) - borrow;
      borrow = t < 0;
      limb_[i] = static_cast<u32>(t + (borrow ? (i64{1} << 32) : 0));
    }
    trim();
  }
  void trim() {
    while (size_ && limb_[size_ - 1] == 0) --size_;
  }
  u32 limb_[kLimbs];
  usize size_ = 0;
};

struct FloatFormat {
  u32 precision;  // significand bits including the implicit one
  i32 emin;       // exponent of the smallest normal
  i32 emax;
};
constexpr FloatFormat kF32{24, -126, 127};
constexpr FloatFormat kF64{53, -1022, 1023};

// Rounds N / D * 2^e2 (N > 0) to the format; returns the unsigned bit pattern.
u64 round_to_format(Big& n, const Big& d, i64 e2, FloatFormat f) {
  i64 s =
      static_cast<i64>(f.precision) + 4 - (static_cast<i64>(n.bits()) - static_cast<i64>(d.bits()));
  Big den = d;
  if (s > 0)
    n.shl(static_cast<usize>(s));
  else
    den.shl(static_cast<usize>(-s));
  u64 q = n.divide(den, f.precision + 6);
  bool sticky = !n.is_zero();
  // value ~= q * 2^(e2 - s), bitlen(q) in [precision+3, precision+5].
  i64 b = 0;
  for (u64 t = q; t; t >>= 1) ++b;
  i64 exponent = b - 1 + e2 - s;              // floor(log2(value))
  if (exponent > f.emax + 1) return ~u64{0};  // overflow: caller maps to infinity
  i64 keep = static_cast<i64>(f.precision);
  if (exponent < f.emin) keep -= f.emin - exponent;
  i64 drop = b - keep;
  u64 m;
  bool round_up;
  if (drop > 64) {
    m = 0;
    round_up = false;
  } else {
    m = drop == 64 ? 0 : q >> drop;
    u64 rem = drop == 64 ? q : q & ((u64{1} << drop) - 1);
    u64 half = u64{1} << (drop - 1);
    round_up = rem > half || (rem == half && (sticky || (m & 1)));
  }
  if (round_up) ++m;
  u32 frac_bits = f.precision - 1;
  if (exponent < f.emin) return m;  // subnormal (or rounded up to the smallest normal)
  if (m >> f.precision) {
    m >>= 1;
    ++exponent;
  }
  if (exponent > f.emax) return ~u64{0};  // overflow: caller maps to infinity
  u64 biased = static_cast<u64>(exponent + (f.emax));
  return (biased << frac_bits) | (m & ((u64{1} << frac_bits) - 1));
}

support::Result<u64, NumberError> parse_float(StringView text, FloatFormat f) {
  u32 frac_bits = f.precision - 1;
  u64 exp_mask = (f.precision == 24 ? u64{0xff} : u64{0x7ff}) << frac_bits;
  u64 sign_bit = u64{1} << (f.precision == 24 ? 31 : 63);
  u64 sign = 0;
  usize i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    if (text[i] == '-') sign = sign_bit;
    ++i;
  }
  StringView body = text.substr(i);
  if (body == "inf") return sign | exp_mask;
  if (body == "nan") return sign | exp_mask | (u64{1} << (frac_bits - 1));
  if (body.starts_with("nan:0x")) {
    bool overflow = false;
    u64 payload = TRY(parse_magnitude(body.substr(4), overflow));
    if (overflow || payload == 0 || payload >= (u64{1} << frac_bits)) return NumberError::Range;
    return sign | exp_mask | payload;
  }
  bool hex = body.size() > 2 && body[0] == '0' && body[1] == 'x';
  usize at = hex ? 2 : 0;
  usize int_len = scan_digits(body, at, hex);
  if (int_len == 0 || int_len == ~usize{0}) return NumberError::Syntax;
  StringView int_digits = body.substr(at, int_len);
  at += int_len;
  StringView frac_digits;
  if (at < body.size() && body[at] == '.') {
    ++at;
    usize frac_len = scan_digits(body, at, hex);
    if (frac_len == ~usize{0}) return NumberError::Syntax;
    frac_digits = body.substr(at, frac_len);
    at += frac_len;
  }
  i64 exponent = 0;
  if (at < body.size() &&
      (hex ? (body[at] == 'p' || body[at] == 'P') : (body[at] == 'e' || body[at] == 'E'))) {
    ++at;
    bool negative = false;
    if (at < body.size() && (body[at] == '+' || body[at] == '-')) negative = body[at++] == '-';
    usize exp_len = scan_digits(body, at, false);
    if (exp_len == 0 || exp_len == ~usize{0}) return NumberError::Syntax;
    for (char c : body.substr(at, exp_len)) {
      if (c == '_') continue;
      if (exponent < 100000000) exponent = exponent * 10 + (c - '0');
    }
    if (negative) exponent = -exponent;
    at += exp_len;
  }
  if (at != body.size()) return NumberError::Syntax;

  // Significant digits without leading zeros, at most max_digits of them: a further non-zero
  // digit only makes the value "a bit larger", which a sticky digit 1 represents exactly.
  const usize max_digits = hex ? 200 : 800;
  Big n;
  usize count = 0;
  bool sticky = false;
  bool leading = true;
  i64 scale = 0;  // value = n * base^scale (base 16 for hex)
  for (char c : int_digits) {
    if (c == '_') continue;
    int d = digit_value(c, hex);
    if (leading && d == 0) continue;
    leading = false;
    if (count < max_digits) {
      n.mul_add(hex ? 16 : 10, static_cast<u32>(d));
      ++count;
    } else {
      if (d != 0) sticky = true;
      ++scale;
    }
  }
  for (char c : frac_digits) {
    if (c == '_') continue;
    int d = digit_value(c, hex);
    if (leading && d == 0) {
      --scale;
      continue;
    }
    leading = false;
    if (count < max_digits) {
      n.mul_add(hex ? 16 : 10, static_cast<u32>(d));
      ++count;
      --scale;
    } else if (d != 0) {
      sticky = true;
    }
  }
  if (n.is_zero()) return sign;
  if (sticky) {
    n.mul_add(hex ? 16 : 10, 1);
    --scale;
  }
  Big d;
  d.set(1);
  i64 e2;
  if (hex) {
    e2 = scale * 4 + exponent;
    i64 magnitude = static_cast<i64>(n.bits()) + e2;
    if (magnitude > 2000) return NumberError::Range;
    if (magnitude < -2000) return sign;
  } else {
    i64 e10 = scale + exponent;
    i64 magnitude = static_cast<i64>(count) + e10;  // value < 10^magnitude
    if (magnitude > 400) return NumberError::Range;
    if (magnitude < -400) return sign;
    e2 = e10;
    if (e10 >= 0) {
      for (i64 k = 0; k < e10; ++k) n.mul_add(5, 0);
    } else {
      for (i64 k = 0; k < -e10; ++k) d.mul_add(5, 0);
    }
  }
  u64 bits = round_to_format(n, d, e2, f);
  if (bits == ~u64{0}) return NumberError::Range;  // rounds to infinity: out of range
  return sign | bits;
}

}  // namespace

support::Result<u64, NumberError> parse_unsigned(StringView text, u32 bits) {
  bool overflow = false;
  u64 value = TRY(parse_magnitude(text, overflow));
  if (overflow || (bits < 64 && value >> bits)) return NumberError::Range;
  return value;
}

support::Result<u64, NumberError> parse_integer(StringView text, u32 bits) {
  u64 mask = bits == 64 ? ~u64{0} : (u64{1} << bits) - 1;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    bool negative = text[0] == '-';
    bool overflow = false;
    u64 value = TRY(parse_magnitude(text.substr(1), overflow));
    u64 limit = u64{1} << (bits - 1);
    if (overflow || value > limit || (!negative && value == limit)) return NumberError::Range;
    return (negative ? (~value + 1) : value) & mask;
  }
  return parse_unsigned(text, bits);
}

support::Result<u32, NumberError> parse_f32(StringView text) {
  u64 bits = TRY(parse_float(text, kF32));
  return static_cast<u32>(bits);
}

support::Result<u64, NumberError> parse_f64(StringView text) { return parse_float(text, kF64); }

}  // namespace wat

#include "outcome.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace wasm_diff {

namespace {

// 0: not a NaN; 1: quiet (arithmetic, the canonical NaN included); 2: signalling.
int nan_class(const Val& v) {
  if (v.type == ValType::F32) {
    uint32_t b = static_cast<uint32_t>(v.bits);
    uint32_t mant = b & 0x7fffff;
    if ((b & 0x7f800000) != 0x7f800000 || mant == 0) return 0;
    return (mant & 0x400000) ? 1 : 2;
  }
  if (v.type == ValType::F64) {
    uint64_t mant = v.bits & 0xfffffffffffffull;
    if ((v.bits & 0x7ff0000000000000ull) != 0x7ff0000000000000ull || mant == 0) return 0;
    return (mant & 0x8000000000000ull) ? 1 : 2;
  }
  return 0;
}

const char* stop_name(Stop s) {
  switch (s) {
    case Stop::Done: return "done";
    case Stop::Trap: return "trap";
    case Stop::Exhausted: return "call stack exhausted";
    case Stop::OutOfFuel: return "out of fuel";
  }
  return "?";
}

std::string format(const char* fmt, auto... args) {
  char buf[512];
  snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// Whether a v128 holds a NaN in some lane, read as f32x4 or as f64x2.
bool v128_has_nan(const Val& v) {
  for (uint64_t half : {v.bits, v.hi}) {
    if (nan_class({ValType::F64, half})) return true;
    if (nan_class({ValType::F32, half & 0xffffffffu}) || nan_class({ValType::F32, half >> 32}))
      return true;
  }
  return false;
}

// With NanBits::Free, integers (and memory bytes) that are NaN bit patterns on both sides, read
// as a float of their width, are equal too; v128 values whose differing lanes are such NaNs
// under one lane shape (same_v128_lanes).
bool same(const Val& a, const Val& b, NanBits nan_bits) {
  if (same_value(a, b)) return true;
  if (nan_bits == NanBits::Exact || a.type != b.type) return false;
  if (a.type == ValType::V128) return same_v128_lanes(a, b);
  if (a.type == ValType::I32)
    return nan_class({ValType::F32, a.bits}) && nan_class({ValType::F32, b.bits});
  if (a.type == ValType::I64)
    return nan_class({ValType::F64, a.bits}) && nan_class({ValType::F64, b.bits});
  return false;
}

bool nan_at(const std::vector<uint8_t>& m, size_t at, size_t width) {
  uint64_t bits = 0;
  memcpy(&bits, m.data() + at, width);
  return nan_class({width == 4 ? ValType::F32 : ValType::F64, bits}) != 0;
}

// Whether the byte at `at` lies in a 4- or 8-byte window that holds a NaN in both memories.
bool in_nan_window(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, size_t at) {
  for (size_t width : {4, 8}) {
    for (size_t start = at >= width - 1 ? at - (width - 1) : 0; start <= at; ++start) {
      if (start + width > a.size()) break;
      if (nan_at(a, start, width) && nan_at(b, start, width)) return true;
    }
  }
  return false;
}

std::string compare_end(const CallEnd& a, const CallEnd& b, NanBits nan_bits) {
  if (a.stop != b.stop)
    return format("ours %s, wabt %s", to_string(a).c_str(), to_string(b).c_str());
  if (a.stop == Stop::Trap && a.trap != b.trap)
    return format("trap kinds differ: ours %s, wabt %s", to_string(a).c_str(),
                  to_string(b).c_str());
  if (a.stop != Stop::Done) return "";
  if (a.results.size() != b.results.size())
    return format("result counts differ: ours %s, wabt %s", to_string(a.results).c_str(),
                  to_string(b.results).c_str());
  for (size_t i = 0; i < a.results.size(); ++i) {
    if (!same(a.results[i], b.results[i], nan_bits))
      return format("results differ: ours %s, wabt %s", to_string(a.results).c_str(),
                    to_string(b.results).c_str());
  }
  return "";
}

std::string compare_vals(const char* what, const std::vector<Val>& a, const std::vector<Val>& b,
                         NanBits nan_bits) {
  if (a.size() != b.size()) return format("%s: counts differ (%zu, %zu)", what, a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i], nan_bits))
      return format("%s %zu differs: ours %s, wabt %s", what, i, to_string(a[i]).c_str(),
                    to_string(b[i]).c_str());
  }
  return "";
}

}  // namespace

bool same_value(const Val& a, const Val& b) {
  if (a.type != b.type) return false;
  if (a.type == ValType::V128) return a.bits == b.bits && a.hi == b.hi;
  if (a.bits == b.bits) return true;
  int ca = nan_class(a);
  return ca != 0 && ca == nan_class(b);
}

bool same_v128_lanes(const Val& a, const Val& b) {
  if (a.type != ValType::V128 || b.type != ValType::V128) return false;
  bool f64 = true, f32 = true;
  for (int half = 0; half < 2; ++half) {
    uint64_t x = half ? a.hi : a.bits, y = half ? b.hi : b.bits;
    if (x == y) continue;
    int c = nan_class({ValType::F64, x});
    f64 = f64 && c != 0 && c == nan_class({ValType::F64, y});
    for (int lane = 0; lane < 2; ++lane) {
      uint32_t p = static_cast<uint32_t>(x >> (32 * lane)),
               q = static_cast<uint32_t>(y >> (32 * lane));
      if (p == q) continue;
      int d = nan_class({ValType::F32, p});
      f32 = f32 && d != 0 && d == nan_class({ValType::F32, q});
    }
  }
  return f64 || f32;
}

Val without_nans(const Val& v) {
  Val out = v;
  if (v.type == ValType::F32 || v.type == ValType::F64) {
    if (nan_class(v) != 0) out.bits = 0;
    return out;
  }
  if (v.type != ValType::V128) return out;
  for (uint64_t* half : {&out.bits, &out.hi}) {
    if (nan_class({ValType::F64, *half}) != 0) {
      *half = 0;
      continue;
    }
    for (int lane = 0; lane < 2; ++lane) {
      uint32_t bits = static_cast<uint32_t>(*half >> (32 * lane));
      if (nan_class({ValType::F32, bits}) != 0) *half &= ~(uint64_t{0xffffffffu} << (32 * lane));
    }
  }
  return out;
}

std::string to_string(const Val& v) {
  switch (v.type) {
    case ValType::I32: return format("i32:%" PRIu32, static_cast<uint32_t>(v.bits));
    case ValType::I64: return format("i64:%" PRIu64, v.bits);
    case ValType::F32: {
      float f;
      uint32_t b = static_cast<uint32_t>(v.bits);
      memcpy(&f, &b, 4);
      return format("f32:%.9g(0x%08" PRIx32 ")", f, b);
    }
    case ValType::F64: {
      double d;
      memcpy(&d, &v.bits, 8);
      return format("f64:%.17g(0x%016" PRIx64 ")", d, v.bits);
    }
    case ValType::FuncRef:
      if (v.bits == 0) return "funcref:null";
      if (v.bits == kForeignFunc) return "funcref:foreign";
      return format("funcref:%" PRIu64, v.bits - 1);
    case ValType::ExternRef:
      return v.bits ? format("externref:%" PRIu64, v.bits) : std::string("externref:null");
    case ValType::V128:  // as i32x4 lanes, lane 0 first (each a float's bits too)
      return format("v128:0x%08" PRIx32 ":%08" PRIx32 ":%08" PRIx32 ":%08" PRIx32,
                    static_cast<uint32_t>(v.bits), static_cast<uint32_t>(v.bits >> 32),
                    static_cast<uint32_t>(v.hi), static_cast<uint32_t>(v.hi >> 32));
    default: return "?";
  }
}

std::string to_string(const std::vector<Val>& vs) {
  std::string s = "(";
  for (size_t i = 0; i < vs.size(); ++i) s += (i ? " " : "") + to_string(vs[i]);
  return s + ")";
}

std::string to_string(const CallEnd& e) {
  if (e.stop == Stop::Done) return "done " + to_string(e.results);
  if (e.stop == Stop::Trap)
    return format("trap %s (\"%s\")", wasm::trap_message(e.trap), e.message.c_str());
  return stop_name(e.stop);
}

int first_call_with(const Outcome& o, Stop stop) {
  for (size_t i = 0; i < o.calls.size(); ++i)
    if (o.calls[i].stop == stop) return static_cast<int>(i);
  return -1;
}

std::string compare(const Outcome& ours, const Outcome& theirs, const std::vector<Call>& calls,
                    NanBits nan_bits) {
  if ((ours.load == Load::Rejected) != (theirs.load == Load::Rejected)) {
    return format(
        "validation differs: ours %s, wabt %s",
        ours.load == Load::Rejected ? ("rejected: " + ours.message).c_str() : "accepted",
        theirs.load == Load::Rejected ? ("rejected: " + theirs.message).c_str() : "accepted");
  }
  if (ours.load == Load::Rejected) return "";
  if (ours.load != theirs.load)
    return format("loading differs: ours %s, wabt %s", ours.message.c_str(),
                  theirs.message.c_str());
  if (std::string d = compare_end(ours.start, theirs.start, nan_bits); !d.empty())
    return "instantiation: " + d;
  if (ours.calls.size() != theirs.calls.size())
    return format("call counts differ (%zu, %zu)", ours.calls.size(), theirs.calls.size());
  for (size_t i = 0; i < ours.calls.size(); ++i) {
    if (std::string d = compare_end(ours.calls[i], theirs.calls[i], nan_bits); !d.empty())
      return format("call %zu %s%s: %s", i, calls[i].name.c_str(), to_string(calls[i].args).c_str(),
                    d.c_str());
  }
  if (ours.host_call_count != theirs.host_call_count)
    return format("host call counts differ: ours %" PRIu64 ", wabt %" PRIu64, ours.host_call_count,
                  theirs.host_call_count);
  for (size_t i = 0; i < ours.host_calls.size() && i < theirs.host_calls.size(); ++i) {
    const HostCallRecord& a = ours.host_calls[i];
    const HostCallRecord& b = theirs.host_calls[i];
    bool equal = a.import == b.import && a.args.size() == b.args.size();
    for (size_t j = 0; equal && j < a.args.size(); ++j)
      equal = same(a.args[j], b.args[j], nan_bits);
    if (!equal)
      return format("host call %zu differs: ours import %u%s, wabt import %u%s", i, a.import,
                    to_string(a.args).c_str(), b.import, to_string(b.args).c_str());
  }
  if (std::string d = compare_vals("global", ours.globals, theirs.globals, nan_bits); !d.empty())
    return d;
  if (ours.tables.size() != theirs.tables.size()) return "table counts differ";
  for (size_t i = 0; i < ours.tables.size(); ++i) {
    std::string what = format("table %zu element", i);
    if (std::string d = compare_vals(what.c_str(), ours.tables[i], theirs.tables[i], nan_bits);
        !d.empty())
      return d;
  }
  if (ours.memories.size() != theirs.memories.size()) return "memory counts differ";
  for (size_t i = 0; i < ours.memories.size(); ++i) {
    const std::vector<uint8_t>& a = ours.memories[i];
    const std::vector<uint8_t>& b = theirs.memories[i];
    if (a.size() != b.size())
      return format("memory %zu sizes differ: ours %zu bytes, wabt %zu", i, a.size(), b.size());
    if (a == b) continue;
    for (size_t at = 0; at < a.size(); ++at) {
      if (a[at] == b[at] || (nan_bits == NanBits::Free && in_nan_window(a, b, at))) continue;
      return format("memory %zu differs first at 0x%zx: ours %02x, wabt %02x", i, at, a[at], b[at]);
    }
  }
  return "";
}

bool involves_nan(const Outcome& a, const Outcome& b) {
  auto any = [](const std::vector<Val>& vs) {
    for (const Val& v : vs)
      if (nan_class(v) || (v.type == ValType::V128 && v128_has_nan(v))) return true;
    return false;
  };
  for (const Outcome* o : {&a, &b}) {
    for (const CallEnd& c : o->calls)
      if (any(c.results)) return true;
    for (const HostCallRecord& h : o->host_calls)
      if (any(h.args)) return true;
    if (any(o->globals)) return true;
  }
  for (size_t i = 0; i < a.memories.size() && i < b.memories.size(); ++i) {
    const std::vector<uint8_t>& x = a.memories[i];
    const std::vector<uint8_t>& y = b.memories[i];
    for (size_t at = 0; at < x.size() && at < y.size(); ++at)
      if (x[at] != y[at] && in_nan_window(x, y, at)) return true;
  }
  return false;
}

TrapKind trap_kind_of(const std::string& m) {
  struct Known {
    const char* prefix;
    TrapKind kind;
  };
  static const Known kKnown[] = {
      {"unreachable", TrapKind::Unreachable},
      {"integer divide by zero", TrapKind::IntegerDivideByZero},
      {"integer overflow", TrapKind::IntegerOverflow},
      {"invalid conversion to integer", TrapKind::InvalidConversion},
      {"out of bounds memory access", TrapKind::MemoryOutOfBounds},
      {"out of bounds table access", TrapKind::TableOutOfBounds},
      {"undefined table index", TrapKind::UndefinedElement},
      {"undefined element", TrapKind::UndefinedElement},
      {"uninitialized table element", TrapKind::UninitializedElement},
      {"uninitialized element", TrapKind::UninitializedElement},
      {"indirect call signature mismatch", TrapKind::IndirectCallTypeMismatch},
      {"indirect call type mismatch", TrapKind::IndirectCallTypeMismatch},
      {"call stack exhausted", TrapKind::StackExhausted},
  };
  for (const Known& k : kKnown)
    if (m.compare(0, strlen(k.prefix), k.prefix) == 0) return k.kind;
  return TrapKind::HostTrap;
}

}  // namespace wasm_diff

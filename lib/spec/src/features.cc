// Detecting what a module needs that the engine (WebAssembly 2.0, tail calls, extended
// constants, SIMD, multiple memories, memory64) does not have, or that the feature set in use
// leaves out (memory64 under the 2.0 set).
//
// The binary scan reads only the sections whose encodings changed in 3.0 (types, imports,
// tables, memories, globals, tags) and skips the others by their size; inside code, the
// decoder's own stopping point says which instruction or type it did not know.
#include <spec/runner.h>

namespace spec {

namespace {

using support::Span;
using support::StringView;

constexpr const char* kSimd = "simd";
constexpr const char* kGc = "gc";
constexpr const char* kFunctionReferences = "function-references";
constexpr const char* kExceptions = "exception-handling";
constexpr const char* kLegacyExceptions = "legacy-exceptions";
constexpr const char* kMemory64 = "memory64";
constexpr const char* kCustomPageSizes = "custom-page-sizes";

class Reader {
 public:
  explicit Reader(Span<const u8> bytes) : bytes_(bytes) {}
  bool at_end() const { return pos_ >= bytes_.size(); }
  usize pos() const { return pos_; }
  void seek(usize pos) { pos_ = pos; }
  bool byte(u8& out) {
    if (pos_ >= bytes_.size()) return false;
    out = bytes_[pos_++];
    return true;
  }
  bool u32_leb(u64& out) {
    out = 0;
    for (u32 shift = 0; shift < 64; shift += 7) {
      u8 b;
      if (!byte(b)) return false;
      out |= static_cast<u64>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool s64_leb(i64& out) {
    u64 result = 0;
    u32 shift = 0;
    u8 b;
    do {
      if (shift >= 70 || !byte(b)) return false;
      result |= static_cast<u64>(b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) result |= ~u64{0} << shift;
    out = static_cast<i64>(result);
    return true;
  }
  bool skip(u64 n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

 private:
  Span<const u8> bytes_;
  usize pos_ = 0;
};

// A heap type's feature (after `ref`/`ref null`, or as an abstract reference type byte).
const char* abstract_heap_feature(u8 b) {
  switch (b) {
    case 0x70:  // func
    case 0x6f:  // extern
      return nullptr;
    case 0x69:  // exn
    case 0x74:  // noexn
      return kExceptions;
    default: return kGc;  // any, eq, i31, struct, array, none, noextern, nofunc
  }
}

// Reads a value type; sets `feature` when it is not a 2.0 type. False when unreadable.
bool value_type(Reader& r, const char*& feature) {
  u8 b;
  if (!r.byte(b)) return false;
  switch (b) {
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x7b:  // v128
    case 0x70:
    case 0x6f: return true;
    case 0x64:
    case 0x63: {
      i64 heap;
      if (!r.s64_leb(heap)) return false;
      if (heap >= 0) {
        feature = kFunctionReferences;
      } else {
        const char* f = abstract_heap_feature(static_cast<u8>(heap & 0x7f));
        feature = f != nullptr ? f : kFunctionReferences;
      }
      return true;
    }
    default:
      if (b >= 0x69 && b <= 0x74) {
        feature = abstract_heap_feature(b);
        return true;
      }
      return false;
  }
}

// `memory64`: whether the feature set has memory64 (else limits with i64 addresses need it).
bool limits(Reader& r, const char*& feature, bool memory, bool memory64) {
  u8 flags;
  u64 v;
  if (!r.byte(flags)) return false;
  if (!memory64 && (flags & 0x04)) feature = kMemory64;
  if (memory && (flags & 0x08)) feature = kCustomPageSizes;
  if (!r.u32_leb(v)) return false;
  if ((flags & 0x01) && !r.u32_leb(v)) return false;
  if (memory && (flags & 0x08) && !r.u32_leb(v)) return false;
  return true;
}

// A constant expression: 3.0 adds arithmetic (extended constants, which the engine reads) and GC
// instructions.
bool const_expr(Reader& r, const char*& feature) {
  for (;;) {
    u8 op;
    if (!r.byte(op)) return false;
    u64 idx;
    i64 imm;
    switch (op) {
      case 0x0b: return true;
      case 0x41:
      case 0x42:
        if (!r.s64_leb(imm)) return false;
        break;
      case 0x43:
        if (!r.skip(4)) return false;
        break;
      case 0x44:
        if (!r.skip(8)) return false;
        break;
      case 0xd0:
        if (!r.s64_leb(imm)) return false;
        break;
      case 0xd2:
      case 0x23:
        if (!r.u32_leb(idx)) return false;
        break;
      case 0x6a:  // i32/i64 add, sub, mul (extended constants)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e: break;
      case 0xfd: {  // v128.const (another SIMD instruction is not constant: the decoder says so)
        u64 sub;
        if (!r.u32_leb(sub) || sub != 0x0c || !r.skip(16)) return false;
        break;
      }
      case 0xfb: feature = kGc; return true;
      default: return false;
    }
  }
}

bool table_type(Reader& r, const char*& feature, bool memory64) {
  return value_type(r, feature) && limits(r, feature, false, memory64);
}

// The first 3.0 feature in the sections the scan reads, or nullptr.
const char* scan_sections(Span<const u8> bytes, bool memory64) {
  Reader r(bytes);
  if (!r.skip(8)) return nullptr;
  const char* feature = nullptr;
  while (!r.at_end() && feature == nullptr) {
    u8 id;
    u64 size;
    if (!r.byte(id) || !r.u32_leb(size)) return nullptr;
    usize end = r.pos() + size;
    if (end > bytes.size()) return nullptr;
    u64 count = 0;
    bool ok = true;
    switch (id) {
      case 1:  // types
        ok = r.u32_leb(count);
        for (u64 i = 0; ok && i < count && feature == nullptr; ++i) {
          u8 form;
          if (!r.byte(form)) return nullptr;
          if (form != 0x60) return kGc;  // rec, sub, struct, array
          for (int side = 0; side < 2 && ok; ++side) {
            u64 n;
            ok = r.u32_leb(n);
            for (u64 k = 0; ok && k < n; ++k) ok = value_type(r, feature);
          }
        }
        break;
      case 2:  // imports
        ok = r.u32_leb(count);
        for (u64 i = 0; ok && i < count && feature == nullptr; ++i) {
          u64 n;
          ok = r.u32_leb(n) && r.skip(n) && r.u32_leb(n) && r.skip(n);
          u8 kind;
          if (!ok || !r.byte(kind)) return nullptr;
          switch (kind) {
            case 0: ok = r.u32_leb(n); break;
            case 1: ok = table_type(r, feature, memory64); break;
            case 2: ok = limits(r, feature, true, memory64); break;
            case 3: ok = value_type(r, feature) && r.byte(kind); break;
            case 4: return kExceptions;
            default: return nullptr;
          }
        }
        break;
      case 4:  // tables
        ok = r.u32_leb(count);
        for (u64 i = 0; ok && i < count && feature == nullptr; ++i) {
          u8 first;
          if (!r.byte(first)) return nullptr;
          if (first == 0x40) return kFunctionReferences;  // a table with an initializer
          r.seek(r.pos() - 1);
          ok = table_type(r, feature, memory64);
        }
        break;
      case 5:  // memories
        ok = r.u32_leb(count);
        for (u64 i = 0; ok && i < count && feature == nullptr; ++i)
          ok = limits(r, feature, true, memory64);
        break;
      case 6:  // globals
        ok = r.u32_leb(count);
        for (u64 i = 0; ok && i < count && feature == nullptr; ++i) {
          u8 mut;
          ok = value_type(r, feature) && r.byte(mut) &&
               (feature != nullptr || const_expr(r, feature));
        }
        break;
      case 13: return kExceptions;  // tags
      default: break;
    }
    if (!ok) return feature;
    r.seek(end);
  }
  return feature;
}

const char* opcode_feature(u8 op) {
  switch (op) {
    case 0x14:
    case 0x15:
    case 0xd4:
    case 0xd5:
    case 0xd6: return kFunctionReferences;
    case 0xd3:
    case 0xfb: return kGc;
    case 0x06:
    case 0x07:
    case 0x09:
    case 0x18:
    case 0x19: return kLegacyExceptions;
    case 0x08:
    case 0x0a:
    case 0x1f: return kExceptions;
    case 0xfd: return kSimd;
    default: return nullptr;
  }
}

bool contains(const char* text, StringView needle) { return StringView(text).contains(needle); }

bool is_word_char(char c) {
  return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '(' && c != ')' && c != '"' &&
         c != ';';
}

}  // namespace

const char* unsupported_feature(Span<const u8> module, const wasm::CompileError* error,
                                const wasm::Features& features) {
  if (const char* f = scan_sections(module, features.memory64)) return f;
  if (error == nullptr) return nullptr;
  if (error->kind == wasm::ErrorKind::Unsupported) return kSimd;
  if (error->offset >= module.size()) return nullptr;
  u8 b = module[error->offset];
  // The decoder reports an unknown opcode after reading it, a bad constant at the instruction.
  if (contains(error->message, "illegal opcode") && error->offset > 0) {
    if (const char* f = opcode_feature(module[error->offset - 1])) return f;
    return opcode_feature(b);
  }
  if (contains(error->message, "constant expression")) {
    // The decoder stops at the second instruction of the expression: look at the rest of it.
    const char* f = nullptr;
    Reader r(module.subspan(error->offset));
    if (const_expr(r, f) && f != nullptr) return f;
    return opcode_feature(b);
  }
  if (contains(error->message, "unknown global")) return kGc;  // 3.0: any earlier global
  if (contains(error->message, "type")) {
    const char* f = nullptr;
    Reader r(module.subspan(error->offset));
    if (value_type(r, f)) return f;
    return nullptr;
  }
  return opcode_feature(b);
}

const char* unsupported_text_feature(StringView source, const wat::ParseError& error,
                                     const wasm::Features& features) {
  // The byte offset of line:column.
  usize pos = 0;
  for (u32 line = 1; line < error.location.line && pos < source.size(); ++pos)
    if (source[pos] == '\n') ++line;
  pos += error.location.column - 1;
  if (pos >= source.size()) return nullptr;
  const usize at = pos;
  while (pos < source.size() && (source[pos] == '(' || !is_word_char(source[pos]))) ++pos;
  usize end = pos;
  while (end < source.size() && is_word_char(source[end])) ++end;
  StringView word = source.substr(pos, end - pos);
  // The first word of the form around the error: `(table ...`, `(memory ...`.
  StringView head;
  {
    usize open = at;
    u32 depth = 0;
    while (open > 0) {
      --open;
      if (source[open] == ')') ++depth;
      if (source[open] == '(') {
        if (depth == 0) break;
        --depth;
      }
    }
    usize h = open + 1;
    usize h_end = h;
    while (h_end < source.size() && is_word_char(source[h_end])) ++h_end;
    head = source.substr(h, h_end - h);
  }
  const bool limits_form = head == "memory" || head == "table";
  // 3.0 reads limits, offsets and alignments as 64-bit numbers (memory64); the 2.0 text format,
  // read without memory64, as 32-bit ones. With memory64 such a number did not fit 64 bits:
  // malformed in 3.0 too.
  const bool number = !word.empty() && word[0] >= '0' && word[0] <= '9';
  if (!features.memory64 && error.code == wat::ErrorCode::BadInteger &&
      ((limits_form && number) || word.starts_with("offset=") || word.starts_with("align=")))
    return kMemory64;
  // A table of typed references (`(table $t (ref null $t) ...)`) where limits were expected.
  if (head == "table" && word == "ref") return kFunctionReferences;
  // A table with an initializer expression came with typed function references.
  if (head == "table" && error.code == wat::ErrorCode::UnexpectedToken) return kFunctionReferences;
  static constexpr const char* kGcWords[] = {
      "struct",   "array",          "i31",           "ref.cast", "ref.test",  "br_on_cast",
      "any.",     "extern.convert", "ref.eq",        "ref.i31",  "rec",       "sub",
      "field",    "final",          "anyref",        "eqref",    "structref", "arrayref",
      "nullref",  "nullfuncref",    "nullexternref", "any",      "eq",        "none",
      "noextern", "nofunc",         "mut",           "i31ref"};
  static constexpr const char* kFuncRefWords[] = {
      "ref", "call_ref", "return_call_ref", "ref.as_non_null", "br_on_null", "br_on_non_null"};
  static constexpr const char* kLegacyWords[] = {"try", "catch", "catch_all", "delegate",
                                                 "rethrow"};
  static constexpr const char* kExnWords[] = {"exn", "noexn", "exnref",    "nullexnref",
                                              "tag", "throw", "throw_ref", "try_table"};
  for (const char* w : kFuncRefWords)
    if (word == StringView(w)) return kFunctionReferences;
  for (const char* w : kLegacyWords)
    if (word == StringView(w)) return kLegacyExceptions;
  for (const char* w : kExnWords)
    if (word == StringView(w)) return kExceptions;
  for (const char* w : kGcWords) {
    StringView g(w);
    if (word == g || (word.starts_with(g) && (word.size() > g.size() && word[g.size()] == '.')) ||
        (g.size() > 3 && g[g.size() - 1] == '.' && word.starts_with(g)))
      return kGc;
  }
  return nullptr;
}

}  // namespace spec

// The module encoder. Two passes over the fields: the first binds the names of every index space
// (and reads explicit type definitions, whose indices come first), the second encodes each field
// into its section in textual order, so implicit types from type uses are appended in the order
// they appear (the order WABT uses too). Instruction sequences are read by one loop with an
// explicit frame stack for folded and structured instructions.
#include <wat/module.h>
#include <wat/numbers.h>

#include "literals.h"
#include "name_map.h"
#include "opcodes.h"
#include "tokens.h"

namespace wat {
namespace {

using support::Vector;
using Bytes = Vector<u8>;

enum Space : u8 { kFunc, kTable, kMemory, kGlobal, kElem, kData, kType, kTag, kSpaceCount };

constexpr u8 kFuncRef = 0x70;
constexpr u8 kExternRef = 0x6f;

bool put(Bytes& out, u8 byte) { return out.try_push(byte).is_ok(); }
bool put_bytes(Bytes& out, const u8* data, usize size) {
  // try_reserve is exact: grow geometrically here so that appends stay linear overall.
  usize need = out.size() + size;
  if (need > out.capacity() &&
      out.try_reserve(need > 2 * out.capacity() ? need : 2 * out.capacity()).is_error())
    return false;
  for (usize i = 0; i < size; ++i) MUST(out.try_push(data[i]));
  return true;
}
bool put_u32(Bytes& out, u64 value) {
  do {
    u8 byte = value & 0x7f;
    value >>= 7;
    if (value) byte |= 0x80;
    if (!put(out, byte)) return false;
  } while (value);
  return true;
}
bool put_s64(Bytes& out, i64 value) {
  for (;;) {
    u8 byte = value & 0x7f;
    value >>= 7;
    bool done = (value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    if (!put(out, byte)) return false;
    if (done) return true;
  }
}
// The bits of an f32 (size 4) or f64 (size 8) literal; false if `text` is not one.
bool float_bits(StringView text, u32 size, u64& bits) {
  if (size == 4) {
    auto v = parse_f32(text);
    if (v.is_error()) return false;
    bits = v.value();
    return true;
  }
  auto v = parse_f64(text);
  if (v.is_error()) return false;
  bits = v.value();
  return true;
}

bool put_vec_bytes(Bytes& out, const Bytes& bytes) {
  return put_u32(out, bytes.size()) && put_bytes(out, bytes.data(), bytes.size());
}

struct TypeEntry {
  u32 offset;  // into the type pool: params then results
  u32 params;
  u32 results;
};

struct Section {
  Bytes body;
  u32 count = 0;
};

enum class ElemMode : u8 { Active, Passive, Declarative };

enum class FrameKind : u8 { Plain, Block, If, Then, Else, Flat };

struct Frame {
  FrameKind kind;
  u8 if_state;       // If: 0 condition, 1 in then, 2 after then, 3 in else, 4 after else
  bool flat_if;      // Flat: opened by `if`
  bool else_seen;    // Flat if: `else` passed
  u32 pending;       // Plain/If: start of the instruction's bytes in pending_
  StringView label;  // Block/If/Flat
};

class Encoder {
 public:
  Encoder(Lexer& lexer, const Features& features) : lx_(lexer), features_(features) {}

  ParseResult<Bytes> encode();

 private:
  // ---- tokens ----
  ParseError error(ErrorCode code, Location at) { return ParseError{code, at}; }
  ParseError oom() { return ParseError{ErrorCode::NoMemory, lx_.location()}; }
  // The outcome of writing to a byte vector: out of memory when `ok` is false.
  ParseResult<void> written(bool ok) {
    if (!ok) return oom();
    return {};
  }
  ParseResult<Token> peek(u32 k = 0) { return lx_.peek(k); }
  ParseResult<Token> next() { return lx_.next(); }
  ParseResult<void> expect(TokenKind kind) { return wat::expect(lx_, kind); }
  ParseResult<void> expect_keyword(StringView word) { return wat::expect_keyword(lx_, word); }
  // Whether the next tokens are `(` `word`.
  ParseResult<bool> peek_clause(StringView word) { return wat::peek_clause(lx_, word); }
  ParseResult<StringView> optional_id() {
    Token t = TRY(peek());
    if (!t.is(TokenKind::Id)) return StringView();
    TRY(next());
    return t.text;
  }
  static bool is_index_token(const Token& t) {
    return t.is(TokenKind::Id) ||
           (t.is(TokenKind::Reserved) && !t.text.empty() && t.text[0] >= '0' && t.text[0] <= '9');
  }
  // Consumes up to and including the `)` closing this level.
  ParseResult<void> skip_to_close() { return wat::skip_to_close(lx_); }
  ParseResult<u64> number_u32(const Token& t) { return number(t, 32); }
  ParseResult<u64> number(const Token& t, u32 bits) {
    auto v = parse_unsigned(t.text, bits);
    if (v.is_error() || !(t.is(TokenKind::Reserved)))
      return error(ErrorCode::BadInteger, t.location);
    return v.value();
  }
  ParseResult<u32> index(Space space);
  ParseResult<u32> local_index();
  ParseResult<u32> label_index();
  ParseResult<void> string_bytes(Bytes& out);
  ParseResult<void> name(Bytes& out);

  // ---- types ----
  ParseResult<u8> valtype();
  ParseResult<u8> reftype();
  ParseResult<u8> heaptype();
  ParseResult<u32> find_or_add_type(const Bytes& params, const Bytes& results);
  ParseResult<bool> signature(bool allow_names, bool bind_params);
  ParseResult<u32> add_type(const Bytes& params, const Bytes& results);
  ParseResult<u32> type_use(bool allow_names, bool bind_params);
  ParseResult<void> block_type(Bytes& out);
  ParseResult<void> limits(Bytes& out);
  ParseResult<void> table_type(Bytes& out);
  ParseResult<void> global_type(Bytes& out);

  // ---- fields ----
  ParseResult<void> scan_fields();
  ParseResult<void> bind(Space space, StringView id, Location at);
  ParseResult<void> encode_fields();
  ParseResult<void> inline_exports(u8 kind, u32 index);
  ParseResult<bool> inline_import(u8 kind);
  ParseResult<void> type_field();
  ParseResult<void> import_field();
  ParseResult<void> func_field();
  ParseResult<void> table_field();
  ParseResult<void> memory_field();
  ParseResult<void> global_field();
  ParseResult<void> tag_field();
  ParseResult<void> catch_clauses(Bytes& out);
  ParseResult<void> export_field();
  ParseResult<void> start_field();
  ParseResult<void> elem_field();
  ParseResult<void> data_field();
  ParseResult<void> elem_list(Bytes& indices, Bytes& exprs, u32& count, bool& all_funcs,
                              bool by_index);
  ParseResult<void> write_elem(ElemMode mode, u32 table, u8 type, u32 count, bool all_funcs,
                               const Bytes& indices, const Bytes& exprs, const Bytes* offset);
  ParseResult<u32> resolve(const Token& t, Space space);
  ParseResult<void> v128_literal(u8 (&bytes)[16], void* unused);
  ParseResult<void> expression_clause(Bytes& out);  // `(offset e*)`, `(item e*)` or `(instr)`
  ParseResult<Bytes> assemble();

  // ---- instructions ----
  ParseResult<void> instructions(Bytes& out, bool one_folded);
  ParseResult<void> immediates(const Opcode& op, Bytes& out, Location at);
  ParseResult<void> branch_immediates(const Opcode& op, Bytes& out);
  ParseResult<void> call_immediates(const Opcode& op, Bytes& out);
  ParseResult<void> variable_immediates(const Opcode& op, Bytes& out);
  ParseResult<void> table_immediates(const Opcode& op, Bytes& out);
  ParseResult<void> memory_immediates(const Opcode& op, Bytes& out);
  ParseResult<void> constant_immediates(const Opcode& op, Bytes& out);
  ParseResult<u8> lane();
  ParseResult<u32> optional_index(Space space);
  ParseResult<void> segment_and_index(Space segment_space, Space index_space, Bytes& out);
  ParseResult<void> index_pair(Space space, Bytes& out);
  ParseResult<void> memarg(const Opcode& op, Bytes& out);
  ParseResult<void> push_label(StringView label);
  ParseResult<void> check_end_label(const Frame& frame);

  Lexer& lx_;

  NameMap names_[kSpaceCount];
  u32 counts_[kSpaceCount] = {};
  u32 next_[kSpaceCount] = {};  // pass 2: the index the next field of a space gets
  bool defined_ = false;        // pass 1: a func/table/memory/global definition was seen

  Vector<TypeEntry> types_;
  Bytes type_pool_;

  Section imports_, funcs_, tables_, memories_, tags_, globals_, exports_, elems_, code_, datas_;
  bool has_start_ = false;
  u32 start_ = 0;
  bool uses_data_count_ = false;
  Vector<bool> memory_is64_;  // pass 1: per memory, whether it is a 64-bit (3.0) memory
  Features features_;

  // Function context.
  NameMap locals_;
  u32 local_count_ = 0;
  bool in_function_ = false;
  Vector<StringView> labels_;
  Vector<Frame> frames_;
  Bytes pending_;
  Bytes params_, results_;  // scratch for type uses
};

ParseResult<u32> Encoder::index(Space space) {
  Token t = TRY(next());
  if (t.is(TokenKind::Id)) {
    u32 value;
    if (!names_[space].find(t.text, value)) return error(ErrorCode::UnknownName, t.location);
    return value;
  }
  if (!t.is(TokenKind::Reserved)) return unexpected(t);
  return static_cast<u32>(TRY(number_u32(t)));
}

ParseResult<u32> Encoder::local_index() {
  Token t = TRY(next());
  if (t.is(TokenKind::Id)) {
    u32 value;
    if (!in_function_ || !locals_.find(t.text, value))
      return error(ErrorCode::UnknownName, t.location);
    return value;
  }
  if (!t.is(TokenKind::Reserved)) return unexpected(t);
  return static_cast<u32>(TRY(number_u32(t)));
}

ParseResult<u32> Encoder::label_index() {
  Token t = TRY(next());
  if (t.is(TokenKind::Id)) {
    for (usize i = labels_.size(); i-- > 0;)
      if (labels_[i] == t.text) return static_cast<u32>(labels_.size() - 1 - i);
    return error(ErrorCode::UnknownName, t.location);
  }
  if (!t.is(TokenKind::Reserved)) return unexpected(t);
  return static_cast<u32>(TRY(number_u32(t)));
}

ParseResult<void> Encoder::string_bytes(Bytes& out) {
  Token t = TRY(next());
  if (!t.is(TokenKind::String)) return unexpected(t);
  return decode_string(t.text, out, t.location);
}

ParseResult<void> Encoder::name(Bytes& out) {
  Location at = lx_.location();
  Bytes bytes;
  TRY(string_bytes(bytes));
  if (!is_valid_utf8(bytes.data(), bytes.size())) return error(ErrorCode::BadUtf8, at);
  if (!put_vec_bytes(out, bytes)) return oom();
  return {};
}

ParseResult<u8> Encoder::valtype() {
  Token t = TRY(next());
  if (t.kind == TokenKind::Keyword) {
    if (t.text == "i32") return u8{0x7f};
    if (t.text == "i64") return u8{0x7e};
    if (t.text == "f32") return u8{0x7d};
    if (t.text == "f64") return u8{0x7c};
    if (t.text == "v128") return u8{0x7b};
    if (t.text == "funcref") return kFuncRef;
    if (t.text == "externref") return kExternRef;
    if (t.text == "exnref") return u8{0x69};  // 3.0: exception handling
  }
  if (t.is(TokenKind::LParen)) return error(ErrorCode::Unsupported, t.location);
  return error(ErrorCode::UnknownType, t.location);
}

ParseResult<u8> Encoder::reftype() {
  Token t = TRY(next());
  if (t.is_keyword("funcref")) return kFuncRef;
  if (t.is_keyword("externref")) return kExternRef;
  return error(ErrorCode::UnknownType, t.location);
}

ParseResult<u8> Encoder::heaptype() {
  Token t = TRY(next());
  if (t.is_keyword("func")) return kFuncRef;
  if (t.is_keyword("extern")) return kExternRef;
  return error(ErrorCode::UnknownType, t.location);
}

ParseResult<u32> Encoder::find_or_add_type(const Bytes& params, const Bytes& results) {
  for (usize i = 0; i < types_.size(); ++i) {
    const TypeEntry& e = types_[i];
    if (e.params != params.size() || e.results != results.size()) continue;
    bool same = true;
    for (u32 j = 0; same && j < e.params; ++j) same = type_pool_[e.offset + j] == params[j];
    for (u32 j = 0; same && j < e.results; ++j)
      same = type_pool_[e.offset + e.params + j] == results[j];
    if (same) return static_cast<u32>(i);
  }
  return add_type(params, results);
}

// `(param ...)* (result ...)*` into params_/results_. With bind_params, named parameters are
// bound in locals_. Returns whether any clause was present.
ParseResult<bool> Encoder::signature(bool allow_names, bool bind_params) {
  params_.clear();
  results_.clear();
  bool any = false;
  while (TRY(peek_clause("param"))) {
    any = true;
    TRY(next());
    TRY(next());
    Token t = TRY(peek());
    if (t.is(TokenKind::Id)) {
      if (!allow_names) return unexpected(t);
      TRY(next());
      if (bind_params) {
        auto r = locals_.insert(t.text, static_cast<u32>(params_.size()));
        if (r == NameMap::Insert::Duplicate) return error(ErrorCode::DuplicateName, t.location);
        if (r == NameMap::Insert::NoMemory) return oom();
      }
      u8 type = TRY(valtype());
      if (!put(params_, type)) return oom();
      TRY(expect(TokenKind::RParen));
      continue;
    }
    for (;;) {
      Token u = TRY(peek());
      if (u.is(TokenKind::RParen)) break;
      u8 type = TRY(valtype());
      if (!put(params_, type)) return oom();
    }
    TRY(next());
  }
  while (TRY(peek_clause("result"))) {
    any = true;
    TRY(next());
    TRY(next());
    for (;;) {
      Token u = TRY(peek());
      if (u.is(TokenKind::RParen)) break;
      u8 type = TRY(valtype());
      if (!put(results_, type)) return oom();
    }
    TRY(next());
  }
  return any;
}

ParseResult<u32> Encoder::add_type(const Bytes& params, const Bytes& results) {
  TypeEntry e{static_cast<u32>(type_pool_.size()), static_cast<u32>(params.size()),
              static_cast<u32>(results.size())};
  if (!put_bytes(type_pool_, params.data(), params.size()) ||
      !put_bytes(type_pool_, results.data(), results.size()) || types_.try_push(e).is_error())
    return oom();
  return static_cast<u32>(types_.size() - 1);
}

// `(type x)? (param ...)* (result ...)*`: the index of the named type (which the inline clauses
// must match) or of the first type equal to the inline signature, appended when there is none.
// With bind_params the parameters become the first locals.
ParseResult<u32> Encoder::type_use(bool allow_names, bool bind_params) {
  bool has_index = false;
  u32 type_index = 0;
  Location at = lx_.location();
  if (TRY(peek_clause("type"))) {
    TRY(next());
    TRY(next());
    type_index = TRY(index(kType));
    TRY(expect(TokenKind::RParen));
    has_index = true;
  }
  bool inline_types = TRY(signature(allow_names, bind_params));
  if (has_index) {
    if (type_index < types_.size()) {
      const TypeEntry& e = types_[type_index];
      if (inline_types) {
        bool same = e.params == params_.size() && e.results == results_.size();
        for (u32 j = 0; same && j < e.params; ++j) same = type_pool_[e.offset + j] == params_[j];
        for (u32 j = 0; same && j < e.results; ++j)
          same = type_pool_[e.offset + e.params + j] == results_[j];
        if (!same) return error(ErrorCode::TypeMismatch, at);
      }
      if (bind_params) local_count_ = e.params;
    } else if (inline_types) {
      // The inline signature cannot be checked against a type that does not exist.
      return error(ErrorCode::UnknownType, at);
    } else if (bind_params) {
      local_count_ = 0;
    }
    return type_index;
  }
  if (bind_params) local_count_ = static_cast<u32>(params_.size());
  return find_or_add_type(params_, results_);
}

ParseResult<void> Encoder::block_type(Bytes& out) {
  Token t = TRY(peek());
  Token k = TRY(peek(1));
  bool clause = t.is(TokenKind::LParen) &&
                (k.is_keyword("type") || k.is_keyword("param") || k.is_keyword("result"));
  if (!clause) {
    if (!put(out, 0x40)) return oom();
    return {};
  }
  u32 type_index;
  if (k.is_keyword("type")) {
    type_index = TRY(type_use(false, false));
    // Like WABT: a named type without parameters and with at most one result takes the short
    // form, which means the same.
    if (type_index < types_.size() && types_[type_index].params == 0 &&
        types_[type_index].results <= 1) {
      const TypeEntry& e = types_[type_index];
      if (!put(out, e.results ? type_pool_[e.offset] : 0x40)) return oom();
      return {};
    }
  } else {
    TRY(signature(false, false));
    if (params_.empty() && results_.size() <= 1) {
      if (!put(out, results_.empty() ? 0x40 : results_[0])) return oom();
      return {};
    }
    type_index = TRY(find_or_add_type(params_, results_));
  }
  if (!put_s64(out, type_index)) return oom();
  return {};
}

// `(i32|i64)? min max?`; i64 (3.0's memory64 and table64) sets flag 4. The sizes are u64 numbers
// (3.0: validation decides whether they fit the address type), with features_.memory64 off u32
// numbers for i32 memories and tables (2.0).
ParseResult<void> Encoder::limits(Bytes& out) {
  bool is64 = false;
  Token k = TRY(peek());
  if (k.is_keyword("i64") || k.is_keyword("i32")) {
    TRY(next());
    is64 = k.is_keyword("i64");
  }
  u32 bits = is64 || features_.memory64 ? 64 : 32;
  Token t = TRY(next());
  u64 min = TRY(number(t, bits));
  Token u = TRY(peek());
  u8 flags = is64 ? 4 : 0;
  if (u.is(TokenKind::Reserved)) {
    TRY(next());
    u64 max = TRY(number(u, bits));
    if (!put(out, flags | 1) || !put_u32(out, min) || !put_u32(out, max)) return oom();
  } else {
    if (!put(out, flags) || !put_u32(out, min)) return oom();
  }
  return {};
}

ParseResult<void> Encoder::table_type(Bytes& out) {
  Bytes lim;
  TRY(limits(lim));
  u8 type = TRY(reftype());
  if (!put(out, type) || !put_bytes(out, lim.data(), lim.size())) return oom();
  return {};
}

ParseResult<void> Encoder::global_type(Bytes& out) {
  if (TRY(peek_clause("mut"))) {
    TRY(next());
    TRY(next());
    u8 type = TRY(valtype());
    TRY(expect(TokenKind::RParen));
    if (!put(out, type) || !put(out, 1)) return oom();
    return {};
  }
  u8 type = TRY(valtype());
  if (!put(out, type) || !put(out, 0)) return oom();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Pass 1: names and explicit types.

ParseResult<void> Encoder::bind(Space space, StringView id, Location at) {
  u32 value = counts_[space]++;
  if (id.empty()) return {};
  auto r = names_[space].insert(id, value);
  if (r == NameMap::Insert::Duplicate) return error(ErrorCode::DuplicateName, at);
  if (r == NameMap::Insert::NoMemory) return oom();
  return {};
}

static bool space_of(StringView kw, Space& space) {
  if (kw == "func")
    space = kFunc;
  else if (kw == "table")
    space = kTable;
  else if (kw == "memory")
    space = kMemory;
  else if (kw == "global")
    space = kGlobal;
  else if (kw == "tag")
    space = kTag;  // 3.0: exception handling
  else
    return false;
  return true;
}

ParseResult<void> Encoder::scan_fields() {
  for (;;) {
    Token t = TRY(peek());
    if (t.is(TokenKind::RParen) || t.is(TokenKind::Eof)) return {};
    TRY(expect(TokenKind::LParen));
    Token kw = TRY(next());
    if (!kw.is(TokenKind::Keyword)) return unexpected(kw);
    Location at = lx_.location();
    Space space;
    if (kw.text == "type") {
      StringView id = TRY(optional_id());
      TRY(expect(TokenKind::LParen));
      TRY(expect_keyword("func"));
      TRY(signature(true, false));
      TRY(expect(TokenKind::RParen));
      TRY(expect(TokenKind::RParen));
      TRY(add_type(params_, results_));
      TRY(bind(kType, id, at));
      continue;
    }
    if (kw.text == "import") {
      if (defined_) return error(ErrorCode::ImportAfterDefinition, kw.location);
      Token m = TRY(next());
      Token n = TRY(next());
      if (!m.is(TokenKind::String)) return unexpected(m);
      if (!n.is(TokenKind::String)) return unexpected(n);
      TRY(expect(TokenKind::LParen));
      Token k = TRY(next());
      if (!space_of(k.text, space) || !k.is(TokenKind::Keyword)) return unexpected(k);
      Location id_at = lx_.location();
      StringView id = TRY(optional_id());
      if (space == kMemory) {
        Token u = TRY(peek());
        if (memory_is64_.try_push(u.is_keyword("i64")).is_error()) return oom();
      }
      TRY(bind(space, id, id_at));
      TRY(skip_to_close());
    } else if (space_of(kw.text, space)) {
      StringView id = TRY(optional_id());
      while (TRY(peek_clause("export"))) {
        TRY(next());
        TRY(skip_to_close());
      }
      if (TRY(peek_clause("import"))) {
        if (defined_) return error(ErrorCode::ImportAfterDefinition, kw.location);
        if (space == kMemory) {
          TRY(next());
          TRY(skip_to_close());
          Token u = TRY(peek());
          if (memory_is64_.try_push(u.is_keyword("i64")).is_error()) return oom();
        }
      } else {
        defined_ = true;
        if (space == kMemory) {
          Token u = TRY(peek());
          if (memory_is64_.try_push(u.is_keyword("i64")).is_error()) return oom();
        }
        Token u = TRY(peek());
        if (space == kTable && (u.is_keyword("funcref") || u.is_keyword("externref"))) {
          TRY(next());
          if (TRY(peek_clause("elem"))) ++counts_[kElem];
        } else if (space == kMemory) {
          Token v = TRY(peek(1));
          if ((u.is_keyword("i64") || u.is_keyword("i32")) && v.is(TokenKind::LParen)) TRY(next());
          if (TRY(peek_clause("data"))) ++counts_[kData];
        }
      }
      TRY(bind(space, id, at));
    } else if (kw.text == "elem") {
      StringView id = TRY(optional_id());
      TRY(bind(kElem, id, at));
    } else if (kw.text == "data") {
      StringView id = TRY(optional_id());
      TRY(bind(kData, id, at));
    } else if (kw.text != "export" && kw.text != "start") {
      return error(ErrorCode::UnknownField, kw.location);
    }
    TRY(skip_to_close());
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: fields into sections.

ParseResult<void> Encoder::encode_fields() {
  for (;;) {
    Token t = TRY(peek());
    if (t.is(TokenKind::RParen) || t.is(TokenKind::Eof)) return {};
    TRY(next());
    Token kw = TRY(next());
    if (kw.text == "type")
      TRY(skip_to_close());
    else if (kw.text == "import")
      TRY(import_field());
    else if (kw.text == "func")
      TRY(func_field());
    else if (kw.text == "table")
      TRY(table_field());
    else if (kw.text == "memory")
      TRY(memory_field());
    else if (kw.text == "global")
      TRY(global_field());
    else if (kw.text == "tag")
      TRY(tag_field());
    else if (kw.text == "export")
      TRY(export_field());
    else if (kw.text == "start")
      TRY(start_field());
    else if (kw.text == "elem")
      TRY(elem_field());
    else if (kw.text == "data")
      TRY(data_field());
    else
      return error(ErrorCode::UnknownField, kw.location);
  }
}

ParseResult<void> Encoder::inline_exports(u8 kind, u32 index) {
  while (TRY(peek_clause("export"))) {
    TRY(next());
    TRY(next());
    TRY(name(exports_.body));
    if (!put(exports_.body, kind) || !put_u32(exports_.body, index)) return oom();
    ++exports_.count;
    TRY(expect(TokenKind::RParen));
  }
  return {};
}

ParseResult<bool> Encoder::inline_import(u8 kind) {
  if (!TRY(peek_clause("import"))) return false;
  TRY(next());
  TRY(next());
  TRY(name(imports_.body));
  TRY(name(imports_.body));
  TRY(expect(TokenKind::RParen));
  if (!put(imports_.body, kind)) return oom();
  ++imports_.count;
  return true;
}

ParseResult<void> Encoder::import_field() {
  TRY(name(imports_.body));
  TRY(name(imports_.body));
  TRY(expect(TokenKind::LParen));
  Token k = TRY(next());
  TRY(optional_id());
  Bytes& out = imports_.body;
  ++imports_.count;
  if (k.text == "func") {
    ++next_[kFunc];
    u32 type = TRY(type_use(true, false));
    if (!put(out, 0) || !put_u32(out, type)) return oom();
  } else if (k.text == "table") {
    ++next_[kTable];
    if (!put(out, 1)) return oom();
    TRY(table_type(out));
  } else if (k.text == "memory") {
    ++next_[kMemory];
    if (!put(out, 2)) return oom();
    TRY(limits(out));
  } else if (k.text == "tag") {
    ++next_[kTag];
    u32 type = TRY(type_use(true, false));
    if (!put(out, 4) || !put(out, 0) || !put_u32(out, type)) return oom();
  } else {
    ++next_[kGlobal];
    if (!put(out, 3)) return oom();
    TRY(global_type(out));
  }
  TRY(expect(TokenKind::RParen));
  TRY(expect(TokenKind::RParen));
  return {};
}

ParseResult<void> Encoder::func_field() {
  TRY(optional_id());
  u32 self = next_[kFunc]++;
  TRY(inline_exports(0, self));
  if (TRY(inline_import(0))) {
    u32 type = TRY(type_use(true, false));
    if (!put_u32(imports_.body, type)) return oom();
    TRY(expect(TokenKind::RParen));
    return {};
  }
  locals_.clear();
  local_count_ = 0;
  u32 type = TRY(type_use(true, true));
  if (!put_u32(funcs_.body, type)) return oom();
  ++funcs_.count;
  in_function_ = true;
  Bytes local_types;
  while (TRY(peek_clause("local"))) {
    TRY(next());
    TRY(next());
    Token t = TRY(peek());
    if (t.is(TokenKind::Id)) {
      TRY(next());
      auto r = locals_.insert(t.text, local_count_);
      if (r == NameMap::Insert::Duplicate) return error(ErrorCode::DuplicateName, t.location);
      if (r == NameMap::Insert::NoMemory) return oom();
      u8 vt = TRY(valtype());
      if (!put(local_types, vt)) return oom();
      ++local_count_;
      TRY(expect(TokenKind::RParen));
      continue;
    }
    for (;;) {
      Token u = TRY(peek());
      if (u.is(TokenKind::RParen)) break;
      u8 vt = TRY(valtype());
      if (!put(local_types, vt)) return oom();
      ++local_count_;
    }
    TRY(next());
  }
  Bytes body;
  u32 runs = 0;
  for (usize i = 0; i < local_types.size(); ++runs) {
    usize j = i;
    while (j < local_types.size() && local_types[j] == local_types[i]) ++j;
    i = j;
  }
  if (!put_u32(body, runs)) return oom();
  for (usize i = 0; i < local_types.size();) {
    usize j = i;
    while (j < local_types.size() && local_types[j] == local_types[i]) ++j;
    if (!put_u32(body, j - i) || !put(body, local_types[i])) return oom();
    i = j;
  }
  TRY(instructions(body, false));
  TRY(expect(TokenKind::RParen));
  if (!put(body, 0x0b)) return oom();
  in_function_ = false;
  if (!put_vec_bytes(code_.body, body)) return oom();
  ++code_.count;
  return {};
}

ParseResult<void> Encoder::table_field() {
  TRY(optional_id());
  u32 self = next_[kTable]++;
  TRY(inline_exports(1, self));
  if (TRY(inline_import(1))) {
    TRY(table_type(imports_.body));
    TRY(expect(TokenKind::RParen));
    return {};
  }
  Token t = TRY(peek());
  // `i64? reftype (elem ...)`: a table of exactly its elements; i64 (table64) makes its limits
  // and the segment's offset 64-bit.
  bool is64 = false;
  if (t.is_keyword("i64")) {
    Token u = TRY(peek(1));
    if (u.is_keyword("funcref") || u.is_keyword("externref")) {
      TRY(next());
      is64 = true;
      t = u;
    }
  }
  if (t.is_keyword("funcref") || t.is_keyword("externref")) {
    u8 type = TRY(reftype());
    TRY(expect(TokenKind::LParen));
    TRY(expect_keyword("elem"));
    ++next_[kElem];
    Token u = TRY(peek());
    Bytes indices, exprs;
    u32 count = 0;
    bool all_funcs = true;
    TRY(elem_list(indices, exprs, count, all_funcs, is_index_token(u)));
    TRY(expect(TokenKind::RParen));
    TRY(expect(TokenKind::RParen));
    Bytes& tb = tables_.body;
    if (!put(tb, type) || !put(tb, is64 ? 5 : 1) || !put_u32(tb, count) || !put_u32(tb, count))
      return oom();
    ++tables_.count;
    Bytes zero64;  // i64.const 0
    if (is64 && (!put(zero64, 0x42) || !put(zero64, 0x00) || !put(zero64, 0x0b))) return oom();
    TRY(write_elem(ElemMode::Active, self, type, count, all_funcs, indices, exprs,
                   is64 ? &zero64 : nullptr));
    return {};
  }
  TRY(table_type(tables_.body));
  ++tables_.count;
  TRY(expect(TokenKind::RParen));
  return {};
}

ParseResult<void> Encoder::memory_field() {
  TRY(optional_id());
  u32 self = next_[kMemory]++;
  TRY(inline_exports(2, self));
  if (TRY(inline_import(2))) {
    TRY(limits(imports_.body));
    TRY(expect(TokenKind::RParen));
    return {};
  }
  bool is64 = false;
  Token k = TRY(peek());
  Token k1 = TRY(peek(1));
  if ((k.is_keyword("i64") || k.is_keyword("i32")) && k1.is(TokenKind::LParen)) {
    TRY(next());
    is64 = k.is_keyword("i64");
  }
  if (TRY(peek_clause("data"))) {
    TRY(next());
    TRY(next());
    ++next_[kData];
    Bytes data;
    for (;;) {
      Token t = TRY(peek());
      if (!t.is(TokenKind::String)) break;
      TRY(string_bytes(data));
    }
    TRY(expect(TokenKind::RParen));
    TRY(expect(TokenKind::RParen));
    u64 pages = (data.size() + 65535) / 65536;
    Bytes& mb = memories_.body;
    if (!put(mb, is64 ? 5 : 1) || !put_u32(mb, pages) || !put_u32(mb, pages)) return oom();
    ++memories_.count;
    Bytes& db = datas_.body;
    if (self == 0) {
      if (!put(db, 0)) return oom();
    } else if (!put(db, 2) || !put_u32(db, self)) {
      return oom();
    }
    const u8 offset[] = {static_cast<u8>(is64 ? 0x42 : 0x41), 0x00, 0x0b};
    if (!put_bytes(db, offset, 3) || !put_vec_bytes(db, data)) return oom();
    ++datas_.count;
    return {};
  }
  TRY(limits(memories_.body));
  ++memories_.count;
  TRY(expect(TokenKind::RParen));
  return {};
}

ParseResult<void> Encoder::global_field() {
  TRY(optional_id());
  u32 self = next_[kGlobal]++;
  TRY(inline_exports(3, self));
  if (TRY(inline_import(3))) {
    TRY(global_type(imports_.body));
    TRY(expect(TokenKind::RParen));
    return {};
  }
  TRY(global_type(globals_.body));
  TRY(instructions(globals_.body, false));
  if (!put(globals_.body, 0x0b)) return oom();
  ++globals_.count;
  TRY(expect(TokenKind::RParen));
  return {};
}

// 3.0 exception handling: `(tag $id? (export ..)* (import ..)? typeuse)`.
ParseResult<void> Encoder::tag_field() {
  TRY(optional_id());
  u32 self = next_[kTag]++;
  TRY(inline_exports(4, self));
  bool imported = TRY(inline_import(4));
  Bytes& out = imported ? imports_.body : tags_.body;
  u32 type = TRY(type_use(true, false));
  if (!put(out, 0) || !put_u32(out, type)) return oom();
  if (!imported) ++tags_.count;
  TRY(expect(TokenKind::RParen));
  return {};
}

// The catch clauses of a try_table: `(catch x l)`, `(catch_ref x l)`, `(catch_all l)`,
// `(catch_all_ref l)`; labels resolve outside the try_table (its own label is not yet bound).
ParseResult<void> Encoder::catch_clauses(Bytes& out) {
  Bytes clauses;
  u32 n = 0;
  for (;;) {
    Token t = TRY(peek());
    Token k = TRY(peek(1));
    if (!t.is(TokenKind::LParen)) break;
    u8 kind;
    if (k.is_keyword("catch"))
      kind = 0;
    else if (k.is_keyword("catch_ref"))
      kind = 1;
    else if (k.is_keyword("catch_all"))
      kind = 2;
    else if (k.is_keyword("catch_all_ref"))
      kind = 3;
    else
      break;
    TRY(next());
    TRY(next());
    if (!put(clauses, kind)) return oom();
    if (kind < 2) {
      u32 tag = TRY(index(kTag));
      if (!put_u32(clauses, tag)) return oom();
    }
    u32 label = TRY(label_index());
    if (!put_u32(clauses, label)) return oom();
    TRY(expect(TokenKind::RParen));
    ++n;
  }
  if (!put_u32(out, n) || !put_bytes(out, clauses.data(), clauses.size())) return oom();
  return {};
}

ParseResult<void> Encoder::export_field() {
  TRY(name(exports_.body));
  TRY(expect(TokenKind::LParen));
  Token k = TRY(next());
  Space space;
  if (!k.is(TokenKind::Keyword) || !space_of(k.text, space)) return unexpected(k);
  u32 idx = TRY(index(space));
  u8 kind = space == kFunc ? 0 : space == kTable ? 1 : space == kMemory ? 2 : space == kTag ? 4 : 3;
  if (!put(exports_.body, kind) || !put_u32(exports_.body, idx)) return oom();
  ++exports_.count;
  TRY(expect(TokenKind::RParen));
  TRY(expect(TokenKind::RParen));
  return {};
}

ParseResult<void> Encoder::start_field() {
  Location at = lx_.location();
  u32 idx = TRY(index(kFunc));
  if (has_start_) return error(ErrorCode::MultipleStart, at);
  has_start_ = true;
  start_ = idx;
  TRY(expect(TokenKind::RParen));
  return {};
}

ParseResult<void> Encoder::expression_clause(Bytes& out) {
  Token k = TRY(peek(1));
  if (k.is_keyword("offset") || k.is_keyword("item")) {
    TRY(next());
    TRY(next());
    TRY(instructions(out, false));
    TRY(expect(TokenKind::RParen));
  } else {
    TRY(instructions(out, true));
  }
  if (!put(out, 0x0b)) return oom();
  return {};
}

// Items of an element segment: function indices (by_index) or expressions. `indices` gets the
// function indices whenever every item is a plain `ref.func` (WABT then uses the index form).
ParseResult<void> Encoder::elem_list(Bytes& indices, Bytes& exprs, u32& count, bool& all_funcs,
                                     bool by_index) {
  for (;;) {
    Token t = TRY(peek());
    if (t.is(TokenKind::RParen)) return {};
    if (by_index) {
      u32 f = TRY(index(kFunc));
      if (!put_u32(indices, f) || !put(exprs, 0xd2) || !put_u32(exprs, f) || !put(exprs, 0x0b))
        return oom();
    } else {
      if (!t.is(TokenKind::LParen)) return unexpected(t);
      usize start = exprs.size();
      TRY(expression_clause(exprs));
      // `d2 <leb> 0b` is a lone ref.func.
      bool lone = exprs[start] == 0xd2 && exprs.back() == 0x0b;
      u64 f = 0;
      if (lone) {
        usize i = start + 1;
        u32 shift = 0;
        while (i < exprs.size() - 1 && shift < 35) {
          f |= static_cast<u64>(exprs[i] & 0x7f) << shift;
          shift += 7;
          if (!(exprs[i++] & 0x80)) break;
        }
        lone = i == exprs.size() - 1;
      }
      if (lone) {
        if (!put_u32(indices, f)) return oom();
      } else {
        all_funcs = false;
      }
    }
    ++count;
  }
}

ParseResult<void> Encoder::write_elem(ElemMode mode, u32 table, u8 type, u32 count, bool all_funcs,
                                      const Bytes& indices, const Bytes& exprs,
                                      const Bytes* offset) {
  static const u8 kZeroOffset[] = {0x41, 0x00, 0x0b};
  Bytes& out = elems_.body;
  bool use_exprs = !all_funcs || type != kFuncRef;
  bool ok = true;
  if (mode == ElemMode::Active) {
    bool explicit_table = table != 0 || (use_exprs && type != kFuncRef);
    u8 flags = static_cast<u8>((explicit_table ? 2 : 0) | (use_exprs ? 4 : 0));
    ok = put(out, flags);
    if (explicit_table) ok = ok && put_u32(out, table);
    ok = ok &&
         (offset ? put_bytes(out, offset->data(), offset->size()) : put_bytes(out, kZeroOffset, 3));
    if (explicit_table) ok = ok && put(out, use_exprs ? type : 0x00);
  } else {
    u8 flags = static_cast<u8>((mode == ElemMode::Passive ? 1 : 3) | (use_exprs ? 4 : 0));
    ok = put(out, flags) && put(out, use_exprs ? type : 0x00);
  }
  ok = ok && put_u32(out, count);
  ok = ok && (use_exprs ? put_bytes(out, exprs.data(), exprs.size())
                        : put_bytes(out, indices.data(), indices.size()));
  if (!ok) return oom();
  ++elems_.count;
  return {};
}

ParseResult<void> Encoder::elem_field() {
  TRY(optional_id());
  ++next_[kElem];
  ElemMode mode = ElemMode::Passive;
  u32 table = 0;
  Token t = TRY(peek());
  if (t.is_keyword("declare")) {
    TRY(next());
    mode = ElemMode::Declarative;
  }
  if (TRY(peek_clause("table"))) {
    TRY(next());
    TRY(next());
    table = TRY(index(kTable));
    TRY(expect(TokenKind::RParen));
    mode = ElemMode::Active;
  } else if (t.is(TokenKind::Reserved)) {
    table = TRY(index(kTable));
    mode = ElemMode::Active;
  }
  Bytes offset;
  t = TRY(peek());
  if (t.is(TokenKind::LParen)) {
    if (mode == ElemMode::Declarative) return unexpected(t);
    mode = ElemMode::Active;
    TRY(expression_clause(offset));
  } else if (mode == ElemMode::Active) {
    return unexpected(t);
  }
  t = TRY(peek());
  u8 type = kFuncRef;
  bool by_index = true;
  if (t.is_keyword("func")) {
    TRY(next());
  } else if (t.is_keyword("funcref") || t.is_keyword("externref")) {
    type = TRY(reftype());
    by_index = false;
  } else if (mode != ElemMode::Active) {
    return unexpected(t);
  }
  Bytes indices, exprs;
  u32 count = 0;
  bool all_funcs = true;
  TRY(elem_list(indices, exprs, count, all_funcs, by_index));
  TRY(expect(TokenKind::RParen));
  return write_elem(mode, table, type, count, all_funcs, indices, exprs, &offset);
}

ParseResult<void> Encoder::data_field() {
  TRY(optional_id());
  ++next_[kData];
  bool active = false;
  u32 memory = 0;
  Bytes offset;
  if (TRY(peek_clause("memory"))) {
    TRY(next());
    TRY(next());
    memory = TRY(index(kMemory));
    TRY(expect(TokenKind::RParen));
    active = true;
  } else {
    Token t = TRY(peek());
    if (t.is(TokenKind::Reserved)) {
      memory = TRY(index(kMemory));
      active = true;
    }
  }
  Token t = TRY(peek());
  if (t.is(TokenKind::LParen)) {
    active = true;
    TRY(expression_clause(offset));
  } else if (active) {
    return unexpected(t);
  }
  Bytes data;
  for (;;) {
    Token s = TRY(peek());
    if (!s.is(TokenKind::String)) break;
    TRY(string_bytes(data));
  }
  TRY(expect(TokenKind::RParen));
  Bytes& out = datas_.body;
  bool ok;
  if (!active)
    ok = put(out, 1);
  else if (memory == 0)
    ok = put(out, 0) && put_bytes(out, offset.data(), offset.size());
  else
    ok = put(out, 2) && put_u32(out, memory) && put_bytes(out, offset.data(), offset.size());
  if (!ok || !put_vec_bytes(out, data)) return oom();
  ++datas_.count;
  return {};
}

ParseResult<Bytes> Encoder::assemble() {
  Bytes out;
  static const u8 kHeader[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  bool ok = put_bytes(out, kHeader, sizeof(kHeader));
  auto section = [&](u8 id, const Section& s) {
    if (!ok || s.count == 0) return;
    Bytes body;
    ok = put_u32(body, s.count) && put_bytes(body, s.body.data(), s.body.size()) && put(out, id) &&
         put_vec_bytes(out, body);
  };
  Section types;
  types.count = static_cast<u32>(types_.size());
  for (const TypeEntry& e : types_) {
    ok = ok && put(types.body, 0x60) && put_u32(types.body, e.params) &&
         put_bytes(types.body, type_pool_.data() + e.offset, e.params) &&
         put_u32(types.body, e.results) &&
         put_bytes(types.body, type_pool_.data() + e.offset + e.params, e.results);
  }
  section(1, types);
  section(2, imports_);
  section(3, funcs_);
  section(4, tables_);
  section(5, memories_);
  section(13, tags_);
  section(6, globals_);
  section(7, exports_);
  if (ok && has_start_) {
    Bytes body;
    ok = put_u32(body, start_) && put(out, 8) && put_vec_bytes(out, body);
  }
  section(9, elems_);
  if (ok && uses_data_count_) {
    Bytes body;
    ok = put_u32(body, datas_.count) && put(out, 12) && put_vec_bytes(out, body);
  }
  section(10, code_);
  section(11, datas_);
  if (!ok) return oom();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Instructions

ParseResult<void> Encoder::push_label(StringView label) {
  if (labels_.try_push(label).is_error()) return oom();
  return {};
}

ParseResult<u32> Encoder::resolve(const Token& t, Space space) {
  if (t.is(TokenKind::Id)) {
    u32 value;
    if (!names_[space].find(t.text, value)) return error(ErrorCode::UnknownName, t.location);
    return value;
  }
  if (!t.is(TokenKind::Reserved)) return unexpected(t);
  return static_cast<u32>(TRY(number_u32(t)));
}

// `memidx? offset=? align=?`. A memory index (3.0 multi-memory) sets flag 0x40 in the alignment
// field; for lane instructions an index counts as the memory only when more follows it.
ParseResult<void> Encoder::memarg(const Opcode& op, Bytes& out) {
  u64 offset = 0;
  u64 align = op.align;
  u32 memory = 0;
  Token m = TRY(peek());
  if (is_index_token(m)) {
    bool is_memory = true;
    if (op.imm == Imm::MemArgLane) {
      Token after = TRY(peek(1));
      is_memory = is_index_token(after) ||
                  (after.is(TokenKind::Keyword) &&
                   (after.text.starts_with("offset=") || after.text.starts_with("align=")));
    }
    if (is_memory) memory = TRY(index(kMemory));
  }
  for (;;) {
    Token t = TRY(peek());
    if (t.is(TokenKind::Keyword) && t.text.starts_with("offset=")) {
      TRY(next());
      bool is64 = memory < memory_is64_.size() && memory_is64_[memory];
      auto v = parse_unsigned(t.text.substr(7), is64 || features_.memory64 ? 64 : 32);
      if (v.is_error()) return error(ErrorCode::BadInteger, t.location);
      offset = v.value();
    } else if (t.is(TokenKind::Keyword) && t.text.starts_with("align=")) {
      TRY(next());
      auto v = parse_unsigned(t.text.substr(6), features_.memory64 ? 64 : 32);
      if (v.is_error()) return error(ErrorCode::BadInteger, t.location);
      if (!support::is_power_of_two(v.value())) return error(ErrorCode::BadAlignment, t.location);
      align = 0;
      while ((u64{1} << align) < v.value()) ++align;
    } else {
      break;
    }
  }
  bool ok = memory == 0 ? put_u32(out, align) : put_u32(out, align | 0x40) && put_u32(out, memory);
  if (!ok || !put_u32(out, offset)) return oom();
  return {};
}

// The opcode and its immediates, by instruction family.
ParseResult<void> Encoder::immediates(const Opcode& op, Bytes& out, Location at) {
  bool ok =
      op.prefix ? put(out, op.prefix) && put_u32(out, op.code) : put(out, static_cast<u8>(op.code));
  if (!ok) return oom();
  switch (op.imm) {
    case Imm::None: return {};
    case Imm::Label:
    case Imm::BrTable: return branch_immediates(op, out);
    case Imm::Call:
    case Imm::CallIndirect:
    case Imm::RefFunc:
    case Imm::Tag: return call_immediates(op, out);
    case Imm::Local:
    case Imm::Global:
    case Imm::Select:
    case Imm::RefNull: return variable_immediates(op, out);
    case Imm::Table:
    case Imm::TableInit:
    case Imm::TableCopy:
    case Imm::Elem: return table_immediates(op, out);
    case Imm::MemZero:
    case Imm::MemoryInit:
    case Imm::MemoryCopy:
    case Imm::Data:
    case Imm::MemArg:
    case Imm::MemArgLane: return memory_immediates(op, out);
    case Imm::I32:
    case Imm::I64:
    case Imm::F32:
    case Imm::F64:
    case Imm::V128:
    case Imm::Lane:
    case Imm::Shuffle: return constant_immediates(op, out);
    default: return error(ErrorCode::UnexpectedToken, at);
  }
}

// br, br_if, br_table.
ParseResult<void> Encoder::branch_immediates(const Opcode& op, Bytes& out) {
  if (op.imm == Imm::Label) return written(put_u32(out, TRY(label_index())));
  Bytes targets;
  u32 n = 0;
  for (;;) {
    Token t = TRY(peek());
    if (!is_index_token(t)) break;
    u32 l = TRY(label_index());
    if (!put_u32(targets, l)) return oom();
    ++n;
  }
  if (n == 0) {
    Token t = TRY(peek());
    return unexpected(t);
  }
  return written(put_u32(out, n - 1) && put_bytes(out, targets.data(), targets.size()));
}

// call, call_indirect, ref.func, throw.
ParseResult<void> Encoder::call_immediates(const Opcode& op, Bytes& out) {
  if (op.imm == Imm::CallIndirect) {
    u32 table = TRY(optional_index(kTable));
    u32 type = TRY(type_use(false, false));
    return written(put_u32(out, type) && put_u32(out, table));
  }
  return written(put_u32(out, TRY(index(op.imm == Imm::Tag ? kTag : kFunc))));
}

// local.*, global.*, select with types, ref.null.
ParseResult<void> Encoder::variable_immediates(const Opcode& op, Bytes& out) {
  switch (op.imm) {
    case Imm::Local: return written(put_u32(out, TRY(local_index())));
    case Imm::Global: return written(put_u32(out, TRY(index(kGlobal))));
    case Imm::RefNull: return written(put(out, TRY(heaptype())));
    default: break;  // select
  }
  Bytes types;
  bool any = false;
  while (TRY(peek_clause("result"))) {
    any = true;
    TRY(next());
    TRY(next());
    for (;;) {
      Token t = TRY(peek());
      if (t.is(TokenKind::RParen)) break;
      u8 vt = TRY(valtype());
      if (!put(types, vt)) return oom();
    }
    TRY(next());
  }
  if (!any) return {};
  out.back() = 0x1c;  // select with its result types
  return written(put_vec_bytes(out, types));
}

// table.get/set/size/grow/fill, table.init, table.copy, elem.drop.
ParseResult<void> Encoder::table_immediates(const Opcode& op, Bytes& out) {
  switch (op.imm) {
    case Imm::TableInit: return segment_and_index(kElem, kTable, out);
    case Imm::TableCopy: return index_pair(kTable, out);
    case Imm::Elem: return written(put_u32(out, TRY(index(kElem))));
    default: return written(put_u32(out, TRY(optional_index(kTable))));
  }
}

// Loads and stores, memory.size/grow/fill, memory.init, memory.copy, data.drop.
ParseResult<void> Encoder::memory_immediates(const Opcode& op, Bytes& out) {
  switch (op.imm) {
    case Imm::MemArg: return memarg(op, out);
    case Imm::MemArgLane: TRY(memarg(op, out)); return written(put(out, TRY(lane())));
    case Imm::MemoryInit: uses_data_count_ = true; return segment_and_index(kData, kMemory, out);
    case Imm::MemoryCopy: return index_pair(kMemory, out);
    case Imm::Data: {
      u32 d = TRY(index(kData));
      uses_data_count_ = true;
      return written(put_u32(out, d));
    }
    default: return written(put_u32(out, TRY(optional_index(kMemory))));
  }
}

// Constants, and the lanes of SIMD instructions.
ParseResult<void> Encoder::constant_immediates(const Opcode& op, Bytes& out) {
  switch (op.imm) {
    case Imm::I32:
    case Imm::I64: {
      Token t = TRY(next());
      u32 bits = op.imm == Imm::I32 ? 32 : 64;
      auto v = parse_integer(t.text, bits);
      if (!t.is(TokenKind::Reserved) || v.is_error())
        return error(ErrorCode::BadInteger, t.location);
      i64 value = bits == 32 ? static_cast<i64>(static_cast<i32>(static_cast<u32>(v.value())))
                             : static_cast<i64>(v.value());
      return written(put_s64(out, value));
    }
    case Imm::F32:
    case Imm::F64: {
      Token t = TRY(next());
      u32 size = op.imm == Imm::F32 ? 4 : 8;
      u64 bits;
      if (!float_bits(t.text, size, bits) || t.is(TokenKind::String) || t.is(TokenKind::Id))
        return error(ErrorCode::BadFloat, t.location);
      u8 b[8];
      for (u32 i = 0; i < size; ++i) b[i] = static_cast<u8>(bits >> (8 * i));
      return written(put_bytes(out, b, size));
    }
    case Imm::V128: {
      u8 bytes[16];
      TRY(v128_literal(bytes, nullptr));
      return written(put_bytes(out, bytes, 16));
    }
    case Imm::Lane: return written(put(out, TRY(lane())));
    default: {  // i8x16.shuffle
      bool ok = true;
      for (int i = 0; i < 16 && ok; ++i) ok = put(out, TRY(lane()));
      return written(ok);
    }
  }
}

// A lane index (one byte).
ParseResult<u8> Encoder::lane() {
  Token t = TRY(next());
  auto v = parse_unsigned(t.text, 8);
  if (!t.is(TokenKind::Reserved) || v.is_error()) return error(ErrorCode::BadLane, t.location);
  return static_cast<u8>(v.value());
}

// An index of `space` that may be left out (then 0).
ParseResult<u32> Encoder::optional_index(Space space) {
  Token t = TRY(peek());
  if (!is_index_token(t)) return 0u;
  return index(space);
}

// table.init and memory.init: `index? segment`, written segment then index.
ParseResult<void> Encoder::segment_and_index(Space segment_space, Space index_space, Bytes& out) {
  Token a = TRY(next());
  Token b = TRY(peek());
  u32 x = 0, segment;
  if (is_index_token(b)) {
    x = TRY(resolve(a, index_space));
    segment = TRY(index(segment_space));
  } else {
    segment = TRY(resolve(a, segment_space));
  }
  return written(put_u32(out, segment) && put_u32(out, x));
}

// table.copy and memory.copy: `(dst src)?`.
ParseResult<void> Encoder::index_pair(Space space, Bytes& out) {
  u32 dst = 0, src = 0;
  Token t = TRY(peek());
  if (is_index_token(t)) {
    dst = TRY(index(space));
    src = TRY(index(space));
  }
  return written(put_u32(out, dst) && put_u32(out, src));
}

ParseResult<void> Encoder::v128_literal(u8 (&bytes)[16], void*) {
  return read_v128(lx_, bytes, nullptr, nullptr);
}

ParseResult<void> Encoder::check_end_label(const Frame& frame) {
  Token t = TRY(peek());
  if (!t.is(TokenKind::Id)) return {};
  TRY(next());
  if (frame.label.empty() || !(frame.label == t.text))
    return error(ErrorCode::MismatchingLabel, t.location);
  return {};
}

ParseResult<void> Encoder::instructions(Bytes& out, bool one_folded) {
  const usize base = frames_.size();
  auto append_pending = [&](u32 from) -> bool {
    if (!put_bytes(out, pending_.data() + from, pending_.size() - from)) return false;
    pending_.shrink_to(from);
    return true;
  };
  for (;;) {
    Token t = TRY(peek());
    Frame* top = frames_.size() > base ? &frames_.back() : nullptr;
    if (t.is(TokenKind::RParen)) {
      if (!top) return {};
      if (top->kind == FrameKind::Flat) return unexpected(t);
      TRY(next());
      switch (top->kind) {
        case FrameKind::Plain:
          if (!append_pending(top->pending)) return oom();
          break;
        case FrameKind::Block:
          if (!put(out, 0x0b)) return oom();
          labels_.pop_back();
          break;
        case FrameKind::If:
          if (top->if_state == 0) return unexpected(t);
          if (!put(out, 0x0b)) return oom();
          labels_.pop_back();
          break;
        case FrameKind::Then: frames_[frames_.size() - 2].if_state = 2; break;
        case FrameKind::Else: frames_[frames_.size() - 2].if_state = 4; break;
        case FrameKind::Flat: break;
      }
      frames_.pop_back();
      if (one_folded && frames_.size() == base) return {};
      continue;
    }
    if (t.is(TokenKind::LParen)) {
      Token k = TRY(peek(1));
      if (top && top->kind == FrameKind::If) {
        if (top->if_state == 0 && k.is_keyword("then")) {
          TRY(next());
          TRY(next());
          if (!append_pending(top->pending)) return oom();
          TRY(push_label(top->label));
          top->if_state = 1;
          if (frames_.try_push(Frame{FrameKind::Then, 0, false, false, 0, {}}).is_error())
            return oom();
          continue;
        }
        if (top->if_state == 2 && k.is_keyword("else")) {
          TRY(next());
          TRY(next());
          if (!put(out, 0x05)) return oom();
          top->if_state = 3;
          if (frames_.try_push(Frame{FrameKind::Else, 0, false, false, 0, {}}).is_error())
            return oom();
          continue;
        }
        if (top->if_state != 0) return unexpected(k);
      }
      if (!k.is(TokenKind::Keyword)) return unexpected(k);
      TRY(next());
      TRY(next());
      Frame frame{FrameKind::Plain, 0, false, false, 0, {}};
      if (k.text == "block" || k.text == "loop" || k.text == "try_table") {
        frame.kind = FrameKind::Block;
        frame.label = TRY(optional_id());
        u8 code = k.text == "block" ? 0x02 : k.text == "loop" ? 0x03 : 0x1f;
        if (!put(out, code)) return oom();
        TRY(block_type(out));
        if (code == 0x1f) TRY(catch_clauses(out));
        TRY(push_label(frame.label));
      } else if (k.text == "if") {
        frame.kind = FrameKind::If;
        frame.label = TRY(optional_id());
        frame.pending = static_cast<u32>(pending_.size());
        if (!put(pending_, 0x04)) return oom();
        TRY(block_type(pending_));
      } else {
        const Opcode* op = find_opcode(k.text);
        if (!op) return error(ErrorCode::UnknownInstruction, k.location);
        if (op->imm == Imm::Block || op->imm == Imm::Loop || op->imm == Imm::If ||
            op->imm == Imm::Else || op->imm == Imm::End || op->imm == Imm::TryTable)
          return unexpected(k);
        frame.pending = static_cast<u32>(pending_.size());
        TRY(immediates(*op, pending_, k.location));
      }
      if (frames_.try_push(frame).is_error()) return oom();
      continue;
    }
    if (t.is(TokenKind::Keyword)) {
      if (one_folded && !top) return unexpected(t);
      if (top && (top->kind == FrameKind::Plain || top->kind == FrameKind::If))
        return unexpected(t);
      TRY(next());
      const Opcode* op = find_opcode(t.text);
      if (!op) return error(ErrorCode::UnknownInstruction, t.location);
      switch (op->imm) {
        case Imm::Block:
        case Imm::Loop:
        case Imm::If:
        case Imm::TryTable: {
          Frame frame{FrameKind::Flat, 0, op->imm == Imm::If, false, 0, {}};
          frame.label = TRY(optional_id());
          if (!put(out, static_cast<u8>(op->code))) return oom();
          TRY(block_type(out));
          if (op->imm == Imm::TryTable) TRY(catch_clauses(out));
          TRY(push_label(frame.label));
          if (frames_.try_push(frame).is_error()) return oom();
          break;
        }
        case Imm::Else:
          if (!top || top->kind != FrameKind::Flat || !top->flat_if || top->else_seen)
            return unexpected(t);
          TRY(check_end_label(*top));
          top->else_seen = true;
          if (!put(out, 0x05)) return oom();
          break;
        case Imm::End:
          if (!top || top->kind != FrameKind::Flat) return unexpected(t);
          TRY(check_end_label(*top));
          if (!put(out, 0x0b)) return oom();
          labels_.pop_back();
          frames_.pop_back();
          break;
        default: TRY(immediates(*op, out, t.location)); break;
      }
      continue;
    }
    return unexpected(t);
  }
}

ParseResult<Bytes> Encoder::encode() {
  Lexer::Mark start = lx_.mark();
  TRY(scan_fields());
  lx_.rewind(start);
  TRY(encode_fields());
  return assemble();
}

ParseResult<Bytes> encode_module_text(StringView text, bool allow_quote, const Features& features) {
  Lexer lx(text);
  Token t0 = TRY(lx.peek(0));
  Token t1 = TRY(lx.peek(1));
  Bytes bytes;
  if (t0.is(TokenKind::LParen) && t1.is_keyword("module")) {
    TRY(lx.next());
    TRY(lx.next());
    Token id = TRY(lx.peek());
    if (id.is(TokenKind::Id)) TRY(lx.next());
    Token form = TRY(lx.peek());
    if (form.is_keyword("binary") || (form.is_keyword("quote") && allow_quote)) {
      TRY(lx.next());
      for (;;) {
        Token s = TRY(lx.next());
        if (s.is(TokenKind::RParen)) break;
        if (!s.is(TokenKind::String))
          return ParseError{
              s.is(TokenKind::Eof) ? ErrorCode::UnexpectedEnd : ErrorCode::UnexpectedToken,
              s.location};
        TRY(decode_string(s.text, bytes, s.location));
      }
      Token end = TRY(lx.next());
      if (!end.is(TokenKind::Eof)) return ParseError{ErrorCode::UnexpectedToken, end.location};
      if (form.is_keyword("binary")) return bytes;
      return encode_module_text(
          StringView(reinterpret_cast<const char*>(bytes.data()), bytes.size()), false, features);
    }
    bytes = TRY(encode_module_fields(lx, features));
    Token close = TRY(lx.next());
    if (!close.is(TokenKind::RParen))
      return ParseError{
          close.is(TokenKind::Eof) ? ErrorCode::UnexpectedEnd : ErrorCode::UnexpectedToken,
          close.location};
  } else {
    bytes = TRY(encode_module_fields(lx, features));
  }
  Token end = TRY(lx.next());
  if (!end.is(TokenKind::Eof)) return ParseError{ErrorCode::UnexpectedToken, end.location};
  return bytes;
}

}  // namespace

ParseResult<void> read_v128(Lexer& lx, u8 (&bytes)[16], u8* shape_out, u8* lane_nan) {
  Token s = TRY(lx.next());
  static const char* const kShapes[] = {"i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"};
  static const u8 kLanes[] = {16, 8, 4, 2, 4, 2};
  u8 shape = 6;
  for (u8 i = 0; i < 6; ++i)
    if (s.is_keyword(kShapes[i])) shape = i;
  if (shape == 6) return ParseError{ErrorCode::UnexpectedToken, s.location};
  if (shape_out) *shape_out = shape;
  if (lane_nan)
    for (int i = 0; i < 4; ++i) lane_nan[i] = 0;
  u32 lanes = kLanes[shape];
  u32 width = 16 / lanes;
  for (u32 i = 0; i < lanes; ++i) {
    Token t = TRY(lx.next());
    u64 value;
    if (t.is(TokenKind::Eof)) return ParseError{ErrorCode::UnexpectedEnd, t.location};
    if (!t.is(TokenKind::Reserved) && !t.is(TokenKind::Keyword))
      return ParseError{ErrorCode::UnexpectedToken, t.location};
    if (shape >= 4) {
      if (lane_nan && (t.text == "nan:canonical" || t.text == "nan:arithmetic")) {
        lane_nan[i] = t.text == "nan:canonical" ? 1 : 2;
        value = shape == 4 ? 0x7fc00000 : 0x7ff8000000000000ull;
      } else if (shape == 4) {
        auto v = parse_f32(t.text);
        if (v.is_error()) return ParseError{ErrorCode::BadFloat, t.location};
        value = v.value();
      } else {
        auto v = parse_f64(t.text);
        if (v.is_error()) return ParseError{ErrorCode::BadFloat, t.location};
        value = v.value();
      }
    } else {
      auto v = parse_integer(t.text, width * 8);
      if (!t.is(TokenKind::Reserved) || v.is_error())
        return ParseError{ErrorCode::BadInteger, t.location};
      value = v.value();
    }
    for (u32 b = 0; b < width; ++b) bytes[i * width + b] = static_cast<u8>(value >> (8 * b));
  }
  return {};
}

ParseResult<Bytes> encode_module_fields(Lexer& lexer, const Features& features) {
  Encoder* encoder = new (std::nothrow) Encoder(lexer, features);
  if (!encoder) return ParseError{ErrorCode::NoMemory, lexer.location()};
  auto result = encoder->encode();
  delete encoder;
  return result;
}

ParseResult<Bytes> encode_module(StringView text, const Features& features) {
  return encode_module_text(text, true, features);
}

}  // namespace wat

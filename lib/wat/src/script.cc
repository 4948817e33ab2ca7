// The .wast reader. Commands are read one after the other with the module encoder handling
// module bodies; nothing recurses with the script's nesting (an `either` result holds plain
// results only).
#include <wat/module.h>
#include <wat/numbers.h>
#include <wat/script.h>

#include "literals.h"
#include "tokens.h"

namespace wat {
namespace {

using support::Vector;

class ScriptReader {
 public:
  ScriptReader(StringView source, const Features& features) : lx_(source), features_(features) {}
  ParseResult<Script> read();

 private:
  ParseError oom() { return ParseError{ErrorCode::NoMemory, lx_.location()}; }
  ParseResult<void> expect(TokenKind kind) { return wat::expect(lx_, kind); }
  ParseResult<void> expect_keyword(StringView word) { return wat::expect_keyword(lx_, word); }
  ParseResult<bool> peek_clause(StringView word) { return wat::peek_clause(lx_, word); }
  ParseResult<void> string(Vector<u8>& out) {
    Token t = TRY(lx_.next());
    if (!t.is(TokenKind::String)) return unexpected(t);
    return decode_string(t.text, out, t.location);
  }
  ParseResult<void> skip_to_close() { return wat::skip_to_close(lx_); }
  ParseResult<void> module(ModuleDef& def);
  ParseResult<void> module_rest(ModuleDef& def, bool* definition);
  ParseResult<void> action(Action& action);
  ParseResult<void> constant(Value& value);
  ParseResult<void> result(Expected& expected, bool allow_either, bool allow_patterns = true);

  Lexer lx_;
  Features features_;
};

// `(module $id? ...)` with the `(` not yet consumed.
ParseResult<void> ScriptReader::module(ModuleDef& def) {
  def.location = TRY(lx_.peek()).location;
  TRY(expect(TokenKind::LParen));
  TRY(expect_keyword("module"));
  return module_rest(def, nullptr);
}

// What follows `(module`: `definition`? `$id`? then binary, quote or fields, and the `)`.
ParseResult<void> ScriptReader::module_rest(ModuleDef& def, bool* definition) {
  Token d = TRY(lx_.peek());
  if (definition && d.is_keyword("definition")) {
    TRY(lx_.next());
    *definition = true;
  }
  Token id = TRY(lx_.peek());
  if (id.is(TokenKind::Id)) {
    TRY(lx_.next());
    def.name = id.text;
  }
  Token form = TRY(lx_.peek());
  if (form.is_keyword("binary") || form.is_keyword("quote")) {
    TRY(lx_.next());
    def.form = form.is_keyword("binary") ? ModuleForm::Binary : ModuleForm::Quote;
    Vector<u8> bytes;
    for (;;) {
      Token t = TRY(lx_.peek());
      if (!t.is(TokenKind::String)) break;
      TRY(string(bytes));
    }
    TRY(expect(TokenKind::RParen));
    if (def.form == ModuleForm::Binary) {
      def.bytes = support::move(bytes);
      def.ok = true;
      return {};
    }
    auto encoded = encode_module(
        StringView(reinterpret_cast<const char*>(bytes.data()), bytes.size()), features_);
    if (encoded.is_ok()) {
      def.bytes = encoded.release_value();
      def.ok = true;
    } else {
      if (encoded.error().code == ErrorCode::NoMemory) return encoded.error();
      def.error = encoded.error();
      def.bytes = support::move(bytes);  // the quoted text, which the error's location is in
    }
    return {};
  }
  def.form = ModuleForm::Text;
  Lexer::Mark start = lx_.mark();
  TRY(skip_to_close());
  Lexer::Mark end = lx_.mark();
  lx_.rewind(start);
  auto encoded = encode_module_fields(lx_, features_);
  if (encoded.is_ok()) {
    def.bytes = encoded.release_value();
    def.ok = true;
    TRY(expect(TokenKind::RParen));
  } else {
    if (encoded.error().code == ErrorCode::NoMemory) return encoded.error();
    def.error = encoded.error();
    lx_.rewind(end);
  }
  return {};
}

ParseResult<void> ScriptReader::action(Action& action) {
  TRY(expect(TokenKind::LParen));
  Token kw = TRY(lx_.next());
  if (kw.is_keyword("invoke"))
    action.kind = ActionKind::Invoke;
  else if (kw.is_keyword("get"))
    action.kind = ActionKind::Get;
  else
    return unexpected(kw);
  Token id = TRY(lx_.peek());
  if (id.is(TokenKind::Id)) {
    TRY(lx_.next());
    action.module = id.text;
  }
  TRY(string(action.field));
  for (;;) {
    Token t = TRY(lx_.peek());
    if (!t.is(TokenKind::LParen)) break;
    Value value;
    TRY(constant(value));
    if (action.args.try_push(value).is_error()) return oom();
  }
  return expect(TokenKind::RParen);
}

static ParseError number_error(ErrorCode code, const Token& t) {
  return ParseError{code, t.location};
}

ParseResult<void> ScriptReader::constant(Value& value) {
  Expected expected;
  TRY(result(expected, false, false));
  if (expected.kind != ExpectKind::Exact)
    return ParseError{ErrorCode::UnexpectedToken, lx_.location()};
  value = expected.value;
  return {};
}

ParseResult<void> ScriptReader::result(Expected& out, bool allow_either, bool allow_patterns) {
  TRY(expect(TokenKind::LParen));
  Token kw = TRY(lx_.next());
  if (!kw.is(TokenKind::Keyword)) return unexpected(kw);
  Value& v = out.value;
  out.kind = ExpectKind::Exact;
  if (kw.text == "i32.const" || kw.text == "i64.const") {
    Token t = TRY(lx_.next());
    u32 bits = kw.text == "i32.const" ? 32 : 64;
    auto n = parse_integer(t.text, bits);
    if (!t.is(TokenKind::Reserved) || n.is_error()) return number_error(ErrorCode::BadInteger, t);
    v.type = bits == 32 ? ValueType::I32 : ValueType::I64;
    v.bits = n.value();
  } else if (kw.text == "f32.const" || kw.text == "f64.const") {
    Token t = TRY(lx_.next());
    bool f32 = kw.text == "f32.const";
    v.type = f32 ? ValueType::F32 : ValueType::F64;
    if (t.is_keyword("nan:canonical") || t.is_keyword("nan:arithmetic")) {
      out.kind = ExpectKind::Nan;
      out.nan = t.text == "nan:canonical" ? NanPattern::Canonical : NanPattern::Arithmetic;
    } else if (f32) {
      auto n = parse_f32(t.text);
      if (n.is_error() || !(t.is(TokenKind::Reserved) || t.is(TokenKind::Keyword)))
        return number_error(ErrorCode::BadFloat, t);
      v.bits = n.value();
    } else {
      auto n = parse_f64(t.text);
      if (n.is_error() || !(t.is(TokenKind::Reserved) || t.is(TokenKind::Keyword)))
        return number_error(ErrorCode::BadFloat, t);
      v.bits = n.value();
    }
  } else if (kw.text == "v128.const") {
    v.type = ValueType::V128;
    u8 shape = 0;
    u8 lane_nan[4];
    TRY(read_v128(lx_, v.v128, &shape, lane_nan));
    out.shape = static_cast<LaneShape>(shape);
    for (int i = 0; i < 4; ++i) {
      out.lane_nan[i] = static_cast<NanPattern>(lane_nan[i]);
      if (lane_nan[i]) out.kind = ExpectKind::V128Lanes;
    }
  } else if (kw.text == "ref.null") {
    Token t = TRY(lx_.peek());
    v.is_null = true;
    if (t.is_keyword("func")) {
      v.type = ValueType::FuncRef;
    } else if (t.is_keyword("extern")) {
      v.type = ValueType::ExternRef;
    } else if (t.is(TokenKind::Keyword)) {
      // 3.0 heap types: an argument is a typed null, a result any null of that type.
      v.type = ValueType::OtherRef;
      v.heap_type = t.text;
      if (allow_patterns) out.kind = ExpectKind::AnyNull;
    } else if (t.is(TokenKind::RParen) && allow_patterns) {
      v.type = ValueType::OtherRef;
      out.kind = ExpectKind::AnyNull;
      return expect(TokenKind::RParen);
    } else {
      return ParseError{ErrorCode::UnknownType, t.location};
    }
    TRY(lx_.next());
  } else if (kw.text == "ref.extern" || kw.text == "ref.func") {
    bool ext = kw.text == "ref.extern";
    v.type = ext ? ValueType::ExternRef : ValueType::FuncRef;
    Token t = TRY(lx_.peek());
    if (t.is(TokenKind::RParen)) {
      out.kind = ext ? ExpectKind::AnyExternRef : ExpectKind::AnyFuncRef;
    } else {
      TRY(lx_.next());
      auto n = parse_unsigned(t.text, 64);
      if (!t.is(TokenKind::Reserved) || n.is_error()) return number_error(ErrorCode::BadInteger, t);
      v.bits = n.value();
    }
  } else if (allow_patterns &&
             (kw.text == "ref.i31" || kw.text == "ref.struct" || kw.text == "ref.array" ||
              kw.text == "ref.eq" || kw.text == "ref.any" || kw.text == "ref.exn")) {
    out.kind = ExpectKind::AnyRefOf;
    v.type = ValueType::OtherRef;
    v.heap_type = kw.text.substr(4);
    Token t = TRY(lx_.peek());
    if (!t.is(TokenKind::RParen)) {
      TRY(lx_.next());
      auto n = parse_unsigned(t.text, 64);
      if (!t.is(TokenKind::Reserved) || n.is_error()) return number_error(ErrorCode::BadInteger, t);
      v.bits = n.value();
    }
  } else if (kw.text == "ref.host") {
    v.type = ValueType::HostRef;
    Token t = TRY(lx_.next());
    auto n = parse_unsigned(t.text, 64);
    if (!t.is(TokenKind::Reserved) || n.is_error()) return number_error(ErrorCode::BadInteger, t);
    v.bits = n.value();
  } else if (kw.text == "either" && allow_either) {
    out.kind = ExpectKind::Either;
    for (;;) {
      Token t = TRY(lx_.peek());
      if (!t.is(TokenKind::LParen)) break;
      Expected alternative;
      TRY(result(alternative, false));
      if (out.alternatives.try_push(support::move(alternative)).is_error()) return oom();
    }
  } else {
    return ParseError{ErrorCode::UnknownInstruction, kw.location};
  }
  return expect(TokenKind::RParen);
}

static bool is_module_field(StringView kw) {
  return kw == "type" || kw == "import" || kw == "func" || kw == "table" || kw == "memory" ||
         kw == "global" || kw == "export" || kw == "start" || kw == "elem" || kw == "data";
}

ParseResult<Script> ScriptReader::read() {
  Script script;
  Token t0 = TRY(lx_.peek(0));
  Token t1 = TRY(lx_.peek(1));
  if (t0.is(TokenKind::LParen) && t1.is(TokenKind::Keyword) && is_module_field(t1.text)) {
    Command command;
    command.kind = CommandKind::Module;
    command.location = t0.location;
    command.module.location = t0.location;
    auto encoded = encode_module_fields(lx_, features_);
    if (encoded.is_error()) return encoded.error();
    command.module.bytes = encoded.release_value();
    command.module.ok = true;
    Token end = TRY(lx_.next());
    if (!end.is(TokenKind::Eof)) return unexpected(end);
    if (script.commands.try_push(support::move(command)).is_error()) return oom();
    return script;
  }
  for (;;) {
    Token t = TRY(lx_.peek());
    if (t.is(TokenKind::Eof)) break;
    Command command;
    command.location = t.location;
    Token kw = TRY(lx_.peek(1));
    if (!t.is(TokenKind::LParen) || !kw.is(TokenKind::Keyword))
      return unexpected(t.is(TokenKind::LParen) ? kw : t);
    StringView k = kw.text;
    if (k == "module") {
      command.kind = CommandKind::Module;
      command.module.location = t.location;
      TRY(lx_.next());
      TRY(lx_.next());
      Token i = TRY(lx_.peek());
      if (i.is_keyword("instance")) {
        command.kind = CommandKind::ModuleInstance;
        TRY(lx_.next());
        Token a = TRY(lx_.peek());
        if (a.is(TokenKind::Id)) {
          TRY(lx_.next());
          command.module.name = a.text;
          Token b = TRY(lx_.peek());
          if (b.is(TokenKind::Id)) {
            TRY(lx_.next());
            command.definition = b.text;
          }
        }
        TRY(expect(TokenKind::RParen));
      } else {
        bool definition = false;
        TRY(module_rest(command.module, &definition));
        if (definition) command.kind = CommandKind::ModuleDefinition;
      }
      if (script.commands.try_push(support::move(command)).is_error()) return oom();
      continue;
    }
    if (k == "invoke" || k == "get") {
      command.kind = CommandKind::Action;
      TRY(action(command.action));
      if (script.commands.try_push(support::move(command)).is_error()) return oom();
      continue;
    }
    TRY(lx_.next());
    TRY(lx_.next());
    if (k == "register") {
      command.kind = CommandKind::Register;
      TRY(string(command.register_name));
      Token id = TRY(lx_.peek());
      if (id.is(TokenKind::Id)) {
        TRY(lx_.next());
        command.register_module = id.text;
      }
    } else if (k == "assert_return") {
      command.kind = CommandKind::AssertReturn;
      TRY(action(command.action));
      for (;;) {
        Token r = TRY(lx_.peek());
        if (!r.is(TokenKind::LParen)) break;
        Expected expected;
        TRY(result(expected, true));
        if (command.expected.try_push(support::move(expected)).is_error()) return oom();
      }
    } else if (k == "assert_exception") {
      command.kind = CommandKind::AssertException;
      TRY(action(command.action));
    } else if (k == "assert_trap" || k == "assert_exhaustion") {
      if (k == "assert_trap" && TRY(peek_clause("module"))) {
        command.kind = CommandKind::AssertModuleTrap;
        TRY(module(command.module));
      } else {
        command.kind = k == "assert_trap" ? CommandKind::AssertTrap : CommandKind::AssertExhaustion;
        TRY(action(command.action));
      }
      TRY(string(command.message));
    } else if (k == "assert_malformed" || k == "assert_invalid" || k == "assert_unlinkable") {
      command.kind = k == "assert_malformed" ? CommandKind::AssertMalformed
                     : k == "assert_invalid" ? CommandKind::AssertInvalid
                                             : CommandKind::AssertUnlinkable;
      TRY(module(command.module));
      TRY(string(command.message));
    } else {
      return ParseError{ErrorCode::UnknownField, kw.location};
    }
    TRY(expect(TokenKind::RParen));
    if (script.commands.try_push(support::move(command)).is_error()) return oom();
  }
  return script;
}

}  // namespace

ParseResult<Script> read_script(StringView source, const Features& features) {
  ScriptReader* reader = new (std::nothrow) ScriptReader(source, features);
  if (!reader) return ParseError{ErrorCode::NoMemory, {}};
  auto result = reader->read();
  delete reader;
  return result;
}

}  // namespace wat

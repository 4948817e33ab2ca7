// Lexer for the WebAssembly text format: tokens over a borrowed source text.
//
// Whitespace, line comments, nested block comments and annotations `(@name ...)` are skipped.
// Atoms (keywords, $ids, numbers, reserved words) are returned as text; numbers are parsed by
// the caller with <wat/numbers.h>, which knows the wanted type. Strings are returned raw (between
// the quotes, escapes not yet decoded) after their escapes and UTF-8 were checked; decode them
// with decode_string(). Nothing here allocates, and nothing recurses.
#pragma once

#include <support/result.h>
#include <support/string_view.h>
#include <support/vector.h>
#include <wat/error.h>

namespace wat {

using support::StringView;
template <typename T> using ParseResult = support::Result<T, ParseError>;

enum class TokenKind : u8 {
  LParen,
  RParen,
  Keyword,   // an atom starting with a lower-case letter: `i32.add`, `offset=4`, `inf`, `nan:0x1`
  Id,        // `$name` or `$"quoted name"` (text includes the `$` and any quotes)
  Reserved,  // any other atom: numbers (`-0x1p3`, `1_000`) and anything else
  String,    // text is the raw contents between the quotes
  Eof,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  StringView text;
  Location location;
  bool is(TokenKind k) const { return kind == k; }
  bool is_keyword(StringView word) const { return kind == TokenKind::Keyword && text == word; }
};

class Lexer {
 public:
  explicit Lexer(StringView source) : source_(source) {}

  // The token `ahead` positions after the current one (0 or 1) without consuming it.
  ParseResult<Token> peek(u32 ahead = 0);
  // Consumes and returns the current token.
  ParseResult<Token> next();

  // A position to come back to; `rewind` drops the lookahead and continues there.
  struct Mark {
    usize offset;
    Location location;
  };
  Mark mark();
  void rewind(Mark mark);
  // The location of the current token (or of the end of the input).
  Location location();
  StringView source() const { return source_; }

 private:
  ParseResult<Token> lex();
  ParseResult<void> skip_trivia();
  ParseResult<void> skip_block_comment();
  ParseResult<void> scan_string(Location start);
  ParseError error_here(ErrorCode code) const { return ParseError{code, {line_, column()}}; }
  u32 column() const { return static_cast<u32>(pos_ - line_start_) + 1; }
  void advance_char();

  StringView source_;
  usize pos_ = 0;
  usize line_start_ = 0;
  u32 line_ = 1;
  Token ahead_[2];
  Mark ahead_mark_[2];
  u32 ahead_count_ = 0;
};

// Decodes the escapes of a raw string token, appending the bytes to `out`.
// Fails only with NoMemory (the lexer already checked the escapes).
ParseResult<void> decode_string(StringView raw, support::Vector<u8>& out, Location where);

// Whether `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values > 0x10FFFF).
bool is_valid_utf8(const u8* bytes, usize size);

}  // namespace wat

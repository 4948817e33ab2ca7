// Token steps shared by the module encoder and the script reader: what a token that does not fit
// reports, expecting a token, looking ahead for a clause, skipping one.
#pragma once

#include <wat/lexer.h>

namespace wat {

// The error for token `t` where another was due (the end of the input says so).
inline ParseError unexpected(const Token& t) {
  return ParseError{t.is(TokenKind::Eof) ? ErrorCode::UnexpectedEnd : ErrorCode::UnexpectedToken,
                    t.location};
}

inline ParseResult<void> expect(Lexer& lexer, TokenKind kind) {
  Token t = TRY(lexer.next());
  if (!t.is(kind)) return unexpected(t);
  return {};
}

inline ParseResult<void> expect_keyword(Lexer& lexer, StringView word) {
  Token t = TRY(lexer.next());
  if (!t.is_keyword(word)) return unexpected(t);
  return {};
}

// Whether the next tokens are `(` `word`.
inline ParseResult<bool> peek_clause(Lexer& lexer, StringView word) {
  Token t = TRY(lexer.peek(0));
  if (!t.is(TokenKind::LParen)) return false;
  Token k = TRY(lexer.peek(1));
  return k.is_keyword(word);
}

// Consumes the tokens up to and including the `)` that closes the current level.
inline ParseResult<void> skip_to_close(Lexer& lexer) {
  u64 depth = 1;
  while (depth > 0) {
    Token t = TRY(lexer.next());
    if (t.is(TokenKind::LParen))
      ++depth;
    else if (t.is(TokenKind::RParen))
      --depth;
    else if (t.is(TokenKind::Eof))
      return unexpected(t);
  }
  return {};
}

}  // namespace wat

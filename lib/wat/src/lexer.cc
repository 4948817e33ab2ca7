#include <wat/lexer.h>

namespace wat {
namespace {

bool is_idchar(u8 c) {
  if (c >= '0' && c <= '9') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '/':
    case ':':
    case '<':
    case '=':
    case '>':
    case '?':
    case '@':
    case '\\':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

int hex_value(u8 c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the UTF-8 sequence at `s` (of `n` available bytes) or 0 when malformed.
usize utf8_sequence(const u8* s, usize n) {
  u8 c = s[0];
  if (c < 0x80) return 1;
  usize len;
  u32 min;
  u32 value;
  if ((c & 0xe0) == 0xc0) {
    len = 2, min = 0x80, value = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, min = 0x800, value = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, min = 0x10000, value = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (usize i = 1; i < len; ++i) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    value = (value << 6) | (s[i] & 0x3f);
  }
  if (value < min || value > 0x10ffff || (value >= 0xd800 && value < 0xe000)) return 0;
  return len;
}

}  // namespace

bool is_valid_utf8(const u8* bytes, usize size) {
  usize i = 0;
  while (i < size) {
    usize len = utf8_sequence(bytes + i, size - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

namespace {

// Whether the string body `raw` (escapes checked already) decodes to a non-empty UTF-8 name, as
// quoted identifiers and annotation ids must. Decodes into a fixed buffer: names longer than it
// are only checked for emptiness.
bool is_valid_quoted_name(StringView raw) {
  if (raw.empty()) return false;
  u8 buffer[512];
  usize size = 0;
  for (usize i = 0; i < raw.size() && size + 4 <= sizeof buffer;) {
    u8 c = static_cast<u8>(raw[i]);
    if (c != '\\') {
      buffer[size++] = c;
      ++i;
      continue;
    }
    u8 e = static_cast<u8>(raw[i + 1]);
    i += 2;
    if (e == 'u') {
      // \u{...} always encodes a valid scalar value (scan_string checked it).
      while (i < raw.size() && raw[i] != '}') ++i;
      ++i;
      buffer[size++] = 'u';
    } else if (hex_value(e) >= 0) {
      buffer[size++] = static_cast<u8>(hex_value(e) * 16 + hex_value(static_cast<u8>(raw[i])));
      ++i;
    } else {
      buffer[size++] = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e;
    }
  }
  return is_valid_utf8(buffer, size);
}

}  // namespace

void Lexer::advance_char() {
  if (source_[pos_] == '\n') {
    ++line_;
    line_start_ = pos_ + 1;
  }
  ++pos_;
}

// Skips a block comment starting at pos_ (`(;`), nested ones included, by counting depth.
ParseResult<void> Lexer::skip_block_comment() {
  const usize n = source_.size();
  Location start{line_, column()};
  u64 depth = 0;
  for (;;) {
    if (pos_ >= n) return ParseError{ErrorCode::UnterminatedComment, start};
    if (source_[pos_] == '(' && pos_ + 1 < n && source_[pos_ + 1] == ';') {
      ++depth;
      pos_ += 2;
    } else if (source_[pos_] == ';' && pos_ + 1 < n && source_[pos_ + 1] == ')') {
      pos_ += 2;
      if (--depth == 0) return {};
    } else {
      advance_char();
    }
  }
}

ParseResult<void> Lexer::skip_trivia() {
  const usize n = source_.size();
  while (pos_ < n) {
    u8 c = static_cast<u8>(source_[pos_]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance_char();
    } else if (c == ';' && pos_ + 1 < n && source_[pos_ + 1] == ';') {
      // A line comment ends at a newline: U+0A, U+0D or both.
      while (pos_ < n && source_[pos_] != '\n' && source_[pos_] != '\r') ++pos_;
    } else if (c == '(' && pos_ + 1 < n && source_[pos_ + 1] == ';') {
      TRY(skip_block_comment());
    } else if (c == '(' && pos_ + 2 < n && source_[pos_ + 1] == '@' &&
               (is_idchar(static_cast<u8>(source_[pos_ + 2])) || source_[pos_ + 2] == '"')) {
      // An annotation: skipped with everything inside, balanced by parentheses. Its id, when
      // quoted, must be a non-empty UTF-8 name; outside strings and comments only the
      // characters tokens are made of may occur.
      Location start{line_, column()};
      if (source_[pos_ + 2] == '"') {
        usize close = pos_ + 3;
        while (close < n && source_[close] != '"') close += source_[close] == '\\' ? 2 : 1;
        if (close < n && !is_valid_quoted_name(source_.substr(pos_ + 3, close - pos_ - 3)))
          return ParseError{ErrorCode::BadUtf8, start};
      }
      u64 depth = 0;
      for (;;) {
        if (pos_ >= n) return ParseError{ErrorCode::UnexpectedEnd, start};
        char d = source_[pos_];
        u8 ud = static_cast<u8>(d);
        if ((ud < 0x20 && d != '\t' && d != '\n' && d != '\r') || ud >= 0x7f)
          return error_here(ErrorCode::UnexpectedCharacter);
        if (d == '"') {
          advance_char();
          while (pos_ < n && source_[pos_] != '"') {
            u8 in = static_cast<u8>(source_[pos_]);
            if (in < 0x20 || in == 0x7f) return error_here(ErrorCode::UnterminatedString);
            if (source_[pos_] == '\\' && pos_ + 1 < n) advance_char();
            advance_char();
          }
          if (pos_ >= n) return ParseError{ErrorCode::UnterminatedString, start};
          advance_char();
          continue;
        }
        if (d == ';' && pos_ + 1 < n && source_[pos_ + 1] == ';') {
          while (pos_ < n && source_[pos_] != '\n' && source_[pos_] != '\r') ++pos_;
          continue;
        }
        if (d == '(' && pos_ + 1 < n && source_[pos_ + 1] == ';') {
          TRY(skip_block_comment());
          continue;
        }
        if (d == '(') ++depth;
        if (d == ')' && --depth == 0) {
          advance_char();
          break;
        }
        advance_char();
      }
    } else {
      break;
    }
  }
  return {};
}

// Scans a string whose opening quote is at pos_, checking escapes and UTF-8; leaves pos_ on
// the closing quote.
ParseResult<void> Lexer::scan_string(Location start) {
  const usize n = source_.size();
  ++pos_;
  for (;;) {
    if (pos_ >= n) return ParseError{ErrorCode::UnterminatedString, start};
    u8 d = static_cast<u8>(source_[pos_]);
    if (d == '"') break;
    if (d == '\n' || d < 0x20 || d == 0x7f) return error_here(ErrorCode::UnterminatedString);
    if (d == '\\') {
      if (pos_ + 1 >= n) return ParseError{ErrorCode::UnterminatedString, start};
      u8 e = static_cast<u8>(source_[pos_ + 1]);
      if (e == 't' || e == 'n' || e == 'r' || e == '"' || e == '\'' || e == '\\') {
        pos_ += 2;
      } else if (e == 'u') {
        Location at{line_, column()};
        pos_ += 2;
        if (pos_ >= n || source_[pos_] != '{') return ParseError{ErrorCode::BadEscape, at};
        ++pos_;
        u64 value = 0;
        usize digits = 0;
        bool underscore_ok = false;
        while (pos_ < n && source_[pos_] != '}') {
          int h = hex_value(static_cast<u8>(source_[pos_]));
          if (h < 0) {
            if (source_[pos_] == '_' && underscore_ok) {
              underscore_ok = false;
              ++pos_;
              continue;
            }
            return ParseError{ErrorCode::BadEscape, at};
          }
          if (value < 0x1000000) value = value * 16 + static_cast<u64>(h);
          ++digits;
          underscore_ok = true;
          ++pos_;
        }
        if (pos_ >= n || digits == 0 || !underscore_ok) return ParseError{ErrorCode::BadEscape, at};
        if (value >= 0x110000 || (value >= 0xd800 && value < 0xe000))
          return ParseError{ErrorCode::BadEscape, at};
        ++pos_;
      } else if (hex_value(e) >= 0 && pos_ + 2 < n &&
                 hex_value(static_cast<u8>(source_[pos_ + 2])) >= 0) {
        pos_ += 3;
      } else {
        return error_here(ErrorCode::BadEscape);
      }
      continue;
    }
    usize len = utf8_sequence(reinterpret_cast<const u8*>(source_.data()) + pos_, n - pos_);
    if (len == 0) return error_here(ErrorCode::BadUtf8);
    pos_ += len;
  }
  return {};
}

ParseResult<Token> Lexer::lex() {
  TRY(skip_trivia());
  Token token;
  token.location = {line_, column()};
  const usize n = source_.size();
  if (pos_ >= n) {
    token.kind = TokenKind::Eof;
    return token;
  }
  u8 c = static_cast<u8>(source_[pos_]);
  if (c == '(' || c == ')') {
    token.kind = c == '(' ? TokenKind::LParen : TokenKind::RParen;
    token.text = source_.substr(pos_, 1);
    ++pos_;
    return token;
  }
  usize start = pos_;
  if (c == '"') {
    TRY(scan_string(token.location));
    token.kind = TokenKind::String;
    token.text = source_.substr(start + 1, pos_ - start - 1);
    ++pos_;
  } else if (c == '$' && pos_ + 1 < n && source_[pos_ + 1] == '"') {
    // A quoted identifier (3.0): `$"..."`, the text keeps the quotes. Its name must not be
    // empty and must be UTF-8.
    ++pos_;
    TRY(scan_string(token.location));
    if (!is_valid_quoted_name(source_.substr(start + 2, pos_ - start - 2)))
      return ParseError{ErrorCode::BadUtf8, token.location};
    ++pos_;
    token.kind = TokenKind::Id;
    token.text = source_.substr(start, pos_ - start);
  } else if (is_idchar(c)) {
    while (pos_ < n && is_idchar(static_cast<u8>(source_[pos_]))) ++pos_;
    token.text = source_.substr(start, pos_ - start);
    if (c == '$')
      token.kind = token.text.size() > 1 ? TokenKind::Id : TokenKind::Reserved;
    else if (c >= 'a' && c <= 'z')
      token.kind = TokenKind::Keyword;
    else
      token.kind = TokenKind::Reserved;
  } else {
    return error_here(ErrorCode::UnexpectedCharacter);
  }
  // Atoms and strings must be followed by a separator.
  if (pos_ < n) {
    char d = source_[pos_];
    if (!(d == ' ' || d == '\t' || d == '\n' || d == '\r' || d == '(' || d == ')' || d == ';'))
      return error_here(ErrorCode::NoSeparator);
  }
  return token;
}

ParseResult<Token> Lexer::peek(u32 ahead) {
  while (ahead_count_ <= ahead) {
    TRY(skip_trivia());
    ahead_mark_[ahead_count_] = Mark{pos_, Location{line_, column()}};
    ahead_mark_[ahead_count_].offset = pos_;
    // Keep the line start with the mark: store it through the location column.
    ahead_[ahead_count_] = TRY(lex());
    ++ahead_count_;
  }
  return ahead_[ahead];
}

ParseResult<Token> Lexer::next() {
  Token token = TRY(peek(0));
  ahead_[0] = ahead_[1];
  ahead_mark_[0] = ahead_mark_[1];
  if (ahead_count_ > 0) --ahead_count_;
  return token;
}

Lexer::Mark Lexer::mark() {
  if (ahead_count_ > 0) return ahead_mark_[0];
  return Mark{pos_, Location{line_, column()}};
}

void Lexer::rewind(Mark mark) {
  ahead_count_ = 0;
  pos_ = mark.offset;
  line_ = mark.location.line;
  line_start_ = pos_ + 1 - mark.location.column;
}

Location Lexer::location() {
  auto token = peek(0);
  if (token.is_ok()) return token.value().location;
  return Location{line_, column()};
}

ParseResult<void> decode_string(StringView raw, support::Vector<u8>& out, Location where) {
  const usize n = raw.size();
  auto push = [&](u8 byte) -> ParseResult<void> {
    if (out.try_push(byte).is_error()) return ParseError{ErrorCode::NoMemory, where};
    return {};
  };
  for (usize i = 0; i < n;) {
    u8 c = static_cast<u8>(raw[i]);
    if (c != '\\') {
      TRY(push(c));
      ++i;
      continue;
    }
    u8 e = static_cast<u8>(raw[i + 1]);
    i += 2;
    switch (e) {
      case 't': TRY(push('\t')); break;
      case 'n': TRY(push('\n')); break;
      case 'r': TRY(push('\r')); break;
      case '"': TRY(push('"')); break;
      case '\'': TRY(push('\'')); break;
      case '\\': TRY(push('\\')); break;
      case 'u': {
        ++i;  // '{'
        u32 value = 0;
        while (raw[i] != '}') {
          if (raw[i] != '_')
            value = value * 16 + static_cast<u32>(hex_value(static_cast<u8>(raw[i])));
          ++i;
        }
        ++i;
        if (value < 0x80) {
          TRY(push(static_cast<u8>(value)));
        } else if (value < 0x800) {
          TRY(push(static_cast<u8>(0xc0 | (value >> 6))));
          TRY(push(static_cast<u8>(0x80 | (value & 0x3f))));
        } else if (value < 0x10000) {
          TRY(push(static_cast<u8>(0xe0 | (value >> 12))));
          TRY(push(static_cast<u8>(0x80 | ((value >> 6) & 0x3f))));
          TRY(push(static_cast<u8>(0x80 | (value & 0x3f))));
        } else {
          TRY(push(static_cast<u8>(0xf0 | (value >> 18))));
          TRY(push(static_cast<u8>(0x80 | ((value >> 12) & 0x3f))));
          TRY(push(static_cast<u8>(0x80 | ((value >> 6) & 0x3f))));
          TRY(push(static_cast<u8>(0x80 | (value & 0x3f))));
        }
        break;
      }
      default:
        TRY(push(static_cast<u8>(hex_value(e) * 16 + hex_value(static_cast<u8>(raw[i])))));
        ++i;
        break;
    }
  }
  return {};
}

}  // namespace wat

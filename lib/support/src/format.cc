#include <support/error.h>
#include <support/format.h>

namespace support {

const char* error_name(Error error) {
  switch (error) {
    case Error::NoMemory: return "no memory";
    case Error::Invalid: return "invalid";
    case Error::NotFound: return "not found";
    case Error::OutOfRange: return "out of range";
    case Error::Busy: return "busy";
    case Error::Closed: return "closed";
    case Error::Unsupported: return "unsupported";
    case Error::Fault: return "fault";
    case Error::Truncated: return "truncated";
    case Error::Corrupt: return "corrupt";
    case Error::Exists: return "exists";
    case Error::Overlap: return "overlap";
  }
  return "unknown error";
}

bool glob_match(StringView pattern, StringView text) {
  // Iterative matcher with one backtrack point per `*`: linear in practice, no recursion.
  usize p = 0, t = 0, star = ~usize{0}, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != ~usize{0}) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void BufferSink::write(const char* data, usize size) {
  wanted_ += size;
  if (capacity_ == 0) return;
  usize room = capacity_ - 1 - length_;
  usize n = size < room ? size : room;
  for (usize i = 0; i < n; ++i) buffer_[length_ + i] = data[i];
  length_ += n;
  buffer_[length_] = '\0';
}

namespace {

struct Spec {
  char align = 0;  // '<', '>' or 0 (numbers right, text left)
  bool alternate = false;
  bool zero_pad = false;
  usize width = 0;
  char type = 0;
};

// Parses the text between ':' and '}'. Unknown characters are ignored.
Spec parse_spec(StringView text) {
  Spec spec;
  usize i = 0;
  if (i < text.size() && (text[i] == '<' || text[i] == '>')) spec.align = text[i++];
  if (i < text.size() && text[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < text.size() && text[i] == '0') {
    spec.zero_pad = true;
    ++i;
  }
  while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    spec.width = spec.width * 10 + (text[i++] - '0');
  if (i < text.size()) spec.type = text[i];
  return spec;
}

void pad(FormatSink& sink, char fill, usize count) {
  char buf[16];
  for (auto& c : buf) c = fill;
  while (count > 0) {
    usize n = count < sizeof(buf) ? count : sizeof(buf);
    sink.write(buf, n);
    count -= n;
  }
}

void write_padded(FormatSink& sink, const Spec& spec, StringView prefix, StringView body,
                  bool numeric) {
  usize length = prefix.size() + body.size();
  usize fill = spec.width > length ? spec.width - length : 0;
  bool left = spec.align == '<' || (spec.align == 0 && !numeric);
  if (spec.zero_pad && numeric && spec.align == 0) {
    sink.write(prefix);
    pad(sink, '0', fill);
    sink.write(body);
    return;
  }
  if (!left) pad(sink, ' ', fill);
  sink.write(prefix);
  sink.write(body);
  if (left) pad(sink, ' ', fill);
}

void write_unsigned(FormatSink& sink, const Spec& spec, u64 value, bool negative) {
  unsigned base = 10;
  const char* digits = "0123456789abcdef";
  StringView prefix = negative ? "-" : "";
  switch (spec.type) {
    case 'x':
      base = 16;
      if (spec.alternate) prefix = "0x";
      break;
    case 'X':
      base = 16;
      digits = "0123456789ABCDEF";
      if (spec.alternate) prefix = "0x";
      break;
    case 'b':
      base = 2;
      if (spec.alternate) prefix = "0b";
      break;
    case 'o':
      base = 8;
      if (spec.alternate) prefix = "0o";
      break;
    default: break;
  }
  char buf[64];
  usize pos = sizeof(buf);
  do {
    buf[--pos] = digits[value % base];
    value /= base;
  } while (value != 0);
  write_padded(sink, spec, prefix, StringView(buf + pos, sizeof(buf) - pos), true);
}

void write_arg(FormatSink& sink, const Spec& spec, const FormatArg& arg) {
  switch (arg.kind) {
    case FormatArg::Kind::Signed: {
      i64 v = arg.signed_value;
      if (v < 0 && (spec.type == 0 || spec.type == 'd')) {
        write_unsigned(sink, spec, ~static_cast<u64>(v) + 1, true);
      } else {
        write_unsigned(sink, spec, static_cast<u64>(v), false);
      }
      return;
    }
    case FormatArg::Kind::Unsigned: write_unsigned(sink, spec, arg.unsigned_value, false); return;
    case FormatArg::Kind::Bool:
      write_padded(sink, spec, "", arg.unsigned_value ? "true" : "false", false);
      return;
    case FormatArg::Kind::Char: {
      if (spec.type == 'x' || spec.type == 'd') {
        write_unsigned(sink, spec, static_cast<u8>(arg.unsigned_value), false);
        return;
      }
      char c = static_cast<char>(arg.unsigned_value);
      write_padded(sink, spec, "", StringView(&c, 1), false);
      return;
    }
    case FormatArg::Kind::String:
      write_padded(sink, spec, "", StringView(arg.string.data, arg.string.size), false);
      return;
    case FormatArg::Kind::Pointer: {
      Spec hex = spec;
      hex.type = 'x';
      hex.alternate = true;
      if (hex.width == 0) {
        hex.width = 18;
        hex.zero_pad = true;
      }
      write_unsigned(sink, hex, reinterpret_cast<uptr>(arg.pointer), false);
      return;
    }
    case FormatArg::Kind::Custom: arg.custom(sink, arg.pointer); return;
  }
}

}  // namespace

void vformat(FormatSink& sink, StringView fmt, const FormatArg* args, usize count) {
  usize next = 0;
  usize i = 0;
  usize literal_start = 0;
  auto flush = [&](usize end) {
    if (end > literal_start) sink.write(fmt.data() + literal_start, end - literal_start);
  };
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      flush(i + 1);
      i += 2;
      literal_start = i;
      continue;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      flush(i + 1);
      i += 2;
      literal_start = i;
      continue;
    }
    usize close = i + 1;
    while (close < fmt.size() && fmt[close] != '}') ++close;
    if (close == fmt.size()) break;  // unterminated: print the rest literally
    flush(i);
    StringView inner = fmt.substr(i + 1, close - i - 1);
    Spec spec = inner.size() > 0 && inner[0] == ':' ? parse_spec(inner.substr(1)) : Spec{};
    if (next < count) {
      write_arg(sink, spec, args[next++]);
    } else {
      sink.write("{?}");
    }
    i = close + 1;
    literal_start = i;
  }
  flush(fmt.size());
}

}  // namespace support

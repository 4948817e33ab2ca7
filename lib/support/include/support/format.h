// Type-safe formatted printing: format(sink, "cpu {} at {:#x}", id, addr).
//
// Placeholders: `{}` or `{:SPEC}` with SPEC = [<|>][#][0][width][x|X|b|d|c|s|p]; `{{` and `}}` are
// literal braces. Arguments are integers, bool, char, C strings, StringView, pointers, or any type
// with a `format_value(FormatSink&, const T&)` found by lookup. A placeholder without an argument
// prints `{?}`; extra arguments are ignored. Nothing allocates.
#pragma once

#include <support/string_view.h>
#include <support/types.h>

namespace support {

class FormatSink {
 public:
  virtual void write(const char* data, usize size) = 0;
  void write(StringView text) { write(text.data(), text.size()); }

 protected:
  ~FormatSink() = default;
};

// Writes into a fixed buffer, always NUL-terminated, truncating what does not fit.
class BufferSink final : public FormatSink {
 public:
  BufferSink(char* buffer, usize capacity) : buffer_(buffer), capacity_(capacity) {
    if (capacity_ > 0) buffer_[0] = '\0';
  }
  void write(const char* data, usize size) override;
  using FormatSink::write;
  StringView view() const { return StringView(buffer_, length_); }
  // Characters that would have been written without truncation.
  usize wanted() const { return wanted_; }

 private:
  char* buffer_;
  usize capacity_;
  usize length_ = 0;
  usize wanted_ = 0;
};

struct FormatArg {
  enum class Kind : u8 { Signed, Unsigned, Bool, Char, String, Pointer, Custom };
  Kind kind;
  union {
    i64 signed_value;
    u64 unsigned_value;
    const void* pointer;
    struct {
      const char* data;
      usize size;
    } string;
  };
  void (*custom)(FormatSink&, const void*) = nullptr;
};

void vformat(FormatSink& sink, StringView fmt, const FormatArg* args, usize count);

namespace format_detail {

// A value printed by its own format_value(FormatSink&, const T&).
template <typename T> FormatArg custom_arg(const T& value) {
  FormatArg arg;
  arg.kind = FormatArg::Kind::Custom;
  arg.pointer = &value;
  arg.custom = [](FormatSink& sink, const void* p) {
    format_value(sink, *static_cast<const T*>(p));
  };
  return arg;
}
template <typename T> FormatArg make_arg(const T& value) { return custom_arg(value); }
#define WARDEN_FORMAT_INT(T, KIND, FIELD, CAST) \
  inline FormatArg make_arg(const T& value) {   \
    FormatArg arg;                              \
    arg.kind = FormatArg::Kind::KIND;           \
    arg.FIELD = static_cast<CAST>(value);       \
    return arg;                                 \
  }
WARDEN_FORMAT_INT(signed char, Signed, signed_value, i64)
WARDEN_FORMAT_INT(short, Signed, signed_value, i64)
WARDEN_FORMAT_INT(int, Signed, signed_value, i64)
WARDEN_FORMAT_INT(long, Signed, signed_value, i64)
WARDEN_FORMAT_INT(long long, Signed, signed_value, i64)
WARDEN_FORMAT_INT(unsigned char, Unsigned, unsigned_value, u64)
WARDEN_FORMAT_INT(unsigned short, Unsigned, unsigned_value, u64)
WARDEN_FORMAT_INT(unsigned int, Unsigned, unsigned_value, u64)
WARDEN_FORMAT_INT(unsigned long, Unsigned, unsigned_value, u64)
WARDEN_FORMAT_INT(unsigned long long, Unsigned, unsigned_value, u64)
WARDEN_FORMAT_INT(bool, Bool, unsigned_value, u64)
WARDEN_FORMAT_INT(char, Char, unsigned_value, u64)
#undef WARDEN_FORMAT_INT
inline FormatArg make_arg(const char* value) {
  FormatArg arg;
  arg.kind = FormatArg::Kind::String;
  arg.string.data = value ? value : "(null)";
  arg.string.size = c_string_length(arg.string.data);
  return arg;
}
inline FormatArg make_arg(char* value) { return make_arg(static_cast<const char*>(value)); }
inline FormatArg make_arg(const StringView& value) {
  FormatArg arg;
  arg.kind = FormatArg::Kind::String;
  arg.string.data = value.data();
  arg.string.size = value.size();
  return arg;
}
template <typename T> FormatArg make_arg(T* value) {
  FormatArg arg;
  arg.kind = FormatArg::Kind::Pointer;
  arg.pointer = value;
  return arg;
}
template <typename T> FormatArg make_arg(const T* value) {
  FormatArg arg;
  arg.kind = FormatArg::Kind::Pointer;
  arg.pointer = value;
  return arg;
}
template <usize N> FormatArg make_arg(const char (&value)[N]) {
  return make_arg(static_cast<const char*>(value));
}
// Enumerations print as their underlying integer unless they have a format_value.
template <typename T>
  requires __is_enum
(T) FormatArg make_arg(const T& value) {
  if constexpr (requires(FormatSink& s) { format_value(s, value); }) {
    return custom_arg(value);
  } else {
    FormatArg arg;
    arg.kind = FormatArg::Kind::Signed;
    arg.signed_value = static_cast<i64>(value);
    return arg;
  }
}

}  // namespace format_detail

template <typename... Args> void format(FormatSink& sink, StringView fmt, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    vformat(sink, fmt, nullptr, 0);
  } else {
    const FormatArg list[] = {format_detail::make_arg(args)...};
    vformat(sink, fmt, list, sizeof...(Args));
  }
}

// Formats into `buffer` (NUL-terminated, truncated to fit); returns the text written.
template <typename... Args>
StringView format_to_buffer(char* buffer, usize capacity, StringView fmt, const Args&... args) {
  BufferSink sink(buffer, capacity);
  format(sink, fmt, args...);
  return sink.view();
}

}  // namespace support

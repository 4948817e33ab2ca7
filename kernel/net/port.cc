// lwIP's system layer for Warden's kernel (NO_SYS): the clock, diagnostics, assertions, random
// numbers, and the two libc functions its sources call that the kernel did not have. The
// declarations are in kernel/net/arch/cc.h (included by lwIP as "arch/cc.h").
#include <kernel/arch/time.h>
#include <kernel/console/log.h>
#include <kernel/diag/panic.h>
#include <kernel/drivers/entropy.h>
#include <support/format.h>

#include <lwip/sys.h>
#include <stdarg.h>

namespace {

// Appends the decimal or hexadecimal digits of `value` to `out`.
void append_number(support::BufferSink& out, u64 value, u32 base, bool negative) {
  char digits[24];
  u32 n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value != 0 && n < sizeof digits);
  if (negative) out.write("-", 1);
  while (n > 0) out.write(&digits[--n], 1);
}

// The printf subset lwIP's diagnostics use; a conversion it does not know is copied as is.
void format_printf(support::BufferSink& out, const char* format, va_list args) {
  for (const char* p = format; *p != '\0'; ++p) {
    if (*p != '%') {
      out.write(p, 1);
      continue;
    }
    ++p;
    while (*p == '-' || *p == '0' || *p == '#' || *p == ' ' || *p == '+' ||
           (*p >= '1' && *p <= '9'))
      ++p;
    int longs = 0;
    for (; *p == 'l' || *p == 'h' || *p == 'z'; ++p) longs += *p == 'l' || *p == 'z' ? 1 : 0;
    switch (*p) {
      case 'd':
      case 'i': {
        i64 v = longs > 0 ? va_arg(args, long) : va_arg(args, int);
        append_number(out, v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v), 10, v < 0);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        u64 v = longs > 0 ? va_arg(args, unsigned long) : va_arg(args, unsigned);
        append_number(out, v, *p == 'u' ? 10 : 16, false);
        break;
      }
      case 'p':
        out.write("0x", 2);
        append_number(out, reinterpret_cast<uptr>(va_arg(args, void*)), 16, false);
        break;
      case 's': {
        const char* s = va_arg(args, const char*);
        out.write(support::StringView(s != nullptr ? s : "(null)"));
        break;
      }
      case 'c': {
        char c = static_cast<char>(va_arg(args, int));
        out.write(&c, 1);
        break;
      }
      case '\0': return;
      default: out.write(p - 1, 2); break;
    }
  }
}

}  // namespace

extern "C" {

u32_t sys_now(void) { return static_cast<u32_t>(ktime::now_ns() / 1'000'000); }

void warden_lwip_diag(const char* format, ...) {
  char line[256];
  support::BufferSink out(line, sizeof line);
  va_list args;
  va_start(args, format);
  format_printf(out, format, args);
  va_end(args);
  support::StringView text = out.view();
  while (!text.empty() && text[text.size() - 1] == '\n') text = text.substr(0, text.size() - 1);
  LOG_DEBUG("lwip: {}", text);
}

void warden_lwip_assert(const char* message, const char* file, int line) {
  PANIC("lwIP assertion failed: {} ({}:{})", message, file, line);
}

uint32_t warden_lwip_rand(void) {
  u8 bytes[4];
  entropy::random_bytes(support::Span<u8>(bytes, sizeof bytes));
  return static_cast<u32>(bytes[0]) | static_cast<u32>(bytes[1]) << 8 |
         static_cast<u32>(bytes[2]) << 16 | static_cast<u32>(bytes[3]) << 24;
}

int strncmp(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
    if (x == '\0') return 0;
  }
  return 0;
}

int atoi(const char* text) {
  int value = 0;
  bool negative = *text == '-';
  if (*text == '-' || *text == '+') ++text;
  for (; *text >= '0' && *text <= '9'; ++text) value = value * 10 + (*text - '0');
  return negative ? -value : value;
}

}  // extern "C"

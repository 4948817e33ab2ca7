// Numeric literals of the text format, parsed exactly (no libc, no host floating point).
//
// Integers: optional sign, decimal or 0x-hex digits, `_` only between digits.
// Floats: decimal or hex mantissa with optional exponent, `inf`, `nan`, `nan:0x<payload>`;
// results are the IEEE-754 bit patterns, correctly rounded to nearest, ties to even.
#pragma once

#include <support/result.h>
#include <support/string_view.h>

namespace wat {

enum class NumberError : u8 { Syntax, Range };

// An unsigned literal (no sign allowed) that fits in `bits` bits.
support::Result<u64, NumberError> parse_unsigned(support::StringView text, u32 bits);
// An iN literal: unsigned up to 2^N-1, or signed -2^(N-1) .. 2^(N-1)-1 with an explicit sign.
// The result is the N-bit two's complement pattern, zero-extended.
support::Result<u64, NumberError> parse_integer(support::StringView text, u32 bits);
// f32 / f64 literals as bit patterns.
support::Result<u32, NumberError> parse_f32(support::StringView text);
support::Result<u64, NumberError> parse_f64(support::StringView text);

}  // namespace wat

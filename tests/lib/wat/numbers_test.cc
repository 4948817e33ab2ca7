// Literal parsing: integer ranges and syntax, and correctly rounded floats at the edges.
#include <gtest/gtest.h>
#include <wat/numbers.h>

namespace {

using wat::NumberError;

u32 f32(const char* text) {
  auto r = wat::parse_f32(text);
  EXPECT_TRUE(r.is_ok()) << text;
  return r.is_ok() ? r.value() : 0xdeadbeef;
}
u64 f64(const char* text) {
  auto r = wat::parse_f64(text);
  EXPECT_TRUE(r.is_ok()) << text;
  return r.is_ok() ? r.value() : 0xdeadbeef;
}
bool f32_fails(const char* text, NumberError e) {
  auto r = wat::parse_f32(text);
  return r.is_error() && r.error() == e;
}
bool f64_fails(const char* text, NumberError e) {
  auto r = wat::parse_f64(text);
  return r.is_error() && r.error() == e;
}

TEST(Integers, accept_signed_and_unsigned_ranges) {
  EXPECT_EQ(wat::parse_integer("-2147483648", 32).value(), 0x80000000u);
  EXPECT_EQ(wat::parse_integer("2147483648", 32).value(), 0x80000000u);
  EXPECT_EQ(wat::parse_integer("4294967295", 32).value(), 0xffffffffu);
  EXPECT_EQ(wat::parse_integer("-1", 32).value(), 0xffffffffu);
  EXPECT_EQ(wat::parse_integer("+0x7fff_ffff", 32).value(), 0x7fffffffu);
  EXPECT_EQ(wat::parse_integer("-0x8000000000000000", 64).value(), 0x8000000000000000u);
  EXPECT_EQ(wat::parse_integer("18446744073709551615", 64).value(), ~u64{0});
  EXPECT_EQ(wat::parse_integer("1_000_000", 32).value(), 1000000u);
}

TEST(Integers, reject_out_of_range_values) {
  EXPECT_EQ(wat::parse_integer("4294967296", 32).error(), NumberError::Range);
  EXPECT_EQ(wat::parse_integer("+2147483648", 32).error(), NumberError::Range);
  EXPECT_EQ(wat::parse_integer("-2147483649", 32).error(), NumberError::Range);
  EXPECT_EQ(wat::parse_integer("18446744073709551616", 64).error(), NumberError::Range);
  EXPECT_EQ(wat::parse_integer("0x1_0000_0000", 32).error(), NumberError::Range);
  EXPECT_EQ(wat::parse_unsigned("256", 8).error(), NumberError::Range);
}

TEST(Integers, reject_misplaced_underscores_and_junk) {
  for (const char* text : {"", "_1", "1_", "1__0", "0x", "0x_1", "1x", "--1", "+", "0x1g", "1.0"})
    EXPECT_EQ(wat::parse_integer(text, 32).error(), NumberError::Syntax) << text;
  EXPECT_EQ(wat::parse_unsigned("-1", 32).error(), NumberError::Syntax);
}

TEST(Floats32, special_values_and_payloads) {
  EXPECT_EQ(f32("inf"), 0x7f800000u);
  EXPECT_EQ(f32("-inf"), 0xff800000u);
  EXPECT_EQ(f32("nan"), 0x7fc00000u);
  EXPECT_EQ(f32("-nan"), 0xffc00000u);
  EXPECT_EQ(f32("nan:0x200000"), 0x7fa00000u);
  EXPECT_EQ(f32("+nan:0x1"), 0x7f800001u);
  EXPECT_EQ(f32("-0"), 0x80000000u);
  EXPECT_TRUE(f32_fails("nan:0x0", NumberError::Range));
  EXPECT_TRUE(f32_fails("nan:0x800000", NumberError::Range));
}

TEST(Floats32, decimal_and_hex_forms) {
  EXPECT_EQ(f32("0.1"), 0x3dcccccdu);
  EXPECT_EQ(f32("1."), 0x3f800000u);
  EXPECT_EQ(f32("1_000.5"), 0x447a2000u);
  EXPECT_EQ(f32("0x1.p1"), 0x40000000u);
  EXPECT_EQ(f32("0x1P-1"), 0x3f000000u);
  EXPECT_EQ(f32("1E+2"), 0x42c80000u);
  for (const char* text : {".5", "1e", "0x", "1.e_1", "1__0.0", "0x1p", "1f", "e1", "0x1e+1p1"})
    EXPECT_TRUE(f32_fails(text, NumberError::Syntax)) << text;
}

TEST(Floats32, round_to_nearest_even_at_ties) {
  // Halfway between 1 and the next float: ties go to the even significand.
  EXPECT_EQ(f32("1.000000059604644775390625"), 0x3f800000u);
  EXPECT_EQ(f32("1.000000059604644775390626"), 0x3f800001u);
  EXPECT_EQ(f32("1.000000178813934326171875"), 0x3f800002u);  // 1 + 3 * 2^-24: up to even
  EXPECT_EQ(f32("0x1.000001p0"), 0x3f800000u);
  EXPECT_EQ(f32("0x1.000003p0"), 0x3f800002u);
  EXPECT_EQ(f32("0x1.0000010000000000000000000001p0"), 0x3f800001u);  // sticky bits far out
}

TEST(Floats32, subnormals_and_underflow) {
  EXPECT_EQ(f32("0x1p-149"), 0x00000001u);
  EXPECT_EQ(f32("0x1p-150"), 0x00000000u);    // tie with zero: even
  EXPECT_EQ(f32("0x1.8p-149"), 0x00000002u);  // tie between 1 and 2 ulps: even
  EXPECT_EQ(f32("0x1.0000001p-150"), 0x00000001u);
  EXPECT_EQ(f32("1.4e-45"), 0x00000001u);
  EXPECT_EQ(f32("7e-46"), 0x00000000u);
  EXPECT_EQ(f32("7.1e-46"), 0x00000001u);
  EXPECT_EQ(f32("1.17549435e-38"), 0x00800000u);
  EXPECT_EQ(f32("0x1.fffffcp-127"), 0x007fffffu);
  EXPECT_EQ(f32("0x1.fffffep-127"), 0x00800000u);  // rounds up into the normals
  EXPECT_EQ(f32("1e-400"), 0x00000000u);
}

TEST(Floats32, overflow_is_out_of_range) {
  EXPECT_EQ(f32("0x1.fffffep127"), 0x7f7fffffu);
  EXPECT_EQ(f32("0x1.fffffefffffffffp127"), 0x7f7fffffu);
  EXPECT_EQ(f32("3.4028234663852886e38"), 0x7f7fffffu);
  EXPECT_EQ(f32("340282356779733661637539395458142568447"), 0x7f7fffffu);
  EXPECT_TRUE(f32_fails("340282356779733661637539395458142568448", NumberError::Range));
  EXPECT_TRUE(f32_fails("0x1.ffffffp127", NumberError::Range));
  EXPECT_TRUE(f32_fails("1e39", NumberError::Range));
  EXPECT_TRUE(f32_fails("-0x1p128", NumberError::Range));
  EXPECT_TRUE(f32_fails("1e1000000000000", NumberError::Range));
}

TEST(Floats64, decimal_values_round_correctly) {
  EXPECT_EQ(f64("0.1"), 0x3fb999999999999aull);
  EXPECT_EQ(f64("9007199254740993"), 0x4340000000000000ull);  // 2^53 + 1: tie to even
  EXPECT_EQ(f64("9007199254740995"), 0x4340000000000002ull);
  EXPECT_EQ(f64("2.2250738585072011e-308"), 0x000fffffffffffffull);
  EXPECT_EQ(f64("2.2250738585072012e-308"), 0x0010000000000000ull);
  EXPECT_EQ(f64("1.7976931348623157e308"), 0x7fefffffffffffffull);
  EXPECT_EQ(f64("4.9406564584124654e-324"), 0x0000000000000001ull);
  EXPECT_EQ(f64("2.4703282292062328e-324"), 0x0000000000000001ull);
  EXPECT_EQ(f64("2.4703282292062327e-324"), 0x0000000000000000ull);
  EXPECT_EQ(f64("123456789e-5"), 0x40934a4584f4c6e7ull);  // 1234.56789
}

TEST(Floats64, hex_values_and_limits) {
  EXPECT_EQ(f64("0x1p-1074"), 0x0000000000000001ull);
  EXPECT_EQ(f64("0x1p-1075"), 0x0000000000000000ull);
  EXPECT_EQ(f64("0x1.8p-1074"), 0x0000000000000002ull);
  EXPECT_EQ(f64("0x1.fffffffffffffp1023"), 0x7fefffffffffffffull);
  EXPECT_EQ(f64("nan:0x8000000000000"), 0x7ff8000000000000ull);
  EXPECT_EQ(f64("-nan:0xfffffffffffff"), 0xffffffffffffffffull);
  EXPECT_TRUE(f64_fails("nan:0x10000000000000", NumberError::Range));
  EXPECT_TRUE(f64_fails("0x1.fffffffffffff8p1023", NumberError::Range));
  EXPECT_TRUE(f64_fails("1.7976931348623159e308", NumberError::Range));
  EXPECT_TRUE(f64_fails("1e309", NumberError::Range));
}

TEST(Floats64, very_long_literals_keep_their_sticky_digits) {
  // 2^53 + 1 followed by many zeros and a final 1: just above the tie, so it rounds up.
  std::string above = "9007199254740993." + std::string(2000, '0') + "1";
  EXPECT_EQ(f64(above.c_str()), 0x4340000000000001ull);
  std::string tie = "9007199254740993." + std::string(2000, '0');
  EXPECT_EQ(f64(tie.c_str()), 0x4340000000000000ull);
  std::string tiny = "0." + std::string(2000, '0') + "1";
  EXPECT_EQ(f64(tiny.c_str()), 0u);
}

}  // namespace

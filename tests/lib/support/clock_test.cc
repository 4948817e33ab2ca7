#include <gtest/gtest.h>
#include <support/clock.h>

#include <random>

using support::ns_to_ticks_ceil;
using support::ticks_to_ns;

namespace {

TEST(Clock, ConvertsQemuTimebaseExactly) {
  EXPECT_EQ(ticks_to_ns(10000000, 10000000), 1000000000u);
  EXPECT_EQ(ticks_to_ns(1, 10000000), 100u);
  EXPECT_EQ(ns_to_ticks_ceil(100, 10000000), 1u);
  EXPECT_EQ(ns_to_ticks_ceil(101, 10000000), 2u);  // rounded up: never early
  EXPECT_EQ(ns_to_ticks_ceil(0, 10000000), 0u);
}

TEST(Clock, DoesNotOverflowAfterHalfAnHour) {
  // ticks * 1e9 overflows 64 bits past 1.8e10 ticks: 30 minutes at 10 MHz.
  const unsigned long long hz = 10000000;
  const unsigned long long hour = 3600ull * hz;
  EXPECT_EQ(ticks_to_ns(hour, hz), 3600ull * 1000000000ull);
  const unsigned long long year = 365ull * 24 * hour;
  EXPECT_EQ(ticks_to_ns(year, hz), 365ull * 24 * 3600 * 1000000000ull);
}

TEST(Clock, SaturatesInsteadOfWrapping) {
  EXPECT_EQ(ticks_to_ns(~0ull, 1), ~0ull);
  EXPECT_EQ(ns_to_ticks_ceil(~0ull, 18000000000ull), ~0ull);
}

TEST(Clock, MatchesWideArithmeticOnRandomInputs) {
  std::mt19937_64 rng(42);
  const unsigned long long rates[] = {1, 1000, 10000000, 24000000, 1000000000, 18000000000ull};
  for (int i = 0; i < 200000; ++i) {
    unsigned long long hz = rates[i % 6];
    unsigned long long t = rng() >> (rng() % 64);
    unsigned __int128 exact = static_cast<unsigned __int128>(t) * 1000000000ull / hz;
    unsigned long long want = exact > ~0ull ? ~0ull : static_cast<unsigned long long>(exact);
    ASSERT_EQ(ticks_to_ns(t, hz), want) << t << " ticks at " << hz;
    unsigned __int128 back = (static_cast<unsigned __int128>(t) * hz + 999999999) / 1000000000ull;
    unsigned long long want_back = back > ~0ull ? ~0ull : static_cast<unsigned long long>(back);
    ASSERT_EQ(ns_to_ticks_ceil(t, hz), want_back) << t << " ns at " << hz;
    if (want_back != ~0ull) ASSERT_GE(ticks_to_ns(want_back, hz), want == ~0ull ? 0 : t) << t;
  }
}

}  // namespace

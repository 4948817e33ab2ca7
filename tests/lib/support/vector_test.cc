#include <gtest/gtest.h>
#include <support/vector.h>

namespace {

using support::Vector;

struct Counted {
  static inline int live = 0;
  int value = 0;
  Counted() { ++live; }
  explicit Counted(int v) : value(v) { ++live; }
  Counted(Counted&& o) : value(o.value) { ++live; }
  ~Counted() { --live; }
};

TEST(Vector, GrowsKeepingElementsInOrder) {
  Vector<int> v;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(v.try_push(i).is_ok());
  ASSERT_EQ(v.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(v[i], i);
  EXPECT_EQ(v.back(), 999);
}

TEST(Vector, ResizeValueInitialisesAndShrinkDestroys) {
  {
    Vector<Counted> v;
    ASSERT_TRUE(v.try_resize(10).is_ok());
    EXPECT_EQ(Counted::live, 10);
    EXPECT_EQ(v[9].value, 0);
    v.shrink_to(3);
    EXPECT_EQ(Counted::live, 3);
    ASSERT_TRUE(v.try_push(Counted(7)).is_ok());
    EXPECT_EQ(v.back().value, 7);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(Vector, MoveTransfersStorage) {
  Vector<int> a;
  ASSERT_TRUE(a.try_push(5).is_ok());
  Vector<int> b(support::move(a));
  EXPECT_EQ(a.size(), 0u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], 5);
}

TEST(Vector, ImpossibleReservationFailsWithNoMemory) {
  Vector<u64> v;
  auto r = v.try_reserve(~usize{0} / 4);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error(), support::Error::NoMemory);
}

}  // namespace

#include "common/stats/median.h"

#include <gtest/gtest.h>

namespace stats {
namespace {

TEST(Median, OddEvenAndEmpty) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({}), 0);
}

TEST(MedianRatio, ComparesRunsPairByPair) {
  EXPECT_DOUBLE_EQ(MedianRatio({1, 4, 9}, {1, 2, 3}), 2.0);
  EXPECT_DOUBLE_EQ(MedianRatio({2, 2, 8, 30}, {1, 1, 2, 3}), 3.0);
}

TEST(MedianRatio, StopsAtTheShorter) {
  // Ratios 2, 1, 4 (the fourth element of `a` has no pair).
  EXPECT_DOUBLE_EQ(MedianRatio({2, 3, 8, 100}, {1, 3, 2}), 2);
}

TEST(MeanWithoutSlowest, DropsOnlyTheLargestShare) {
  EXPECT_DOUBLE_EQ(MeanWithoutSlowest({1, 2, 3, 4}, 0), 2.5);
  EXPECT_DOUBLE_EQ(MeanWithoutSlowest({4, 100, 1, 3, 2}, 0.2), 2.5) << "one of five dropped: the 100";
  EXPECT_DOUBLE_EQ(MeanWithoutSlowest({4, 100, 1, 3, 2}, 0.1), 22) << "a tenth of five rounds down to none";
  EXPECT_DOUBLE_EQ(MeanWithoutSlowest({7}, 0.9), 7) << "never all of them";
  EXPECT_DOUBLE_EQ(MeanWithoutSlowest({}, 0.01), 0);
}

}  // namespace
}  // namespace stats

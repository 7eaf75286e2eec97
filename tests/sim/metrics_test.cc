// Percentiles and Jain's index (sim/metrics.h).
#include "sim/metrics.h"

#include <vector>

#include <gtest/gtest.h>

namespace stampede::sim {
namespace {

TEST(Percentile, NearestRank) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(Percentile(v, 0.5), 5);
  EXPECT_EQ(Percentile(v, 0.99), 10);
  EXPECT_EQ(Percentile(v, 1.0), 10);
  EXPECT_EQ(Percentile(v, 0.0), 1);
  EXPECT_EQ(Percentile(std::vector<double>{}, 0.5), 0);
  EXPECT_EQ(Percentile(std::vector<double>{4}, 0.99), 4);
}

TEST(JainIndex, EqualSharesAreFairOneHogIsNot) {
  EXPECT_DOUBLE_EQ(JainIndex(std::vector<double>{3, 3, 3, 3}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex(std::vector<double>{1, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(JainIndex(std::vector<double>{}), 1.0);
  EXPECT_NEAR(JainIndex(std::vector<double>{1, 2}), 0.9, 1e-12);
}

}  // namespace
}  // namespace stampede::sim

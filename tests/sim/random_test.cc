// The simulator's PRNG (sim/random.h): reference values, stream independence, and distributions
// whose means match their parameters.
#include "sim/random.h"

#include <cmath>

#include <gtest/gtest.h>

namespace stampede::sim {
namespace {

TEST(SplitMix64, ReferenceSequence) {
  // First outputs for seed 0 from the reference implementation (Vigna, splitmix64.c).
  std::uint64_t state = 0;
  EXPECT_EQ(SplitMix64(state), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(SplitMix64(state), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(SplitMix64(state), 0x06C45D188009454FULL);
}

TEST(Rng, SameSeedSameStreamSameNumbers) {
  Rng a(42, 1);
  Rng b(42, 1);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Next(), b.Next());
}

TEST(Rng, StreamsAndSeedsDiffer) {
  Rng a(42, 1);
  Rng b(42, 2);
  Rng c(43, 1);
  int same_ab = 0;
  int same_ac = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.Next();
    same_ab += x == b.Next();
    same_ac += x == c.Next();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(Rng, BernoulliMatchesProbability) {
  Rng rng(7);
  for (const double p : {0.01, 0.1, 0.3, 0.5}) {
    int hits = 0;
    constexpr int kDraws = 200'000;
    for (int i = 0; i < kDraws; ++i) hits += rng.Bernoulli(p);
    const double observed = static_cast<double>(hits) / kDraws;
    // Five standard deviations of a binomial proportion.
    EXPECT_NEAR(observed, p, 5 * std::sqrt(p * (1 - p) / kDraws)) << p;
  }
  EXPECT_FALSE(rng.Bernoulli(0.0));
  EXPECT_TRUE(rng.Bernoulli(1.0));
}

TEST(Rng, UniformBelowCoversRangeEvenly) {
  Rng rng(9);
  int counts[10] = {};
  for (int i = 0; i < 100'000; ++i) {
    const auto x = rng.UniformBelow(10);
    ASSERT_LT(x, 10u);
    ++counts[x];
  }
  for (const int count : counts) EXPECT_NEAR(count, 10'000, 500);
}

TEST(Rng, UniformDurationIsInclusiveAndBounded) {
  Rng rng(11);
  EXPECT_EQ(rng.UniformDuration(Duration{0}), Duration{0});
  bool saw_max = false;
  for (int i = 0; i < 10'000; ++i) {
    const Duration d = rng.UniformDuration(Duration{3});
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d.count(), 3);
    saw_max |= d.count() == 3;
  }
  EXPECT_TRUE(saw_max);
}

}  // namespace
}  // namespace stampede::sim

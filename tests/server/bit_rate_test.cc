// --rate values (server/bit_rate.h): suffixes, case, the round trip through FormatBitRate.
#include "server/bit_rate.h"

#include <gtest/gtest.h>

namespace stampede::server {
namespace {

TEST(BitRateTest, AcceptsPlainNumbersAndDecimalSuffixes) {
  EXPECT_EQ(ParseBitRate("8000000"), 8'000'000u);
  EXPECT_EQ(ParseBitRate("900M"), 900'000'000u);
  EXPECT_EQ(ParseBitRate("1G"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("1gbit"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("100Mbps"), 100'000'000u);
  EXPECT_EQ(ParseBitRate("2.5G"), 2'500'000'000u);
  EXPECT_EQ(ParseBitRate("64k"), 64'000u);
  EXPECT_EQ(ParseBitRate("0"), 0u);
}

TEST(BitRateTest, RefusesWhatIsNotARate) {
  EXPECT_FALSE(ParseBitRate(""));
  EXPECT_FALSE(ParseBitRate("M"));
  EXPECT_FALSE(ParseBitRate("1MiB"));
  EXPECT_FALSE(ParseBitRate("1X"));
  EXPECT_FALSE(ParseBitRate("-5"));
  EXPECT_FALSE(ParseBitRate("1.5"));  // not a whole number of bits
}

TEST(BitRateTest, FormatReadsBack) {
  for (const std::uint64_t rate : {0ull, 8'000'000ull, 900'000'000ull, 1'000'000'000ull, 1234ull}) {
    EXPECT_EQ(ParseBitRate(FormatBitRate(rate)), rate);
  }
  EXPECT_EQ(FormatBitRate(900'000'000), "900M");
}

}  // namespace
}  // namespace stampede::server

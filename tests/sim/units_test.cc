// Unit-suffix parsing (sim/units.h): accepted spellings, exact values, and clear refusals.
#include "sim/units.h"

#include <gtest/gtest.h>

namespace stampede::sim {
namespace {

using namespace std::chrono_literals;

TEST(ParseBitRate, PlainAndSuffixed) {
  EXPECT_EQ(ParseBitRate("1000000000").value(), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("1Gbit").value(), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("100Mbit").value(), 100'000'000u);
  EXPECT_EQ(ParseBitRate("2.5gbit").value(), 2'500'000'000u);
  EXPECT_EQ(ParseBitRate("10kbps").value(), 10'000u);
  EXPECT_EQ(ParseBitRate("64bit").value(), 64u);
}

TEST(ParseBytes, DecimalAndBinaryUnits) {
  EXPECT_EQ(ParseBytes("1048576").value(), 1048576u);
  EXPECT_EQ(ParseBytes("10MiB").value(), 10u * 1024 * 1024);
  EXPECT_EQ(ParseBytes("1MB").value(), 1'000'000u);
  EXPECT_EQ(ParseBytes("64KiB").value(), 65536u);
  EXPECT_EQ(ParseBytes("1GiB").value(), 1u << 30);
  EXPECT_EQ(ParseBytes("1.5KiB").value(), 1536u);
  EXPECT_EQ(ParseBytes("0").value(), 0u);
}

TEST(ParseDuration, SecondsAndSubunits) {
  EXPECT_EQ(ParseDuration("5ms").value(), 5ms);
  EXPECT_EQ(ParseDuration("250us").value(), 250us);
  EXPECT_EQ(ParseDuration("0.001").value(), 1ms);
  EXPECT_EQ(ParseDuration("2s").value(), 2s);
  EXPECT_EQ(ParseDuration("7ns").value(), 7ns);
}

TEST(ParseFraction, PlainAndPercent) {
  EXPECT_DOUBLE_EQ(ParseFraction("0.01").value(), 0.01);
  EXPECT_DOUBLE_EQ(ParseFraction("1%").value(), 0.01);
  EXPECT_DOUBLE_EQ(ParseFraction("30%").value(), 0.30);
  EXPECT_DOUBLE_EQ(ParseFraction("0").value(), 0.0);
  EXPECT_DOUBLE_EQ(ParseFraction("1").value(), 1.0);
}

TEST(Units, RefusalsCarryAMessage) {
  for (const char* bad :
       {"", "abc", "-1", "+5", " 5", "5 ", "1e3", "0x10", "1.2.3", ".", "5Xbit"}) {
    const auto rate = ParseBitRate(bad);
    ASSERT_FALSE(rate) << bad;
    EXPECT_NE(rate.error().find(bad[0] == '\0' ? "rate" : bad), std::string::npos) << rate.error();
  }
  EXPECT_FALSE(ParseBytes("10mib"));  // byte units are case-sensitive: Mb vs MB differ by 8
  EXPECT_FALSE(ParseBytes("10Mbit"));
  EXPECT_FALSE(ParseDuration("5min"));
  EXPECT_FALSE(ParseDuration("-5ms"));
  EXPECT_FALSE(ParseFraction("101%"));
  EXPECT_FALSE(ParseFraction("1.5"));
  EXPECT_FALSE(ParseFraction("-0.1"));
  EXPECT_FALSE(ParseBytes("99999999999999999999999"));
}

TEST(FormatDuration, RoundTrips) {
  for (const Duration d : {Duration{0}, Duration{1}, Duration{250'000}, Duration{5'000'000},
                           Duration{3'000'000'000}, Duration{1'234'567}}) {
    EXPECT_EQ(ParseDuration(FormatDuration(d)).value(), d) << FormatDuration(d);
  }
}

}  // namespace
}  // namespace stampede::sim

// Quantity parsing (base/units.h): every spelling the server's `--rate` and the simulator's flags
// accepted before they shared one parser, exact values, round trips, and refusals that name the text.
#include "base/units.h"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace stampede::base {
namespace {

using namespace std::chrono_literals;

TEST(ParseBitRate, PlainNumbersAndBareDecimalPrefixes) {
  EXPECT_EQ(ParseBitRate("8000000"), 8'000'000u);
  EXPECT_EQ(ParseBitRate("1000000000"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("900M"), 900'000'000u);
  EXPECT_EQ(ParseBitRate("900m"), 900'000'000u);
  EXPECT_EQ(ParseBitRate("1G"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("2.5G"), 2'500'000'000u);
  EXPECT_EQ(ParseBitRate("64k"), 64'000u);
  EXPECT_EQ(ParseBitRate("64K"), 64'000u);
  EXPECT_EQ(ParseBitRate("3T"), 3'000'000'000'000u);
  EXPECT_EQ(ParseBitRate("0"), 0u);
}

TEST(ParseBitRate, BitAndBpsForms) {
  EXPECT_EQ(ParseBitRate("1gbit"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("1Gbit"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("1GBIT"), 1'000'000'000u);
  EXPECT_EQ(ParseBitRate("100Mbit"), 100'000'000u);
  EXPECT_EQ(ParseBitRate("100Mbps"), 100'000'000u);
  EXPECT_EQ(ParseBitRate("2.5gbit"), 2'500'000'000u);
  EXPECT_EQ(ParseBitRate("10kbps"), 10'000u);
  EXPECT_EQ(ParseBitRate("1tbit"), 1'000'000'000'000u);
  EXPECT_EQ(ParseBitRate("1Tbps"), 1'000'000'000'000u);
  EXPECT_EQ(ParseBitRate("64bit"), 64u);
  EXPECT_EQ(ParseBitRate("64bps"), 64u);
}

TEST(ParseBitRate, FractionsAreExact) {
  // Computed in integers: 1.001 x 10^9 is 1001000000, not one bit off.
  EXPECT_EQ(ParseBitRate("1.001G"), 1'001'000'000u);
  EXPECT_EQ(ParseBitRate("0.1k"), 100u);
  EXPECT_EQ(ParseBitRate("1.000000000001T"), 1'000'000'000'001u);
  EXPECT_EQ(ParseBitRate("1.50k"), 1'500u);
  EXPECT_EQ(ParseBitRate("7."), 7u);
  EXPECT_EQ(ParseBitRate(".5k"), 500u);
}

TEST(ParseBitRate, RefusesWhatIsNotARate) {
  for (const char* bad : {"", "M", "bit", "1MiB", "1X", "-5", "+5", " 5", "5 ", "1e3", "0x10",
                          "1.2.3", ".", "5Xbit", "1Gfoo", "1Mb", "1kbits", "1 Mbit"}) {
    const auto rate = ParseBitRate(bad);
    ASSERT_FALSE(rate) << bad;
    EXPECT_NE(rate.error().find("rate '" + std::string(bad) + "'"), std::string::npos)
        << rate.error();
  }
  EXPECT_EQ(ParseBitRate("1Gfoo").error(),
            "invalid rate '1Gfoo': unknown unit 'Gfoo' (accepted: k, M, G, T (powers of 1000), "
            "each optionally followed by bit or bps, any case; e.g. 8000000, 900M, 1Gbit, "
            "100Mbps)");
}

TEST(ParseBitRate, RefusesFractionsOfABitAndHugeRates) {
  // Not a whole number of bits: a typo for "1.5G" more likely than a rate of 1.5 bit/s.
  EXPECT_EQ(ParseBitRate("1.5").error(), "invalid rate '1.5': not a whole number of bits per second");
  EXPECT_FALSE(ParseBitRate("0.0001k"));
  EXPECT_EQ(ParseBitRate("1000T"), 1'000'000'000'000'000u);
  EXPECT_EQ(ParseBitRate("1001T").error(), "invalid rate '1001T': too large (at most 1000T)");
  EXPECT_FALSE(ParseBitRate("1000000000000000001"));
  EXPECT_FALSE(ParseBitRate("99999999999999999999999"));
}

TEST(FormatBitRate, ShortestFormReadsBack) {
  for (const std::uint64_t rate :
       {0ull, 1ull, 1234ull, 64'000ull, 8'000'000ull, 900'000'000ull, 1'000'000'000ull,
        2'500'000'000ull, 3'000'000'000'000ull, 1'000'000'000'000'000ull}) {
    EXPECT_EQ(ParseBitRate(FormatBitRate(rate)), rate) << FormatBitRate(rate);
  }
  EXPECT_EQ(FormatBitRate(900'000'000), "900M");
  EXPECT_EQ(FormatBitRate(1'000'000'000), "1G");
  EXPECT_EQ(FormatBitRate(2'500'000'000), "2500M");
  EXPECT_EQ(FormatBitRate(1234), "1234");
  EXPECT_EQ(FormatBitRate(0), "0");
}

TEST(ParseBytes, DecimalAndBinaryUnits) {
  EXPECT_EQ(ParseBytes("1048576").value(), 1048576u);
  EXPECT_EQ(ParseBytes("10MiB").value(), 10u * 1024 * 1024);
  EXPECT_EQ(ParseBytes("1MB").value(), 1'000'000u);
  EXPECT_EQ(ParseBytes("64KiB").value(), 65536u);
  EXPECT_EQ(ParseBytes("1GiB").value(), 1u << 30);
  EXPECT_EQ(ParseBytes("1.5KiB").value(), 1536u);
  EXPECT_EQ(ParseBytes("0").value(), 0u);
  EXPECT_EQ(ParseBytes("5B").value(), 5u);
  EXPECT_EQ(ParseBytes("64k").value(), 64'000u);
  EXPECT_EQ(ParseBytes("64K").value(), 64'000u);
  EXPECT_EQ(ParseBytes("2kB").value(), 2'000u);
  EXPECT_EQ(ParseBytes("2KB").value(), 2'000u);
  EXPECT_EQ(ParseBytes("3M").value(), 3'000'000u);
  EXPECT_EQ(ParseBytes("1G").value(), 1'000'000'000u);
  EXPECT_EQ(ParseBytes("2GB").value(), 2'000'000'000u);
  EXPECT_EQ(ParseBytes("18446744073709551615").value(), UINT64_MAX);
}

TEST(ParseBytes, Refusals) {
  EXPECT_FALSE(ParseBytes("10mib"));  // byte units are case-sensitive: Mb vs MB differ by 8
  EXPECT_FALSE(ParseBytes("10Mbit"));
  EXPECT_FALSE(ParseBytes("5Q"));
  EXPECT_FALSE(ParseBytes("-5"));
  EXPECT_EQ(ParseBytes("0.5B").error(), "invalid size '0.5B': not a whole number of bytes");
  EXPECT_FALSE(ParseBytes("1.1KiB"));  // 1126.4 bytes
  EXPECT_EQ(ParseBytes("99999999999999999999999").error(),
            "invalid size '99999999999999999999999': too large");
  EXPECT_FALSE(ParseBytes("18446744073709551616"));
  EXPECT_FALSE(ParseBytes("17179869184GiB"));  // 2^64
  const auto unknown = ParseBytes("5Q");
  EXPECT_NE(unknown.error().find("unknown unit 'Q'"), std::string::npos) << unknown.error();
}

TEST(ParseDuration, SecondsAndSubunits) {
  EXPECT_EQ(ParseDuration("5ms").value(), 5ms);
  EXPECT_EQ(ParseDuration("5MS").value(), 5ms);
  EXPECT_EQ(ParseDuration("250us").value(), 250us);
  EXPECT_EQ(ParseDuration("0.001").value(), 1ms);
  EXPECT_EQ(ParseDuration("2s").value(), 2s);
  EXPECT_EQ(ParseDuration("7ns").value(), 7ns);
  EXPECT_EQ(ParseDuration("0").value(), 0ns);
}

TEST(ParseDuration, Refusals) {
  EXPECT_FALSE(ParseDuration("5min"));
  EXPECT_FALSE(ParseDuration("-5ms"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_EQ(ParseDuration("2000000000s").error(),
            "invalid duration '2000000000s': too long (at most 1e9 s)");
  EXPECT_NE(ParseDuration("5min").error().find("'5min'"), std::string::npos);
}

TEST(ParseFraction, PlainAndPercent) {
  EXPECT_DOUBLE_EQ(ParseFraction("0.01").value(), 0.01);
  EXPECT_DOUBLE_EQ(ParseFraction("1%").value(), 0.01);
  EXPECT_DOUBLE_EQ(ParseFraction("30%").value(), 0.30);
  EXPECT_DOUBLE_EQ(ParseFraction("0").value(), 0.0);
  EXPECT_DOUBLE_EQ(ParseFraction("1").value(), 1.0);
}

TEST(ParseFraction, Refusals) {
  EXPECT_FALSE(ParseFraction("101%"));
  EXPECT_FALSE(ParseFraction("1.5"));
  EXPECT_FALSE(ParseFraction("-0.1"));
  EXPECT_FALSE(ParseFraction("1 %"));
  EXPECT_EQ(ParseFraction("150%").error(), "invalid probability '150%': above 1 (100%)");
}

TEST(FormatDuration, RoundTrips) {
  for (const Duration d : {Duration{0}, Duration{1}, Duration{250'000}, Duration{5'000'000},
                           Duration{3'000'000'000}, Duration{1'234'567}}) {
    EXPECT_EQ(ParseDuration(FormatDuration(d)).value(), d) << FormatDuration(d);
  }
  EXPECT_EQ(FormatDuration(5ms), "5ms");
  EXPECT_EQ(FormatDuration(250us), "250us");
  EXPECT_EQ(FormatDuration(3s), "3s");
  EXPECT_EQ(FormatDuration(Duration{1'234'567}), "1234567ns");
}

// Every fraction comes back exactly, the tiny ones included: ParseFraction refuses "1e-05", the
// shortest general form of 0.00001.
TEST(FormatFraction, RoundTripsWithoutAnExponent) {
  for (const double p : {0.0, 1.0, 0.01, 0.05, 0.1, 0.3, 1.0 / 3, 0.999999999999, 1e-5, 1e-9,
                         2.5e-7, 1.234567890123e-15, std::nextafter(1.0, 0.0),
                         std::numeric_limits<double>::min(),
                         std::numeric_limits<double>::denorm_min()}) {
    const std::string text = FormatFraction(p);
    EXPECT_EQ(text.find_first_of("eE"), std::string::npos) << text;
    const auto back = ParseFraction(text);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(*back, p) << text;
  }
  EXPECT_EQ(FormatFraction(0.0), "0");
  EXPECT_EQ(FormatFraction(1.0), "1");
  EXPECT_EQ(FormatFraction(0.01), "0.01");
  EXPECT_EQ(FormatFraction(1e-5), "0.00001");
  EXPECT_EQ(FormatFraction(2.5e-7), "0.00000025");
}

}  // namespace
}  // namespace stampede::base

// Option helpers: strict decimal parsing (PROTOCOL C16-17), case-insensitive names (C21), and
// OptionList's duplicate (C22) and capacity (C26) rules; plus the standard error messages.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "wire/error_code.h"
#include "wire/options.h"

namespace stampede::wire {
namespace {

struct DecimalCase {
  std::string_view item;
  std::string_view text;
  std::uint64_t max;
  std::optional<std::uint64_t> expected;
};

TEST(ParseDecimal, Table) {
  const std::vector<DecimalCase> cases = {
      {"plain", "512", 65464, 512},
      {"zero", "0", 65464, 0},
      {"at max", "65464", 65464, 65464},
      {"C16 above max", "65465", 65464, std::nullopt},
      {"C16 20 nines", "99999999999999999999", UINT64_MAX, std::nullopt},
      {"C16 23 digits", "99999999999999999999999", UINT64_MAX, std::nullopt},
      {"uint64 max", "18446744073709551615", UINT64_MAX, UINT64_MAX},
      {"uint64 max + 1", "18446744073709551616", UINT64_MAX, std::nullopt},
      {"E50 5 GiB tsize", "5368709120", UINT64_MAX, 5368709120ull},
      {"C17 minus", "-1", UINT64_MAX, std::nullopt},
      {"C17 plus", "+512", UINT64_MAX, std::nullopt},
      {"C17 hex", "0x200", UINT64_MAX, std::nullopt},
      {"C17 leading space", " 512", UINT64_MAX, std::nullopt},
      {"C17 trailing space", "512 ", UINT64_MAX, std::nullopt},
      {"C17 exponent", "5e2", UINT64_MAX, std::nullopt},
      {"empty", "", UINT64_MAX, std::nullopt},
      {"digit above a small max", "7", 5, std::nullopt},
      {"max zero", "0", 0, 0},
      {"max zero refuses one", "1", 0, std::nullopt},
      {"leading zeros", "0512", 65464, 512},
      {"C19 timeout 256", "256", 255, std::nullopt},
      {"C19 timeout 255", "255", 255, 255},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.item);
    EXPECT_EQ(ParseDecimal(c.text, c.max), c.expected);
  }
}

RC_GTEST_PROP(ParseDecimalProperty, AgreesWithToString, (std::uint64_t value, std::uint64_t max)) {
  const auto parsed = ParseDecimal(std::to_string(value), max);
  if (value <= max) {
    RC_ASSERT(parsed == std::optional<std::uint64_t>(value));
  } else {
    RC_ASSERT(!parsed.has_value());
  }
}

TEST(EqualsIgnoreCase, AsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("BLKSIZE", "blksize"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("blksize", "blksizeX"));  // C21
  EXPECT_FALSE(EqualsIgnoreCase("blksize", "blksizf"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc4", "\xe4"));  // no folding outside ASCII
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));        // neighbours of the letter ranges
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));
}

TEST(OptionList, FindIgnoresCase) {
  OptionList list;
  EXPECT_TRUE(list.Add("BlkSize", "1428"));
  ASSERT_NE(list.Find("blksize"), nullptr);
  EXPECT_EQ(list.Find("BLKSIZE")->name, "BlkSize");  // kept as received
  EXPECT_EQ(list.Find("tsize"), nullptr);
}

TEST(OptionList, C22DuplicateKeepsTheFirst) {
  OptionList list;
  EXPECT_TRUE(list.Add("blksize", "512"));
  EXPECT_FALSE(list.Add("BLKSIZE", "1024"));
  EXPECT_FALSE(list.Add("blksize", "512"));
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(list.duplicates(), 2u);
  EXPECT_EQ(list.Find("blksize")->value, "512");
}

TEST(OptionList, C26CapacityCountsDropped) {
  OptionList list;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("opt" + std::to_string(i));
  for (const auto& name : names) list.Add(name, "1");
  EXPECT_EQ(list.size(), OptionList::kCapacity);
  EXPECT_EQ(list.dropped(), 40 - OptionList::kCapacity);
  EXPECT_FALSE(list.Add("OPT0", "2"));  // a duplicate of a stored name is a duplicate
  EXPECT_EQ(list.duplicates(), 1u);
  EXPECT_EQ(list.items().back().name, "opt31");
}

TEST(ErrorCode, StandardMessages) {
  EXPECT_EQ(StandardMessage(ErrorCode::kNotDefined), "Not defined");
  EXPECT_EQ(StandardMessage(ErrorCode::kFileNotFound), "File not found");
  EXPECT_EQ(StandardMessage(ErrorCode::kAccessViolation), "Access violation");
  EXPECT_EQ(StandardMessage(ErrorCode::kDiskFull), "Disk full or allocation exceeded");
  EXPECT_EQ(StandardMessage(ErrorCode::kIllegalOperation), "Illegal TFTP operation");
  EXPECT_EQ(StandardMessage(ErrorCode::kUnknownTransferId), "Unknown transfer ID");
  EXPECT_EQ(StandardMessage(ErrorCode::kFileExists), "File already exists");
  EXPECT_EQ(StandardMessage(ErrorCode::kNoSuchUser), "No such user");
  EXPECT_EQ(StandardMessage(ErrorCode::kOptionRefused), "Option negotiation failed");
  EXPECT_EQ(StandardMessage(static_cast<ErrorCode>(9)), "Undefined error code");
  EXPECT_EQ(StandardMessage(static_cast<ErrorCode>(0xffff)), "Undefined error code");
}

}  // namespace
}  // namespace stampede::wire

// Option negotiation: Negotiate() (server) and AcceptOack() (client) against RFC
// 2347/2348/2349/7440 and the protocol guide's items C16-C26 and H65-H69.
#include "transfer/negotiation.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace stampede::transfer {
namespace {

using wire::ErrorCode;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// Owns the strings a wire::Request views.
struct OwnedRequest {
  Pairs pairs;
  wire::Request request;

  OwnedRequest(wire::Opcode opcode, wire::Mode mode, Pairs p) : pairs(std::move(p)) {
    request.opcode = opcode;
    request.filename = "file";
    request.mode = mode;
    for (const auto& [name, value] : pairs) request.options.Add(name, value);
  }
};

std::unique_ptr<OwnedRequest> Rrq(Pairs pairs, wire::Mode mode = wire::Mode::kOctet) {
  return std::make_unique<OwnedRequest>(wire::Opcode::kRrq, mode, std::move(pairs));
}
std::unique_ptr<OwnedRequest> Wrq(Pairs pairs) {
  return std::make_unique<OwnedRequest>(wire::Opcode::kWrq, wire::Mode::kOctet, std::move(pairs));
}

Pairs OackPairs(const OackContents& oack) {
  Pairs out;
  for (const auto& o : oack.options()) out.emplace_back(o.name, o.value);
  return out;
}

Negotiated MustNegotiate(const OwnedRequest& r, const OptionPolicy& policy = {},
                         std::optional<std::uint64_t> size = 1000) {
  auto result = Negotiate(r.request, policy, size);
  EXPECT_TRUE(result.has_value());
  return result.value_or(Negotiated{});
}

struct BlksizeCase {
  const char* item;
  const char* value;
  std::optional<std::uint16_t> echoed;  // nullopt: omitted from the OACK
};

class BlksizeTest : public ::testing::TestWithParam<BlksizeCase> {};

TEST_P(BlksizeTest, EchoOrOmit) {
  const auto& c = GetParam();
  SCOPED_TRACE(c.item);
  auto r = Rrq({{"blksize", c.value}});
  const Negotiated n = MustNegotiate(*r);
  if (c.echoed) {
    EXPECT_EQ(OackPairs(n.oack), (Pairs{{"blksize", std::to_string(*c.echoed)}}));
    EXPECT_EQ(n.options.blksize, *c.echoed);
  } else {
    EXPECT_TRUE(n.oack.empty());
    EXPECT_EQ(n.options.blksize, 512);
  }
}

INSTANTIATE_TEST_SUITE_P(
    ProtocolC16C17, BlksizeTest,
    ::testing::Values(
        BlksizeCase{"RFC 2348 minimum", "8", 8}, BlksizeCase{"plain", "1428", 1428},
        BlksizeCase{"at policy max", "1468", 1468}, BlksizeCase{"C16 7 omitted", "7", std::nullopt},
        BlksizeCase{"C16 0 omitted", "0", std::nullopt},
        BlksizeCase{"C16 65465 clamped", "65465", 1468},
        BlksizeCase{"C16 65464 clamped", "65464", 1468},
        BlksizeCase{"C16 huge clamped", "99999999999999999999", 1468},
        BlksizeCase{"C16 beyond uint64 clamped", "999999999999999999999999999", 1468},
        BlksizeCase{"C17 -1", "-1", std::nullopt}, BlksizeCase{"C17 +512", "+512", std::nullopt},
        BlksizeCase{"C17 0x200", "0x200", std::nullopt},
        BlksizeCase{"C17 leading space", " 512", std::nullopt},
        BlksizeCase{"C17 trailing space", "512 ", std::nullopt},
        BlksizeCase{"C17 exponent", "5e2", std::nullopt},
        BlksizeCase{"C16 leading zeros are not huge", "0000000000000000000000512", 512},
        BlksizeCase{"C16 leading zeros then huge", "00000000000000000000070000", 1468},
        BlksizeCase{"C16 just above uint64", "18446744073709551616", 1468},
        BlksizeCase{"empty value", "", std::nullopt}));

TEST(Negotiate, BlksizeClampsToConfiguredMaximumUpTo65464) {
  OptionPolicy policy;
  policy.blksize_max = 65464;
  auto r = Rrq({{"blksize", "65464"}});
  EXPECT_EQ(MustNegotiate(*r, policy).options.blksize, 65464);
  auto big = Rrq({{"blksize", "70000"}});
  EXPECT_EQ(MustNegotiate(*big, policy).options.blksize, 65464);
}

TEST(Negotiate, C18SmallBlksizeWithTimeoutAndTsizeIsValid) {
  OptionPolicy policy;
  policy.timeout_honoured = true;
  auto r = Rrq({{"blksize", "8"}, {"timeout", "3"}, {"tsize", "0"}});
  const Negotiated n = MustNegotiate(*r, policy, 12345);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"blksize", "8"}, {"timeout", "3"}, {"tsize", "12345"}}));
  EXPECT_EQ(n.options.fixed_timeout, std::chrono::seconds(3));
}

TEST(Negotiate, TimeoutDeclinedByDefault) {
  // The adaptive timer stays in charge unless the operator asks for RFC 2349 obedience.
  auto r = Rrq({{"timeout", "1"}});
  const Negotiated n = MustNegotiate(*r);
  EXPECT_TRUE(n.oack.empty());
  EXPECT_FALSE(n.options.fixed_timeout.has_value());
}

TEST(Negotiate, C19TimeoutBoundsWhenHonoured) {
  OptionPolicy policy;
  policy.timeout_honoured = true;
  for (const char* bad : {"0", "256", "-1", "1.5", ""}) {
    SCOPED_TRACE(bad);
    auto r = Rrq({{"timeout", bad}});
    EXPECT_TRUE(MustNegotiate(*r, policy).oack.empty());
  }
  for (const char* good : {"1", "255"}) {
    SCOPED_TRACE(good);
    auto r = Rrq({{"timeout", good}});
    EXPECT_EQ(OackPairs(MustNegotiate(*r, policy).oack), (Pairs{{"timeout", good}}));
  }
  policy.timeout_min_s = 2;
  policy.timeout_max_s = 5;
  auto low = Rrq({{"timeout", "1"}});
  EXPECT_TRUE(MustNegotiate(*low, policy).oack.empty());
  auto high = Rrq({{"timeout", "6"}});
  EXPECT_TRUE(MustNegotiate(*high, policy).oack.empty());
}

TEST(Negotiate, C20UtimeoutOnlyWhenEnabled) {
  auto r = Rrq({{"utimeout", "255000000"}});
  EXPECT_TRUE(MustNegotiate(*r).oack.empty());  // CVE-2011-2199 value: omitted by default
  OptionPolicy policy;
  policy.timeout_honoured = true;
  policy.utimeout_honoured = true;
  auto ok = Rrq({{"utimeout", "20000"}});
  const Negotiated n = MustNegotiate(*ok, policy);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"utimeout", "20000"}}));
  EXPECT_EQ(n.options.fixed_timeout, std::chrono::microseconds(20000));
  auto small = Rrq({{"utimeout", "9999"}});
  EXPECT_TRUE(MustNegotiate(*small, policy).oack.empty());
  auto huge = Rrq({{"utimeout", "255000001"}});
  EXPECT_TRUE(MustNegotiate(*huge, policy).oack.empty());
}

TEST(Negotiate, C20C21UnknownOptionsOmittedNeverAnError) {
  auto r = Rrq({{"multicast", ""},
                {"foo", "1"},
                {"blksizeX", "1428"},
                {"xblksize", "1428"},
                {"foo_blksize_bar", "1428"},
                {"BLKSIZE", "1428"}});
  const Negotiated n = MustNegotiate(*r);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"BLKSIZE", "1428"}}));  // the client's own spelling
}

TEST(Negotiate, C23Windowsize) {
  struct Case {
    const char* value;
    std::optional<std::uint16_t> echoed;
  };
  for (const Case& c : {Case{"0", std::nullopt}, Case{"1", 1}, Case{"16", 16}, Case{"64", 64},
                        Case{"65535", 64}, Case{"65536", std::nullopt}, Case{"-4", std::nullopt}}) {
    SCOPED_TRACE(c.value);
    auto r = Rrq({{"windowsize", c.value}});
    const Negotiated n = MustNegotiate(*r);
    if (c.echoed) {
      EXPECT_EQ(OackPairs(n.oack), (Pairs{{"windowsize", std::to_string(*c.echoed)}}));
      EXPECT_EQ(n.options.windowsize, *c.echoed);
    } else {
      EXPECT_TRUE(n.oack.empty());
      EXPECT_EQ(n.options.windowsize, 1);
    }
  }
}

TEST(Negotiate, C23C24NetasciiOmitsWindowsizeAndTsize) {
  auto r = Rrq({{"windowsize", "8"}, {"tsize", "0"}, {"blksize", "1024"}}, wire::Mode::kNetascii);
  const Negotiated n = MustNegotiate(*r);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"blksize", "1024"}}));
  EXPECT_EQ(n.options.windowsize, 1);
  EXPECT_FALSE(n.options.tsize.has_value());
}

TEST(Negotiate, C24TsizeInRrqAnswersTheRealSize) {
  auto r = Rrq({{"tsize", "123"}});
  EXPECT_EQ(OackPairs(MustNegotiate(*r, {}, 4096).oack), (Pairs{{"tsize", "4096"}}));
  auto unknown = Rrq({{"tsize", "0"}});
  EXPECT_TRUE(MustNegotiate(*unknown, {}, std::nullopt).oack.empty());
  auto malformed = Rrq({{"tsize", "abc"}});
  EXPECT_TRUE(MustNegotiate(*malformed).oack.empty());
}

TEST(Negotiate, E50TsizeIs64Bit) {
  auto r = Rrq({{"tsize", "0"}});
  const Negotiated n = MustNegotiate(*r, {}, 5368709120ULL);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"tsize", "5368709120"}}));
  EXPECT_EQ(n.options.tsize, 5368709120ULL);
}

TEST(Negotiate, C25WrqTsizeAboveCapIsDiskFull) {
  OptionPolicy policy;
  policy.upload_size_max = 1'000'000;
  auto big = Wrq({{"tsize", "99999999999"}});
  auto result = Negotiate(big->request, policy, std::nullopt);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), ErrorCode::kDiskFull);
  auto ok = Wrq({{"tsize", "1000000"}});
  EXPECT_EQ(OackPairs(MustNegotiate(*ok, policy, std::nullopt).oack),
            (Pairs{{"tsize", "1000000"}}));
}

TEST(Negotiate, RolloverAcceptsZeroOrOne) {
  auto one = Rrq({{"rollover", "1"}});
  EXPECT_EQ(MustNegotiate(*one).options.rollover, wire::Rollover::kToOne);
  auto zero = Rrq({{"rollover", "0"}});
  EXPECT_EQ(OackPairs(MustNegotiate(*zero).oack), (Pairs{{"rollover", "0"}}));
  auto two = Rrq({{"rollover", "2"}});
  EXPECT_TRUE(MustNegotiate(*two).oack.empty());
}

TEST(Negotiate, EveryOptionCanBeDisabled) {
  OptionPolicy policy;
  policy.blksize_enabled = false;
  policy.windowsize_enabled = false;
  policy.tsize_enabled = false;
  policy.rollover_enabled = false;
  auto r = Rrq({{"blksize", "1024"},
                {"windowsize", "4"},
                {"tsize", "0"},
                {"rollover", "1"},
                {"timeout", "2"}});
  const Negotiated n = MustNegotiate(*r, policy);
  EXPECT_TRUE(n.oack.empty());
  EXPECT_EQ(n.options.blksize, 512);
  EXPECT_EQ(n.options.windowsize, 1);
}

TEST(Negotiate, OackFollowsRequestOrder) {
  auto r = Rrq({{"tsize", "0"}, {"windowsize", "4"}, {"blksize", "1024"}});
  EXPECT_EQ(OackPairs(MustNegotiate(*r, {}, 7).oack),
            (Pairs{{"tsize", "7"}, {"windowsize", "4"}, {"blksize", "1024"}}));
}

TEST(Negotiate, C22DuplicateKeepsFirst) {
  auto r = Rrq({{"blksize", "512"}, {"BlkSize", "1024"}});
  const Negotiated n = MustNegotiate(*r);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"blksize", "512"}}));
  EXPECT_EQ(r->request.options.duplicates(), 1u);
}

TEST(OackContents, CopyOwnsItsStorage) {
  std::optional<OackContents> copy;
  {
    auto source = std::make_unique<OackContents>();
    source->Add("blksize", 1468);
    source->Add("tsize", 5368709120ULL);
    copy = *source;
    OackContents assigned;
    assigned = *source;
    source.reset();  // under ASan, any view into the source would now fault
    EXPECT_EQ(OackPairs(assigned), (Pairs{{"blksize", "1468"}, {"tsize", "5368709120"}}));
  }
  EXPECT_EQ(OackPairs(*copy), (Pairs{{"blksize", "1468"}, {"tsize", "5368709120"}}));
}

TEST(Negotiate, DegeneratePolicyMaximumDeclinesBlksize) {
  // A configured maximum below RFC 2348's minimum admits no block size: decline, never answer 0.
  OptionPolicy policy;
  policy.blksize_max = 4;
  auto r = Rrq({{"blksize", "1024"}});
  const Negotiated n = MustNegotiate(*r, policy);
  EXPECT_TRUE(n.oack.empty());
  EXPECT_EQ(n.options.blksize, 512);
}

TEST(Negotiate, C19TimeoutWithLeadingZerosEchoesTheValue) {
  OptionPolicy policy;
  policy.timeout_honoured = true;
  auto r = Rrq({{"timeout", "0000000000000000000000003"}});
  const Negotiated n = MustNegotiate(*r, policy);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"timeout", "3"}}));
  EXPECT_EQ(n.options.fixed_timeout, std::chrono::seconds(3));
}

TEST(Negotiate, C20FirstAcceptedTimeoutWins) {
  OptionPolicy policy;
  policy.timeout_honoured = true;
  policy.utimeout_honoured = true;
  auto r = Rrq({{"timeout", "0"}, {"utimeout", "50000"}, {"TIMEOUT2", "1"}});
  EXPECT_EQ(OackPairs(MustNegotiate(*r, policy).oack), (Pairs{{"utimeout", "50000"}}));
  auto both = Rrq({{"timeout", "2"}, {"utimeout", "50000"}});
  const Negotiated n = MustNegotiate(*both, policy);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"timeout", "2"}}));
  EXPECT_EQ(n.options.fixed_timeout, std::chrono::seconds(2));
  policy.utimeout_honoured = false;
  auto off = Rrq({{"utimeout", "50000"}});
  EXPECT_TRUE(MustNegotiate(*off, policy).oack.empty());  // C20: utimeout needs its own switch
  policy.utimeout_honoured = true;
  policy.timeout_honoured = false;
  EXPECT_TRUE(MustNegotiate(*off, policy).oack.empty());  // and the RFC 2349 one
}

TEST(Negotiate, C25WrqTsizeBeyond64BitsIsDiskFullEvenWithoutCap) {
  auto r = Wrq({{"tsize", "99999999999999999999999"}});
  auto result = Negotiate(r->request, {}, std::nullopt);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), ErrorCode::kDiskFull);
  auto exact = Wrq({{"tsize", "18446744073709551615"}});
  EXPECT_EQ(MustNegotiate(*exact, {}, std::nullopt).options.tsize, UINT64_MAX);
  auto malformed = Wrq({{"tsize", "12k"}});
  const Negotiated n = MustNegotiate(*malformed, {}, std::nullopt);
  EXPECT_TRUE(n.oack.empty());
  EXPECT_FALSE(n.options.tsize.has_value());
}

TEST(Negotiate, C25WrqTsizeIgnoresFileSizeAndEchoesTheClient) {
  auto r = Wrq({{"tsize", "4096"}, {"blksize", "1024"}});
  const Negotiated n = MustNegotiate(*r, {}, 7);
  EXPECT_EQ(OackPairs(n.oack), (Pairs{{"tsize", "4096"}, {"blksize", "1024"}}));
  EXPECT_EQ(n.options.tsize, 4096u);
}

TEST(Negotiate, NothingAcceptedMeansNoOack) {
  auto r = Rrq({{"foo", "1"}, {"blksize", "7"}, {"windowsize", "0"}});
  const Negotiated n = MustNegotiate(*r);
  EXPECT_TRUE(n.oack.empty());  // RFC 1350 start: DATA 1 (RRQ) or ACK 0 (WRQ)
  EXPECT_EQ(n.options.blksize, 512);
  EXPECT_EQ(n.options.windowsize, 1);
  EXPECT_FALSE(n.options.tsize.has_value());
  EXPECT_FALSE(n.options.fixed_timeout.has_value());
  EXPECT_EQ(n.options.rollover, wire::Rollover::kToZero);
}

TEST(Negotiate, OackNeverPointsIntoTheRequest) {
  std::optional<Negotiated> kept;
  {
    auto r = Rrq({{"BlkSize", "1024"}, {"rollover", "1"}});
    kept = MustNegotiate(*r);
  }  // the request's strings are gone; ASan would fault on a view into them
  EXPECT_EQ(OackPairs(kept->oack), (Pairs{{"BlkSize", "1024"}, {"rollover", "1"}}));
}

TEST(OackContents, MovedCopyOwnsItsStorage) {
  std::vector<OackContents> kept;
  {
    OackContents source;
    source.Add("windowsize", 16);
    source.Add("rollover", 0);
    kept.push_back(std::move(source));
    kept.reserve(64);  // relocates the element: views must follow it
  }
  EXPECT_EQ(OackPairs(kept.front()), (Pairs{{"windowsize", "16"}, {"rollover", "0"}}));
}

// ---- Client side ------------------------------------------------------------------------------

struct OwnedLists {
  Pairs requested_pairs;
  Pairs oack_pairs;
  wire::OptionList requested;
  wire::OptionList oack;
  OwnedLists(Pairs r, Pairs o) : requested_pairs(std::move(r)), oack_pairs(std::move(o)) {
    for (const auto& [n, v] : requested_pairs) requested.Add(n, v);
    for (const auto& [n, v] : oack_pairs) oack.Add(n, v);
  }
};

tl::expected<TransferOptions, ErrorCode> Accept(Pairs requested, Pairs oack,
                                                std::uint64_t max = UINT64_MAX) {
  OwnedLists lists(std::move(requested), std::move(oack));
  return AcceptOack(lists.requested, lists.oack, max);
}

TEST(AcceptOack, H65LargerBlksizeThanAskedIsRefused) {
  auto r = Accept({{"blksize", "1024"}}, {{"blksize", "1468"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ErrorCode::kOptionRefused);
  auto smaller = Accept({{"blksize", "1468"}}, {{"blksize", "1024"}});
  ASSERT_TRUE(smaller.has_value());
  EXPECT_EQ(smaller->blksize, 1024);
  EXPECT_FALSE(Accept({{"blksize", "1468"}}, {{"blksize", "7"}}).has_value());
}

TEST(AcceptOack, H66UnrequestedOptionIsRefused) {
  EXPECT_EQ(Accept({{"blksize", "1024"}}, {{"windowsize", "16"}}).error(),
            ErrorCode::kOptionRefused);
  EXPECT_EQ(Accept({{"blksize", "1024"}}, {{"foo", "1"}}).error(), ErrorCode::kOptionRefused);
}

TEST(AcceptOack, H67MissingBlksizeMeans512) {
  auto r = Accept({{"blksize", "256"}, {"tsize", "0"}}, {{"tsize", "100"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->blksize, 512);
  EXPECT_EQ(r->tsize, 100u);
}

TEST(AcceptOack, H68Tsize) {
  EXPECT_EQ(Accept({{"tsize", "0"}}, {{"tsize", "-5"}}).error(), ErrorCode::kOptionRefused);
  EXPECT_EQ(Accept({{"tsize", "0"}}, {{"tsize", "abc"}}).error(), ErrorCode::kOptionRefused);
  EXPECT_EQ(Accept({{"tsize", "0"}}, {{"tsize", "1001"}}, 1000).error(), ErrorCode::kDiskFull);
  EXPECT_TRUE(Accept({{"tsize", "0"}}, {{"tsize", "1000"}}, 1000).has_value());
}

TEST(AcceptOack, H69MalformedRequestedValueIsRefused) {
  EXPECT_EQ(Accept({{"blksize", "1024"}}, {{"blksize", "1O24"}}).error(),
            ErrorCode::kOptionRefused);
  EXPECT_EQ(Accept({{"windowsize", "8"}}, {{"windowsize", "0"}}).error(),
            ErrorCode::kOptionRefused);
  EXPECT_EQ(Accept({{"windowsize", "8"}}, {{"windowsize", "9"}}).error(),
            ErrorCode::kOptionRefused);
  EXPECT_EQ(Accept({{"rollover", "1"}}, {{"rollover", "2"}}).error(), ErrorCode::kOptionRefused);
}

TEST(AcceptOack, TimeoutMustEqualTheRequest) {
  EXPECT_EQ(Accept({{"timeout", "2"}}, {{"timeout", "3"}}).error(), ErrorCode::kOptionRefused);
  auto ok = Accept({{"timeout", "2"}}, {{"TIMEOUT", "2"}});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->fixed_timeout, std::chrono::seconds(2));
}

TEST(AcceptOack, EmptyOackKeepsDefaults) {
  auto r = Accept({{"blksize", "1468"}}, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->blksize, 512);
  EXPECT_EQ(r->windowsize, 1);
}

TEST(AcceptOack, H65BlksizeOutsideRfc2348IsRefused) {
  EXPECT_FALSE(Accept({{"blksize", "65464"}}, {{"blksize", "65465"}}).has_value());
  EXPECT_FALSE(
      Accept({{"blksize", "65464"}}, {{"blksize", "99999999999999999999999"}}).has_value());
  EXPECT_FALSE(Accept({{"blksize", "1024"}}, {{"blksize", "0"}}).has_value());
  auto eight = Accept({{"blksize", "1024"}}, {{"BLKSIZE", "8"}});
  ASSERT_TRUE(eight.has_value());
  EXPECT_EQ(eight->blksize, 8);
}

TEST(AcceptOack, H68TsizeBeyond64BitsIsDiskFull) {
  EXPECT_EQ(Accept({{"tsize", "0"}}, {{"tsize", "99999999999999999999999"}}).error(),
            ErrorCode::kDiskFull);
  EXPECT_EQ(Accept({{"tsize", "0"}}, {{"tsize", ""}}).error(), ErrorCode::kOptionRefused);
  auto big = Accept({{"tsize", "0"}}, {{"tsize", "5368709120"}});
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->tsize, 5368709120ULL);  // E50: 64-bit sizes
}

TEST(AcceptOack, UtimeoutMustEqualTheRequest) {
  auto ok = Accept({{"utimeout", "20000"}}, {{"utimeout", "20000"}});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->fixed_timeout, std::chrono::microseconds(20000));
  EXPECT_FALSE(Accept({{"utimeout", "20000"}}, {{"utimeout", "20001"}}).has_value());
  EXPECT_FALSE(Accept({{"timeout", "2"}}, {{"utimeout", "2"}}).has_value());  // H66
}

TEST(AcceptOack, WindowsizeSmallerAndRolloverAccepted) {
  auto r =
      Accept({{"windowsize", "64"}, {"rollover", "1"}}, {{"rollover", "1"}, {"windowsize", "16"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->windowsize, 16);
  EXPECT_EQ(r->rollover, wire::Rollover::kToOne);
}

// ---- Properties ------------------------------------------------------------------------------

rc::Gen<std::string> OptionName() {
  return rc::gen::oneOf(rc::gen::element<std::string>("blksize", "BLKSIZE", "timeout", "tsize",
                                                      "windowsize", "rollover", "utimeout", "foo"),
                        rc::gen::container<std::string>(rc::gen::inRange('a', 'z')));
}

rc::Gen<std::string> OptionValue() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::arbitrary<std::uint32_t>(),
                   [](std::uint32_t v) { return std::to_string(v); }),
      rc::gen::map(rc::gen::inRange<std::uint32_t>(0, 70000),
                   [](std::uint32_t v) { return std::to_string(v); }),
      rc::gen::map(rc::gen::inRange<std::uint32_t>(0, 300),
                   [](std::uint32_t v) { return std::string(25, '0') + std::to_string(v); }),
      rc::gen::element<std::string>("99999999999999999999999", "18446744073709551616", "0", "1",
                                    "10000", "255000000"),
      rc::gen::arbitrary<std::string>());
}

OptionPolicy ArbitraryPolicy() {
  OptionPolicy p;
  p.blksize_enabled = *rc::gen::arbitrary<bool>();
  p.blksize_max = *rc::gen::inRange<std::uint16_t>(8, 65465);
  p.windowsize_enabled = *rc::gen::arbitrary<bool>();
  p.windowsize_max = *rc::gen::inRange<std::uint16_t>(1, 1024);
  p.tsize_enabled = *rc::gen::arbitrary<bool>();
  p.timeout_honoured = *rc::gen::arbitrary<bool>();
  p.utimeout_honoured = *rc::gen::arbitrary<bool>();
  p.rollover_enabled = *rc::gen::arbitrary<bool>();
  p.timeout_min_s = *rc::gen::inRange<std::uint8_t>(0, 20);
  p.timeout_max_s = *rc::gen::inRange<std::uint8_t>(0, 255);
  return p;
}

// The invariants of one negotiation: bounds (C16, C23), every OACK option requested and not
// above the request (RFC 2347, 2348 §2, 7440 §3), and the client check agreeing (H65-H69).
void CheckNegotiated(const wire::Request& request, const OptionPolicy& policy,
                     const Negotiated& n) {
  const TransferOptions& o = n.options;
  RC_ASSERT(o.blksize == 512 || (o.blksize >= 8 && o.blksize <= policy.blksize_max));
  RC_ASSERT(o.windowsize >= 1);
  RC_ASSERT(o.windowsize == 1 || o.windowsize <= policy.windowsize_max);
  for (const auto& option : n.oack.options()) {
    const wire::Option* asked = request.options.Find(option.name);
    RC_ASSERT(asked != nullptr);
    RC_ASSERT(asked->name == option.name);  // the client's own spelling
    if (wire::EqualsIgnoreCase(option.name, "blksize") ||
        wire::EqualsIgnoreCase(option.name, "windowsize")) {
      const auto echoed = wire::ParseDecimal(option.value, UINT64_MAX);
      RC_ASSERT(echoed.has_value());
      const auto requested = wire::ParseDecimal(asked->value, UINT64_MAX);
      if (requested) RC_ASSERT(*echoed <= *requested);  // else the request saturated
    }
  }
  // What the server answered, the client accepts, and both agree on the options in force.
  wire::OptionList oack;
  for (const auto& option : n.oack.options()) oack.Add(option.name, option.value);
  auto accepted = AcceptOack(request.options, oack, UINT64_MAX);
  RC_ASSERT(accepted.has_value());
  RC_ASSERT(accepted->blksize == o.blksize);
  RC_ASSERT(accepted->windowsize == o.windowsize);
  RC_ASSERT(accepted->tsize == o.tsize);
  RC_ASSERT(accepted->rollover == o.rollover);
  RC_ASSERT(accepted->fixed_timeout == o.fixed_timeout);
}

RC_GTEST_PROP(NegotiateProperty, RrqNeverFailsAndAgreesWithClientCheck, ()) {
  const auto pairs = *rc::gen::container<Pairs>(rc::gen::pair(OptionName(), OptionValue()));
  const bool netascii = *rc::gen::arbitrary<bool>();
  auto r = Rrq(pairs, netascii ? wire::Mode::kNetascii : wire::Mode::kOctet);
  const OptionPolicy policy = ArbitraryPolicy();
  std::optional<std::uint64_t> size;
  if (*rc::gen::arbitrary<bool>()) size = *rc::gen::arbitrary<std::uint64_t>();
  auto result = Negotiate(r->request, policy, size);
  RC_ASSERT(result.has_value());  // an RRQ never fails negotiation
  CheckNegotiated(r->request, policy, *result);
}

RC_GTEST_PROP(NegotiateProperty, WrqFailsOnlyWithDiskFullForTsize, ()) {
  const auto pairs = *rc::gen::container<Pairs>(rc::gen::pair(OptionName(), OptionValue()));
  auto r = Wrq(pairs);
  OptionPolicy policy = ArbitraryPolicy();
  policy.upload_size_max = *rc::gen::arbitrary<std::uint32_t>();
  auto result = Negotiate(r->request, policy, std::nullopt);
  if (!result) {
    RC_ASSERT(result.error() == ErrorCode::kDiskFull);
    const wire::Option* tsize = r->request.options.Find("tsize");
    RC_ASSERT(tsize != nullptr && policy.tsize_enabled);
    RC_ASSERT(!wire::ParseDecimal(tsize->value, policy.upload_size_max).has_value());
    return;
  }
  CheckNegotiated(r->request, policy, *result);
}

}  // namespace
}  // namespace stampede::transfer

// Option negotiation fed by real datagrams: requests parsed with wire::Parse, negotiated, and the
// OACK written with wire::WriteOack and compared byte for byte (PROTOCOL C18, C21, C25, C26, H69).
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "transfer/negotiation.h"
#include "wire/packet.h"

namespace stampede::transfer {
namespace {

using namespace std::string_literals;
using wire::ErrorCode;

std::span<const std::byte> AsBytes(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// Parses `datagram` as a request and negotiates it. Negotiated owns its OACK, so it outlives the
// datagram.
tl::expected<Negotiated, ErrorCode> NegotiateDatagram(const std::string& datagram,
                                                      const OptionPolicy& policy,
                                                      std::optional<std::uint64_t> file_size) {
  auto packet = wire::Parse(AsBytes(datagram));
  EXPECT_TRUE(packet.has_value());
  const auto* request = packet ? std::get_if<wire::Request>(&*packet) : nullptr;
  EXPECT_NE(request, nullptr);
  if (request == nullptr) return tl::unexpected(ErrorCode::kNotDefined);
  return Negotiate(*request, policy, file_size);
}

// The OACK datagram, written into a classic 512-byte buffer (C18: it must fit).
std::string OackDatagram(const tl::expected<Negotiated, ErrorCode>& negotiated) {
  EXPECT_TRUE(negotiated.has_value());
  if (!negotiated) return {};
  std::array<std::byte, wire::kRequestMaxBytes> buffer{};
  const std::size_t written = wire::WriteOack(buffer, negotiated->oack.options());
  EXPECT_NE(written, 0u);
  return std::string(reinterpret_cast<const char*>(buffer.data()), written);
}

TEST(NegotiateGolden, PxeRomRequest) {
  const auto n =
      NegotiateDatagram("\0\1pxelinux.0\0octet\0tsize\0000\0blksize\0001456\0"s, {}, 26758);
  EXPECT_EQ(OackDatagram(n), "\0\6tsize\00026758\0blksize\0001456\0"s);
}

TEST(NegotiateGolden, C18SmallOptionsOackFits) {
  OptionPolicy policy;
  policy.timeout_honoured = true;
  const auto n = NegotiateDatagram("\0\1f\0octet\0blksize\08\0timeout\0003\0tsize\0000\0"s, policy,
                                   5368709120ULL);
  EXPECT_EQ(OackDatagram(n), "\0\6blksize\08\0timeout\0003\0tsize\0005368709120\0"s);
}

TEST(NegotiateGolden, C21CurlStyleLookalikesAndUppercase) {
  const auto n = NegotiateDatagram(
      "\0\1f\0OCTET\0blksizeX\0001428\0xblksize\0001428\0BLKSIZE\0001428\0"s, {}, 1);
  EXPECT_EQ(OackDatagram(n), "\0\6BLKSIZE\0001428\0"s);
}

TEST(NegotiateGolden, C23NetasciiKeepsOnlyBlksize) {
  const auto n =
      NegotiateDatagram("\0\1f\0netascii\0windowsize\08\0tsize\0000\0blksize\0001024\0"s, {}, 100);
  EXPECT_EQ(OackDatagram(n), "\0\6blksize\0001024\0"s);
}

TEST(NegotiateGolden, C26SixtyPairsUnknownOnesOmitted) {
  std::string datagram = "\0\1f\0octet\0blksize\0001024\0"s;
  for (int i = 0; i < 59; ++i) datagram += "o" + std::to_string(i) + '\0' + "1"s + '\0';
  ASSERT_LE(datagram.size(), wire::kRequestMaxBytes);
  EXPECT_EQ(OackDatagram(NegotiateDatagram(datagram, {}, 1)), "\0\6blksize\0001024\0"s);
}

TEST(NegotiateGolden, C25WrqTsizeHuge) {
  OptionPolicy policy;
  policy.upload_size_max = 1ULL << 30;
  const auto n = NegotiateDatagram("\0\2up\0octet\0tsize\00099999999999\0"s, policy, std::nullopt);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error(), ErrorCode::kDiskFull);
}

TEST(AcceptOackGolden, H69OackWithTrailingJunkUsesCompletePairs) {
  // IBM Tivoli PXE Server 5.1.0.3 sends OACKs with trailing garbage (noted in iPXE's tftp.c); the
  // complete pairs count.
  const std::string datagram = "\0\6blksize\0001024\0tsize\0001000\0\xff\xfe"s;
  auto packet = wire::Parse(AsBytes(datagram));
  ASSERT_TRUE(packet.has_value());
  const auto* oack = std::get_if<wire::Oack>(&*packet);
  ASSERT_NE(oack, nullptr);
  wire::OptionList requested;
  requested.Add("blksize", "1468");
  requested.Add("tsize", "0");
  auto r = AcceptOack(requested, oack->options, UINT64_MAX);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->blksize, 1024);
  EXPECT_EQ(r->tsize, 1000u);
}

// An OACK cut inside a pair that names a requested option lost that option's value; the default
// (blksize 512) may not be what the server uses, so the client refuses with ERROR 8 rather than
// send blocks the server would take for the last one. Junk and padding are still ignored.
TEST(AcceptOackGolden, H69OackCutInsideARequestedOptionIsRefused) {
  wire::OptionList requested;
  requested.Add("blksize", "1468");
  requested.Add("tsize", "0");
  struct Case {
    std::string datagram;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"\0\6blksize\00014"s, false},                   // value cut
      {"\0\6tsize\0001000\0BLKSIZE\0"s, false},         // name complete, value missing
      {"\0\6tsize\0001000\0blks"s, false},               // cut inside the name
      {"\0\6blksize\0001024\0tsize\0"s, false},         // tsize's value missing
      {"\0\6blksize\0001024\0\xff\xfe"s, true},          // junk (IBM Tivoli)
      {"\0\6blksize\0001024\0\0\0"s, true},              // zero padding
      {"\0\6blksize\0001024\0windowsize\0001"s, true},   // an option we did not ask for, cut
      {"\0\6blksize\0001024\0x"s, true},                 // a one-letter stub of nothing asked
  };
  for (const auto& [datagram, accepted] : cases) {
    SCOPED_TRACE(datagram);
    auto packet = wire::Parse(AsBytes(datagram));
    ASSERT_TRUE(packet.has_value());
    const auto* oack = std::get_if<wire::Oack>(&*packet);
    ASSERT_NE(oack, nullptr);
    auto r = AcceptOack(requested, *oack, UINT64_MAX);
    EXPECT_EQ(r.has_value(), accepted);
    if (!accepted && !r.has_value()) {
      EXPECT_EQ(r.error(), ErrorCode::kOptionRefused);
    }
  }
}

}  // namespace
}  // namespace stampede::transfer

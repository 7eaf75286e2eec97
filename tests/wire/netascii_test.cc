// Netascii conversion: golden conversions, pairs split across chunks, and properties: encoding then
// decoding is the identity for any bytes under any chunking of input and output (1-byte outputs
// included), and decoding does not depend on how the wire stream was split.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "wire/netascii.h"
#include "wire/packet_testing.h"

namespace stampede::wire {
namespace {

using namespace std::string_literals;
using testing::AsBytes;
using testing::ToString;

// Encodes `local` in input chunks and output buffers whose sizes cycle through the given lists.
std::string EncodeChunked(std::string_view local, const std::vector<std::size_t>& in_sizes,
                          const std::vector<std::size_t>& out_sizes) {
  NetasciiEncoder encoder;
  std::string wire;
  std::size_t pos = 0;
  for (std::size_t step = 0; pos < local.size() || encoder.has_pending(); ++step) {
    const std::size_t in_size = std::min(in_sizes[step % in_sizes.size()], local.size() - pos);
    std::vector<std::byte> out(out_sizes[step % out_sizes.size()]);
    if (pos == local.size()) {
      wire += ToString(std::span(out).first(encoder.Flush(out)));
      continue;
    }
    const auto progress = encoder.Encode(AsBytes(local.substr(pos, in_size)), out);
    pos += progress.consumed;
    wire += ToString(std::span(out).first(progress.produced));
  }
  return wire;
}

std::string DecodeChunked(std::string_view wire, const std::vector<std::size_t>& in_sizes) {
  NetasciiDecoder decoder;
  std::string local;
  std::size_t pos = 0;
  for (std::size_t step = 0; pos < wire.size(); ++step) {
    const std::size_t in_size = std::min(in_sizes[step % in_sizes.size()], wire.size() - pos);
    std::vector<std::byte> out(in_size + 1);
    const std::size_t produced = decoder.Decode(AsBytes(wire.substr(pos, in_size)), out);
    pos += in_size;
    local += ToString(std::span(out).first(produced));
  }
  std::vector<std::byte> tail(1);
  local += ToString(std::span(tail).first(decoder.Finish(tail)));
  return local;
}

std::string Encode(std::string_view local) { return EncodeChunked(local, {4096}, {8192}); }
std::string Decode(std::string_view wire) { return DecodeChunked(wire, {4096}); }

TEST(Netascii, EncodeGolden) {
  EXPECT_EQ(Encode("a\nb"), "a\r\nb");
  EXPECT_EQ(Encode("a\rb"), "a\r\0b"s);
  EXPECT_EQ(Encode("\r\n"), "\r\0\r\n"s);
  EXPECT_EQ(Encode("plain\0bytes\xff"s), "plain\0bytes\xff"s);
  EXPECT_EQ(Encode(""), "");
}

TEST(Netascii, DecodeGolden) {
  EXPECT_EQ(Decode("a\r\nb"), "a\nb");
  EXPECT_EQ(Decode("a\r\0b"s), "a\rb");
  EXPECT_EQ(Decode("\r\0\r\n"s), "\r\n");
  EXPECT_EQ(Decode("\rx"), "\rx");         // lenient: bare CR kept (tftp-hpa)
  EXPECT_EQ(Decode("\r\r\n"), "\r\n");     // the first CR is bare, the second starts CR LF
  EXPECT_EQ(Decode("end\r"), "end\r");     // CR at the very end comes out of Finish
  EXPECT_EQ(Decode("\n\0"s), "\n\0"s);     // LF and NUL alone are ordinary bytes
}

TEST(Netascii, EncoderHoldsSecondByteWhenOnlyCrFits) {
  NetasciiEncoder encoder;
  std::array<std::byte, 1> out{};
  const auto first = encoder.Encode(AsBytes("\n"), out);
  EXPECT_EQ(first.consumed, 1u);
  EXPECT_EQ(first.produced, 1u);
  EXPECT_EQ(out[0], std::byte{'\r'});
  EXPECT_TRUE(encoder.has_pending());
  EXPECT_EQ(encoder.Encode({}, std::span<std::byte>()).produced, 0u);  // no room: still held
  const auto second = encoder.Encode(AsBytes("x"), out);
  EXPECT_EQ(second.consumed, 0u);
  EXPECT_EQ(second.produced, 1u);
  EXPECT_EQ(out[0], std::byte{'\n'});
  EXPECT_FALSE(encoder.has_pending());
  EXPECT_EQ(encoder.Flush(out), 0u);
}

TEST(Netascii, DecoderJoinsPairsSplitAcrossBlocks) {
  EXPECT_EQ(DecodeChunked("ab\r\ncd", {3}), "ab\ncd");
  EXPECT_EQ(DecodeChunked("ab\r\0cd"s, {3}), "ab\rcd");
  EXPECT_EQ(DecodeChunked("\r\r\r\n", {1}), "\r\r\n");
}

TEST(Netascii, FinishWithoutHeldCrWritesNothing) {
  NetasciiDecoder decoder;
  std::array<std::byte, 1> out{};
  EXPECT_EQ(decoder.Finish(out), 0u);
}

rc::Gen<std::vector<std::size_t>> GenSizes(std::size_t max_size) {
  return rc::gen::nonEmpty(rc::gen::container<std::vector<std::size_t>>(
      rc::gen::inRange<std::size_t>(1, max_size + 1)));
}

// Bytes rich in CR, LF and NUL so that pairs and their splits are common.
rc::Gen<std::string> GenLineText() {
  return rc::gen::container<std::string>(
      rc::gen::oneOf(rc::gen::element('\r', '\n', '\0', 'a'), rc::gen::arbitrary<char>()));
}

RC_GTEST_PROP(NetasciiProperty, EncodeThenDecodeIsIdentityUnderAnyChunking, ()) {
  const std::string local = *GenLineText();
  const auto encode_in = *GenSizes(16);
  const auto encode_out = *GenSizes(16);  // includes 1-byte output buffers
  const auto decode_in = *GenSizes(16);
  const std::string wire = EncodeChunked(local, encode_in, encode_out);
  RC_ASSERT(wire == Encode(local));
  RC_ASSERT(DecodeChunked(wire, decode_in) == local);
}

RC_GTEST_PROP(NetasciiProperty, OneByteOutputBuffers, ()) {
  const std::string local = *GenLineText();
  RC_ASSERT(EncodeChunked(local, {1}, {1}) == Encode(local));
  RC_ASSERT(DecodeChunked(Encode(local), {1}) == local);
}

RC_GTEST_PROP(NetasciiProperty, EncodedStreamHasNoBareCr, ()) {
  const std::string local = *GenLineText();
  const std::string wire = Encode(local);
  const auto expansions = std::count(local.begin(), local.end(), '\r') +
                          std::count(local.begin(), local.end(), '\n');
  RC_ASSERT(wire.size() == local.size() + static_cast<std::size_t>(expansions));
  for (std::size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\r') {
      RC_ASSERT(i + 1 < wire.size());
      RC_ASSERT(wire[i + 1] == '\n' || wire[i + 1] == '\0');
    }
  }
}

RC_GTEST_PROP(NetasciiProperty, DecodingIsIndependentOfWireSplits, ()) {
  // Any wire bytes, valid netascii or not.
  const std::string wire = *GenLineText();
  const auto splits = *GenSizes(8);
  RC_ASSERT(DecodeChunked(wire, splits) == Decode(wire));
}

}  // namespace
}  // namespace stampede::wire

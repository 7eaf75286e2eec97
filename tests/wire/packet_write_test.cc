// The packet writers: golden bytes for each packet type, refusal of buffers that are too small
// (never writing past them), ERROR message cutting, and WriteRequest's 512-byte limit (H78).
#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "wire/packet.h"
#include "wire/packet_testing.h"

namespace stampede::wire {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using testing::AsBytes;
using testing::ToString;

using Writer = std::function<std::size_t(std::span<std::byte>)>;

struct GoldenCase {
  std::string_view name;
  Writer write;
  std::string expected;
};

const std::array<Option, 2> kTwoOptions = {Option{"blksize", "1428"}, Option{"tsize", "0"}};

std::vector<GoldenCase> GoldenCases() {
  return {
      {"DATA", [](auto out) { return WriteData(out, 0x0102, AsBytes("hi\0"sv)); },
       "\x00\x03\x01\x02hi\0"s},
      {"DATA empty payload", [](auto out) { return WriteData(out, 65535, {}); },
       "\x00\x03\xff\xff"s},
      {"DATA header", [](auto out) { return WriteDataHeader(out, 7); }, "\x00\x03\x00\x07"s},
      {"ACK", [](auto out) { return WriteAck(out, 0xbeef); }, "\x00\x04\xbe\xef"s},
      {"ERROR", [](auto out) { return WriteError(out, ErrorCode::kFileNotFound, "nope"); },
       "\x00\x05\x00\x01nope\0"s},
      {"ERROR empty message", [](auto out) { return WriteError(out, ErrorCode::kNotDefined, ""); },
       "\x00\x05\x00\x00\0"s},
      {"RRQ with options",
       [](auto out) { return WriteRequest(out, Opcode::kRrq, "pxe.0", Mode::kOctet, kTwoOptions); },
       "\x00\x01pxe.0\0octet\0" "blksize\0" "1428\0tsize\0" "0\0"s},
      {"WRQ netascii",
       [](auto out) { return WriteRequest(out, Opcode::kWrq, "log", Mode::kNetascii, {}); },
       "\x00\x02log\0netascii\0"s},
      {"OACK", [](auto out) { return WriteOack(out, kTwoOptions); },
       "\x00\x06" "blksize\0" "1428\0tsize\0" "0\0"s},
      {"OACK empty", [](auto out) { return WriteOack(out, {}); }, "\x00\x06"s},
  };
}

TEST(PacketWrite, GoldenBytes) {
  for (const auto& c : GoldenCases()) {
    SCOPED_TRACE(c.name);
    std::array<std::byte, 600> buffer{};
    const std::size_t written = c.write(buffer);
    ASSERT_EQ(written, c.expected.size());
    EXPECT_EQ(ToString(std::span(buffer).first(written)), c.expected);
    // And it parses (the DATA header alone is a valid empty DATA).
    EXPECT_TRUE(Parse(std::span(buffer).first(written)).has_value());
  }
}

TEST(PacketWrite, TooSmallBufferReturnsZeroAndWritesNothingBeyondIt) {
  constexpr std::byte kCanary{0xA5};
  for (const auto& c : GoldenCases()) {
    SCOPED_TRACE(c.name);
    for (std::size_t size = 0; size < c.expected.size(); ++size) {
      std::vector<std::byte> buffer(size + 16, kCanary);
      EXPECT_EQ(c.write(std::span(buffer).first(size)), 0u) << "size " << size;
      EXPECT_TRUE(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(size), buffer.end(),
                              [&](std::byte b) { return b == kCanary; }));
    }
    std::vector<std::byte> exact(c.expected.size());
    EXPECT_EQ(c.write(exact), c.expected.size());
  }
}

TEST(PacketWrite, ErrorMessageCutAtLimitAndAtNul) {
  std::array<std::byte, 1024> buffer{};
  const std::string long_message(1000, 'e');
  const std::size_t written = WriteError(buffer, ErrorCode::kDiskFull, long_message);
  EXPECT_EQ(written, 4 + kErrorMessageMaxBytes + 1);
  const auto parsed = std::get<Error>(*Parse(std::span(buffer).first(written)));
  EXPECT_EQ(parsed.message.size(), kErrorMessageMaxBytes);
  EXPECT_EQ(parsed.code, ErrorCode::kDiskFull);

  const std::size_t cut = WriteError(buffer, ErrorCode::kNotDefined, "ab\0secret"sv);
  EXPECT_EQ(ToString(std::span(buffer).first(cut)), "\x00\x05\x00\x00" "ab\0"s);
}

TEST(PacketWrite, ErrorCodeOutsideStandardRangeKept) {
  std::array<std::byte, 16> buffer{};
  const std::size_t written = WriteError(buffer, static_cast<ErrorCode>(0x1234), "x");
  EXPECT_EQ(ToString(std::span(buffer).first(written)), "\x00\x05\x12\x34x\0"s);
}

TEST(PacketWrite, H78RequestAbove512BytesIsRefused) {
  std::array<std::byte, 2048> buffer{};
  // "\0octet\0" plus the opcode is 9 bytes: a 503-byte name makes exactly 512.
  const std::string fits(503, 'n');
  EXPECT_EQ(WriteRequest(buffer, Opcode::kRrq, fits, Mode::kOctet, {}), 512u);
  const std::string too_long(504, 'n');
  EXPECT_EQ(WriteRequest(buffer, Opcode::kRrq, too_long, Mode::kOctet, {}), 0u);
  // Options count towards the limit too.
  const std::array<Option, 1> option = {Option{"blksize", "1428"}};
  const std::string name(503 - 13 + 1, 'n');  // "blksize\0" "1428\0" is 13 bytes: one too many
  EXPECT_EQ(WriteRequest(buffer, Opcode::kRrq, name, Mode::kOctet, option), 0u);
  EXPECT_EQ(WriteRequest(buffer, Opcode::kRrq, name.substr(1), Mode::kOctet, option), 512u);
}

TEST(PacketWrite, B10RequestNeedsAFilename) {
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(WriteRequest(buffer, Opcode::kRrq, "", Mode::kOctet, {}), 0u);
  EXPECT_EQ(WriteRequest(buffer, Opcode::kWrq, "a\0b"sv, Mode::kOctet, {}), 0u);
}

TEST(PacketWrite, OptionsThatWouldNotParseBackAreRefused) {
  std::array<std::byte, 64> buffer{};
  const std::array<Option, 1> empty_name = {Option{"", "1"}};
  const std::array<Option, 1> nul_value = {Option{"blksize", "51\0" "2"sv}};
  EXPECT_EQ(WriteOack(buffer, empty_name), 0u);
  EXPECT_EQ(WriteOack(buffer, nul_value), 0u);
  EXPECT_EQ(WriteRequest(buffer, Opcode::kRrq, "f", Mode::kOctet, empty_name), 0u);
}

TEST(PacketWrite, WritePacketDispatchesOnType) {
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(WritePacket(buffer, Ack{9}), 4u);
  EXPECT_EQ(ToString(std::span(buffer).first(4)), "\x00\x04\x00\x09"s);
  Request request;
  request.filename = "f";
  request.options.Add("tsize", "0");
  const std::size_t written = WritePacket(buffer, request);
  EXPECT_EQ(ToString(std::span(buffer).first(written)), "\x00\x01" "f\0octet\0tsize\0" "0\0"s);
}

TEST(PacketNames, ModeAndOpcode) {
  EXPECT_EQ(ModeName(Mode::kOctet), "octet");
  EXPECT_EQ(ModeName(Mode::kNetascii), "netascii");
  EXPECT_EQ(OpcodeName(Opcode::kRrq), "RRQ");
  EXPECT_EQ(OpcodeName(Opcode::kWrq), "WRQ");
  EXPECT_EQ(OpcodeName(Opcode::kData), "DATA");
  EXPECT_EQ(OpcodeName(Opcode::kAck), "ACK");
  EXPECT_EQ(OpcodeName(Opcode::kError), "ERROR");
  EXPECT_EQ(OpcodeName(Opcode::kOack), "OACK");
  EXPECT_EQ(OpcodeName(static_cast<Opcode>(9)), "UNKNOWN");
}

}  // namespace
}  // namespace stampede::wire

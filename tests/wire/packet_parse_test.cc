// Parse(): golden datagrams for every packet type, valid and refused, each tagged with the
// PROTOCOL.md item it checks.
#include <cstddef>
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
using Action = ParseError::Action;

struct RefusalCase {
  std::string_view item;
  std::string datagram;
  Action action;
};

std::string Repeat(char c, std::size_t count) { return std::string(count, c); }

// A request of exactly `total` bytes: opcode, a name padded to fit, "octet".
std::string RequestOfSize(std::size_t total) {
  const std::string tail = "\0octet\0"s;
  return "\x00\x01"s + Repeat('f', total - 2 - tail.size()) + tail;
}

TEST(PacketParse, RefusalsDropOrAnswerIllegalOperation) {
  const std::vector<RefusalCase> cases = {
      {"A1 empty datagram", ""s, Action::kDrop},
      {"A2 one byte", "\x01"s, Action::kDrop},
      {"A2 two bytes RRQ", "\x00\x01"s, Action::kDrop},
      {"A2 three bytes RRQ", "\x00\x01\x02"s, Action::kDrop},
      {"A2 three bytes WRQ", "\x00\x02\x00"s, Action::kDrop},
      {"A2 two bytes DATA", "\x00\x03"s, Action::kDrop},
      {"A2 three bytes ACK", "\x00\x04\x00"s, Action::kDrop},
      {"A2 three bytes unknown opcode", "\x00\x09\x01"s, Action::kDrop},
      {"A3 opcode 0", "\x00\x00" "foo.txt\0octet\0"s, Action::kReply},
      {"A3 opcode 7", "\x00\x07" "foo.txt\0octet\0"s, Action::kReply},
      {"A3 opcode 0xffff", "\xff\xff\x00\x00"s, Action::kReply},
      {"A3 opcode 0x0101", "\x01\x01" "foo\0octet\0"s, Action::kReply},
      {"A6 request of 517 bytes", RequestOfSize(517), Action::kReply},
      {"A6/B34 4096-byte name", "\x00\x01"s + Repeat('n', 4096) + "\0octet\0"s, Action::kReply},
      {"B7 no NUL after name", "\x00\x01" "foo"s, Action::kReply},
      {"B7 no NUL after name (WRQ)", "\x00\x02" "foo"s, Action::kReply},
      {"B8 mode missing", "\x00\x01" "foo\0"s, Action::kReply},
      {"B9 mode not terminated", "\x00\x01" "foo\0octet"s, Action::kReply},
      {"B10 empty name", "\x00\x01\0octet\0"s, Action::kReply},
      {"B10 empty name (WRQ)", "\x00\x02\0octet\0"s, Action::kReply},
      {"B12 mode mail", "\x00\x01" "foo\0mail\0"s, Action::kReply},
      {"B12 mode binary", "\x00\x01" "foo\0binary\0"s, Action::kReply},
      {"B12 mode ascii", "\x00\x01" "foo\0ascii\0"s, Action::kReply},
      {"B12 mode en_US.UTF-8", "\x00\x01" "foo\0en_US.UTF-8\0"s, Action::kReply},
      {"B12 mode netascXX", "\x00\x01" "foo\0netascXX\0"s, Action::kReply},
      {"B12 empty mode", "\x00\x01" "foo\0\0"s, Action::kReply},
      {"B12 mode with trailing space", "\x00\x01" "foo\0octet \0"s, Action::kReply},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.item);
    const auto result = Parse(AsBytes(c.datagram));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().action, c.action);
    EXPECT_FALSE(result.error().reason.empty());
    if (c.action == Action::kReply) {
      EXPECT_EQ(result.error().code, ErrorCode::kIllegalOperation);
    }
  }
}

struct RequestCase {
  std::string_view item;
  std::string datagram;
  Opcode opcode;
  std::string_view filename;
  Mode mode;
  std::vector<Option> options;
};

TEST(PacketParse, RequestsAccepted) {
  const std::vector<RequestCase> cases = {
      {"RRQ octet", "\x00\x01" "pxelinux.0\0octet\0"s, Opcode::kRrq, "pxelinux.0", Mode::kOctet,
       {}},
      {"WRQ netascii", "\x00\x02" "up.txt\0netascii\0"s, Opcode::kWrq, "up.txt", Mode::kNetascii,
       {}},
      {"B11 NetAscii", "\x00\x01" "a\0NetAscii\0"s, Opcode::kRrq, "a", Mode::kNetascii, {}},
      {"B11 OCTET", "\x00\x01" "a\0OCTET\0"s, Opcode::kRrq, "a", Mode::kOctet, {}},
      {"B11 oCtEt", "\x00\x01" "a\0oCtEt\0"s, Opcode::kRrq, "a", Mode::kOctet, {}},
      {"B14 name without value", "\x00\x01" "f\0octet\0blksize\0"s, Opcode::kRrq, "f",
       Mode::kOctet, {}},
      {"B15 value not terminated", "\x00\x01" "f\0octet\0blksize\0" "1428"s, Opcode::kRrq, "f",
       Mode::kOctet, {}},
      {"B15 complete pair then unterminated name",
       "\x00\x01" "f\0octet\0blksize\0" "1428\0tsize"s, Opcode::kRrq, "f", Mode::kOctet,
       {{"blksize", "1428"}}},
      {"C16-17 values kept verbatim",
       "\x00\x01" "f\0octet\0blksize\0-1\0timeout\0 5\0tsize\0" "5e2\0"s, Opcode::kRrq, "f",
       Mode::kOctet, {{"blksize", "-1"}, {"timeout", " 5"}, {"tsize", "5e2"}}},
      {"C18 three options", "\x00\x01" "f\0octet\0blksize\0" "8\0timeout\0" "3\0tsize\0" "0\0"s,
       Opcode::kRrq, "f", Mode::kOctet, {{"blksize", "8"}, {"timeout", "3"}, {"tsize", "0"}}},
      {"C20-21 unknown names kept as received",
       "\x00\x01" "f\0octet\0utimeout\0" "255000000\0blksizeX\0" "1428\0BLKSIZE\0" "1428\0"s,
       Opcode::kRrq, "f", Mode::kOctet,
       {{"utimeout", "255000000"}, {"blksizeX", "1428"}, {"BLKSIZE", "1428"}}},
      {"C22 duplicate keeps the first",
       "\x00\x01" "f\0octet\0blksize\0" "512\0BlkSize\0" "1024\0"s, Opcode::kRrq, "f",
       Mode::kOctet, {{"blksize", "512"}}},
      {"RFC 2090 empty value", "\x00\x01" "f\0octet\0multicast\0\0"s, Opcode::kRrq, "f",
       Mode::kOctet, {{"multicast", ""}}},
      {"empty option name stops the list", "\x00\x01" "f\0octet\0\0blksize\0" "512\0"s,
       Opcode::kRrq, "f", Mode::kOctet, {}},
      {"A6 exactly 512 bytes", RequestOfSize(512), Opcode::kRrq, "", Mode::kOctet, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.item);
    const auto result = Parse(AsBytes(c.datagram));
    ASSERT_TRUE(result.has_value()) << result.error().reason;
    const auto* request = std::get_if<Request>(&*result);
    ASSERT_NE(request, nullptr);
    EXPECT_EQ(request->opcode, c.opcode);
    if (!c.filename.empty()) {
      EXPECT_EQ(request->filename, c.filename);
    }
    EXPECT_EQ(request->mode, c.mode);
    EXPECT_TRUE(testing::SameOptions(request->options.items(), c.options));
  }
}

TEST(PacketParse, B13FixedSizeRequestWithJunkIsServed) {
  const std::string head = "\x00\x01" "vmlinux\0octet\0"s;
  // Zero padding, and a binary dump with NULs in it (PA-RISC, dnsmasq 368ceff).
  std::string zeros = head + std::string(kRequestAcceptMaxBytes - head.size(), '\0');
  std::string dump = head;
  for (std::size_t i = 0; dump.size() < kRequestAcceptMaxBytes; ++i) {
    dump.push_back(static_cast<char>((i * 37 + 11) % 256));
  }
  for (const auto& datagram : {zeros, dump}) {
    ASSERT_EQ(datagram.size(), 516u);
    const auto result = Parse(AsBytes(datagram));
    ASSERT_TRUE(result.has_value()) << result.error().reason;
    const auto& request = std::get<Request>(*result);
    EXPECT_EQ(request.filename, "vmlinux");
    EXPECT_EQ(request.mode, Mode::kOctet);
  }
  EXPECT_TRUE(std::get<Request>(*Parse(AsBytes(zeros))).options.empty());
}

TEST(PacketParse, C26SixtyPairsAreCountedNotStored) {
  std::string datagram = "\x00\x01" "f\0octet\0"s;
  for (int i = 0; i < 60; ++i) datagram += "o" + std::to_string(100 + i) + "\0" "1\0"s;
  ASSERT_LE(datagram.size(), kRequestMaxBytes);
  const auto result = Parse(AsBytes(datagram));
  ASSERT_TRUE(result.has_value());
  const auto& options = std::get<Request>(*result).options;
  EXPECT_EQ(options.size(), OptionList::kCapacity);
  EXPECT_EQ(options.dropped(), 60 - OptionList::kCapacity);
  EXPECT_EQ(options.items().front().name, "o100");
}

TEST(PacketParse, ViewsPointIntoTheDatagram) {
  const std::string datagram = "\x00\x01" "boot.img\0octet\0tsize\0" "0\0"s;
  const auto request = std::get<Request>(*Parse(AsBytes(datagram)));
  const char* begin = datagram.data();
  const char* end = begin + datagram.size();
  EXPECT_GE(request.filename.data(), begin);
  EXPECT_LE(request.filename.data() + request.filename.size(), end);
  EXPECT_GE(request.options.items()[0].value.data(), begin);
  EXPECT_LT(request.options.items()[0].value.data(), end);
}

TEST(PacketParse, Data) {
  const auto empty = Parse(AsBytes("\x00\x03\x00\x01"sv));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(std::get<Data>(*empty).block, 1);
  EXPECT_TRUE(std::get<Data>(*empty).payload.empty());

  const auto last = Parse(AsBytes("\x00\x03\xff\xff" "a\0c"sv));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(std::get<Data>(*last).block, 65535);
  EXPECT_EQ(ToString(std::get<Data>(*last).payload), "a\0c"sv);
}

TEST(PacketParse, H71DataLongerThanBlksizeIsLeftToTheTransferLayer) {
  // The codec reports the payload exactly as long as it is; nothing is copied into a
  // blksize-sized buffer here, so there is nothing to overflow (curl CVE-2019-5436).
  const std::string datagram = "\x00\x03\x00\x07"s + std::string(1468, 'x');
  const auto result = Parse(AsBytes(datagram));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(std::get<Data>(*result).payload.size(), 1468u);
  EXPECT_EQ(std::get<Data>(*result).payload.data(), AsBytes(datagram).data() + 4);
}

TEST(PacketParse, Ack) {
  EXPECT_EQ(std::get<Ack>(*Parse(AsBytes("\x00\x04\x00\x00"sv))).block, 0);
  EXPECT_EQ(std::get<Ack>(*Parse(AsBytes("\x00\x04\x12\x34"sv))).block, 0x1234);
  // Padded ACK (fixed-size firmware sends): trailing bytes ignored.
  EXPECT_EQ(std::get<Ack>(*Parse(AsBytes("\x00\x04\x00\x05\x00\x00"sv))).block, 5);
}

TEST(PacketParse, A4DataAckOackAreParsedTheServerDecides) {
  // A4 is a port-69 policy: the codec parses these normally and the listener drops them.
  EXPECT_TRUE(std::holds_alternative<Ack>(*Parse(AsBytes("\x00\x04\x00\x01"sv))));
  EXPECT_TRUE(std::holds_alternative<Data>(*Parse(AsBytes("\x00\x03\x00\x01"sv))));
  EXPECT_TRUE(std::holds_alternative<Oack>(*Parse(AsBytes("\x00\x06"sv))));
}

struct ErrorCase {
  std::string_view item;
  std::string datagram;
  std::uint16_t code;
  std::string message;
};

TEST(PacketParse, ErrorPacketsAreAlwaysPacketsNeverReplies) {
  const std::vector<ErrorCase> cases = {
      {"A5 ERROR to port 69", "\x00\x05\x00\x00x\0"s, 0, "x"},
      {"E43 empty body", "\x00\x05"s, 0, ""},
      {"E43 one-byte body", "\x00\x05\x00"s, 0, ""},
      {"E43 code only", "\x00\x05\x00\x01"s, 1, ""},
      {"E43 code and one byte", "\x00\x05\x00\x02z"s, 2, "z"},
      {"E44 unterminated", "\x00\x05\x00\x08" "abc"s, 8, "abc"},
      {"E44 stops at first NUL", "\x00\x05\x00\x00" "ab\0cd\0"s, 0, "ab"},
      {"E44 5000 bytes unterminated", "\x00\x05\x00\x00"s + std::string(5000, 'm'), 0,
       std::string(5000, 'm')},
      {"E44 escapes kept verbatim", "\x00\x05\x00\x00\x1b[31mred\0"s, 0, "\x1b[31mred"},
      {"code outside 0..8 kept", "\x00\x05\x01\x00oops\0"s, 256, "oops"},
      {"E42 PXE abort", "\x00\x05\x00\x00TFTP Aborted\0"s, 0, "TFTP Aborted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.item);
    const auto result = Parse(AsBytes(c.datagram));
    ASSERT_TRUE(result.has_value());
    const auto& error = std::get<Error>(*result);
    EXPECT_EQ(static_cast<std::uint16_t>(error.code), c.code);
    EXPECT_EQ(error.message, c.message);
  }
}

TEST(PacketParse, Oack) {
  const auto none = Parse(AsBytes("\x00\x06"sv));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(std::get<Oack>(*none).options.empty());

  const auto two = Parse(AsBytes("\x00\x06" "blksize\0" "1024\0tsize\0" "5368709120\0"sv));
  ASSERT_TRUE(two.has_value());
  EXPECT_TRUE(testing::SameOptions(std::get<Oack>(*two).options.items(),
                                   std::vector<Option>{{"blksize", "1024"},
                                                       {"tsize", "5368709120"}}));
}

TEST(PacketParse, H69OackTrailingJunkKeepsCompletePairs) {
  struct Case {
    std::string datagram;
    std::size_t pairs;
    std::string tail;  // what followed the last complete pair
  };
  const std::vector<Case> cases = {
      {"\x00\x06" "blksize\0" "1024\0junk"s, 1, "junk"},                // IBM Tivoli garbage
      {"\x00\x06" "blksize\0" "1024\0tsize\0" "12"s, 1, "tsize\0" "12"s},  // value cut
      {"\x00\x06" "blksize\0" "1024"s, 0, "blksize\0" "1024"s},          // only pair cut
      {"\x00\x06" "blksize\0" "1024\0\0\0\0"s, 1, "\0\0\0"s},            // zero padding
      {"\x00\x06" "blksize\0" "1024\0"s, 1, ""},                          // complete
  };
  for (const auto& [datagram, pairs, tail] : cases) {
    SCOPED_TRACE(testing::ToString(AsBytes(datagram)));
    const auto result = Parse(AsBytes(datagram));
    ASSERT_TRUE(result.has_value());
    const auto& options = std::get<Oack>(*result).options;
    EXPECT_EQ(std::get<Oack>(*result).tail, tail);
    ASSERT_EQ(options.size(), pairs);
    if (pairs == 1) {
      EXPECT_EQ(options.Find("BLKSIZE")->value, "1024");
    }
  }
}

}  // namespace
}  // namespace stampede::wire

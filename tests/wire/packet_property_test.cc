// Properties of the codec: writing then parsing gives the same packet back for every packet type,
// and Parse of any byte string neither crashes nor reads outside it (ASan build) and either yields a
// packet that re-serialises to an equivalent packet or names its refusal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "wire/packet.h"
#include "wire/packet_testing.h"

namespace stampede::wire {
namespace {

using testing::AsBytes;
using testing::GenOptions;
using testing::GenText;
using testing::SamePacket;
using testing::SameOptions;
using testing::ToString;

// Parses `bytes` into a heap copy sized exactly, so ASan flags any read past the end.
tl::expected<Packet, ParseError> ParseExact(const std::vector<std::byte>& bytes) {
  return Parse(std::span<const std::byte>(bytes.data(), bytes.size()));
}

RC_GTEST_PROP(PacketProperty, RequestRoundTrips, ()) {
  const auto opcode = *rc::gen::element(Opcode::kRrq, Opcode::kWrq);
  const auto mode = *rc::gen::element(Mode::kOctet, Mode::kNetascii);
  const std::string filename = *GenText(1, 100);
  const auto options = *GenOptions(6, 20);
  const auto views = options.Views();
  std::vector<std::byte> buffer(kRequestMaxBytes);
  const std::size_t written = WriteRequest(buffer, opcode, filename, mode, views);
  RC_ASSERT(written > 0u);
  buffer.resize(written);
  const auto parsed = ParseExact(buffer);
  RC_ASSERT(parsed.has_value());
  const auto& request = std::get<Request>(*parsed);
  RC_ASSERT(request.opcode == opcode);
  RC_ASSERT(request.filename == filename);
  RC_ASSERT(request.mode == mode);
  // C22: duplicates (any case) keep the first.
  RC_ASSERT(SameOptions(request.options.items(), options.FirstOfEachName()));
}

RC_GTEST_PROP(PacketProperty, DataRoundTrips,
              (std::uint16_t block, const std::vector<std::uint8_t>& payload_raw)) {
  const std::vector<std::byte> payload(
      reinterpret_cast<const std::byte*>(payload_raw.data()),
      reinterpret_cast<const std::byte*>(payload_raw.data()) + payload_raw.size());
  std::vector<std::byte> buffer(kDataHeaderBytes + payload.size());
  RC_ASSERT(WriteData(buffer, block, payload) == buffer.size());
  const auto parsed = ParseExact(buffer);
  RC_ASSERT(parsed.has_value());
  const auto& data = std::get<Data>(*parsed);
  RC_ASSERT(data.block == block);
  RC_ASSERT(ToString(data.payload) == ToString(payload));
}

RC_GTEST_PROP(PacketProperty, AckRoundTrips, (std::uint16_t block)) {
  std::vector<std::byte> buffer(4);
  RC_ASSERT(WriteAck(buffer, block) == 4u);
  RC_ASSERT(std::get<Ack>(*ParseExact(buffer)).block == block);
}

RC_GTEST_PROP(PacketProperty, ErrorRoundTrips, (std::uint16_t code)) {
  const std::string message = *GenText(0, 400);
  std::vector<std::byte> buffer(600);
  const std::size_t written = WriteError(buffer, static_cast<ErrorCode>(code), message);
  RC_ASSERT(written > 0u);
  buffer.resize(written);
  const auto parsed = ParseExact(buffer);
  RC_ASSERT(parsed.has_value());
  const auto& error = std::get<Error>(*parsed);
  RC_ASSERT(static_cast<std::uint16_t>(error.code) == code);
  RC_ASSERT(error.message == std::string_view(message).substr(0, kErrorMessageMaxBytes));
}

RC_GTEST_PROP(PacketProperty, OackRoundTrips, ()) {
  const auto options = *GenOptions(10, 30);
  const auto views = options.Views();
  std::vector<std::byte> buffer(2048);
  const std::size_t written = WriteOack(buffer, views);
  RC_ASSERT(written > 0u);
  buffer.resize(written);
  const auto parsed = ParseExact(buffer);
  RC_ASSERT(parsed.has_value());
  RC_ASSERT(SameOptions(std::get<Oack>(*parsed).options.items(), options.FirstOfEachName()));
}

// The contract the fuzz target checks too: a refusal names itself, and an accepted packet written
// back out parses to the same packet (the only write refusal allowed is a request over 512 bytes,
// which Parse accepts up to kRequestAcceptMaxBytes for PROTOCOL B13).
void CheckAnyDatagram(const std::vector<std::byte>& datagram) {
  const auto parsed = ParseExact(datagram);
  if (!parsed) {
    RC_ASSERT(!parsed.error().reason.empty());
    RC_ASSERT(parsed.error().code == ErrorCode::kIllegalOperation);
    return;
  }
  std::vector<std::byte> buffer(datagram.size() + 512);
  const std::size_t written = WritePacket(buffer, *parsed);
  if (written == 0) {
    RC_ASSERT(std::holds_alternative<Request>(*parsed));
    RC_ASSERT(datagram.size() > kRequestMaxBytes);
    return;
  }
  buffer.resize(written);
  const auto reparsed = ParseExact(buffer);
  RC_ASSERT(reparsed.has_value());
  RC_ASSERT(SamePacket(*parsed, *reparsed));
}

RC_GTEST_PROP(PacketProperty, AnyBytesParseOrNameTheirRefusal,
              (const std::vector<std::uint8_t>& raw)) {
  const auto bytes = std::as_bytes(std::span(raw));
  CheckAnyDatagram({bytes.begin(), bytes.end()});
}

RC_GTEST_PROP(PacketProperty, AnyBodyAfterAPlausibleOpcode, (const std::vector<std::uint8_t>& raw)) {
  // Random bodies rarely start with a valid opcode; prefix one (0..7) so every branch is reached.
  const auto opcode = *rc::gen::inRange<std::uint8_t>(0, 8);
  // Bodies rich in NULs and option-like text reach the string parsing paths.
  const std::string text = *rc::gen::container<std::string>(rc::gen::element<char>(
      '\0', '\0', 'o', 'c', 't', 'e', 't', 'x', '1', '\xff'));
  std::vector<std::byte> datagram = {std::byte{0}, std::byte{opcode}};
  for (char c : text) datagram.push_back(static_cast<std::byte>(c));
  for (std::uint8_t b : raw) datagram.push_back(std::byte{b});
  CheckAnyDatagram(datagram);
}

RC_GTEST_PROP(PacketProperty, RequestsAroundTheSizeLimit, ()) {
  // A6/B13: up to kRequestAcceptMaxBytes parses, one more byte is ERROR 4.
  const auto size = *rc::gen::inRange<std::size_t>(10, kRequestAcceptMaxBytes + 40);
  std::string datagram = std::string("\x00\x01", 2) + "f" + std::string(1, '\0') + "octet";
  datagram.push_back('\0');
  while (datagram.size() < size) datagram.push_back('\0');
  const auto parsed = Parse(AsBytes(datagram));
  RC_ASSERT(parsed.has_value() == (size <= kRequestAcceptMaxBytes));
}

}  // namespace
}  // namespace stampede::wire

// The TFTP packet codec: parse any datagram into a typed packet or a typed refusal, and write
// packets into caller-provided buffers. Pure functions over byte spans: no sockets, no clocks, no
// allocation. Parsed packets hold views into the datagram, so they live only as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include <tl/expected.hpp>

#include "wire/error_code.h"
#include "wire/options.h"

namespace stampede::wire {

enum class Opcode : std::uint16_t {
  kRrq = 1,
  kWrq = 2,
  kData = 3,
  kAck = 4,
  kError = 5,
  kOack = 6,  // RFC 2347
};

enum class Mode : std::uint8_t { kOctet, kNetascii };

constexpr std::size_t kDataHeaderBytes = 4;      // opcode + block
constexpr std::size_t kRequestMaxBytes = 512;    // RFC 2347: a request fits 512 octets
// The largest request Parse accepts. PROTOCOL B13: firmware with a fixed 516-byte send buffer (the
// size of a default DATA packet; PA-RISC, dnsmasq 368ceff) sends a valid RRQ padded with junk to 516
// bytes, and it must be served. A6 asks for ERROR 4 above 512; we keep that rule for anything above
// 516, so the one exception is exactly the size such firmware uses. Writers still keep to 512 (H78).
constexpr std::size_t kRequestAcceptMaxBytes = kDataHeaderBytes + 512;
constexpr std::size_t kErrorMessageMaxBytes = 255;  // what we send; longer peer messages are cut

struct Request {
  Opcode opcode = Opcode::kRrq;  // kRrq or kWrq
  std::string_view filename;
  Mode mode = Mode::kOctet;
  OptionList options;
};

struct Data {
  std::uint16_t block = 0;
  std::span<const std::byte> payload;
};

struct Ack {
  std::uint16_t block = 0;
};

struct Error {
  ErrorCode code = ErrorCode::kNotDefined;  // values outside 0..8 are kept as received
  std::string_view message;                 // up to the first NUL or the datagram's end
};

struct Oack {
  OptionList options;
  // What followed the last complete name/value pair: empty, padding, junk (H69) or a pair cut
  // short. Not written by WriteOack; the transfer layer judges it (AcceptOack).
  std::string_view tail;
};

using Packet = std::variant<Request, Data, Ack, Error, Oack>;

// Why a datagram was refused, and what to do about it. kDrop means answer nothing (for example an
// empty datagram, or a malformed ERROR: never answer an ERROR). kReply means answer ERROR `code`.
struct ParseError {
  enum class Action : std::uint8_t { kDrop, kReply };
  Action action = Action::kDrop;
  ErrorCode code = ErrorCode::kIllegalOperation;
  std::string_view reason;  // static text for logs and metrics
};

// Parses one datagram. Never reads outside `datagram`; never allocates.
tl::expected<Packet, ParseError> Parse(std::span<const std::byte> datagram);

// Writers. Each returns the number of bytes written into `out`, or 0 when `out` is too small (in
// which case the contents of `out` are unspecified). None allocates.
std::size_t WriteData(std::span<std::byte> out, std::uint16_t block,
                      std::span<const std::byte> payload);
// Writes only the 4-byte DATA header, for callers that fill the payload in place after it.
std::size_t WriteDataHeader(std::span<std::byte> out, std::uint16_t block);
std::size_t WriteAck(std::span<std::byte> out, std::uint16_t block);
// The message is cut to kErrorMessageMaxBytes and stops at any NUL it contains.
std::size_t WriteError(std::span<std::byte> out, ErrorCode code, std::string_view message);
std::size_t WriteRequest(std::span<std::byte> out, Opcode opcode, std::string_view filename,
                         Mode mode, std::span<const Option> options);
std::size_t WriteOack(std::span<std::byte> out, std::span<const Option> options);
// Writes any packet with the writer for its type (same limits and refusals as those).
std::size_t WritePacket(std::span<std::byte> out, const Packet& packet);

std::string_view ModeName(Mode mode);  // "octet" or "netascii"
std::string_view OpcodeName(Opcode opcode);

}  // namespace stampede::wire

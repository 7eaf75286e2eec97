// Parse() and the packet writers. Every field is read through ByteReader, which checks bounds and
// decodes big-endian explicitly (no struct overlays). Parse keeps views into the datagram and never
// allocates; the writers fill caller buffers and never write past them. This file decides what is
// well-formed, never what is allowed: policy (port 69 rules, blksize limits) belongs to the layers
// above.
#include "wire/packet.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "base/check.h"

namespace stampede::wire {
namespace {

// Sequential, bounds-checked view over a datagram. Every read either succeeds fully inside the span
// or reports failure without moving; nothing here can read past the end (PROTOCOL B7, E44).
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  bool ReadU16(std::uint16_t& value) {
    if (remaining() < 2) return false;
    value = static_cast<std::uint16_t>((std::to_integer<unsigned>(bytes_[pos_]) << 8) |
                                       std::to_integer<unsigned>(bytes_[pos_ + 1]));
    pos_ += 2;
    return true;
  }

  // A NUL-terminated string starting here. On success the view excludes the NUL and the reader
  // moves past it; without a NUL before the end, returns false and stays put.
  bool ReadCString(std::string_view& text) {
    for (std::size_t i = pos_; i < bytes_.size(); ++i) {
      if (bytes_[i] == std::byte{0}) {
        text = View(pos_, i - pos_);
        pos_ = i + 1;
        return true;
      }
    }
    return false;
  }

  // The rest of the datagram up to (not including) the first NUL, or to the end when there is
  // none. Consumes everything.
  std::string_view ReadTextToNulOrEnd() {
    std::size_t end = pos_;
    while (end < bytes_.size() && bytes_[end] != std::byte{0}) ++end;
    const std::string_view text = View(pos_, end - pos_);
    pos_ = bytes_.size();
    return text;
  }

  std::size_t position() const { return pos_; }
  // The bytes from `offset` to the end as text, without consuming them.
  std::string_view TextFrom(std::size_t offset) const { return View(offset, bytes_.size() - offset); }

  std::span<const std::byte> ReadRest() {
    const auto rest = bytes_.subspan(pos_);
    pos_ = bytes_.size();
    return rest;
  }

 private:
  std::string_view View(std::size_t offset, std::size_t length) const {
    // std::byte and char share representation; a string_view over the datagram's bytes is the
    // standard way to hold text without copying.
    return {reinterpret_cast<const char*>(bytes_.data() + offset), length};
  }

  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
};

// Sequential writer into a caller buffer. Once a write does not fit, the writer is failed and all
// later writes are ignored, so callers check ok() once at the end.
class ByteWriter {
 public:
  explicit ByteWriter(std::span<std::byte> out) : out_(out) {}

  void WriteU16(std::uint16_t value) {
    if (!Reserve(2)) return;
    out_[pos_++] = static_cast<std::byte>(value >> 8);
    out_[pos_++] = static_cast<std::byte>(value & 0xFF);
  }
  void WriteBytes(std::span<const std::byte> bytes) {
    if (!Reserve(bytes.size())) return;
    if (!bytes.empty()) std::memcpy(out_.data() + pos_, bytes.data(), bytes.size());
    pos_ += bytes.size();
  }
  void WriteCString(std::string_view text) {
    WriteBytes(std::as_bytes(std::span<const char>(text.data(), text.size())));
    WriteBytes(std::span<const std::byte>(&kNul, 1));
  }

  bool ok() const { return ok_; }
  // Bytes written, or 0 after any write failed to fit (the writers' "too small" answer).
  std::size_t result() const { return ok_ ? pos_ : 0; }

 private:
  static constexpr std::byte kNul{0};

  bool Reserve(std::size_t length) {
    if (!ok_ || out_.size() - pos_ < length) ok_ = false;
    return ok_;
  }

  std::span<std::byte> out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

constexpr ParseError Drop(std::string_view reason) {
  return ParseError{ParseError::Action::kDrop, ErrorCode::kIllegalOperation, reason};
}
constexpr ParseError IllegalOperation(std::string_view reason) {
  return ParseError{ParseError::Action::kReply, ErrorCode::kIllegalOperation, reason};
}

// Option pairs up to the end of the datagram (RFC 2347). Lenient by design: parsing stops at the
// first pair that is not a complete, NUL-terminated name and value, and the complete pairs before
// it are kept. That covers a trailing name without value (PROTOCOL B14, dnsmasq CVE-2009-2958), an
// unterminated value (B15), binary junk after a fixed-size request (B13) and OACKs with trailing
// garbage (H69, IBM Tivoli). An empty name also ends the list: no option has one, and zero
// padding starts with one. Duplicates keep the first (C22) and pairs beyond capacity are counted,
// not stored (C26); both are OptionList's job.
// `tail`, when given, receives the bytes after the last complete pair (empty when there are none).
OptionList ReadOptions(ByteReader& reader, std::string_view* tail = nullptr) {
  OptionList options;
  while (!reader.at_end()) {
    const std::size_t pair_start = reader.position();
    std::string_view name;
    std::string_view value;
    if (!reader.ReadCString(name) || name.empty() || !reader.ReadCString(value)) {
      if (tail != nullptr) *tail = reader.TextFrom(pair_start);
      break;
    }
    options.Add(name, value);
  }
  return options;
}

std::optional<Mode> ModeFromName(std::string_view name) {
  // RFC 1350 §5: mode names are case-insensitive (PROTOCOL B11). `mail` is obsolete (RFC 1123
  // §4.2.2.1) and refused like any other unknown mode (B12).
  if (EqualsIgnoreCase(name, "octet")) return Mode::kOctet;
  if (EqualsIgnoreCase(name, "netascii")) return Mode::kNetascii;
  return std::nullopt;
}

tl::expected<Packet, ParseError> ParseRequest(Opcode opcode, std::span<const std::byte> datagram,
                                              ByteReader& reader) {
  // PROTOCOL A6/B34: oversized requests are refused before anything is read, with the one exception
  // of kRequestAcceptMaxBytes (B13, see packet.h).
  if (datagram.size() > kRequestAcceptMaxBytes) {
    return tl::unexpected(IllegalOperation("request larger than 516 bytes"));
  }
  Request request;
  request.opcode = opcode;
  if (!reader.ReadCString(request.filename)) {
    return tl::unexpected(IllegalOperation("filename not terminated"));  // B7
  }
  if (request.filename.empty()) return tl::unexpected(IllegalOperation("empty filename"));  // B10
  if (reader.at_end()) return tl::unexpected(IllegalOperation("mode missing"));  // B8
  std::string_view mode_name;
  if (!reader.ReadCString(mode_name)) {
    return tl::unexpected(IllegalOperation("mode not terminated"));  // B9
  }
  const std::optional<Mode> mode = ModeFromName(mode_name);
  if (!mode) return tl::unexpected(IllegalOperation("unknown mode"));  // B12
  request.mode = *mode;
  request.options = ReadOptions(reader);
  return request;
}

tl::expected<Packet, ParseError> ParseErrorPacket(ByteReader& reader) {
  // PROTOCOL E43 (atftp CVE-2019-11365): a 2- or 3-byte ERROR (`00 05`, `00 05 00`) still means the
  // peer gave up, so it is an Error with code 0 and an empty message rather than a drop; it can
  // never be answered because the codec never turns an ERROR into a reply. A5 (an ERROR reaching
  // port 69) is the server's rule: it drops every Error it parses there.
  Error error;
  std::uint16_t code = 0;
  if (reader.ReadU16(code)) {
    error.code = static_cast<ErrorCode>(code);  // kept as received, even outside 0..8
    // E44: the message runs to the first NUL or the datagram's end; unterminated is accepted.
    error.message = reader.ReadTextToNulOrEnd();
  }
  return error;
}

}  // namespace

tl::expected<Packet, ParseError> Parse(std::span<const std::byte> datagram) {
  ByteReader reader(datagram);
  std::uint16_t opcode_raw = 0;
  if (!reader.ReadU16(opcode_raw)) {
    return tl::unexpected(Drop("datagram shorter than an opcode"));  // PROTOCOL A1-2
  }
  const auto opcode = static_cast<Opcode>(opcode_raw);
  // A2 (FreeBSD short_packet1-3): requests, DATA and ACK need 4 bytes; shorter ones are dropped
  // unanswered. ERROR and OACK are complete at 2 bytes (E43, and an OACK without options).
  const bool short_datagram = datagram.size() < kDataHeaderBytes;
  switch (opcode) {
    case Opcode::kRrq:
    case Opcode::kWrq:
      if (short_datagram) return tl::unexpected(Drop("request shorter than 4 bytes"));
      return ParseRequest(opcode, datagram, reader);
    case Opcode::kData: {
      // DATA is the 4-byte header and any payload, empty included (RFC 1350 §5). The codec does
      // not know blksize: the transfer layer checks the payload length (H71, F51).
      Data data;
      if (!reader.ReadU16(data.block)) return tl::unexpected(Drop("DATA shorter than 4 bytes"));
      data.payload = reader.ReadRest();
      return data;
    }
    case Opcode::kAck: {
      // Bytes after the block number are ignored, not refused: an ACK carries nothing else, and
      // padded fixed-size sends exist (B13's firmware class). Dropping would stall the transfer.
      Ack ack;
      if (!reader.ReadU16(ack.block)) return tl::unexpected(Drop("ACK shorter than 4 bytes"));
      return ack;
    }
    case Opcode::kError:
      return ParseErrorPacket(reader);
    case Opcode::kOack: {
      // RFC 2347. An OACK without options is still an OACK: the transfer layer decides (H69).
      Oack oack;
      oack.options = ReadOptions(reader, &oack.tail);
      return oack;
    }
  }
  // Opcode 0 or >= 7 (FreeBSD unknown_opcode): ERROR 4 (A3), unless too short to be anything (A2).
  // Rate limits and the source-port < 1024 rule are the server's.
  if (short_datagram) return tl::unexpected(Drop("unknown opcode, shorter than 4 bytes"));
  return tl::unexpected(IllegalOperation("unknown opcode"));
}

std::size_t WriteDataHeader(std::span<std::byte> out, std::uint16_t block) {
  ByteWriter writer(out);
  writer.WriteU16(static_cast<std::uint16_t>(Opcode::kData));
  writer.WriteU16(block);
  return writer.result();
}

std::size_t WriteData(std::span<std::byte> out, std::uint16_t block,
                      std::span<const std::byte> payload) {
  ByteWriter writer(out);
  writer.WriteU16(static_cast<std::uint16_t>(Opcode::kData));
  writer.WriteU16(block);
  writer.WriteBytes(payload);
  return writer.result();
}

std::size_t WriteAck(std::span<std::byte> out, std::uint16_t block) {
  ByteWriter writer(out);
  writer.WriteU16(static_cast<std::uint16_t>(Opcode::kAck));
  writer.WriteU16(block);
  return writer.result();
}

std::size_t WriteError(std::span<std::byte> out, ErrorCode code, std::string_view message) {
  // RFC 1350 §5: the message is a NUL-terminated string, so an embedded NUL would end it early on
  // the wire anyway; cutting here keeps the packet length honest (the dnsmasq leak, PROTOCOL §1).
  message = message.substr(0, std::min(message.find('\0'), kErrorMessageMaxBytes));
  ByteWriter writer(out);
  writer.WriteU16(static_cast<std::uint16_t>(Opcode::kError));
  writer.WriteU16(static_cast<std::uint16_t>(code));
  writer.WriteCString(message);
  return writer.result();
}

namespace {

bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// A pair that would not parse back as itself: an empty name ends the list, and a NUL inside a name
// or value would split it.
bool WritableOptions(std::span<const Option> options) {
  return std::none_of(options.begin(), options.end(), [](const Option& option) {
    return option.name.empty() || HasNul(option.name) || HasNul(option.value);
  });
}

void WriteOptions(ByteWriter& writer, std::span<const Option> options) {
  for (const Option& option : options) {
    writer.WriteCString(option.name);
    writer.WriteCString(option.value);
  }
}

}  // namespace

std::size_t WriteRequest(std::span<std::byte> out, Opcode opcode, std::string_view filename,
                         Mode mode, std::span<const Option> options) {
  STAMPEDE_CHECK(opcode == Opcode::kRrq || opcode == Opcode::kWrq);
  STAMPEDE_CHECK(mode == Mode::kOctet || mode == Mode::kNetascii);
  // B10: an empty name is refused by servers (and by curl's client); a NUL would truncate it.
  if (filename.empty() || HasNul(filename) || !WritableOptions(options)) return 0;
  // PROTOCOL H78 (curl test 1453, CVE-2006-1061): never send a request above RFC 2347's 512
  // octets; refuse it here rather than let the server guess. Writing into at most 512 bytes of
  // `out` makes the writer fail exactly when the request would be longer.
  ByteWriter writer(out.first(std::min(out.size(), kRequestMaxBytes)));
  writer.WriteU16(static_cast<std::uint16_t>(opcode));
  writer.WriteCString(filename);
  writer.WriteCString(ModeName(mode));
  WriteOptions(writer, options);
  return writer.result();
}

std::size_t WriteOack(std::span<std::byte> out, std::span<const Option> options) {
  if (!WritableOptions(options)) return 0;
  ByteWriter writer(out);
  writer.WriteU16(static_cast<std::uint16_t>(Opcode::kOack));
  WriteOptions(writer, options);
  return writer.result();
}

std::size_t WritePacket(std::span<std::byte> out, const Packet& packet) {
  struct Writer {
    std::span<std::byte> out;
    std::size_t operator()(const Request& r) const {
      return WriteRequest(out, r.opcode, r.filename, r.mode, r.options.items());
    }
    std::size_t operator()(const Data& d) const { return WriteData(out, d.block, d.payload); }
    std::size_t operator()(const Ack& a) const { return WriteAck(out, a.block); }
    std::size_t operator()(const Error& e) const { return WriteError(out, e.code, e.message); }
    std::size_t operator()(const Oack& o) const { return WriteOack(out, o.options.items()); }
  };
  return std::visit(Writer{out}, packet);
}

std::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kOctet: return "octet";
    case Mode::kNetascii: return "netascii";
  }
  return "unknown";
}

std::string_view OpcodeName(Opcode opcode) {
  switch (opcode) {
    case Opcode::kRrq: return "RRQ";
    case Opcode::kWrq: return "WRQ";
    case Opcode::kData: return "DATA";
    case Opcode::kAck: return "ACK";
    case Opcode::kError: return "ERROR";
    case Opcode::kOack: return "OACK";
  }
  return "UNKNOWN";
}

}  // namespace stampede::wire

// Fuzz target for wire::Parse. Any input must parse or be refused without reading outside it; an
// accepted packet written back with the writers must parse to the same packet. The only write
// refusal allowed is a request above 512 bytes, which Parse accepts up to 516 (PROTOCOL B13).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "wire/packet.h"

namespace {

using stampede::wire::Ack;
using stampede::wire::Data;
using stampede::wire::Error;
using stampede::wire::Oack;
using stampede::wire::Option;
using stampede::wire::Packet;
using stampede::wire::Request;

bool SameOptions(std::span<const Option> a, std::span<const Option> b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  }
  return true;
}

bool SameBytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool SamePacket(const Packet& a, const Packet& b) {
  if (a.index() != b.index()) return false;
  if (const auto* ra = std::get_if<Request>(&a)) {
    const auto& rb = std::get<Request>(b);
    return ra->opcode == rb.opcode && ra->filename == rb.filename && ra->mode == rb.mode &&
           SameOptions(ra->options.items(), rb.options.items());
  }
  if (const auto* da = std::get_if<Data>(&a)) {
    const auto& db = std::get<Data>(b);
    return da->block == db.block && SameBytes(da->payload, db.payload);
  }
  if (const auto* aa = std::get_if<Ack>(&a)) return aa->block == std::get<Ack>(b).block;
  if (const auto* ea = std::get_if<Error>(&a)) {
    const auto& eb = std::get<Error>(b);
    // The writer cuts messages to kErrorMessageMaxBytes.
    return ea->code == eb.code &&
           ea->message.substr(0, stampede::wire::kErrorMessageMaxBytes) == eb.message;
  }
  return SameOptions(std::get<Oack>(a).options.items(), std::get<Oack>(b).options.items());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(data), size);
  const auto parsed = stampede::wire::Parse(datagram);
  if (!parsed) {
    if (parsed.error().reason.empty()) __builtin_trap();
    return 0;
  }
  std::vector<std::byte> buffer(size + 8);
  const std::size_t written = stampede::wire::WritePacket(buffer, *parsed);
  if (written == 0) {
    if (!std::holds_alternative<Request>(*parsed) || size <= stampede::wire::kRequestMaxBytes) {
      __builtin_trap();
    }
    return 0;
  }
  buffer.resize(written);
  const auto reparsed = stampede::wire::Parse(buffer);
  if (!reparsed || !SamePacket(*parsed, *reparsed)) __builtin_trap();
  return 0;
}

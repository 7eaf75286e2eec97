// ERROR 5 for packets from a foreign transfer ID (stray.h). Must not keep state.
#include "transfer/stray.h"

#include "wire/packet.h"

namespace stampede::transfer {

bool ShouldAnswerStray(std::span<const std::byte> datagram) {
  if (datagram.size() < 2) return false;
  const auto opcode = static_cast<std::uint16_t>((std::to_integer<unsigned>(datagram[0]) << 8) |
                                                 std::to_integer<unsigned>(datagram[1]));
  // PROTOCOL §2 item 6 and E43: never answer an ERROR, whatever its body.
  return opcode != static_cast<std::uint16_t>(wire::Opcode::kError);
}

std::size_t WriteStrayReply(std::span<std::byte> out) {
  return wire::WriteError(out, wire::ErrorCode::kUnknownTransferId, "Unknown transfer ID");
}

}  // namespace stampede::transfer

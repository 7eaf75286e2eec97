// The answer to a packet from a foreign transfer ID (RFC 1350 §4, PROTOCOL E39, H73-74), shared by
// server and client. The I/O layer matches addresses and calls this for strays; it decides about
// rate limits and must never answer a stray ERROR (PROTOCOL §2 item 6).
#pragma once

#include <cstddef>
#include <span>

namespace stampede::transfer {

// True when a datagram from an unknown TID deserves an ERROR 5 reply: anything except an ERROR
// packet (never answer an ERROR) or a datagram too short to carry an opcode.
bool ShouldAnswerStray(std::span<const std::byte> datagram);

// Writes ERROR 5 "Unknown transfer ID" into `out`; returns its size, or 0 if `out` is too small.
std::size_t WriteStrayReply(std::span<std::byte> out);

}  // namespace stampede::transfer

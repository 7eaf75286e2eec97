// Helpers shared by the io tests: IPv6 availability, byte buffers, and bounded waits for a
// socket to become readable. Loopback only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <poll.h>

#include "io/udp_socket.h"

namespace stampede::io::testing {

inline bool Ipv6LoopbackAvailable() {
  return UdpSocket::Open(Address::Ipv6Loopback(0)).has_value();
}

inline std::vector<std::byte> Bytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

inline std::string_view Text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Waits at most `timeout_ms` for `fd` to be readable.
inline bool WaitReadable(int fd, int timeout_ms = 2000) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

// A payload of `size` bytes whose content encodes `index`, to check order and integrity.
inline std::vector<std::byte> Numbered(std::uint32_t index, std::size_t size) {
  std::vector<std::byte> out(size);
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<std::byte>((index * 31u + static_cast<std::uint32_t>(i)) & 0xffu);
  }
  return out;
}

}  // namespace stampede::io::testing

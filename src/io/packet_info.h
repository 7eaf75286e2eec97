// Which local address and interface a datagram arrived on, read from the IP_PKTINFO /
// IPV6_PKTINFO control message, and the matching control message to send a reply from that same
// address (PROTOCOL.md G63 multihoming, G64 link-local scope). Encoding and decoding only: the
// sockets that enable the options live in udp_socket.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <sys/socket.h>

#include "io/address.h"

namespace stampede::io {

struct PacketInfo {
  // The datagram's destination address (the IP header's, so a broadcast shows as a broadcast; see
  // io/broadcast_filter.h), always in plain IPv4 form for IPv4 traffic; the port is the receiving
  // socket's. Empty when the socket was opened without packet_info.
  Address local;
  std::uint32_t interface_index = 0;

  bool valid() const { return !local.empty(); }
  friend bool operator==(const PacketInfo& a, const PacketInfo& b) = default;
};

// Room for everything DecodePacketInfo may meet (IP_PKTINFO and IPV6_PKTINFO both arrive on a
// dual-stack socket for IPv4 traffic), SO_RXQ_OVFL and UDP_GRO (120 bytes on 64-bit), plus spare.
inline constexpr std::size_t kReceiveControlBytes = 160;
// Room for one pktinfo message and one UDP_SEGMENT message.
inline constexpr std::size_t kSendControlBytes = 64;

// Scans a received message's control data. `local_port` becomes PacketInfo::local's port.
PacketInfo DecodePacketInfo(const msghdr& message, std::uint16_t local_port);

// One control message of a received message: fills `info` and returns true when it is an
// IP_PKTINFO or IPV6_PKTINFO message, returns false (and leaves `info`) for any other. For
// receive paths that read several kinds of control message in one walk (io/datagram_batch.cc).
bool DecodePacketInfoMessage(const cmsghdr& message, std::uint16_t local_port, PacketInfo& info);

// Writes the control message that makes a datagram to `to` leave from `from.local`: IP_PKTINFO
// for IPv4 and v4-mapped destinations (ipi_ifindex 0, so routing picks the interface, as dnsmasq
// does), IPV6_PKTINFO for IPv6 (with the arrival ifindex, which link-local replies need, G64).
// Returns the bytes written at `control`, 0 when `from` is empty/unspecified or of the other
// family. `control` must be aligned for cmsghdr.
std::size_t EncodePacketInfo(const PacketInfo& from, const Address& to,
                             std::span<std::byte> control);

}  // namespace stampede::io

// IP_PKTINFO / IPV6_PKTINFO control messages (see packet_info.h; ip(7), ipv6(7)).
#include "io/packet_info.h"

#include <cstring>

#include <netinet/in.h>

namespace stampede::io {

bool DecodePacketInfoMessage(const cmsghdr& c, std::uint16_t local_port, PacketInfo& info) {
  if (c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_PKTINFO &&
      c.cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
    in_pktinfo pi{};
    std::memcpy(&pi, CMSG_DATA(&c), sizeof(pi));
    info.local = Address::Ipv4(ntohl(pi.ipi_addr.s_addr), local_port);
    info.interface_index = static_cast<std::uint32_t>(pi.ipi_ifindex);
    return true;
  }
  if (c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_PKTINFO &&
      c.cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
    in6_pktinfo pi{};
    std::memcpy(&pi, CMSG_DATA(&c), sizeof(pi));
    const std::uint32_t scope = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) ? pi.ipi6_ifindex : 0;
    info.local = Address::Ipv6(pi.ipi6_addr, local_port, scope).Unmapped();
    info.interface_index = pi.ipi6_ifindex;
    return true;
  }
  return false;
}

PacketInfo DecodePacketInfo(const msghdr& message, std::uint16_t local_port) {
  PacketInfo info;
  auto* mutable_message = const_cast<msghdr*>(&message);  // CMSG_NXTHDR takes a non-const msghdr
  for (cmsghdr* c = CMSG_FIRSTHDR(mutable_message); c != nullptr;
       c = CMSG_NXTHDR(mutable_message, c)) {
    DecodePacketInfoMessage(*c, local_port, info);
  }
  return info;
}

std::size_t EncodePacketInfo(const PacketInfo& from, const Address& to,
                             std::span<std::byte> control) {
  if (!from.valid() || from.local.IsUnspecified()) return 0;
  const Address source = from.local.Unmapped();
  const bool to_v4 = to.IsV4() || to.IsV4Mapped();
  msghdr m{};
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  if (c == nullptr) return 0;
  if (to_v4 && source.IsV4()) {
    if (control.size() < CMSG_SPACE(sizeof(in_pktinfo))) return 0;
    in_pktinfo pi{};
    pi.ipi_spec_dst = source.AsSockaddrIn().sin_addr;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(pi));
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    return CMSG_SPACE(sizeof(pi));
  }
  if (!to_v4 && source.IsV6()) {
    if (control.size() < CMSG_SPACE(sizeof(in6_pktinfo))) return 0;
    in6_pktinfo pi{};
    pi.ipi6_addr = source.AsSockaddrIn6().sin6_addr;
    pi.ipi6_ifindex = from.interface_index;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(pi));
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    return CMSG_SPACE(sizeof(pi));
  }
  return 0;
}

}  // namespace stampede::io

// Broadcast/multicast destination test and the getifaddrs(3) scan behind it (see
// broadcast_filter.h).
#include "io/broadcast_filter.h"

#include <algorithm>
#include <utility>

#include <ifaddrs.h>
#include <net/if.h>

namespace stampede::io {

BroadcastFilter::BroadcastFilter(std::vector<Address> subnet_broadcasts)
    : subnet_broadcasts_(std::move(subnet_broadcasts)) {
  for (Address& a : subnet_broadcasts_) {
    a = a.Unmapped();
    a.set_port(0);
  }
}

tl::expected<BroadcastFilter, Error> BroadcastFilter::Load() {
  BroadcastFilter filter({});
  if (auto ok = filter.Refresh(); !ok) return tl::unexpected(ok.error());
  return filter;
}

tl::expected<void, Error> BroadcastFilter::Refresh() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return tl::unexpected(MakeError(errno, "getifaddrs"));
  std::vector<InterfaceAddress> interfaces;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    // IPv6 has no broadcast; only IPv4 interfaces flagged IFF_BROADCAST carry ifa_broadaddr.
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    InterfaceAddress entry{Address::FromSockaddr(i->ifa_addr, sizeof(sockaddr_in)), {}};
    if ((i->ifa_flags & IFF_BROADCAST) != 0 && i->ifa_broadaddr != nullptr &&
        i->ifa_broadaddr->sa_family == AF_INET) {
      entry.broadcast = Address::FromSockaddr(i->ifa_broadaddr, sizeof(sockaddr_in));
    }
    interfaces.push_back(entry);
  }
  freeifaddrs(list);
  subnet_broadcasts_ = SelectBroadcasts(interfaces);
  return {};
}

std::vector<Address> BroadcastFilter::SelectBroadcasts(
    const std::vector<InterfaceAddress>& interfaces) {
  // An address added without a broadcast (`ip addr add A/N dev D`, no `brd +`) has no
  // IFA_BROADCAST; glibc then reports the address itself in ifa_broadaddr. Taking that at face
  // value would silently drop every request sent to the server's own address, so an address any
  // interface holds as its own is never a broadcast, and neither is 0.0.0.0.
  std::vector<Address> found;
  for (const InterfaceAddress& entry : interfaces) {
    Address b = entry.broadcast.Unmapped();
    if (!b.IsV4() || b.AsSockaddrIn().sin_addr.s_addr == htonl(INADDR_ANY)) continue;
    b.set_port(0);
    const bool is_own = std::any_of(interfaces.begin(), interfaces.end(),
                                    [&](const InterfaceAddress& other) {
                                      Address own = other.address.Unmapped();
                                      own.set_port(0);
                                      return own == b;
                                    });
    if (is_own || std::find(found.begin(), found.end(), b) != found.end()) continue;
    found.push_back(b);
  }
  return found;
}

bool BroadcastFilter::IsBroadcastOrMulticast(const Address& destination) const {
  Address a = destination.Unmapped();
  if (a.IsMulticast()) return true;
  if (!a.IsV4()) return false;
  if (a.AsSockaddrIn().sin_addr.s_addr == htonl(INADDR_BROADCAST)) return true;
  a.set_port(0);
  return std::find(subnet_broadcasts_.begin(), subnet_broadcasts_.end(), a) !=
         subnet_broadcasts_.end();
}

}  // namespace stampede::io

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
  std::vector<Address> found;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    // IPv6 has no broadcast; only IPv4 interfaces flagged IFF_BROADCAST carry ifa_broadaddr.
    if ((i->ifa_flags & IFF_BROADCAST) == 0 || i->ifa_broadaddr == nullptr) continue;
    if (i->ifa_broadaddr->sa_family != AF_INET) continue;
    Address a = Address::FromSockaddr(i->ifa_broadaddr, sizeof(sockaddr_in));
    if (std::find(found.begin(), found.end(), a) == found.end()) found.push_back(a);
  }
  freeifaddrs(list);
  subnet_broadcasts_ = std::move(found);
  return {};
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

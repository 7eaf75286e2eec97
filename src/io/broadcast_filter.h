// Tells whether a datagram's destination (PacketInfo::local) was a broadcast or multicast address:
// 255.255.255.255, 224.0.0.0/4, ff00::/8, or the subnet broadcast address of a local interface.
// RFC 1123 §4.2.3.5 and PROTOCOL.md G62: a server silently ignores requests sent to those. The
// interface broadcast addresses come from getifaddrs(3) and are cached; Refresh() re-reads them
// (the caller decides when, e.g. on SIGHUP). The decision to ignore is the caller's.
#pragma once

#include <vector>

#include <tl/expected.hpp>

#include "io/address.h"
#include "io/error.h"

namespace stampede::io {

class BroadcastFilter {
 public:
  // Reads the interfaces' broadcast addresses.
  static tl::expected<BroadcastFilter, Error> Load();
  // A filter with a fixed list of subnet broadcast addresses (ports are ignored); for tests and
  // for hosts whose interfaces are configured elsewhere.
  explicit BroadcastFilter(std::vector<Address> subnet_broadcasts);

  tl::expected<void, Error> Refresh();

  // One IPv4 interface address as getifaddrs(3) reports it.
  struct InterfaceAddress {
    Address address;
    Address broadcast;  // as reported; may be the address itself or 0.0.0.0 (see the .cc)
  };
  // The subnet broadcast addresses among `interfaces`: never 0.0.0.0 and never an address that
  // some interface holds as its own unicast address (a request to our own address is ours).
  static std::vector<Address> SelectBroadcasts(const std::vector<InterfaceAddress>& interfaces);

  // True for limited broadcast, multicast, and a cached subnet broadcast. v4-mapped addresses are
  // judged in their IPv4 form.
  bool IsBroadcastOrMulticast(const Address& destination) const;

  const std::vector<Address>& subnet_broadcasts() const { return subnet_broadcasts_; }

 private:
  std::vector<Address> subnet_broadcasts_;  // port 0
};

}  // namespace stampede::io

// A socket address (IPv4 or IPv6, with port and, for IPv6, scope id) as a value type wrapping
// sockaddr_storage: parse and format ("127.0.0.1:69", "[::1]:69", "[fe80::1%lo]:69", a bare host
// with a default port), equality and hashing. It resolves no host names (no DNS in io/) and never
// touches a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>
#include <tl/expected.hpp>

#include "io/error.h"

namespace stampede::io {

class Address {
 public:
  // An empty address (family AF_UNSPEC); formats as "<unspecified>".
  Address() = default;

  // Numeric forms only: "a.b.c.d", "a.b.c.d:port", "[v6]", "[v6]:port", "[v6%ifname]:port",
  // "[v6%ifindex]:port" and a bare IPv6 "v6" or "v6%ifname" (no port possible without brackets).
  // Without a port, `default_port` is used. Errors carry EINVAL (or ENODEV for an unknown
  // interface name) and the text that failed.
  static tl::expected<Address, Error> Parse(std::string_view text, std::uint16_t default_port = 0);

  // Copies a kernel-provided address. Families other than AF_INET/AF_INET6, or a length too short
  // for the family, give an empty address.
  static Address FromSockaddr(const sockaddr* addr, socklen_t length);

  static Address Ipv4(std::uint32_t host_order_address, std::uint16_t port);
  static Address Ipv4Any(std::uint16_t port) { return Ipv4(INADDR_ANY, port); }
  static Address Ipv4Loopback(std::uint16_t port) { return Ipv4(INADDR_LOOPBACK, port); }
  static Address Ipv6(const in6_addr& address, std::uint16_t port, std::uint32_t scope_id = 0);
  static Address Ipv6Any(std::uint16_t port) { return Ipv6(in6addr_any, port); }
  static Address Ipv6Loopback(std::uint16_t port) { return Ipv6(in6addr_loopback, port); }

  sa_family_t family() const { return storage_.ss_family; }
  bool IsV4() const { return family() == AF_INET; }
  bool IsV6() const { return family() == AF_INET6; }
  bool empty() const { return family() == AF_UNSPEC; }

  std::uint16_t port() const;
  void set_port(std::uint16_t port);
  std::uint32_t scope_id() const;  // IPv6 only; 0 otherwise

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  // For the kernel to fill (recvmsg msg_name, getsockname) with up to kStorageLength bytes.
  sockaddr* mutable_sockaddr_ptr() { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t sockaddr_length() const;
  static constexpr socklen_t kStorageLength = sizeof(sockaddr_storage);

  const sockaddr_in& AsSockaddrIn() const {
    return *reinterpret_cast<const sockaddr_in*>(&storage_);
  }
  const sockaddr_in6& AsSockaddrIn6() const {
    return *reinterpret_cast<const sockaddr_in6*>(&storage_);
  }

  bool IsUnspecified() const;  // 0.0.0.0 or ::
  bool IsLoopback() const;     // 127/8, ::1, and their v4-mapped forms
  bool IsMulticast() const;    // 224/4, ff00::/8, and v4-mapped 224/4
  bool IsV4Mapped() const;     // ::ffff:a.b.c.d
  bool IsLinkLocal() const;    // 169.254/16, fe80::/10

  // A v4-mapped IPv6 address as plain IPv4 (same port); any other address unchanged. A dual-stack
  // socket reports IPv4 peers as ::ffff:a.b.c.d (ipv6(7)); comparing or logging wants the IPv4
  // form.
  Address Unmapped() const;
  // The IPv4 address as v4-mapped IPv6 (same port), for sending from a dual-stack socket; IPv6
  // addresses unchanged.
  Address Mapped() const;

  // "1.2.3.4:69", "[::1]:69", "[fe80::1%lo]:69" (interface name when it resolves, else the index).
  std::string ToString() const;
  // The host part alone: "1.2.3.4", "::1", "fe80::1%lo".
  std::string HostString() const;

  // Same family, address, port and (IPv6) scope id. A v4-mapped address differs from its IPv4
  // form: call Unmapped() first to compare across them.
  friend bool operator==(const Address& a, const Address& b);
  std::size_t Hash() const;

 private:
  sockaddr_storage storage_{};
};

}  // namespace stampede::io

template <>
struct std::hash<stampede::io::Address> {
  std::size_t operator()(const stampede::io::Address& a) const noexcept { return a.Hash(); }
};

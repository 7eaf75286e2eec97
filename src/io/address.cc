// Parsing, formatting and comparison of socket addresses (see address.h). Numeric only: the
// conversions are inet_pton/inet_ntop and if_nametoindex/if_indextoname, nothing that resolves
// names.
#include "io/address.h"

#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <net/if.h>

namespace stampede::io {
namespace {

tl::unexpected<Error> ParseError(std::string_view text, const char* why, int errno_value = EINVAL) {
  return tl::unexpected(
      MakeError(errno_value, "parse address '" + std::string(text) + "' (" + why + ")"));
}

// Decimal digits only, no sign, no spaces: what a port or a scope index must look like.
template <typename T>
bool ParseDigits(std::string_view digits, T& value) {
  if (digits.empty() || digits.size() > 10) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return ec == std::errc{} && end == digits.data() + digits.size();
}

tl::expected<Address, Error> ParseV4(std::string_view whole, std::string_view host,
                                     std::uint16_t port) {
  std::string host_z(host);
  in_addr a{};
  if (inet_pton(AF_INET, host_z.c_str(), &a) != 1) return ParseError(whole, "not an IPv4 address");
  return Address::Ipv4(ntohl(a.s_addr), port);
}

tl::expected<Address, Error> ParseV6(std::string_view whole, std::string_view host,
                                     std::uint16_t port) {
  std::uint32_t scope_id = 0;
  const std::size_t percent = host.find('%');
  if (percent != std::string_view::npos) {
    const std::string_view scope = host.substr(percent + 1);
    host = host.substr(0, percent);
    if (scope.empty()) return ParseError(whole, "empty scope");
    if (!ParseDigits(scope, scope_id)) {
      const std::string name(scope);
      scope_id = if_nametoindex(name.c_str());
      if (scope_id == 0) return ParseError(whole, "unknown interface", ENODEV);
    }
  }
  std::string host_z(host);
  in6_addr a{};
  if (inet_pton(AF_INET6, host_z.c_str(), &a) != 1) {
    return ParseError(whole, "not an IPv6 address");
  }
  return Address::Ipv6(a, port, scope_id);
}

bool V6IsV4Mapped(const in6_addr& a) {
  return IN6_IS_ADDR_V4MAPPED(&a);
}

std::uint32_t MappedV4HostOrder(const in6_addr& a) {
  std::uint32_t net = 0;
  std::memcpy(&net, &a.s6_addr[12], sizeof(net));
  return ntohl(net);
}

}  // namespace

tl::expected<Address, Error> Address::Parse(std::string_view text, std::uint16_t default_port) {
  if (text.empty()) return ParseError(text, "empty");
  std::uint16_t port = default_port;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return ParseError(text, "missing ']'");
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !ParseDigits(rest.substr(1), port)) {
        return ParseError(text, "bad port");
      }
    }
    return ParseV6(text, text.substr(1, close - 1), port);
  }
  const std::size_t first_colon = text.find(':');
  if (first_colon == std::string_view::npos) return ParseV4(text, text, port);
  if (text.find(':', first_colon + 1) != std::string_view::npos) {
    return ParseV6(text, text, port);  // bare IPv6: a port needs brackets
  }
  if (!ParseDigits(text.substr(first_colon + 1), port)) return ParseError(text, "bad port");
  return ParseV4(text, text.substr(0, first_colon), port);
}

Address Address::FromSockaddr(const sockaddr* addr, socklen_t length) {
  Address out;
  if (addr == nullptr) return out;
  if (addr->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&out.storage_, addr, sizeof(sockaddr_in));
  } else if (addr->sa_family == AF_INET6 &&
             length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&out.storage_, addr, sizeof(sockaddr_in6));
  }
  return out;
}

Address Address::Ipv4(std::uint32_t host_order_address, std::uint16_t port) {
  Address out;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(host_order_address);
  std::memcpy(&out.storage_, &sin, sizeof(sin));
  return out;
}

Address Address::Ipv6(const in6_addr& address, std::uint16_t port, std::uint32_t scope_id) {
  Address out;
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = address;
  sin6.sin6_scope_id = scope_id;
  std::memcpy(&out.storage_, &sin6, sizeof(sin6));
  return out;
}

std::uint16_t Address::port() const {
  if (IsV4()) return ntohs(AsSockaddrIn().sin_port);
  if (IsV6()) return ntohs(AsSockaddrIn6().sin6_port);
  return 0;
}

void Address::set_port(std::uint16_t port) {
  if (IsV4()) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (IsV6()) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::uint32_t Address::scope_id() const {
  return IsV6() ? AsSockaddrIn6().sin6_scope_id : 0;
}

socklen_t Address::sockaddr_length() const {
  if (IsV4()) return sizeof(sockaddr_in);
  if (IsV6()) return sizeof(sockaddr_in6);
  return 0;
}

bool Address::IsUnspecified() const {
  if (IsV4()) return AsSockaddrIn().sin_addr.s_addr == htonl(INADDR_ANY);
  if (IsV6()) return IN6_IS_ADDR_UNSPECIFIED(&AsSockaddrIn6().sin6_addr);
  return false;
}

bool Address::IsLoopback() const {
  const Address a = Unmapped();
  if (a.IsV4()) return (ntohl(a.AsSockaddrIn().sin_addr.s_addr) >> 24) == 127;
  if (a.IsV6()) return IN6_IS_ADDR_LOOPBACK(&a.AsSockaddrIn6().sin6_addr);
  return false;
}

bool Address::IsMulticast() const {
  const Address a = Unmapped();
  if (a.IsV4()) return IN_MULTICAST(ntohl(a.AsSockaddrIn().sin_addr.s_addr));
  if (a.IsV6()) return IN6_IS_ADDR_MULTICAST(&a.AsSockaddrIn6().sin6_addr);
  return false;
}

bool Address::IsV4Mapped() const {
  return IsV6() && V6IsV4Mapped(AsSockaddrIn6().sin6_addr);
}

bool Address::IsLinkLocal() const {
  const Address a = Unmapped();
  if (a.IsV4()) return (ntohl(a.AsSockaddrIn().sin_addr.s_addr) >> 16) == 0xA9FE;
  if (a.IsV6()) return IN6_IS_ADDR_LINKLOCAL(&a.AsSockaddrIn6().sin6_addr);
  return false;
}

Address Address::Unmapped() const {
  if (!IsV4Mapped()) return *this;
  return Ipv4(MappedV4HostOrder(AsSockaddrIn6().sin6_addr), port());
}

Address Address::Mapped() const {
  if (!IsV4()) return *this;
  in6_addr a{};
  a.s6_addr[10] = 0xff;
  a.s6_addr[11] = 0xff;
  std::memcpy(&a.s6_addr[12], &AsSockaddrIn().sin_addr.s_addr, 4);
  return Ipv6(a, port());
}

std::string Address::HostString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (IsV4()) {
    inet_ntop(AF_INET, &AsSockaddrIn().sin_addr, buf, sizeof(buf));
    return buf;
  }
  if (!IsV6()) return "<unspecified>";
  inet_ntop(AF_INET6, &AsSockaddrIn6().sin6_addr, buf, sizeof(buf));
  std::string out = buf;
  if (AsSockaddrIn6().sin6_scope_id != 0) {
    char name[IF_NAMESIZE] = {};
    out += '%';
    out += if_indextoname(AsSockaddrIn6().sin6_scope_id, name) != nullptr
               ? std::string(name)
               : std::to_string(AsSockaddrIn6().sin6_scope_id);
  }
  return out;
}

std::string Address::ToString() const {
  if (IsV4()) return HostString() + ":" + std::to_string(port());
  if (IsV6()) return "[" + HostString() + "]:" + std::to_string(port());
  return "<unspecified>";
}

bool operator==(const Address& a, const Address& b) {
  if (a.family() != b.family()) return false;
  if (a.IsV4()) {
    return a.AsSockaddrIn().sin_port == b.AsSockaddrIn().sin_port &&
           a.AsSockaddrIn().sin_addr.s_addr == b.AsSockaddrIn().sin_addr.s_addr;
  }
  if (a.IsV6()) {
    return a.AsSockaddrIn6().sin6_port == b.AsSockaddrIn6().sin6_port &&
           a.AsSockaddrIn6().sin6_scope_id == b.AsSockaddrIn6().sin6_scope_id &&
           std::memcmp(&a.AsSockaddrIn6().sin6_addr, &b.AsSockaddrIn6().sin6_addr,
                       sizeof(in6_addr)) == 0;
  }
  return true;  // both empty
}

std::size_t Address::Hash() const {
  // FNV-1a over exactly the fields operator== compares.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  };
  const sa_family_t f = family();
  mix(&f, sizeof(f));
  if (IsV4()) {
    mix(&AsSockaddrIn().sin_port, sizeof(in_port_t));
    mix(&AsSockaddrIn().sin_addr, sizeof(in_addr));
  } else if (IsV6()) {
    mix(&AsSockaddrIn6().sin6_port, sizeof(in_port_t));
    mix(&AsSockaddrIn6().sin6_addr, sizeof(in6_addr));
    mix(&AsSockaddrIn6().sin6_scope_id, sizeof(std::uint32_t));
  }
  return static_cast<std::size_t>(h);
}

}  // namespace stampede::io

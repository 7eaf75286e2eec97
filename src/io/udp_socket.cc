// UDP socket setup and single-datagram I/O (see udp_socket.h). Socket options per ip(7), ipv6(7),
// socket(7) and udp(7).
#include "io/udp_socket.h"

#include <cerrno>
#include <string>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/check.h"

namespace stampede::io {
namespace {

const char* FamilyName(sa_family_t family) {
  return family == AF_INET6 ? "AF_INET6" : "AF_INET";
}

tl::expected<void, Error> SetInt(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return tl::unexpected(MakeError(errno, std::string("setsockopt ") + what));
  }
  return {};
}

int GetInt(int fd, int level, int name) {
  int value = 0;
  socklen_t length = sizeof(value);
  if (getsockopt(fd, level, name, &value, &length) != 0) return -1;
  return value;
}

// Sets one buffer size, trying the privileged FORCE variant first. Returns whether it was forced.
bool SetBuffer(int fd, int force_name, int name, std::size_t bytes, bool try_force) {
  const int value =
      bytes > static_cast<std::size_t>(INT32_MAX / 2) ? INT32_MAX / 2 : static_cast<int>(bytes);
  if (try_force && setsockopt(fd, SOL_SOCKET, force_name, &value, sizeof(value)) == 0) return true;
  // Failure here (it does not fail for sizes, it caps them) is visible in the granted size.
  setsockopt(fd, SOL_SOCKET, name, &value, sizeof(value));
  return false;
}

std::size_t GrantedBytes(int fd, int name) {
  const int doubled = GetInt(fd, SOL_SOCKET, name);
  return doubled > 0 ? static_cast<std::size_t>(doubled) / 2 : 0;
}

}  // namespace

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      local_(other.local_),
      buffers_(other.buffers_),
      fell_back_to_ipv4_(other.fell_back_to_ipv4_),
      gso_supported_(other.gso_supported_),
      receive_coalescing_(other.receive_coalescing_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    local_ = other.local_;
    buffers_ = other.buffers_;
    fell_back_to_ipv4_ = other.fell_back_to_ipv4_;
    gso_supported_ = other.gso_supported_;
    receive_coalescing_ = other.receive_coalescing_;
  }
  return *this;
}

void UdpSocket::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

tl::expected<UdpSocket, Error> UdpSocket::OpenUnbound(sa_family_t family,
                                                      const SocketOptions& options) {
  UdpSocket s;
  s.fd_ = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) {
    return tl::unexpected(MakeError(errno, std::string("socket ") + FamilyName(family)));
  }
  s.family_ = family;
  if (auto ok = s.Configure(options); !ok) return tl::unexpected(ok.error());
  return s;
}

tl::expected<void, Error> UdpSocket::Configure(const SocketOptions& options, bool adopted) {
  const bool v6 = family_ == AF_INET6;
  if (v6 && !adopted) {
    if (auto ok = SetInt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, options.v6_only ? 1 : 0, "IPV6_V6ONLY");
        !ok) {
      return ok;
    }
  }
  if (v6) {
    if (auto ok =
            SetInt(fd_, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT, "IPV6_MTU_DISCOVER");
        !ok) {
      return ok;
    }
    if (options.packet_info) {
      if (auto ok = SetInt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"); !ok) {
        return ok;
      }
    }
  }
  // The IPv4-level options also govern IPv4 traffic on a dual-stack IPv6 socket. On a v6-only
  // socket they are harmless; their failure there is ignored.
  auto v4_option = [&](int name, int value, const char* what) -> tl::expected<void, Error> {
    auto ok = SetInt(fd_, IPPROTO_IP, name, value, what);
    if (!ok && v6) return {};
    return ok;
  };
  // PROTOCOL.md "Path-MTU": DF off, some PXE ROMs mishandle it (dnsmasq-discuss 2009).
  if (auto ok = v4_option(IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_MTU_DISCOVER"); !ok) return ok;
  if (options.packet_info) {
    if (auto ok = v4_option(IP_PKTINFO, 1, "IP_PKTINFO"); !ok) return ok;
  }
  if (options.free_bind && !adopted) {
    if (auto ok = v4_option(IP_FREEBIND, 1, "IP_FREEBIND"); !ok) return ok;
  }
  if (options.count_drops) {
    if (auto ok = SetInt(fd_, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL"); !ok) return ok;
  }
  if (options.broadcast) {
    if (auto ok = SetInt(fd_, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST"); !ok) return ok;
  }
  buffers_.receive_requested_bytes = options.receive_buffer_bytes;
  buffers_.send_requested_bytes = options.send_buffer_bytes;
  if (options.receive_buffer_bytes > 0) {
    buffers_.receive_forced = SetBuffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF,
                                        options.receive_buffer_bytes, options.force_buffers);
  }
  if (options.send_buffer_bytes > 0) {
    buffers_.send_forced =
        SetBuffer(fd_, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer_bytes, options.force_buffers);
  }
  buffers_.receive_granted_bytes = GrantedBytes(fd_, SO_RCVBUF);
  buffers_.send_granted_bytes = GrantedBytes(fd_, SO_SNDBUF);
  // udp(7) UDP_SEGMENT: readable since Linux 4.18; ENOPROTOOPT before.
  gso_supported_ = GetInt(fd_, IPPROTO_UDP, UDP_SEGMENT) >= 0;
  return {};
}

bool UdpSocket::EnableReceiveCoalescing() {
  if (!receive_coalescing_) {
    receive_coalescing_ = SetInt(fd_, IPPROTO_UDP, UDP_GRO, 1, "UDP_GRO").has_value();
  }
  return receive_coalescing_;
}

tl::expected<void, Error> UdpSocket::ReadLocalAddress() {
  sockaddr_storage ss{};
  socklen_t length = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &length) != 0) {
    return tl::unexpected(MakeError(errno, "getsockname"));
  }
  local_ = Address::FromSockaddr(reinterpret_cast<const sockaddr*>(&ss), length);
  return {};
}

tl::expected<UdpSocket, Error> UdpSocket::Open(const Address& local, const SocketOptions& options) {
  STAMPEDE_CHECK(local.IsV4() || local.IsV6());
  const bool may_fall_back = options.ipv4_fallback && local.IsV6() && local.IsUnspecified();
  auto s = OpenUnbound(local.family(), options);
  if (!s && may_fall_back && IsIpv6Unavailable(s.error().errno_value)) {
    auto v4 = Open(Address::Ipv4Any(local.port()), options);
    if (v4) v4->fell_back_to_ipv4_ = true;
    return v4;
  }
  if (!s) return s;
  if (bind(s->fd_, local.sockaddr_ptr(), local.sockaddr_length()) != 0) {
    const int e = errno;
    if (may_fall_back && IsIpv6Unavailable(e)) {
      auto v4 = Open(Address::Ipv4Any(local.port()), options);
      if (v4) v4->fell_back_to_ipv4_ = true;
      return v4;
    }
    return tl::unexpected(MakeError(e, "bind " + local.ToString()));
  }
  if (auto ok = s->ReadLocalAddress(); !ok) return tl::unexpected(ok.error());
  return s;
}

tl::expected<UdpSocket, Error> UdpSocket::Adopt(int fd, const SocketOptions& options) {
  STAMPEDE_CHECK(fd >= 0);
  UdpSocket s;
  s.fd_ = fd;  // owned from here on: every failure below closes it
  const std::string context = "adopt fd " + std::to_string(fd);
  const int type = GetInt(fd, SOL_SOCKET, SO_TYPE);
  if (type < 0) return tl::unexpected(MakeError(errno, context));  // ENOTSOCK, EBADF
  if (type != SOCK_DGRAM) {
    return tl::unexpected(MakeError(EPROTOTYPE, context + ": not a datagram socket"));
  }
  const int domain = GetInt(fd, SOL_SOCKET, SO_DOMAIN);
  if (domain != AF_INET && domain != AF_INET6) {
    return tl::unexpected(MakeError(EAFNOSUPPORT, context + ": not an IPv4 or IPv6 socket"));
  }
  if (GetInt(fd, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_UDP) {
    return tl::unexpected(MakeError(EPROTONOSUPPORT, context + ": not a UDP socket"));
  }
  s.family_ = static_cast<sa_family_t>(domain);
  if (auto ok = s.ReadLocalAddress(); !ok) {
    return tl::unexpected(MakeError(ok.error().errno_value, context + ": getsockname"));
  }
  if (s.local_.port() == 0) {
    return tl::unexpected(MakeError(EDESTADDRREQ, context + ": not bound to a port"));
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return tl::unexpected(MakeError(errno, context + ": fcntl"));
  }
  if (auto ok = s.Configure(options, /*adopted=*/true); !ok) {
    return tl::unexpected(MakeError(ok.error().errno_value, context + ": " + ok.error().context));
  }
  return s;
}

tl::expected<UdpSocket, Error> UdpSocket::OpenAny(std::uint16_t port,
                                                  const SocketOptions& options) {
  SocketOptions o = options;
  o.v6_only = false;
  o.ipv4_fallback = true;
  return Open(Address::Ipv6Any(port), o);
}

tl::expected<UdpSocket, Error> UdpSocket::BindInRange(const Address& local,
                                                      std::uint16_t first_port,
                                                      std::uint16_t last_port,
                                                      std::uint32_t start_offset,
                                                      const SocketOptions& options) {
  STAMPEDE_CHECK(local.IsV4() || local.IsV6());
  STAMPEDE_CHECK(first_port > 0 && first_port <= last_port);
  auto s = OpenUnbound(local.family(), options);
  if (!s) return s;
  const std::uint32_t range = static_cast<std::uint32_t>(last_port - first_port) + 1;
  Address candidate = local;
  for (std::uint32_t i = 0; i < range; ++i) {
    const auto port = static_cast<std::uint16_t>(first_port + (start_offset + i) % range);
    candidate.set_port(port);
    // A failed bind leaves the socket unbound, so the same fd is tried again (bind(2)).
    if (bind(s->fd_, candidate.sockaddr_ptr(), candidate.sockaddr_length()) == 0) {
      if (auto ok = s->ReadLocalAddress(); !ok) return tl::unexpected(ok.error());
      return s;
    }
    if (errno != EADDRINUSE) {
      return tl::unexpected(MakeError(errno, "bind " + candidate.ToString()));
    }
  }
  candidate.set_port(0);
  return tl::unexpected(MakeError(EADDRINUSE, "bind " + candidate.HostString() + " ports " +
                                                  std::to_string(first_port) + "-" +
                                                  std::to_string(last_port)));
}

Address UdpSocket::ForSending(const Address& to) const {
  if (family_ == AF_INET6 && to.IsV4()) return to.Mapped();
  if (family_ == AF_INET && to.IsV4Mapped()) return to.Unmapped();
  return to;
}

tl::expected<void, PacketError> UdpSocket::SendTo(std::span<const std::byte> payload,
                                                  const Address& to, const PacketInfo* from) const {
  const Address dest = ForSending(to);
  iovec iov{const_cast<std::byte*>(payload.data()), payload.size()};
  alignas(cmsghdr) std::byte control[kSendControlBytes];
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(dest.sockaddr_ptr());
  m.msg_namelen = dest.sockaddr_length();
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (from != nullptr) {
    const std::size_t n = EncodePacketInfo(*from, dest, control);
    if (n > 0) {
      m.msg_control = control;
      m.msg_controllen = n;
    }
  }
  while (sendmsg(fd_, &m, MSG_DONTWAIT) < 0) {
    if (errno != EINTR) return tl::unexpected(PacketError{errno});
  }
  return {};
}

tl::expected<std::size_t, PacketError> UdpSocket::ReceiveFrom(std::span<std::byte> buffer,
                                                              Address* peer,
                                                              PacketInfo* arrival) const {
  Address source;
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::byte control[kReceiveControlBytes];
  msghdr m{};
  m.msg_name = source.mutable_sockaddr_ptr();
  m.msg_namelen = Address::kStorageLength;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof(control);
  ssize_t n;
  // MSG_TRUNC: report the real length of an oversized datagram (udp(7)). ECONNREFUSED is an ICMP
  // error left by an earlier send; it says nothing about this receive, so read again.
  while ((n = recvmsg(fd_, &m, MSG_DONTWAIT | MSG_TRUNC)) < 0) {
    if (errno != EINTR && errno != ECONNREFUSED) return tl::unexpected(PacketError{errno});
  }
  if (peer != nullptr) *peer = source.Unmapped();
  if (arrival != nullptr) *arrival = DecodePacketInfo(m, local_.port());
  return static_cast<std::size_t>(n);
}

}  // namespace stampede::io

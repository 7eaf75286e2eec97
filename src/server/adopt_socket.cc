// AdoptUdpSocket (adopt_socket.h).
#include "server/adopt_socket.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace stampede::server {
namespace {

std::string Errno(std::string_view what, int fd) {
  return "adopted socket (fd " + std::to_string(fd) + "): " + std::string(what) + ": " +
         std::strerror(errno);
}

void SetInt(int fd, int level, int name, int value) {
  // Best effort, as io::UdpSocket::Configure: an option the family lacks is harmless.
  static_cast<void>(setsockopt(fd, level, name, &value, sizeof(value)));
}

void SetBuffer(int fd, int force_name, int name, std::size_t bytes, bool force) {
  if (bytes == 0) return;
  const int value = static_cast<int>(bytes);
  if (force && setsockopt(fd, SOL_SOCKET, force_name, &value, sizeof(value)) == 0) return;
  static_cast<void>(setsockopt(fd, SOL_SOCKET, name, &value, sizeof(value)));
}

void Configure(int fd, sa_family_t family, const io::SocketOptions& options) {
  if (family == AF_INET6) {
    SetInt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT);
    if (options.packet_info) SetInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  }
  SetInt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);       // PROTOCOL "Path-MTU"
  if (options.packet_info) SetInt(fd, IPPROTO_IP, IP_PKTINFO, 1);  // G63
  if (options.count_drops) SetInt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
  SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.receive_buffer_bytes, options.force_buffers);
  SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer_bytes, options.force_buffers);
}

}  // namespace

tl::expected<AdoptedSocket, std::string> AdoptUdpSocket(int fd, const io::SocketOptions& options) {
  sockaddr_storage ss{};
  socklen_t length = sizeof(ss);
  int type = 0;
  socklen_t type_length = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &length) != 0) {
    std::string error = Errno("not a socket", fd);
    ::close(fd);
    return tl::unexpected(error);
  }
  const io::Address local = io::Address::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), length);
  if (type != SOCK_DGRAM || local.empty()) {
    ::close(fd);
    return tl::unexpected("adopted socket (fd " + std::to_string(fd) + "): not a UDP socket");
  }
  io::SocketOptions placeholder_options = options;
  placeholder_options.free_bind = false;
  auto placeholder = io::UdpSocket::Open(
      local.IsV6() ? io::Address::Ipv6Any(0) : io::Address::Ipv4Any(0), placeholder_options);
  if (!placeholder) {
    ::close(fd);
    return tl::unexpected("adopted socket placeholder: " + placeholder.error().ToString());
  }
  if (dup2(fd, placeholder->fd()) < 0) {
    std::string error = Errno("dup2", fd);
    ::close(fd);
    return tl::unexpected(error);
  }
  ::close(fd);
  const int target = placeholder->fd();
  const int flags = fcntl(target, F_GETFL);
  if (flags < 0 || fcntl(target, F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(target, F_SETFD, FD_CLOEXEC) != 0) {
    return tl::unexpected(Errno("fcntl", target));
  }
  Configure(target, local.family(), options);
  return AdoptedSocket{std::move(*placeholder), local};
}

}  // namespace stampede::server

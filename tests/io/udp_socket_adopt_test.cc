// UdpSocket::Adopt (socket activation): a UDP socket bound elsewhere is taken over and configured
// (non-blocking, close-on-exec, DF off, packet info, its real local address), an IPv6 socket keeps
// its creator's IPV6_V6ONLY, and everything that is not a bound IPv4/IPv6 UDP socket is refused
// with context and closed.
#include <cerrno>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/udp_socket.h"
#include "io_testing.h"

namespace stampede::io {
namespace {

using testing::Bytes;
using testing::Text;
using testing::WaitReadable;

bool IsOpen(int fd) {
  return fcntl(fd, F_GETFD) >= 0;
}

// A blocking, inheritable UDP socket bound to loopback, as a service manager would pass it.
int BoundForeignSocket(int family) {
  const int fd = socket(family, SOCK_DGRAM, 0);
  EXPECT_GE(fd, 0);
  if (family == AF_INET6) {
    const int on = 1;
    EXPECT_EQ(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
  }
  const Address local = family == AF_INET6 ? *Address::Parse("[::1]:0") : Address::Ipv4Loopback(0);
  EXPECT_EQ(bind(fd, local.sockaddr_ptr(), local.sockaddr_length()), 0);
  return fd;
}

TEST(UdpSocketAdoptTest, ConfiguresAnAdoptedSocketAndServesOnIt) {
  const int fd = BoundForeignSocket(AF_INET);
  auto s = UdpSocket::Adopt(fd);
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->fd(), fd);  // the descriptor itself, not a copy
  EXPECT_EQ(s->family(), AF_INET);
  EXPECT_EQ(s->local_address().HostString(), "127.0.0.1");
  EXPECT_NE(s->local_address().port(), 0);
  EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  int value = -1;
  socklen_t length = sizeof(value);
  ASSERT_EQ(getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &value, &length), 0);
  EXPECT_EQ(value, IP_PMTUDISC_DONT);

  auto peer = UdpSocket::Open(Address::Ipv4Loopback(0));
  ASSERT_TRUE(peer);
  ASSERT_TRUE(peer->SendTo(Bytes("hello"), s->local_address()));
  ASSERT_TRUE(WaitReadable(fd));
  std::byte buf[64];
  Address from;
  PacketInfo arrival;
  auto n = s->ReceiveFrom(buf, &from, &arrival);
  ASSERT_TRUE(n);
  EXPECT_EQ(Text({buf, *n}), "hello");
  EXPECT_EQ(from, peer->local_address());
  EXPECT_EQ(arrival.local, s->local_address());  // IP_PKTINFO was turned on
  s->Close();
  EXPECT_FALSE(IsOpen(fd));
}

TEST(UdpSocketAdoptTest, KeepsTheCreatorsV6Only) {
  const int fd = BoundForeignSocket(AF_INET6);
  SocketOptions options;
  options.v6_only = false;  // cannot change once bound: must not make Adopt fail
  auto s = UdpSocket::Adopt(fd, options);
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->family(), AF_INET6);
  EXPECT_EQ(s->local_address().HostString(), "::1");
  int value = -1;
  socklen_t length = sizeof(value);
  ASSERT_EQ(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &length), 0);
  EXPECT_EQ(value, 1);
}

struct Refused {
  int fd;
  int errno_value;
};

void ExpectRefused(Refused r, const char* what) {
  auto s = UdpSocket::Adopt(r.fd);
  ASSERT_FALSE(s) << what;
  EXPECT_EQ(s.error().errno_value, r.errno_value) << what << ": " << s.error().ToString();
  EXPECT_NE(s.error().context.find("adopt fd " + std::to_string(r.fd)), std::string::npos)
      << s.error().ToString();
  EXPECT_FALSE(IsOpen(r.fd)) << what << ": a refused descriptor is closed";
}

TEST(UdpSocketAdoptTest, RefusesWhatIsNotABoundUdpSocket) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  close(pipe_fds[1]);
  ExpectRefused({pipe_fds[0], ENOTSOCK}, "pipe");

  ExpectRefused({socket(AF_INET, SOCK_STREAM, 0), EPROTOTYPE}, "TCP socket");
  ExpectRefused({socket(AF_UNIX, SOCK_DGRAM, 0), EAFNOSUPPORT}, "Unix datagram socket");
  ExpectRefused({socket(AF_INET, SOCK_DGRAM, 0), EDESTADDRREQ}, "unbound UDP socket");
  // SOCK_DGRAM with protocol ICMP ("ping socket") may be forbidden by net.ipv4.ping_group_range.
  const int ping = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (ping >= 0) ExpectRefused({ping, EPROTONOSUPPORT}, "ICMP datagram socket");
}

}  // namespace
}  // namespace stampede::io

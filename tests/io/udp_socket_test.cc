// UdpSocket on loopback: options (non-blocking, close-on-exec, DF off, buffers), replies from the
// arrival address on a 0.0.0.0 socket (G63), dual-stack [::], IPv6, IP_FREEBIND, BindInRange with
// exhaustion, and error context.
#include "io/udp_socket.h"

#include <fstream>
#include <set>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

#include "io_testing.h"

namespace stampede::io {
namespace {

using testing::Bytes;
using testing::Text;
using testing::WaitReadable;

UdpSocket OpenOrDie(const char* text, const SocketOptions& options = {}) {
  auto s = UdpSocket::Open(*Address::Parse(text), options);
  EXPECT_TRUE(s.has_value()) << text << ": " << s.error().ToString();
  return s ? std::move(*s) : UdpSocket();
}

// A private range for this process, below the ephemeral range (32768+) so kernel-chosen ports of
// concurrent tests do not wander into it.
std::uint16_t RangeBase() {
  return static_cast<std::uint16_t>(20000 + (getpid() % 1000) * 8);
}

TEST(UdpSocketTest, OpensNonBlockingCloseOnExecWithDfOff) {
  UdpSocket s = OpenOrDie("127.0.0.1:0");
  ASSERT_TRUE(s.is_open());
  EXPECT_NE(s.local_address().port(), 0);
  EXPECT_EQ(s.local_address().HostString(), "127.0.0.1");
  EXPECT_TRUE(fcntl(s.fd(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(s.fd(), F_GETFD) & FD_CLOEXEC);
  int pmtu = -1;
  socklen_t length = sizeof(pmtu);
  ASSERT_EQ(getsockopt(s.fd(), IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, &length), 0);
  EXPECT_EQ(pmtu, IP_PMTUDISC_DONT);
}

TEST(UdpSocketTest, SendAndReceiveWithArrivalInfo) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  ASSERT_TRUE(a.SendTo(Bytes("hello"), b.local_address()));
  ASSERT_TRUE(WaitReadable(b.fd()));
  std::byte buf[64];
  Address peer;
  PacketInfo arrival;
  auto n = b.ReceiveFrom(buf, &peer, &arrival);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(Text({buf, *n}), "hello");
  EXPECT_EQ(peer, a.local_address());
  EXPECT_EQ(arrival.local, b.local_address());
  EXPECT_NE(arrival.interface_index, 0u);
  auto empty = b.ReceiveFrom(buf, &peer);
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().kind(), IoErrorKind::kWouldBlock);
}

// G63: a server bound to 0.0.0.0 answers from the address the request was sent to.
TEST(UdpSocketTest, ReplyLeavesFromArrivalAddress) {
  UdpSocket server = OpenOrDie("0.0.0.0:0");
  UdpSocket client = OpenOrDie("127.0.0.1:0");
  const Address target = *Address::Parse("127.0.0.2", server.local_address().port());
  ASSERT_TRUE(client.SendTo(Bytes("rrq"), target));
  ASSERT_TRUE(WaitReadable(server.fd()));
  std::byte buf[64];
  Address peer;
  PacketInfo arrival;
  ASSERT_TRUE(server.ReceiveFrom(buf, &peer, &arrival));
  EXPECT_EQ(arrival.local, target);
  EXPECT_EQ(peer, client.local_address());

  ASSERT_TRUE(server.SendTo(Bytes("with"), peer, &arrival));
  ASSERT_TRUE(server.SendTo(Bytes("without"), peer));
  Address from1, from2;
  ASSERT_TRUE(WaitReadable(client.fd()));
  ASSERT_TRUE(client.ReceiveFrom(buf, &from1));
  ASSERT_TRUE(WaitReadable(client.fd()));
  ASSERT_TRUE(client.ReceiveFrom(buf, &from2));
  EXPECT_EQ(from1, target);                    // 127.0.0.2: the arrival address
  EXPECT_EQ(from2.HostString(), "127.0.0.1");  // the kernel's own choice differs
}

TEST(UdpSocketTest, DualStackAnyServesIpv4) {
  auto any = UdpSocket::OpenAny(0);
  ASSERT_TRUE(any.has_value()) << any.error().ToString();
  if (any->FellBackToIpv4()) GTEST_SKIP() << "IPv6 unavailable: [::] fell back to 0.0.0.0";
  EXPECT_EQ(any->family(), AF_INET6);
  UdpSocket client = OpenOrDie("127.0.0.1:0");
  const Address target = Address::Ipv4Loopback(any->local_address().port());
  ASSERT_TRUE(client.SendTo(Bytes("v4"), target));
  ASSERT_TRUE(WaitReadable(any->fd()));
  std::byte buf[16];
  Address peer;
  PacketInfo arrival;
  ASSERT_TRUE(any->ReceiveFrom(buf, &peer, &arrival));
  EXPECT_EQ(peer, client.local_address());  // IPv4 form, not ::ffff:127.0.0.1
  EXPECT_EQ(arrival.local, target);
  ASSERT_TRUE(any->SendTo(Bytes("back"), peer, &arrival));
  ASSERT_TRUE(WaitReadable(client.fd()));
  Address from;
  ASSERT_TRUE(client.ReceiveFrom(buf, &from));
  EXPECT_EQ(from, target);
}

TEST(UdpSocketTest, Ipv6Loopback) {
  if (!testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "::1 unavailable on this host";
  UdpSocket a = OpenOrDie("[::1]:0");
  UdpSocket b = OpenOrDie("[::]:0");
  const Address target = Address::Ipv6Loopback(b.local_address().port());
  ASSERT_TRUE(a.SendTo(Bytes("six"), target));
  ASSERT_TRUE(WaitReadable(b.fd()));
  std::byte buf[16];
  Address peer;
  PacketInfo arrival;
  auto n = b.ReceiveFrom(buf, &peer, &arrival);
  ASSERT_TRUE(n);
  EXPECT_EQ(Text({buf, *n}), "six");
  EXPECT_EQ(peer, a.local_address());
  EXPECT_EQ(arrival.local, target);
  ASSERT_TRUE(b.SendTo(Bytes("xis"), peer, &arrival));
  ASSERT_TRUE(WaitReadable(a.fd()));
  Address from;
  ASSERT_TRUE(a.ReceiveFrom(buf, &from));
  EXPECT_EQ(from, target);
}

TEST(UdpSocketTest, FreeBindAcceptsAnAddressThatIsNotUp) {
  // TEST-NET-2 (RFC 5737): not configured here. Binding sends nothing.
  SocketOptions strict;
  strict.free_bind = false;
  auto refused = UdpSocket::Open(*Address::Parse("198.51.100.7:0"), strict);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().errno_value, EADDRNOTAVAIL);
  EXPECT_EQ(refused.error().ToString(), "bind 198.51.100.7:0: Cannot assign requested address");
  auto freebound = UdpSocket::Open(*Address::Parse("198.51.100.7:0"));
  ASSERT_TRUE(freebound.has_value()) << freebound.error().ToString();
}

TEST(UdpSocketTest, BindErrorCarriesContext) {
  UdpSocket first = OpenOrDie("127.0.0.1:0");
  auto second = UdpSocket::Open(first.local_address());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().errno_value, EADDRINUSE);
  EXPECT_EQ(second.error().ToString(),
            "bind " + first.local_address().ToString() + ": Address already in use");
}

TEST(UdpSocketTest, BindInRangeSpreadsAndReportsExhaustion) {
  const std::uint16_t lo = RangeBase();
  const std::uint16_t hi = static_cast<std::uint16_t>(lo + 3);
  std::vector<UdpSocket> held;
  std::set<std::uint16_t> ports;
  tl::expected<UdpSocket, Error> last;
  for (std::uint32_t offset = 0; offset < 6; ++offset) {
    last = UdpSocket::BindInRange(Address::Ipv4Loopback(0), lo, hi, offset * 7);
    if (!last) break;
    const std::uint16_t p = last->local_address().port();
    EXPECT_GE(p, lo);
    EXPECT_LE(p, hi);
    ports.insert(p);
    held.push_back(std::move(*last));
  }
  ASSERT_FALSE(last.has_value()) << "a 4-port range gave more than 4 sockets";
  EXPECT_GE(held.size(), 1u);  // another process may hold some of the range
  EXPECT_EQ(ports.size(), held.size());
  EXPECT_EQ(last.error().errno_value, EADDRINUSE);
  EXPECT_EQ(last.error().ToString(), "bind 127.0.0.1 ports " + std::to_string(lo) + "-" +
                                         std::to_string(hi) + ": Address already in use");
  // Freeing one port makes the range usable again.
  const std::uint16_t freed = held.front().local_address().port();
  held.erase(held.begin());
  auto again = UdpSocket::BindInRange(Address::Ipv4Loopback(0), lo, hi, 0);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->local_address().port(), freed);
}

TEST(UdpSocketTest, BindInRangeStartsAtTheOffset) {
  const std::uint16_t lo = static_cast<std::uint16_t>(RangeBase() + 4);
  auto s = UdpSocket::BindInRange(Address::Ipv4Loopback(0), lo, static_cast<std::uint16_t>(lo + 3),
                                  6);  // 6 % 4 = 2
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  // Unless another process holds it, the first port tried is lo + 2.
  EXPECT_GE(s->local_address().port(), lo);
  if (s->local_address().port() != lo + 2) GTEST_SKIP() << "port " << lo + 2 << " was busy";
}

std::size_t ReadSysctl(const char* path) {
  std::ifstream in(path);
  std::size_t value = 0;
  in >> value;
  return value;
}

TEST(UdpSocketTest, BufferReportShowsTheKernelCap) {
  const std::size_t rmem_max = ReadSysctl("/proc/sys/net/core/rmem_max");
  if (rmem_max == 0) GTEST_SKIP() << "cannot read net.core.rmem_max";
  SocketOptions capped;
  capped.force_buffers = false;
  capped.receive_buffer_bytes = rmem_max * 2;
  capped.send_buffer_bytes = 0;  // kernel default, not reported as capped
  UdpSocket s = OpenOrDie("127.0.0.1:0", capped);
  const BufferReport& r = s.buffer_report();
  EXPECT_TRUE(r.receive_capped());
  EXPECT_FALSE(r.receive_forced);
  EXPECT_EQ(r.receive_granted_bytes, rmem_max);
  EXPECT_FALSE(r.send_capped());
  EXPECT_GT(r.send_granted_bytes, 0u);

  SocketOptions forced;
  forced.receive_buffer_bytes = rmem_max * 2;
  UdpSocket f = OpenOrDie("127.0.0.1:0", forced);
  if (!f.buffer_report().receive_forced) {
    EXPECT_TRUE(f.buffer_report().receive_capped());  // unprivileged: capped, and told so
  } else {
    EXPECT_FALSE(f.buffer_report().receive_capped());
    EXPECT_GE(f.buffer_report().receive_granted_bytes, rmem_max * 2);
  }
}

TEST(UdpSocketTest, Ipv6UnavailableErrors) {
  EXPECT_TRUE(IsIpv6Unavailable(EAFNOSUPPORT));
  EXPECT_TRUE(IsIpv6Unavailable(EADDRNOTAVAIL));
  EXPECT_FALSE(IsIpv6Unavailable(EADDRINUSE));
  EXPECT_FALSE(IsIpv6Unavailable(EACCES));
}

TEST(UdpSocketTest, MoveTransfersOwnership) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  const int fd = a.fd();
  UdpSocket b = std::move(a);
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): the moved-from state is tested
  EXPECT_EQ(b.fd(), fd);
  b.Close();
  EXPECT_FALSE(b.is_open());
}

}  // namespace
}  // namespace stampede::io

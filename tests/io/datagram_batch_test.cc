// RxBatch/TxBatch on loopback: batches through two sockets with arrival info, replies from the
// arrival address, many datagrams per sendmmsg, per-datagram failures that skip only that
// datagram, truncation, stale ICMP errors on receive, UDP GSO runs received as separate
// datagrams of the right sizes, and coalesced (UDP_GRO) receives split back into datagrams.
#include "io/datagram_batch.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "io/clock.h"
#include "io_testing.h"

namespace stampede::io {
namespace {

using testing::Bytes;
using testing::Numbered;
using testing::Text;
using testing::WaitReadable;

UdpSocket OpenOrDie(const char* text) {
  auto s = UdpSocket::Open(*Address::Parse(text));
  EXPECT_TRUE(s.has_value()) << text << ": " << s.error().ToString();
  return s ? std::move(*s) : UdpSocket();
}

struct Received {
  std::vector<std::vector<std::byte>> payloads;
  std::vector<Address> peers;
  std::vector<PacketInfo> arrivals;
  std::size_t truncated = 0;
  IoErrorCounts errors;
};

// Receives until `expected` datagrams arrived or two seconds passed.
Received ReceiveAll(const UdpSocket& socket, RxBatch& rx, std::size_t expected) {
  Received out;
  const Instant deadline = Now() + std::chrono::seconds(2);
  while (out.payloads.size() < expected && Now() < deadline) {
    if (!WaitReadable(socket.fd(), 100)) continue;
    const RxReport report = rx.Receive(socket, rx.capacity());
    out.truncated += report.truncated;
    out.errors += report.errors;
    for (const RxDatagram& d : rx.datagrams()) {
      out.payloads.emplace_back(d.payload.begin(), d.payload.end());
      out.peers.push_back(*d.peer);
      out.arrivals.push_back(d.arrival);
    }
  }
  return out;
}

TEST(DatagramBatchTest, BatchThroughTwoSocketsWithArrivalInfo) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  TxBatch tx(64, 1500, /*use_gso=*/false);
  for (std::uint32_t i = 0; i < 64; ++i) {
    const auto payload = Numbered(i, 100 + i);
    tx.Add(payload, b.local_address(), nullptr, i);
  }
  const TxReport report = tx.Flush(a);
  EXPECT_EQ(report.sent, 64u);
  EXPECT_EQ(report.lost, 0u);
  EXPECT_EQ(report.syscalls, 1u);
  EXPECT_TRUE(tx.empty());
  ASSERT_EQ(tx.flushed_count(), 64u);
  EXPECT_EQ(tx.outcome(63), SendOutcome::kSent);
  EXPECT_EQ(tx.tag(63), 63u);

  RxBatch rx(16, 1500);
  const Received got = ReceiveAll(b, rx, 64);
  ASSERT_EQ(got.payloads.size(), 64u);
  for (std::uint32_t i = 0; i < 64; ++i) {
    EXPECT_EQ(got.payloads[i], Numbered(i, 100 + i)) << i;
    EXPECT_EQ(got.peers[i], a.local_address());
    EXPECT_EQ(got.arrivals[i].local, b.local_address());
  }
}

// G63 in batch form: requests to 127.0.0.2 on a 0.0.0.0 socket are answered from 127.0.0.2.
TEST(DatagramBatchTest, RepliesLeaveFromArrivalAddress) {
  UdpSocket server = OpenOrDie("0.0.0.0:0");
  UdpSocket client = OpenOrDie("127.0.0.1:0");
  const Address target = *Address::Parse("127.0.0.2", server.local_address().port());
  TxBatch requests(8, 512);
  for (std::uint32_t i = 0; i < 8; ++i) requests.Add(Numbered(i, 20), target);
  ASSERT_EQ(requests.Flush(client).sent, 8u);

  RxBatch rx(8, 512);
  TxBatch replies(8, 512);
  std::size_t answered = 0;
  const Instant deadline = Now() + std::chrono::seconds(2);
  while (answered < 8 && Now() < deadline) {
    if (!WaitReadable(server.fd(), 100)) continue;
    rx.Receive(server, 8);
    for (const RxDatagram& d : rx.datagrams()) {
      EXPECT_EQ(d.arrival.local, target);
      replies.Add(d.payload, *d.peer, &d.arrival);  // process in place, answer in a batch
      ++answered;
    }
    EXPECT_EQ(replies.Flush(server).lost, 0u);
  }
  RxBatch client_rx(8, 512);
  const Received got = ReceiveAll(client, client_rx, 8);
  ASSERT_EQ(got.payloads.size(), 8u);
  for (const Address& from : got.peers) EXPECT_EQ(from, target);
}

TEST(DatagramBatchTest, ManyDatagramsPerSendmmsg) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  constexpr std::uint32_t kTotal = 2000;
  TxBatch tx(256, 600, /*use_gso=*/false);
  RxBatch rx(64, 600);
  std::size_t sent = 0, syscalls = 0;
  Received got;
  for (std::uint32_t i = 0; i < kTotal; ++i) {
    tx.Add(Numbered(i, 64), b.local_address());
    if (tx.full() || i + 1 == kTotal) {
      const TxReport r = tx.Flush(a);
      sent += r.sent;
      syscalls += r.syscalls;
      EXPECT_EQ(r.lost, 0u);
      // Drain as we go so the receive buffer never overflows.
      while (rx.Receive(b, 64).received > 0) {
        for (const RxDatagram& d : rx.datagrams())
          got.payloads.emplace_back(d.payload.begin(), d.payload.end());
      }
    }
  }
  EXPECT_EQ(sent, kTotal);
  EXPECT_LE(syscalls, (kTotal + 255) / 256 + 2);
  const Received rest = ReceiveAll(b, rx, kTotal - got.payloads.size());
  got.payloads.insert(got.payloads.end(), rest.payloads.begin(), rest.payloads.end());
  ASSERT_EQ(got.payloads.size(), kTotal);
  for (std::uint32_t i = 0; i < kTotal; ++i) ASSERT_EQ(got.payloads[i], Numbered(i, 64)) << i;
}

// A datagram the kernel refuses (here: port 0, EINVAL; in production EPERM from nftables) is lost
// alone; the datagrams after it still go out.
TEST(DatagramBatchTest, FailedDatagramIsSkippedAndTheRestSent) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  TxBatch tx(8, 64);
  tx.Add(Bytes("one"), b.local_address(), nullptr, 1);
  tx.Add(Bytes("bad"), Address::Ipv4Loopback(0), nullptr, 2);
  tx.Add(Bytes("two"), b.local_address(), nullptr, 3);
  tx.Add(Bytes("bad6"), Address::Ipv6Loopback(69), nullptr, 4);  // wrong family for the socket
  tx.Add(Bytes("three"), b.local_address(), nullptr, 5);
  const TxReport r = tx.Flush(a);
  EXPECT_EQ(r.sent, 3u);
  EXPECT_EQ(r.lost, 2u);
  EXPECT_EQ(r.errors.other, 2u);
  EXPECT_EQ(r.errors.total(), 2u);
  ASSERT_EQ(tx.flushed_count(), 5u);
  EXPECT_EQ(tx.outcome(0), SendOutcome::kSent);
  EXPECT_EQ(tx.outcome(1), SendOutcome::kLost);
  EXPECT_EQ(tx.outcome_errno(1), EINVAL);
  EXPECT_EQ(tx.tag(1), 2u);
  EXPECT_EQ(tx.outcome(2), SendOutcome::kSent);
  EXPECT_EQ(tx.outcome(3), SendOutcome::kLost);
  EXPECT_EQ(tx.outcome(4), SendOutcome::kSent);
  RxBatch rx(8, 64);
  const Received got = ReceiveAll(b, rx, 3);
  ASSERT_EQ(got.payloads.size(), 3u);
  EXPECT_EQ(Text(got.payloads[0]), "one");
  EXPECT_EQ(Text(got.payloads[1]), "two");
  EXPECT_EQ(Text(got.payloads[2]), "three");
}

TEST(DatagramBatchTest, OversizedDatagramIsFlaggedTruncated) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  ASSERT_TRUE(a.SendTo(Numbered(1, 200), b.local_address()));
  RxBatch rx(4, 100);
  const Received got = ReceiveAll(b, rx, 1);
  ASSERT_EQ(got.payloads.size(), 1u);
  EXPECT_EQ(got.truncated, 1u);
  EXPECT_EQ(got.payloads[0].size(), 100u);
}

// An ICMP port unreachable from an earlier send surfaces as ECONNREFUSED on the next receive; it
// is counted and the queued datagram is still delivered.
TEST(DatagramBatchTest, StaleConnectionRefusedIsSkipped) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  Address closed;
  {
    UdpSocket probe = OpenOrDie("127.0.0.1:0");
    closed = probe.local_address();
  }
  // Only a connected UDP socket is told about ICMP errors (udp(7)).
  ASSERT_EQ(connect(a.fd(), closed.sockaddr_ptr(), closed.sockaddr_length()), 0);
  ASSERT_EQ(send(a.fd(), "x", 1, 0), 1);
  auto b = UdpSocket::Open(closed);
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  ASSERT_TRUE(b->SendTo(Bytes("late"), a.local_address()));
  RxBatch rx(4, 64);
  const Received got = ReceiveAll(a, rx, 1);
  ASSERT_EQ(got.payloads.size(), 1u);
  EXPECT_EQ(Text(got.payloads[0]), "late");
  EXPECT_LE(got.errors.connection_refused, 1u);
  EXPECT_EQ(got.errors.total(), got.errors.connection_refused);
}

TEST(DatagramBatchTest, ReportsKernelDropsWhenTheReceiveBufferOverflows) {
  SocketOptions tiny;
  tiny.force_buffers = false;
  tiny.receive_buffer_bytes = 1;  // the kernel's minimum: a few datagrams
  auto b = UdpSocket::Open(Address::Ipv4Loopback(0), tiny);
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  TxBatch tx(64, 1000, /*use_gso=*/false);
  for (std::uint32_t i = 0; i < 64; ++i) tx.Add(Numbered(i, 1000), b->local_address());
  ASSERT_EQ(tx.Flush(a).sent, 64u);  // accepted by the kernel, dropped at the receiver
  RxBatch rx(64, 1000);
  while (rx.Receive(*b, 64).received > 0) {
  }
  // Datagrams queued before the drops carry no count; the next one does.
  ASSERT_TRUE(a.SendTo(Bytes("after"), b->local_address()));
  ASSERT_TRUE(WaitReadable(b->fd()));
  const RxReport r = rx.Receive(*b, 64);
  ASSERT_EQ(r.received, 1u);
  EXPECT_GT(r.kernel_drops_total, 0u);
  EXPECT_LT(r.kernel_drops_total, 64u);
}

TEST(DatagramBatchTest, GsoRunArrivesAsSeparateDatagrams) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  UdpSocket c = OpenOrDie("127.0.0.1:0");
  if (!a.gso_supported()) GTEST_SKIP() << "kernel without UDP_SEGMENT";
  TxBatch tx(128, 1472);
  // Run 1: 9 x 1472 + 500 to b. Run 2: 3 x 1472 to c. Run 3: 50 x 1472 to b (byte cap: 44 + 6).
  for (std::uint32_t i = 0; i < 9; ++i) tx.Add(Numbered(i, 1472), b.local_address());
  tx.Add(Numbered(9, 500), b.local_address());
  for (std::uint32_t i = 0; i < 3; ++i) tx.Add(Numbered(100 + i, 1472), c.local_address());
  for (std::uint32_t i = 0; i < 50; ++i) tx.Add(Numbered(200 + i, 1472), b.local_address());
  const TxReport r = tx.Flush(a);
  EXPECT_EQ(r.sent, 63u);
  EXPECT_EQ(r.lost, 0u);
  if (r.gso_fallbacks > 0 || tx.gso_refused()) {
    GTEST_SKIP() << "the kernel refused GSO on loopback; fell back to plain datagrams";
  }
  EXPECT_EQ(r.gso_messages, 4u);
  EXPECT_EQ(r.syscalls, 1u);

  RxBatch rx(64, 2000);
  const Received at_b = ReceiveAll(b, rx, 60);
  ASSERT_EQ(at_b.payloads.size(), 60u);
  for (std::uint32_t i = 0; i < 9; ++i) EXPECT_EQ(at_b.payloads[i], Numbered(i, 1472)) << i;
  EXPECT_EQ(at_b.payloads[9], Numbered(9, 500));
  for (std::uint32_t i = 0; i < 50; ++i) {
    EXPECT_EQ(at_b.payloads[10 + i], Numbered(200 + i, 1472)) << i;
  }
  const Received at_c = ReceiveAll(c, rx, 3);
  ASSERT_EQ(at_c.payloads.size(), 3u);
  EXPECT_EQ(at_c.payloads[2], Numbered(102, 1472));
}

TEST(DatagramBatchTest, GsoRunsBreakOnLongerDatagramsAndSegmentCap) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  if (!a.gso_supported()) GTEST_SKIP() << "kernel without UDP_SEGMENT";
  TxBatch tx(128, 1000);
  // 100 x 600 (64-segment cap: 64 + 36), then 300, then a longer 700 that cannot follow it.
  for (std::uint32_t i = 0; i < 100; ++i) tx.Add(Numbered(i, 600), b.local_address());
  tx.Add(Numbered(100, 300), b.local_address());
  tx.Add(Numbered(101, 700), b.local_address());
  const TxReport r = tx.Flush(a);
  if (r.gso_fallbacks > 0) GTEST_SKIP() << "the kernel refused GSO on loopback";
  EXPECT_EQ(r.sent, 102u);
  EXPECT_EQ(r.gso_messages, 2u);  // [0,64) and [64,101); 700 goes alone
  RxBatch rx(128, 1000);
  const Received got = ReceiveAll(b, rx, 102);
  ASSERT_EQ(got.payloads.size(), 102u);
  EXPECT_EQ(got.payloads[99].size(), 600u);
  EXPECT_EQ(got.payloads[100], Numbered(100, 300));
  EXPECT_EQ(got.payloads[101], Numbered(101, 700));
}

// With UDP_GRO on the receiving socket, a loopback GSO run is queued whole and arrives as one
// message; RxBatch hands back its datagrams with their own sizes and contents, in order, and a
// run to another socket or a longer datagram stays separate.
TEST(DatagramBatchTest, CoalescedRunIsSplitBackIntoDatagrams) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  if (!a.gso_supported()) GTEST_SKIP() << "kernel without UDP_SEGMENT";
  if (!b.EnableReceiveCoalescing()) GTEST_SKIP() << "kernel without UDP_GRO";
  EXPECT_TRUE(b.receive_coalescing());
  TxBatch tx(128, 1472);
  // 20 x 1472 + 700 (one GSO message), then 1472 bytes alone after the short one ends the run.
  for (std::uint32_t i = 0; i < 20; ++i) tx.Add(Numbered(i, 1472), b.local_address());
  tx.Add(Numbered(20, 700), b.local_address());
  tx.Add(Numbered(21, 1472), b.local_address());
  const TxReport r = tx.Flush(a);
  if (r.gso_fallbacks > 0 || tx.gso_refused()) GTEST_SKIP() << "the kernel refused GSO";
  ASSERT_EQ(r.sent, 22u);
  ASSERT_TRUE(WaitReadable(b.fd()));
  RxBatch rx(4, kCoalescedMessageBytes);
  std::vector<std::vector<std::byte>> got;
  std::size_t messages = 0;
  const Instant deadline = Now() + std::chrono::seconds(2);
  while (got.size() < 22 && Now() < deadline) {
    if (!WaitReadable(b.fd(), 100)) continue;
    const RxReport report = rx.Receive(b, rx.capacity());
    EXPECT_EQ(report.truncated, 0u);
    EXPECT_EQ(report.received, rx.size());
    messages += report.messages;
    for (const RxDatagram& d : rx.datagrams()) {
      EXPECT_EQ(*d.peer, a.local_address());
      got.emplace_back(d.payload.begin(), d.payload.end());
    }
  }
  ASSERT_EQ(got.size(), 22u);
  for (std::uint32_t i = 0; i < 20; ++i) EXPECT_EQ(got[i], Numbered(i, 1472)) << i;
  EXPECT_EQ(got[20], Numbered(20, 700));
  EXPECT_EQ(got[21], Numbered(21, 1472));
  EXPECT_EQ(messages, 2u);  // the run of 21 whole, then the lone datagram
}

// A coalesced message longer than the slot: the whole segments that fit are intact and only the
// piece the slot cut is flagged truncated (the rest of the run is lost, as a cut datagram is).
TEST(DatagramBatchTest, CoalescedRunCutBySmallSlotFlagsOnlyTheCutPiece) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  if (!a.gso_supported()) GTEST_SKIP() << "kernel without UDP_SEGMENT";
  if (!b.EnableReceiveCoalescing()) GTEST_SKIP() << "kernel without UDP_GRO";
  TxBatch tx(16, 1000);
  for (std::uint32_t i = 0; i < 8; ++i) tx.Add(Numbered(i, 1000), b.local_address());
  const TxReport r = tx.Flush(a);
  if (r.gso_fallbacks > 0 || tx.gso_refused()) GTEST_SKIP() << "the kernel refused GSO";
  ASSERT_TRUE(WaitReadable(b.fd()));
  RxBatch rx(2, 2500);
  const RxReport report = rx.Receive(b, 2);
  ASSERT_EQ(report.messages, 1u);
  ASSERT_EQ(rx.size(), 3u);
  EXPECT_EQ(std::vector<std::byte>(rx[0].payload.begin(), rx[0].payload.end()), Numbered(0, 1000));
  EXPECT_EQ(std::vector<std::byte>(rx[1].payload.begin(), rx[1].payload.end()), Numbered(1, 1000));
  EXPECT_FALSE(rx[1].truncated);
  EXPECT_EQ(rx[2].payload.size(), 500u);
  EXPECT_TRUE(rx[2].truncated);
  EXPECT_EQ(report.truncated, 1u);
}

TEST(DatagramBatchTest, GsoCanBeTurnedOff) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  TxBatch tx(8, 100, /*use_gso=*/false);
  for (std::uint32_t i = 0; i < 8; ++i) tx.Add(Numbered(i, 100), b.local_address());
  const TxReport r = tx.Flush(a);
  EXPECT_EQ(r.sent, 8u);
  EXPECT_EQ(r.gso_messages, 0u);
}

TEST(DatagramBatchTest, InPlaceBuildWithNextBuffer) {
  UdpSocket a = OpenOrDie("127.0.0.1:0");
  UdpSocket b = OpenOrDie("127.0.0.1:0");
  TxBatch tx(2, 16);
  std::span<std::byte> buf = tx.NextBuffer();
  ASSERT_EQ(buf.size(), 16u);
  buf[0] = std::byte{0};
  buf[1] = std::byte{4};
  tx.Commit(2, b.local_address());
  EXPECT_EQ(tx.Flush(a).sent, 1u);
  RxBatch rx(2, 16);
  const Received got = ReceiveAll(b, rx, 1);
  ASSERT_EQ(got.payloads.size(), 1u);
  EXPECT_EQ(got.payloads[0], (std::vector<std::byte>{std::byte{0}, std::byte{4}}));
}

TEST(DatagramBatchTest, Ipv6BatchWithArrivalInfo) {
  if (!testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "::1 unavailable on this host";
  UdpSocket a = OpenOrDie("[::1]:0");
  UdpSocket b = OpenOrDie("[::]:0");
  const Address target = Address::Ipv6Loopback(b.local_address().port());
  TxBatch tx(8, 1200);
  for (std::uint32_t i = 0; i < 8; ++i) tx.Add(Numbered(i, 1200), target);
  EXPECT_EQ(tx.Flush(a).sent, 8u);
  RxBatch rx(8, 1200);
  const Received got = ReceiveAll(b, rx, 8);
  ASSERT_EQ(got.payloads.size(), 8u);
  EXPECT_EQ(got.arrivals[0].local, target);
  EXPECT_EQ(got.peers[7], a.local_address());
}

TEST(DatagramBatchTest, ErrorCountsClassify) {
  IoErrorCounts c;
  c.Add(EAGAIN);
  c.Add(ENOBUFS, 3);
  c.Add(EPERM);
  c.Add(EACCES);
  c.Add(ECONNREFUSED);
  c.Add(EHOSTUNREACH);
  EXPECT_EQ(c.would_block, 1u);
  EXPECT_EQ(c.no_buffers, 3u);
  EXPECT_EQ(c.permission, 2u);
  EXPECT_EQ(c.connection_refused, 1u);
  EXPECT_EQ(c.other, 1u);
  EXPECT_EQ(c.last_other_errno, EHOSTUNREACH);
  EXPECT_EQ(c.total(), 8u);
  IoErrorCounts sum;
  sum += c;
  sum += c;
  EXPECT_EQ(sum.total(), 16u);
}

}  // namespace
}  // namespace stampede::io

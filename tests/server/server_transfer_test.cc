// Server engine end to end on loopback: downloads with and without options, block-number wraps,
// duplicate requests (E40), new ports (E41), strays (E39), PXE probes (E42), the transfer log line.
#include <filesystem>

#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

TEST(ServerTransferTest, ServesFileWithoutOptions) {
  TempDir root;
  const std::string content = Content(5000);
  root.Write("boot/pxelinux.0", content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  const ClientResult r = Fetch(h.address(), "boot/pxelinux.0");
  EXPECT_EQ(r.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(r.content, content);
  EXPECT_NE(r.server_tid.port(), h.address().port());  // RFC 1350 §4: a new TID
  ASSERT_TRUE(h.log().WaitForSummaries(1));
  const TransferSummary s = h.log().summaries().front();
  EXPECT_EQ(s.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(s.bytes, content.size());
  EXPECT_EQ(s.filename, "boot/pxelinux.0");
  EXPECT_FALSE(s.oack_sent);
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().completed, 1u);
  EXPECT_EQ(h.server().metrics().sessions_active, 0u);
  bool logged = false;
  for (const std::string& line : h.log().lines()) {
    if (line.find("read \"boot/pxelinux.0\" octet") != std::string::npos &&
        line.find("outcome=complete") != std::string::npos &&
        line.find("bytes=5000") != std::string::npos) {
      logged = true;
    }
  }
  EXPECT_TRUE(logged);
}

TEST(ServerTransferTest, NegotiatesBlksizeWindowsizeTsize) {
  TempDir root;
  const std::string content = Content(100000);
  root.Write("initrd", content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  // By hand: OACK from the new TID, then ACK 0 starts DATA 1 of the negotiated size.
  RawClient raw;
  raw.Send(Rrq("initrd", Opt("blksize", "1024") + Opt("tsize", "0") + Opt("windowsize", "4")),
           h.address());
  auto oack = raw.Receive();
  ASSERT_TRUE(oack);
  ASSERT_EQ(Opcode(*oack), 6);
  const std::string text = Text(oack->bytes);
  EXPECT_NE(text.find(std::string("blksize\0"
                                  "1024\0",
                                  13)),
            std::string::npos);
  EXPECT_NE(text.find(std::string("tsize\0"
                                  "100000\0",
                                  13)),
            std::string::npos);
  EXPECT_NE(text.find(std::string("windowsize\0"
                                  "4\0",
                                  13)),
            std::string::npos);
  raw.Send(Ack(0), oack->from);
  auto data = raw.Receive();
  ASSERT_TRUE(data);
  EXPECT_EQ(Opcode(*data), 3);
  EXPECT_EQ(Field(*data), 1);
  EXPECT_EQ(data->bytes.size(), 4u + 1024u);
  // With the engine's client: the whole file.
  const ClientResult r =
      Fetch(h.address(), "initrd", {{"blksize", "1468"}, {"tsize", "0"}, {"windowsize", "8"}});
  EXPECT_EQ(r.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(r.content, content);
  EXPECT_EQ(r.options.blksize, 1468);
  EXPECT_EQ(r.options.windowsize, 8);
  EXPECT_EQ(r.options.tsize, 100000u);
}

TEST(ServerTransferTest, EmptyFileOmitsTsizeZeroQuirk) {
  TempDir root;
  root.Write("empty", "");
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Rrq("empty", Opt("tsize", "0")), h.address());
  auto reply = raw.Receive();
  ASSERT_TRUE(reply);
  // curl 7.88 refuses "tsize 0": with only tsize asked, no OACK at all, DATA 1 of 0 bytes.
  EXPECT_EQ(Opcode(*reply), 3);
  EXPECT_EQ(reply->bytes.size(), 4u);
}

TEST(ServerTransferTest, BlockNumbersWrapAtBlksize8) {
  TempDir root;
  const std::string content = Content(600 * 1024 + 3);  // 76,801 blocks of 8 bytes: one wrap
  root.Write("big", content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  const ClientResult r =
      Fetch(h.address(), "big", {{"blksize", "8"}, {"windowsize", "8"}, {"tsize", "0"}});
  EXPECT_EQ(r.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(r.content.size(), content.size());
  EXPECT_TRUE(r.content == content);
  EXPECT_GT(r.stats.blocks_transferred, 65536u)
      << "data " << r.stats.data_received << " dup " << r.stats.duplicate_data << " ooo "
      << r.stats.out_of_order_data << " oow " << r.stats.out_of_window_data << " acks "
      << r.stats.acks_sent << " gap " << r.stats.gap_acks_sent << " timeouts " << r.stats.timeouts;
}

TEST(ServerTransferTest, DuplicateRequestDoesNotStartSecondTransfer) {
  TempDir root;
  root.Write("f", Content(2000));
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Rrq("f"), h.address());
  raw.Send(Rrq("f"), h.address());  // E40: same address:port, same request
  raw.Send(Rrq("f"), h.address());
  std::size_t data1 = 0;
  io::Address tid;
  while (auto r = raw.Receive(300ms)) {
    if (Opcode(*r) == 3 && Field(*r) == 1) {
      if (data1 == 0) tid = r->from;
      EXPECT_EQ(r->from, tid);  // one transfer, one TID
      ++data1;
    }
  }
  EXPECT_GE(data1, 1u);
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().sessions_started, 1u);
  EXPECT_EQ(h.server().metrics().duplicate_requests, 2u);
}

TEST(ServerTransferTest, SameHostNewPortIsNewSession) {
  TempDir root;
  root.Write("f", Content(2000));
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  RawClient first;
  RawClient second;
  first.Send(Rrq("f"), h.address());
  auto a = first.Receive();
  second.Send(Rrq("f"), h.address());  // E41: the client restarted on a new port
  auto b = second.Receive();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(Opcode(*a), 3);
  EXPECT_EQ(Opcode(*b), 3);
  EXPECT_NE(a->from, b->from);
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().sessions_started, 2u);
}

TEST(ServerTransferTest, StrayGetsError5AndTransferContinues) {
  TempDir root;
  const std::string content = Content(1500);
  root.Write("f", content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  RawClient client;
  RawClient stray;
  client.Send(Rrq("f"), h.address());
  auto d1 = client.Receive();
  ASSERT_TRUE(d1);
  ASSERT_EQ(Opcode(*d1), 3);
  stray.Send(Ack(1), d1->from);  // E39: a foreign TID
  EXPECT_TRUE(IsError(stray.Receive(), 5));
  std::string got = Text(std::span(d1->bytes).subspan(4));
  std::uint16_t block = 1;
  client.Send(Ack(block), d1->from);
  while (got.size() < content.size() + 1) {
    auto d = client.Receive();
    ASSERT_TRUE(d);
    if (Opcode(*d) != 3 || Field(*d) != block + 1) continue;
    ++block;
    got += Text(std::span(d->bytes).subspan(4));
    client.Send(Ack(block), d1->from);
    if (d->bytes.size() < 516) break;
  }
  EXPECT_EQ(got, content);
  ASSERT_TRUE(h.log().WaitForSummaries(1));
  EXPECT_EQ(h.log().summaries().front().status, transfer::TransferStatus::kComplete);
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().strays, 1u);
}

TEST(ServerTransferTest, PxeProbeIsCountedAsProbe) {
  TempDir root;
  root.Write("ipxe.efi", Content(3000));
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Rrq("ipxe.efi", Opt("tsize", "0")), h.address());
  auto oack = raw.Receive();
  ASSERT_TRUE(oack);
  ASSERT_EQ(Opcode(*oack), 6);
  raw.Send(std::string("\0\5\0\10", 4) + "tsize only" + std::string(1, '\0'), oack->from);
  ASSERT_TRUE(h.log().WaitForSummaries(1));
  EXPECT_EQ(h.log().summaries().front().status, transfer::TransferStatus::kProbe);
  EXPECT_FALSE(raw.Receive(200ms));  // closed silently (E42)
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().probes, 1u);
  EXPECT_EQ(h.server().metrics().failed, 0u);
}

TEST(ServerTransferTest, NetasciiDownload) {
  TempDir root;
  root.Write("cfg", "line one\nline two\n");
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  const ClientResult r = Fetch(h.address(), "cfg", {}, wire::Mode::kNetascii);
  EXPECT_EQ(r.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(r.content, "line one\nline two\n");
}

}  // namespace
}  // namespace stampede::server::testing

namespace stampede::server::testing {
namespace {

TEST(ServerAddressTest, ReplyLeavesFromArrivalAddress) {  // G63
  TempDir root;
  root.Write("f", Content(100));
  ServerConfig config = TestConfig(root.path());
  config.listen = {"0.0.0.0:0"};
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  io::Address second = io::Address::Ipv4(0x7f000002, h.address().port());  // 127.0.0.2
  RawClient raw;
  raw.Send(Rrq("f"), second);
  auto reply = raw.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(Opcode(*reply), 3);
  EXPECT_EQ(reply->from.HostString(), "127.0.0.2");
}

TEST(ServerAddressTest, DualStackServesIpv4AndIpv6Clients) {
  if (!io::UdpSocket::Open(io::Address::Ipv6Loopback(0))) GTEST_SKIP() << "no IPv6 loopback";
  TempDir root;
  const std::string content = Content(3000);
  root.Write("f", content);
  ServerConfig config = TestConfig(root.path());
  config.listen = {"[::]:0"};
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  const ClientResult v4 = Fetch(io::Address::Ipv4Loopback(h.address().port()), "f");
  EXPECT_EQ(v4.content, content);
  EXPECT_TRUE(v4.server_tid.IsV4());
  RawClient raw6(io::Address::Ipv6Loopback(0));
  ASSERT_TRUE(raw6.ok());
  raw6.Send(Rrq("f"), io::Address::Ipv6Loopback(h.address().port()));
  auto reply = raw6.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(Opcode(*reply), 3);
  EXPECT_TRUE(reply->from.IsV6());
}

}  // namespace
}  // namespace stampede::server::testing

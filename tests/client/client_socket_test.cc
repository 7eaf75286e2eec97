// ClientTransfer's socket side: local port ranges, IPv6 loopback with bracketed addresses, Abort
// telling the server, netascii decoding on the way to the sink, and a put whose last block is
// never acknowledged.
#include <gtest/gtest.h>

#include "client/client_transfer.h"
#include "client/fake_server.h"
#include "transfer/block_sink.h"
#include "transfer/block_source.h"

namespace stampede::client {
namespace {

using namespace testing;  // NOLINT: the fake server's helpers
using wire::ErrorCode;

TEST(ClientSocketTest, BindsInsideTheLocalPortRange) {
  io::UdpSocket listen = OpenLoopback();
  transfer::MemoryBlockSink sink;
  auto config = QuickConfig(listen.local_address(), "f");
  config.local_port_first = 41000;
  config.local_port_last = 41100;
  config.port_start_offset = 7;
  ClientTransfer client(config, sink);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto rrq = Await(client, listen);
  ASSERT_TRUE(rrq);
  EXPECT_GE(rrq->from.port(), 41000);
  EXPECT_LE(rrq->from.port(), 41100);
}

TEST(ClientSocketTest, WorksOverIpv6Loopback) {
  io::SocketOptions options;
  options.receive_buffer_bytes = 0;
  options.send_buffer_bytes = 0;
  options.v6_only = true;
  auto listen = io::UdpSocket::Open(io::Address::Ipv6Loopback(0), options);
  if (!listen) GTEST_SKIP() << "no IPv6 loopback: " << listen.error().ToString();
  auto server_address =
      io::Address::Parse("[::1]:" + std::to_string(listen->local_address().port()));
  ASSERT_TRUE(server_address.has_value());
  transfer::MemoryBlockSink sink;
  ClientTransfer client(QuickConfig(*server_address, "v6"), sink);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto rrq = Await(client, *listen);
  ASSERT_TRUE(rrq);
  const auto packet = rrq->Parsed();
  const auto* request = AsRequest(packet);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->options.Find("blksize")->value, "1448");  // IPv6 frame budget
  SendTo(*listen, Data(1, 3), rrq->from);
  ASSERT_TRUE(RunToEnd(client));
  EXPECT_EQ(client.result().outcome, Outcome::kOk);
  EXPECT_EQ(sink.bytes().size(), 3u);
}

TEST(ClientSocketTest, AbortTellsTheServer) {
  io::UdpSocket listen = OpenLoopback();
  io::UdpSocket tid = OpenLoopback();
  transfer::MemoryBlockSink sink;
  ClientTransfer client(QuickConfig(listen.local_address(), "f"), sink);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto rrq = Await(client, listen);
  ASSERT_TRUE(rrq);
  SendTo(tid, Data(1, 512), rrq->from);
  ASSERT_TRUE(Await(client, tid));
  client.Abort("Interrupted");
  EXPECT_TRUE(client.finished());
  EXPECT_EQ(client.result().outcome, Outcome::kInterrupted);
  const auto error = Await(client, tid, 500ms);
  ASSERT_TRUE(error);
  EXPECT_EQ(ErrorCodeOf(*error), ErrorCode::kNotDefined);
}

TEST(ClientSocketTest, NetasciiIsDecodedAndSendsNoTsize) {
  io::UdpSocket listen = OpenLoopback();
  io::UdpSocket tid = OpenLoopback();
  transfer::MemoryBlockSink sink;
  auto config = QuickConfig(listen.local_address(), "motd");
  config.mode = wire::Mode::kNetascii;
  ClientTransfer client(config, sink);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto rrq = Await(client, listen);
  ASSERT_TRUE(rrq);
  const auto packet = rrq->Parsed();
  ASSERT_NE(AsRequest(packet), nullptr);
  EXPECT_EQ(AsRequest(packet)->mode, wire::Mode::kNetascii);
  EXPECT_EQ(AsRequest(packet)->options.Find("tsize"), nullptr);
  const std::string wire_text("a\r\nb\r\0c", 7);
  std::vector<std::byte> datagram(4 + wire_text.size());
  datagram.resize(wire::WriteData(datagram, 1, std::as_bytes(std::span(wire_text))));
  SendTo(tid, datagram, rrq->from);
  ASSERT_TRUE(RunToEnd(client));
  EXPECT_EQ(client.result().outcome, Outcome::kOk);
  const std::string local(reinterpret_cast<const char*>(sink.bytes().data()), sink.bytes().size());
  EXPECT_EQ(local, "a\nb\rc");
}

TEST(ClientSocketTest, PutWithoutFinalAckIsUnconfirmed) {
  io::UdpSocket listen = OpenLoopback();
  io::UdpSocket tid = OpenLoopback();
  const std::vector<std::byte> content(100, std::byte{7});
  transfer::MemoryBlockSource source(content);
  auto config = QuickConfig(listen.local_address(), "up");
  config.direction = Direction::kPut;
  config.send_options = false;
  config.retransmit.retries_max = 1;
  ClientTransfer client(config, source);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto wrq = Await(client, listen);
  ASSERT_TRUE(wrq);
  SendTo(tid, Ack(0), wrq->from);
  ASSERT_TRUE(Await(client, tid));  // DATA 1, never acknowledged
  ASSERT_TRUE(RunToEnd(client));
  EXPECT_EQ(client.result().outcome, Outcome::kUnconfirmed);
}

}  // namespace
}  // namespace stampede::client

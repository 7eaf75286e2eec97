// Server engine: uploads (atomic landing, abandoned upload F55), single-port mode, session limits,
// RequestStop with a transfer in flight and at the end of the grace, Reload, socket adoption,
// and the pieces (per-source ERROR bucket, the transfer log line).
#include <filesystem>

#include <gtest/gtest.h>

#include "server/error_rate_limiter.h"
#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

bool HasUploadTemporary(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (IsTemporaryUploadName(entry.path().filename().string())) return true;
  }
  return false;
}

TEST(ServerUploadTest, UploadLandsAtomically) {
  TempDir root;
  ServerConfig config = TestConfig(root.path());
  config.uploads_enabled = true;
  config.upload.create = true;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  const std::string content = Content(10000);
  const ClientResult r = Put(h.address(), "incoming.bin", content, {{"blksize", "1024"}});
  EXPECT_EQ(r.status, transfer::TransferStatus::kComplete);
  ASSERT_TRUE(h.log().WaitForSummaries(1));
  EXPECT_EQ(h.log().summaries().front().direction, TransferDirection::kWrite);
  EXPECT_EQ(h.log().summaries().front().status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(ReadFile(root / "incoming.bin"), content);
  EXPECT_FALSE(HasUploadTemporary(root.path()));
}

TEST(ServerUploadTest, AbandonedUploadLeavesTargetAndNoTemporary) {
  TempDir root;
  root.Write("target", "old content");
  ServerConfig config = TestConfig(root.path());
  config.uploads_enabled = true;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Wrq("target"), h.address());
  auto ack0 = raw.Receive();
  ASSERT_TRUE(ack0);
  ASSERT_EQ(Opcode(*ack0), 4);
  raw.Send(DataPacket(1, std::string(512, 'x')), ack0->from);
  auto ack1 = raw.Receive();
  ASSERT_TRUE(ack1);
  EXPECT_EQ(Field(*ack1), 1);
  EXPECT_TRUE(HasUploadTemporary(root.path()));
  // The client vanishes (F55): the server gives up and removes the temporary.
  ASSERT_TRUE(h.log().WaitForSummaries(1, 10s));
  EXPECT_EQ(h.log().summaries().front().status, transfer::TransferStatus::kFailed);
  EXPECT_EQ(ReadFile(root / "target"), "old content");
  EXPECT_FALSE(HasUploadTemporary(root.path()));
}

TEST(ServerSinglePortTest, ServesTwoClientsFromListeningPort) {
  TempDir root;
  const std::string a = Content(50000, 1);
  const std::string b = Content(70000, 2);
  root.Write("a", a);
  root.Write("b", b);
  ServerConfig config = TestConfig(root.path());
  config.single_port = true;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  ClientResult ra;
  ClientResult rb;
  std::thread ta([&] { ra = Fetch(h.address(), "a", {{"windowsize", "4"}}); });
  std::thread tb([&] { rb = Fetch(h.address(), "b"); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(rb.status, transfer::TransferStatus::kComplete);
  EXPECT_TRUE(ra.content == a);
  EXPECT_TRUE(rb.content == b);
  EXPECT_EQ(ra.server_tid, h.address());
  EXPECT_EQ(rb.server_tid, h.address());
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().completed, 2u);
}

TEST(ServerLimitsTest, SessionsMaxRefusesWithServerBusy) {
  TempDir root;
  root.Write("f", Content(5000));
  ServerConfig config = TestConfig(root.path());
  config.sessions_max = 1;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient first;
  first.Send(Rrq("f"), h.address());
  ASSERT_TRUE(first.Receive());  // DATA 1; the session lives while unacknowledged
  RawClient second;
  second.Send(Rrq("f"), h.address());
  EXPECT_TRUE(IsError(second.Receive(), 0));
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().refused_busy, 1u);
}

TEST(ServerLimitsTest, PerClientLimitDropsSilently) {
  TempDir root;
  root.Write("f", Content(5000));
  ServerConfig config = TestConfig(root.path());
  config.sessions_per_client_max = 1;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient first;
  first.Send(Rrq("f"), h.address());
  ASSERT_TRUE(first.Receive());
  RawClient second;
  second.Send(Rrq("f"), h.address());
  EXPECT_FALSE(second.Receive(200ms));
}

TEST(ServerStopTest, StopLetsTransferInFlightFinish) {
  TempDir root;
  const std::string content = Content(3000);
  root.Write("f", content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Rrq("f"), h.address());
  auto d = raw.Receive();
  ASSERT_TRUE(d);
  const io::Address tid = d->from;
  h.server().RequestStop();
  // New requests are no longer taken.
  RawClient late;
  late.Send(Rrq("f"), h.address());
  EXPECT_FALSE(late.Receive(100ms));
  std::string got = Text(std::span(d->bytes).subspan(4));
  for (std::uint16_t block = 1; got.size() < content.size();) {
    raw.Send(Ack(block), tid);
    auto next = raw.Receive();
    ASSERT_TRUE(next);
    if (Opcode(*next) != 3 || Field(*next) != block + 1) continue;
    ++block;
    got += Text(std::span(next->bytes).subspan(4));
  }
  raw.Send(Ack(6), tid);
  EXPECT_EQ(got, content);
  ASSERT_TRUE(h.log().WaitForSummaries(1));
  EXPECT_EQ(h.log().summaries().front().status, transfer::TransferStatus::kComplete);
  h.StopAndJoin();  // Run returned on its own once the transfer was done
  EXPECT_TRUE(h.run_result().has_value());
  EXPECT_EQ(h.server().metrics().dropped_stopping, 1u);
}

TEST(ServerStopTest, GraceEndAbortsUploadAndRemovesTemporary) {
  TempDir root;
  ServerConfig config = TestConfig(root.path());
  config.uploads_enabled = true;
  config.upload.create = true;
  config.shutdown_grace = 150ms;
  config.retransmit.retries_max = 1000;  // only the grace ends it
  config.retransmit.receiver_idle_min = std::chrono::seconds(60);
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Wrq("new.bin"), h.address());
  auto ack0 = raw.Receive();
  ASSERT_TRUE(ack0);
  raw.Send(DataPacket(1, std::string(512, 'y')), ack0->from);
  ASSERT_TRUE(raw.Receive());
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().aborted_by_shutdown, 1u);
  EXPECT_FALSE(std::filesystem::exists(root / "new.bin"));
  EXPECT_FALSE(HasUploadTemporary(root.path()));
  bool told = false;  // the client hears ERROR 0 rather than silence
  while (auto r = raw.Receive(200ms)) told = told || IsError(r, 0);
  EXPECT_TRUE(told);
}

TEST(ServerReloadTest, NewSessionsUseNewRootAndBadConfigIsRefused) {
  TempDir first;
  TempDir second;
  first.Write("f", "first");
  second.Write("f", "second");
  ServerHarness h(TestConfig(first.path()));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Fetch(h.address(), "f").content, "first");
  ASSERT_TRUE(h.server().Reload(TestConfig(second.path())).has_value());
  EXPECT_EQ(Fetch(h.address(), "f").content, "second");
  ServerConfig bad = TestConfig(second.path() + "/does-not-exist");
  EXPECT_FALSE(h.server().Reload(bad).has_value());
  EXPECT_EQ(Fetch(h.address(), "f").content, "second");
}

TEST(ServerAdoptTest, ServesOnAdoptedSocket) {
  TempDir root;
  root.Write("f", "adopted");
  auto socket = io::UdpSocket::Open(io::Address::Ipv4Loopback(0));
  ASSERT_TRUE(socket);
  const io::Address bound = socket->local_address();
  const int fd = dup(socket->fd());
  socket->Close();
  CapturingLog log;
  auto server = Server::CreateWithSockets(TestConfig(root.path()), {fd}, log);
  ASSERT_TRUE(server) << server.error();
  ASSERT_EQ((*server)->local_addresses().size(), 1u);
  EXPECT_EQ((*server)->local_addresses().front(), bound);
  std::thread t([&] { static_cast<void>((*server)->Run()); });
  const ClientResult r = Fetch(bound, "f");
  (*server)->RequestAbort();
  t.join();
  EXPECT_EQ(r.content, "adopted");
}

TEST(ServerCreateTest, ErrorsCarryContext) {
  CapturingLog log;
  ServerConfig config = TestConfig("/nonexistent-stampede-root");
  auto missing = Server::Create(config, log);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent-stampede-root"), std::string::npos);
  TempDir root;
  config = TestConfig(root.path());
  config.listen = {"192.0.2.1:bad"};
  auto bad = Server::Create(config, log);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("192.0.2.1:bad"), std::string::npos);
}

TEST(ErrorRateLimiterTest, BucketPerHostRefills) {
  ErrorRateLimiter limiter({/*per_second=*/10.0, /*burst=*/3.0, /*sources_max=*/2});
  const Instant t0 = kInstantZero + std::chrono::seconds(1);
  const io::Address a = io::Address::Ipv4Loopback(4000);
  io::Address a_other_port = a;
  a_other_port.set_port(4001);
  EXPECT_TRUE(limiter.Allow(a, t0));
  EXPECT_TRUE(limiter.Allow(a_other_port, t0));  // same host, same bucket
  EXPECT_TRUE(limiter.Allow(a, t0));
  EXPECT_FALSE(limiter.Allow(a, t0));
  EXPECT_TRUE(limiter.Allow(a, t0 + std::chrono::milliseconds(100)));  // one token refilled
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow(io::Address::Ipv4(0x7f000002, 1), t0));
  // Table full of non-full buckets: a third source is refused, not tracked.
  EXPECT_FALSE(
      limiter.Allow(io::Address::Ipv4(0x7f000003, 1), t0 + std::chrono::milliseconds(100)));
  EXPECT_LE(limiter.tracked_sources(), 2u);
  EXPECT_TRUE(limiter.Allow(io::Address::Ipv4(0x7f000003, 1), t0 + std::chrono::seconds(5)));
}

TEST(TransferLineTest, FormatsOutcomeAndEscapedMessage) {
  TransferSummary s;
  s.client = io::Address::Ipv4Loopback(40000);
  s.filename = "pxelinux.0";
  s.oack_sent = true;
  s.options.blksize = 1468;
  s.options.windowsize = 8;
  s.options.tsize = 4096;
  s.bytes = 4096;
  s.duration = std::chrono::microseconds(12300);
  s.status = transfer::TransferStatus::kFailed;
  s.error.origin = transfer::TransferError::Origin::kPeer;
  s.error.code = wire::ErrorCode::kDiskFull;
  s.error.SetMessage("disk\x1b[31m full");
  EXPECT_EQ(FormatTransferLine(s),
            "127.0.0.1:40000 read \"pxelinux.0\" octet blksize=1468 windowsize=8 tsize=4096 "
            "bytes=4096 duration_ms=12.3 retransmits=0 outcome=failed code=3 origin=peer "
            "message=\"disk\\x1b[31m full\"");
}

}  // namespace
}  // namespace stampede::server::testing

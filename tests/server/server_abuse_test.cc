// The abuse limits on the running server (docs/security.md), over loopback with the loopback
// exemption switched off: the per-source new-session bucket and unverified cap drop silently
// (G59), an option request gets only its OACK until ACK 0, and no more OACK bytes than three times
// the request's (PROTOCOL §2 items 1-2), idle and slow-drip sessions are ended with ERROR 0 (E46), and a
// shortage of file descriptors refuses new sessions with ERROR 0 "Server busy".
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

ServerConfig AbuseConfig(const std::string& root) {
  ServerConfig config = TestConfig(root);
  config.abuse.per_source_exempt_loopback = false;
  return config;
}

// Sends one request from each of `count` fresh ports; returns the sockets (kept open so the
// server's replies have somewhere to go) after `wait`.
std::vector<std::unique_ptr<RawClient>> Flood(const io::Address& server, const std::string& request,
                                              int count) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < count; ++i) {
    clients.push_back(std::make_unique<RawClient>());
    clients.back()->Send(request, server);
  }
  return clients;
}

int CountAnswered(const std::vector<std::unique_ptr<RawClient>>& clients, Duration wait) {
  int answered = 0;
  for (const auto& c : clients) answered += c->Receive(wait) ? 1 : 0;
  return answered;
}

TEST(ServerAbuseTest, NewSessionsPerSourceBucketDropsTheExcessSilently) {
  TempDir root;
  root.Write("f", Content(100));
  ServerConfig config = AbuseConfig(root.path());
  config.abuse.new_sessions_per_source_burst = 5;
  config.abuse.new_sessions_per_source_per_s = 1;
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  auto clients = Flood(harness.address(), Rrq("f"), 30);
  EXPECT_EQ(CountAnswered(clients, 200ms), 5);
  harness.StopAndJoin();
  const ServerMetrics& m = harness.server().metrics();
  EXPECT_EQ(m.sessions_started, 5u);
  EXPECT_GE(m.dropped_source_rate, 24u);  // 25, or 24 if a token refilled meanwhile
  EXPECT_EQ(m.errors_sent, 0u);           // dropped, never answered
}

TEST(ServerAbuseTest, ReloadAppliesNewLimits) {
  TempDir root;
  root.Write("f", Content(100));
  ServerConfig config = AbuseConfig(root.path());
  config.abuse.new_sessions_per_source_burst = 2;
  config.abuse.new_sessions_per_source_per_s = 1;
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  auto before = Flood(harness.address(), Rrq("f"), 5);
  EXPECT_EQ(CountAnswered(before, 200ms), 2);
  config.abuse.new_sessions_per_source_burst = 50;
  config.abuse.new_sessions_per_source_per_s = 1000;
  ASSERT_TRUE(harness.server().Reload(config));
  RawClient nudge;  // the first datagram after the reload applies it; its token refills at once
  nudge.Send(Rrq("f"), harness.address());
  std::this_thread::sleep_for(100ms);
  auto after = Flood(harness.address(), Rrq("f"), 5);
  EXPECT_EQ(CountAnswered(after, 500ms), 5);
}

TEST(ServerAbuseTest, UnverifiedSessionsPerSourceAreCapped) {
  TempDir root;
  root.Write("f", Content(100));
  ServerConfig config = AbuseConfig(root.path());
  config.abuse.unverified_per_source_max = 3;
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  auto clients = Flood(harness.address(), Rrq("f"), 10);
  EXPECT_EQ(CountAnswered(clients, 200ms), 3);
  // Loopback exempt (the default): all ten are served.
  ServerHarness exempt(TestConfig(root.path()));
  ASSERT_TRUE(exempt.ok());
  auto local = Flood(exempt.address(), Rrq("f"), 10);
  EXPECT_EQ(CountAnswered(local, 500ms), 10);
  harness.StopAndJoin();
  EXPECT_EQ(harness.server().metrics().dropped_unverified_source, 7u);
}

TEST(ServerAbuseTest, OptionRequestGetsOnlyOacksUntilAck0) {
  TempDir root;
  root.Write("f", Content(5000));
  ServerConfig config = AbuseConfig(root.path());
  ASSERT_EQ(config.retransmit.retries_unverified_max, 3u);  // alone it would allow 4 OACKs
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  RawClient victim;  // never answers
  const std::string request = Rrq("f", Opt("blksize", "1024") + Opt("tsize", "0"));
  victim.Send(request, harness.address());
  int oacks = 0;
  int others = 0;
  std::size_t bytes = 0;
  while (auto r = victim.Receive(1500ms)) {
    ++(Opcode(*r) == 6 ? oacks : others);
    bytes += r->bytes.size();
  }
  // 31-byte request, 26-byte OACK: the 3x budget (93 bytes) allows 3 OACKs, not 4.
  EXPECT_EQ(oacks, 3);
  EXPECT_EQ(others, 0);
  EXPECT_LE(bytes, 3 * request.size());  // PROTOCOL §2 item 1: at most 3x before validation
}

TEST(ServerAbuseTest, IdleVerifiedSessionIsEndedWithError0) {
  TempDir root;
  root.Write("f", Content(5000));
  ServerConfig config = AbuseConfig(root.path());
  config.retransmit.retries_max = 1000;  // the transfer's own give-up must not come first
  config.retransmit.sender_idle_min = 100s;
  config.abuse.session_idle_max = 1500ms;
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  RawClient client;
  client.Send(Rrq("f", Opt("blksize", "512")), harness.address());
  auto oack = client.Receive(1s);
  ASSERT_TRUE(oack);
  ASSERT_EQ(Opcode(*oack), 6);
  client.Send(Ack(0), oack->from);  // verified; then silence
  bool ended = false;
  const Instant give_up = io::Now() + 6s;
  while (!ended && io::Now() < give_up) {
    if (auto r = client.Receive(500ms)) ended = IsError(r, 0);
  }
  EXPECT_TRUE(ended);
  harness.StopAndJoin();
  EXPECT_EQ(harness.server().metrics().ended_idle, 1u);
}

TEST(ServerAbuseTest, SlowDripSessionIsEnded) {
  TempDir root;
  root.Write("f", Content(512 * 200));
  ServerConfig config = AbuseConfig(root.path());
  config.retransmit.rto_max = 2s;
  config.retransmit.sender_idle_min = 100s;
  config.abuse.progress_min_bytes_per_s = 2048;
  config.abuse.progress_window = 2s;
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  RawClient client;
  client.Send(Rrq("f"), harness.address());
  // E46: acknowledge each block, but only every 600 ms (about 850 B/s).
  bool ended = false;
  const Instant give_up = io::Now() + 8s;
  std::uint16_t acked = 0;
  while (!ended && io::Now() < give_up) {
    auto r = client.Receive(600ms);
    if (!r) continue;
    if (IsError(r, 0)) {
      ended = true;
    } else if (Opcode(*r) == 3 && Field(*r) == acked + 1) {
      std::this_thread::sleep_for(600ms);
      client.Send(Ack(++acked), r->from);
    }
  }
  EXPECT_TRUE(ended);
  EXPECT_GE(acked, 2);
  harness.StopAndJoin();
  EXPECT_EQ(harness.server().metrics().ended_slow, 1u);
}

TEST(ServerAbuseTest, TooFewDescriptorsRefusesWithServerBusy) {
  TempDir root;
  root.Write("f", Content(100));
  ServerConfig config = AbuseConfig(root.path());
  config.abuse.descriptors_reserved = 100'000'000;  // above any RLIMIT_NOFILE
  ServerHarness harness(config);
  ASSERT_TRUE(harness.ok());
  RawClient client;
  client.Send(Rrq("f"), harness.address());
  auto reply = client.Receive(1s);
  ASSERT_TRUE(IsError(reply, 0));
  EXPECT_NE(Text(reply->bytes).find("Server busy"), std::string::npos);
  harness.StopAndJoin();
  EXPECT_EQ(harness.server().metrics().refused_descriptors, 1u);
  EXPECT_EQ(harness.server().metrics().sessions_started, 0u);
}

}  // namespace
}  // namespace stampede::server::testing

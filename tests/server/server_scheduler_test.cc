// The server with the transmit scheduler (server/transmit_driver.h, docs/scheduler.md): the
// operator rate cap bounds a transfer's duration from below and applies to all flows together, a
// finished transfer leaves the scheduler, and with the
// scheduler off and no cap nothing is scheduled. Loopback only.
#include <algorithm>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

// The views must outlive the transfer: pass literals.
std::vector<wire::Option> WindowOptions(std::string_view blksize, std::string_view windowsize) {
  return {{"blksize", blksize}, {"windowsize", windowsize}};
}

ServerConfig SchedulerOn(const std::string& root) {
  ServerConfig config = TestConfig(root);
  config.scheduler = true;
  return config;
}

TEST(ServerSchedulerTest, RateCapBoundsTransferTimeFromBelow) {
  TempDir root;
  const std::string content = Content(2 * 1024 * 1024);
  root.Write("initrd", content);
  ServerConfig config = SchedulerOn(root.path());
  config.rate_bps = 8'000'000;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  const Instant start = io::Now();
  const ClientResult r = Fetch(h.address(), "initrd", WindowOptions("1468", "16"));
  const Duration took = io::Now() - start;
  ASSERT_EQ(r.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(r.content, content);
  // 2 MiB of payload is 16.8 Mbit: 2.1 s at 8 Mbit/s, plus headers; the pacing allows a burst of
  // a few datagrams only.
  EXPECT_GE(took, 1800ms) << "took " << ToSeconds(took) << " s";
}

TEST(ServerSchedulerTest, ConcurrentWindowsShareOneServerWideCap) {
  TempDir root;
  const std::string content = Content(1024 * 1024);
  root.Write("a", content);
  root.Write("b", content);
  ServerConfig config = TestConfig(root.path());  // scheduler off: the cap alone paces
  config.rate_bps = 16'000'000;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  // Two flows with different block and window sizes, both backlogged past the DRR quantum. The
  // cap is on the server's aggregate, not per flow: together they carry 2,048 x 540 + 715 x 1,496
  // wire bytes (17.4 Mbit), at least 1.09 s at 16 Mbit/s; a per-flow cap would let them finish in
  // about half that.
  const Instant start = io::Now();
  Duration small_took{};
  Duration large_took{};
  ClientResult small;
  ClientResult large;
  std::thread small_thread([&] {
    small = Fetch(h.address(), "a", WindowOptions("512", "64"));
    small_took = io::Now() - start;
  });
  std::thread large_thread([&] {
    large = Fetch(h.address(), "b", WindowOptions("1468", "32"));
    large_took = io::Now() - start;
  });
  small_thread.join();
  large_thread.join();
  ASSERT_EQ(small.status, transfer::TransferStatus::kComplete);
  ASSERT_EQ(large.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(small.content, content);
  EXPECT_EQ(large.content, content);
  EXPECT_GE(std::max(small_took, large_took), 1000ms)
      << "512 x 64: " << ToSeconds(small_took) << " s, 1468 x 32: " << ToSeconds(large_took)
      << " s";
}

TEST(ServerSchedulerTest, FinishedTransfersLeaveTheScheduler) {
  TempDir root;
  const std::string content = Content(200000);
  root.Write("kernel", content);
  ServerHarness h(SchedulerOn(root.path()));
  ASSERT_TRUE(h.ok());
  for (int i = 0; i < 3; ++i) {
    const ClientResult r = Fetch(h.address(), "kernel", WindowOptions("1468", "8"));
    ASSERT_EQ(r.status, transfer::TransferStatus::kComplete);
    EXPECT_EQ(r.content, content);
  }
  ASSERT_TRUE(h.log().WaitForSummaries(3));
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().completed, 3u);
  EXPECT_EQ(h.server().metrics().scheduled_flows, 0u);
}

TEST(ServerSchedulerTest, ScheduledTransferRegistersAFlow) {
  TempDir root;
  root.Write("kernel", Content(100000));
  ServerHarness h(SchedulerOn(root.path()));
  ASSERT_TRUE(h.ok());
  // A transfer held open (no ACK of the OACK) is a flow until it gives up.
  RawClient raw;
  raw.Send(Rrq("kernel", Opt("blksize", "1024")), h.address());
  ASSERT_TRUE(raw.Receive());
  const Instant give_up = io::Now() + 2s;
  while (h.server().metrics().scheduled_flows == 0 && io::Now() < give_up) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(h.server().metrics().scheduled_flows, 1u);
}

TEST(ServerSchedulerTest, SchedulerOffServesAsBefore) {
  TempDir root;
  const std::string content = Content(300000);
  root.Write("initrd", content);
  ServerConfig config = TestConfig(root.path());
  config.scheduler = false;  // the default, stated
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient raw;
  raw.Send(Rrq("initrd", Opt("blksize", "1024")), h.address());
  ASSERT_TRUE(raw.Receive());  // OACK: the session is live, and not scheduled
  EXPECT_EQ(h.server().metrics().scheduled_flows, 0u);
  const ClientResult r = Fetch(h.address(), "initrd", WindowOptions("1468", "16"));
  ASSERT_EQ(r.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(r.content, content);
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().scheduled_flows, 0u);
}

}  // namespace
}  // namespace stampede::server::testing

// RunTransfers: several transfers in one thread against a server thread on loopback, and the stop
// flag that aborts them (the path SIGINT takes in the CLI).
#include "client/client_loop.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "client/fake_server.h"
#include "transfer/block_sink.h"

namespace stampede::client {
namespace {

using namespace testing;  // NOLINT: the fake server's helpers

// Answers each of `count` requests with a one-block file from its own TID socket.
void ServeOneBlockFiles(const io::UdpSocket& listen, int count) {
  std::vector<io::UdpSocket> tids;
  std::vector<std::byte> buf(1024);
  const Instant end = io::Now() + 5s;
  while (count > 0 && io::Now() < end) {
    pollfd fd{listen.fd(), POLLIN, 0};
    poll(&fd, 1, 10);
    io::Address from;
    if (!listen.ReceiveFrom(buf, &from)) continue;
    tids.push_back(OpenLoopback());
    const auto data = Data(1, 100 + static_cast<std::size_t>(count));
    static_cast<void>(tids.back().SendTo(data, from));
    --count;
  }
}

TEST(RunTransfersTest, RunsSeveralTransfersToTheEnd) {
  io::UdpSocket listen = OpenLoopback();
  transfer::MemoryBlockSink sink_a;
  transfer::MemoryBlockSink sink_b;
  ClientTransfer a(QuickConfig(listen.local_address(), "a"), sink_a);
  ClientTransfer b(QuickConfig(listen.local_address(), "b"), sink_b);
  std::thread server([&] { ServeOneBlockFiles(listen, 2); });
  ASSERT_TRUE(a.Start(io::Now()).has_value());
  ASSERT_TRUE(b.Start(io::Now()).has_value());
  ClientTransfer* transfers[] = {&a, &b};
  EXPECT_TRUE(RunTransfers(transfers, LoopOptions{}));
  server.join();
  EXPECT_EQ(a.result().outcome, Outcome::kOk);
  EXPECT_EQ(b.result().outcome, Outcome::kOk);
  EXPECT_EQ(sink_a.bytes().size() + sink_b.bytes().size(), 203u);
}

// A two-block file whose second block comes 5 ms after the ACK of the first.
void ServeTwoBlocksSlowly(const io::UdpSocket& listen) {
  std::vector<std::byte> buf(1024);
  const Instant end = io::Now() + 5s;
  io::Address client;
  while (io::Now() < end) {  // the request
    pollfd fd{listen.fd(), POLLIN, 0};
    poll(&fd, 1, 10);
    if (listen.ReceiveFrom(buf, &client)) break;
  }
  io::UdpSocket tid = OpenLoopback();
  static_cast<void>(tid.SendTo(Data(1, 512), client));
  while (io::Now() < end) {  // ACK 1
    pollfd fd{tid.fd(), POLLIN, 0};
    poll(&fd, 1, 10);
    io::Address from;
    if (tid.ReceiveFrom(buf, &from)) break;
  }
  std::this_thread::sleep_for(5ms);
  static_cast<void>(tid.SendTo(Data(2, 10), client));
  std::this_thread::sleep_for(50ms);  // the final ACK; the TID stays open for it
}

// LoopOptions::busy_poll: after the wake-up that read block 1, the loop polls without sleeping,
// so block 2 (5 ms later) is found by the spin; without it the loop sleeps in poll(2).
TEST(RunTransfersTest, BusyPollFindsTheNextBlockWithoutSleeping) {
  for (const bool spin : {true, false}) {
    io::UdpSocket listen = OpenLoopback();
    transfer::MemoryBlockSink sink;
    ClientConfig config = QuickConfig(listen.local_address(), "two");
    config.retransmit.rto_initial = 150ms;  // the timer stays well past the 5 ms wait for block 2
    config.retransmit.rto_min = 100ms;
    ClientTransfer t(config, sink);
    std::thread server([&] { ServeTwoBlocksSlowly(listen); });
    ASSERT_TRUE(t.Start(io::Now()).has_value());
    std::uint64_t hits = 0;
    LoopOptions options;
    options.busy_poll = spin ? Duration{3s} : Duration::zero();
    options.busy_poll_hits = &hits;
    ClientTransfer* transfers[] = {&t};
    EXPECT_TRUE(RunTransfers(transfers, options));
    server.join();
    EXPECT_EQ(t.result().outcome, Outcome::kOk) << spin;
    EXPECT_EQ(sink.bytes().size(), 522u);
    if (spin) {
      EXPECT_GE(hits, 1u);  // block 2
    } else {
      EXPECT_EQ(hits, 0u);
    }
  }
}

TEST(RunTransfersTest, StopFlagAbortsEveryTransfer) {
  io::UdpSocket listen = OpenLoopback();  // never answers
  transfer::MemoryBlockSink sink;
  ClientTransfer t(QuickConfig(listen.local_address(), "x"), sink);
  ASSERT_TRUE(t.Start(io::Now()).has_value());
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.store(true);
  });
  LoopOptions options;
  options.stop = &stop;
  options.tick_interval = 10ms;
  ClientTransfer* transfers[] = {&t};
  EXPECT_FALSE(RunTransfers(transfers, options));
  stopper.join();
  EXPECT_EQ(t.result().outcome, Outcome::kInterrupted);
}

}  // namespace
}  // namespace stampede::client

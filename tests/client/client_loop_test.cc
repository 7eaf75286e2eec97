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

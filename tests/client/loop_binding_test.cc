// LoopBinding: transfers driven by io::EventLoop finish and report done; a refused request is
// reported at once.
#include "client/loop_binding.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "client/fake_server.h"
#include "transfer/block_sink.h"

namespace stampede::client {
namespace {

using namespace testing;  // NOLINT: the fake server's helpers

class CountDone final : public TransferDoneHandler {
 public:
  explicit CountDone(io::EventLoop& loop, int expected) : loop_(&loop), left_(expected) {}
  void OnTransferDone(ClientTransfer& transfer, Instant now) override {
    static_cast<void>(now);
    outcomes.push_back(transfer.result().outcome);
    if (--left_ == 0) loop_->Stop();
  }
  std::vector<Outcome> outcomes;

 private:
  io::EventLoop* loop_;
  int left_;
};

TEST(LoopBindingTest, TransfersFinishOnTheEventLoop) {
  auto loop = io::EventLoop::Create();
  ASSERT_TRUE(loop.has_value());
  io::UdpSocket listen = OpenLoopback();
  constexpr int kTransfers = 8;
  std::vector<std::unique_ptr<transfer::MemoryBlockSink>> sinks;
  std::vector<std::unique_ptr<ClientTransfer>> transfers;
  std::vector<std::unique_ptr<LoopBinding>> bindings;
  CountDone done(**loop, kTransfers);
  std::thread server([&] {
    std::vector<io::UdpSocket> tids;
    std::vector<std::byte> buf(1024);
    for (int served = 0; served < kTransfers;) {
      pollfd fd{listen.fd(), POLLIN, 0};
      if (poll(&fd, 1, 3000) <= 0) return;
      io::Address from;
      if (!listen.ReceiveFrom(buf, &from)) continue;
      tids.push_back(OpenLoopback());
      static_cast<void>(tids.back().SendTo(Data(1, 64), from));
      ++served;
    }
  });
  for (int i = 0; i < kTransfers; ++i) {
    sinks.push_back(std::make_unique<transfer::MemoryBlockSink>());
    transfers.push_back(std::make_unique<ClientTransfer>(
        QuickConfig(listen.local_address(), "f" + std::to_string(i)), *sinks.back()));
    ASSERT_TRUE(transfers.back()->Start(io::Now()).has_value());
    bindings.push_back(std::make_unique<LoopBinding>(**loop, *transfers.back(), &done));
    ASSERT_TRUE(bindings.back()->Attach(io::Now()).has_value());
  }
  const Instant end = io::Now() + 5s;
  while (done.outcomes.size() < kTransfers && io::Now() < end) {
    ASSERT_TRUE((*loop)->RunOnce(50ms).has_value());
  }
  server.join();
  ASSERT_EQ(done.outcomes.size(), static_cast<std::size_t>(kTransfers));
  for (const auto outcome : done.outcomes) EXPECT_EQ(outcome, Outcome::kOk);
  for (const auto& b : bindings) EXPECT_FALSE(b->attached());
  for (const auto& s : sinks) EXPECT_EQ(s->bytes().size(), 64u);
}

TEST(LoopBindingTest, RefusedRequestIsDoneAtOnce) {
  auto loop = io::EventLoop::Create();
  ASSERT_TRUE(loop.has_value());
  io::UdpSocket listen = OpenLoopback();
  transfer::MemoryBlockSink sink;
  ClientTransfer transfer(QuickConfig(listen.local_address(), std::string(600, 'x')), sink);
  ASSERT_TRUE(transfer.Start(io::Now()).has_value());
  CountDone done(**loop, 1);
  LoopBinding binding(**loop, transfer, &done);
  ASSERT_TRUE(binding.Attach(io::Now()).has_value());
  ASSERT_EQ(done.outcomes.size(), 1u);
  EXPECT_EQ(done.outcomes[0], Outcome::kRequestTooLong);
  EXPECT_FALSE(binding.attached());
}

}  // namespace
}  // namespace stampede::client

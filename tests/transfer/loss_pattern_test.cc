// Windowed transfers under random loss in both directions, as the loss sweep measures them
// (tests/robust/test_loss_sweep.py: 4 MiB, blksize 1428, 10 % of all datagrams dropped each way)
// but on the in-memory link of pair_harness.h: 50 us each way, a seeded loss pattern, virtual time.
// Both roles of each machine: a get (server Sender, client Receiver) and a put (client Sender,
// server Receiver), each opened with an OACK.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "pair_harness.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"

namespace stampede::transfer {
namespace {

using testing::Adapt;
using testing::Bytes;
using testing::Decision;
using testing::Pair;
using testing::Sent;

struct Outcome {
  bool intact = false;
  Duration elapsed{0};
  Stats sender;
  Stats receiver;
};

Outcome Transfer(bool put, std::uint16_t window, int loss_per_mille, std::uint32_t seed) {
  const auto file = Bytes((4 << 20) + seed, seed);
  MemoryBlockSource source(file);
  MemoryBlockSink sink;
  const std::string window_text = std::to_string(window);
  std::vector<wire::Option> options = {wire::Option{"blksize", "1428"}};
  if (window > 1) options.push_back(wire::Option{"windowsize", window_text});
  TransferOptions negotiated;
  negotiated.blksize = 1428;
  negotiated.windowsize = window;
  std::unique_ptr<Sender> sender;
  std::unique_ptr<Receiver> receiver;
  if (put) {
    SenderConfig sc;
    sc.role = Role::kClient;
    sc.request.filename = "upload";
    sc.request.options = options;
    sender = std::make_unique<Sender>(sc, source);
    ReceiverConfig rc;
    rc.role = Role::kServer;
    rc.options = negotiated;
    rc.oack = options;
    receiver = std::make_unique<Receiver>(rc, sink);
  } else {
    ReceiverConfig rc;
    rc.role = Role::kClient;
    rc.request.filename = "image";
    rc.request.options = options;
    rc.clean_dally = CleanDally{};
    receiver = std::make_unique<Receiver>(rc, sink);
    SenderConfig sc;
    sc.role = Role::kServer;
    sc.options = negotiated;
    sc.oack = options;
    sender = std::make_unique<Sender>(sc, source);
  }
  // The server machine exists once the request arrived, so the request itself is not delivered.
  Pair pair(Adapt(*sender), Adapt(*receiver), 50us);
  std::mt19937 rng(seed);
  pair.filter = [&](const Sent& s) {
    if (s.opcode == 1 || s.opcode == 2) return Decision{0, {}};
    std::uniform_int_distribution<int> per_mille(0, 999);
    return Decision{per_mille(rng) < loss_per_mille ? 0 : 1, {}};
  };
  const Instant start = pair.now;
  Outcome o;
  o.intact = pair.Run(20'000'000) && sink.bytes() == file && sink.committed();
  o.elapsed = pair.now - start;
  o.sender = sender->stats();
  o.receiver = receiver->stats();
  return o;
}

// The sweep's defect: windowsize 16 at 10 % loss was far slower than lock-step (a 4 MiB put did not
// finish in 240 s). Here the old machines took up to 316 s of virtual time (seed 1, get) where
// lock-step takes about 5 s: lost window tails and window ACKs were recovered by timers backed off
// to seconds, and a receiver's late re-ACK, read as a round trip, slowed the pacing to one block
// per 160 ms. Now a window is never slower than lock-step, in either direction.
TEST(LossPattern, WindowsAtTenPercentLossBothWaysBeatLockStep) {
  for (const bool put : {false, true}) {
    for (std::uint32_t seed = 1; seed <= 3; ++seed) {
      const Outcome lock_step = Transfer(put, 1, 100, seed);
      const Outcome windowed = Transfer(put, 16, 100, seed);
      const char* what = put ? "put" : "get";
      ASSERT_TRUE(lock_step.intact) << what << " seed " << seed;
      ASSERT_TRUE(windowed.intact) << what << " seed " << seed;
      EXPECT_LT(windowed.elapsed, lock_step.elapsed) << what << " seed " << seed;
      EXPECT_LT(windowed.elapsed, 5s) << what << " seed " << seed;
      EXPECT_EQ(windowed.sender.sends_caused_by_duplicate_ack, 0u);
      // Go-back-N under 10 % loss resends part of a window per loss, never a storm.
      EXPECT_LT(windowed.sender.data_sent, 2 * lock_step.sender.data_sent) << what << " " << seed;
    }
  }
}

// At 1 % loss too (the old machines passed this one).
TEST(LossPattern, WindowsAtOnePercentLossBeatLockStep) {
  for (const bool put : {false, true}) {
    const Outcome lock_step = Transfer(put, 1, 10, 7);
    const Outcome windowed = Transfer(put, 16, 10, 7);
    ASSERT_TRUE(lock_step.intact);
    ASSERT_TRUE(windowed.intact);
    EXPECT_LT(windowed.elapsed, lock_step.elapsed) << (put ? "put" : "get");
  }
}

}  // namespace
}  // namespace stampede::transfer

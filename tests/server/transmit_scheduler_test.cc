// The server-wide transmit scheduler: byte fairness across flows with different datagram sizes and
// readiness patterns, the pacing rate and the operator cap, the controller's reaction to queueing
// delay and to loss (and its indifference to light random loss), no starvation, and the cost of a
// decision with 10,000 flows.
#include "server/transmit_scheduler.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace stampede::server {
namespace {

using namespace std::chrono_literals;

// Drives the scheduler like a server would: at each step pick flows while allowed; a flow sends
// datagrams of its own size while `has_data` says so. Time advances to NextSendTime.
struct FakeFlow {
  FlowId id;
  std::size_t payload_bytes;
  std::uint64_t sent = 0;
};

TransmitPolicy Unpaced() {
  TransmitPolicy p;
  p.adaptive = false;
  p.rate_cap_bps = 0;
  return p;
}

TEST(TransmitScheduler, EqualByteSharesAcrossDatagramSizes) {
  TransmitScheduler s(Unpaced());
  std::vector<FakeFlow> flows;
  for (const std::size_t size : {516u, 1472u, 8196u, 1000u}) {
    flows.push_back({s.Register(), size});
    s.MarkReady(flows.back().id);
  }
  const Instant now = kInstantZero;
  std::uint64_t total = 0;
  for (int i = 0; i < 200'000; ++i) {
    const auto f = s.PickNext(now);
    ASSERT_TRUE(f.has_value());
    for (auto& flow : flows) {
      if (flow.id == *f) {
        s.OnSent(flow.id, flow.payload_bytes, now);
        flow.sent += flow.payload_bytes + 28;
        total += flow.payload_bytes + 28;
      }
    }
  }
  for (const auto& flow : flows) {
    EXPECT_NEAR(static_cast<double>(flow.sent) / static_cast<double>(total), 0.25, 0.005)
        << "flow of " << flow.payload_bytes << " B";
    EXPECT_EQ(s.flow_bytes_sent(flow.id), flow.sent);
  }
}

// A windowed flow (always has data) against lock-step flows (one datagram, then idle until their
// ACK comes back two picks later): the windowed flow gets no more than a lock-step flow while
// they are ready, i.e. the windowed flow cannot crowd them out.
TEST(TransmitScheduler, WindowedFlowDoesNotCrowdOutLockStepFlows) {
  TransmitPolicy p = Unpaced();
  p.quantum_bytes = 1500;  // one datagram per turn: a lock-step flow's share equals a window's
  TransmitScheduler s(p);
  const FlowId windowed = s.Register();
  s.MarkReady(windowed);
  std::vector<FlowId> lock_step;
  std::vector<std::uint64_t> sent(8, 0);
  std::vector<int> ack_due_in(8, 0);
  for (std::size_t i = 0; i < 8; ++i) {
    lock_step.push_back(s.Register());
    s.MarkReady(lock_step.back());
  }
  std::uint64_t windowed_sent = 0;
  const Instant now = kInstantZero;
  for (int step = 0; step < 100'000; ++step) {
    for (std::size_t i = 0; i < 8; ++i) {  // ACKs arrive: the lock-step flow has its next block due
      if (ack_due_in[i] > 0 && --ack_due_in[i] == 0) s.MarkReady(lock_step[i]);
    }
    const auto f = s.PickNext(now);
    ASSERT_TRUE(f.has_value());
    if (*f == windowed) {
      s.OnSent(windowed, 1468, now);
      ++windowed_sent;
      continue;
    }
    for (std::size_t i = 0; i < 8; ++i) {
      if (*f != lock_step[i]) continue;
      if (ack_due_in[i] == 0 && sent[i] < 1'000'000) {
        s.OnSent(*f, 1468, now);
        ++sent[i];
        ack_due_in[i] = 3;
        s.OnIdle(*f);  // nothing more until the ACK
      } else {
        s.OnIdle(*f);
      }
    }
  }
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_GE(sent[i], windowed_sent / 4) << "lock-step flow " << i;
  }
  EXPECT_GT(windowed_sent, 0u);
}

TEST(TransmitScheduler, NoStarvationNewFlowServedWithinOneTurnOfTheRing) {
  const TransmitPolicy p = Unpaced();
  TransmitScheduler s(p);
  // Each flow ahead has at most one turn, in which it may overdraw its quantum by one datagram.
  const int per_turn = static_cast<int>(p.quantum_bytes / 1496) + 1;
  std::vector<FlowId> busy;
  for (int i = 0; i < 100; ++i) {
    busy.push_back(s.Register());
    s.MarkReady(busy.back());
  }
  const Instant now = kInstantZero;
  for (int round = 0; round < 50; ++round) {
    const FlowId late = s.Register();
    s.MarkReady(late);
    int picks = 0;
    for (;;) {
      const auto f = s.PickNext(now);
      ASSERT_TRUE(f.has_value());
      ++picks;
      s.OnSent(*f, 1468, now);
      if (*f == late) break;
      ASSERT_LE(picks, per_turn * 102 + 1) << "new flow starved (round " << round << ")";
    }
    s.Unregister(late);
  }
}

TEST(TransmitScheduler, IdleFlowsLeaveTheRingAndIdsAreReused) {
  TransmitScheduler s(Unpaced());
  const FlowId a = s.Register();
  const FlowId b = s.Register();
  EXPECT_FALSE(s.PickNext(kInstantZero).has_value());
  EXPECT_EQ(s.NextSendTime(), kInstantNever);
  s.MarkReady(a);
  s.MarkReady(a);  // idempotent
  EXPECT_EQ(s.PickNext(kInstantZero), a);
  s.OnIdle(a);
  EXPECT_FALSE(s.PickNext(kInstantZero).has_value());
  s.MarkReady(b);
  s.Unregister(b);
  EXPECT_FALSE(s.PickNext(kInstantZero).has_value());
  EXPECT_EQ(s.flows(), 1u);
  EXPECT_EQ(s.Register(), b);
}

// Runs a saturating sender (every ready flow always has data) for `duration` and returns the wire
// bytes sent; each send is one datagram of `payload` bytes.
std::uint64_t Saturate(TransmitScheduler& s, Duration duration, std::size_t payload,
                       int flow_count = 4) {
  std::vector<FlowId> flows;
  for (int i = 0; i < flow_count; ++i) {
    flows.push_back(s.Register());
    s.MarkReady(flows.back());
  }
  Instant now = kInstantZero;
  const Instant end = kInstantZero + duration;
  std::uint64_t bytes = 0;
  while (now < end) {
    while (const auto f = s.PickNext(now)) {
      s.OnSent(*f, payload, now);
      bytes += payload + 28;
    }
    now = std::max(now + Duration{1}, s.NextSendTime());
  }
  return bytes;
}

TEST(TransmitScheduler, OperatorCapIsRespectedOverTime) {
  for (const bool adaptive : {false, true}) {
    TransmitPolicy p;
    p.adaptive = adaptive;
    p.rate_cap_bps = 10'000'000;
    TransmitScheduler s(p);
    const std::uint64_t bytes = Saturate(s, 2s, 1468);
    const double bps = static_cast<double>(bytes) * 8 / 2.0;
    EXPECT_LE(bps, 10'000'000 + 3000 * 8 / 2.0 + 1496 * 8) << "adaptive=" << adaptive;
    EXPECT_GE(bps, 9'900'000) << "adaptive=" << adaptive;  // and the cap is used
  }
}

TEST(TransmitScheduler, PacingSpreadsABurst) {
  TransmitPolicy p;
  p.adaptive = false;
  p.rate_cap_bps = 100'000'000;
  p.burst_bytes = 0;
  TransmitScheduler s(p);
  const FlowId f = s.Register();
  s.MarkReady(f);
  Instant now = kInstantZero;
  std::vector<Instant> times;
  while (times.size() < 16) {  // a window of 16 DATA
    if (const auto picked = s.PickNext(now)) {
      s.OnSent(*picked, 1468, now);
      times.push_back(now);
    } else {
      now = s.NextSendTime();
    }
  }
  for (std::size_t i = 1; i < times.size(); ++i) {
    EXPECT_EQ(times[i] - times[i - 1], FromSeconds(1496 * 8 / 100e6));  // 119.68 us apart
  }
}

// Feeds the controller rounds of feedback: `per_round` datagrams sent as fast as the rate allows,
// each ACKed at once with an RTT of `rtt` (`losses` of them reported lost instead), then time moves
// on to 1 ms after the batch began, which ends the round (round length = max(1 ms, min RTT)).
// Returns the rate after `rounds` batches.
std::uint64_t RunRounds(TransmitScheduler& s, FlowId f, Instant& now, int rounds, Duration rtt,
                        int per_round, int losses) {
  for (int r = 0; r < rounds; ++r) {
    const Instant batch_start = now;
    for (int i = 0; i < per_round; ++i) {
      s.MarkReady(f);
      while (!s.PickNext(now)) now = std::max(now + Duration{1}, s.NextSendTime());
      s.OnSent(f, 1468, now);
      if (i < losses) {
        s.OnLoss(f, now);
      } else {
        s.OnAck(f, 1468, rtt, now);
      }
    }
    now = std::max(now, batch_start + 1ms) + Duration{1};
    s.OnAck(f, 0, std::nullopt, now);
  }
  return s.rate_bps();
}

TEST(TransmitScheduler, StartupGrowsWhileTheRateHoldsFlowsBack) {
  TransmitPolicy p;
  p.rate_initial_bps = 10'000'000;
  TransmitScheduler s(p);
  const FlowId f = s.Register();
  Instant now = kInstantZero;
  const std::uint64_t before = s.rate_bps();
  RunRounds(s, f, now, 1, 200us, 30, 0);
  const std::uint64_t after = RunRounds(s, f, now, 3, 200us, 30, 0);
  EXPECT_GE(after, 4 * before);
}

TEST(TransmitScheduler, QueueingDelayCutsTheRate) {
  TransmitPolicy p;
  p.rate_initial_bps = 1'000'000'000;
  TransmitScheduler s(p);
  const FlowId f = s.Register();
  Instant now = kInstantZero;
  const std::uint64_t clean = RunRounds(s, f, now, 2, 200us, 60, 0);
  EXPECT_EQ(s.stats().congested_rounds, 0u);
  const std::uint64_t queued = RunRounds(s, f, now, 1, 1200us, 60, 0);  // 1 ms above the minimum
  EXPECT_LT(queued, clean);
  EXPECT_GE(s.stats().congested_rounds, 1u);
  EXPECT_EQ(s.stats().loss_rounds, 0u);
  // Back at the unloaded RTT it grows again, more gently than in start-up.
  const std::uint64_t recovered = RunRounds(s, f, now, 2, 200us, 60, 0);
  EXPECT_GT(recovered, queued);
  EXPECT_LE(recovered, queued * 12 / 10);  // x1.05 per round, not start-up's x2
}

TEST(TransmitScheduler, HeavyLossCutsTheRateLightLossDoesNot) {
  TransmitPolicy p;
  p.rate_initial_bps = 1'000'000'000;
  TransmitScheduler light(p);
  const FlowId a = light.Register();
  Instant now = kInstantZero;
  const std::uint64_t start = light.rate_bps();
  RunRounds(light, a, now, 10, 200us, 60, 1);  // 1.7 % loss: below the 5 % threshold
  EXPECT_EQ(light.stats().loss_rounds, 0u);
  EXPECT_EQ(light.stats().congested_rounds, 0u);
  EXPECT_GE(light.rate_bps(), start);

  TransmitScheduler heavy(p);
  const FlowId b = heavy.Register();
  now = kInstantZero;
  RunRounds(heavy, b, now, 4, 200us, 60, 0);
  const std::uint64_t before = heavy.rate_bps();
  RunRounds(heavy, b, now, 4, 200us, 60, 12);  // 20 % of the datagrams lost, judged over 200
  EXPECT_GE(heavy.stats().loss_rounds, 1u);
  EXPECT_LE(heavy.rate_bps(), before * 9 / 10 + 1);
  // Multiplicative decrease down to the floor, never below it (a round that happens to hold only
  // the ACKed part of a batch may add a few per cent back).
  RunRounds(heavy, b, now, 200, 200us, 60, 30);
  EXPECT_GE(heavy.rate_bps(), p.rate_min_bps);
  EXPECT_LE(heavy.rate_bps(), p.rate_min_bps * 12 / 10);
}

TEST(TransmitScheduler, OperatorCapBoundsTheEstimate) {
  TransmitPolicy p;
  p.rate_cap_bps = 20'000'000;
  p.rate_initial_bps = 10'000'000;
  TransmitScheduler s(p);
  const FlowId f = s.Register();
  Instant now = kInstantZero;
  RunRounds(s, f, now, 20, 200us, 30, 0);
  EXPECT_EQ(s.rate_bps(), 20'000'000u);
}

// 10,000 flows, all ready, each sending datagrams of varying size: the scheduler's own work per
// decision (turn changes) stays a small constant, not proportional to the number of flows.
TEST(TransmitScheduler, DecisionCostIsConstantWithTenThousandFlows) {
  TransmitScheduler s(Unpaced());
  std::vector<FlowId> flows;
  for (int i = 0; i < 10'000; ++i) {
    flows.push_back(s.Register());
    s.MarkReady(flows.back());
  }
  const Instant now = kInstantZero;
  constexpr int kPicks = 1'000'000;
  for (int i = 0; i < kPicks; ++i) {
    const auto f = s.PickNext(now);
    ASSERT_TRUE(f.has_value());
    s.OnSent(*f, (*f % 3 == 0) ? 512 : 1468, now);
    if (i % 7 == 0) {  // churn: some flows go idle and come back
      s.OnIdle(*f);
      s.MarkReady(flows[static_cast<std::size_t>(i) * 31 % flows.size()]);
    }
  }
  EXPECT_EQ(s.stats().picks, static_cast<std::uint64_t>(kPicks));
  EXPECT_LE(s.stats().rotations, 2u * kPicks);
}

}  // namespace
}  // namespace stampede::server

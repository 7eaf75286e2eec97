// The server's transmit scheduler and admission queue inside the simulator: a scaled-down boot
// storm whose drop-tail queue is far smaller than the lock-step flows' demand completes fairly only
// with the scheduler, the admission queue holds requests past the active-set limit and serves them
// in order, and scheduled runs stay deterministic and within the operator cap.
#include <gtest/gtest.h>

#include "sim/scenario.h"
#include "sim/simulation.h"

namespace stampede::sim {
namespace {

using namespace std::chrono_literals;

// 200 lock-step clients, 32 KiB queue (22 datagrams) at 1 Gbit/s, 1 % loss: 200 datagrams in
// flight cannot fit, so without server-wide pacing the flows that find the queue full stall.
SimConfig SmallQueueStorm(bool scheduler) {
  SimConfig c;
  c.clients = 200;
  c.size_bytes = 256 << 10;
  c.windowsize = 1;
  c.queue_bytes = 32 << 10;
  c.loss = 0.01;
  c.seed = 1;
  c.scheduler = scheduler;
  return c;
}

TEST(SchedulerSim, SmallQueueStormIsFairOnlyWithTheScheduler) {
  const SimConfig on = SmallQueueStorm(true);
  const SimReport with = RunSimulation(on);
  ASSERT_TRUE(with.ok()) << ReplayCommand(on);
  EXPECT_EQ(with.completed, on.clients) << ReplayCommand(on);
  EXPECT_GE(with.jain, 0.95) << ReplayCommand(on);
  EXPECT_LE(ToSeconds(with.makespan), 3.0 * ToSeconds(with.ideal)) << ReplayCommand(on);
  EXPECT_GT(with.scheduler_rounds, 0u);

  const SimConfig off = SmallQueueStorm(false);
  const SimReport without = RunSimulation(off);
  ASSERT_TRUE(without.ok()) << ReplayCommand(off);
  // The comparison that makes the scheduler worth having (figures in bench/sim/results.md).
  EXPECT_LT(without.jain, with.jain - 0.1) << ReplayCommand(off);
  EXPECT_LT(ToSeconds(with.makespan) * 2, ToSeconds(without.makespan)) << ReplayCommand(off);
}

TEST(SchedulerSim, AdmissionQueueHoldsRequestsBeyondTheActiveSet) {
  SimConfig c;
  c.clients = 30;
  c.size_bytes = 64 << 10;
  c.loss = 0.01;
  c.max_active = 10;
  c.seed = 3;
  for (const bool scheduler : {true, false}) {
    c.scheduler = scheduler;
    const SimReport r = RunSimulation(c);
    ASSERT_TRUE(r.ok()) << ReplayCommand(c);
    EXPECT_EQ(r.completed, c.clients) << ReplayCommand(c);
    EXPECT_EQ(r.active_sessions_peak, 10u) << ReplayCommand(c);
    EXPECT_EQ(r.admission_queue_peak, 20u) << ReplayCommand(c);
    EXPECT_EQ(r.duplicate_requests, 0u) << ReplayCommand(c);  // served before the RRQ repeats
  }
}

TEST(SchedulerSim, ScheduledRunsReplayExactly) {
  SimConfig c;
  c.clients = 20;
  c.size_bytes = 100'000;
  c.windowsize = 8;
  c.loss = 0.02;
  c.queue_bytes = 16 << 10;
  c.seed = 11;
  const SimReport a = RunSimulation(c);
  const SimReport b = RunSimulation(c);
  ASSERT_TRUE(a.ok()) << ReplayCommand(c);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.events, b.events);
}

TEST(SchedulerSim, OperatorCapBoundsTheServersRate) {
  SimConfig c;
  c.clients = 10;
  c.size_bytes = 1 << 20;
  c.windowsize = 16;
  c.server_rate_bps = 100'000'000;  // a tenth of the link
  const SimReport r = RunSimulation(c);
  ASSERT_TRUE(r.ok()) << ReplayCommand(c);
  EXPECT_EQ(r.completed, c.clients);
  // 10 MiB of payload plus headers at 100 Mbit/s take at least 0.855 s; without the cap the 1 Gbit
  // link would carry it in about a tenth of that.
  const double floor_s = 10.0 * (1 << 20) * (1496.0 / 1468.0) * 8 / 100e6;
  EXPECT_GE(ToSeconds(r.makespan), floor_s * 0.99);
  EXPECT_LE(ToSeconds(r.makespan), floor_s * 1.3);
  EXPECT_LE(r.scheduler_rate_bps, c.server_rate_bps);
}

}  // namespace
}  // namespace stampede::sim

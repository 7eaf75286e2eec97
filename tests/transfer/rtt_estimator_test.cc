// RttEstimator and WindowControl unit tests: RFC 6298 arithmetic, backoff, floor, ceiling, fixed
// timeouts, AIMD bounds.
#include "transfer/rtt_estimator.h"

#include <gtest/gtest.h>

#include "transfer/window_control.h"

namespace stampede::transfer {
namespace {

RetransmitPolicy Policy() {
  RetransmitPolicy p;
  p.rto_initial = 200ms;
  p.rto_min = 5ms;
  p.rto_max = 4s;
  return p;
}

TEST(RttEstimator, InitialRtoBeforeAnySample) {
  RttEstimator rtt(Policy());
  EXPECT_EQ(rtt.rto(), 200ms);
  EXPECT_FALSE(rtt.srtt().has_value());
}

TEST(RttEstimator, FirstSampleSetsSrttAndHalfVariance) {
  RttEstimator rtt(Policy());
  rtt.OnSample(10ms);
  EXPECT_EQ(*rtt.srtt(), 10ms);
  EXPECT_EQ(rtt.rttvar(), 5ms);
  EXPECT_EQ(rtt.rto(), 30ms);  // SRTT + 4 RTTVAR
}

TEST(RttEstimator, LaterSamplesSmoothWithRfc6298Gains) {
  RttEstimator rtt(Policy());
  rtt.OnSample(10ms);
  rtt.OnSample(18ms);
  EXPECT_EQ(*rtt.srtt(), 11ms);               // 7/8·10 + 1/8·18
  EXPECT_EQ(rtt.rttvar(), Duration{5750us});  // 3/4·5 + 1/4·8
}

TEST(RttEstimator, FloorHoldsForSubMillisecondLan) {
  RttEstimator rtt(Policy());
  for (int i = 0; i < 20; ++i) rtt.OnSample(100us);
  EXPECT_EQ(rtt.rto(), 5ms);
}

TEST(RttEstimator, BackoffDoublesUpToCeiling) {
  RttEstimator rtt(Policy());
  rtt.OnTimeout();
  EXPECT_EQ(rtt.rto(), 400ms);
  rtt.OnTimeout();
  EXPECT_EQ(rtt.rto(), 800ms);
  for (int i = 0; i < 10; ++i) rtt.OnTimeout();
  EXPECT_EQ(rtt.rto(), 4s);
}

TEST(RttEstimator, SampleAfterBackoffRecomputes) {
  RttEstimator rtt(Policy());
  rtt.OnTimeout();
  rtt.OnTimeout();
  rtt.OnSample(2ms);
  EXPECT_EQ(rtt.rto(), 6ms);
}

TEST(RttEstimator, ClearBackoffReturnsToTheEstimate) {
  RttEstimator rtt(Policy());
  EXPECT_FALSE(rtt.backed_off());
  rtt.OnTimeout();
  EXPECT_TRUE(rtt.backed_off());
  rtt.ClearBackoff();
  EXPECT_EQ(rtt.rto(), 200ms);  // rto_initial: no sample yet
  rtt.OnSample(2ms);
  rtt.OnTimeout();
  rtt.OnTimeout();
  EXPECT_EQ(rtt.rto(), 24ms);
  EXPECT_EQ(rtt.base_rto(), 6ms);
  rtt.ClearBackoff();
  EXPECT_EQ(rtt.rto(), 6ms);
  EXPECT_FALSE(rtt.backed_off());
}

TEST(RttEstimator, FixedTimeoutIgnoresSamplesAndBackoff) {
  RttEstimator rtt(Policy());
  rtt.SetFixed(3s);
  rtt.OnSample(1ms);
  rtt.OnTimeout();
  EXPECT_EQ(rtt.rto(), 3s);
  EXPECT_TRUE(rtt.fixed());
}

TEST(WindowControl, StartsSmallGrowsToNegotiatedAndNoFurther) {
  WindowControl w(WindowPolicy{4, true}, 16);
  EXPECT_EQ(w.window_blocks(), 4);
  w.OnCleanWindow(16);
  EXPECT_EQ(w.window_blocks(), 8);  // slow start: +1 per block, at most doubling (RFC 3465)
  w.OnCleanWindow(16);
  EXPECT_EQ(w.window_blocks(), 16);
  for (int i = 0; i < 10; ++i) w.OnCleanWindow(16);
  EXPECT_EQ(w.window_blocks(), 16);
}

TEST(WindowControl, LossHalvesThenGrowsOnePerWindowOfAckedBlocks) {
  WindowControl w(WindowPolicy{16, true}, 16);
  w.OnLoss();
  EXPECT_EQ(w.window_blocks(), 8);
  w.OnCleanWindow(8);
  EXPECT_EQ(w.window_blocks(), 9);  // +1 per effective window of blocks (RFC 5681 §3.1)
  w.OnCleanWindow(4);
  EXPECT_EQ(w.window_blocks(), 9);  // credit kept toward the next +1
  w.OnCleanWindow(5);
  EXPECT_EQ(w.window_blocks(), 10);
  for (int i = 0; i < 10; ++i) w.OnLoss();
  EXPECT_EQ(w.window_blocks(), 1);
}

TEST(WindowControl, SlowedFlowRegainsOneBlockPerRoundTripOfData) {
  // A receiver window of 16 at effective window 2 spans 8 round trips: it earns 8 blocks of
  // growth in congestion avoidance, as 8 round trips of TCP would, not 1.
  WindowControl w(WindowPolicy{16, true}, 16);
  for (int i = 0; i < 3; ++i) w.OnLoss();
  EXPECT_EQ(w.window_blocks(), 2);
  w.OnCleanWindow(16);
  EXPECT_GE(w.window_blocks(), 5);
}

TEST(WindowControl, NonAdaptiveUsesNegotiatedWindow) {
  WindowControl w(WindowPolicy{4, false}, 16);
  EXPECT_EQ(w.window_blocks(), 16);
  w.OnLoss();
  EXPECT_EQ(w.window_blocks(), 16);
}

}  // namespace
}  // namespace stampede::transfer

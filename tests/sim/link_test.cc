// The link model (sim/link.h): serialisation at the configured rate, drop-tail queue in bytes,
// propagation delay, fault rates that match their probabilities, and determinism per seed.
#include "sim/link.h"

#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

namespace stampede::sim {
namespace {

using namespace std::chrono_literals;

constexpr Instant At(Duration d) { return kInstantZero + d; }

LinkConfig Gigabit() {
  LinkConfig c;
  c.rate_bps = 1'000'000'000;
  c.delay = 100us;
  return c;
}

TEST(Link, SerialisesBackToBackAtTheRate) {
  Link link(Gigabit(), 1, 1);
  // 1472 payload + 28 header bytes = 1500 bytes = 12 µs at 1 Gbit/s.
  for (int k = 0; k < 10; ++k) {
    const LinkOutcome out = link.Offer(1472, At(0s));
    ASSERT_EQ(out.copies, 1);
    EXPECT_EQ(out.arrival[0], At(100us + (k + 1) * 12us)) << k;
  }
  EXPECT_EQ(link.stats().bytes_sent, 15'000u);
  EXPECT_EQ(link.BacklogBytes(At(0s)), 15'000u);
  EXPECT_EQ(link.BacklogBytes(At(60us)), 7'500u);
  EXPECT_EQ(link.BacklogBytes(At(120us)), 0u);
}

TEST(Link, IdleLinkSendsImmediately) {
  Link link(Gigabit(), 1, 1);
  link.Offer(1472, At(0s));
  const LinkOutcome out = link.Offer(1472, At(1ms));  // long after the first left
  EXPECT_EQ(out.arrival[0], At(1ms + 12us + 100us));
}

TEST(Link, SerializationTimeRoundsUp) {
  LinkConfig c = Gigabit();
  c.rate_bps = 3;
  Link link(c, 1, 1);
  EXPECT_EQ(link.SerializationTime(1), Duration{2'666'666'667});
}

TEST(Link, DropTailQueueCountsBytes) {
  LinkConfig c = Gigabit();
  c.queue_bytes = 4'500;  // three 1500-byte datagrams
  Link link(c, 1, 1);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(link.Offer(1472, At(0s)).copies, 1) << k;
  const LinkOutcome dropped = link.Offer(1472, At(0s));
  EXPECT_EQ(dropped.fate, LinkOutcome::Fate::kQueueDrop);
  EXPECT_EQ(dropped.copies, 0);
  EXPECT_EQ(link.Offer(72, At(0s)).fate, LinkOutcome::Fate::kQueueDrop);  // tail drop: still full
  // One datagram's serialisation later there is room for exactly one more.
  EXPECT_EQ(link.Offer(1472, At(12us)).copies, 1);
  EXPECT_EQ(link.Offer(1472, At(12us)).fate, LinkOutcome::Fate::kQueueDrop);
  EXPECT_EQ(link.stats().queue_drops, 3u);
  EXPECT_EQ(link.stats().backlog_max_bytes, 4'500u);
}

TEST(Link, UnlimitedRateOnlyDelays) {
  LinkConfig c;
  c.delay = 5ms;
  c.queue_bytes = 1;  // irrelevant without a rate: nothing ever waits
  Link link(c, 1, 1);
  for (int k = 0; k < 100; ++k) {
    const LinkOutcome out = link.Offer(1472, At(1s));
    ASSERT_EQ(out.copies, 1);
    EXPECT_EQ(out.arrival[0], At(1s + 5ms));
  }
}

// Observed frequency within five standard deviations of p.
void ExpectRate(std::uint64_t hits, std::uint64_t trials, double p) {
  const double observed = static_cast<double>(hits) / static_cast<double>(trials);
  EXPECT_NEAR(observed, p, 5 * std::sqrt(p * (1 - p) / static_cast<double>(trials)));
}

TEST(Link, FaultRatesMatchTheirProbabilities) {
  LinkConfig c;
  c.delay = 1ms;
  c.loss = 0.1;
  c.duplicate = 0.05;
  c.reorder = 0.2;
  Link link(c, 12345, 1);
  constexpr std::uint64_t kTrials = 100'000;
  for (std::uint64_t i = 0; i < kTrials; ++i) link.Offer(100, At(Duration{i * 1000}));
  const LinkStats& s = link.stats();
  ExpectRate(s.losses, kTrials, 0.1);
  const std::uint64_t survivors = kTrials - s.losses;
  ExpectRate(s.duplicates, survivors, 0.05);
  ExpectRate(s.reordered, survivors, 0.2);
  EXPECT_EQ(s.delivered, survivors + s.duplicates);
}

TEST(Link, ReorderingLetsLaterDatagramsOvertake) {
  LinkConfig c;
  c.delay = 100us;
  c.reorder = 0.3;
  c.reorder_delay = 1ms;
  Link link(c, 5, 1);
  Instant latest = kInstantZero;
  int overtaken = 0;
  for (int i = 0; i < 1000; ++i) {
    const LinkOutcome out = link.Offer(100, At(Duration{i * 10'000}));
    ASSERT_EQ(out.copies, 1);
    if (out.arrival[0] < latest) ++overtaken;
    latest = std::max(latest, out.arrival[0]);
    EXPECT_GE(out.arrival[0], At(Duration{i * 10'000}) + 100us);
    EXPECT_LE(out.arrival[0], At(Duration{i * 10'000}) + 100us + 1ms + Duration{1});
  }
  EXPECT_GT(overtaken, 100);
}

TEST(Link, DuplicateArrivesAfterTheOriginal) {
  LinkConfig c;
  c.delay = 100us;
  c.duplicate = 1.0;
  Link link(c, 5, 1);
  const LinkOutcome out = link.Offer(100, At(0s));
  ASSERT_EQ(out.copies, 2);
  EXPECT_GE(out.arrival[1], out.arrival[0]);
}

TEST(Link, JitterKeepsOrderAndStaysWithinItsBound) {
  LinkConfig c;
  c.delay = 100us;
  c.jitter = 50us;
  Link link(c, 8, 1);
  Instant previous = kInstantZero;
  bool varied = false;
  for (int i = 0; i < 1000; ++i) {
    const Instant sent = At(Duration{i * 1'000});
    const LinkOutcome out = link.Offer(100, sent);
    ASSERT_EQ(out.copies, 1);
    EXPECT_GE(out.arrival[0], previous);  // FIFO: jitter never reorders
    EXPECT_GE(out.arrival[0], sent + 100us);
    varied |= out.arrival[0] != sent + 100us;
    previous = out.arrival[0];
  }
  EXPECT_TRUE(varied);
  EXPECT_LE(previous, At(Duration{999'000}) + 150us);
}

std::uint64_t TraceHash(std::uint64_t seed) {
  LinkConfig c = Gigabit();
  c.queue_bytes = 20'000;
  c.loss = 0.05;
  c.duplicate = 0.02;
  c.reorder = 0.05;
  Link link(c, seed, 1);
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (std::uint64_t i = 0; i < 20'000; ++i) {
    const LinkOutcome out = link.Offer(static_cast<std::uint32_t>(64 + i % 1400),
                                       At(Duration{i * 5'000}));
    const auto a0 = static_cast<std::uint64_t>(out.arrival[0].time_since_epoch().count());
    const auto a1 = static_cast<std::uint64_t>(out.arrival[1].time_since_epoch().count());
    const auto fate = static_cast<std::uint64_t>(out.fate);
    for (std::uint64_t v : {fate, std::uint64_t{out.copies}, a0, a1}) {
      hash = (hash ^ v) * 0x100000001B3ULL;
    }
  }
  return hash;
}

TEST(Link, SameSeedSameTrace) {
  EXPECT_EQ(TraceHash(77), TraceHash(77));
  EXPECT_NE(TraceHash(77), TraceHash(78));
}

}  // namespace
}  // namespace stampede::sim

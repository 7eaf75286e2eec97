// The abuse-limit building blocks on a fake clock (docs/security.md): the per-source token bucket
// for new sessions, the unverified-session caps, the descriptor headroom and the progress watch.
#include <chrono>
#include <cstddef>
#include <set>

#include <gtest/gtest.h>

#include "server/descriptor_budget.h"
#include "server/progress_watch.h"
#include "server/source_rate_limiter.h"
#include "server/unverified_sessions.h"

namespace stampede::server {
namespace {

using namespace std::chrono_literals;

const Instant kT0 = kInstantZero + 1s;

io::Address Host(std::uint32_t n, std::uint16_t port) {
  return io::Address::Ipv4(0x0a000000u + n, port);  // 10.0.0.n
}

TEST(SourceRateLimiterTest, NewSessionsPerSourceBurstThenRate) {
  SourceRateLimiter limiter({/*per_second=*/20.0, /*burst=*/50.0, /*sources_max=*/100,
                             /*allow_when_full=*/true});
  int admitted = 0;
  for (std::uint16_t port = 1024; port < 1024 + 10'000; ++port) {
    admitted += limiter.Allow(Host(1, port), kT0) ? 1 : 0;  // G59: 10,000 at one instant
  }
  EXPECT_EQ(admitted, 50);
  // One second later: 20 more, not 21.
  admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limiter.Allow(Host(1, 2000), kT0 + 1s) ? 1 : 0;
  EXPECT_EQ(admitted, 20);
  // Another host has its own bucket.
  EXPECT_TRUE(limiter.Allow(Host(2, 1024), kT0 + 1s));
}

TEST(SourceRateLimiterTest, FullTableAdmitsUntrackedWhenAsked) {
  SourceRateLimiter sessions({1.0, 2.0, /*sources_max=*/4, /*allow_when_full=*/true});
  SourceRateLimiter errors({1.0, 2.0, /*sources_max=*/4, /*allow_when_full=*/false});
  for (std::uint32_t n = 1; n <= 4; ++n) {
    EXPECT_TRUE(sessions.Allow(Host(n, 5000), kT0));
    EXPECT_TRUE(errors.Allow(Host(n, 5000), kT0));
  }
  EXPECT_TRUE(sessions.Allow(Host(9, 5000), kT0));  // not tracked: the table holds 4
  EXPECT_FALSE(errors.Allow(Host(9, 5000), kT0));   // silence is safe for ERRORs
  EXPECT_EQ(sessions.tracked_sources(), 4u);
  EXPECT_EQ(sessions.untracked_allowed(), 1u);
  // Once the buckets refill (2 tokens at 1/s: 2 s), the table makes room again.
  EXPECT_TRUE(errors.Allow(Host(9, 5000), kT0 + 3s));
  EXPECT_LE(errors.tracked_sources(), 4u);
}

TEST(SourceRateLimiterTest, SetLimitsClampsTokens) {
  SourceRateLimiter limiter({1.0, 10.0, 16, true});
  EXPECT_TRUE(limiter.Allow(Host(1, 1), kT0));
  limiter.SetLimits({1.0, 2.0, 16, true});
  EXPECT_TRUE(limiter.Allow(Host(1, 1), kT0));
  EXPECT_TRUE(limiter.Allow(Host(1, 1), kT0));
  EXPECT_FALSE(limiter.Allow(Host(1, 1), kT0));
}

TEST(UnverifiedSessionsTest, PerSourceCapFreesAsSessionsVerifyOrEnd) {
  UnverifiedSessions unverified(/*per_source_max=*/3, /*total_max=*/100);
  std::set<std::uint16_t> live_unverified;
  const auto still = [&](const io::Address& a) { return live_unverified.contains(a.port()); };
  for (std::uint16_t port = 1; port <= 3; ++port) {
    ASSERT_EQ(unverified.Check(Host(1, port), kT0, still), UnverifiedSessions::Verdict::kAdmit);
    unverified.OnAdmitted(Host(1, port));
    live_unverified.insert(port);
  }
  EXPECT_EQ(unverified.Check(Host(1, 4), kT0, still), UnverifiedSessions::Verdict::kSourceFull);
  EXPECT_EQ(unverified.Check(Host(2, 4), kT0, still), UnverifiedSessions::Verdict::kAdmit);
  live_unverified.erase(2);  // session 2 verified (or ended)
  EXPECT_EQ(unverified.Check(Host(1, 4), kT0, still), UnverifiedSessions::Verdict::kAdmit);
  EXPECT_EQ(unverified.total(), 2u);
}

TEST(UnverifiedSessionsTest, TotalCapSweepsAtMostEveryInterval) {
  UnverifiedSessions unverified(/*per_source_max=*/8, /*total_max=*/10);
  std::set<std::uint32_t> live;  // host numbers with a live unverified session
  const auto still = [&](const io::Address& a) {
    return live.contains(a.AsSockaddrIn().sin_addr.s_addr);
  };
  for (std::uint32_t n = 1; n <= 10; ++n) {
    ASSERT_EQ(unverified.Check(Host(n, 7), kT0, still), UnverifiedSessions::Verdict::kAdmit);
    unverified.OnAdmitted(Host(n, 7));
    live.insert(Host(n, 7).AsSockaddrIn().sin_addr.s_addr);
  }
  EXPECT_EQ(unverified.Check(Host(50, 7), kT0, still), UnverifiedSessions::Verdict::kTotalFull);
  live.clear();  // every session verified or ended
  // Within the sweep interval the table is not walked again.
  EXPECT_EQ(unverified.Check(Host(50, 7), kT0 + 1ms, still),
            UnverifiedSessions::Verdict::kTotalFull);
  EXPECT_EQ(unverified.Check(Host(50, 7), kT0 + UnverifiedSessions::kSweepInterval, still),
            UnverifiedSessions::Verdict::kAdmit);
  EXPECT_EQ(unverified.total(), 0u);
}

class FakeCensus final : public DescriptorCensus {
 public:
  FakeCensus(std::size_t* open, std::size_t limit) : open_(open), limit_(limit) {}
  std::size_t OpenCount() override {
    ++counts;
    return *open_;
  }
  std::size_t Limit() override { return limit_; }
  int counts = 0;

 private:
  std::size_t* open_;
  std::size_t limit_;
};

TEST(DescriptorBudgetTest, RefusesNearTheLimitAndRecountsWhenFull) {
  std::size_t open = 10;
  auto census = std::make_unique<FakeCensus>(&open, /*limit=*/100);
  FakeCensus* raw = census.get();
  DescriptorBudget budget(std::move(census), /*reserved=*/20);
  // 10 open + 3 per session + 20 reserved <= 100: (100 - 20 - 10) / 3 = 23 sessions fit.
  int admitted = 0;
  while (budget.HasRoom(kT0) && admitted < 1000) {
    budget.OnAdmitted();
    ++admitted;
  }
  EXPECT_EQ(admitted, 23);
  EXPECT_EQ(raw->counts, 1);
  // Sessions ended: the next count, no sooner than the recount interval, sees the room.
  open = 10;
  EXPECT_FALSE(budget.HasRoom(kT0 + 1ms));
  EXPECT_TRUE(budget.HasRoom(kT0 + DescriptorBudget::kRecountInterval));
  EXPECT_EQ(raw->counts, 2);
  // The real process: a reserve above the limit refuses everything.
  DescriptorBudget real(MakeProcessDescriptorCensus(), /*reserved=*/100'000'000);
  EXPECT_FALSE(real.HasRoom(kT0));
  DescriptorBudget roomy(MakeProcessDescriptorCensus(), /*reserved=*/8);
  EXPECT_TRUE(roomy.HasRoom(kT0));
}

TEST(ProgressWatchTest, IdleSessionIsFlagged) {
  ProgressWatch watch({/*idle_max=*/5s, /*min_bytes_per_s=*/0, /*window=*/0s});
  ASSERT_TRUE(watch.enabled());
  for (int s = 0; s < 5; ++s) {
    watch.BeginSweep();
    EXPECT_EQ(watch.Observe(1, 1000, kT0 + std::chrono::seconds(s)), ProgressWatch::Verdict::kOk);
    watch.EndSweep();
  }
  EXPECT_EQ(watch.Observe(1, 1000, kT0 + 5s), ProgressWatch::Verdict::kIdle);
  EXPECT_EQ(watch.Observe(1, 1001, kT0 + 6s), ProgressWatch::Verdict::kOk);  // moved again
}

TEST(ProgressWatchTest, SlowDripIsFlaggedAfterAWholeWindow) {
  ProgressWatch watch({/*idle_max=*/0s, /*min_bytes_per_s=*/512, /*window=*/30s});
  // E46: one 512-byte block every 3.9 s, just inside a 4 s retransmission timeout: 131 B/s.
  std::uint64_t bytes = 0;
  ProgressWatch::Verdict verdict = ProgressWatch::Verdict::kOk;
  Duration t{0};
  for (; t <= 60s && verdict == ProgressWatch::Verdict::kOk; t += 1s) {
    if (t.count() % 3'900'000'000 < 1'000'000'000) bytes += 512;
    watch.BeginSweep();
    verdict = watch.Observe(7, bytes, kT0 + t);
    watch.EndSweep();
  }
  EXPECT_EQ(verdict, ProgressWatch::Verdict::kTooSlow);
  EXPECT_GE(t, 30s);
  EXPECT_LE(t, 32s);
  // A session at 1 KiB/s is never flagged.
  ProgressWatch fine({0s, 512, 30s});
  for (int s = 0; s <= 120; ++s) {
    fine.BeginSweep();
    ASSERT_EQ(fine.Observe(1, std::uint64_t(s) * 1024, kT0 + std::chrono::seconds(s)),
              ProgressWatch::Verdict::kOk);
    fine.EndSweep();
  }
}

TEST(ProgressWatchTest, UnreportedSessionsAreForgotten) {
  ProgressWatch watch({1s, 0, 0s});
  watch.BeginSweep();
  watch.Observe(1, 0, kT0);
  watch.Observe(2, 0, kT0);
  watch.EndSweep();
  EXPECT_EQ(watch.tracked(), 2u);
  watch.BeginSweep();
  watch.Observe(2, 0, kT0 + 500ms);
  watch.EndSweep();
  EXPECT_EQ(watch.tracked(), 1u);
  // Session 1 comes back as new: its clock starts again.
  watch.BeginSweep();
  EXPECT_EQ(watch.Observe(1, 0, kT0 + 1500ms), ProgressWatch::Verdict::kOk);
  EXPECT_EQ(watch.Observe(2, 0, kT0 + 1500ms), ProgressWatch::Verdict::kIdle);
  watch.EndSweep();
}

}  // namespace
}  // namespace stampede::server

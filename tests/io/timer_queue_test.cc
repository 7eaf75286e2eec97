// TimerQueue: firing order (ties in arm order), cancel and re-arm by handle, stale handles,
// handlers that re-arm and destroy, budgets, and thousands of timers against a simple model.
#include "io/timer_queue.h"

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace stampede::io {
namespace {

Instant At(std::int64_t ms) {
  return kInstantZero + std::chrono::milliseconds(ms);
}

class Recorder final : public TimerHandler {
 public:
  void OnTimer(TimerId id, Instant now) override {
    fired.push_back(id);
    times.push_back(now);
  }
  std::vector<TimerId> fired;
  std::vector<Instant> times;
};

TEST(TimerQueueTest, FiresInDeadlineOrderWithTiesInArmOrder) {
  TimerQueue q;
  Recorder r;
  const std::int64_t deadlines[] = {50, 10, 30, 10, 20, 10};
  std::vector<TimerId> ids;
  for (std::int64_t d : deadlines) {
    ids.push_back(q.Create(&r));
    q.Arm(ids.back(), At(d));
  }
  EXPECT_EQ(q.NextDeadline(), At(10));
  EXPECT_EQ(q.RunExpired(At(9), 100), 0u);
  EXPECT_EQ(q.RunExpired(At(100), 100), 6u);
  const std::vector<TimerId> expected = {ids[1], ids[3], ids[5], ids[4], ids[2], ids[0]};
  EXPECT_EQ(r.fired, expected);
  EXPECT_EQ(q.NextDeadline(), kInstantNever);
  EXPECT_EQ(q.timer_count(), 6u);  // fired timers are disarmed, not destroyed
}

TEST(TimerQueueTest, CancelAndRearm) {
  TimerQueue q;
  Recorder r;
  TimerId a = q.Create(&r), b = q.Create(&r), c = q.Create(&r);
  q.Arm(a, At(10));
  q.Arm(b, At(20));
  q.Arm(c, At(30));
  EXPECT_TRUE(q.Disarm(b));
  EXPECT_FALSE(q.IsArmed(b));
  EXPECT_TRUE(q.Arm(c, At(5)));   // earlier
  EXPECT_TRUE(q.Arm(a, At(40)));  // later
  EXPECT_EQ(q.deadline(c), At(5));
  EXPECT_EQ(q.RunExpired(At(39), 10), 1u);
  EXPECT_EQ(r.fired, std::vector<TimerId>{c});
  EXPECT_EQ(q.RunExpired(At(40), 10), 1u);
  EXPECT_EQ(r.fired.back(), a);
  EXPECT_TRUE(q.Arm(b, At(1)));  // re-arm after a cancel
  EXPECT_EQ(q.RunExpired(At(1), 10), 1u);
  EXPECT_EQ(r.fired.back(), b);
}

TEST(TimerQueueTest, StaleHandlesAreIgnored) {
  TimerQueue q;
  Recorder r;
  TimerId a = q.Create(&r);
  q.Arm(a, At(1));
  EXPECT_TRUE(q.Destroy(a));
  EXPECT_FALSE(q.Destroy(a));
  EXPECT_FALSE(q.Arm(a, At(2)));
  EXPECT_FALSE(q.Disarm(a));
  EXPECT_FALSE(q.IsArmed(a));
  TimerId reused = q.Create(&r);
  EXPECT_EQ(reused.slot, a.slot);
  EXPECT_NE(reused.generation, a.generation);
  EXPECT_FALSE(q.Arm(a, At(2)));
  EXPECT_FALSE(q.IsArmed(reused));
  EXPECT_EQ(q.RunExpired(At(100), 10), 0u);
  EXPECT_FALSE(q.Arm(TimerId{}, At(1)));
}

// A handler that re-arms itself periodically and destroys a victim on its first run.
class Periodic final : public TimerHandler {
 public:
  Periodic(TimerQueue& q, TimerId victim) : q_(q), victim_(victim) {}
  void OnTimer(TimerId id, Instant now) override {
    ++runs;
    q_.Destroy(victim_);
    if (runs < 3) q_.Arm(id, now);  // due at once: fires again within the same RunExpired
  }
  int runs = 0;

 private:
  TimerQueue& q_;
  TimerId victim_;
};

TEST(TimerQueueTest, HandlersMayRearmAndDestroy) {
  TimerQueue q;
  Recorder r;
  TimerId victim = q.Create(&r);
  q.Arm(victim, At(15));
  Periodic p(q, victim);
  TimerId t = q.Create(&p);
  q.Arm(t, At(10));
  EXPECT_EQ(q.RunExpired(At(1000), 100), 3u);  // re-armed deadlines <= now fire in the same call
  EXPECT_EQ(p.runs, 3);
  EXPECT_TRUE(r.fired.empty());
}

TEST(TimerQueueTest, BudgetBoundsOneCall) {
  TimerQueue q;
  Recorder r;
  for (int i = 0; i < 10; ++i) q.Arm(q.Create(&r), At(i));
  EXPECT_EQ(q.RunExpired(At(100), 4), 4u);
  EXPECT_EQ(q.armed_count(), 6u);
  EXPECT_EQ(q.RunExpired(At(100), 100), 6u);
}

TEST(TimerQueueTest, ThousandsOfTimers) {
  constexpr int kTimers = 20000;
  TimerQueue q;
  Recorder r;
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::int64_t> deadline(0, 100000);
  std::vector<TimerId> ids;
  for (int i = 0; i < kTimers; ++i) {
    ids.push_back(q.Create(&r));
    q.Arm(ids.back(), At(deadline(rng)));
  }
  std::map<std::uint32_t, Instant> expected;  // slot -> final deadline
  for (int i = 0; i < kTimers; ++i) {
    const TimerId id = ids[static_cast<std::size_t>(i)];
    switch (i % 3) {
      case 0: q.Disarm(id); break;
      case 1:
        q.Arm(id, At(deadline(rng)));
        expected[id.slot] = q.deadline(id);
        break;
      default: expected[id.slot] = q.deadline(id); break;
    }
  }
  EXPECT_EQ(q.armed_count(), expected.size());
  EXPECT_EQ(q.RunExpired(At(100000), kTimers), expected.size());
  ASSERT_EQ(r.fired.size(), expected.size());
  Instant previous = kInstantZero;
  for (TimerId id : r.fired) {
    const Instant d = expected.at(id.slot);
    EXPECT_LE(previous, d);
    previous = d;
  }
}

// Model check: any sequence of operations fires exactly the timers a sorted model predicts.
RC_GTEST_PROP(TimerQueueProperty, MatchesModel, ()) {
  TimerQueue q;
  Recorder r;
  std::vector<TimerId> ids;
  std::map<std::size_t, std::pair<std::int64_t, std::uint64_t>> armed;  // index -> (deadline, seq)
  std::uint64_t seq = 0;
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange(0, 50)));
  for (auto [op, arg] : ops) {
    if (op == 0 || ids.empty()) {
      ids.push_back(q.Create(&r));
      continue;
    }
    const std::size_t index = static_cast<std::size_t>(arg) % ids.size();
    if (op == 1) {
      q.Arm(ids[index], At(arg));
      armed[index] = {arg, seq++};
    } else if (op == 2) {
      q.Disarm(ids[index]);
      armed.erase(index);
    } else {
      std::vector<std::pair<std::pair<std::int64_t, std::uint64_t>, std::size_t>> due;
      for (const auto& [i, key] : armed) {
        if (key.first <= arg) due.push_back({key, i});
      }
      std::sort(due.begin(), due.end());
      r.fired.clear();
      RC_ASSERT(q.RunExpired(At(arg), 1000) == due.size());
      for (std::size_t k = 0; k < due.size(); ++k) {
        RC_ASSERT(r.fired[k] == ids[due[k].second]);
        armed.erase(due[k].second);
      }
    }
  }
  RC_ASSERT(q.armed_count() == armed.size());
}

}  // namespace
}  // namespace stampede::io

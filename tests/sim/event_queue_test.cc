// The event heap (sim/event_queue.h): time order, FIFO among equal times, and agreement with a
// reference ordering over random pushes and pops.
#include "sim/event_queue.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "sim/random.h"

namespace stampede::sim {
namespace {

TEST(EventQueue, PopsInTimeOrderAndFifoOnTies) {
  EventQueue q;
  q.Push(kInstantZero + Duration{30}, EventKind::kTimer, 1);
  q.Push(kInstantZero + Duration{10}, EventKind::kDeliver, 2);
  q.Push(kInstantZero + Duration{30}, EventKind::kTimer, 3);
  q.Push(kInstantZero + Duration{10}, EventKind::kClientStart, 4);
  std::vector<std::uint32_t> order;
  while (!q.empty()) order.push_back(q.Pop().target);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{2, 4, 1, 3}));
}

TEST(EventQueue, MatchesASortedReferenceUnderRandomUse) {
  EventQueue q;
  Rng rng(3);
  std::vector<std::tuple<Instant, std::uint64_t, std::uint32_t>> reference;
  std::uint64_t sequence = 0;
  Instant now = kInstantZero;
  for (int step = 0; step < 20'000; ++step) {
    if (reference.empty() || rng.Bernoulli(0.55)) {
      const Instant t = now + Duration{static_cast<Duration::rep>(rng.UniformBelow(50))};
      const auto target = static_cast<std::uint32_t>(step);
      q.Push(t, EventKind::kTimer, target);
      reference.emplace_back(t, sequence++, target);
      std::push_heap(reference.begin(), reference.end(), std::greater<>());
    } else {
      std::pop_heap(reference.begin(), reference.end(), std::greater<>());
      const auto [t, seq, target] = reference.back();
      reference.pop_back();
      const Event e = q.Pop();
      ASSERT_EQ(e.time, t);
      ASSERT_EQ(e.sequence, seq);
      ASSERT_EQ(e.target, target);
      now = e.time;
    }
    ASSERT_EQ(q.size(), reference.size());
  }
}

}  // namespace
}  // namespace stampede::sim

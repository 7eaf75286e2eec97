// Properties of the link model (sim/link.h) over arbitrary offer sequences: datagrams are
// conserved (each offered one is dropped, lost or delivered once or twice), nothing arrives before
// its serialisation and delay, the backlog never exceeds the queue, and without reordering the
// link is FIFO.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "sim/link.h"

namespace stampede::sim {
namespace {

struct Offer {
  std::uint32_t gap_ns;
  std::uint32_t size_bytes;
};

LinkConfig ArbitraryConfig() {
  LinkConfig c;
  c.rate_bps = *rc::gen::element<std::uint64_t>(0, 10'000'000, 1'000'000'000);
  c.queue_bytes = *rc::gen::element<std::uint64_t>(0, 3'000, 64 * 1024);
  c.delay = Duration{*rc::gen::inRange<std::int64_t>(0, 1'000'000)};
  c.loss = *rc::gen::element(0.0, 0.1, 0.5);
  c.duplicate = *rc::gen::element(0.0, 0.2);
  c.jitter = Duration{*rc::gen::element<std::int64_t>(0, 50'000)};
  return c;
}

std::vector<Offer> ArbitraryOffers() {
  return *rc::gen::container<std::vector<Offer>>(rc::gen::build<Offer>(
      rc::gen::set(&Offer::gap_ns, rc::gen::inRange<std::uint32_t>(0, 200'000)),
      rc::gen::set(&Offer::size_bytes, rc::gen::inRange<std::uint32_t>(4, 1473))));
}

RC_GTEST_PROP(LinkProperty, ConservesDatagramsAndRespectsCausality, ()) {
  const LinkConfig config = ArbitraryConfig();
  const auto offers = ArbitraryOffers();
  Link link(config, *rc::gen::arbitrary<std::uint64_t>(), 1);
  Instant now = kInstantZero;
  Instant last_arrival = kInstantZero;
  std::uint64_t copies = 0;
  for (const Offer& offer : offers) {
    now += Duration{offer.gap_ns};
    const LinkOutcome out = link.Offer(offer.size_bytes, now);
    copies += out.copies;
    const Duration earliest =
        config.delay + link.SerializationTime(offer.size_bytes + config.overhead_bytes);
    for (std::uint8_t i = 0; i < out.copies; ++i) RC_ASSERT(out.arrival[i] >= now + earliest);
    if (out.copies > 0) {
      RC_ASSERT(out.arrival[0] >= last_arrival);  // no reordering configured: FIFO
      last_arrival = out.arrival[0];
    }
    if (config.queue_bytes != 0 && config.rate_bps != 0) {
      RC_ASSERT(link.BacklogBytes(now) <= config.queue_bytes);
    }
  }
  const LinkStats& s = link.stats();
  RC_ASSERT(s.offered == offers.size());
  RC_ASSERT(s.delivered == copies);
  RC_ASSERT(s.offered == s.queue_drops + s.losses + (s.delivered - s.duplicates));
}

}  // namespace
}  // namespace stampede::sim

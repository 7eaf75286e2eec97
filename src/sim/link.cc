// The link model (link.h): drop-tail FIFO transmitter plus seeded faults. The order of random
// draws is fixed (loss, duplicate, reorder, then jitter and the extra delays) so a seed replays
// exactly.
#include "sim/link.h"

#include <algorithm>

#include "base/check.h"

namespace stampede::sim {

Link::Link(const LinkConfig& config, std::uint64_t seed, std::uint64_t stream)
    : config_(config), rng_(seed, stream) {}

Duration Link::SerializationTime(std::uint64_t wire_bytes) const {
  if (config_.rate_bps == 0) return Duration{0};
  // Exact in 128 bits: bytes × 8 × 1e9 / rate, rounded up so a busy link never looks idle early.
  const Uint128 numerator = static_cast<Uint128>(wire_bytes) * 8u * 1'000'000'000u;
  const Uint128 ns = (numerator + config_.rate_bps - 1) / config_.rate_bps;
  return Duration{static_cast<Duration::rep>(ns)};
}

std::uint64_t Link::BacklogBytes(Instant now) const {
  if (config_.rate_bps == 0 || busy_until_ <= now) return 0;
  const auto ns = static_cast<std::uint64_t>((busy_until_ - now).count());
  return static_cast<std::uint64_t>(static_cast<Uint128>(ns) * config_.rate_bps /
                                    8'000'000'000ULL);
}

LinkOutcome Link::Offer(std::uint32_t size_bytes, Instant now) {
  STAMPEDE_CHECK(now >= last_offer_);  // the simulator's clock never goes back
  last_offer_ = now;
  ++stats_.offered;
  LinkOutcome outcome;
  const std::uint64_t wire_bytes = std::uint64_t{size_bytes} + config_.overhead_bytes;
  Instant departure = now;
  if (config_.rate_bps != 0) {
    const std::uint64_t backlog = BacklogBytes(now);
    if (config_.queue_bytes != 0 && backlog + wire_bytes > config_.queue_bytes) {
      ++stats_.queue_drops;
      outcome.fate = LinkOutcome::Fate::kQueueDrop;
      return outcome;
    }
    stats_.backlog_max_bytes = std::max(stats_.backlog_max_bytes, backlog + wire_bytes);
    busy_until_ = std::max(busy_until_, now) + SerializationTime(wire_bytes);
    departure = busy_until_;
  }
  stats_.bytes_sent += wire_bytes;
  if (rng_.Bernoulli(config_.loss)) {
    ++stats_.losses;
    outcome.fate = LinkOutcome::Fate::kLost;
    return outcome;
  }
  const bool duplicate = rng_.Bernoulli(config_.duplicate);
  const bool reorder = rng_.Bernoulli(config_.reorder);
  Instant arrival = departure + config_.delay;
  if (config_.jitter.count() > 0) {
    arrival = std::max(arrival + rng_.UniformDuration(config_.jitter), last_arrival_);
    last_arrival_ = arrival;
  }
  if (reorder) {
    ++stats_.reordered;
    arrival += Duration{1} + rng_.UniformDuration(config_.reorder_delay);
  }
  outcome.arrival[0] = arrival;
  outcome.copies = 1;
  if (duplicate) {
    ++stats_.duplicates;
    outcome.arrival[1] = arrival + rng_.UniformDuration(config_.reorder_delay);
    outcome.copies = 2;
  }
  stats_.delivered += outcome.copies;
  return outcome;
}

}  // namespace stampede::sim

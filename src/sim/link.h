// One direction of a virtual network path: a FIFO transmitter with a rate (bits/s), a drop-tail
// queue bounded in bytes, a propagation delay, and seeded random loss, duplication and reordering.
// It is a pure calculator over virtual time: given a datagram offered at `now`, it says whether and
// when copies arrive. It never schedules events, owns no packets and never reads a clock.
//
// Model (docs/simulator.md): the transmitter serialises datagrams back to back. The backlog at
// `now` is the bytes not yet serialised, (busy_until - now) × rate; a datagram that does not fit
// beside the backlog in `queue_bytes` is dropped at the tail. Otherwise it leaves when the
// transmitter finishes it and arrives `delay` later. Loss happens on the wire after serialisation
// (a lost datagram used the link); a duplicate is a second copy behind the first; a reordered
// datagram is held for an extra random time so later ones overtake it. Optional jitter adds noise
// without reordering.
#pragma once

#include <array>
#include <cstdint>

#include "base/time.h"
#include "sim/random.h"

namespace stampede::sim {

struct LinkConfig {
  std::uint64_t rate_bps = 0;       // 0: unlimited (no serialisation time, no queue)
  std::uint64_t queue_bytes = 0;    // drop-tail limit of the backlog; 0: unlimited
  Duration delay{0};                // propagation delay
  double loss = 0;                  // probability a datagram is lost on the wire
  double duplicate = 0;             // probability a delivered datagram arrives twice
  double reorder = 0;               // probability a delivered datagram is held back
  Duration reorder_delay{1'000'000};  // the hold-back (and duplicate gap) is uniform in [0, this]
  // Extra delay uniform in [0, jitter] that keeps FIFO order (a datagram never arrives before the
  // one sent ahead of it unless it was reordered): host and switch timing noise, which breaks the
  // exact phase locking a noiseless drop-tail queue shows (Floyd & Jacobson 1992).
  Duration jitter{0};
  // Bytes each datagram costs on the link beyond its UDP payload: IPv4 (20) + UDP (8) headers.
  // Ethernet framing is not modelled (docs/simulator.md).
  std::uint32_t overhead_bytes = 28;
};

struct LinkStats {
  std::uint64_t offered = 0;
  std::uint64_t queue_drops = 0;
  std::uint64_t losses = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint64_t delivered = 0;       // copies that arrive (duplicates counted)
  std::uint64_t bytes_sent = 0;      // bytes serialised (lost datagrams included), with overhead
  std::uint64_t backlog_max_bytes = 0;
};

// What happened to one offered datagram: 0, 1 or 2 arriving copies.
struct LinkOutcome {
  enum class Fate : std::uint8_t { kDelivered, kQueueDrop, kLost };
  Fate fate = Fate::kDelivered;
  std::uint8_t copies = 0;
  std::array<Instant, 2> arrival{};
};

class Link {
 public:
  // `seed` and `stream` pick this link's random stream (each direction its own).
  Link(const LinkConfig& config, std::uint64_t seed, std::uint64_t stream);

  // A datagram of `size_bytes` (UDP payload) is handed to the link at `now`. Calls must come with
  // non-decreasing `now` (the simulator's clock only moves forward).
  LinkOutcome Offer(std::uint32_t size_bytes, Instant now);

  // Bytes waiting to be serialised at `now` (0 when idle or unlimited).
  std::uint64_t BacklogBytes(Instant now) const;
  // Serialisation time of `wire_bytes` at the configured rate (rounded up to whole ns).
  Duration SerializationTime(std::uint64_t wire_bytes) const;

  const LinkConfig& config() const { return config_; }
  const LinkStats& stats() const { return stats_; }

 private:
  LinkConfig config_;
  Rng rng_;
  Instant busy_until_ = kInstantZero;
  Instant last_offer_ = kInstantZero;
  Instant last_arrival_ = kInstantZero;  // latest in-order arrival, for FIFO-preserving jitter
  LinkStats stats_;
};

}  // namespace stampede::sim

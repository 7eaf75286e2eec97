// A token bucket per source host (the port is ignored), bounded in memory: the one mechanism behind
// the per-source limits of PROTOCOL §2 (item 3: new sessions per source; item 6: ERROR replies per
// source). At most `sources_max` hosts are tracked; when the table is full, hosts whose bucket has
// refilled are forgotten (a full bucket carries no information), and if none has, the new host gets
// the `when_full` answer without being tracked. Must not send anything or read a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "base/time.h"
#include "io/address.h"

namespace stampede::server {

struct SourceRateLimits {
  double per_second = 20.0;  // sustained events per source host
  double burst = 40.0;       // bucket size
  std::size_t sources_max = 16384;
  // A new host while the table is full of non-full buckets: refused (ERROR replies: silence is
  // always safe) or allowed untracked (new sessions: a flood from many spoofed hosts must not lock
  // out a real one; the unverified-session caps bound what such a flood costs).
  bool allow_when_full = false;
};

class SourceRateLimiter {
 public:
  explicit SourceRateLimiter(SourceRateLimits limits = {}) : limits_(limits) {}

  // True when one event from (or to) `source` may happen now; takes its token.
  bool Allow(const io::Address& source, Instant now);

  // New limits (a reload). Tokens are kept, clamped to the new burst.
  void SetLimits(const SourceRateLimits& limits);
  const SourceRateLimits& limits() const { return limits_; }
  std::size_t tracked_sources() const { return buckets_.size(); }
  std::uint64_t untracked_allowed() const { return untracked_allowed_; }

 private:
  struct Bucket {
    double tokens = 0;
    Instant refilled_at{};
  };
  void Refill(Bucket& bucket, Instant now) const;
  void ForgetFullBuckets(Instant now);

  SourceRateLimits limits_;
  std::unordered_map<io::Address, Bucket> buckets_;
  std::uint64_t untracked_allowed_ = 0;
};

}  // namespace stampede::server

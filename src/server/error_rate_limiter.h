// Per-source token bucket for the ERROR packets the server sends unprompted by a session: refusals
// on the listening port and ERROR 5 to strays (PROTOCOL §2 item 6: "rate-limit every ERROR reply
// and ERROR-5-to-stray reply per source"; a spoofed source must not turn the server into a
// reflector of ERRORs). Keyed by host address (the port is ignored). Bounded memory: at most
// `sources_max` sources are tracked; when the table is full, sources whose bucket has refilled
// are forgotten, and if none has, the new source is refused (silence is always safe). Must not
// send anything or read a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "base/time.h"
#include "io/address.h"

namespace stampede::server {

struct ErrorRateLimits {
  double per_second = 20.0;  // sustained ERRORs per source
  double burst = 40.0;       // bucket size
  std::size_t sources_max = 16384;
};

class ErrorRateLimiter {
 public:
  explicit ErrorRateLimiter(ErrorRateLimits limits = {}) : limits_(limits) {}

  // True when one ERROR may be sent to `source` now (and takes the token).
  bool Allow(const io::Address& source, Instant now);

  std::size_t tracked_sources() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    Instant refilled_at{};
  };
  void Refill(Bucket& bucket, Instant now) const;
  void ForgetFullBuckets(Instant now);

  ErrorRateLimits limits_;
  std::unordered_map<io::Address, Bucket> buckets_;
};

}  // namespace stampede::server

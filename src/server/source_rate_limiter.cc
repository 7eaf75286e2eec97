// SourceRateLimiter (source_rate_limiter.h): token buckets per source host.
#include "server/source_rate_limiter.h"

#include <algorithm>

namespace stampede::server {

void SourceRateLimiter::Refill(Bucket& bucket, Instant now) const {
  if (now <= bucket.refilled_at) return;
  const double elapsed_s = ToSeconds(now - bucket.refilled_at);
  bucket.tokens = std::min(limits_.burst, bucket.tokens + elapsed_s * limits_.per_second);
  bucket.refilled_at = now;
}

void SourceRateLimiter::ForgetFullBuckets(Instant now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    if (it->second.tokens >= limits_.burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

void SourceRateLimiter::SetLimits(const SourceRateLimits& limits) {
  limits_ = limits;
  for (auto& [host, bucket] : buckets_) bucket.tokens = std::min(bucket.tokens, limits_.burst);
}

bool SourceRateLimiter::Allow(const io::Address& source, Instant now) {
  io::Address host = source.Unmapped();
  host.set_port(0);
  auto it = buckets_.find(host);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.sources_max) {
      ForgetFullBuckets(now);
      if (buckets_.size() >= limits_.sources_max) {
        if (limits_.allow_when_full) ++untracked_allowed_;
        return limits_.allow_when_full;
      }
    }
    it = buckets_.emplace(host, Bucket{limits_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  Refill(bucket, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace stampede::server

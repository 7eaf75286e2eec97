// RFC 6298 retransmission timeout arithmetic (rtt_estimator.h). Must not read a clock.
#include "transfer/rtt_estimator.h"

#include <algorithm>

namespace stampede::transfer {

RttEstimator::RttEstimator(const RetransmitPolicy& policy)
    : rto_min_(policy.rto_min),
      rto_max_(std::max(policy.rto_max, policy.rto_min)),
      rto_(0),
      base_rto_(0) {
  rto_ = Clamp(policy.rto_initial);
  base_rto_ = rto_;
}

void RttEstimator::SetFixed(Duration interval) {
  fixed_ = true;
  rto_ = interval;
  base_rto_ = interval;
}

void RttEstimator::OnSample(Duration rtt) {
  ++samples_;
  if (fixed_) return;
  if (rtt < Duration{0}) rtt = Duration{0};
  if (samples_ == 1) {
    // RFC 6298 §2.2: SRTT = R, RTTVAR = R/2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {
    // RFC 6298 §2.3 with alpha = 1/8, beta = 1/4.
    const Duration delta = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + delta) / 4;
    srtt_ = (7 * srtt_ + rtt) / 8;
  }
  // RTO = SRTT + max(G, 4 RTTVAR); the clock granularity G is ~0 here, the floor covers it.
  rto_ = Clamp(srtt_ + 4 * rttvar_);
  base_rto_ = rto_;
}

void RttEstimator::ClearBackoff() { rto_ = base_rto_; }

void RttEstimator::OnTimeout() {
  if (fixed_) return;  // RFC 2349: the negotiated interval is the interval
  rto_ = Clamp(rto_ > rto_max_ / 2 ? rto_max_ : rto_ * 2);
}

std::optional<Duration> RttEstimator::srtt() const {
  if (samples_ == 0 || fixed_) return std::nullopt;
  return srtt_;
}

Duration RttEstimator::Clamp(Duration d) const { return std::clamp(d, rto_min_, rto_max_); }

}  // namespace stampede::transfer

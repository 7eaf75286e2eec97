// The server-wide transmit scheduler (transmit_scheduler.h): a ring of ready flows served by
// deficit round robin, behind one pacing clock whose rate a per-round controller adjusts.
#include "server/transmit_scheduler.h"

#include <algorithm>
#include <chrono>

#include "base/check.h"

namespace stampede::server {
namespace {

using namespace std::chrono_literals;

// An estimate above this is treated as this: keeps the arithmetic finite on an idle-fast path.
constexpr double kRateMaxBps = 400e9;
// The loss fraction is judged over at least this many datagrams, across rounds: at 2 % random
// loss, 2 losses in 20 datagrams happen in one window of 15; 11 in 200 (above 5 %) in one of 200.
constexpr std::uint64_t kLossSampleMin = 200;
// A round lasts until it holds this many datagrams (at a low rate a 1 ms round holds none, and
// would grow the rate on no evidence), or kRoundLengthMax if the flows send less.
constexpr std::uint64_t kRoundDatagramsMin = 20;
constexpr Duration kRoundLengthMax = 250ms;

Duration TransmitTime(std::uint64_t bytes, double rate_bps) {
  return FromSeconds(static_cast<double>(bytes) * 8.0 / rate_bps);
}

}  // namespace

TransmitScheduler::TransmitScheduler(const TransmitPolicy& policy)
    : policy_(policy), rate_bps_(static_cast<double>(policy.rate_initial_bps)) {
  STAMPEDE_CHECK(policy_.quantum_bytes > 0);
  STAMPEDE_CHECK(policy_.decrease_factor > 0 && policy_.decrease_factor < 1);
  STAMPEDE_CHECK(policy_.increase_factor >= 1);
  rate_bps_ = std::max(rate_bps_, static_cast<double>(policy_.rate_min_bps));
  if (policy_.rate_cap_bps != 0) {
    rate_bps_ = std::min(rate_bps_, static_cast<double>(policy_.rate_cap_bps));
  }
}

FlowId TransmitScheduler::Register() {
  FlowId flow;
  if (!free_.empty()) {
    flow = free_.back();
    free_.pop_back();
    slots_[flow] = Slot{};
  } else {
    STAMPEDE_CHECK(slots_.size() < kNone);
    flow = static_cast<FlowId>(slots_.size());
    slots_.emplace_back();
  }
  slots_[flow].in_use = true;
  ++flows_active_;
  return flow;
}

void TransmitScheduler::Unregister(FlowId flow) {
  STAMPEDE_CHECK(flow < slots_.size() && slots_[flow].in_use);
  if (slots_[flow].ready) Unlink(flow);
  slots_[flow].in_use = false;
  free_.push_back(flow);
  --flows_active_;
}

void TransmitScheduler::MarkReady(FlowId flow) {
  STAMPEDE_CHECK(flow < slots_.size() && slots_[flow].in_use);
  if (!slots_[flow].ready) Link(flow);
}

void TransmitScheduler::OnIdle(FlowId flow) {
  STAMPEDE_CHECK(flow < slots_.size() && slots_[flow].in_use);
  if (slots_[flow].ready) Unlink(flow);
}

// A newly ready flow joins at the tail (just before the flow whose turn it is), so every flow
// already waiting gets its turn first: no starvation, whatever the arrival pattern.
void TransmitScheduler::Link(FlowId flow) {
  Slot& s = slots_[flow];
  s.ready = true;
  s.deficit_bytes = 0;
  if (head_ == kNone) {
    s.prev = s.next = flow;
    head_ = flow;
    turn_started_ = false;
    return;
  }
  const FlowId tail = slots_[head_].prev;
  s.prev = tail;
  s.next = head_;
  slots_[tail].next = flow;
  slots_[head_].prev = flow;
}

// Leaving the ring forfeits the flow's credit (DRR: an empty queue keeps no deficit), so a flow
// cannot save up turns while it waits for an ACK and then burst.
void TransmitScheduler::Unlink(FlowId flow) {
  Slot& s = slots_[flow];
  s.ready = false;
  s.deficit_bytes = 0;
  if (s.next == flow) {
    head_ = kNone;
  } else {
    slots_[s.prev].next = s.next;
    slots_[s.next].prev = s.prev;
    if (head_ == flow) {
      head_ = s.next;
      turn_started_ = false;
    }
  }
  s.prev = s.next = kNone;
}

std::optional<FlowId> TransmitScheduler::PickNext(Instant now) {
  MaybeEndRound(now);
  if (head_ == kNone) return std::nullopt;
  if (rate_bps() != 0 && now < next_send_at_) {
    round_rate_limited_ = true;  // a flow is waiting for the rate, not the other way round
    return std::nullopt;
  }
  // Each pass either serves the head or gives the next flow its quantum; a flow's deficit is
  // above -(largest datagram) after it sent, so with quantum >= largest datagram every flow is
  // served within one turn of the ring (amortised O(1) per datagram).
  for (;;) {
    Slot& s = slots_[head_];
    if (!turn_started_) {
      s.deficit_bytes += policy_.quantum_bytes;
      turn_started_ = true;
    }
    if (s.deficit_bytes > 0) {
      ++stats_.picks;
      return head_;
    }
    head_ = s.next;
    turn_started_ = false;
    ++stats_.rotations;
  }
}

void TransmitScheduler::OnSent(FlowId flow, std::size_t payload_bytes, Instant now) {
  STAMPEDE_CHECK(flow < slots_.size() && slots_[flow].in_use);
  MaybeEndRound(now);
  const std::uint64_t wire_bytes = payload_bytes + policy_.header_bytes;
  Slot& s = slots_[flow];
  s.deficit_bytes -= static_cast<std::int64_t>(wire_bytes);
  s.bytes_sent += wire_bytes;
  ++stats_.datagrams_sent;
  stats_.bytes_sent += wire_bytes;
  ++round_sent_;
  round_sent_payload_bytes_ += payload_bytes;
  round_sent_wire_bytes_ += wire_bytes;
  const std::uint64_t rate = rate_bps();
  if (rate == 0) return;
  const double r = static_cast<double>(rate);
  // Credit for an idle moment is limited to burst_bytes: the clock never lags `now` by more.
  const Instant earliest = now - TransmitTime(policy_.burst_bytes, r);
  next_send_at_ = std::max(next_send_at_, earliest) + TransmitTime(wire_bytes, r);
}

Instant TransmitScheduler::NextSendTime() const {
  if (head_ == kNone) return kInstantNever;
  return rate_bps() == 0 ? kInstantZero : next_send_at_;
}

void TransmitScheduler::OnAck(FlowId flow, std::uint64_t acked_bytes,
                              std::optional<Duration> rtt_sample, Instant now) {
  STAMPEDE_CHECK(flow < slots_.size() && slots_[flow].in_use);
  MaybeEndRound(now);
  round_acked_bytes_ += acked_bytes;
  if (rtt_sample && rtt_sample->count() > 0) {
    min_rtt_ = std::min(min_rtt_.value_or(*rtt_sample), *rtt_sample);
    round_min_rtt_ = std::min(round_min_rtt_.value_or(*rtt_sample), *rtt_sample);
  }
}

void TransmitScheduler::OnLoss(FlowId flow, Instant now) {
  STAMPEDE_CHECK(flow < slots_.size() && slots_[flow].in_use);
  MaybeEndRound(now);
  ++round_losses_;
}

std::uint64_t TransmitScheduler::rate_bps() const {
  if (!policy_.adaptive) return policy_.rate_cap_bps;
  const double capped = policy_.rate_cap_bps == 0
                            ? rate_bps_
                            : std::min(rate_bps_, static_cast<double>(policy_.rate_cap_bps));
  return static_cast<std::uint64_t>(capped);
}

void TransmitScheduler::Control(Duration elapsed) {
  const Duration target = std::max(policy_.queue_delay_target, min_rtt_.value_or(Duration{0}) / 2);
  const Duration queue_delay =
      (round_min_rtt_ && min_rtt_) ? *round_min_rtt_ - *min_rtt_ : Duration{0};
  const bool queue_standing = queue_delay > target;
  loss_window_sent_ += round_sent_;
  loss_window_losses_ += round_losses_;
  bool loss_congested = false;
  double lost = 0;
  if (loss_window_sent_ >= kLossSampleMin) {
    lost = static_cast<double>(loss_window_losses_) / static_cast<double>(loss_window_sent_);
    loss_congested = lost > policy_.loss_threshold;
    loss_window_sent_ = 0;
    loss_window_losses_ = 0;
  }
  double delivered_bps = 0;
  if (round_acked_bytes_ > 0 && round_sent_payload_bytes_ > 0) {
    const double wire_per_payload = static_cast<double>(round_sent_wire_bytes_) /
                                    static_cast<double>(round_sent_payload_bytes_);
    delivered_bps =
        static_cast<double>(round_acked_bytes_) * wire_per_payload * 8.0 / ToSeconds(elapsed);
  }
  // Growth needs evidence that the rate was the limit: a flow waited for it and the round's sends
  // came near it. A rate that was never used (flows paced by their own windows, a quiet server)
  // stays where it is, or a burst of ACKs later meets a rate the path never carried.
  const double sent_bps = static_cast<double>(round_sent_wire_bytes_) * 8.0 / ToSeconds(elapsed);
  // It never takes the rate above twice what the path delivered over the last rounds (or the
  // initial rate before anything was delivered): only acknowledged bytes say the path carries it.
  // Nor does a round that lost more than the threshold grow it (too few datagrams to cut on).
  const bool rate_used = round_rate_limited_ && sent_bps >= 0.5 * static_cast<double>(rate_bps()) &&
                         static_cast<double>(round_losses_) <=
                             policy_.loss_threshold * static_cast<double>(round_sent_);
  const double delivered_recent_bps = RecentDelivery(delivered_bps, elapsed);
  const auto grow = [&](double factor) {
    const double grown =
        std::min(rate_bps_ * factor,
                 std::max(2 * delivered_recent_bps, static_cast<double>(policy_.rate_initial_bps)));
    rate_bps_ = std::max(rate_bps_, grown);
  };
  // The delay law's gain: 1 at q = T, 1 + g with no queue, 1 - g for each T of queue above T.
  const double slope = policy_.increase_factor - 1.0;
  const double error = static_cast<double>((target - queue_delay).count()) /
                       static_cast<double>(std::max(target, Duration{1}).count());
  const double gain = std::clamp(1.0 + slope * error, 0.5, policy_.increase_factor);
  const double before = rate_bps_;
  if (loss_congested) {
    ++stats_.loss_rounds;
    startup_ = false;
    // A heavy loss fraction (an overrun queue) takes that fraction off, at most half.
    rate_bps_ *= std::clamp(1.0 - lost, 0.5, policy_.decrease_factor);
  } else if (startup_ && !queue_standing) {
    if (rate_used) grow(2.0);
  } else if (queue_standing) {
    startup_ = false;
    const double base =
        delivered_recent_bps > 0 ? std::min(rate_bps_, delivered_recent_bps) : rate_bps_;
    rate_bps_ = std::max(base * gain, rate_bps_ / 2);
  } else if (rate_used) {
    grow(gain);  // q <= T here, so gain >= 1
  }
  if (rate_bps_ < before) ++stats_.congested_rounds;
  rate_bps_ = std::clamp(rate_bps_, static_cast<double>(policy_.rate_min_bps), kRateMaxBps);
  if (policy_.rate_cap_bps != 0) {
    rate_bps_ = std::min(rate_bps_, static_cast<double>(policy_.rate_cap_bps));
  }
}

// Delivery over the last rounds together: a windowed receiver ACKs a window at a time, so one
// round's figure swings by a window's worth either way.
double TransmitScheduler::RecentDelivery(double delivered_bps, Duration elapsed) {
  recent_[stats_.rounds % recent_.size()] = {delivered_bps * ToSeconds(elapsed),
                                             ToSeconds(elapsed)};
  double bits = 0;
  double seconds = 0;
  for (const auto& r : recent_) {
    bits += r.bits;
    seconds += r.seconds;
  }
  return seconds > 0 ? bits / seconds : 0;
}

Duration TransmitScheduler::RoundLength() const {
  return std::max(policy_.round_min, min_rtt_.value_or(policy_.round_min));
}

// The control law, once per round (docs/scheduler.md). Queueing delay q is the round's smallest
// RTT sample above the path's smallest; T the target. In start-up the rate doubles per round while
// it holds flows back and q <= T. After that the rate follows a proportional law,
//   rate = base x clamp(1 + g (T - q) / T, 1/2, 1 + g),   g = increase_factor - 1,
// where base is the rate itself while q <= T, and what the path delivered in the round (at most
// the rate) once a queue stands: with a standing queue the path delivers its capacity, so the rate
// settles where q = T, the bottleneck stays busy and its queue stays short. The rate only grows
// when it was used (a flow waited for it and the round sent at half of it or more) and the round
// has an RTT sample; an idle or self-paced server keeps its estimate. A
// round losing more than loss_threshold of its datagrams cuts the rate by decrease_factor (tiny
// queues overflow before they show delay).
void TransmitScheduler::MaybeEndRound(Instant now) {
  if (round_start_ == kInstantNever) {
    round_start_ = now;
    return;
  }
  const Duration elapsed = now - round_start_;
  if (elapsed < RoundLength() || (round_sent_ < kRoundDatagramsMin && elapsed < kRoundLengthMax)) {
    return;
  }
  ++stats_.rounds;
  if (policy_.adaptive) Control(elapsed);
  round_start_ = now;
  round_sent_ = 0;
  round_sent_payload_bytes_ = 0;
  round_sent_wire_bytes_ = 0;
  round_losses_ = 0;
  round_acked_bytes_ = 0;
  round_min_rtt_.reset();
  round_rate_limited_ = false;
}

}  // namespace stampede::server

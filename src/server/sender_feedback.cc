// SenderFeedback (sender_feedback.h).
#include "server/sender_feedback.h"

#include <algorithm>
#include <optional>

namespace stampede::server {

void SenderFeedback::Report(TransmitScheduler& scheduler, FlowId flow,
                            const transfer::Stats& stats, Instant now) {
  std::optional<Duration> sample;
  if (stats.rtt_samples != reported_samples_) {
    reported_samples_ = stats.rtt_samples;
    sample = stats.rtt_latest;
  }
  const std::uint64_t acked =
      stats.bytes_transferred > reported_bytes_ ? stats.bytes_transferred - reported_bytes_ : 0;
  reported_bytes_ = std::max(reported_bytes_, stats.bytes_transferred);
  if (acked != 0 || sample) scheduler.OnAck(flow, acked, sample, now);
  for (; reported_restarts_ < stats.window_restarts; ++reported_restarts_) {
    scheduler.OnLoss(flow, now);
  }
}

}  // namespace stampede::server

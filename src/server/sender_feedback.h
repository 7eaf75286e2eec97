// What a transfer's Sender learnt since it was last reported to the TransmitScheduler: the
// acknowledged bytes, its latest RTT sample (when it took a new one) and each window restart
// (timeouts included) as one loss event. One per flow, shared by the server's transmit driver and
// the simulator, so both feed the scheduler the same way.
#pragma once

#include <cstdint>

#include "base/time.h"
#include "server/transmit_scheduler.h"
#include "transfer/stats.h"

namespace stampede::server {

class SenderFeedback {
 public:
  // Reports the change in `stats` since the previous call to `flow` of `scheduler`.
  void Report(TransmitScheduler& scheduler, FlowId flow, const transfer::Stats& stats,
              Instant now);

 private:
  std::uint64_t reported_bytes_ = 0;
  std::uint64_t reported_samples_ = 0;
  std::uint64_t reported_restarts_ = 0;
};

}  // namespace stampede::server

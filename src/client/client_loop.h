// A light loop for a handful of concurrent ClientTransfers (the `get`/`put` commands): poll(2) over
// their sockets with the earliest deadline as timeout, a stop flag for signals, and a tick hook for
// progress output. One thread, no thread per transfer. The load generator drives ClientTransfer
// from io::EventLoop instead (loop_binding.h); the transfer object is the same.
#pragma once

#include <atomic>
#include <span>

#include "base/time.h"
#include "client/client_transfer.h"

namespace stampede::client {

class LoopTicker {
 public:
  virtual ~LoopTicker() = default;
  // Called after every wake-up with the loop's time.
  virtual void OnTick(Instant now) = 0;
};

struct LoopOptions {
  // When set and true, every unfinished transfer is aborted and the loop returns.
  const std::atomic<bool>* stop = nullptr;
  LoopTicker* ticker = nullptr;
  Duration tick_interval = std::chrono::milliseconds(200);  // upper bound on the wait
};

// Runs already started transfers until all are finished, or until a stop is requested (then each
// unfinished one is Abort("Interrupted")ed). Returns false when stopped.
bool RunTransfers(std::span<ClientTransfer* const> transfers, const LoopOptions& options);

}  // namespace stampede::client

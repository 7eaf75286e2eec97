// A light loop for a handful of concurrent ClientTransfers (the `get`/`put` commands): poll(2) over
// their sockets with the earliest deadline as timeout, a stop flag for signals, and a tick hook for
// progress output. One thread, no thread per transfer. The load generator drives ClientTransfer
// from io::EventLoop instead (loop_binding.h); the transfer object is the same.
#pragma once

#include <atomic>
#include <cstdint>
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
  // After a wake-up that found a datagram, poll without sleeping for up to this long before
  // blocking (0: never); io::EventLoopOptions::busy_poll says why and when.
  Duration busy_poll = Duration::zero();
  // When set, counts the wake-ups whose datagrams busy polling found (without a sleep).
  std::uint64_t* busy_poll_hits = nullptr;
};

// Runs already started transfers until all are finished, or until a stop is requested (then each
// unfinished one is Abort("Interrupted")ed). Returns false when stopped.
bool RunTransfers(std::span<ClientTransfer* const> transfers, const LoopOptions& options);

}  // namespace stampede::client

// What a simulation run is asked to do (SimConfig), the derived yardsticks its report compares
// against (minimum packets, ideal makespan), and the command line that replays it. Plain data and
// arithmetic; must not run anything.
#pragma once

#include <cstdint>
#include <string>

#include "base/time.h"
#include "transfer/rtt_estimator.h"
#include "transfer/window_control.h"

namespace stampede::sim {

using namespace std::chrono_literals;

struct SimConfig {
  std::uint32_t clients = 10;
  std::uint64_t size_bytes = 1 << 20;
  std::uint16_t blksize = 1468;
  std::uint16_t windowsize = 1;
  // Bottleneck, server → clients (where the data goes).
  std::uint64_t rate_bps = 1'000'000'000;
  std::uint64_t queue_bytes = 1 << 20;
  Duration delay = 100us;  // one-way propagation, both directions unless uplink_delay is set
  // Faults, applied independently in both directions.
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;
  Duration reorder_delay = 1ms;
  Duration jitter = 0s;  // FIFO-preserving delay noise, both directions (LinkConfig::jitter)
  // Reverse path, clients → server: unlimited rate (0) and queue unless configured.
  std::uint64_t uplink_rate_bps = 0;
  std::uint64_t uplink_queue_bytes = 0;
  Duration uplink_delay = Duration{-1};  // negative: same as `delay`
  // Clients start at uniform random times in [0, start_window].
  Duration start_window = 0s;
  // Liveness bounds: the run stops at this virtual time or after this many events (0: derived
  // from the minimum packet count) and reports whatever has not finished.
  Duration time_limit = 600s;
  std::uint64_t max_events = 0;
  std::uint64_t seed = 1;
  // Transfer engine knobs, the same for the server's Senders and the clients' Receivers.
  transfer::RetransmitPolicy retransmit;
  bool adaptive_window = true;  // transfer::WindowPolicy::adaptive
  // The server's transmit scheduler (server::TransmitScheduler): every session's datagrams go
  // through it (fair share, aggregate pacing). false: each Sender sends as soon as it may.
  bool scheduler = true;
  // The scheduler's operator cap (server --rate), bits/s of UDP payload + 28; 0: none.
  std::uint64_t server_rate_bps = 0;
  // Active sessions at most; further requests wait in a FIFO, unanswered, until one ends
  // (0: no limit).
  std::uint32_t max_active = 0;
  // Debugging: record every datagram and timer of this client's transfer in SimReport::trace.
  std::int64_t trace_client = -1;  // -1: off
  // Self-test of the byte verifier: flip one payload byte in every n-th DATA the server emits
  // (0: never). A run with it must fail (docs/simulator.md).
  std::uint64_t corrupt_every_nth_data = 0;
};

// The fewest datagrams the run can take: per client the RRQ, the OACK and its ACK 0 (the client
// always asks for tsize, so there is always an OACK), every DATA block once (size / blksize + 1:
// RFC 1350 §6 needs a short final block, possibly empty) and one ACK per window of blocks.
std::uint64_t MinimumDataPackets(const SimConfig& config);  // all clients
std::uint64_t MinimumPackets(const SimConfig& config);      // all clients, both directions

// Ideal makespan: all payload bytes (clients × size) back to back at the bottleneck rate. Headers,
// round trips and start-up are left out, so it is a lower bound no run reaches exactly.
Duration IdealMakespan(const SimConfig& config);

// The event bound actually used (config.max_events, or the derived default when 0).
std::uint64_t EffectiveMaxEvents(const SimConfig& config);

// `stampede sim ...` with every setting that differs from the defaults above, seed always included,
// so a failing run can be replayed exactly.
std::string ReplayCommand(const SimConfig& config);

}  // namespace stampede::sim

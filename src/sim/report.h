// The outcome of one simulation run: per-client results, aggregate figures, link counters, and
// every invariant violation or unfinished session found. Plain data; formatting for people and
// JSON belongs to the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"
#include "sim/link.h"
#include "transfer/stats.h"

namespace stampede::sim {

struct ClientResult {
  Instant start = kInstantNever;
  Instant completed_at = kInstantNever;  // when the final ACK went out (all bytes verified)
  transfer::TransferStatus client_status = transfer::TransferStatus::kActive;
  transfer::TransferStatus server_status = transfer::TransferStatus::kActive;
  transfer::TransferError client_error;
  bool server_session = false;  // the server created a session for this client
  bool finished = false;        // both ends finished (client dally over, server done or absent)
};

struct SimReport {
  std::uint64_t seed = 0;
  std::uint32_t clients = 0;
  std::uint32_t completed = 0;   // client received and verified every byte
  std::uint32_t failed = 0;      // client ended with an error (timeout or ERROR)
  std::uint32_t unfinished = 0;  // still running when the run stopped (a liveness failure)

  Duration makespan{0};  // from t=0 to the last client completion
  Duration ideal{0};     // IdealMakespan(config)
  Duration p50{0};       // per-client completion time (from its own start), completed clients
  Duration p99{0};
  Duration max{0};
  double jain = 1;       // over per-client throughput (size / completion time; 0 if not complete)
  std::int64_t slowest_client = -1;  // the completed client with the longest completion time

  std::uint64_t packets_sent = 0;  // every datagram any endpoint emitted (before the links)
  std::uint64_t packets_min = 0;   // MinimumPackets(config)
  std::uint64_t data_sent = 0;     // DATA packets, retransmissions included
  std::uint64_t data_min = 0;      // MinimumDataPackets(config)
  std::uint64_t retransmits = 0;   // DATA packets that repeated a block (Sender stats)
  std::uint64_t acks_sent = 0;
  std::uint64_t control_sent = 0;  // RRQ/OACK/ERROR, both sides
  std::uint64_t timeouts = 0;      // both sides
  std::uint64_t window_restarts = 0;
  std::uint64_t duplicate_requests = 0;  // RRQs for a client that already had a session (E40)
  std::uint64_t stray_packets = 0;       // datagrams for an endpoint that had finished or never was
  std::uint64_t admission_queue_peak = 0;  // requests waiting for a free slot at once (max_active)
  std::uint64_t active_sessions_peak = 0;  // server sessions running at once
  // The server's transmit scheduler (0 when off): pacing rate at the end, control rounds that
  // ended in a decrease, and its DRR work (turn changes per datagram released).
  std::uint64_t scheduler_rate_bps = 0;
  std::uint64_t scheduler_congested_rounds = 0;
  std::uint64_t scheduler_rounds = 0;
  double scheduler_rotations_per_pick = 0;

  LinkStats downlink;
  LinkStats uplink;

  Duration virtual_time{0};
  std::uint64_t events = 0;
  std::uint64_t trace_hash = 0;      // FNV-1a over every event: equal hashes, equal runs
  std::size_t datagrams_peak = 0;    // pool slots in use at the peak
  bool stopped_by_time_limit = false;
  bool stopped_by_event_limit = false;

  std::vector<ClientResult> per_client;
  std::vector<std::string> violations;       // safety: broken invariants (capped, see count)
  std::uint64_t violation_count = 0;
  std::vector<std::string> unfinished_notes; // liveness: what was still running (capped)
  std::vector<std::string> failure_notes;    // first few client failures, for people
  std::vector<std::string> trace;            // SimConfig::trace_client's events (capped)

  // True when no invariant broke and nothing was left running. Failed transfers (retry budget
  // spent under heavy loss) are legitimate outcomes and do not make a run bad.
  bool ok() const { return violation_count == 0 && unfinished == 0; }
};

}  // namespace stampede::sim

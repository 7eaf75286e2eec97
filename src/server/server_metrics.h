// Counters of the server engine (one value, read through Server::metrics()). Plain data, updated
// only on the thread that runs the server; a reader on another thread sees approximate values.
#pragma once

#include <cstdint>

namespace stampede::server {

struct ServerMetrics {
  // Datagrams on the listening sockets.
  std::uint64_t datagrams_received = 0;
  std::uint64_t requests = 0;  // well-formed RRQ + WRQ
  std::uint64_t rrq = 0;
  std::uint64_t wrq = 0;
  std::uint64_t dropped_malformed = 0;        // A1, A2, A5 and other parse drops
  std::uint64_t dropped_no_session = 0;       // A4: DATA/ACK/OACK/ERROR with no session
  std::uint64_t dropped_privileged_port = 0;  // G61
  std::uint64_t dropped_broadcast = 0;        // G62
  std::uint64_t dropped_stopping = 0;         // requests after RequestStop
  std::uint64_t duplicate_requests = 0;       // E40: same client address:port, transfer alive
  std::uint64_t refused = 0;                  // requests answered with an ERROR (any reason)
  std::uint64_t refused_busy = 0;             // sessions_max / sessions_per_client_max
  // Abuse limits (docs/security.md).
  std::uint64_t dropped_source_rate = 0;        // G59: the source's new-session bucket is empty
  std::uint64_t dropped_unverified_source = 0;  // G59: unverified_per_source_max reached
  std::uint64_t dropped_unverified_total = 0;   // G60: unverified_max reached
  std::uint64_t refused_descriptors = 0;        // ERROR 0: too few file descriptors left
  std::uint64_t ended_idle = 0;                 // no progress for session_idle_max
  std::uint64_t ended_slow = 0;                 // E46: below progress_min_bytes_per_s
  // Sessions.
  std::uint64_t sessions_started = 0;
  std::uint64_t sessions_active = 0;     // gauge
  std::uint64_t sessions_restarted = 0;  // single-port: a new request from a live tuple
  std::uint64_t completed = 0;
  std::uint64_t completed_unconfirmed = 0;  // E45
  std::uint64_t probes = 0;                 // E42
  std::uint64_t failed = 0;
  std::uint64_t aborted_by_shutdown = 0;
  std::uint64_t admission_waiting = 0;  // gauge: requests waiting for a slot
  std::uint64_t admission_started = 0;  // waiting requests that got a slot
  std::uint64_t scheduled_flows = 0;    // gauge: read transfers in the transmit scheduler
  std::uint64_t strays = 0;             // E39: datagrams from a foreign TID on a session socket
  // Sending.
  std::uint64_t errors_sent = 0;          // ERROR packets we queued from the listener
  std::uint64_t errors_rate_limited = 0;  // ERROR replies suppressed by the per-source bucket
  std::uint64_t send_failures = 0;        // datagrams the kernel refused (lost; retransmitted)
  std::uint64_t datagrams_sent = 0;
  std::uint64_t bytes_sent = 0;      // payload bytes of finished read transfers
  std::uint64_t bytes_received = 0;  // payload bytes of finished write transfers
  std::uint64_t retransmits = 0;     // of finished transfers
  // Receiving.
  std::uint64_t receive_overflows = 0;        // kernel drops reported by SO_RXQ_OVFL
  std::uint64_t session_socket_failures = 0;  // could not open a per-transfer socket
  std::uint64_t reloads = 0;
  std::uint64_t reloads_refused = 0;
};

}  // namespace stampede::server

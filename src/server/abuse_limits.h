// The server's abuse-resistance settings (docs/security.md): per-source admission (PROTOCOL §2
// item 3), caps on sessions whose peer has not proven its address, the ERROR reply budget (§2
// item 6), the progress a session must make to keep its slot (E46), and the file descriptors kept
// free. Plain data, part of ServerConfig; the defaults here are the documented defaults.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/time.h"

namespace stampede::server {

struct AbuseLimits {
  // New sessions per source host: a token bucket. A boot storm comes from many hosts, one or two
  // requests each, so per-host limits do not slow it; one host asking 10,000 times is refused.
  std::uint32_t new_sessions_per_source_per_s = 20;
  std::uint32_t new_sessions_per_source_burst = 50;
  // Sessions whose peer has not yet answered (no valid ACK or DATA from its address:port): each
  // may still send its OACK or first DATA 1 + retries_unverified_max times to a spoofed victim.
  std::uint32_t unverified_per_source_max = 8;
  std::uint32_t unverified_max = 4096;
  // The two per-source limits above do not apply to loopback sources (127/8, ::1): the kernel
  // drops packets from the network that claim a loopback source (martians), so they cannot be
  // spoofed from outside, and local load tools and health checks come from there.
  bool per_source_exempt_loopback = true;
  // Before its peer is verified, a session answering a request with options sends its OACK at
  // most as often as keeps the bytes sent within this multiple of the request's bytes (and never
  // more than 1 + retries_unverified_max times): the OACK round trip is the address check, and it
  // may not amplify more than this (PROTOCOL §2 item 1, after QUIC's 3x rule). 0: no such budget.
  std::uint32_t oack_amplification_max = 3;
  // ERROR replies per source host (refusals on the listening port, ERROR 5 to strays).
  std::uint32_t errors_per_source_per_s = 20;
  std::uint32_t errors_per_source_burst = 40;
  // Source hosts tracked by each per-source table (bounded memory; see SourceRateLimiter).
  std::uint32_t sources_tracked_max = 16384;
  // A session is ended (ERROR 0) when nothing moved for session_idle_max, or when over a whole
  // progress_window it moved fewer than progress_min_bytes_per_s × window bytes (slow drip, E46).
  // 0 disables the check.
  Duration session_idle_max = std::chrono::seconds(30);
  std::uint32_t progress_min_bytes_per_s = 512;
  Duration progress_window = std::chrono::seconds(30);
  // New sessions are refused with ERROR 0 "Server busy" while fewer than this many file
  // descriptors are free under RLIMIT_NOFILE, so the server never runs out of them.
  std::uint32_t descriptors_reserved = 64;
};

}  // namespace stampede::server

// Everything the server daemon can be told, in one value. The command line (`stampede serve`), the
// TOML config file and SIGHUP reloads all produce a ServerConfig; the server never reads flags or
// files itself. Defaults here are the documented defaults (docs/server.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/abuse_limits.h"
#include "server/path_resolver.h"
#include "server/upload_manager.h"
#include "transfer/negotiation.h"
#include "transfer/rtt_estimator.h"

namespace stampede::server {

enum class AddressFamilies : std::uint8_t { kBoth, kIpv4Only, kIpv6Only };

struct PortRange {
  std::uint16_t low = 0;  // 0..0: let the kernel choose an ephemeral port per transfer
  std::uint16_t high = 0;
};

// Per-client workarounds for peers that break the RFCs in known ways.
struct QuirkPolicy {
  // curl 7.88 refuses an OACK carrying `tsize 0`, so it cannot fetch an empty file from a server that
  // honours tsize. When set, tsize is left out of the OACK for empty files.
  bool omit_tsize_for_empty_files = true;
};

struct ServerConfig {
  // Files. `root` is served read-only unless uploads are enabled.
  std::string root = ".";
  PathResolverOptions paths;
  std::optional<std::string> remap_file;  // tftp-hpa style rules, docs/remap.md

  // Uploads (WRQ). Refused with ERROR 2 unless `uploads_enabled`; see UploadPolicy for create and
  // overwrite rules. tftpd-hpa's -c implies uploads_enabled and upload.create.
  bool uploads_enabled = false;
  UploadPolicy upload;

  // Sockets. Each entry is "ADDR:PORT", "[V6ADDR]:PORT" or "ADDR" (port 69).
  std::vector<std::string> listen = {"[::]:69"};
  AddressFamilies families = AddressFamilies::kBoth;
  PortRange port_range;        // per-transfer TIDs (RFC 1350); unused in single-port mode
  bool single_port = false;    // serve every transfer from the listening port (NAT, Kubernetes)
  std::uint32_t socket_buffer_bytes = 4 * 1024 * 1024;
  // Transmission control of read transfers (docs/scheduler.md): `scheduler` shares the server's
  // outbound rate fairly (deficit round robin by bytes) and paces it by queueing delay; `rate_bps`
  // (bits/s of UDP payload plus IPv4/UDP headers, 0: none) caps everything sent, with or without
  // the scheduler. Both are read when the server starts; a reload keeps the running values. Off by
  // default: the storm benchmark finished 1.2-1.3 x sooner without it (docs/scheduler.md,
  // "Measured").
  bool scheduler = false;
  std::uint64_t rate_bps = 0;
  // Busy polling of the event loop (io::EventLoopOptions::busy_poll; docs/io.md): 0, the
  // default, sleeps at once. Read when the server starts.
  Duration busy_poll = Duration::zero();

  // Protocol.
  transfer::OptionPolicy options;
  transfer::RetransmitPolicy retransmit;
  QuirkPolicy quirks;

  // Limits.
  std::uint32_t sessions_max = 10000;
  // Requests past sessions_max that wait in arrival order for a free slot instead of being refused
  // (at most this many; 0: refuse at once). docs/scheduler.md, "Admission".
  std::uint32_t admission_queue_max = 0;
  std::uint32_t sessions_per_client_max = 64;
  bool drop_privileged_source_ports = true;  // PROTOCOL G61: source port < 1024 dropped
  bool ignore_broadcast_requests = true;     // RFC 1123 §4.2.3.5, PROTOCOL G62
  AbuseLimits abuse;                         // docs/security.md

  // Process.
  std::optional<std::string> user;  // drop to this user after binding
  bool seccomp = false;             // system-call allow-list once serving (docs/sandbox.md)
  int verbosity = 0;                // 0: one line per finished transfer; 1+: more detail
  Duration shutdown_grace = std::chrono::seconds(10);  // SIGTERM: finish transfers up to this long
};

}  // namespace stampede::server

// `stampede serve` abuse-limit flags (serve_limit_args.h).
#include "cli/serve_limit_args.h"

#include <chrono>

namespace stampede::cli {

void AddLimitFlags(CLI::App& app, LimitArgs* a) {
  const std::string group = "Limits (docs/security.md)";
  app.add_option("--max-sessions-per-client", a->sessions_per_client_max,
                 "Concurrent transfers per client host (default 64)")
      ->check(CLI::Range(1u, 10'000'000u))
      ->group(group);
  app.add_option("--source-rate", a->new_sessions_per_source_per_s,
                 "New transfers per second per source host (default 20)")
      ->check(CLI::Range(1u, 1'000'000u))
      ->group(group);
  app.add_option("--source-burst", a->new_sessions_per_source_burst,
                 "Burst of new transfers per source host (default 50)")
      ->check(CLI::Range(1u, 1'000'000u))
      ->group(group);
  app.add_option("--max-unverified-per-source", a->unverified_per_source_max,
                 "Transfers per source host not yet acknowledged by the client (default 8)")
      ->check(CLI::Range(1u, 10'000'000u))
      ->group(group);
  app.add_option("--max-unverified", a->unverified_max,
                 "Transfers not yet acknowledged by their client, in all (default 4096)")
      ->check(CLI::Range(1u, 10'000'000u))
      ->group(group);
  app.add_option("--error-rate", a->errors_per_source_per_s,
                 "ERROR replies per second per source host (default 20)")
      ->check(CLI::Range(1u, 1'000'000u))
      ->group(group);
  app.add_option("--idle-max-ms", a->session_idle_max_ms,
                 "End a transfer with no progress for this long; 0: never (default 30000)")
      ->check(CLI::Range(0u, 86'400'000u))
      ->group(group);
  app.add_option("--progress-min-rate", a->progress_min_bytes_per_s,
                 "End a transfer moving fewer bytes/s than this over a progress window; 0: never "
                 "(default 512)")
      ->check(CLI::Range(0u, 1'000'000'000u))
      ->group(group);
  app.add_option("--progress-window-ms", a->progress_window_ms,
                 "Window of the minimum progress rate (default 30000)")
      ->check(CLI::Range(1000u, 86'400'000u))
      ->group(group);
  app.add_option("--fd-reserve", a->descriptors_reserved,
                 "File descriptors kept free; new transfers are refused below (default 64)")
      ->check(CLI::Range(0u, 1'000'000u))
      ->group(group);
  app.add_flag("--allow-privileged-source-ports", a->allow_privileged_source_ports,
               "Answer requests from source ports below 1024 (default: dropped)")
      ->group(group);
  app.add_flag("--limit-loopback", a->limit_loopback,
               "Apply the per-source limits to loopback sources too (default: exempt)")
      ->group(group);
  app.add_flag("--answer-broadcast", a->answer_broadcast_requests,
               "Answer requests sent to a broadcast or multicast address (default: ignored)")
      ->group(group);
}

void ApplyLimitFlags(const LimitArgs& a, server::ServerConfig* c) {
  server::AbuseLimits& l = c->abuse;
  if (a.sessions_per_client_max) c->sessions_per_client_max = *a.sessions_per_client_max;
  if (a.new_sessions_per_source_per_s) {
    l.new_sessions_per_source_per_s = *a.new_sessions_per_source_per_s;
  }
  if (a.new_sessions_per_source_burst) {
    l.new_sessions_per_source_burst = *a.new_sessions_per_source_burst;
  }
  if (a.unverified_per_source_max) l.unverified_per_source_max = *a.unverified_per_source_max;
  if (a.unverified_max) l.unverified_max = *a.unverified_max;
  if (a.errors_per_source_per_s) l.errors_per_source_per_s = *a.errors_per_source_per_s;
  if (a.session_idle_max_ms) l.session_idle_max = std::chrono::milliseconds(*a.session_idle_max_ms);
  if (a.progress_min_bytes_per_s) l.progress_min_bytes_per_s = *a.progress_min_bytes_per_s;
  if (a.progress_window_ms) l.progress_window = std::chrono::milliseconds(*a.progress_window_ms);
  if (a.descriptors_reserved) l.descriptors_reserved = *a.descriptors_reserved;
  if (a.allow_privileged_source_ports) c->drop_privileged_source_ports = false;
  if (a.answer_broadcast_requests) c->ignore_broadcast_requests = false;
  if (a.limit_loopback) l.per_source_exempt_loopback = false;
}

}  // namespace stampede::cli

// The abuse-limit flags of `stampede serve` (docs/security.md, docs/server.md "Limits"): what the
// command line said about them and how it is laid over the config file. Kept apart from
// serve_args.cc so the limits have one home.
#pragma once

#include <cstdint>
#include <optional>

#include <CLI/CLI.hpp>

#include "server/server_config.h"

namespace stampede::cli {

struct LimitArgs {
  std::optional<std::uint32_t> sessions_per_client_max;
  std::optional<std::uint32_t> new_sessions_per_source_per_s;
  std::optional<std::uint32_t> new_sessions_per_source_burst;
  std::optional<std::uint32_t> unverified_per_source_max;
  std::optional<std::uint32_t> unverified_max;
  std::optional<std::uint32_t> errors_per_source_per_s;
  std::optional<std::uint32_t> session_idle_max_ms;
  std::optional<std::uint32_t> progress_min_bytes_per_s;
  std::optional<std::uint32_t> progress_window_ms;
  std::optional<std::uint32_t> descriptors_reserved;
  bool allow_privileged_source_ports = false;
  bool answer_broadcast_requests = false;
  bool limit_loopback = false;
};

void AddLimitFlags(CLI::App& app, LimitArgs* args);
// Lays the given flags over `config` (after the config file).
void ApplyLimitFlags(const LimitArgs& args, server::ServerConfig* config);

}  // namespace stampede::cli

// The command line of `stampede serve`: its flags (our long options plus the tftpd-hpa short and
// long spellings, so an in.tftpd command line works unchanged) and how they are layered onto a
// ServerConfig over the defaults and the config file. Flag reference: docs/server.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include "cli/serve_limit_args.h"
#include "server/server_config.h"

namespace stampede::cli {

// What the command line said. Unset optionals and false flags leave the setting to the config file
// or the default. Kept for the process lifetime: a SIGHUP reload re-applies it over the re-read
// file.
struct ServeArgs {
  std::vector<std::string> directories;  // positional DIR (tftpd-hpa style); at most one
  std::optional<std::string> root;
  std::vector<std::string> listen;  // --listen / -a / --address; "" from a bare tftpd-hpa --listen
  std::optional<std::string> config_file;
  bool check_config = false;

  bool create = false;
  bool upload = false;
  bool no_overwrite = false;
  std::optional<std::string> upload_size_max;
  std::optional<std::string> umask;  // octal

  std::optional<std::string> port_range;
  bool single_port = false;
  bool ipv4 = false;
  bool ipv6 = false;

  std::optional<std::uint32_t> blksize_max;
  std::optional<std::uint32_t> windowsize_max;
  std::optional<std::string> timeout;            // initial retransmission timeout, with unit
  std::optional<std::uint64_t> retransmit_us;    // tftpd-hpa -T: the same, in microseconds
  std::optional<std::uint32_t> inetd_timeout_s;  // tftpd-hpa -t: ignored (always standalone)
  std::optional<std::uint32_t> retries;
  bool honour_timeout_option = false;
  bool no_tsize = false;
  bool no_blksize = false;
  bool no_windowsize = false;
  bool no_rollover = false;
  std::vector<std::string> refuse;  // tftpd-hpa -r OPTION

  std::optional<std::uint32_t> sessions_max;
  std::optional<std::uint32_t> admission_queue_max;
  std::optional<std::string> rate;       // --rate BITS (base/units.h)
  std::optional<std::string> scheduler;  // --scheduler on|off
  std::optional<std::string> busy_poll;  // --busy-poll DURATION
  std::optional<std::string> user;
  bool seccomp = false;
  std::optional<std::string> remap;
  bool secure = false;
  bool permissive = false;
  bool windows_compat = false;
  bool fold_case = false;

  std::size_t verbose_count = 0;
  std::optional<int> verbosity;
  bool foreground = false;  // tftpd-hpa -l/-L: accepted; Stampede is always standalone, foreground

  LimitArgs limits;  // serve_limit_args.h
};

// Declares every flag of `stampede serve` on `app`, storing into `*args`.
void AddServeFlags(CLI::App& app, ServeArgs* args);

// Checks what CLI11 cannot (one root, not both -4 and -6, well-formed ranges and sizes). Errors are
// usage errors: the message names the flag.
tl::expected<void, std::string> ValidateServeArgs(const ServeArgs& args);

// defaults < config file (--config) < command line, then FinalizeConfig. Errors name their source:
// the config file position, or the flag.
tl::expected<server::ServerConfig, std::string> BuildServerConfig(const ServeArgs& args);

}  // namespace stampede::cli

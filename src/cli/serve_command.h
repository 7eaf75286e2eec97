// `stampede serve`: the TFTP server daemon's command-line face. Parses flags (serve_args.h),
// layers them over the config file, checks the result, and runs the server in the foreground
// (serve_run.h) with systemd integration and privilege dropping. Must not hold protocol logic.
#pragma once

#include <CLI/CLI.hpp>

namespace stampede::cli {

// Adds the `serve` subcommand. Its arguments are parsed by the subcommand itself so that usage
// errors exit with status 2 (tftpd-hpa and getopt convention) and configuration errors with 1.
void RegisterServeCommand(CLI::App& app);

// Exit statuses of `stampede serve` (docs/server.md "EXIT STATUS").
inline constexpr int kServeExitOk = 0;
inline constexpr int kServeExitFailure = 1;  // invalid configuration, bind failure, fatal error
inline constexpr int kServeExitUsage = 2;    // unknown flag, malformed or out-of-range flag value

}  // namespace stampede::cli

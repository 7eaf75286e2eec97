// The foreground run of `stampede serve`: binds (or adopts systemd's sockets), drops privileges,
// tells systemd it is ready, and serves until SIGTERM/SIGINT; SIGHUP re-reads the configuration.
#pragma once

#include "cli/serve_args.h"
#include "server/server_config.h"

namespace stampede::cli {

// Runs the server with the already checked `config`; `args` is kept to rebuild the configuration
// on SIGHUP (config file re-read, command line re-applied). Returns the exit status
// (serve_command.h).
int RunServer(const ServeArgs& args, const server::ServerConfig& config);

}  // namespace stampede::cli

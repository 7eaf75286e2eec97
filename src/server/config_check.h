// Whole-configuration checks that need the environment or more than one key: the root is a
// directory, the remap file parses, listen addresses parse and fit the address families, timers
// are ordered, the user exists. Used before start-up, on SIGHUP reloads and by `--check-config`.
// Must not bind sockets or change the process.
#pragma once

#include <string>
#include <vector>

#include "server/server_config.h"

namespace stampede::server {

// The default listen address follows the address families: "[::]:69" with IPv6, "0.0.0.0:69"
// with --ipv4. Call once after defaults, file and command line have been layered.
void FinalizeConfig(ServerConfig* config);

// Every problem found, one message each (empty: the configuration can be served).
std::vector<std::string> CheckConfig(const ServerConfig& config);

}  // namespace stampede::server

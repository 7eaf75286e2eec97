// Runs the transfers of one `get` or `put` command: start, loop with progress and interrupt
// handling, then per-transfer reports and the command's exit code. Shared by both commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/client_common.h"
#include "client/client_transfer.h"

namespace stampede::cli {

struct PlannedTransfer {
  std::string label;  // how messages name it: the URL or HOST:PATH
  std::unique_ptr<client::ClientTransfer> transfer;
};

// Runs `planned` to the end and returns the exit code: 0, or the code of the first failed
// transfer in command-line order. `command` prefixes messages ("stampede get"). The caller installs
// `interrupts` before creating any temporary file, so no signal can strand one.
int RunPlanned(std::vector<PlannedTransfer>& planned, const ClientArgs& args,
               const std::string& command, const InterruptGuard& interrupts);

}  // namespace stampede::cli

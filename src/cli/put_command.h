// `stampede put`: upload one local file. Usage, options and exit codes: docs/client.md and
// `stampede put --help`.
#pragma once

#include <CLI/CLI.hpp>

namespace stampede::cli {

// Adds the `put` subcommand; it runs from its callback and exits with the documented codes.
void RegisterPutCommand(CLI::App& app);

}  // namespace stampede::cli

// `stampede get`: download one or more files, concurrently, with no partial files left behind.
// Usage, options and exit codes: docs/client.md and `stampede get --help`.
#pragma once

#include <CLI/CLI.hpp>

namespace stampede::cli {

// Adds the `get` subcommand; it runs from its callback and exits with the documented codes.
void RegisterGetCommand(CLI::App& app);

}  // namespace stampede::cli

// `stampede sim`: the command-line face of the deterministic boot-storm simulator (sim/). Parses
// and validates the scenario, runs it, measures the CPU time it took, and prints a human report or
// one JSON object. Must not contain simulation logic.
#pragma once

#include <CLI/CLI.hpp>

namespace stampede::cli {

// Adds the `sim` subcommand to `app`; it runs from its CLI11 callback during app.parse(). A bad
// argument raises a CLI11 validation error (message, non-zero exit); a run that broke an invariant
// or left something unfinished prints the replay command and exits with status 1.
void RegisterSimCommand(CLI::App& app);

}  // namespace stampede::cli

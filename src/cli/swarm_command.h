// `stampede swarm`: the boot-storm load generator's command line. Parses the server, files and
// options, maps the reference copies, raises the open-file limit, runs swarm::Swarm on an
// io::EventLoop and prints the human summary or one JSON object (and optionally one CSV row per
// client). Must not contain load-generation logic (src/swarm/). See docs/swarm.md.
#pragma once

#include <CLI/CLI.hpp>

namespace stampede::cli {

// Adds the `swarm` subcommand. Exit codes: 0 every client completed and verified; 1 at least one
// failed (or was cut off by --duration); 2 usage; 3 setup failed (a reference file, the open-file
// limit, the event loop); 128+N interrupted by signal N.
void RegisterSwarmCommand(CLI::App& app);

}  // namespace stampede::cli

// Entry point of the `stampede` binary: one program, one subcommand per job.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/get_command.h"
#include "cli/put_command.h"
#include "cli/serve_command.h"
#include "cli/sim_command.h"
#include "cli/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Stampede: a TFTP server, client and boot-storm load tool", "stampede"};
  app.set_version_flag("-V,--version", std::string("stampede ") + stampede::cli::kVersion);
  app.require_subcommand(0, 1);
  stampede::cli::RegisterSimCommand(app);
  stampede::cli::RegisterGetCommand(app);
  stampede::cli::RegisterPutCommand(app);
  stampede::cli::RegisterServeCommand(app);
  CLI11_PARSE(app, argc, argv);
  if (app.get_subcommands().empty()) {
    fmt::print("{}", app.help());
    return 0;
  }
  return 0;
}

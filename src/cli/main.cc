// Entry point of the `stampede` binary: one program, one subcommand per job. Exit codes shared by
// every subcommand: 0 success, 2 usage error (bad flags or arguments); each subcommand documents
// its other codes (docs/client.md, docs/server.md, docs/simulator.md).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/get_command.h"
#include "cli/put_command.h"
#include "cli/serve_command.h"
#include "cli/sim_command.h"
#include "cli/swarm_command.h"
#include "cli/version.h"

namespace {

constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Stampede: a TFTP server, client and boot-storm load tool", "stampede"};
  app.set_version_flag("-V,--version", std::string("stampede ") + stampede::cli::kVersion);
  app.require_subcommand(0, 1);
  stampede::cli::RegisterSimCommand(app);
  stampede::cli::RegisterGetCommand(app);
  stampede::cli::RegisterPutCommand(app);
  stampede::cli::RegisterServeCommand(app);
  stampede::cli::RegisterSwarmCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {  // a subcommand finished with its own exit code
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the hint to use --help
    return kExitUsage;
  }
  if (app.get_subcommands().empty()) {
    fmt::print(stderr, "{}", app.help());
    return kExitUsage;
  }
  return 0;
}

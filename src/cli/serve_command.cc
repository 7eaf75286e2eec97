// `stampede serve` (serve_command.h): nested argument parsing, configuration checks,
// `--check-config`, then the foreground run.
#include "cli/serve_command.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/serve_args.h"
#include "cli/serve_run.h"
#include "server/config_check.h"
#include "server/config_file.h"

namespace stampede::cli {
namespace {

constexpr const char* kDescription =
    "Serve a directory over TFTP in the foreground (a drop-in for tftpd-hpa: its flags are "
    "accepted too). Precedence: defaults < --config file < command line. See docs/server.md.";

int UsageError(const std::string& message) {
  fmt::print(stderr, "stampede serve: {}\nRun 'stampede serve --help' for usage.\n", message);
  return kServeExitUsage;
}

int RunServeCommand(std::vector<std::string> arguments) {
  ServeArgs args;
  CLI::App parser{kDescription, "stampede serve"};
  AddServeFlags(parser, &args);
  std::reverse(arguments.begin(), arguments.end());
  try {
    parser.parse(arguments);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", parser.help());
    return kServeExitOk;
  } catch (const CLI::ParseError& error) {
    return UsageError(error.what());
  }
  if (auto valid = ValidateServeArgs(args); !valid) return UsageError(valid.error());
  auto config = BuildServerConfig(args);
  if (!config) {
    fmt::print(stderr, "stampede serve: {}\n", config.error());
    return kServeExitFailure;
  }
  const auto problems = server::CheckConfig(*config);
  for (const auto& problem : problems) fmt::print(stderr, "stampede serve: {}\n", problem);
  if (!problems.empty()) return kServeExitFailure;
  if (args.check_config) {
    fmt::print("# stampede serve: effective configuration (valid)\n{}",
               server::FormatConfig(*config));
    return kServeExitOk;
  }
  return RunServer(args, *config);
}

}  // namespace

void RegisterServeCommand(CLI::App& app) {
  CLI::App* serve = app.add_subcommand("serve", kDescription);
  serve->set_help_flag();
  serve->prefix_command();
  serve->callback([serve] {
    const int status = RunServeCommand(serve->remaining());
    if (status != kServeExitOk) throw CLI::RuntimeError(status);
  });
}

}  // namespace stampede::cli

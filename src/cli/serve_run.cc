// The foreground run of `stampede serve` (serve_run.h).
#include "cli/serve_run.h"

#include <fmt/core.h>

#include "cli/serve_command.h"

namespace stampede::cli {

int RunServer(const ServeArgs&, const server::ServerConfig&) {
  fmt::print(stderr, "stampede serve: the server engine is not built yet\n");
  return kServeExitFailure;
}

}  // namespace stampede::cli

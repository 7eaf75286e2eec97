// RunPlanned (client_run.h).
#include "cli/client_run.h"

#include <cstdio>

#include <fmt/core.h>
#include <unistd.h>

#include "cli/progress_bar.h"
#include "client/client_loop.h"
#include "io/clock.h"

namespace stampede::cli {

int RunPlanned(std::vector<PlannedTransfer>& planned, const ClientArgs& args,
               const std::string& command, const InterruptGuard& interrupts) {
  PacketTracer tracer;
  std::vector<client::ClientTransfer*> transfers;
  const Instant start = io::Now();
  for (auto& p : planned) {
    if (args.verbose) p.transfer->set_observer(&tracer);
    if (auto started = p.transfer->Start(io::Now()); !started) {
      fmt::print(stderr, "{}: {}: {}\n", command, p.label, started.error().ToString());
    }
    transfers.push_back(p.transfer.get());
  }
  const bool terminal = isatty(STDERR_FILENO) == 1;
  ProgressBar bar(
      transfers,
      planned.size() == 1 ? planned.front().label : fmt::format("{} files", planned.size()),
      terminal && !args.quiet && !args.verbose, start);
  client::LoopOptions loop;
  loop.stop = interrupts.flag();
  loop.ticker = &bar;
  loop.busy_poll = BusyPollOf(args);
  client::RunTransfers(transfers, loop);
  bar.Clear();

  int exit_code = kExitOk;
  for (auto& p : planned) {
    const auto result = p.transfer->result();
    if (result.retried_without_options && !args.quiet) {
      fmt::print(stderr, "{}: {}: the server refused our options; retried without them\n", command,
                 p.label);
    }
    if (result.outcome != client::Outcome::kOk) {
      fmt::print(stderr, "{}: {}: {}\n", command, p.label, DescribeFailure(result));
      if (exit_code == kExitOk) exit_code = ExitCodeFor(result.outcome);
      continue;
    }
    if (!args.quiet && (terminal || args.verbose)) {
      const double elapsed_s = ToSeconds(result.duration.value_or(io::Now() - start));
      const auto bytes = static_cast<double>(result.stats.bytes_transferred);
      fmt::print(stderr, "{}: {} in {:.2f} s ({}/s), blksize {}, windowsize {}{}\n", p.label,
                 FormatBytes(bytes), elapsed_s, FormatBytes(elapsed_s > 0 ? bytes / elapsed_s : 0),
                 result.options.blksize, result.options.windowsize,
                 result.stats.timeouts > 0 ? fmt::format(", {} timeouts", result.stats.timeouts)
                                           : std::string());
    }
  }
  return exit_code;
}

}  // namespace stampede::cli

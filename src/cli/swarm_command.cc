// `stampede swarm` (swarm_command.h).
#include "cli/swarm_command.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <signal.h>
#include <time.h>

#include "base/units.h"
#include "cli/client_common.h"
#include "cli/url_target.h"
#include "io/event_loop.h"
#include "swarm/fd_limit.h"
#include "swarm/reference_file.h"
#include "swarm/swarm.h"
#include "swarm/swarm_report.h"

namespace stampede::cli {
namespace {

constexpr const char* kCommand = "stampede swarm";
constexpr int kExitFailed = 1;
constexpr int kExitSetup = 3;
// Descriptors beside the client sockets: stdio, epoll, eventfd, signalfd, reference files.
constexpr std::uint64_t kSpareFds = 64;

constexpr const char* kFooter = R"(
Every client fetches every PATH in order from HOST (one socket per transfer, all clients in one
event loop). Each received byte is compared with the reference copy DIR/PATH given by
--verify-dir (a difference fails that client); --no-verify only counts bytes.

Exit codes: 0 every client completed (and verified); 1 some client failed or was cut off by
  --duration; 2 usage; 3 setup (reference file, open-file limit); 128+N on signal N.

Examples:
  stampede swarm --clients 200 --windowsize 16 --verify-dir /srv/tftp 10.0.0.5 vmlinuz initrd.img
  stampede swarm --clients 2000 --spread 1s --json --verify-dir demo 127.0.0.1:6969 pxelinux.0
)";

struct SwarmArgs {
  std::vector<std::string> positionals;
  std::uint32_t clients = 10;
  std::string spread = "0s";
  std::string duration = "600s";
  std::string read_delay = "0s";
  std::uint32_t blksize = 0;
  std::uint32_t windowsize = 0;
  std::uint32_t retries = 6;
  std::uint32_t port = 69;
  bool no_tsize = false;
  std::string verify_dir;
  bool no_verify = false;
  std::string clients_csv;
  bool json = false;
};

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// SIGINT/SIGTERM arrive through the loop's signalfd and abort every unfinished transfer.
class Interrupter final : public io::SignalHandler {
 public:
  explicit Interrupter(swarm::Swarm& swarm) : swarm_(&swarm) {}
  void OnSignal(int signal_number, Instant now) override {
    static_cast<void>(now);
    signal_ = signal_number;
    swarm_->Interrupt(signal_number == SIGINT ? "interrupted (SIGINT)" : "interrupted (SIGTERM)");
  }
  int signal() const { return signal_; }

 private:
  swarm::Swarm* swarm_;
  int signal_ = 0;
};

tl::expected<Duration, std::string> ParseDurationFlag(const std::string& text, const char* flag,
                                                      bool allow_zero) {
  auto d = base::ParseDuration(text);
  if (!d) return tl::unexpected(fmt::format("{}: {}", flag, d.error()));
  if (d->count() < 0 || (!allow_zero && d->count() == 0)) {
    return tl::unexpected(fmt::format("{}: must be {}", flag, allow_zero ? ">= 0" : "> 0"));
  }
  return *d;
}

// Everything a run needs that can fail as a usage error.
struct Plan {
  swarm::SwarmConfig config;
  swarm::RunDescription description;
  std::vector<std::string> paths;
};

tl::expected<Plan, std::string> MakePlan(const SwarmArgs& a) {
  if (a.positionals.size() < 2) return tl::unexpected(std::string("expected HOST[:PORT] PATH..."));
  if (a.verify_dir.empty() == !a.no_verify) {
    return tl::unexpected(std::string("give exactly one of --verify-dir DIR and --no-verify"));
  }
  auto host = ParseHostPort(a.positionals.front());
  if (!host) return tl::unexpected(host.error());
  auto server =
      ResolveHost(host->host, host->port.value_or(static_cast<std::uint16_t>(a.port)), AF_UNSPEC);
  if (!server) return tl::unexpected(server.error());
  Plan plan;
  auto& c = plan.config;
  c.client.server = *server;
  if (a.blksize != 0) c.client.blksize = static_cast<std::uint16_t>(a.blksize);
  if (a.windowsize != 0) c.client.windowsize = static_cast<std::uint16_t>(a.windowsize);
  c.client.tsize = !a.no_tsize;
  c.client.retransmit.retries_max = a.retries;
  c.clients = a.clients;
  auto spread = ParseDurationFlag(a.spread, "--spread", true);
  auto duration = ParseDurationFlag(a.duration, "--duration", false);
  auto read_delay = ParseDurationFlag(a.read_delay, "--read-delay", true);
  if (!spread) return tl::unexpected(spread.error());
  if (!duration) return tl::unexpected(duration.error());
  if (!read_delay) return tl::unexpected(read_delay.error());
  c.spread = *spread;
  c.duration = *duration;
  c.read_delay = *read_delay;
  for (std::size_t i = 1; i < a.positionals.size(); ++i) {
    if (a.positionals[i].empty()) return tl::unexpected(std::string("an empty PATH"));
    plan.paths.push_back(a.positionals[i]);
  }
  auto& d = plan.description;
  d.server = server->ToString();
  d.files = plan.paths;
  d.clients = a.clients;
  d.spread_s = ToSeconds(c.spread);
  if (a.blksize != 0) d.blksize = a.blksize;
  if (a.windowsize != 0) d.windowsize = a.windowsize;
  return plan;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

int RunSwarm(const std::vector<std::string>& argv) {
  CLI::App app{"Boot-storm load generator: many TFTP clients in one process", kCommand};
  app.footer(kFooter);
  SwarmArgs a;
  app.add_option("target", a.positionals, "HOST[:PORT] then one or more remote paths")->required();
  app.add_option("-n,--clients", a.clients, "Concurrent clients")->check(CLI::Range(1, 100000));
  app.add_option("--spread", a.spread, "Start the clients evenly over this time (0s: together)");
  app.add_option("--duration", a.duration, "Bound on the whole run; then unfinished ones fail");
  app.add_option("--read-delay", a.read_delay,
                 "Slow clients: read each socket this long after it became readable");
  app.add_option("-b,--blksize", a.blksize, "Request this blksize (default 1468, IPv6 1448)")
      ->check(CLI::Range(8, 65464));
  app.add_option("-w,--windowsize", a.windowsize, "Request this windowsize (default: none, 1)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--retries", a.retries, "Timeouts in a row before a transfer gives up")
      ->check(CLI::Range(1, 100));
  app.add_option("-p,--port", a.port, "Server port when HOST has none")
      ->check(CLI::Range(1, 65535));
  app.add_flag("--no-tsize", a.no_tsize, "Do not ask for tsize");
  app.add_option("--verify-dir", a.verify_dir, "Reference copies: DIR/PATH for each PATH");
  app.add_flag("--no-verify", a.no_verify, "Count bytes only (no reference copies)");
  app.add_option("--clients-csv", a.clients_csv, "Write one CSV row per client to FILE");
  app.add_flag("--json", a.json, "Print one JSON object instead of the summary");
  if (auto code = ParseCommandLine(app, argv)) return *code;

  auto plan = MakePlan(a);
  if (!plan) {
    fmt::print(stderr, "{}: {}\nRun '{} --help' for usage.\n", kCommand, plan.error(), kCommand);
    return kExitUsage;
  }
  std::vector<swarm::ReferenceFile> references;
  references.reserve(plan->paths.size());
  for (const auto& path : plan->paths) {
    swarm::SwarmFile file{path, nullptr};
    if (!a.verify_dir.empty()) {
      auto reference = swarm::ReferenceFile::Open(a.verify_dir + "/" + path);
      if (!reference) {
        fmt::print(stderr, "{}: reference copy: {}\n", kCommand, reference.error());
        return kExitSetup;
      }
      references.push_back(std::move(*reference));
      file.reference = &references.back();
    }
    plan->config.files.push_back(file);
  }
  // A client's previous transfer dallies beside its next one, so several files need two sockets.
  const std::uint64_t per_client = plan->paths.size() > 1 ? 2 : 1;
  if (auto limit = swarm::EnsureFileLimit(a.clients * per_client + kSpareFds); !limit) {
    fmt::print(stderr, "{}: {}\n", kCommand, limit.error());
    return kExitSetup;
  }
  io::EventLoopOptions loop_options;
  loop_options.reserve_timers = static_cast<std::size_t>(a.clients) * 2 * per_client + 8;
  auto loop = io::EventLoop::Create(loop_options);
  if (!loop) {
    fmt::print(stderr, "{}: {}\n", kCommand, loop.error().ToString());
    return kExitSetup;
  }
  swarm::Swarm swarm(**loop, plan->config);
  Interrupter interrupter(swarm);
  constexpr std::array<int, 2> kSignals{SIGINT, SIGTERM};
  if (auto watched = (*loop)->WatchSignals(kSignals, &interrupter); !watched) {
    fmt::print(stderr, "{}: {}\n", kCommand, watched.error().ToString());
    return kExitSetup;
  }
  const double cpu_start = CpuSeconds();
  if (auto ran = swarm.Run(); !ran) {
    fmt::print(stderr, "{}: event loop: {}\n", kCommand, ran.error().ToString());
    return kExitSetup;
  }
  plan->description.cpu_s = CpuSeconds() - cpu_start;
  const auto report = swarm::Summarize(swarm.records(), swarm.peak_active());
  fmt::print("{}", a.json ? swarm::FormatJson(report, plan->description)
                          : swarm::FormatHuman(report, plan->description));
  std::fflush(stdout);
  if (!a.clients_csv.empty() &&
      !WriteFile(a.clients_csv, swarm::FormatClientCsv(swarm.records()))) {
    fmt::print(stderr, "{}: cannot write {}\n", kCommand, a.clients_csv);
    return kExitSetup;
  }
  if (interrupter.signal() != 0) return 128 + interrupter.signal();
  return report.failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterSwarmCommand(CLI::App& app) {
  RegisterRawCommand(app, "swarm",
                     "Boot-storm load generator: N clients in one process (see 'stampede swarm "
                     "--help')",
                     &RunSwarm);
}

}  // namespace stampede::cli

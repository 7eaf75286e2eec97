// `stampede sim` (sim_command.h): argument parsing with unit suffixes, the run, CPU-time
// measurement (the simulator itself never reads a clock), and the two output formats.
#include "cli/sim_command.h"

#include <time.h>

#include <cstdint>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "base/units.h"
#include "sim/simulation.h"

namespace stampede::cli {
namespace {

struct SimArgs {
  std::uint32_t clients = 10;
  std::string size = "1MiB";
  std::uint32_t blksize = 1468;
  std::uint32_t windowsize = 1;
  std::string rate = "1Gbit";
  std::string queue = "1MiB";
  std::string delay = "100us";
  std::string loss = "0";
  std::string duplicate = "0";
  std::string reorder = "0";
  std::string reorder_delay = "1ms";
  std::string jitter = "0";
  std::string uplink_rate = "0";
  std::string uplink_queue = "0";
  std::string uplink_delay;
  std::string start_window = "0";
  std::string time_limit = "600s";
  std::uint64_t max_events = 0;
  std::uint64_t seed = 1;
  std::int64_t trace_client = -1;
  std::uint64_t corrupt_every = 0;
  bool fixed_window = false;
  std::string scheduler = "on";
  std::string server_rate = "0";
  std::uint32_t max_active = 0;
  bool json = false;
};

template <typename T>
T Require(const tl::expected<T, std::string>& value, const char* option) {
  if (!value) throw CLI::ValidationError(option, value.error());
  return *value;
}

sim::SimConfig ToConfig(const SimArgs& a) {
  sim::SimConfig c;
  c.clients = a.clients;
  c.size_bytes = Require(base::ParseBytes(a.size), "--size");
  c.blksize = static_cast<std::uint16_t>(a.blksize);
  c.windowsize = static_cast<std::uint16_t>(a.windowsize);
  c.rate_bps = Require(base::ParseBitRate(a.rate), "--rate");
  c.queue_bytes = Require(base::ParseBytes(a.queue), "--queue");
  c.delay = Require(base::ParseDuration(a.delay), "--delay");
  c.loss = Require(base::ParseFraction(a.loss), "--loss");
  c.duplicate = Require(base::ParseFraction(a.duplicate), "--dup");
  c.reorder = Require(base::ParseFraction(a.reorder), "--reorder");
  c.reorder_delay = Require(base::ParseDuration(a.reorder_delay), "--reorder-delay");
  c.jitter = Require(base::ParseDuration(a.jitter), "--jitter");
  c.uplink_rate_bps = Require(base::ParseBitRate(a.uplink_rate), "--uplink-rate");
  c.uplink_queue_bytes = Require(base::ParseBytes(a.uplink_queue), "--uplink-queue");
  if (!a.uplink_delay.empty()) {
    c.uplink_delay = Require(base::ParseDuration(a.uplink_delay), "--uplink-delay");
  }
  c.start_window = Require(base::ParseDuration(a.start_window), "--start-window");
  c.time_limit = Require(base::ParseDuration(a.time_limit), "--time-limit");
  c.max_events = a.max_events;
  c.seed = a.seed;
  c.adaptive_window = !a.fixed_window;
  c.scheduler = a.scheduler == "on";
  c.server_rate_bps = Require(base::ParseBitRate(a.server_rate), "--server-rate");
  c.max_active = a.max_active;
  c.trace_client = a.trace_client;
  c.corrupt_every_nth_data = a.corrupt_every;
  if (c.trace_client >= static_cast<std::int64_t>(c.clients)) {
    throw CLI::ValidationError("--trace-client", "no such client");
  }
  if (c.loss >= 1.0) throw CLI::ValidationError("--loss", "a loss of 100% can never finish");
  if (c.time_limit.count() <= 0) throw CLI::ValidationError("--time-limit", "must be positive");
  return c;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

void PrintJson(const sim::SimConfig& c, const sim::SimReport& r, double cpu_s) {
  fmt::print(
      "{{\"clients\": {}, \"completed\": {}, \"failed\": {}, \"unfinished\": {}, "
      "\"makespan_s\": {:.6f}, \"ideal_s\": {:.6f}, \"p50_s\": {:.6f}, \"p99_s\": {:.6f}, "
      "\"max_s\": {:.6f}, \"jain\": {:.6f}, \"packets_sent\": {}, \"packets_min\": {}, "
      "\"retransmits\": {}, \"data_sent\": {}, \"data_min\": {}, \"timeouts\": {}, "
      "\"queue_drops\": {}, \"virtual_s\": {:.6f}, \"cpu_s\": {:.3f}, \"events\": {}, "
      "\"seed\": {}, \"trace_hash\": \"{:016x}\", \"ok\": {}, \"scheduler_rate_bps\": {}, "
      "\"scheduler_congested_rounds\": {}, \"scheduler_rounds\": {}, "
      "\"admission_queue_peak\": {}, \"replay\": \"{}\"}}\n",
      r.clients, r.completed, r.failed, r.unfinished, ToSeconds(r.makespan),
      ToSeconds(r.ideal), ToSeconds(r.p50), ToSeconds(r.p99),
      ToSeconds(r.max), r.jain, r.packets_sent, r.packets_min, r.retransmits,
      r.data_sent, r.data_min, r.timeouts, r.downlink.queue_drops,
      ToSeconds(r.virtual_time), cpu_s, r.events, r.seed, r.trace_hash,
      r.ok() ? "true" : "false", r.scheduler_rate_bps, r.scheduler_congested_rounds,
      r.scheduler_rounds, r.admission_queue_peak, sim::ReplayCommand(c));
}

void PrintHuman(const sim::SimConfig& c, const sim::SimReport& r, double cpu_s) {
  const double makespan = ToSeconds(r.makespan);
  const double ideal = ToSeconds(r.ideal);
  fmt::print("stampede sim: {} clients x {} bytes, blksize {}, windowsize {}, {} bit/s, queue {} "
             "bytes, delay {}, loss {}, seed {}\n",
             c.clients, c.size_bytes, c.blksize, c.windowsize, c.rate_bps, c.queue_bytes,
             base::FormatDuration(c.delay), c.loss, c.seed);
  fmt::print("  clients     completed {}, failed {}, unfinished {}\n", r.completed, r.failed,
             r.unfinished);
  fmt::print("  makespan    {:.4f} s (ideal {:.4f} s = payload / bottleneck rate; x{:.3f})\n",
             makespan, ideal, Ratio(makespan, ideal));
  fmt::print("  per client  p50 {:.4f} s, p99 {:.4f} s, max {:.4f} s (client {}); Jain fairness "
             "{:.4f}\n",
             ToSeconds(r.p50), ToSeconds(r.p99), ToSeconds(r.max), r.slowest_client, r.jain);
  fmt::print("  packets     sent {} (minimum {}, x{:.3f}); DATA {} (minimum {}), retransmitted "
             "{}, timeouts {}, window restarts {}\n",
             r.packets_sent, r.packets_min,
             Ratio(static_cast<double>(r.packets_sent), static_cast<double>(r.packets_min)),
             r.data_sent, r.data_min, r.retransmits, r.timeouts, r.window_restarts);
  fmt::print("  bottleneck  queue drops {}, losses {}, duplicates {}, reordered {}, peak backlog "
             "{} bytes\n",
             r.downlink.queue_drops, r.downlink.losses, r.downlink.duplicates,
             r.downlink.reordered, r.downlink.backlog_max_bytes);
  if (c.scheduler) {
    fmt::print("  scheduler   rate {} bit/s at the end, {} of {} control rounds congested, {:.3f} "
               "DRR turns per datagram; admission queue peak {}\n",
               r.scheduler_rate_bps, r.scheduler_congested_rounds, r.scheduler_rounds,
               r.scheduler_rotations_per_pick, r.admission_queue_peak);
  }
  fmt::print("  run         virtual {:.4f} s, {} events, CPU {:.3f} s, trace {:016x}\n",
             ToSeconds(r.virtual_time), r.events, cpu_s, r.trace_hash);
  for (const auto& note : r.failure_notes) fmt::print("  failed      {}\n", note);
}

void PrintProblems(const sim::SimConfig& c, const sim::SimReport& r) {
  for (const auto& v : r.violations) fmt::print(stderr, "stampede sim: INVARIANT: {}\n", v);
  if (r.violation_count > r.violations.size()) {
    fmt::print(stderr, "stampede sim: ... {} invariant violations in all\n", r.violation_count);
  }
  for (const auto& u : r.unfinished_notes) fmt::print(stderr, "stampede sim: UNFINISHED: {}\n", u);
  if (r.stopped_by_event_limit) fmt::print(stderr, "stampede sim: stopped by the event limit\n");
  if (r.stopped_by_time_limit) fmt::print(stderr, "stampede sim: stopped by the time limit\n");
  fmt::print(stderr, "stampede sim: FAILED (seed {}); replay with:\n  {}\n", r.seed,
             sim::ReplayCommand(c));
}

void Run(const SimArgs& args) {
  const sim::SimConfig config = ToConfig(args);
  const double cpu_start = CpuSeconds();
  const sim::SimReport report = sim::RunSimulation(config);
  const double cpu_s = CpuSeconds() - cpu_start;
  for (const auto& line : report.trace) fmt::print(stderr, "{}\n", line);
  if (args.json) {
    PrintJson(config, report, cpu_s);
  } else {
    PrintHuman(config, report, cpu_s);
  }
  if (!report.ok()) {
    PrintProblems(config, report);
    throw CLI::RuntimeError(1);
  }
}

}  // namespace

void RegisterSimCommand(CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sub = app.add_subcommand(
      "sim", "Simulate a boot storm: N clients fetch one file over a shared bottleneck link");
  sub->add_option("--clients", args->clients, "Number of clients")
      ->check(CLI::Range(1u, 1'000'000u));
  sub->add_option("--size", args->size, "File size: bytes, or 10MiB, 1MB, ...");
  sub->add_option("--blksize", args->blksize, "Requested blksize (RFC 2348)")
      ->check(CLI::Range(8u, 65464u));
  sub->add_option("--windowsize", args->windowsize, "Requested windowsize (RFC 7440)")
      ->check(CLI::Range(1u, 65535u));
  sub->add_option("--rate", args->rate, "Bottleneck rate: bits/s, or 1Gbit, 900M, 100Mbps");
  sub->add_option("--queue", args->queue, "Bottleneck drop-tail queue: bytes, or 1MiB");
  sub->add_option("--delay", args->delay, "One-way delay: seconds, or 5ms, 250us");
  sub->add_option("--loss", args->loss, "Loss probability, both ways: 0.01 or 1%");
  sub->add_option("--dup", args->duplicate, "Duplication probability, both ways");
  sub->add_option("--reorder", args->reorder, "Reordering probability, both ways");
  sub->add_option("--reorder-delay", args->reorder_delay,
                  "Largest hold-back of a reordered packet");
  sub->add_option("--jitter", args->jitter, "Delay noise, both ways, keeping packet order");
  sub->add_option("--uplink-rate", args->uplink_rate, "Client-to-server rate (0: unlimited)");
  sub->add_option("--uplink-queue", args->uplink_queue, "Client-to-server queue (0: unlimited)");
  sub->add_option("--uplink-delay", args->uplink_delay, "Client-to-server delay (default --delay)");
  sub->add_option("--start-window", args->start_window, "Clients start uniformly within this");
  sub->add_option("--time-limit", args->time_limit, "Virtual time after which the run stops");
  sub->add_option("--max-events", args->max_events, "Event budget (0: derived from the size)");
  sub->add_option("--seed", args->seed, "Seed of every random choice");
  sub->add_option("--trace-client", args->trace_client, "Print one client's packets to stderr");
  sub->add_option("--corrupt-every", args->corrupt_every,
                  "Self-test: flip a byte in every n-th DATA (the run must fail)");
  sub->add_flag("--fixed-window", args->fixed_window, "Disable the adaptive window");
  sub->add_option("--scheduler", args->scheduler,
                  "Server-wide transmit scheduler (fair share, aggregate pacing): on or off")
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--server-rate", args->server_rate,
                  "The scheduler's operator cap (server --rate): bits/s, or 500Mbit (0: none)");
  sub->add_option("--max-active", args->max_active,
                  "Active sessions at most; later requests wait in order (0: no limit)");
  sub->add_flag("--json", args->json, "Print one JSON object");
  sub->callback([args] { Run(*args); });
}

}  // namespace stampede::cli

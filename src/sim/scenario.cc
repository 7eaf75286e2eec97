// Yardsticks and the replay command for a SimConfig (scenario.h).
#include "sim/scenario.h"

#include <fmt/format.h>

#include "base/units.h"

namespace stampede::sim {
namespace {

std::uint64_t BlocksPerClient(const SimConfig& config) {
  return config.size_bytes / config.blksize + 1;
}

}  // namespace

std::uint64_t MinimumDataPackets(const SimConfig& config) {
  return std::uint64_t{config.clients} * BlocksPerClient(config);
}

std::uint64_t MinimumPackets(const SimConfig& config) {
  const std::uint64_t blocks = BlocksPerClient(config);
  const std::uint64_t window = config.windowsize == 0 ? 1 : config.windowsize;
  const std::uint64_t acks = (blocks + window - 1) / window;
  return std::uint64_t{config.clients} * (3 + blocks + acks);
}

Duration IdealMakespan(const SimConfig& config) {
  if (config.rate_bps == 0) return Duration{0};
  const double bits = 8.0 * static_cast<double>(config.size_bytes) * config.clients;
  return FromSeconds(bits / static_cast<double>(config.rate_bps));
}

std::uint64_t EffectiveMaxEvents(const SimConfig& config) {
  if (config.max_events != 0) return config.max_events;
  // Generous: every packet may be retransmitted and duplicated many times over before the time
  // limit should have stopped the run; this bound only catches a simulator or engine livelock.
  return 64 * MinimumPackets(config) + 1'000'000;
}

std::string ReplayCommand(const SimConfig& config) {
  const SimConfig defaults;
  std::string command = fmt::format(
      "stampede sim --clients {} --size {} --blksize {} --windowsize {} --rate {} --queue {} "
      "--delay {} --loss {}",
      config.clients, config.size_bytes, config.blksize, config.windowsize, config.rate_bps,
      config.queue_bytes, base::FormatDuration(config.delay), base::FormatFraction(config.loss));
  if (config.duplicate != defaults.duplicate) {
    command += fmt::format(" --dup {}", base::FormatFraction(config.duplicate));
  }
  if (config.reorder != defaults.reorder) {
    command += fmt::format(" --reorder {}", base::FormatFraction(config.reorder));
  }
  if (config.reorder_delay != defaults.reorder_delay) {
    command += fmt::format(" --reorder-delay {}", base::FormatDuration(config.reorder_delay));
  }
  if (config.jitter != defaults.jitter) {
    command += fmt::format(" --jitter {}", base::FormatDuration(config.jitter));
  }
  if (config.uplink_rate_bps != defaults.uplink_rate_bps) {
    command += fmt::format(" --uplink-rate {}", config.uplink_rate_bps);
  }
  if (config.uplink_queue_bytes != defaults.uplink_queue_bytes) {
    command += fmt::format(" --uplink-queue {}", config.uplink_queue_bytes);
  }
  if (config.uplink_delay.count() >= 0) {
    command += fmt::format(" --uplink-delay {}", base::FormatDuration(config.uplink_delay));
  }
  if (config.start_window != defaults.start_window) {
    command += fmt::format(" --start-window {}", base::FormatDuration(config.start_window));
  }
  if (config.time_limit != defaults.time_limit) {
    command += fmt::format(" --time-limit {}", base::FormatDuration(config.time_limit));
  }
  if (config.max_events != defaults.max_events) {
    command += fmt::format(" --max-events {}", config.max_events);
  }
  if (config.adaptive_window != defaults.adaptive_window) command += " --fixed-window";
  if (config.scheduler != defaults.scheduler) {
    command += fmt::format(" --scheduler {}", config.scheduler ? "on" : "off");
  }
  if (config.server_rate_bps != defaults.server_rate_bps) {
    command += fmt::format(" --server-rate {}", config.server_rate_bps);
  }
  if (config.max_active != defaults.max_active) {
    command += fmt::format(" --max-active {}", config.max_active);
  }
  if (config.corrupt_every_nth_data != 0) {
    command += fmt::format(" --corrupt-every {}", config.corrupt_every_nth_data);
  }
  if (config.trace_client >= 0) command += fmt::format(" --trace-client {}", config.trace_client);
  command += fmt::format(" --seed {}", config.seed);
  return command;
}

}  // namespace stampede::sim

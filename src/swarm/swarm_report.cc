// Swarm statistics and their formats (swarm_report.h).
#include "swarm/swarm_report.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <fmt/core.h>

namespace stampede::swarm {
namespace {

constexpr std::size_t kFailureSamples = 5;

// A JSON string literal: quotes, backslashes and control characters escaped (file names come from
// the command line and may hold anything).
std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(u));
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string JsonOptional(const std::optional<unsigned>& value) {
  return value ? fmt::format("{}", *value) : std::string("null");
}

std::string Joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of the set at or below it.
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const std::size_t index =
      rank < 1 ? 0 : std::min(values.size() - 1, static_cast<std::size_t>(rank) - 1);
  return values[index];
}

double JainIndex(const std::vector<double>& values) {
  double sum = 0;
  double sum_squares = 0;
  for (const double x : values) {
    sum += x;
    sum_squares += x * x;
  }
  if (values.empty() || sum_squares <= 0) return 0;
  return sum * sum / (static_cast<double>(values.size()) * sum_squares);
}

SwarmReport Summarize(const std::vector<ClientRecord>& records, std::uint64_t peak_active) {
  SwarmReport r;
  r.clients = records.size();
  r.peak_active = peak_active;
  std::vector<double> times;
  std::vector<double> throughputs;
  std::uint64_t verified_bytes = 0;
  Duration last_finish{0};
  for (const auto& c : records) {
    r.bytes += c.bytes;
    r.retransmits += c.retransmits;
    r.timeouts += c.timeouts;
    r.packets_sent += c.packets_sent;
    r.packets_received += c.packets_received;
    if (c.completed) {
      ++r.completed;
      times.push_back(ToSeconds(c.finish - c.start));
      last_finish = std::max(last_finish, c.finish);
      verified_bytes += c.bytes;
    } else {
      ++r.failed;  // failed, or cut off by the run's duration, or never started
      if (r.failure_samples.size() < kFailureSamples) {
        r.failure_samples.push_back(c.failure.empty() ? "unfinished" : c.failure);
      }
    }
    if (c.started) {
      const double elapsed = ToSeconds(c.elapsed);
      throughputs.push_back(elapsed > 0 ? static_cast<double>(c.bytes) / elapsed : 0);
    }
  }
  r.makespan_s = ToSeconds(last_finish);
  r.p50_s = Percentile(times, 50);
  r.p99_s = Percentile(times, 99);
  r.max_s = times.empty() ? 0 : *std::max_element(times.begin(), times.end());
  r.jain = JainIndex(throughputs);
  r.goodput_mbps =
      r.makespan_s > 0 ? static_cast<double>(verified_bytes) * 8 / r.makespan_s / 1e6 : 0;
  return r;
}

std::string FormatJson(const SwarmReport& r, const RunDescription& run) {
  std::vector<std::string> files;
  for (const auto& f : run.files) files.push_back(JsonString(f));
  std::vector<std::string> failures;
  for (const auto& f : r.failure_samples) failures.push_back(JsonString(f));
  return fmt::format(
      "{{\"clients\": {}, \"completed\": {}, \"failed\": {}, \"makespan_s\": {:.6f}, "
      "\"p50_s\": {:.6f}, \"p99_s\": {:.6f}, \"max_s\": {:.6f}, \"jain\": {:.6f}, \"bytes\": {}, "
      "\"retransmits\": {}, \"goodput_mbps\": {:.3f}, \"timeouts\": {}, \"packets_sent\": {}, "
      "\"packets_received\": {}, \"peak_active\": {}, \"cpu_s\": {:.3f}, \"server\": {}, "
      "\"files\": [{}], \"spread_s\": {:.6f}, \"blksize\": {}, \"windowsize\": {}, "
      "\"failures\": [{}]}}\n",
      r.clients, r.completed, r.failed, r.makespan_s, r.p50_s, r.p99_s, r.max_s, r.jain, r.bytes,
      r.retransmits, r.goodput_mbps, r.timeouts, r.packets_sent, r.packets_received, r.peak_active,
      run.cpu_s, JsonString(run.server), Joined(files, ", "), run.spread_s,
      JsonOptional(run.blksize), JsonOptional(run.windowsize), Joined(failures, ", "));
}

std::string FormatHuman(const SwarmReport& r, const RunDescription& run) {
  std::string out = fmt::format(
      "stampede swarm: {} clients -> {}, files {}, spread {:.3f} s, blksize {}, windowsize {}\n",
      run.clients, run.server, Joined(run.files, " "), run.spread_s,
      run.blksize ? fmt::format("{}", *run.blksize) : std::string("default"),
      run.windowsize ? fmt::format("{}", *run.windowsize) : std::string("1"));
  out += fmt::format("  clients     completed {}, failed {} (peak {} at once)\n", r.completed,
                     r.failed, r.peak_active);
  out +=
      fmt::format("  makespan    {:.3f} s; per client p50 {:.3f} s, p99 {:.3f} s, max {:.3f} s\n",
                  r.makespan_s, r.p50_s, r.p99_s, r.max_s);
  out += fmt::format("  fairness    Jain {:.4f} over per-client throughput\n", r.jain);
  out += fmt::format("  data        {} bytes verified-or-received, goodput {:.1f} Mbit/s\n",
                     r.bytes, r.goodput_mbps);
  out += fmt::format(
      "  packets     sent {}, received {}; DATA received twice {}, client timeouts {}\n",
      r.packets_sent, r.packets_received, r.retransmits, r.timeouts);
  out += fmt::format("  cpu         {:.3f} s (this process)\n", run.cpu_s);
  for (const auto& f : r.failure_samples) out += fmt::format("  failed      {}\n", f);
  return out;
}

std::string FormatClientCsv(const std::vector<ClientRecord>& records) {
  std::string out = "client,start_s,finish_s,seconds,bytes,completed,failure\n";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& c = records[i];
    std::string failure = c.failure;
    std::replace(failure.begin(), failure.end(), ',', ';');
    std::replace(failure.begin(), failure.end(), '\n', ' ');
    out += fmt::format("{},{:.6f},{:.6f},{:.6f},{},{},{}\n", i, ToSeconds(c.start),
                       c.completed ? ToSeconds(c.finish) : 0.0, ToSeconds(c.elapsed), c.bytes,
                       c.completed ? 1 : 0, failure);
  }
  return out;
}

}  // namespace stampede::swarm

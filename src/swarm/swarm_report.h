// The statistics of one swarm run, computed from per-client records by pure functions: completion
// times and their percentiles, makespan, Jain's fairness index over per-client throughput, bytes,
// retransmissions, goodput; and the three output formats (a human summary, one JSON object, one
// CSV row per client for plots). No I/O, no clock: the engine (swarm.h) fills the records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace stampede::swarm {

// One client of the run: when it started, when its last file's data was through, and what it saw.
struct ClientRecord {
  bool started = false;
  bool completed = false;   // every file delivered and verified
  Duration start{0};        // offset from the run's start
  Duration finish{0};       // offset from the run's start; meaningful when completed
  Duration elapsed{0};      // time spent so far (completed: finish - start)
  std::uint64_t bytes = 0;  // payload bytes received (verified or not)
  std::uint64_t files_done = 0;
  std::uint64_t retransmits = 0;   // DATA that arrived more than once (the server's repeats)
  std::uint64_t timeouts = 0;      // our own timeouts (each one re-ACKs)
  std::uint64_t packets_sent = 0;  // requests, ACKs, errors
  std::uint64_t packets_received = 0;
  std::string failure;  // empty unless failed: "file: why"
};

struct SwarmReport {
  std::uint64_t clients = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  double makespan_s = 0;  // run start to the last completion (0 when none completed)
  double p50_s = 0;       // per-client completion times (finish - start) of completed clients
  double p99_s = 0;
  double max_s = 0;
  double jain = 0;  // over bytes / elapsed of every started client
  std::uint64_t bytes = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  double goodput_mbps = 0;  // verified bytes of completed clients * 8 / makespan, in 10^6 bit/s
  std::uint64_t peak_active = 0;
  std::vector<std::string> failure_samples;  // the first few failures, for the summary
};

// Nearest-rank percentile (p in [0, 100]) of `values`; 0 for an empty set. Sorts a copy.
double Percentile(std::vector<double> values, double p);
// Jain's index (sum x)^2 / (n sum x^2): 1 when all equal, 1/n when one takes everything. 0 for an
// empty set or all zeros.
double JainIndex(const std::vector<double>& values);

SwarmReport Summarize(const std::vector<ClientRecord>& records, std::uint64_t peak_active);

struct RunDescription {
  std::string server;
  std::vector<std::string> files;
  std::uint64_t clients = 0;
  double spread_s = 0;
  std::optional<unsigned> blksize;
  std::optional<unsigned> windowsize;
  double cpu_s = 0;  // process CPU time of the run
};

std::string FormatJson(const SwarmReport& report, const RunDescription& run);
std::string FormatHuman(const SwarmReport& report, const RunDescription& run);
// Header "client,start_s,finish_s,seconds,bytes,completed,failure" then one row per client.
std::string FormatClientCsv(const std::vector<ClientRecord>& records);

}  // namespace stampede::swarm

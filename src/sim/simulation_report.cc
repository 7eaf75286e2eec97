// The end of a simulation run (simulation.h): the liveness check (everything must have finished),
// the cross-checks between the two ends of each transfer, and the aggregate figures of SimReport.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "sim/metrics.h"
#include "sim/simulation.h"

namespace stampede::sim {
namespace {

constexpr std::size_t kNotesKept = 10;

std::string_view OriginName(transfer::TransferError::Origin origin) {
  switch (origin) {
    case transfer::TransferError::Origin::kNone:
      return "none";
    case transfer::TransferError::Origin::kPeer:
      return "peer";
    case transfer::TransferError::Origin::kLocal:
      return "local";
    case transfer::TransferError::Origin::kTimeout:
      return "timeout";
  }
  return "none";
}

void AddNote(std::vector<std::string>& notes, std::string text) {
  if (notes.size() < kNotesKept) notes.push_back(std::move(text));
}

}  // namespace

void Simulation::FinishClient(std::uint32_t client) {
  using transfer::TransferStatus;
  const Client& c = clients_[client];
  const Session& s = sessions_[client];
  ClientResult& r = report_.per_client[client];
  if (c.receiver) {
    const transfer::Stats& cs = c.receiver->stats();
    r.client_status = cs.status;
    r.client_error = cs.error;
    report_.acks_sent += cs.acks_sent;
    report_.control_sent += cs.control_sent;
    report_.timeouts += cs.timeouts;
  }
  if (s.sender) {
    const transfer::Stats& ss = s.sender->stats();
    r.server_status = ss.status;
    report_.data_sent += ss.data_sent;
    report_.retransmits += ss.data_retransmitted;
    report_.control_sent += ss.control_sent;
    report_.timeouts += ss.timeouts;
    report_.window_restarts += ss.window_restarts;
  }
  const bool client_done = c.receiver && c.receiver->finished();
  const bool server_done = !s.sender || s.sender->finished();
  r.finished = client_done && server_done;
  if (!r.finished) {
    ++report_.unfinished;
    AddNote(report_.unfinished_notes,
            fmt::format("client {}: {} (client {}, server {})", client,
                        c.receiver ? "still running" : "never started",
                        c.receiver ? transfer::StatusName(r.client_status) : "-",
                        s.sender ? transfer::StatusName(r.server_status) : "no session"));
  } else if (r.client_status == TransferStatus::kComplete && c.sink.complete_and_correct()) {
    ++report_.completed;
  } else if (r.client_status == TransferStatus::kComplete) {
    ++report_.failed;  // already a violation: wrong bytes
    AddNote(report_.failure_notes,
            fmt::format("client {}: complete but wrong bytes from offset {}", client,
                        c.sink.first_bad_offset()));
  } else {
    ++report_.failed;
    AddNote(report_.failure_notes,
            fmt::format("client {}: {} error {} '{}' (server {})", client,
                        OriginName(r.client_error.origin),
                        static_cast<unsigned>(r.client_error.code), r.client_error.message(),
                        s.sender ? transfer::StatusName(r.server_status) : "no session"));
  }
  // Cross-checks: a server that saw the final ACK implies a client that sent it; a client that
  // finished complete implies a server that sent the final block (confirmed or not, E45).
  if (r.server_status == TransferStatus::kComplete &&
      r.client_status != TransferStatus::kComplete) {
    Violation(fmt::format("client {}: server complete but client {}", client,
                          transfer::StatusName(r.client_status)));
  }
  if (r.finished && r.client_status == TransferStatus::kComplete && s.sender &&
      r.server_status != TransferStatus::kComplete &&
      r.server_status != TransferStatus::kCompleteUnconfirmed) {
    Violation(fmt::format("client {}: client complete but server {}", client,
                          transfer::StatusName(r.server_status)));
  }
}

void Simulation::Finish() {
  report_.virtual_time = now_.time_since_epoch();
  for (std::uint32_t i = 0; i < config_.clients; ++i) FinishClient(i);
  if (queue_.empty() && pool_.in_use() != 0) {
    Violation(fmt::format("{} datagram buffers never released", pool_.in_use()));
  }
  std::vector<double> completion_s;
  std::vector<double> throughput_bps;
  Duration slowest{-1};
  for (std::size_t i = 0; i < report_.per_client.size(); ++i) {
    const ClientResult& r = report_.per_client[i];
    if (r.completed_at == kInstantNever || r.client_status != transfer::TransferStatus::kComplete) {
      throughput_bps.push_back(0);  // a client that got nothing had no fair share
      continue;
    }
    const Duration took = r.completed_at - r.start;
    if (took > slowest) {
      slowest = took;
      report_.slowest_client = static_cast<std::int64_t>(i);
    }
    report_.makespan = std::max(report_.makespan, r.completed_at.time_since_epoch());
    completion_s.push_back(ToSeconds(took));
    const double seconds = std::max(ToSeconds(took), 1e-9);
    throughput_bps.push_back(8.0 * static_cast<double>(config_.size_bytes) / seconds);
  }
  std::sort(completion_s.begin(), completion_s.end());
  report_.p50 = FromSeconds(Percentile(completion_s, 0.50));
  report_.p99 = FromSeconds(Percentile(completion_s, 0.99));
  report_.max = FromSeconds(Percentile(completion_s, 1.0));
  report_.jain = JainIndex(throughput_bps);
  report_.ideal = IdealMakespan(config_);
  report_.packets_min = MinimumPackets(config_);
  report_.data_min = MinimumDataPackets(config_);
  report_.downlink = downlink_.stats();
  report_.uplink = uplink_.stats();
  if (scheduler_) {
    const server::TransmitStats& ts = scheduler_->stats();
    report_.scheduler_rate_bps = scheduler_->rate_bps();
    report_.scheduler_congested_rounds = ts.congested_rounds;
    report_.scheduler_rounds = ts.rounds;
    report_.scheduler_rotations_per_pick =
        ts.picks == 0 ? 0 : static_cast<double>(ts.rotations) / static_cast<double>(ts.picks);
  }
}

SimReport RunSimulation(const SimConfig& config) { return Simulation(config).Run(); }

}  // namespace stampede::sim

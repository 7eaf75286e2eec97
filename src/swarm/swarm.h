// The load generator: N clients in one process over one io::EventLoop (no thread per client), each
// fetching the same list of files in order with the same options, one socket per transfer. Client
// i starts at spread * i / N after the run's start; the whole run is bounded by `duration` (what is
// unfinished then is aborted and counted as failed). Every byte is compared with a reference copy
// (verifying_sink.h). The result is one ClientRecord per client (swarm_report.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <tl/expected.hpp>

#include "base/time.h"
#include "client/client_config.h"
#include "io/error.h"
#include "io/event_loop.h"
#include "swarm/reference_file.h"
#include "swarm/swarm_report.h"
#include "swarm/transfer_driver.h"

namespace stampede::swarm {

struct SwarmFile {
  std::string remote_path;
  const ReferenceFile* reference = nullptr;  // null: count bytes only (--no-verify)
};

struct SwarmConfig {
  // Server, options and retransmission for every transfer; direction and path are set per file.
  client::ClientConfig client;
  std::vector<SwarmFile> files;  // fetched in this order by every client
  std::uint32_t clients = 1;
  Duration spread{0};                             // start offsets spread evenly over [0, spread)
  Duration duration = std::chrono::seconds(600);  // bound on the whole run
  Duration read_delay{0};  // slow clients: read the socket this long after readiness
};

class Swarm final : public DriverListener, public io::TimerHandler {
 public:
  // `loop` and the references in `config` must outlive the swarm.
  Swarm(io::EventLoop& loop, SwarmConfig config);
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;
  ~Swarm() override;

  // Runs until every client completed or failed and every transfer left the loop, or until the
  // duration passes or Interrupt() is called. An error only when the event loop itself fails.
  tl::expected<void, io::Error> Run();
  // Aborts everything unfinished (from a signal handler's loop callback).
  void Interrupt(std::string_view reason);

  const std::vector<ClientRecord>& records() const { return records_; }
  std::uint64_t peak_active() const { return peak_active_; }

  void OnOutcome(TransferDriver& driver, Instant now) override;
  void OnFinished(TransferDriver& driver, Instant now) override;
  void OnTimer(io::TimerId id, Instant now) override;

 private:
  void StartDueClients(Instant now);
  void StartTransfer(std::uint32_t client, std::size_t file, Instant now);
  void Resolve(std::uint32_t client, bool completed, std::string failure, Instant now);
  void AbortAll(std::string_view reason, Instant now);
  Instant StartTime(std::uint32_t client) const;
  bool Done() const { return resolved_ == config_.clients && drivers_.empty(); }

  io::EventLoop* loop_;
  SwarmConfig config_;
  std::vector<ClientRecord> records_;
  std::unordered_map<TransferDriver*, std::unique_ptr<TransferDriver>> drivers_;
  std::vector<std::unique_ptr<TransferDriver>> finished_;  // destroyed after each wake-up
  io::TimerId start_timer_;
  io::TimerId duration_timer_;
  Instant run_start_{};
  std::uint32_t next_client_ = 0;
  std::uint32_t resolved_ = 0;
  std::uint64_t active_ = 0;
  std::uint64_t peak_active_ = 0;
  bool stopping_ = false;
  std::string stop_reason_;
};

}  // namespace stampede::swarm

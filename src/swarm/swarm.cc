// Swarm (swarm.h): start schedule, per-client file sequence, the run's bound, and bookkeeping.
#include "swarm/swarm.h"

#include <algorithm>
#include <utility>

#include "io/clock.h"

namespace stampede::swarm {

Swarm::Swarm(io::EventLoop& loop, SwarmConfig config)
    : loop_(&loop), config_(std::move(config)), records_(config_.clients) {
  config_.client.direction = client::Direction::kGet;
  start_timer_ = loop_->timers().Create(this);
  duration_timer_ = loop_->timers().Create(this);
}

Swarm::~Swarm() {
  drivers_.clear();
  finished_.clear();
  loop_->timers().Destroy(start_timer_);
  loop_->timers().Destroy(duration_timer_);
}

tl::expected<void, io::Error> Swarm::Run() {
  run_start_ = io::Now();
  loop_->timers().Arm(duration_timer_, run_start_ + config_.duration);
  StartDueClients(run_start_);
  while (!Done()) {
    auto woke = loop_->RunOnce();
    finished_.clear();
    if (!woke) return tl::unexpected(woke.error());
  }
  loop_->timers().Disarm(start_timer_);
  loop_->timers().Disarm(duration_timer_);
  return {};
}

void Swarm::Interrupt(std::string_view reason) {
  AbortAll(reason, io::Now());
}

Instant Swarm::StartTime(std::uint32_t client) const {
  // Even spacing: client i at spread * i / N, so N clients "arrive within" the spread.
  const auto offset = config_.spread * client / std::max<std::uint32_t>(config_.clients, 1);
  return run_start_ + offset;
}

void Swarm::StartDueClients(Instant now) {
  while (!stopping_ && next_client_ < config_.clients && StartTime(next_client_) <= now) {
    const std::uint32_t c = next_client_++;
    records_[c].started = true;
    records_[c].start = now - run_start_;
    ++active_;
    peak_active_ = std::max(peak_active_, active_);
    if (config_.files.empty()) {
      Resolve(c, true, {}, now);
    } else {
      StartTransfer(c, 0, now);
    }
  }
  if (!stopping_ && next_client_ < config_.clients) {
    loop_->timers().Arm(start_timer_, StartTime(next_client_));
  }
}

void Swarm::StartTransfer(std::uint32_t client, std::size_t file, Instant now) {
  client::ClientConfig config = config_.client;
  config.remote_path = config_.files[file].remote_path;
  auto driver = std::make_unique<TransferDriver>(*loop_, config, config_.files[file].reference,
                                                 config_.read_delay, *this, client, file);
  TransferDriver* raw = driver.get();
  drivers_.emplace(raw, std::move(driver));
  raw->Start(now);  // may report its outcome and finish before returning
}

void Swarm::OnOutcome(TransferDriver& driver, Instant now) {
  const std::uint32_t c = driver.client_index();
  auto& record = records_[c];
  record.bytes += driver.bytes();
  if (!driver.succeeded()) {
    std::string why = driver.FailureText();
    if (stopping_) why += " (" + stop_reason_ + ")";
    Resolve(c, false, config_.files[driver.file_index()].remote_path + ": " + why, now);
    return;
  }
  ++record.files_done;
  const std::size_t next = driver.file_index() + 1;
  if (next < config_.files.size() && !stopping_) {
    StartTransfer(c, next, now);  // the finished one dallies beside it
  } else if (next < config_.files.size()) {
    Resolve(c, false, config_.files[next].remote_path + ": not started (run stopped)", now);
  } else {
    Resolve(c, true, {}, now);
  }
}

void Swarm::OnFinished(TransferDriver& driver, Instant now) {
  static_cast<void>(now);
  const auto stats = driver.result().stats;
  auto& record = records_[driver.client_index()];
  record.retransmits += stats.duplicate_data;
  record.timeouts += stats.timeouts;
  record.packets_sent += stats.acks_sent + stats.control_sent;
  record.packets_received += stats.data_received;
  auto it = drivers_.find(&driver);
  if (it != drivers_.end()) {
    finished_.push_back(std::move(it->second));  // we may be inside its callback
    drivers_.erase(it);
  }
}

void Swarm::Resolve(std::uint32_t client, bool completed, std::string failure, Instant now) {
  auto& record = records_[client];
  record.completed = completed;
  record.failure = std::move(failure);
  record.elapsed = (now - run_start_) - record.start;
  if (completed) record.finish = now - run_start_;
  if (record.started) --active_;
  ++resolved_;
}

void Swarm::AbortAll(std::string_view reason, Instant now) {
  if (stopping_) return;
  stopping_ = true;
  stop_reason_ = reason;
  loop_->timers().Disarm(start_timer_);
  // Clients that never started fail without a transfer.
  while (next_client_ < config_.clients) {
    const std::uint32_t c = next_client_++;
    Resolve(c, false, "not started: " + std::string(reason), now);
  }
  std::vector<TransferDriver*> running;
  running.reserve(drivers_.size());
  for (const auto& entry : drivers_) running.push_back(entry.first);
  for (TransferDriver* driver : running) driver->Abort(reason, now);
}

void Swarm::OnTimer(io::TimerId id, Instant now) {
  if (id == start_timer_) {
    StartDueClients(now);
  } else if (id == duration_timer_) {
    AbortAll("run duration reached", now);
  }
}

}  // namespace stampede::swarm

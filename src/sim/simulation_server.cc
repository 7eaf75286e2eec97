// The simulated server's sessions (simulation.h): starting one (negotiation, a Sender, a flow in
// the transmit scheduler), the admission queue that holds requests while the active set is full,
// and the scheduled send path: what each Sender reports to server::TransmitScheduler and how the
// scheduler's picks are turned into datagrams on the downlink.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/check.h"
#include "sim/simulation.h"
#include "wire/packet.h"

namespace stampede::sim {

void Simulation::StartSession(std::uint32_t client, const wire::Request& request) {
  const auto negotiated = transfer::Negotiate(request, policy_, config_.size_bytes);
  if (!negotiated) {
    SendError(client, negotiated.error(), wire::StandardMessage(negotiated.error()));
    return;
  }
  transfer::SenderConfig sc;
  sc.role = transfer::Role::kServer;
  sc.mode = request.mode;
  sc.options = negotiated->options;
  sc.oack = negotiated->oack.options();
  sc.retransmit = retransmit_;
  sc.window.adaptive = config_.adaptive_window;
  Session& s = sessions_[client];
  s.sender.emplace(sc, source_);
  ++active_sessions_;
  report_.active_sessions_peak =
      std::max<std::uint64_t>(report_.active_sessions_peak, active_sessions_);
  if (scheduler_) {
    s.flow = scheduler_->Register();
    if (s.flow >= flow_client_.size()) flow_client_.resize(s.flow + 1);
    flow_client_[s.flow] = client;
  }
  report_.per_client[client].server_session = true;
  ServiceSession(client);
}

// A session that has finished leaves the active set (and the scheduler) once; the oldest waiting
// request takes its slot.
void Simulation::AfterSessionStep(std::uint32_t client) {
  Session& s = sessions_[client];
  if (s.closed || !s.sender->finished()) return;
  s.closed = true;
  if (scheduler_) {
    scheduler_->Unregister(s.flow);
    s.ready = false;
  }
  --active_sessions_;
  while (!waiting_.empty() && (config_.max_active == 0 || active_sessions_ < config_.max_active)) {
    const Waiting next = std::move(waiting_.front());
    waiting_.pop_front();
    sessions_[next.client].waiting = false;
    const auto parsed = wire::Parse(next.request);
    STAMPEDE_CHECK(parsed && std::holds_alternative<wire::Request>(*parsed));  // parsed on arrival
    StartSession(next.client, std::get<wire::Request>(*parsed));
  }
}

void Simulation::ReportToScheduler(std::uint32_t client) {
  Session& s = sessions_[client];
  s.feedback.Report(*scheduler_, s.flow, s.sender->stats(), now_);
}

// Sends what the scheduler allows now, one datagram per pick, then wakes up at its next release.
void Simulation::RunScheduler() {
  if (in_scheduler_) return;  // the outer call's loop picks up whatever became ready
  in_scheduler_ = true;
  for (std::uint64_t sent = 0;; ++sent) {
    if (sent == kDatagramsPerStepMax) {
      Violation(fmt::format("the scheduler released {} datagrams in one step at t={}s", sent,
                            ToSeconds(now_.time_since_epoch())));
      break;
    }
    const auto flow = scheduler_->PickNext(now_);
    if (!flow) break;
    const std::uint32_t client = flow_client_[*flow];
    if (!SendOneFromSession(client)) {
      scheduler_->OnIdle(*flow);
      sessions_[client].ready = false;
    }
  }
  in_scheduler_ = false;
  const Instant next = scheduler_->NextSendTime();
  if (next != kInstantNever && next < scheduler_armed_) {
    scheduler_armed_ = std::max(next, now_ + Duration{1});
    queue_.Push(scheduler_armed_, EventKind::kScheduler, 0);
  }
}

bool Simulation::SendOneFromSession(std::uint32_t client) {
  Session& s = sessions_[client];
  const std::uint32_t endpoint = config_.clients + client;
  const std::uint32_t handle = pool_.Acquire();
  const auto buffer = pool_.Buffer(handle);
  STAMPEDE_CHECK(buffer.size() >= s.sender->MaxDatagramBytes());
  const auto n = s.sender->PollTransmit(buffer, now_);
  if (!n) {
    pool_.Release(handle);
    Arm(s.armed, s.sender->NextDeadline(), endpoint);
    return false;
  }
  pool_.Meta(handle) = {client, static_cast<std::uint32_t>(*n), Direction::kToClient};
  ++report_.packets_sent;
  if (*n > wire::kDataHeaderBytes && buffer[1] == std::byte{3}) {
    ++s.data_emitted;
    if (++data_emitted_ % corrupt_period_ == 0) buffer[*n - 1] ^= std::byte{0x01};
  }
  Transmit(handle);
  scheduler_->OnSent(s.flow, *n, now_);
  CheckSession(client);
  const Instant deadline = s.sender->NextDeadline();
  if (deadline > now_) Arm(s.armed, deadline, endpoint);
  AfterSessionStep(client);
  return true;
}

}  // namespace stampede::sim

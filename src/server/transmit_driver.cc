// TransmitDriver (transmit_driver.h): the scheduled send path of the real server.
#include "server/transmit_driver.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace stampede::server {

TransmitDriver::TransmitDriver(io::TimerQueue& timers, const TransmitPolicy& policy,
                               SendOne send_one, AfterPick after_pick)
    : timers_(timers),
      scheduler_(policy),
      send_one_(std::move(send_one)),
      after_pick_(std::move(after_pick)) {
  pacing_timer_ = timers_.Create(this);
}

TransmitDriver::~TransmitDriver() {
  timers_.Destroy(pacing_timer_);
}

void TransmitDriver::Add(Session& session) {
  const FlowId flow = scheduler_.Register();
  if (flow >= flows_.size()) flows_.resize(flow + 1);
  flows_[flow] = Flow{.session = &session, .feedback = {}};
  session.set_flow(flow);
}

void TransmitDriver::Remove(Session& session) {
  if (session.flow() == Session::kNoFlow) return;
  scheduler_.Unregister(session.flow());
  flows_[session.flow()] = Flow{};
  session.set_flow(Session::kNoFlow);
}

void TransmitDriver::Report(Session& session, Instant now) {
  const FlowId id = session.flow();
  if (id == Session::kNoFlow) return;
  flows_[id].feedback.Report(scheduler_, id, session.stats(), now);
  scheduler_.MarkReady(id);
}

void TransmitDriver::Service(Instant now) {
  // A session finished in after_pick_ may lead back here through the server; the outer loop
  // picks up whatever became ready.
  if (in_service_) return;
  in_service_ = true;
  for (;;) {
    const std::optional<FlowId> id = scheduler_.PickNext(now);
    if (!id) break;
    Session& session = *flows_[*id].session;
    const std::optional<std::size_t> size = send_one_(session, now);
    if (size) {
      scheduler_.OnSent(*id, *size, now);
    } else {
      scheduler_.OnIdle(*id);
    }
    after_pick_(session, now, size.has_value());
  }
  in_service_ = false;
  const Instant next = scheduler_.NextSendTime();
  if (next == kInstantNever) {
    timers_.Disarm(pacing_timer_);
  } else {
    timers_.Arm(pacing_timer_, std::max(next, now + Duration{1}));
  }
}

void TransmitDriver::OnTimer(io::TimerId, Instant now) {
  Service(now);
}

}  // namespace stampede::server

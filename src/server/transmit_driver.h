// The real server's side of TransmitScheduler (docs/scheduler.md, "Driving it from the real
// server"): one scheduler for every read transfer, a flow per Session, the Senders' counters turned
// into OnAck/OnLoss, and one io timer for the pacing release. The server's send pump marks a
// session ready and calls Service; Service asks the scheduler which session sends next and has
// the server write exactly one datagram of that session. Uploads (a Receiver, ACKs only) are not
// scheduled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/time.h"
#include "io/timer_queue.h"
#include "server/sender_feedback.h"
#include "server/session.h"
#include "server/transmit_scheduler.h"

namespace stampede::server {

class TransmitDriver final : public io::TimerHandler {
 public:
  // Writes one datagram of the session into the send bank and returns its payload size, or
  // nullopt when its Sender has nothing now. Must not finish the session.
  using SendOne = std::function<std::optional<std::size_t>(Session&, Instant)>;
  // After each pick, once the scheduler has been told: re-arm the session's timer, finish it if
  // it is done (which calls Remove).
  using AfterPick = std::function<void(Session&, Instant, bool sent)>;

  TransmitDriver(io::TimerQueue& timers, const TransmitPolicy& policy, SendOne send_one,
                 AfterPick after_pick);
  ~TransmitDriver() override;
  TransmitDriver(const TransmitDriver&) = delete;
  TransmitDriver& operator=(const TransmitDriver&) = delete;

  // A read transfer starts (sets session.flow()) / ends (clears it).
  void Add(Session& session);
  void Remove(Session& session);
  // After an event of the session: what its Sender learnt since the last report, and it joins the
  // round robin (it may have a datagram due).
  void Report(Session& session, Instant now);
  // Sends what the scheduler releases now, then arms the pacing timer at the next release.
  void Service(Instant now);

  std::size_t flows() const { return scheduler_.flows(); }
  std::uint64_t rate_bps() const { return scheduler_.rate_bps(); }
  const TransmitStats& stats() const { return scheduler_.stats(); }

  void OnTimer(io::TimerId id, Instant now) override;

 private:
  struct Flow {
    Session* session = nullptr;
    SenderFeedback feedback;  // what was last reported of its Sender's counters
  };

  io::TimerQueue& timers_;
  TransmitScheduler scheduler_;
  SendOne send_one_;
  AfterPick after_pick_;
  io::TimerId pacing_timer_;
  std::vector<Flow> flows_;  // indexed by FlowId
  bool in_service_ = false;
};

}  // namespace stampede::server

// TransferDriver (transfer_driver.h).
#include "swarm/transfer_driver.h"

#include <fmt/core.h>
#include <sys/epoll.h>

namespace stampede::swarm {

TransferDriver::TransferDriver(io::EventLoop& loop, const client::ClientConfig& config,
                               const ReferenceFile* reference, Duration read_delay,
                               DriverListener& listener, std::uint32_t client_index,
                               std::size_t file_index)
    : loop_(&loop),
      sink_(reference),
      transfer_(config, sink_),
      read_delay_(read_delay),
      listener_(&listener),
      client_index_(client_index),
      file_index_(file_index) {}

TransferDriver::~TransferDriver() {
  Detach();
}

void TransferDriver::Start(Instant now) {
  if (auto started = transfer_.Start(now); !started) {
    start_failure_ = started.error().ToString();
  } else if (!transfer_.finished()) {
    fd_ = transfer_.fd();
    if (auto added = loop_->Add(fd_, EPOLLIN, this); !added) {
      start_failure_ = added.error().ToString();
      transfer_.Abort("internal error");
    } else {
      attached_ = true;
      timer_ = loop_->timers().Create(this);
      read_timer_ = loop_->timers().Create(this);
    }
  }
  AfterEvent(now);
}

void TransferDriver::Abort(std::string_view reason, Instant now) {
  if (finished_reported_) return;
  transfer_.Abort(reason);
  AfterEvent(now);
}

std::string TransferDriver::FailureText() const {
  if (start_failure_) return *start_failure_;
  if (sink_.mismatch()) return "verification failed: " + *sink_.mismatch();
  const auto r = transfer_.result();
  std::string text(client::OutcomeName(r.outcome));
  if (r.error.origin == transfer::TransferError::Origin::kPeer) {
    text = fmt::format("server error {}", static_cast<unsigned>(r.error.code));
    // The peer's text is for a terminal or a JSON string: keep printable ASCII only.
    std::string message;
    for (const char c : r.error.message()) {
      message += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (!message.empty()) text += " (" + message + ")";
  }
  if (!r.detail.empty()) text += ": " + r.detail;
  return text;
}

void TransferDriver::OnIoReady(const io::IoEvent& event) {
  if (read_delay_ > Duration::zero()) {
    if (!read_pending_) {
      // Stop watching until the delay is over; the datagrams wait in the socket buffer.
      read_pending_ = true;
      static_cast<void>(loop_->Modify(fd_, 0));
      loop_->timers().Arm(read_timer_, event.now + read_delay_);
    }
    return;
  }
  ReadNow(event.now);
}

void TransferDriver::OnTimer(io::TimerId id, Instant now) {
  if (id == read_timer_) {
    read_pending_ = false;
    static_cast<void>(loop_->Modify(fd_, EPOLLIN));
    ReadNow(now);
    return;
  }
  // A datagram is waiting for the read delay: it, not a timeout, decides what happens next (the
  // read re-arms this timer).
  if (read_pending_) return;
  transfer_.OnTimer(now);
  AfterEvent(now);
}

void TransferDriver::ReadNow(Instant now) {
  transfer_.OnReadable(now);
  if (attached_ && !transfer_.finished() && transfer_.NextDeadline() <= now) {
    transfer_.OnTimer(now);
  }
  AfterEvent(now);
}

void TransferDriver::AfterEvent(Instant now) {
  if (finished_reported_) return;
  if (!outcome_reported_ && (transfer_.succeeded() || transfer_.finished())) {
    outcome_reported_ = true;
    listener_->OnOutcome(*this, now);
  }
  if (transfer_.finished()) {
    Detach();
    finished_reported_ = true;
    listener_->OnFinished(*this, now);
    return;
  }
  loop_->timers().Arm(timer_, transfer_.NextDeadline());
}

void TransferDriver::Detach() {
  if (!attached_) return;
  attached_ = false;
  loop_->Remove(fd_);
  loop_->timers().Destroy(timer_);
  loop_->timers().Destroy(read_timer_);
}

}  // namespace stampede::swarm

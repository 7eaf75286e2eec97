// LoopBinding (loop_binding.h).
#include "client/loop_binding.h"

#include <sys/epoll.h>

namespace stampede::client {

LoopBinding::LoopBinding(io::EventLoop& loop, ClientTransfer& transfer, TransferDoneHandler* done)
    : loop_(&loop), transfer_(&transfer), done_(done) {}

LoopBinding::~LoopBinding() {
  Detach();
}

tl::expected<void, io::Error> LoopBinding::Attach(Instant now) {
  if (transfer_->finished()) {
    if (done_ != nullptr) done_->OnTransferDone(*transfer_, now);
    return {};
  }
  fd_ = transfer_->fd();
  if (auto added = loop_->Add(fd_, EPOLLIN, this); !added) return added;
  timer_ = loop_->timers().Create(this);
  attached_ = true;
  AfterEvent(now);
  return {};
}

void LoopBinding::OnIoReady(const io::IoEvent& event) {
  transfer_->OnReadable(event.now);
  if (attached_ && transfer_->NextDeadline() <= event.now) transfer_->OnTimer(event.now);
  AfterEvent(event.now);
}

void LoopBinding::OnTimer(io::TimerId id, Instant now) {
  static_cast<void>(id);
  transfer_->OnTimer(now);
  AfterEvent(now);
}

void LoopBinding::AfterEvent(Instant now) {
  if (!attached_) return;
  if (transfer_->finished()) {
    Detach();
    if (done_ != nullptr) done_->OnTransferDone(*transfer_, now);  // may destroy this
    return;
  }
  loop_->timers().Arm(timer_, transfer_->NextDeadline());
}

void LoopBinding::Detach() {
  if (!attached_) return;
  attached_ = false;
  loop_->Remove(fd_);
  loop_->timers().Destroy(timer_);
}

}  // namespace stampede::client

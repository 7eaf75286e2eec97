// Drives one ClientTransfer from an io::EventLoop: its socket's readiness and one loop timer feed
// it, the timer is re-armed to NextDeadline() after every event, and when it finishes it leaves
// the loop and tells a TransferDoneHandler. This is how many transfers share one thread (the load
// generator); the command-line tools use the lighter client_loop.h.
#pragma once

#include <tl/expected.hpp>

#include "base/time.h"
#include "client/client_transfer.h"
#include "io/error.h"
#include "io/event_loop.h"
#include "io/timer_queue.h"

namespace stampede::client {

class TransferDoneHandler {
 public:
  virtual ~TransferDoneHandler() = default;
  // Called once, from the loop, after the transfer left it. May destroy the binding.
  virtual void OnTransferDone(ClientTransfer& transfer, Instant now) = 0;
};

class LoopBinding final : public io::IoHandler, public io::TimerHandler {
 public:
  // `loop`, `transfer` and `done` (may be null) must outlive the binding.
  LoopBinding(io::EventLoop& loop, ClientTransfer& transfer, TransferDoneHandler* done);
  LoopBinding(const LoopBinding&) = delete;
  LoopBinding& operator=(const LoopBinding&) = delete;
  ~LoopBinding() override;

  // Registers the transfer, which must have been started. A transfer that already finished (a
  // refused request) is reported done at once.
  tl::expected<void, io::Error> Attach(Instant now);
  bool attached() const { return attached_; }

  void OnIoReady(const io::IoEvent& event) override;
  void OnTimer(io::TimerId id, Instant now) override;

 private:
  void AfterEvent(Instant now);
  void Detach();

  io::EventLoop* loop_;
  ClientTransfer* transfer_;
  TransferDoneHandler* done_;
  io::TimerId timer_;
  int fd_ = -1;
  bool attached_ = false;
};

}  // namespace stampede::client

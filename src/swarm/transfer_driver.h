// One download of a swarm client, driven by the shared io::EventLoop: a ClientTransfer with its
// verifying sink, its socket registered with the loop and one loop timer at its NextDeadline().
// With a read delay it reads its socket only that long after the socket became readable, to hold
// sessions open as a slow client would (the 10,000-session measurement). It tells its listener
// once when the data is through or the transfer failed, and once when it left the loop (after the
// dally). Like client/loop_binding.h, but with the read delay and the sink it owns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "base/time.h"
#include "client/client_config.h"
#include "client/client_transfer.h"
#include "io/event_loop.h"
#include "io/timer_queue.h"
#include "swarm/reference_file.h"
#include "swarm/verifying_sink.h"

namespace stampede::swarm {

class TransferDriver;

class DriverListener {
 public:
  virtual ~DriverListener() = default;
  // Once: the data is through and verified (succeeded) or the transfer failed.
  virtual void OnOutcome(TransferDriver& driver, Instant now) = 0;
  // Once, after OnOutcome: the transfer finished and left the loop. Must not destroy the driver
  // synchronously (defer it to after the loop's wake-up).
  virtual void OnFinished(TransferDriver& driver, Instant now) = 0;
};

class TransferDriver final : public io::IoHandler, public io::TimerHandler {
 public:
  // `loop`, `reference` (may be null) and `listener` must outlive the driver.
  TransferDriver(io::EventLoop& loop, const client::ClientConfig& config,
                 const ReferenceFile* reference, Duration read_delay, DriverListener& listener,
                 std::uint32_t client_index, std::size_t file_index);
  TransferDriver(const TransferDriver&) = delete;
  TransferDriver& operator=(const TransferDriver&) = delete;
  ~TransferDriver() override;

  // Opens the socket, sends the request and joins the loop. A failure (EMFILE, ...) ends the
  // transfer at once: the listener hears about it before Start returns.
  void Start(Instant now);
  // Stops the transfer (ERROR 0 `reason` to the server when it was running). No-op when finished.
  void Abort(std::string_view reason, Instant now);

  bool succeeded() const { return transfer_.succeeded(); }
  // A one-line reason for a failed transfer.
  std::string FailureText() const;
  client::ClientResult result() const { return transfer_.result(); }
  std::uint64_t bytes() const { return sink_.size_bytes(); }
  std::uint32_t client_index() const { return client_index_; }
  std::size_t file_index() const { return file_index_; }

  void OnIoReady(const io::IoEvent& event) override;
  void OnTimer(io::TimerId id, Instant now) override;

 private:
  void ReadNow(Instant now);
  void AfterEvent(Instant now);
  void Detach();

  io::EventLoop* loop_;
  VerifyingSink sink_;
  client::ClientTransfer transfer_;
  Duration read_delay_;
  DriverListener* listener_;
  std::uint32_t client_index_;
  std::size_t file_index_;
  io::TimerId timer_;
  io::TimerId read_timer_;
  int fd_ = -1;
  bool attached_ = false;
  bool read_pending_ = false;
  bool outcome_reported_ = false;
  bool finished_reported_ = false;
  std::optional<std::string> start_failure_;
};

}  // namespace stampede::swarm

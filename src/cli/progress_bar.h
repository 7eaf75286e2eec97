// The client's terminal progress line: bytes, percentage when the size is known, rate, ETA and
// retransmissions, summed over the command's transfers and redrawn at most 5 times a second. Only
// on a terminal (the caller decides with isatty(stderr)); a disabled bar prints nothing.
#pragma once

#include <span>
#include <string>

#include "base/time.h"
#include "client/client_loop.h"
#include "client/client_transfer.h"

namespace stampede::cli {

class ProgressBar final : public client::LoopTicker {
 public:
  ProgressBar(std::span<client::ClientTransfer* const> transfers, std::string label, bool enabled,
              Instant start);
  void OnTick(Instant now) override;
  // Erases the line, so messages that follow start at column 0.
  void Clear();

 private:
  std::span<client::ClientTransfer* const> transfers_;
  std::string label_;
  bool enabled_;
  Instant start_;
  Instant last_draw_ = kInstantZero;
  bool drawn_ = false;
};

// "1.5 MiB", "512 B".
std::string FormatBytes(double bytes);

}  // namespace stampede::cli

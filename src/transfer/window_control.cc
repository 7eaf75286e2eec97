// AIMD window arithmetic for a windowed Sender (window_control.h). Must not know about packets.
#include "transfer/window_control.h"

#include <algorithm>

namespace stampede::transfer {

WindowControl::WindowControl(const WindowPolicy& policy, std::uint16_t negotiated_window_blocks)
    : negotiated_blocks_(std::max<std::uint16_t>(negotiated_window_blocks, 1)),
      window_blocks_(negotiated_blocks_),
      slow_start_threshold_blocks_(negotiated_blocks_),
      adaptive_(policy.adaptive) {
  if (adaptive_) {
    window_blocks_ = std::clamp<std::uint16_t>(policy.initial_window_blocks, 1, negotiated_blocks_);
  }
}

void WindowControl::OnCleanWindow(std::uint32_t blocks) {
  if (!adaptive_) return;
  std::uint32_t grown = window_blocks_;
  if (window_blocks_ < slow_start_threshold_blocks_) {
    grown = std::min({window_blocks_ + blocks, 2U * window_blocks_,
                      std::uint32_t{slow_start_threshold_blocks_}});
  } else {
    acked_credit_blocks_ += blocks;
    while (acked_credit_blocks_ >= grown) acked_credit_blocks_ -= grown++;
  }
  window_blocks_ = static_cast<std::uint16_t>(std::min<std::uint32_t>(grown, negotiated_blocks_));
}

void WindowControl::OnTimeout() {
  if (!adaptive_) return;
  OnLoss();
  window_blocks_ = 1;
}

void WindowControl::OnQueueDelay() {
  if (!adaptive_) return;
  window_blocks_ = std::max<std::uint16_t>(
      static_cast<std::uint16_t>(window_blocks_ - window_blocks_ / 4), 1);
  slow_start_threshold_blocks_ = window_blocks_;
  acked_credit_blocks_ = 0;
}

void WindowControl::OnLoss() {
  if (!adaptive_) return;
  slow_start_threshold_blocks_ = std::max<std::uint16_t>(window_blocks_ / 2, 1);
  window_blocks_ = slow_start_threshold_blocks_;
  acked_credit_blocks_ = 0;
}

}  // namespace stampede::transfer

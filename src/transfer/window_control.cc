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

void WindowControl::OnCleanWindow() {
  if (!adaptive_) return;
  // Slow start doubles up to the threshold, then one block per clean window (RFC 5681 §3.1).
  const std::uint32_t grown = window_blocks_ < slow_start_threshold_blocks_
                                  ? 2U * window_blocks_
                                  : window_blocks_ + 1U;
  window_blocks_ = static_cast<std::uint16_t>(std::min<std::uint32_t>(grown, negotiated_blocks_));
}

void WindowControl::OnLoss() {
  if (!adaptive_) return;
  slow_start_threshold_blocks_ = std::max<std::uint16_t>(window_blocks_ / 2, 1);
  window_blocks_ = slow_start_threshold_blocks_;
}

}  // namespace stampede::transfer

// Congestion control for a windowed Sender (RFC 7440 §6 asks for RFC 8085 congestion guidance):
// the effective window grows while windows arrive clean and shrinks on loss, never above the
// negotiated windowsize. Pure arithmetic: the Sender tells it what happened.
#pragma once

#include <cstdint>

namespace stampede::transfer {

struct WindowPolicy {
  // First effective window (clamped to the negotiated windowsize). Small, so a storm of new
  // transfers does not start with full bursts (RFC 6928 allows TCP ~10 segments; TFTP peers are
  // often firmware with tiny receive rings).
  std::uint16_t initial_window_blocks = 4;
  // false: always use the negotiated windowsize (plain RFC 7440 behaviour).
  bool adaptive = true;
};

// Slow start then additive increase; multiplicative decrease on loss (AIMD, RFC 5681 shape in
// blocks rather than bytes).
class WindowControl {
 public:
  WindowControl(const WindowPolicy& policy, std::uint16_t negotiated_window_blocks);

  // A whole effective window was acknowledged with no loss signal since it started.
  void OnCleanWindow();
  // Loss signal (timeout or a receiver's gap ACK). The Sender calls it at most once per window of
  // data in flight, so one burst of losses halves the window once.
  void OnLoss();

  std::uint16_t window_blocks() const { return window_blocks_; }
  std::uint16_t negotiated_blocks() const { return negotiated_blocks_; }

 private:
  std::uint16_t negotiated_blocks_;
  std::uint16_t window_blocks_;
  std::uint16_t slow_start_threshold_blocks_;
  bool adaptive_;
};

}  // namespace stampede::transfer

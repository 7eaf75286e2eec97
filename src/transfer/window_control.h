// Congestion control for a windowed Sender (RFC 7440 §6 asks for RFC 8085 congestion guidance):
// the effective window grows while windows arrive clean and shrinks on loss, never above the
// negotiated windowsize. Pure arithmetic: the Sender tells it what happened.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/time.h"

namespace stampede::transfer {

using namespace std::chrono_literals;

struct WindowPolicy {
  // First effective window (clamped to the negotiated windowsize). Small, so a storm of new
  // transfers does not start with full bursts (RFC 6928 allows TCP ~10 segments; TFTP peers are
  // often firmware with tiny receive rings).
  std::uint16_t initial_window_blocks = 4;
  // false: always use the negotiated windowsize (plain RFC 7440 behaviour).
  bool adaptive = true;
  // Queueing delay (a window's RTT sample above the smallest one seen) that counts as congestion,
  // like an ECN mark (RFC 3168 §6.1.2: react as to a loss, without a retransmission), once it
  // exceeds both this and the path's smallest RTT (a queue of one bandwidth-delay product keeps
  // the link busy through a halving). Flows sharing a drop-tail queue then back off while it is
  // shallow instead of when it overflows: with go-back-N recovery an overflow costs the rest of a
  // window, a deep queue delays every loss report, and a full 1 MiB queue at 1 Gbit/s (8 ms)
  // exceeds rto_min. Simulated (bench/sim, S2 seeds 1-3): 0.5 ms 1.13-1.16 x ideal, 1 ms 1.13-1.18,
  // 2 ms 1.15-1.25, 4 ms 1.27-1.32. A false signal from jitter costs speed, never data.
  Duration queue_delay_target_min = 500us;
};

// Slow start then additive increase; multiplicative decrease on loss (AIMD, RFC 5681 shape in
// blocks rather than bytes). Growth is counted per block acknowledged, as TCP counts per ACKed
// segment (RFC 3465): an RFC 7440 receiver ACKs once per negotiated window, and a window paced at
// a small effective window spans several round trips, so growing "per window" would let a slowed
// flow recover far more slowly than a fast one (unfair under a shared queue).
class WindowControl {
 public:
  WindowControl(const WindowPolicy& policy, std::uint16_t negotiated_window_blocks);

  // `blocks` were acknowledged (a whole receiver window) with no loss signal since it started.
  // Slow start: +1 per block, at most doubling (RFC 3465 L = 2). Congestion avoidance: +1 per
  // effective window of blocks (RFC 5681 §3.1).
  void OnCleanWindow(std::uint32_t blocks);
  // Loss signal (timeout or a receiver's gap ACK). The Sender calls it at most once per window of
  // data in flight, so one burst of losses halves the window once.
  void OnLoss();
  // Queueing delay above the target (WindowPolicy): a quarter off and leave slow start. Gentler
  // than a loss, as the queue still has room; every flow sharing it sees the signal at once.
  void OnQueueDelay();
  // Retransmission timeout: the threshold halves and the window restarts at one block (RFC 5681
  // §3.1 "loss window"), so the first resent block probes where the receiver stands (it re-ACKs a
  // duplicate) before blocks it may already hold are sent again.
  void OnTimeout();

  std::uint16_t window_blocks() const { return window_blocks_; }
  std::uint16_t negotiated_blocks() const { return negotiated_blocks_; }

 private:
  std::uint16_t negotiated_blocks_;
  std::uint16_t window_blocks_;
  std::uint16_t slow_start_threshold_blocks_;
  std::uint32_t acked_credit_blocks_ = 0;  // congestion avoidance: blocks toward the next +1
  bool adaptive_;
};

}  // namespace stampede::transfer

// Server-wide transmission control, sans-I/O: every active transfer shares the server's outbound
// bottleneck, so this decides which transfer sends its next datagram and when. Two parts:
//
//   - fairness: deficit round robin by bytes (Shreedhar & Varghese, 1995) over the flows that have
//     a datagram due, one quantum (about one full datagram) per turn, so flows with different
//     windows and block sizes get equal byte shares and a window of DATA leaves interleaved with
//     the other flows' instead of as one burst;
//   - an aggregate rate controller (the congestion-manager idea of RFC 3124 applied to one
//     server's traffic): all datagrams are paced at one rate, estimated from the flows' RTT samples
//     (queueing delay), delivery (acknowledged bytes) and loss, and never above the operator cap.
//     docs/scheduler.md explains the control law and why it is rate-based.
//
// No sockets, no clocks, no Sender: the driver (simulator or server) passes `now` and reports what
// each flow did. Driving it:
//   Register a flow when its transfer starts; MarkReady whenever the transfer may have something
//   to send (after each of its events). Then, while PickNext(now) returns a flow, ask that flow's
//   Sender for one datagram: if it writes one, send it and call OnSent; if not, call OnIdle.
//   When PickNext returns nullopt, wake up at NextSendTime() and try again. Report acknowledged
//   bytes and RTT samples with OnAck, restarts and timeouts with OnLoss. Unregister at the end.
// Every call is O(1) (PickNext amortised: each flow is rotated at most once per datagram it sends).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.h"

namespace stampede::server {

using namespace std::chrono_literals;

struct TransmitPolicy {
  // false: no aggregate controller; datagrams are paced only at `rate_cap_bps` (none when 0).
  bool adaptive = true;
  // Operator cap (--rate) on everything the scheduled flows send, in bits/s of UDP payload plus
  // `header_bytes`; 0: no cap.
  std::uint64_t rate_cap_bps = 0;
  // First estimate (start-up doubles it each round until the path shows a queue) and the floor.
  std::uint64_t rate_initial_bps = 100'000'000;
  std::uint64_t rate_min_bps = 1'000'000;
  // Bytes a datagram costs on the wire besides its UDP payload (IPv4 20 + UDP 8).
  std::uint32_t header_bytes = 28;
  // Deficit round robin quantum: at least the largest datagram, so a flow sends at least one per
  // turn (amortised O(1)). A lock-step flow has one datagram to send whatever the quantum; a
  // windowed flow sends up to a quantum per turn, so a quantum of about a window lets its window
  // complete (and its ACK clock tick) within one turn of the ring instead of one block per turn
  // over N flows. The aggregate pacing still spreads those datagrams at the rate.
  std::uint32_t quantum_bytes = 16 * 1500;
  // Bytes that may leave back to back after an idle moment (timer granularity of a real loop).
  std::uint32_t burst_bytes = 3000;
  // Queueing delay (a round's smallest RTT sample above the smallest ever) that means the
  // aggregate is faster than the bottleneck; the target is max(this, min RTT / 2). It must stay
  // well below what the smallest switch queue holds: 256 KiB at 1 Gbit/s is 2.1 ms.
  Duration queue_delay_target = 300us;
  // Fraction of datagrams sent in a round that ended in a restart or timeout, above which the
  // round counts as congested. Random loss below it (a flaky cable, 1-2 %) costs each flow its own
  // retransmission but does not slow everyone; tail drops of an overrun queue exceed it.
  double loss_threshold = 0.05;
  // A control round: max(this, min RTT), so each has enough samples at a high rate.
  Duration round_min = 1ms;
  // Multiplicative decrease on a round whose loss fraction exceeds loss_threshold.
  double decrease_factor = 0.9;
  // The largest increase per round after start-up (with no queue at all); also the slope of the
  // delay law: each target's worth of queueing delay above the target takes this much off.
  double increase_factor = 1.05;
};

using FlowId = std::uint32_t;

struct TransmitStats {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t bytes_sent = 0;        // including header_bytes per datagram
  std::uint64_t picks = 0;             // PickNext calls that returned a flow
  std::uint64_t rotations = 0;         // DRR turn changes (the cost of PickNext)
  std::uint64_t congested_rounds = 0;  // rounds ending in a decrease
  std::uint64_t loss_rounds = 0;       // rounds whose loss fraction exceeded the threshold
  std::uint64_t rounds = 0;
};

class TransmitScheduler {
 public:
  explicit TransmitScheduler(const TransmitPolicy& policy);

  // A new flow, not ready. Ids are reused after Unregister.
  FlowId Register();
  // Removes the flow (ready or not); its id may be handed out again.
  void Unregister(FlowId flow);
  std::size_t flows() const { return flows_active_; }

  // The flow may have a datagram due now: it joins the round robin (no effect if already in it).
  void MarkReady(FlowId flow);
  // The flow picked last had nothing to send: it leaves the round robin until MarkReady.
  void OnIdle(FlowId flow);
  // The flow that should send one datagram now, or nullopt if no flow is ready or the pacing
  // rate says wait (then ask NextSendTime). The flow stays ready.
  std::optional<FlowId> PickNext(Instant now);
  // The flow sent a datagram of `payload_bytes` (UDP payload) at `now`.
  void OnSent(FlowId flow, std::size_t payload_bytes, Instant now);
  // When PickNext may next return a flow: kInstantNever when none is ready, else the pacing
  // release (at or before `now` if one may send at once).
  Instant NextSendTime() const;

  // Feedback from a flow: payload bytes newly acknowledged and, if the flow took one, an RTT
  // sample (Karn's rule is the flow's business).
  void OnAck(FlowId flow, std::uint64_t acked_bytes, std::optional<Duration> rtt_sample,
             Instant now);
  // The flow restarted a window or timed out (one event, however many datagrams it resends).
  void OnLoss(FlowId flow, Instant now);

  // The pacing rate in force (bits/s; 0: unpaced).
  std::uint64_t rate_bps() const;
  std::optional<Duration> min_rtt() const { return min_rtt_; }
  const TransmitStats& stats() const { return stats_; }
  // Bytes a flow has sent since it registered (for fairness checks and logs).
  std::uint64_t flow_bytes_sent(FlowId flow) const { return slots_[flow].bytes_sent; }

 private:
  static constexpr FlowId kNone = UINT32_MAX;
  struct Slot {
    FlowId prev = kNone;  // ring of ready flows (doubly linked, intrusive)
    FlowId next = kNone;
    std::int64_t deficit_bytes = 0;
    std::uint64_t bytes_sent = 0;
    bool in_use = false;
    bool ready = false;
  };

  void Link(FlowId flow);
  void Unlink(FlowId flow);
  void MaybeEndRound(Instant now);
  void Control(Duration elapsed);
  double RecentDelivery(double delivered_bps, Duration elapsed);
  Duration RoundLength() const;

  TransmitPolicy policy_;
  std::vector<Slot> slots_;
  std::vector<FlowId> free_;
  std::size_t flows_active_ = 0;
  FlowId head_ = kNone;        // the flow whose turn it is; the ring goes on through `next`
  bool turn_started_ = false;  // head_ already got this turn's quantum

  // Pacing.
  double rate_bps_;  // controller estimate (adaptive), before the cap
  Instant next_send_at_ = kInstantZero;

  // The current control round.
  bool startup_ = true;
  Instant round_start_ = kInstantNever;
  std::uint64_t round_sent_ = 0;  // datagrams
  std::uint64_t round_sent_payload_bytes_ = 0;
  std::uint64_t round_sent_wire_bytes_ = 0;
  std::uint64_t round_losses_ = 0;
  std::uint64_t loss_window_sent_ = 0;  // datagrams and losses since the loss fraction was judged
  std::uint64_t loss_window_losses_ = 0;
  std::uint64_t round_acked_bytes_ = 0;
  std::optional<Duration> round_min_rtt_;
  bool round_rate_limited_ = false;  // a ready flow waited for the pacing release this round
  std::optional<Duration> min_rtt_;
  struct Delivery {
    double bits = 0;
    double seconds = 0;
  };
  std::array<Delivery, 8> recent_{};  // the last rounds' acknowledged bits and lengths (ring)

  TransmitStats stats_;
};

}  // namespace stampede::server

// Retransmission timing: the RetransmitPolicy knobs and an RFC 6298-style estimator (SRTT, RTTVAR,
// Karn's rule, exponential backoff, floor and ceiling). Pure arithmetic on Durations: it never reads
// a clock; callers measure samples with the `now` values they are given.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "base/time.h"

namespace stampede::transfer {

using namespace std::chrono_literals;

struct RetransmitPolicy {
  // Before any sample. RFC 6298 says 1 s for the Internet; Stampede serves LANs where RTTs are
  // sub-millisecond and a PXE ROM gives up quickly, so 200 ms: long enough for a slow firmware's
  // first answer, short enough that one lost first packet costs little.
  Duration rto_initial = 200ms;
  // Floor. RFC 6298's 1 s floor would turn every LAN loss into a second of silence (ARCHITECTURE
  // "fixed, long timeouts"). TFTP has no delayed ACKs (the 200 ms reason for TCP's Linux floor), so
  // the floor only has to cover scheduler and firmware jitter: a few ms.
  Duration rto_min = 5ms;
  // Ceiling for the backed-off timeout: bounds the silence after a burst of losses, and with
  // retries_max below bounds the time to give up (~10 s from 200 ms: 0.4+0.8+1.6+3.2+4+4).
  Duration rto_max = 4s;
  // Consecutive timeouts without progress before giving up. RFC 7440 §6 example profile: 6 retries.
  // Progress (a new ACK, a new in-order DATA) resets the count, so slow transfers live on.
  std::uint32_t retries_max = 6;
  // Server roles only, before the peer has proven its address with a valid ACK or DATA: at most
  // this many retransmissions of the OACK / first DATA (PROTOCOL §2 item 2, R_unverified 2-3: a
  // spoofed RRQ may not turn the server into a reflector).
  std::uint32_t retries_unverified_max = 3;
  // The side sending the final ACK dallies dally_rto_factor × RTO (RFC 1350 §6, PROTOCOL E77),
  // clamped to [dally_min, dally_max]. Our own RTO may be far below the peer's backed-off one (a
  // receiver measures quick ACK→DATA turns), so the floor is generous and the ceiling is rto_max.
  std::uint32_t dally_rto_factor = 2;
  Duration dally_min = 500ms;
  Duration dally_max = 4s;
  // A Receiver only gives up when, besides retries_max timeouts in a row, nothing arrived for this
  // long: its own re-ACK timer runs on its (short) RTO while the Sender's backed-off RTO may reach
  // rto_max, so counting re-ACKs alone would abandon a live Sender. Two of the longest intervals.
  Duration receiver_idle_min = 8s;
  // Likewise a Sender whose peer has proven its address gives up only when, besides retries_max
  // timeouts in a row, no ACK has advanced for this long. On a LAN the RTO sits at rto_min, so
  // seven timeouts alone would pass in well under a second: a PXE client stalled by a busy switch
  // or a congested queue must not be abandoned that fast (PROTOCOL "Give-up rule": lack of
  // progress, bounded in attempts and time). Before verification the count alone applies, so a
  // spoofed request still costs at most 1 + retries_unverified_max packets (PROTOCOL §2).
  Duration sender_idle_min = 8s;
};

class RttEstimator {
 public:
  explicit RttEstimator(const RetransmitPolicy& policy);

  // RFC 2349 `timeout` negotiated: from now on rto() is exactly `interval`, samples and backoff are
  // ignored (the peer asked for a fixed interval).
  void SetFixed(Duration interval);

  // A measured round trip, for a packet transmitted exactly once (Karn's rule: the caller never
  // passes samples of retransmitted packets). Updates SRTT/RTTVAR per RFC 6298 §2 and clears any
  // backoff.
  void OnSample(Duration rtt);

  // The retransmission timer expired: doubles the timeout up to the ceiling (RFC 6298 §5.5).
  void OnTimeout();

  // Drops any backoff: rto() returns to SRTT + 4·RTTVAR (rto_initial before any sample). For a
  // Sender whose block sent once after its last timeout was acknowledged (sender.cc, Karn).
  void ClearBackoff();
  bool backed_off() const { return rto_ != base_rto_; }
  // rto() without backoff: SRTT + 4·RTTVAR within the floor and ceiling (rto_initial before any
  // sample, the interval when fixed).
  Duration base_rto() const { return base_rto_; }

  // The timeout to arm now: backed-off RTO, clamped to [rto_min, rto_max].
  Duration rto() const { return rto_; }
  std::optional<Duration> srtt() const;
  Duration rttvar() const { return rttvar_; }
  std::uint64_t samples() const { return samples_; }
  bool fixed() const { return fixed_; }

 private:
  Duration Clamp(Duration d) const;

  Duration rto_min_;
  Duration rto_max_;
  Duration srtt_{0};
  Duration rttvar_{0};
  Duration rto_;
  Duration base_rto_;  // rto_ without backoff
  std::uint64_t samples_ = 0;
  bool fixed_ = false;
};

}  // namespace stampede::transfer

// The Sender state machine (sender.h): DATA windows out, ACKs in. Never touches sockets, files or
// clocks. Transitions (details and reasons in docs/transfer.md):
//
//   phase        event                         action                              next phase
//   ----------   ---------------------------   ---------------------------------   ------------
//   RequestSent  OACK accepted (client)        settle options, send DATA 1..       Data
//   RequestSent  OACK refused (H65-69)         queue ERROR 8/3                     Closing
//   RequestSent  ACK 0 (client)                send DATA 1..                       Data
//   OackSent     ACK 0 (server)                send DATA 1..                       Data
//   OackSent     ERROR 0/8 (server, E42)       status probe                        Done
//   Data         ACK k, acked < k <= sent      advance; gap below sent: restart    Data
//   Data         ACK of the final block        status complete                     Done
//   Data         duplicate/stale/unsent ACK    count only (E37, E38)               Data
//   any          ERROR from peer               status failed, never answered       Done
//   any          timeout, budget left          back off, resend from last ACK      same
//   any          timeout, budget spent         failed / complete-unconfirmed (E45) Done
//   Closing      ERROR written by PollTransmit                                     Done
#include "transfer/sender.h"

#include <algorithm>

#include "base/check.h"
#include "transfer/control_packets.h"

namespace stampede::transfer {
namespace {

using wire::BlockIndex;

BlockIndex Next(BlockIndex b) { return BlockIndex{b.value + 1}; }

constexpr int kPaceFallFactor = 2;

// Pacing finer than a wake-up is not pacing: a DATA released every few microseconds costs a timer
// wake-up and a system call of its own, and goes out alone where a burst leaves as one GSO message.
// On one loopback stream whose window the delay signal had cut below the negotiated one, the pace
// was about 1 us per block and the server sent 63,000 times for 71,000 blocks. So when the interval
// is under kPacingFinest (5 us, 2.3 Gbit/s at 1468 bytes: about what one wake-up and one send
// cost), the blocks due within the quantum after the due one leave with it, and the schedule
// keeps its average rate (each release counts from the scheduled time, not from now). Coarser
// paces stay exact: they are what keeps a storm's windows from filling a switch port's queue, and
// there (bench/sim) bursts of a quantum raised retransmissions by half.
constexpr Duration kPacingQuantum = std::chrono::microseconds(250);
constexpr Duration kPacingFinest = std::chrono::microseconds(5);

}  // namespace

Sender::Sender(const SenderConfig& config, BlockSource& source)
    : role_(config.role),
      mode_(config.mode),
      phase_(Phase::kData),
      options_(config.role == Role::kServer ? config.options : TransferOptions{}),
      policy_(config.retransmit),
      window_policy_(config.window),
      source_(&source),
      rtt_(config.retransmit),
      window_(config.window, options_.windowsize) {
  if (role_ == Role::kClient) {
    phase_ = Phase::kRequestSent;
    if (!internal::BuildRequest(control_packet_, wire::Opcode::kWrq, mode_, config.request)) {
      Fail(TransferError::Origin::kLocal, wire::ErrorCode::kIllegalOperation, "Request too long");
      control_due_ = false;  // nothing was ever sent, so there is no peer to tell
      phase_ = Phase::kDone;
      return;
    }
    control_due_ = true;
  } else {
    SettleOptions();
    if (!config.oack.empty()) {
      internal::BuildOack(control_packet_, config.oack);
      phase_ = Phase::kOackSent;
      control_due_ = true;
    }
  }
  stats_.rto_current = rtt_.rto();
  pace_rtt_ = policy_.rto_min;  // a server opening with DATA 1 starts without StartData()
}

void Sender::SettleOptions() {
  window_ = WindowControl(window_policy_, options_.windowsize);
  stats_.window_blocks = window_.window_blocks();
  if (options_.fixed_timeout) rtt_.SetFixed(*options_.fixed_timeout);
  if (mode_ == wire::Mode::kNetascii) {
    netascii_ = std::make_unique<NetasciiState>();
    const std::size_t slots = std::max<std::size_t>(options_.windowsize, 1);
    netascii_->window_bytes.resize(slots * options_.blksize);
    netascii_->block_sizes.resize(slots);
    netascii_->raw.resize(options_.blksize);
  }
}

void Sender::OnPacket(std::span<const std::byte> datagram, Instant now) {
  if (phase_ == Phase::kDone || phase_ == Phase::kClosing) {
    ++stats_.ignored_packets;
    return;
  }
  const auto parsed = wire::Parse(datagram);
  if (!parsed) {
    ++stats_.ignored_packets;  // malformed: dropped, and never worth an answer mid-transfer
    return;
  }
  if (const auto* ack = std::get_if<wire::Ack>(&*parsed)) {
    const std::uint64_t duplicates_before = stats_.duplicate_acks;
    const bool due_before = HasDataDue(now);
    HandleAck(ack->block, now);
    // Tripwire for the simulator's invariant: a duplicate ACK must not make DATA sendable (E37).
    if (stats_.duplicate_acks != duplicates_before && !due_before && HasDataDue(now)) {
      ++stats_.sends_caused_by_duplicate_ack;
    }
  } else if (const auto* oack = std::get_if<wire::Oack>(&*parsed)) {
    HandleOack(*oack, now);
  } else if (const auto* error = std::get_if<wire::Error>(&*parsed)) {
    HandleError(*error);
  } else {
    ++stats_.ignored_packets;  // DATA or a request: not ours to act on
  }
}

void Sender::HandleAck(wire::WireBlock wire_block, Instant now) {
  ++stats_.acks_received;
  if (phase_ == Phase::kRequestSent || phase_ == Phase::kOackSent) {
    if (wire_block != 0) {
      ++stats_.ignored_acks;
      return;
    }
    if (phase_ == Phase::kRequestSent) SettleOptions();  // RFC 1350 start: defaults apply
    SampleOpening(now);
    peer_verified_ = true;
    timeouts_in_a_row_ = 0;
    last_progress_at_ = now;
    StartData(now);
    return;
  }
  const BlockIndex reference{acked_.value + (highest_sent_.value - acked_.value) / 2};
  const BlockIndex k = wire::FromWire(wire_block, reference, options_.rollover);
  if (k < acked_ || k > highest_sent_ || (k == acked_ && !peer_verified_)) {
    ++stats_.ignored_acks;  // stale, never sent, or ACK 0 without an OACK (E38)
    return;
  }
  if (k == acked_) {
    ++stats_.duplicate_acks;  // RFC 1123 §4.2.3.1: never a reason to send (E37)
    return;
  }
  peer_verified_ = true;
  timeouts_in_a_row_ = 0;
  last_progress_at_ = now;
  const bool queue_standing = SampleWindowEnd(k, now);
  if (rtt_.backed_off() && (k > sent_at_timeout_ || (gap_restart_ && k >= *gap_restart_))) {
    // Block k was first sent after our last timeout, so it was sent once and this ACK answers it
    // (Karn's algorithm keeps the backoff until data sent once is acknowledged; RFC 6298 waits
    // for that ACK's sample). Under loss the timed window end is rarely sampled (any restart
    // cancels it), and a backoff kept until then only grew: seconds of silence for each lost
    // first block of a window (its gap ACK repeats acked_ and, as a duplicate, may not trigger a
    // resend: E37).
    // Or k is at or past the restart of a gap ACK that came after our timeout (gap_restart_): that
    // ACK said the receiver lacked the block and, keeping no out-of-order blocks, had discarded
    // every later one, so an ACK past it answers blocks sent after the timeout. The same evidence
    // as above, reached by go-back-N in a few blocks instead of a whole window: at 30 % loss each
    // way the ACK of a block past the pre-timeout window almost never came before the next
    // timeout, and the RTO stayed at the 4 s ceiling (loss_pattern_test.cc).
    rtt_.ClearBackoff();
    stats_.rto_current = rtt_.rto();
    gap_restart_.reset();
  }
  const bool window_completed =
      k.value == acked_.value + options_.windowsize || (final_block_ && k == *final_block_);
  acked_ = k;
  stats_.blocks_transferred = k.value;
  stats_.bytes_transferred =
      (k.value - 1) * options_.blksize +
      ((final_block_ && k == *final_block_) ? final_size_bytes_ : options_.blksize);
  if (final_block_ && k == *final_block_) {
    Finish(TransferStatus::kComplete);
    return;
  }
  if (queue_standing && acked_ >= recovery_end_) {
    window_.OnQueueDelay();  // back off before the queue overflows (WindowPolicy)
    recovery_end_ = highest_sent_;
    round_clean_ = false;
  }
  if (next_ > Next(k)) {
    // The receiver saw a gap and acknowledged its last in-order block (RFC 7440 §4). Restart from
    // there unless that block was already sent again since the last restart: an ACK that predates
    // our restart must not start another (EDK2 storm, PROTOCOL §1 "dampen repeated restarts").
    if (Next(k) > resent_through_ || GapAckIsFresh(now)) {
      // A gap ACK sent a round trip after our timeout speaks of the blocks resent since.
      if (rtt_.backed_off() && !gap_restart_ && now - timeout_at_ > RoundTrip()) {
        gap_restart_ = Next(k);
      }
      SignalCongestion();
      RestartFrom(Next(k), now);
    }
  } else {
    next_ = Next(k);
    // Only a whole receiver window grows the window: an ACK inside one is the peer's timeout
    // re-ACK (a sign of trouble), not a clean round.
    if (k == highest_sent_ && window_completed) {
      if (round_clean_) window_.OnCleanWindow(options_.windowsize);
      round_clean_ = true;
    }
  }
  stats_.window_blocks = window_.window_blocks();
  release_at_ = now;  // the ACK is the clock: a new receiver window opens at once
  ArmTimer(now);
}

void Sender::HandleOack(const wire::Oack& oack, Instant now) {
  if (phase_ != Phase::kRequestSent) {
    ++stats_.ignored_packets;  // a server repeating its OACK: our timer resends DATA 1
    return;
  }
  const auto accepted =
      AcceptOack(internal::RequestedOptions(control_packet_), oack, UINT64_MAX);
  if (!accepted) {
    Fail(TransferError::Origin::kLocal, accepted.error(),
         accepted.error() == wire::ErrorCode::kOptionRefused ? "Option refused"
                                                             : wire::StandardMessage(accepted.error()));
    return;
  }
  options_ = *accepted;
  SettleOptions();
  SampleOpening(now);
  peer_verified_ = true;
  timeouts_in_a_row_ = 0;
  last_progress_at_ = now;
  StartData(now);  // RFC 2347: a WRQ's OACK is answered with DATA 1
}

void Sender::HandleError(const wire::Error& error) {
  const bool probe = role_ == Role::kServer && phase_ == Phase::kOackSent &&
                     (error.code == wire::ErrorCode::kNotDefined ||
                      error.code == wire::ErrorCode::kOptionRefused);
  stats_.error.origin = TransferError::Origin::kPeer;
  stats_.error.code = error.code;
  stats_.error.SetMessage(error.message);
  // Never answer an ERROR (PROTOCOL §2 item 6). After our OACK, ERROR 0/8 is a PXE tsize probe
  // or an option refusal: a normal end, not a failure (E42; RFC 2347).
  Finish(probe ? TransferStatus::kProbe : TransferStatus::kFailed);
}

void Sender::StartData(Instant now) {
  phase_ = Phase::kData;
  acked_ = BlockIndex{0};
  next_ = BlockIndex{1};
  release_at_ = now;
  // Until a window has been timed, rto_min stands in for the round trip: the handshake's sample
  // crossed an empty queue, but a storm's first windows share a queue that may be 8 ms deep.
  pace_rtt_ = std::max(rtt_.srtt().value_or(policy_.rto_min), policy_.rto_min);
  ArmTimer(now);
}

void Sender::Fail(TransferError::Origin origin, wire::ErrorCode code, std::string_view message) {
  stats_.error.origin = origin;
  stats_.error.code = code;
  stats_.error.SetMessage(message);
  stats_.status = TransferStatus::kFailed;
  deadline_ = kInstantNever;
  if (origin == TransferError::Origin::kLocal) {
    internal::BuildError(control_packet_, code, message);
    control_due_ = true;
    phase_ = Phase::kClosing;
  } else {
    control_due_ = false;
    phase_ = Phase::kDone;
  }
}

void Sender::Finish(TransferStatus status) {
  stats_.status = status;
  phase_ = Phase::kDone;
  control_due_ = false;
  deadline_ = kInstantNever;
}

bool Sender::GapAckIsFresh(Instant now) const {
  // The receiver saw the first block of our last restart about one round trip after it, so a gap
  // ACK arriving later answers the restarted stream (a resent block was lost again) and must
  // restart it, or the window waits for a timeout. Earlier ones predate the restart (damped).
  return now - restart_at_ > RoundTrip();
}

Duration Sender::RoundTrip() const {
  return rtt_.srtt().value_or(pace_rtt_) + 4 * rtt_.rttvar();
}

void Sender::RestartFrom(BlockIndex next, Instant now) {
  next_ = next;
  restart_at_ = now;
  resent_through_ = BlockIndex{next.value - 1};
  timed_block_.reset();  // Karn's rule: nothing in flight may be timed any more
  ++stats_.window_restarts;
}

void Sender::OnTimer(Instant now) {
  if (phase_ == Phase::kDone || phase_ == Phase::kClosing || now < deadline_) return;
  // Blocks of the receiver window still wait for their pacing release: the peer cannot ACK the
  // window before it has all of it (RFC 7440 §3), so we are not waiting for it and nothing has
  // timed out. PollTransmit sends the released block and re-arms the timer.
  if (WindowHasUnsent()) return;
  ++stats_.timeouts;
  ++timeouts_in_a_row_;
  const std::uint32_t budget = (role_ == Role::kServer && !peer_verified_)
                                   ? policy_.retries_unverified_max
                                   : policy_.retries_max;
  const bool idle_long_enough =
      !peer_verified_ || now - last_progress_at_ >= policy_.sender_idle_min;
  if (timeouts_in_a_row_ > budget && idle_long_enough) {
    const bool final_sent = final_block_ && highest_sent_ >= *final_block_ && peer_verified_;
    if (final_sent) {
      Finish(TransferStatus::kCompleteUnconfirmed);  // E45: distinct from failure
    } else {
      Fail(TransferError::Origin::kTimeout, wire::ErrorCode::kNotDefined, "Timed out");
    }
    return;
  }
  rtt_.OnTimeout();
  stats_.rto_current = rtt_.rto();
  switch (phase_) {
    case Phase::kRequestSent:
    case Phase::kOackSent:
      control_due_ = true;
      // Karn's rule from the timeout on, not from the resend: when the resend waits (a server-wide
      // scheduler), an ACK arriving meanwhile would time the first copy and read the RTO as RTT.
      opening_sent_at_.reset();
      break;
    case Phase::kData:
      sent_at_timeout_ = highest_sent_;
      timeout_at_ = now;
      gap_restart_.reset();
      window_.OnTimeout();  // every timeout, even within a flight: it also re-probes the receiver
      recovery_end_ = highest_sent_;
      round_clean_ = false;
      stats_.window_blocks = window_.window_blocks();
      RestartFrom(Next(acked_), now);  // RFC 7440 §4: resend from the last acknowledged block
      release_at_ = now;
      break;
    case Phase::kClosing:
    case Phase::kDone:
      break;
  }
  ArmTimer(now);
}

std::optional<std::size_t> Sender::PollTransmit(std::span<std::byte> buf, Instant now) {
  if (phase_ == Phase::kDone) return std::nullopt;
  if (control_due_) {
    control_due_ = false;
    const std::size_t n = internal::CopyOut(buf, control_packet_);
    ++stats_.control_sent;
    if (phase_ == Phase::kClosing) {
      phase_ = Phase::kDone;
    } else {
      // Karn's rule: only an opening packet sent once yields a sample.
      opening_sent_at_ = stats_.control_sent == 1 ? std::optional<Instant>(now) : std::nullopt;
      ArmTimer(now);
    }
    return n;
  }
  if (!HasDataDue(now)) return std::nullopt;
  return WriteDataBlock(buf, now);
}

bool Sender::WindowHasUnsent() const {
  if (phase_ != Phase::kData) return false;
  if (next_.value > acked_.value + options_.windowsize) return false;
  return !(final_block_ && next_ > *final_block_);
}

bool Sender::HasDataDue(Instant now) const {
  if (!WindowHasUnsent()) return false;
  const bool too_fine = PacingInterval() < kPacingFinest;
  return now >= (too_fine ? release_at_ - kPacingQuantum : release_at_);
}

std::optional<std::size_t> Sender::WriteDataBlock(std::span<std::byte> buf, Instant now) {
  STAMPEDE_CHECK(buf.size() >= wire::kDataHeaderBytes + options_.blksize);
  const BlockIndex block = next_;
  const auto payload = buf.subspan(wire::kDataHeaderBytes, options_.blksize);
  const auto filled = mode_ == wire::Mode::kNetascii ? FillNetasciiBlock(payload, block)
                                                     : FillOctetBlock(payload, block);
  if (!filled) return PollTransmit(buf, now);  // Fail() queued an ERROR; send it instead
  const std::size_t size = *filled;
  if (size < options_.blksize && !final_block_) {
    final_block_ = block;  // RFC 1350 §6: a short (or empty) block ends the transfer
    final_size_bytes_ = size;
  }
  wire::WriteDataHeader(buf, wire::ToWire(block, options_.rollover));
  ++stats_.data_sent;
  if (block <= highest_sent_) {
    ++stats_.data_retransmitted;
    resent_through_ = std::max(resent_through_, block);
  } else {
    highest_sent_ = block;
    const bool window_end = block.value == acked_.value + options_.windowsize ||
                            (final_block_ && block == *final_block_);
    if (!timed_block_ && window_end) {
      timed_block_ = block;
      timed_sent_at_ = now;
    }
  }
  next_ = Next(block);
  release_at_ = std::max(release_at_, now) + PacingInterval();
  ArmTimer(now);
  return wire::kDataHeaderBytes + size;
}

std::optional<std::size_t> Sender::FillOctetBlock(std::span<std::byte> payload, BlockIndex block) {
  const auto read = source_->ReadAt((block.value - 1) * options_.blksize, payload);
  if (!read) {
    Fail(TransferError::Origin::kLocal, ToWireError(read.error()), ToMessage(read.error()));
    return std::nullopt;
  }
  return *read;
}

std::optional<std::size_t> Sender::FillNetasciiBlock(std::span<std::byte> payload,
                                                     BlockIndex block) {
  NetasciiState& s = *netascii_;
  const std::size_t slots = s.block_sizes.size();
  const std::size_t slot = static_cast<std::size_t>((block.value - 1) % slots);
  const auto stored = std::span(s.window_bytes).subspan(slot * options_.blksize, options_.blksize);
  if (block > s.encoded_through) {
    STAMPEDE_CHECK(block == Next(s.encoded_through));  // the encoded stream is sequential
    std::size_t produced = 0;
    while (produced < stored.size()) {
      if (s.raw_pos == s.raw_len && !s.encoder.has_pending()) {
        if (s.source_eof) break;
        const auto read = source_->ReadAt(s.source_offset, s.raw);
        if (!read) {
          Fail(TransferError::Origin::kLocal, ToWireError(read.error()), ToMessage(read.error()));
          return std::nullopt;
        }
        s.source_offset += *read;
        s.raw_pos = 0;
        s.raw_len = *read;
        s.source_eof = *read < s.raw.size();
        continue;
      }
      const auto in = std::span<const std::byte>(s.raw).subspan(s.raw_pos, s.raw_len - s.raw_pos);
      const auto progress = s.encoder.Encode(in, stored.subspan(produced));
      s.raw_pos += progress.consumed;
      produced += progress.produced;
    }
    s.block_sizes[slot] = static_cast<std::uint32_t>(produced);
    s.encoded_through = block;
  }
  const std::size_t size = s.block_sizes[slot];
  std::copy_n(stored.begin(), size, payload.begin());
  return size;
}

void Sender::ArmTimer(Instant now) { deadline_ = now + rtt_.rto(); }

bool Sender::SampleWindowEnd(BlockIndex k, Instant now) {
  if (!timed_block_ || k < *timed_block_) return false;
  // Karn: timed blocks were sent exactly once. But the ACK may not be: when the receiver's ACK of
  // the window was lost, its timer resends it, and that re-ACK (after the receiver's RTO, backed
  // off to seconds under loss) looks like a round trip. Only a backed-off timer lets an ACK arrive
  // later than the RTO in force, so a sample is limited to twice that RTO: a real increase still
  // raises the estimate quickly, a late re-ACK cannot inflate SRTT (and the pacing that follows
  // it) by orders of magnitude.
  const Duration measured = now - timed_sent_at_;
  timed_block_.reset();
  // Before any sample the RTO is rto_initial, a guess made for the first packets (200 ms), not a
  // measure of the path, and twice it bounds nothing: such a late ACK is then no sample at all.
  // Read as the first sample, a Receiver's re-ACK (0.32 s after the block, its backed-off timer)
  // became SRTT on a sub-millisecond path: the RTO near a second, a gap-ACK damping window as
  // long, and the pacing one block per 0.32 s once a timeout had cut the effective window to one
  // block; only clean window samples lower them, and the same loss makes those rare (0.9^16 =
  // 19 % at 10 % loss, and any restart cancels the timing). A 256 KiB upload at 10 % loss took
  // 88 s instead of about 1 s. It happens when the opening was not timed (a repeated request,
  // Karn). After a sample, the RTO in force tracks the path and the cap above applies.
  if (rtt_.samples() == 0 && rtt_.backed_off() && measured > rtt_.base_rto()) return false;
  const Duration sample = std::min(measured, 2 * rtt_.base_rto());
  RecordSample(sample);
  // The pacing round trip follows SRTT up at once but falls at most by half per window, so one
  // window's sample cannot multiply every flow's rate at the same moment (a synchronised storm
  // would then overflow the queue before the next window's feedback).
  pace_rtt_ = std::max(rtt_.srtt().value_or(sample), pace_rtt_ / kPaceFallFactor);
  data_min_rtt_ = std::min(data_min_rtt_.value_or(sample), sample);
  const Duration target = std::max(window_policy_.queue_delay_target_min, *data_min_rtt_);
  return window_policy_.adaptive && sample - *data_min_rtt_ > target;
}

void Sender::SignalCongestion() {
  // One decrease per flight of data: a burst of losses (or of late ACKs) is one congestion event.
  if (acked_ >= recovery_end_) {
    window_.OnLoss();
    recovery_end_ = highest_sent_;
  }
  round_clean_ = false;
}

void Sender::SampleOpening(Instant now) {
  // RFC 6298 §2 times the handshake too (Karn's rule: only an opening sent once), so a DATA block
  // lost in the first window costs an RTO near the path's, not rto_initial.
  // An answer arriving once our deadline has passed, before the timer was serviced, is no sample
  // either (Karn's rule holds from the timeout, not from the resend): both ends start at the same
  // rto_initial, so it is typically the peer's own timer resend of an answer that was lost (a
  // server's OACK after 200 ms), and as the first sample it set SRTT and the pacing to 0.2 s on a
  // sub-millisecond path (a 256 KiB upload at 10 % loss took 66 s; bench/loss/results.md). Window
  // ACKs keep their limited samples (SampleWindowEnd): their deadline is the RTO floor of a few
  // ms, which a descheduled process overruns, and those samples teach the RTO that it must.
  if (opening_sent_at_ && now < deadline_) RecordSample(now - *opening_sent_at_);
  opening_sent_at_.reset();
}

void Sender::RecordSample(Duration rtt) {
  rtt_.OnSample(rtt);
  ++stats_.rtt_samples;
  stats_.rtt_latest = rtt;  // a server-wide scheduler reads queueing delay from raw samples
  stats_.rto_current = rtt_.rto();
  if (const auto srtt = rtt_.srtt()) stats_.srtt = *srtt;
}

Duration Sender::PacingInterval() const {
  // The effective window limits blocks per round trip as a TCP window would, but an RFC 7440
  // receiver only ACKs at the negotiated window boundary, so within a receiver window there is no
  // ACK clock: the blocks are spread evenly, pace_rtt_ / effective window apart.
  // At the full window the receiver's ACK already limits it to a window per round trip.
  const std::uint16_t effective = window_.window_blocks();
  if (!window_policy_.adaptive || effective >= window_.negotiated_blocks()) return Duration{0};
  return pace_rtt_ / effective;
}

Instant Sender::NextDeadline() const {
  if (phase_ == Phase::kDone) return kInstantNever;
  // The wake-up is at the next block's own release time; under a too-fine pace what falls due
  // within the quantum after it then leaves with it (HasDataDue).
  return WindowHasUnsent() ? release_at_ : deadline_;
}

bool Sender::finished() const { return phase_ == Phase::kDone; }

std::size_t Sender::MaxDatagramBytes() const {
  return std::max<std::size_t>(wire::kDataHeaderBytes + options_.blksize, wire::kRequestMaxBytes);
}

}  // namespace stampede::transfer

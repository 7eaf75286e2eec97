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
  burst_left_ = window_.window_blocks();
  stats_.rto_current = rtt_.rto();
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
    peer_verified_ = true;
    timeouts_in_a_row_ = 0;
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
  if (timed_block_ && k >= *timed_block_) {
    rtt_.OnSample(now - timed_sent_at_);  // Karn: timed blocks were sent exactly once
    timed_block_.reset();
    ++stats_.rtt_samples;
    stats_.rto_current = rtt_.rto();
    if (const auto srtt = rtt_.srtt()) stats_.srtt = *srtt;
  }
  acked_ = k;
  stats_.blocks_transferred = k.value;
  stats_.bytes_transferred =
      (k.value - 1) * options_.blksize +
      ((final_block_ && k == *final_block_) ? final_size_bytes_ : options_.blksize);
  if (final_block_ && k == *final_block_) {
    Finish(TransferStatus::kComplete);
    return;
  }
  if (next_ > Next(k)) {
    // The receiver saw a gap and acknowledged its last in-order block (RFC 7440 §4). Restart from
    // there unless that block was already sent again since the last restart: an ACK that predates
    // our restart must not start another (EDK2 storm, PROTOCOL §1 "dampen repeated restarts").
    if (Next(k) > resent_through_) {
      if (k >= recovery_end_) {
        window_.OnLoss();
        recovery_end_ = highest_sent_;
      }
      round_clean_ = false;
      RestartFrom(Next(k));
    }
  } else {
    next_ = Next(k);
    if (k == highest_sent_) {
      if (round_clean_) window_.OnCleanWindow();
      round_clean_ = true;
    }
  }
  stats_.window_blocks = window_.window_blocks();
  burst_left_ = window_.window_blocks();  // the ACK clocks out a new burst
  ArmTimer(now);
}

void Sender::HandleOack(const wire::Oack& oack, Instant now) {
  if (phase_ != Phase::kRequestSent) {
    ++stats_.ignored_packets;  // a server repeating its OACK: our timer resends DATA 1
    return;
  }
  const auto accepted =
      AcceptOack(internal::RequestedOptions(control_packet_), oack.options, UINT64_MAX);
  if (!accepted) {
    Fail(TransferError::Origin::kLocal, accepted.error(),
         accepted.error() == wire::ErrorCode::kOptionRefused ? "Option refused"
                                                             : wire::StandardMessage(accepted.error()));
    return;
  }
  options_ = *accepted;
  SettleOptions();
  peer_verified_ = true;
  timeouts_in_a_row_ = 0;
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
  burst_left_ = window_.window_blocks();
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

void Sender::RestartFrom(BlockIndex next) {
  next_ = next;
  resent_through_ = BlockIndex{next.value - 1};
  timed_block_.reset();  // Karn's rule: nothing in flight may be timed any more
  ++stats_.window_restarts;
}

void Sender::OnTimer(Instant now) {
  if (phase_ == Phase::kDone || phase_ == Phase::kClosing || now < deadline_) return;
  ++stats_.timeouts;
  ++timeouts_in_a_row_;
  const std::uint32_t budget = (role_ == Role::kServer && !peer_verified_)
                                   ? policy_.retries_unverified_max
                                   : policy_.retries_max;
  if (timeouts_in_a_row_ > budget) {
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
      break;
    case Phase::kData:
      if (acked_ >= recovery_end_) {
        window_.OnLoss();
        recovery_end_ = highest_sent_;
      }
      round_clean_ = false;
      stats_.window_blocks = window_.window_blocks();
      RestartFrom(Next(acked_));  // RFC 7440 §4: resend from the last acknowledged block
      burst_left_ = window_.window_blocks();
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
      last_send_at_ = now;
      ArmTimer(now);
    }
    return n;
  }
  if (phase_ != Phase::kData) return std::nullopt;
  if (burst_left_ == 0 && now >= burst_release_at_) burst_left_ = window_.window_blocks();
  if (!HasDataDue(now)) return std::nullopt;
  return WriteDataBlock(buf, now);
}

bool Sender::HasDataDue(Instant now) const {
  if (phase_ != Phase::kData) return false;
  if (next_.value > acked_.value + options_.windowsize) return false;
  if (final_block_ && next_ > *final_block_) return false;
  return burst_left_ > 0 || now >= burst_release_at_;
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
  last_send_at_ = now;
  if (burst_left_ > 0 && --burst_left_ == 0) burst_release_at_ = now + PacingGap();
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

Duration Sender::PacingGap() const {
  // Sub-bursts of one receiver window are spread one smoothed RTT apart, so the effective window
  // limits blocks per round trip as a TCP window would, while the receiver still ACKs at the
  // negotiated window boundary (RFC 7440 receivers cannot know our effective window).
  const auto srtt = rtt_.srtt();
  return std::max(srtt ? *srtt : policy_.rto_min, policy_.rto_min);
}

Instant Sender::NextDeadline() const {
  if (phase_ == Phase::kDone) return kInstantNever;
  Instant deadline = deadline_;
  if (phase_ == Phase::kData && burst_left_ == 0 &&
      next_.value <= acked_.value + options_.windowsize &&
      !(final_block_ && next_ > *final_block_)) {
    deadline = std::min(deadline, burst_release_at_);
  }
  return deadline;
}

bool Sender::finished() const { return phase_ == Phase::kDone; }

std::size_t Sender::MaxDatagramBytes() const {
  return std::max<std::size_t>(wire::kDataHeaderBytes + options_.blksize, wire::kRequestMaxBytes);
}

}  // namespace stampede::transfer

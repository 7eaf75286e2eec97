// The Receiver state machine (receiver.h): DATA in, ACKs out, bytes to the sink in order and once.
// Never touches sockets, files or clocks. Transitions (details in docs/transfer.md):
//
//   phase        event                          action                               next phase
//   ----------   ----------------------------   ----------------------------------   ----------
//   RequestSent  OACK accepted (client)         settle options, ACK 0                Data
//   RequestSent  OACK refused (H65-69)          queue ERROR 8/3                      Closing
//   RequestSent  DATA 1 (no OACK: defaults)     as Data below                        Data
//   Data         DATA expected, full           write, ACK at window end             Data
//   Data         DATA expected, short (final)   write, commit, final ACK             Dallying
//   Data         DATA after a gap, in window    ACK last in-order once per gap       Data
//   Data         duplicate DATA (F52)           re-ACK once per retransmitted round  Data
//   Data         DATA 0 / beyond window (F53)   count only                           Data
//   Data         DATA > blksize (H71 / F51)     client: count; server: ERROR 4       Data/Closing
//   Data         size past tsize or max (H72)   queue ERROR 3                        Closing
//   Data         final DATA short of tsize      queue ERROR 0, never commit          Closing
//   Dallying     final DATA again (E77)         final ACK again                      Dallying
//                (short after a transfer with (almost) no loss when clean_dally is set)
//   Dallying     dally timer                    -                                    Done
//   any          ERROR from peer                failed, never answered               Done
//   any          timeout, budget left           back off, resend request/OACK/ACK    same
//   any          timeout, budget spent          failed (timeout)                     Done
#include "transfer/receiver.h"

#include <algorithm>

#include "base/check.h"
#include "transfer/control_packets.h"

namespace stampede::transfer {
namespace {

using wire::BlockIndex;

}  // namespace

Receiver::Receiver(const ReceiverConfig& config, BlockSink& sink)
    : role_(config.role),
      mode_(config.mode),
      phase_(Phase::kData),
      options_(config.role == Role::kServer ? config.options : TransferOptions{}),
      policy_(config.retransmit),
      sink_(&sink),
      rtt_(config.retransmit),
      size_max_bytes_(config.size_max_bytes),
      clean_dally_(config.clean_dally) {
  if (role_ == Role::kClient) {
    phase_ = Phase::kRequestSent;
    if (!internal::BuildRequest(control_packet_, wire::Opcode::kRrq, mode_, config.request)) {
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
      control_due_ = true;
    } else {
      ack_due_ = BlockIndex{0};  // RFC 1350: a WRQ is acknowledged with ACK 0
      ack_timed_ = true;         // and ACK 0 → DATA 1 is a round trip (a resend clears this)
    }
  }
  stats_.rto_current = rtt_.rto();
}

void Receiver::SettleOptions() {
  if (options_.fixed_timeout) rtt_.SetFixed(*options_.fixed_timeout);
  stats_.window_blocks = options_.windowsize;
  // NetasciiDecoder needs in.size() + 1 bytes; one more for Finish() after the final block.
  if (mode_ == wire::Mode::kNetascii) decoded_.resize(std::size_t{options_.blksize} + 2);
}

void Receiver::OnPacket(std::span<const std::byte> datagram, Instant now) {
  if (phase_ == Phase::kDone || phase_ == Phase::kClosing) {
    ++stats_.ignored_packets;
    return;
  }
  const auto parsed = wire::Parse(datagram);
  if (!parsed) {
    ++stats_.ignored_packets;
    return;
  }
  if (const auto* data = std::get_if<wire::Data>(&*parsed)) {
    HandleData(*data, now);
  } else if (const auto* oack = std::get_if<wire::Oack>(&*parsed)) {
    HandleOack(*oack, now);
  } else if (const auto* error = std::get_if<wire::Error>(&*parsed)) {
    HandleError(*error);
  } else {
    ++stats_.ignored_packets;
  }
}

void Receiver::HandleData(const wire::Data& data, Instant now) {
  ++stats_.data_received;
  if (phase_ == Phase::kRequestSent) {
    // Only a proper DATA 1 starts an option-less transfer (H70: DATA 0 at start is ignored).
    if (data.payload.size() > options_.blksize) {
      ++stats_.oversize_data;  // H71
      return;
    }
    if (data.block != 1) {
      ++stats_.out_of_window_data;
      return;
    }
    SettleOptions();  // DATA 1 without OACK: RFC 1350 defaults (H67: blksize 512)
    phase_ = Phase::kData;
    if (opening_timed_) {
      // Without options no ACK is timed before DATA 1, and a one-block file would otherwise end on
      // the initial RTO: the request, sent once (Karn), and its answer are a round trip too.
      RecordSample(now - opening_sent_at_);
      opening_timed_ = false;
    }
  }
  const BlockIndex k = wire::FromWire(data.block, expected_, options_.rollover);
  if (phase_ == Phase::kDallying) {
    if (k.value + 1 == expected_.value) {
      ++stats_.duplicate_data;
      QueueAck(k, now);  // RFC 1350 §6: the final ACK was lost; answer the repeat (E77)
    } else {
      ++stats_.ignored_packets;
    }
    return;
  }
  if (data.payload.size() > options_.blksize) {
    ++stats_.oversize_data;
    // A server taking a WRQ aborts (F51, policy); a client discards and waits for a good one
    // (H71, curl CVE-2019-5436). Never write beyond the block either way.
    if (role_ == Role::kServer) {
      Fail(TransferError::Origin::kLocal, wire::ErrorCode::kIllegalOperation,
           "Block larger than blksize");
    }
    return;
  }
  if (k.value == 0 || k.value > last_ack_sent_.value + options_.windowsize) {
    ++stats_.out_of_window_data;  // F53, H70 (iPXE 6711ce18a, GRUB 28f4b8d59)
    return;
  }
  if (k < expected_) {
    ++stats_.duplicate_data;
    // F52: re-ACK, never rewrite. One re-ACK per retransmitted round (a round restarts at a block
    // not above the last duplicate), so a resent window of W blocks draws one ACK, not W.
    if (last_duplicate_.value == 0 || k <= last_duplicate_) {
      QueueAck(BlockIndex{expected_.value - 1}, now);
    }
    last_duplicate_ = k;
    return;
  }
  if (k > expected_) {
    ++stats_.out_of_order_data;
    if (!peer_verified_) {
      // A peer sends DATA only once our OACK or ACK 0 has reached it, so DATA 2 proves the return
      // path as well as DATA 1 would. Left unverified after a lost OACK and a lost DATA 1, an
      // upload's server gave up after the few repeats an unverified peer gets (about 1.2 s; one
      // windowed put in 30 at 10 % loss), and the client then resent into a closed session.
      peer_verified_ = true;
      last_progress_at_ = now;
    }
    if (!gap_acked_) {  // RFC 7440 §4: ACK the last in-order block, once per gap
      gap_acked_ = true;
      ++stats_.gap_acks_sent;
      QueueAck(BlockIndex{expected_.value - 1}, now);
      gap_ack_due_ = true;
    }
    return;
  }
  AcceptInOrder(data, now);
}

void Receiver::AcceptInOrder(const wire::Data& data, Instant now) {
  peer_verified_ = true;
  timeouts_in_a_row_ = 0;
  last_progress_at_ = now;
  if (ack_timed_ && expected_.value == last_ack_sent_.value + 1) {
    // Karn: only ACKs sent once are timed. But the DATA may be the Sender's timeout resend (our
    // ACK was lost, the resent block opens the next window just as the answer would), so the
    // sample may be the Sender's RTO: as in the Sender (sender.cc), at most twice our RTO, or the
    // two ends' timers inflate each other through such samples.
    RecordSample(std::min(now - ack_sent_at_, 2 * rtt_.base_rto()));
  } else if (role_ == Role::kServer && expected_.value == 1 && opening_timed_) {
    // A server's OACK (sent once) and DATA 1 are a round trip too. Without this sample an upload's
    // Receiver kept rto_initial (200 ms) until a whole window and its ACK got through unharmed,
    // which under loss is rare: every lost window tail then cost 200 ms and more (doubling).
    RecordSample(now - opening_sent_at_);
  }
  ack_timed_ = false;
  opening_timed_ = false;
  // The re-ACK timer's backoff is kept after progress (RFC 6298 §5.5-5.7: a new sample resets
  // it). Clearing it on every in-order block made the timer fire between the blocks a storm's
  // scheduler holds back: the simulator's 1,000-client lock-step storm sent 2.4 million re-ACKs
  // instead of 0.45 million, and a windowed storm without loss took 25 % longer (bench/loss).
  // The gap between two blocks of one window; across a window's ACK it would include the round
  // trip, so then the last window's is kept. Except after our timer's ACK inside a window: the
  // Sender was pacing, not waiting for it, so the gap is its pace, and longer than our timer. Kept
  // short, the timer would fire before each paced block and ACK every block.
  if (blocks_since_ack_ > 0 || acked_on_timer_) arrival_gap_ = now - last_in_order_at_;
  acked_on_timer_ = false;
  last_in_order_at_ = now;
  wire_bytes_ += data.payload.size();
  const bool over_tsize = options_.tsize && wire_bytes_ > *options_.tsize;
  if (over_tsize || wire_bytes_ > size_max_bytes_) {
    // H72 (U-Boot CVE-2018-18439 class), F56: more than announced or allowed.
    Fail(TransferError::Origin::kLocal, wire::ErrorCode::kDiskFull,
         over_tsize ? "File larger than tsize" : "File too large");
    return;
  }
  const bool final_block = data.payload.size() < options_.blksize;
  if (final_block && mode_ == wire::Mode::kOctet && options_.tsize && wire_bytes_ < *options_.tsize) {
    // The peer announced more than it sent: a file that shrank while being read, or a sender
    // that was fooled into another block size. Committing would present a partial file as whole.
    stats_.bytes_transferred = wire_bytes_;
    stats_.short_of_tsize = true;
    Fail(TransferError::Origin::kLocal, wire::ErrorCode::kNotDefined, "File shorter than tsize");
    return;
  }
  if (!Deliver(data.payload, final_block)) return;
  const BlockIndex k = expected_;
  expected_ = BlockIndex{k.value + 1};
  gap_acked_ = false;
  last_duplicate_ = BlockIndex{0};
  ++blocks_since_ack_;
  stats_.blocks_transferred = k.value;
  stats_.bytes_transferred = wire_bytes_;
  if (final_block) {
    if (const auto committed = sink_->Commit(local_bytes_); !committed) {
      Fail(TransferError::Origin::kLocal, ToWireError(committed.error()),
           ToMessage(committed.error()));
      return;
    }
    QueueAck(k, now);
    phase_ = Phase::kDallying;
    stats_.status = TransferStatus::kComplete;
    deadline_ = now + Dally();
    return;
  }
  if (blocks_since_ack_ >= options_.windowsize) {
    QueueAck(k, now);  // RFC 7440 §3: one ACK per full window
    ack_timed_ = true;
    ArmTimer(now);
    return;
  }
  // Inside a window the re-ACK waits for silence: at least twice the last gap between blocks. A
  // pacing sender (sender.cc) may space blocks close to our RTO, and a timeout ACK there would
  // ACK a partial window (the sender restarts) and, if lost, shift our window boundary away from
  // the sender's until another timeout (RFC 7440 §4: the timeout is for a window that stopped).
  deadline_ = now + std::min(std::max(rtt_.rto(), 2 * arrival_gap_), policy_.rto_max);
}

bool Receiver::Deliver(std::span<const std::byte> payload, bool final_block) {
  std::span<const std::byte> local = payload;
  if (mode_ == wire::Mode::kNetascii) {
    std::size_t n = decoder_.Decode(payload, decoded_);
    if (final_block) n += decoder_.Finish(std::span(decoded_).subspan(n));
    local = std::span<const std::byte>(decoded_).first(n);
  }
  const auto written = sink_->WriteAt(local_bytes_, local);
  if (!written) {
    Fail(TransferError::Origin::kLocal, ToWireError(written.error()), ToMessage(written.error()));
    return false;
  }
  local_bytes_ += local.size();
  return true;
}

void Receiver::HandleOack(const wire::Oack& oack, Instant now) {
  if (phase_ == Phase::kData && role_ == Role::kClient && expected_.value == 1) {
    ++stats_.ignored_packets;
    QueueAck(BlockIndex{0}, now);  // the server repeats its OACK: our ACK 0 was lost
    return;
  }
  if (phase_ != Phase::kRequestSent) {
    ++stats_.ignored_packets;
    return;
  }
  const auto accepted =
      AcceptOack(internal::RequestedOptions(control_packet_), oack, size_max_bytes_);
  if (!accepted) {
    Fail(TransferError::Origin::kLocal, accepted.error(),
         accepted.error() == wire::ErrorCode::kOptionRefused
             ? "Option refused"
             : wire::StandardMessage(accepted.error()));
    return;
  }
  options_ = *accepted;
  SettleOptions();
  phase_ = Phase::kData;
  peer_verified_ = true;
  timeouts_in_a_row_ = 0;
  last_progress_at_ = now;
  QueueAck(BlockIndex{0}, now);  // RFC 2347: an RRQ's OACK is answered with ACK 0
  ack_timed_ = true;
}

void Receiver::HandleError(const wire::Error& error) {
  if (phase_ == Phase::kDallying) {
    phase_ = Phase::kDone;  // the data is complete and committed; the peer merely left
    deadline_ = kInstantNever;
    return;
  }
  stats_.error.origin = TransferError::Origin::kPeer;
  stats_.error.code = error.code;
  stats_.error.SetMessage(error.message);
  stats_.status = TransferStatus::kFailed;
  phase_ = Phase::kDone;  // never answer an ERROR (PROTOCOL §2 item 6)
  control_due_ = false;
  ack_due_.reset();
  deadline_ = kInstantNever;
}

void Receiver::QueueAck(BlockIndex block, Instant now) {
  static_cast<void>(now);
  ack_due_ = block;
  gap_ack_due_ = false;
  blocks_since_ack_ = 0;
  ack_timed_ = false;
  acked_on_timer_ = false;
}

void Receiver::Fail(TransferError::Origin origin, wire::ErrorCode code, std::string_view message) {
  stats_.error.origin = origin;
  stats_.error.code = code;
  stats_.error.SetMessage(message);
  stats_.status = TransferStatus::kFailed;
  deadline_ = kInstantNever;
  ack_due_.reset();
  if (origin == TransferError::Origin::kLocal) {
    internal::BuildError(control_packet_, code, message);
    control_due_ = true;
    phase_ = Phase::kClosing;
  } else {
    control_due_ = false;
    phase_ = Phase::kDone;
  }
}

void Receiver::OnTimer(Instant now) {
  if (phase_ == Phase::kDone || phase_ == Phase::kClosing || now < deadline_) return;
  if (phase_ == Phase::kDallying) {
    phase_ = Phase::kDone;  // status stays kComplete
    deadline_ = kInstantNever;
    return;
  }
  ++stats_.timeouts;
  ++timeouts_in_a_row_;
  const std::uint32_t budget = (role_ == Role::kServer && !peer_verified_)
                                   ? policy_.retries_unverified_max
                                   : policy_.retries_max;
  const bool idle_long_enough = (role_ == Role::kServer && !peer_verified_) ||
                                now - last_progress_at_ >= policy_.receiver_idle_min;
  if (timeouts_in_a_row_ > budget && idle_long_enough) {
    Fail(TransferError::Origin::kTimeout, wire::ErrorCode::kNotDefined, "Timed out");
    return;
  }
  rtt_.OnTimeout();
  stats_.rto_current = rtt_.rto();
  const bool opening_due = phase_ == Phase::kRequestSent ||
                           (role_ == Role::kServer && !control_packet_.empty() &&
                            expected_.value == 1);
  if (opening_due) {
    control_due_ = true;  // the request or our OACK went missing
  } else {
    QueueAck(BlockIndex{expected_.value - 1}, now);  // RFC 1350 §2: resend the last ACK
    acked_on_timer_ = true;
  }
  ArmTimer(now);
}

std::optional<std::size_t> Receiver::PollTransmit(std::span<std::byte> buf, Instant now) {
  if (phase_ == Phase::kDone) return std::nullopt;
  if (control_due_) {
    control_due_ = false;
    const std::size_t n = internal::CopyOut(buf, control_packet_);
    if (phase_ == Phase::kRequestSent || (role_ == Role::kServer && expected_.value == 1)) {
      opening_timed_ = stats_.control_sent == 0;  // Karn: a repeated request/OACK is never timed
      opening_sent_at_ = now;
    }
    ++stats_.control_sent;
    if (last_progress_at_ == kInstantNever) last_progress_at_ = now;
    if (phase_ == Phase::kClosing) {
      phase_ = Phase::kDone;
    } else {
      ArmTimer(now);
    }
    return n;
  }
  if (!ack_due_) return std::nullopt;
  if (last_progress_at_ == kInstantNever) last_progress_at_ = now;
  const BlockIndex block = *ack_due_;
  ack_due_.reset();
  const std::size_t n = wire::WriteAck(buf, wire::ToWire(block, options_.rollover));
  STAMPEDE_CHECK(n > 0);
  ++stats_.acks_sent;
  last_ack_sent_ = block;
  ack_sent_at_ = now;
  if (phase_ != Phase::kDallying) ArmTimer(now);  // the dally end is fixed (bounded, RFC 1350 §6)
  if (gap_ack_due_ && phase_ == Phase::kData) {
    // A gap ACK is answered at once by the Sender's restart (RFC 7440 §4), so the silence rule
    // of an in-window re-ACK applies, on the RTO without backoff: under heavy loss this
    // Receiver's samples (a window ACK sent once, then the next block) are rare, its backoff
    // stays at the 4 s ceiling, and a lost gap ACK left both ends waiting for it (30 % loss each
    // way, loss_pattern_test.cc). One repeat per gap; if it fires, later ones back off as usual.
    deadline_ = now + std::min(std::max(rtt_.base_rto(), 2 * arrival_gap_), policy_.rto_max);
  }
  gap_ack_due_ = false;
  if (phase_ == Phase::kData && ack_timed_ && options_.windowsize > 1 && block.value > 0) {
    // A window's ACK, sent once (ACK 0 keeps the plain timer: it answers the opening). If it is lost, the Sender's retransmission timer (one RTO after
    // the window's last block) should fire before our re-ACK: its resent block draws our re-ACK
    // anyway, at the same cost. A re-ACK that wins the race reaches the Sender as the answer to a
    // block it sent once, so it reads our timer as its round trip (Karn's rule cannot tell),
    // inflating its SRTT, its pacing interval and its gap-ACK damping window (sender.cc).
    // Lock-step keeps RFC 1350's plain re-ACK timer.
    deadline_ = now + std::min(2 * rtt_.rto(), policy_.rto_max);
  }
  return n;
}

void Receiver::ArmTimer(Instant now) { deadline_ = now + rtt_.rto(); }

void Receiver::RecordSample(Duration rtt) {
  rtt_.OnSample(rtt);
  ++stats_.rtt_samples;
  stats_.rto_current = rtt_.rto();
  if (const auto srtt = rtt_.srtt()) stats_.srtt = *srtt;
}

bool Receiver::SawLittleLoss() const {
  // Signs of loss: our timeouts (a lost DATA in lock-step shows only as one), duplicate and
  // out-of-order DATA (a lost ACK or DATA under a window), odd DATA. At most one per
  // kLossSignBlocks blocks: the chance that the final ACK is lost is about the path's loss rate,
  // and a long lock-step get on a busy host sees a few timeouts where the server was only late.
  const std::uint64_t signs = stats_.timeouts + stats_.duplicate_data + stats_.out_of_order_data +
                              stats_.out_of_window_data + stats_.oversize_data;
  return signs * CleanDally::kLossSignBlocks <= stats_.blocks_transferred;
}

Duration Receiver::Dally() const {
  if (clean_dally_ && SawLittleLoss() && !rtt_.fixed()) {
    return std::clamp(rtt_.rto() * clean_dally_->rto_factor, clean_dally_->min,
                      std::max(clean_dally_->max, clean_dally_->min));
  }
  return internal::DallyDuration(policy_, rtt_.rto());
}

Instant Receiver::NextDeadline() const {
  return phase_ == Phase::kDone ? kInstantNever : deadline_;
}

bool Receiver::finished() const { return phase_ == Phase::kDone; }

std::size_t Receiver::MaxDatagramBytes() const { return wire::kRequestMaxBytes; }

}  // namespace stampede::transfer

// The receiving half of a transfer, sans-I/O: a client doing a get (RRQ) or a server answering a
// WRQ. Fed datagrams and timer expiries with `now`, it answers with datagrams to send (ACKs, the
// request, an OACK, an ERROR) and its next deadline. It never touches sockets, files or clocks:
// bytes go to a BlockSink, in order, each block once. See docs/transfer.md.
//
// Driving it: construct; then after construction and after every OnPacket/OnTimer call
// PollTransmit until it returns nullopt, sending each datagram to the peer; arm a timer for
// NextDeadline() and call OnTimer when it fires. Stop when finished(). status() turns kComplete as
// soon as the final ACK is sent; finished() only after the dally (RFC 1350 §6), during which a
// repeated final DATA is answered with the final ACK again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/time.h"
#include "transfer/block_sink.h"
#include "transfer/endpoint.h"
#include "transfer/negotiation.h"
#include "transfer/rtt_estimator.h"
#include "transfer/stats.h"
#include "wire/block_number.h"
#include "wire/netascii.h"
#include "wire/packet.h"

namespace stampede::transfer {

// A short dally for a receiver whose transfer saw (almost) no sign of loss: timeouts, duplicate,
// out-of-order, out-of-window or oversize DATA, at most one per kLossSignBlocks blocks (none for a
// file under 1000 blocks). Then the sender hardly retransmitted, so its timer is not backed off and
// runs near our RTO (both ends time the same path); rto_factor × RTO covers its first
// retransmissions of a lost final DATA. The floor absorbs scheduler jitter, the ceiling is
// the old fixed floor. For a get the final ACK only lets the server stop early: the file is already
// committed, so a server with a long first timeout (tftpd-hpa 1 s, atftpd 5 s) that loses it merely
// logs a timeout.
struct CleanDally {
  static constexpr std::uint64_t kLossSignBlocks = 1000;
  std::uint32_t rto_factor = 4;
  Duration min = std::chrono::milliseconds(20);
  Duration max = std::chrono::milliseconds(500);
};

struct ReceiverConfig {
  Role role = Role::kClient;
  wire::Mode mode = wire::Mode::kOctet;
  // Server: Negotiate()'s options. Client: ignored; defaults until an OACK is accepted (H67).
  TransferOptions options;
  // Server: the OACK to open with; empty: open with ACK 0.
  std::span<const wire::Option> oack;
  // Client: the RRQ to open with.
  RequestSpec request;
  RetransmitPolicy retransmit;
  // More payload than this (or than a negotiated tsize) fails with ERROR 3 (H72, F56). A client
  // also passes it to AcceptOack as the largest tsize it accepts.
  std::uint64_t size_max_bytes = UINT64_MAX;
  // The dally after the final ACK (RFC 1350 §6). Unset: always the policy's (dally_rto_factor ×
  // RTO within [dally_min, dally_max]). Set (a client's get): a transfer that saw (almost) no loss
  // dallies only this much instead; see CleanDally and docs/client.md.
  std::optional<CleanDally> clean_dally;
};

class Receiver {
 public:
  // `sink` must outlive the Receiver. Storage (the control packet; for netascii a decode buffer) is
  // allocated here or once when a client's options are settled; never per packet. A client request
  // that cannot be built (over 512 bytes, H78) leaves it kFailed with nothing to send.
  Receiver(const ReceiverConfig& config, BlockSink& sink);

  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&&) noexcept = default;
  ~Receiver() = default;

  // Call with every datagram received from the peer's TID. Then drain PollTransmit.
  void OnPacket(std::span<const std::byte> datagram, Instant now);

  // Call when the deadline from NextDeadline() has passed; early or repeated calls do nothing.
  // Then drain PollTransmit.
  void OnTimer(Instant now);

  // Call until it returns nullopt: writes the next datagram into `buf` (at least
  // MaxDatagramBytes()) and returns its size.
  std::optional<std::size_t> PollTransmit(std::span<std::byte> buf, Instant now);

  // When OnTimer should next be called; kInstantNever when finished.
  Instant NextDeadline() const;

  TransferStatus status() const { return stats_.status; }
  bool finished() const;
  const Stats& stats() const { return stats_; }
  const TransferOptions& options() const { return options_; }
  std::size_t MaxDatagramBytes() const;

 private:
  enum class Phase : std::uint8_t {
    kRequestSent,  // client: RRQ sent, waiting for OACK or DATA 1
    kData,         // receiving; OACK/ACK 0 answered by ACK 0 / the peer's DATA 1
    kDallying,     // final ACK sent; re-ACK a repeated final DATA until the dally ends
    kClosing,      // an ERROR is queued; finished once it is sent
    kDone,
  };

  void HandleData(const wire::Data& data, Instant now);
  void HandleOack(const wire::Oack& oack, Instant now);
  void HandleError(const wire::Error& error);
  void AcceptInOrder(const wire::Data& data, Instant now);
  bool Deliver(std::span<const std::byte> payload, bool final_block);
  void QueueAck(wire::BlockIndex block, Instant now);
  void SettleOptions();
  void Fail(TransferError::Origin origin, wire::ErrorCode code, std::string_view message);
  void ArmTimer(Instant now);
  void RecordSample(Duration rtt);
  bool SawLittleLoss() const;
  Duration Dally() const;

  Role role_;
  wire::Mode mode_;
  Phase phase_;
  TransferOptions options_;
  RetransmitPolicy policy_;
  BlockSink* sink_;
  RttEstimator rtt_;
  std::uint64_t size_max_bytes_;
  std::optional<CleanDally> clean_dally_;

  std::vector<std::byte> control_packet_;  // RRQ, OACK or ERROR
  bool control_due_ = false;

  wire::BlockIndex expected_{1};       // next in-order block
  wire::BlockIndex last_ack_sent_{0};  // the window the sender uses starts after this
  std::optional<wire::BlockIndex> ack_due_;
  std::uint32_t blocks_since_ack_ = 0;
  bool gap_acked_ = false;              // one gap ACK per gap (RFC 7440 §4)
  bool gap_ack_due_ = false;            // the queued ACK is a gap ACK
  wire::BlockIndex last_duplicate_{0};  // one re-ACK per retransmitted round of duplicates
  std::uint64_t wire_bytes_ = 0;        // payload received in order
  std::uint64_t local_bytes_ = 0;       // bytes handed to the sink
  bool ack_timed_ = false;              // Karn: the last ACK ended a window and was sent once
  // The opening (a client's request, a server's OACK) went out once: its answer is a sample.
  bool opening_timed_ = false;
  Instant opening_sent_at_ = kInstantZero;
  Instant ack_sent_at_ = kInstantZero;
  Instant last_in_order_at_ = kInstantZero;
  Duration arrival_gap_{0};  // between the last two in-order blocks of one window
  bool acked_on_timer_ = false;  // the last ACK was our timer's re-ACK

  Instant deadline_ = kInstantNever;
  Instant last_progress_at_ = kInstantNever;  // set at the first transmission
  std::uint32_t timeouts_in_a_row_ = 0;
  bool peer_verified_ = false;

  // Netascii: decode buffer of blksize + 1 bytes (NetasciiDecoder's contract).
  wire::NetasciiDecoder decoder_;
  std::vector<std::byte> decoded_;

  Stats stats_;
};

}  // namespace stampede::transfer

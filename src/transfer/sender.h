// The sending half of a transfer, sans-I/O: a server answering an RRQ or a client doing a put (WRQ).
// Fed datagrams and timer expiries with `now`, it answers with datagrams to send (PollTransmit) and
// the time it next wants to be woken (NextDeadline). It never touches sockets, files or clocks:
// bytes come from a BlockSource. See docs/transfer.md for the transition table and timer rules.
//
// Driving it (the same loop for the I/O layer and the simulator):
//   construct; then after construction and after every OnPacket/OnTimer call PollTransmit until it
//   returns nullopt, sending each datagram to the peer; then arm a timer for NextDeadline() and
//   call OnTimer when it fires. Stop when finished().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/time.h"
#include "transfer/block_source.h"
#include "transfer/endpoint.h"
#include "transfer/negotiation.h"
#include "transfer/rtt_estimator.h"
#include "transfer/stats.h"
#include "transfer/window_control.h"
#include "wire/block_number.h"
#include "wire/netascii.h"
#include "wire/packet.h"

namespace stampede::transfer {

struct SenderConfig {
  Role role = Role::kServer;
  wire::Mode mode = wire::Mode::kOctet;
  // Server: Negotiate()'s options. Client: ignored; the defaults apply until an OACK is accepted.
  TransferOptions options;
  // Server: the OACK to open with (Negotiated::oack.options()); empty: open with DATA 1 (RFC 1350).
  std::span<const wire::Option> oack;
  // Client: the WRQ to open with.
  RequestSpec request;
  RetransmitPolicy retransmit;
  WindowPolicy window;
};

class Sender {
 public:
  // `source` must outlive the Sender. All storage (the control packet; for netascii the encoded
  // blocks of one window) is allocated here or, for a client, once when the options are settled;
  // never per packet. A client request that cannot be built (over 512 bytes, PROTOCOL H78) leaves
  // the Sender kFailed with ERROR 4 (origin kLocal) and nothing to send.
  Sender(const SenderConfig& config, BlockSource& source);

  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&&) noexcept = default;
  ~Sender() = default;

  // Call with every datagram received from the peer's TID (the I/O layer answers foreign TIDs, see
  // stray.h). Malformed or irrelevant datagrams are counted and ignored; a duplicate ACK never
  // makes anything sendable (E37). Then drain PollTransmit.
  void OnPacket(std::span<const std::byte> datagram, Instant now);

  // Call when the deadline from NextDeadline() has passed. Calls before the deadline, or repeated
  // calls, do nothing. Then drain PollTransmit.
  void OnTimer(Instant now);

  // Call until it returns nullopt: writes the next datagram into `buf` and returns its size.
  // `buf` must hold at least MaxDatagramBytes(). Returns nullopt when nothing is due now (window
  // full, pacing gap, waiting for an ACK, finished).
  std::optional<std::size_t> PollTransmit(std::span<std::byte> buf, Instant now);

  // When OnTimer should next be called: the retransmission deadline or the end of a pacing gap;
  // kInstantNever when finished. Ask after draining PollTransmit.
  Instant NextDeadline() const;

  TransferStatus status() const { return stats_.status; }
  // True when the Sender wants no more events and has nothing left to send.
  bool finished() const;
  const Stats& stats() const { return stats_; }
  // The options in force (a client's are final once the OACK or ACK 0 arrived).
  const TransferOptions& options() const { return options_; }
  // The largest datagram PollTransmit may write: blksize + 4, or 512 for a request/OACK/ERROR.
  std::size_t MaxDatagramBytes() const;

 private:
  enum class Phase : std::uint8_t {
    kRequestSent,  // client: WRQ sent, waiting for OACK or ACK 0
    kOackSent,     // server: OACK sent, waiting for ACK 0
    kData,         // sending DATA windows
    kClosing,      // an ERROR is queued; finished once it is sent
    kDone,         // final status reached
  };

  void HandleAck(wire::WireBlock wire_block, Instant now);
  void HandleOack(const wire::Oack& oack, Instant now);
  void HandleError(const wire::Error& error);
  void StartData(Instant now);
  void SettleOptions();
  void Fail(TransferError::Origin origin, wire::ErrorCode code, std::string_view message);
  void Finish(TransferStatus status);
  void RestartFrom(wire::BlockIndex next, Instant now);
  bool GapAckIsFresh(Instant now) const;
  Duration RoundTrip() const;
  bool HasDataDue(Instant now) const;
  std::optional<std::size_t> WriteDataBlock(std::span<std::byte> buf, Instant now);
  std::optional<std::size_t> FillOctetBlock(std::span<std::byte> payload, wire::BlockIndex block);
  std::optional<std::size_t> FillNetasciiBlock(std::span<std::byte> payload,
                                               wire::BlockIndex block);
  void ArmTimer(Instant now);
  bool WindowHasUnsent() const;
  Duration PacingInterval() const;
  void SampleOpening(Instant now);
  void SignalCongestion();
  bool SampleWindowEnd(wire::BlockIndex k, Instant now);
  void RecordSample(Duration rtt);

  Role role_;
  wire::Mode mode_;
  Phase phase_;
  TransferOptions options_;
  RetransmitPolicy policy_;
  WindowPolicy window_policy_;
  BlockSource* source_;
  RttEstimator rtt_;
  WindowControl window_;

  // Opening packet (WRQ or OACK) or queued ERROR, written at construction or when failing.
  std::vector<std::byte> control_packet_;
  bool control_due_ = false;

  // Block bookkeeping. Indexes never wrap; block 0 stands for the OACK/WRQ acknowledgement.
  wire::BlockIndex acked_{0};        // highest block the peer acknowledged
  wire::BlockIndex next_{1};         // next block PollTransmit sends
  wire::BlockIndex highest_sent_{0}; // highest block ever sent
  std::optional<wire::BlockIndex> final_block_;  // the short (or empty) last block, once read
  std::size_t final_size_bytes_ = 0;
  // Damping (RFC 7440 §4, EDK2 storm): blocks up to resent_through_ were already sent again since
  // the last restart, so an ACK below it moves acked_ but restarts nothing.
  wire::BlockIndex resent_through_{0};
  Instant restart_at_ = kInstantZero;
  // Loss accounting for the window control: a loss signal counts once per flight of data.
  wire::BlockIndex recovery_end_{0};
  bool round_clean_ = true;
  wire::BlockIndex round_end_{0};

  // Pacing within a receiver window: the next DATA may not leave before `release_at_`.
  Instant release_at_ = kInstantZero;

  // Retransmission timer: runs from the last send, and only counts once the receiver window is
  // fully sent (before that the Sender is not waiting for the peer).
  Instant deadline_ = kInstantNever;
  // Karn's rule for the opening exchange (OACK → ACK 0, WRQ → OACK/ACK 0): timed if sent once.
  std::optional<Instant> opening_sent_at_;
  std::optional<Duration> data_min_rtt_;  // smallest window-end sample: the unloaded path
  Duration pace_rtt_{0};
  std::uint32_t timeouts_in_a_row_ = 0;
  // highest_sent_ at the last DATA timeout: an ACK above it answers blocks sent once since then,
  // which ends the RTO backoff (Karn's rule).
  wire::BlockIndex sent_at_timeout_{0};
  Instant timeout_at_ = kInstantZero;  // the last DATA timeout
  // While backed off: the restart point of the first gap ACK after that timeout (and a round trip
  // later). An ACK at or past it answers blocks sent after the timeout and ends the backoff too.
  std::optional<wire::BlockIndex> gap_restart_;
  Instant last_progress_at_{};  // the last ACK that verified the peer or advanced the window
  bool peer_verified_ = false;
  // Karn's rule: one block timed at a time; cancelled when anything is retransmitted.
  std::optional<wire::BlockIndex> timed_block_;
  Instant timed_sent_at_ = kInstantZero;

  // Netascii: the encoded stream is not offset-addressable, so the blocks of the current window are
  // kept for retransmission. Slot of block b is (b - 1) % window_slots_.
  struct NetasciiState {
    wire::NetasciiEncoder encoder;
    std::vector<std::byte> window_bytes;   // window_slots × blksize
    std::vector<std::uint32_t> block_sizes;
    std::vector<std::byte> raw;            // blksize bytes read ahead from the source
    std::size_t raw_pos = 0;
    std::size_t raw_len = 0;
    std::uint64_t source_offset = 0;
    bool source_eof = false;
    wire::BlockIndex encoded_through{0};
  };
  std::unique_ptr<NetasciiState> netascii_;

  Stats stats_;
};

}  // namespace stampede::transfer

// The outcome and counters of one transfer (Sender or Receiver), for logs, metrics and the
// simulator's invariants. Plain data: no behaviour beyond copying a peer's message.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/time.h"
#include "wire/error_code.h"

namespace stampede::transfer {

enum class TransferStatus : std::uint8_t {
  kActive,               // still running (this includes the dally after the final ACK)
  kComplete,             // all data delivered and confirmed (or, receiving, final ACK sent)
  kCompleteUnconfirmed,  // Sender: final DATA sent, never ACKed within the retry budget (E45)
  kProbe,                // server Sender: client ended after our OACK with ERROR 0/8 (E42)
  kFailed,               // see TransferError
};

std::string_view StatusName(TransferStatus status);

struct TransferError {
  enum class Origin : std::uint8_t {
    kNone,
    kPeer,     // the peer sent ERROR `code` with `message()`
    kLocal,    // we sent ERROR `code` (bad input, storage failure, refused OACK)
    kTimeout,  // retry budget spent without progress; nothing sent
  };
  static constexpr std::size_t kMessageMaxBytes = 128;  // PROTOCOL E44: peer messages are cut

  Origin origin = Origin::kNone;
  wire::ErrorCode code = wire::ErrorCode::kNotDefined;
  std::array<char, kMessageMaxBytes> message_bytes{};
  std::uint8_t message_size = 0;

  std::string_view message() const { return {message_bytes.data(), message_size}; }
  void SetMessage(std::string_view text) {
    message_size = static_cast<std::uint8_t>(std::min(text.size(), kMessageMaxBytes));
    std::copy_n(text.data(), message_size, message_bytes.data());
  }
};

struct Stats {
  // Sent.
  std::uint64_t data_sent = 0;            // DATA packets, including retransmissions
  std::uint64_t data_retransmitted = 0;   // DATA packets that repeated an earlier block
  std::uint64_t acks_sent = 0;            // ACK packets, including re-ACKs
  std::uint64_t control_sent = 0;         // RRQ/WRQ/OACK/ERROR packets, including repeats
  // Received.
  std::uint64_t acks_received = 0;
  std::uint64_t duplicate_acks = 0;       // ACK of the block already acknowledged (E37)
  std::uint64_t ignored_acks = 0;         // ACK of a never-sent or stale block, ACK 0 without OACK
  std::uint64_t data_received = 0;
  std::uint64_t duplicate_data = 0;       // F52: re-ACKed, not rewritten
  std::uint64_t out_of_window_data = 0;   // F53/H70: block 0 or beyond the window, ignored
  std::uint64_t out_of_order_data = 0;    // inside the window but after a gap, dropped
  std::uint64_t oversize_data = 0;        // H71: payload longer than blksize
  std::uint64_t ignored_packets = 0;      // anything else that had no effect
  // Progress: payload bytes acknowledged by the peer (Sender) or written to the sink (Receiver;
  // these are wire bytes, before netascii decoding).
  std::uint64_t bytes_transferred = 0;
  std::uint64_t blocks_transferred = 0;
  // Receiver, octet: the final block arrived before the announced tsize was reached (the transfer
  // failed with ERROR 0 and the sink was never committed).
  bool short_of_tsize = false;
  // Timing and recovery.
  std::uint64_t timeouts = 0;
  std::uint64_t window_restarts = 0;      // go-back to the last ACK (timeout or gap ACK)
  std::uint64_t gap_acks_sent = 0;        // Receiver: ACKs of the last in-order block on a gap
  std::uint64_t rtt_samples = 0;
  Duration rto_current{0};
  Duration srtt{0};                       // 0 until the first sample
  Duration rtt_latest{0};                 // the last sample (Karn-clean); 0 until the first
  std::uint16_t window_blocks = 1;        // current effective window (Sender)
  // Tripwire, must stay 0: sends made possible by a duplicate ACK (Sorcerer's Apprentice, E37).
  std::uint64_t sends_caused_by_duplicate_ack = 0;
  // Outcome.
  TransferStatus status = TransferStatus::kActive;
  TransferError error;
};

}  // namespace stampede::transfer

// One client get or put, driven from outside: it owns a UDP socket and a transfer engine
// (transfer::Receiver for get, transfer::Sender for put) and is fed readiness and timer expiries by
// a loop shared with other transfers (client_loop.h, or the load generator's event loop). No
// threads, no blocking calls. It picks the server's TID from the first reply (H75), ignores and
// answers foreign TIDs (H73, H74), retries once without options when the server refuses them, and
// classifies the outcome for exit codes. See docs/client.md.
//
// Driving it: Start(now); then whenever fd() is readable call OnReadable(now), and when
// NextDeadline() has passed call OnTimer(now). Stop when finished(); read result().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "base/time.h"
#include "client/client_config.h"
#include "io/address.h"
#include "io/datagram_batch.h"
#include "io/error.h"
#include "io/udp_socket.h"
#include "transfer/block_sink.h"
#include "transfer/block_source.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "transfer/stats.h"

namespace stampede::client {

enum class Outcome : std::uint8_t {
  kActive,          // not finished
  kOk,              // data delivered (get: committed, final ACK sent; put: final ACK received)
  kTimeout,         // no answer, or the transfer stalled past the retry budget
  kServerError,     // the server sent ERROR (code and message in result().error)
  kLocalFile,       // our sink or source failed (disk full, write error, read error)
  kIntegrity,       // size differs from tsize, or more data than tsize / the maximum (H72)
  kProtocol,        // the server broke the protocol badly enough that we refused (H65-H69)
  kRequestTooLong,  // the request would exceed 512 bytes; nothing was sent (H78)
  kNetwork,         // socket failure (open, bind, send)
  kUnconfirmed,     // put: the final DATA was sent but never acknowledged (E45)
  kInterrupted,     // Abort() was called
};

std::string_view OutcomeName(Outcome outcome);

// False when the request `config` describes would exceed 512 bytes (RFC 2347, H78): check before
// creating output files. A transfer with such a config finishes with kRequestTooLong.
bool RequestFits(const ClientConfig& config);

struct ClientResult {
  Outcome outcome = Outcome::kActive;
  transfer::TransferError error;  // what was sent or received, when the engine failed
  std::string detail;             // our own explanation (socket error, integrity mismatch)
  transfer::Stats stats;
  transfer::TransferOptions options;
  bool retried_without_options = false;
  std::uint64_t strays_ignored = 0;
  std::uint64_t stray_replies_sent = 0;
  io::Address peer;                  // the server's TID, once known
  std::optional<Duration> duration;  // from the request to completion (without the dally)
};

// Progress for a bar or a log line: cheap, call at any time.
struct Progress {
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> total_bytes;  // tsize when negotiated (get) or the upload size
  std::uint64_t retransmissions = 0;
  std::uint64_t timeouts = 0;
};

// Sees every datagram sent or received (for `-v`). Called synchronously; must not call back.
class PacketObserver {
 public:
  virtual ~PacketObserver() = default;
  virtual void OnDatagram(bool sent, const io::Address& peer, std::span<const std::byte> bytes) = 0;
};

class ClientTransfer {
 public:
  // Get into `sink`, or put from `source`; each must outlive the transfer. The direction in
  // `config` must match the constructor.
  ClientTransfer(const ClientConfig& config, transfer::BlockSink& sink);
  ClientTransfer(const ClientConfig& config, transfer::BlockSource& source);
  ClientTransfer(const ClientTransfer&) = delete;
  ClientTransfer& operator=(const ClientTransfer&) = delete;
  ~ClientTransfer();

  // Opens the socket and sends the request. A socket failure is returned (and the transfer is
  // finished with kNetwork); a request over 512 bytes finishes at once with kRequestTooLong.
  tl::expected<void, io::Error> Start(Instant now);

  int fd() const { return socket_.fd(); }
  void OnReadable(Instant now);
  void OnTimer(Instant now);
  Instant NextDeadline() const;
  bool finished() const;
  // The data is through (get: committed and final ACK sent, the dally may still run).
  bool succeeded() const;
  // Stops at once: tells the server with ERROR 0 `reason` when the transfer was still running.
  void Abort(std::string_view reason);

  void set_observer(PacketObserver* observer) { observer_ = observer; }
  const ClientConfig& config() const { return config_; }
  Progress progress() const;
  ClientResult result() const;

 private:
  // Forwards to the caller's sink and remembers whether the sink itself failed (a local file
  // error rather than a protocol one). The size check against tsize is the Receiver's.
  class GuardedSink final : public transfer::BlockSink {
   public:
    explicit GuardedSink(transfer::BlockSink& inner) : inner_(&inner) {}
    tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                       std::span<const std::byte> bytes) override;
    tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override;
    bool inner_failed = false;

   private:
    transfer::BlockSink* inner_;
  };
  class GuardedSource final : public transfer::BlockSource {
   public:
    explicit GuardedSource(transfer::BlockSource& inner) : inner_(&inner) {}
    tl::expected<std::size_t, transfer::StorageError> ReadAt(std::uint64_t offset,
                                                             std::span<std::byte> out) override;
    bool inner_failed = false;

   private:
    transfer::BlockSource* inner_;
  };

  void BuildRequestOptions(bool with_options);
  void StartEngine();
  void HandleDatagram(std::span<const std::byte> datagram, const io::Address& from, Instant now);
  bool ShouldRetryWithoutOptions(std::span<const std::byte> datagram) const;
  void AnswerStray(const io::Address& from, std::span<const std::byte> datagram, Instant now);
  void Flush(Instant now);
  void ReceiveOneByOne(Instant now);
  void ReceiveBatched(Instant now);
  bool WantsBatch();
  void Send(std::span<const std::byte> bytes, const io::Address& to);
  transfer::TransferStatus EngineStatus() const;
  const transfer::Stats& EngineStats() const;
  const transfer::TransferOptions& EngineOptions() const;

  ClientConfig config_;
  std::optional<GuardedSink> sink_;
  std::optional<GuardedSource> source_;
  std::optional<transfer::Receiver> receiver_;
  std::optional<transfer::Sender> sender_;
  io::UdpSocket socket_;
  PacketObserver* observer_ = nullptr;

  // Request options: values are kept here because RequestSpec holds views.
  std::vector<std::string> option_values_;
  std::vector<wire::Option> options_;
  bool options_sent_ = false;
  bool retried_ = false;

  std::optional<io::Address> peer_;          // the server's TID
  std::optional<io::Address> refused_peer_;  // the TID that refused our options
  std::vector<std::byte> buffer_;            // the datagram being handled, 64 KiB
  std::vector<std::byte> tx_buffer_;         // what the engine writes while answering it
  // Get with a window: one recvmmsg per readiness instead of a recvmsg per block plus one that
  // finds the socket empty. Sized once the window and blksize are known (slots of blksize + 5
  // bytes or 1 KiB, so an oversize DATA still reaches the engine as oversize, H71).
  std::optional<io::RxBatch> rx_batch_;
  Instant started_at_ = kInstantZero;
  std::optional<Instant> completed_at_;
  std::uint64_t datagrams_sent_ = 0;  // lets the lock-step read stop once it has answered
  std::uint64_t strays_ignored_ = 0;
  std::uint64_t stray_replies_sent_ = 0;
  std::uint32_t stray_replies_this_second_ = 0;
  Instant stray_second_start_ = kInstantZero;
  std::optional<std::string> network_failure_;
  bool interrupted_ = false;
};

}  // namespace stampede::client

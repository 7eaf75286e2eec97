// One server transfer: the transfer state machine (a Sender over the requested file for an RRQ, a
// Receiver into an UploadFile for a WRQ), the socket it talks on (its own per-transfer TID socket,
// RFC 1350 §4, or none in single-port mode), its timer, and what its log line needs. It forwards
// socket readiness and timer expiry to its owner (the server), which does all the I/O; it never
// sends or receives itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "io/address.h"
#include "io/event_loop.h"
#include "io/packet_info.h"
#include "io/timer_queue.h"
#include "io/udp_socket.h"
#include "server/file_source.h"
#include "server/serving_policy.h"
#include "server/transfer_summary.h"
#include "server/upload_file.h"
#include "transfer/negotiation.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"

namespace stampede::server {

class Session;

// The server side of a session's events.
class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  virtual void OnSessionReadable(Session& session, const io::IoEvent& event) = 0;
  virtual void OnSessionTimer(Session& session, Instant now) = 0;
};

struct SessionStart {
  io::Address client;         // canonical (IPv4 peers in IPv4 form)
  io::PacketInfo reply_from;  // where the request arrived (single-port replies leave from here)
  const io::UdpSocket* listener = nullptr;  // the listening socket the request arrived on
  std::vector<std::byte> request;  // the request datagram, to recognise a retransmission (E40)
  std::string filename_escaped;
  TransferDirection direction = TransferDirection::kRead;
  wire::Mode mode = wire::Mode::kOctet;
  transfer::Negotiated negotiated;
  std::shared_ptr<ServingPolicy> policy;  // the generation the session started under
  // Set: at most this many retransmissions before the peer is verified, below the policy's
  // (server_abuse.cc: an OACK's share of the amplification budget, PROTOCOL §2 item 1).
  std::optional<std::uint32_t> retries_unverified_max;
  Instant now{};
};

class Session final : public io::IoHandler, public io::TimerHandler {
 public:
  // RRQ. `socket` empty: single-port mode.
  Session(SessionStart start, std::unique_ptr<FileBlockSource> source,
          std::optional<io::UdpSocket> socket, SessionOwner& owner);
  // WRQ.
  Session(SessionStart start, std::unique_ptr<UploadFile> upload,
          std::optional<io::UdpSocket> socket, SessionOwner& owner);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The transfer machine's interface (transfer/sender.h, receiver.h).
  void OnPacket(std::span<const std::byte> datagram, Instant now);
  void OnTransferTimer(Instant now);
  std::optional<std::size_t> PollTransmit(std::span<std::byte> buf, Instant now);
  Instant NextDeadline() const;
  bool finished() const;  // true once released
  transfer::TransferStatus status() const;
  const transfer::Stats& stats() const;

  // Records when the outcome became known (a Receiver dallies after completing); call after every
  // event.
  void NoteProgress(Instant now);
  TransferSummary Summarize(Instant now, bool aborted_by_shutdown) const;
  // Releases the machine and its storage now (an unfinished upload is aborted: temporary
  // removed), so a finished transfer holds nothing while it waits to be destroyed. Only the
  // addresses and the socket remain usable.
  void ReleaseTransfer();

  const io::Address& client() const { return start_.client; }
  const io::PacketInfo& reply_from() const { return start_.reply_from; }
  std::span<const std::byte> request() const { return start_.request; }
  // The per-transfer socket, or nullptr in single-port mode.
  const io::UdpSocket* socket() const { return socket_ ? &*socket_ : nullptr; }
  // Where this session's datagrams leave from: its own socket, or the listener (single-port).
  const io::UdpSocket& send_socket() const { return socket_ ? *socket_ : *start_.listener; }
  io::TimerId timer() const { return timer_; }
  void set_timer(io::TimerId timer) { timer_ = timer; }
  // A read transfer (a Sender): its datagrams may go through the transmit scheduler.
  bool sends_data() const { return sender_.has_value(); }
  // Its flow in the transmit scheduler (transmit_driver.h), or kNoFlow.
  static constexpr std::uint32_t kNoFlow = UINT32_MAX;
  std::uint32_t flow() const { return flow_; }
  void set_flow(std::uint32_t flow) { flow_ = flow; }

  void OnIoReady(const io::IoEvent& event) override { owner_.OnSessionReadable(*this, event); }
  void OnTimer(io::TimerId, Instant now) override { owner_.OnSessionTimer(*this, now); }

 private:
  SessionStart start_;
  SessionOwner& owner_;
  std::optional<io::UdpSocket> socket_;
  io::TimerId timer_;
  std::uint32_t flow_ = kNoFlow;
  // Storage before the machines that use it, so it is destroyed after them.
  std::unique_ptr<FileBlockSource> source_;
  std::unique_ptr<UploadFile> upload_;
  std::optional<transfer::Sender> sender_;
  std::optional<transfer::Receiver> receiver_;
  std::optional<Instant> ended_at_;
  transfer::Stats released_stats_;  // what stats() shows after ReleaseTransfer
};

}  // namespace stampede::server

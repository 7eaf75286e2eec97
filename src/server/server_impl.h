// The inside of Server (server.h): listening sockets, the session table, the shared receive and
// send banks, the current policy generation, the stop/reload state machine. Its methods are spread
// over server.cc (life cycle), server_requests.cc (the listening port: filtering, admission) and
// server_sessions.cc (transfer I/O, completion). Internal to server/.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "io/broadcast_filter.h"
#include "io/datagram_batch.h"
#include "io/event_loop.h"
#include "io/udp_socket.h"
#include "server/admission_queue.h"
#include "server/block_cache.h"
#include "server/descriptor_budget.h"
#include "server/error_rate_limiter.h"
#include "server/progress_watch.h"
#include "server/server.h"
#include "server/serving_policy.h"
#include "server/session.h"
#include "server/session_table.h"
#include "server/unverified_sessions.h"
#include "server/transmit_driver.h"
#include "wire/packet.h"

namespace stampede::server {

class Server::Impl final : public SessionOwner, public io::SignalHandler {
 public:
  // A listening socket and its loop registration.
  class Listener final : public io::IoHandler {
   public:
    Listener(Impl& impl, io::UdpSocket socket, io::Address local)
        : impl_(impl), socket_(std::move(socket)), local_(local) {}
    void OnIoReady(const io::IoEvent& event) override { impl_.OnListenerReadable(*this, event); }
    const io::UdpSocket& socket() const { return socket_; }
    const io::Address& local() const { return local_; }
    // SO_RXQ_OVFL is cumulative per socket: the last value seen, to count the increase.
    std::uint32_t kernel_drops_seen = 0;

   private:
    Impl& impl_;
    io::UdpSocket socket_;
    io::Address local_;  // what the socket is bound to (adopted sockets: from getsockname)
  };

  Impl(std::shared_ptr<ServingPolicy> policy, LogSink& log, std::unique_ptr<io::EventLoop> loop);
  ~Impl() override;

  static tl::expected<std::unique_ptr<Impl>, std::string> Make(const ServerConfig& config,
                                                               LogSink& log);
  tl::expected<void, std::string> BindListeners();
  tl::expected<void, std::string> AdoptListeners(std::vector<int> fds);
  void SweepStaleUploads();

  tl::expected<void, std::string> Run(const RunOptions& options);
  void RequestStop();
  void RequestAbort();
  void RequestReload();
  tl::expected<void, std::string> Reload(const ServerConfig& config);

  const ServerMetrics& metrics() const { return metrics_; }
  std::vector<io::Address> local_addresses() const;

  // The listening port (server_requests.cc).
  void OnListenerReadable(Listener& listener, const io::IoEvent& event);

  // Sessions (server_sessions.cc).
  void OnSessionReadable(Session& session, const io::IoEvent& event) override;
  void OnSessionTimer(Session& session, Instant now) override;
  void OnSignal(int signal_number, Instant now) override;

 private:
  // server_requests.cc
  void HandleListenerDatagram(Listener& listener, const io::RxDatagram& datagram, Instant now);
  void HandleRequest(Listener& listener, const io::RxDatagram& datagram,
                     const wire::Request& request, Instant now);
  bool AdmitNewSession(Listener& listener, const io::RxDatagram& datagram, Instant now);
  void StartRead(Listener& listener, const io::RxDatagram& datagram, const wire::Request& request,
                 const std::string& name, Instant now);
  void StartWrite(Listener& listener, const io::RxDatagram& datagram, const wire::Request& request,
                  const std::string& name, Instant now);
  // Per-transfer mode: a socket for the new transfer's TID; single-port mode: none. False when
  // no socket could be opened (the client was answered).
  bool OpenSessionSocket(Listener& listener, const io::RxDatagram& datagram, Instant now,
                         std::optional<io::UdpSocket>& socket);
  void Refuse(Listener& listener, const io::RxDatagram& datagram, const wire::Request& request,
              const Refusal& refusal, Instant now);
  SessionStart MakeStart(const Listener& listener, const io::RxDatagram& datagram,
                         const wire::Request& request, TransferDirection direction,
                         transfer::Negotiated negotiated, Instant now) const;
  // Queues ERROR `code` to `to` from the listener, subject to the per-source limit.
  void ReplyError(const io::UdpSocket& socket, const io::Address& to, const io::PacketInfo* from,
                  wire::ErrorCode code, std::string_view message, Instant now);

  // server_sessions.cc
  void Launch(std::unique_ptr<Session> session, Instant now);
  void DeliverToSession(Session& session, std::span<const std::byte> payload, Instant now);
  void HandleStray(const io::UdpSocket& socket, const io::RxDatagram& datagram, Instant now);
  // Drains the session's datagrams into the send bank (flushed by Outbox or after the wake-up),
  // re-arms its timer, and finishes it when done.
  void Pump(Session& session, Instant now);
  // The scheduled send path (transmit_driver.h): one datagram of a picked session, and what
  // follows each pick and each event of a scheduled session: its timer re-armed, or the session
  // finished when done. Returns whether the session is still there.
  std::optional<std::size_t> SendScheduled(Session& session, Instant now);
  static const io::PacketInfo* ReplyFrom(const Session& session);
  bool SettleScheduled(Session& session, Instant now, bool sent);
  // The next send slot for a datagram leaving from `socket`; flushes what was queued for another
  // socket, or a full bank, first.
  std::span<std::byte> Outbox(const io::UdpSocket& socket);
  void FlushPending();
  void Finish(Session& session, Instant now, bool aborted_by_shutdown);
  void AbortAll(Instant now);

  // server_abuse.cc: the abuse limits of docs/security.md
  // Hands the current policy generation's AbuseLimits to the limiters when it changed.
  void SyncAbuseLimits(Instant now);
  // Per-source rate, unverified-session caps and descriptor headroom; false when the request was
  // dropped or refused (and counted).
  bool AdmitUnderAbuseLimits(Listener& listener, const io::RxDatagram& datagram, Instant now);
  void NoteAdmitted(const io::Address& client);
  // The unverified retransmission cap that keeps an OACK within oack_amplification_max times the
  // request's bytes; nullopt without an OACK or without the budget.
  std::optional<std::uint32_t> OackRetriesFor(const io::RxDatagram& datagram,
                                              const transfer::Negotiated& negotiated) const;
  bool IsUnverified(const io::Address& client) const;
  void SweepProgress(Instant now);
  // server_admission.cc: requests waiting for a slot past sessions_max.
  bool HoldForSlot(const Listener& listener, const io::RxDatagram& datagram, Instant now);
  void StartWaiting(Instant now);

  // server.cc
  void ApplyPendingPolicy();
  void DoReload(const RunOptions& options);
  void Log(LogLevel level, std::string_view line) { log_.Log(level, line); }

  std::shared_ptr<ServingPolicy> policy_;
  LogSink& log_;
  std::unique_ptr<io::EventLoop> loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  io::RxBatch rx_;
  io::TxBatch tx_;
  const io::UdpSocket* tx_socket_ = nullptr;  // where the queued datagrams leave from
  BlockCache block_cache_;  // before the sessions, whose file sources read through it
  SessionTable sessions_;
  std::vector<std::unique_ptr<Session>> finished_;  // destroyed after the current wake-up
  std::unique_ptr<TransmitDriver> transmit_;        // null: --scheduler off and no --rate
  AdmissionQueue admission_;
  ErrorRateLimiter error_limiter_;
  std::optional<io::BroadcastFilter> broadcast_filter_;
  ServerMetrics metrics_;
  std::uint32_t port_cursor_ = 0;

  // Abuse limits (server_abuse.cc); their settings follow the policy generation.
  class ProgressTimer final : public io::TimerHandler {
   public:
    explicit ProgressTimer(Impl& impl) : impl_(impl) {}
    void OnTimer(io::TimerId, Instant now) override { impl_.SweepProgress(now); }

   private:
    Impl& impl_;
  };
  // The generation the limiters were last set from; held so its address cannot be reused by a
  // later generation and mistaken for it.
  std::shared_ptr<const ServingPolicy> abuse_limits_from_;
  SourceRateLimiter session_limiter_;
  UnverifiedSessions unverified_{8, 4096};
  DescriptorBudget descriptors_{MakeProcessDescriptorCensus(), 64};
  ProgressWatch progress_;
  ProgressTimer progress_timer_handler_{*this};
  io::TimerId progress_timer_;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> abort_requested_{false};
  std::atomic<bool> reload_requested_{false};
  std::atomic<int> stop_signals_{0};
  bool stopping_ = false;
  Instant stop_deadline_ = kInstantNever;

  std::mutex pending_mutex_;
  std::shared_ptr<ServingPolicy> pending_policy_;  // guarded by pending_mutex_
  std::atomic<bool> policy_pending_{false};
};

}  // namespace stampede::server

// Transfer I/O of Server::Impl (server_impl.h): reading a session's socket (strays answered with
// ERROR 5, E39), pumping its machine's datagrams into the send bank, its timer, and the end of a
// session (log line, metrics, release). A datagram the kernel refuses (EPERM from a local
// firewall, ENOBUFS) is a lost packet: counted, and the transfer's retransmission recovers; it
// never ends a transfer (the tftpd-hpa failure where one EPERM aborted the whole transfer).
#include <algorithm>

#include "server/server_impl.h"
#include "transfer/stray.h"

namespace stampede::server {
namespace {

constexpr std::size_t kSessionReadsPerWake = 1;

}  // namespace

std::span<std::byte> Server::Impl::Outbox(const io::UdpSocket& socket) {
  if (!tx_.empty() && (tx_socket_ != &socket || tx_.full())) FlushPending();
  tx_socket_ = &socket;
  return tx_.NextBuffer();
}

void Server::Impl::FlushPending() {
  if (tx_.empty() || tx_socket_ == nullptr) return;
  const io::TxReport report = tx_.Flush(*tx_socket_);
  metrics_.datagrams_sent += report.sent;
  metrics_.send_failures += report.lost;
}

void Server::Impl::Launch(std::unique_ptr<Session> session, Instant now) {
  Session& s = sessions_.Insert(std::move(session));
  ++metrics_.sessions_started;
  metrics_.sessions_active = sessions_.size();
  s.set_timer(loop_->timers().Create(&s));
  if (s.socket() != nullptr) {
    if (auto added = loop_->Add(s.socket()->fd(), EPOLLIN, &s); !added) {
      Log(LogLevel::kWarning, "transfer socket: " + added.error().ToString());
      loop_->timers().Destroy(s.timer());
      finished_.push_back(sessions_.Remove(s.client()));
      metrics_.sessions_active = sessions_.size();
      ++metrics_.session_socket_failures;
      return;
    }
  }
  if (transmit_ && s.sends_data()) {
    transmit_->Add(s);
    metrics_.scheduled_flows = transmit_->flows();
  }
  Pump(s, now);
}

void Server::Impl::OnSessionReadable(Session& session, const io::IoEvent& event) {
  const io::UdpSocket& socket = *session.socket();
  // One datagram per read: a transfer socket almost always holds a single ACK, and recvmmsg asked
  // for more pays a second, failing receive every time. Anything left keeps the socket readable
  // (level-triggered), so it is read on the next wake-up.
  rx_.Receive(socket, std::min<std::size_t>(event.packet_budget, kSessionReadsPerWake));
  for (const io::RxDatagram& datagram : rx_.datagrams()) {
    if (*datagram.peer == session.client()) {
      session.OnPacket(datagram.payload, event.now);
    } else {
      HandleStray(socket, datagram, event.now);
    }
  }
  Pump(session, event.now);
}

void Server::Impl::HandleStray(const io::UdpSocket& socket, const io::RxDatagram& datagram,
                               Instant now) {
  ++metrics_.strays;  // E39: answered, the transfer goes on
  if (policy_->config().drop_privileged_source_ports && datagram.peer->port() < 1024) return;
  if (!transfer::ShouldAnswerStray(datagram.payload)) return;  // never answer an ERROR
  if (!error_limiter_.Allow(*datagram.peer, now)) {
    ++metrics_.errors_rate_limited;
    return;
  }
  const std::size_t size = transfer::WriteStrayReply(Outbox(socket));
  if (size == 0) return;
  tx_.Commit(size, *datagram.peer);
  ++metrics_.errors_sent;
}

void Server::Impl::OnSessionTimer(Session& session, Instant now) {
  session.OnTransferTimer(now);
  Pump(session, now);
}

// A session on the shared listening socket (single-port mode) replies from the address its
// request was sent to (IP_PKTINFO); a session with a socket of its own needs no source address.
const io::PacketInfo* Server::Impl::ReplyFrom(const Session& session) {
  return session.socket() == nullptr && session.reply_from().valid() ? &session.reply_from()
                                                                     : nullptr;
}

void Server::Impl::Pump(Session& session, Instant now) {
  if (session.flow() != Session::kNoFlow) {
    // Scheduled: the transmit driver decides when this session's datagrams leave. A finished
    // session is finished (which takes it out of the scheduler) before anything is reported.
    if (!SettleScheduled(session, now, true)) return;
    transmit_->Report(session, now);
    transmit_->Service(now);
    return;
  }
  const io::UdpSocket& socket = session.send_socket();
  const io::PacketInfo* from = ReplyFrom(session);
  for (;;) {
    const std::span<std::byte> buffer = Outbox(socket);
    const auto size = session.PollTransmit(buffer, now);
    if (!size) break;
    tx_.Commit(*size, session.client(), from);
  }
  // Not flushed here: in single-port mode the next session's datagrams join the same sendmmsg
  // (one call for all the DATA a wake-up produces). The bank is flushed when the next datagram
  // leaves from another socket, when it is full, and after every wake-up (Run).
  session.NoteProgress(now);
  if (session.finished()) {
    Finish(session, now, false);
    return;
  }
  const Instant deadline = session.NextDeadline();
  if (deadline == kInstantNever) {
    loop_->timers().Disarm(session.timer());
  } else {
    loop_->timers().Arm(session.timer(), deadline);
  }
}

std::optional<std::size_t> Server::Impl::SendScheduled(Session& session, Instant now) {
  const auto size = session.PollTransmit(Outbox(session.send_socket()), now);
  if (size) tx_.Commit(*size, session.client(), ReplyFrom(session));
  return size;
}

// A deadline at or before `now` after a send means "due now": the scheduler, not a zero-length
// timer, releases it. When the Sender had nothing, its deadline (an RTO that has come due
// included) is armed whatever its value, so the Sender's timer runs and it becomes ready again.
// Pump settles a session as if it had sent: it is reported ready right after, so the scheduler
// releases a deadline that is due now.
bool Server::Impl::SettleScheduled(Session& session, Instant now, bool sent) {
  session.NoteProgress(now);
  if (session.finished()) {
    Finish(session, now, false);
    return false;
  }
  const Instant deadline = session.NextDeadline();
  if (deadline == kInstantNever || (sent && deadline <= now)) {
    loop_->timers().Disarm(session.timer());
  } else {
    loop_->timers().Arm(session.timer(), deadline);
  }
  return true;
}

void Server::Impl::Finish(Session& session, Instant now, bool aborted_by_shutdown) {
  if (transmit_) transmit_->Remove(session);
  FlushPending();
  const TransferSummary summary = session.Summarize(now, aborted_by_shutdown);
  session.ReleaseTransfer();  // before the log line: an aborted upload's temporary is gone
  LogLevel level = LogLevel::kInfo;
  switch (summary.status) {
    case transfer::TransferStatus::kComplete: ++metrics_.completed; break;
    case transfer::TransferStatus::kCompleteUnconfirmed: ++metrics_.completed_unconfirmed; break;
    case transfer::TransferStatus::kProbe: ++metrics_.probes; break;
    case transfer::TransferStatus::kFailed:
      ++metrics_.failed;
      level = LogLevel::kNotice;
      break;
    case transfer::TransferStatus::kActive:
      if (aborted_by_shutdown) ++metrics_.aborted_by_shutdown;
      level = LogLevel::kNotice;
      break;
  }
  if (summary.direction == TransferDirection::kRead) {
    metrics_.bytes_sent += summary.bytes;
  } else {
    metrics_.bytes_received += summary.bytes;
  }
  metrics_.retransmits += summary.retransmits;
  Log(level, FormatTransferLine(summary));
  log_.OnTransferFinished(summary);
  if (session.socket() != nullptr) loop_->Remove(session.socket()->fd());
  loop_->timers().Destroy(session.timer());
  finished_.push_back(sessions_.Remove(session.client()));
  metrics_.sessions_active = sessions_.size();
  if (transmit_) metrics_.scheduled_flows = transmit_->flows();
}

void Server::Impl::AbortAll(Instant now) {
  for (Session* session : sessions_.All()) {
    if (session->status() == transfer::TransferStatus::kActive) {
      // Tell the peer rather than leave it retrying into silence.
      const io::UdpSocket& socket = session->send_socket();
      const std::span<std::byte> buffer = Outbox(socket);
      const std::size_t size =
          wire::WriteError(buffer, wire::ErrorCode::kNotDefined, "Server shutting down");
      const io::PacketInfo* from = session->socket() == nullptr && session->reply_from().valid()
                                       ? &session->reply_from()
                                       : nullptr;
      if (size > 0) tx_.Commit(size, session->client(), from);
    }
    Finish(*session, now, true);
  }
  FlushPending();
}

}  // namespace stampede::server

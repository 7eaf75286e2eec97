// The abuse limits of Server::Impl (server_impl.h; docs/security.md): per-source admission
// (PROTOCOL §2 item 3, G59), caps on sessions whose peer has not proven its address (§2 items 2-3,
// G60), descriptor headroom, and the progress sweep that ends idle and slow-drip sessions (E46).
// The settings come from the policy generation in force (ServerConfig::abuse), so a reload applies
// them to new requests; the per-source state survives a reload.
#include <algorithm>
#include <array>
#include <chrono>
#include <string>

#include "server/server_impl.h"

namespace stampede::server {
namespace {

// How often the progress of every session is looked at: a fraction of the shortest sensible
// idle/progress window, and a cheap O(sessions) walk.
constexpr Duration kProgressSweepInterval = std::chrono::seconds(1);

std::uint64_t SessionKey(const Session& session) {
  // The timer handle is unique among live timers (a reused slot gets a new generation).
  return (std::uint64_t{session.timer().slot} << 32) | session.timer().generation;
}

}  // namespace

void Server::Impl::SyncAbuseLimits(Instant now) {
  if (!progress_timer_.valid()) progress_timer_ = loop_->timers().Create(&progress_timer_handler_);
  if (!loop_->timers().IsArmed(progress_timer_)) {
    loop_->timers().Arm(progress_timer_, now + kProgressSweepInterval);
  }
  if (abuse_limits_from_ == policy_) return;
  abuse_limits_from_ = policy_;
  const AbuseLimits& a = policy_->config().abuse;
  session_limiter_.SetLimits({static_cast<double>(a.new_sessions_per_source_per_s),
                              static_cast<double>(a.new_sessions_per_source_burst),
                              a.sources_tracked_max, /*allow_when_full=*/true});
  error_limiter_.SetLimits({static_cast<double>(a.errors_per_source_per_s),
                            static_cast<double>(a.errors_per_source_burst), a.sources_tracked_max,
                            /*allow_when_full=*/false});
  unverified_.SetLimits(a.unverified_per_source_max, a.unverified_max);
  descriptors_.set_reserved(a.descriptors_reserved);
  progress_.SetLimits({a.session_idle_max, a.progress_min_bytes_per_s, a.progress_window});
}

bool Server::Impl::IsUnverified(const io::Address& client) const {
  const Session* session = sessions_.Find(client);
  if (session == nullptr || session->finished()) return false;
  // A spoofed source never answers, so nothing at all has come from the peer's address:port.
  const transfer::Stats& stats = session->stats();
  return stats.acks_received == 0 && stats.data_received == 0;
}

bool Server::Impl::AdmitUnderAbuseLimits(Listener& listener, const io::RxDatagram& datagram,
                                         Instant now) {
  const io::Address& peer = *datagram.peer;
  const bool exempt = policy_->config().abuse.per_source_exempt_loopback && peer.IsLoopback();
  if (!exempt && !session_limiter_.Allow(peer, now)) {
    ++metrics_.dropped_source_rate;  // silently: a reply would feed a spoofed victim
    return false;
  }
  const auto verdict = unverified_.Check(
      peer, now, [this](const io::Address& client) { return IsUnverified(client); });
  switch (verdict) {
    case UnverifiedSessions::Verdict::kAdmit:
      break;
    case UnverifiedSessions::Verdict::kSourceFull:
      if (exempt) break;
      ++metrics_.dropped_unverified_source;
      return false;
    case UnverifiedSessions::Verdict::kTotalFull:
      ++metrics_.dropped_unverified_total;
      return false;
  }
  if (!descriptors_.HasRoom(now)) {
    ++metrics_.refused_descriptors;
    ++metrics_.refused;
    ReplyError(listener.socket(), peer, datagram.arrival.valid() ? &datagram.arrival : nullptr,
               wire::ErrorCode::kNotDefined, "Server busy", now);
    return false;
  }
  return true;
}

void Server::Impl::NoteAdmitted(const io::Address& client) {
  unverified_.OnAdmitted(client);
  descriptors_.OnAdmitted();
}

std::optional<std::uint32_t> Server::Impl::OackRetriesFor(
    const io::RxDatagram& datagram, const transfer::Negotiated& negotiated) const {
  const std::uint32_t factor = policy_->config().abuse.oack_amplification_max;
  if (factor == 0 || negotiated.oack.empty()) return std::nullopt;
  std::array<std::byte, 1024> buffer{};
  const std::size_t oack_bytes = wire::WriteOack(buffer, negotiated.oack.options());
  if (oack_bytes == 0) return std::nullopt;
  const std::size_t sends = std::max<std::size_t>(1, factor * datagram.payload.size() / oack_bytes);
  return static_cast<std::uint32_t>(std::min<std::size_t>(sends - 1, UINT32_MAX));
}

void Server::Impl::SweepProgress(Instant now) {
  if (progress_.enabled()) {
    progress_.BeginSweep();
    for (Session* session : sessions_.All()) {
      if (session->finished()) continue;
      const auto verdict =
          progress_.Observe(SessionKey(*session), session->stats().bytes_transferred, now);
      if (verdict == ProgressWatch::Verdict::kOk) continue;
      const bool idle = verdict == ProgressWatch::Verdict::kIdle;
      ++(idle ? metrics_.ended_idle : metrics_.ended_slow);
      Log(LogLevel::kNotice, session->client().ToString() + " transfer ended by the server: " +
                                 (idle ? "no progress for limits.session_idle_max_ms"
                                       : "below limits.progress_min_bytes_per_s"));
      const std::span<std::byte> buffer = Outbox(session->send_socket());
      const std::size_t size = wire::WriteError(buffer, wire::ErrorCode::kNotDefined,
                                                idle ? "Transfer idle" : "Transfer too slow");
      const io::PacketInfo* from = session->socket() == nullptr && session->reply_from().valid()
                                       ? &session->reply_from()
                                       : nullptr;
      if (size > 0) tx_.Commit(size, session->client(), from);
      Finish(*session, now, false);
    }
    progress_.EndSweep();
    FlushPending();
  }
  if (!sessions_.empty()) loop_->timers().Arm(progress_timer_, now + kProgressSweepInterval);
}

}  // namespace stampede::server

// Server (server.h) and the life cycle of Server::Impl: creation (policy, listening sockets,
// stale-upload sweep), the run loop with its stop and reload handling.
#include "server/server.h"

#include <csignal>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/clock.h"
#include "server/server_impl.h"
#include "server/stale_uploads.h"

namespace stampede::server {
namespace {

// Receive slots hold the largest UDP payload, so an oversize DATA is seen whole (H71); send slots
// hold the largest DATA (RFC 2348 blksize 65464 + header).
constexpr std::size_t kReceiveSlots = 32;
constexpr std::size_t kReceiveSlotBytes = 65536;
constexpr std::size_t kSendSlots = 64;
constexpr std::size_t kSendSlotBytes = 65464 + 4;
// How long a request past --max-sessions may wait for a slot: PXE ROMs and tftp-hpa give up on a
// request after some seconds of silence and send a new one.
constexpr Duration kAdmissionWaitMax = std::chrono::seconds(5);

io::SocketOptions ListenerOptions(const ServerConfig& config) {
  io::SocketOptions options;
  options.receive_buffer_bytes = config.socket_buffer_bytes;
  options.send_buffer_bytes = config.socket_buffer_bytes;
  options.v6_only = config.families == AddressFamilies::kIpv6Only;
  options.ipv4_fallback = config.families != AddressFamilies::kIpv6Only;
  return options;
}

void WarnIfCapped(LogSink& log, const io::Address& local, const io::BufferReport& r) {
  if (!r.capped()) return;
  log.Log(LogLevel::kWarning, local.ToString() + ": socket buffers capped by the kernel: receive " +
                                  std::to_string(r.receive_granted_bytes) + " of " +
                                  std::to_string(r.receive_requested_bytes) + " bytes, send " +
                                  std::to_string(r.send_granted_bytes) + " of " +
                                  std::to_string(r.send_requested_bytes) +
                                  " bytes (raise net.core.rmem_max / wmem_max)");
}

// --scheduler off with a --rate: the cap alone, no adaptive controller. A real event loop wakes
// tens of microseconds late, so the burst allowance is a few datagrams' worth rather than the
// simulator's two. RTT samples on a real host carry the scheduling delay of both ends, which the
// simulator's 300 us delay target reads as a standing queue: 1 ms (half of what a 256 KiB queue
// holds at 1 Gbit/s) took the storm benchmark from 79 s to 24 s (docs/scheduler.md).
TransmitPolicy ServerTransmitPolicy(const ServerConfig& config) {
  TransmitPolicy policy;
  policy.adaptive = config.scheduler;
  policy.rate_cap_bps = config.rate_bps;
  policy.burst_bytes = 16 * 1500;
  policy.queue_delay_target = std::chrono::milliseconds(1);
  return policy;
}

}  // namespace

Server::Impl::Impl(std::shared_ptr<ServingPolicy> policy, LogSink& log,
                   std::unique_ptr<io::EventLoop> loop)
    : policy_(std::move(policy)),
      log_(log),
      loop_(std::move(loop)),
      rx_(kReceiveSlots, kReceiveSlotBytes),
      tx_(kSendSlots, kSendSlotBytes),
      admission_(policy_->config().admission_queue_max, kAdmissionWaitMax) {
  auto filter = io::BroadcastFilter::Load();
  if (filter) {
    broadcast_filter_ = std::move(*filter);
  } else {
    broadcast_filter_.emplace(std::vector<io::Address>{});
    Log(LogLevel::kWarning, "interface broadcast addresses unknown (" + filter.error().ToString() +
                                "); only 255.255.255.255 and multicast are recognised");
  }
  const ServerConfig& config = policy_->config();
  if (config.scheduler || config.rate_bps != 0) {
    transmit_ = std::make_unique<TransmitDriver>(
        loop_->timers(), ServerTransmitPolicy(config),
        [this](Session& s, Instant now) { return SendScheduled(s, now); },
        [this](Session& s, Instant now, bool sent) { SettleScheduled(s, now, sent); });
  }
}

Server::Impl::~Impl() {
  // Sessions first: they hold loop registrations and uploads of the policy's manager.
  for (Session* session : sessions_.All()) {
    if (session->socket() != nullptr) loop_->Remove(session->socket()->fd());
    loop_->timers().Destroy(session->timer());
    sessions_.Remove(session->client());
  }
  finished_.clear();
  for (auto& listener : listeners_) loop_->Remove(listener->socket().fd());
}

tl::expected<std::unique_ptr<Server::Impl>, std::string> Server::Impl::Make(
    const ServerConfig& config, LogSink& log) {
  auto policy = ServingPolicy::Build(config);
  if (!policy) return tl::unexpected(policy.error());
  io::EventLoopOptions loop_options;
  loop_options.busy_poll = config.busy_poll;
  auto loop = io::EventLoop::Create(loop_options);
  if (!loop) return tl::unexpected("event loop: " + loop.error().ToString());
  return std::make_unique<Impl>(std::move(*policy), log, std::move(*loop));
}

tl::expected<void, std::string> Server::Impl::BindListeners() {
  const ServerConfig& config = policy_->config();
  if (config.listen.empty()) return tl::unexpected(std::string("no listen address"));
  for (const std::string& text : config.listen) {
    auto address = io::Address::Parse(text, 69);
    if (!address) return tl::unexpected("listen address " + address.error().ToString());
    if (config.families == AddressFamilies::kIpv4Only && address->IsV6() &&
        address->IsUnspecified()) {
      address = io::Address::Ipv4Any(address->port());  // -4 with the default "[::]"
    }
    auto socket = io::UdpSocket::Open(*address, ListenerOptions(config));
    if (!socket) return tl::unexpected(socket.error().ToString());
    if (socket->FellBackToIpv4()) {
      Log(LogLevel::kNotice, text + ": IPv6 unavailable, listening on " +
                                 socket->local_address().ToString() + " instead");
    }
    WarnIfCapped(log_, socket->local_address(), socket->buffer_report());
    const io::Address local = socket->local_address();
    listeners_.push_back(std::make_unique<Listener>(*this, std::move(*socket), local));
  }
  for (auto& listener : listeners_) {
    auto added = loop_->Add(listener->socket().fd(), EPOLLIN, listener.get());
    if (!added) return tl::unexpected(added.error().ToString());
  }
  return {};
}

tl::expected<void, std::string> Server::Impl::AdoptListeners(std::vector<int> fds) {
  if (fds.empty()) return tl::unexpected(std::string("no sockets passed"));
  const ServerConfig& config = policy_->config();
  for (std::size_t i = 0; i < fds.size(); ++i) {
    // Socket activation: systemd bound the socket; it is only configured here, never rebound.
    auto adopted = io::UdpSocket::Adopt(fds[i], ListenerOptions(config));
    if (!adopted) {
      for (std::size_t j = i + 1; j < fds.size(); ++j) ::close(fds[j]);
      return tl::unexpected("socket activation: " + adopted.error().ToString());
    }
    WarnIfCapped(log_, adopted->local_address(), adopted->buffer_report());
    const io::Address local = adopted->local_address();
    listeners_.push_back(std::make_unique<Listener>(*this, std::move(*adopted), local));
  }
  for (auto& listener : listeners_) {
    auto added = loop_->Add(listener->socket().fd(), EPOLLIN, listener.get());
    if (!added) return tl::unexpected(added.error().ToString());
  }
  return {};
}

void Server::Impl::SweepStaleUploads() {
  if (!policy_->config().uploads_enabled) return;
  auto report = RemoveStaleUploads(policy_->resolver().root_fd());
  if (!report) {
    Log(LogLevel::kWarning, "stale upload sweep: " + report.error());
    return;
  }
  if (report->removed > 0 || report->failures > 0 || report->truncated) {
    Log(LogLevel::kNotice, "stale upload sweep: removed " + std::to_string(report->removed) +
                               " temporaries, " + std::to_string(report->failures) +
                               " not removable" +
                               (report->truncated ? ", walk cut short by its bounds" : ""));
  }
}

std::vector<io::Address> Server::Impl::local_addresses() const {
  std::vector<io::Address> out;
  for (const auto& listener : listeners_) out.push_back(listener->local());
  return out;
}

void Server::Impl::RequestStop() {
  stop_requested_.store(true, std::memory_order_release);
  loop_->Stop();  // wakes RunOnce; the loop's own stop flag is not used
}

void Server::Impl::RequestAbort() {
  abort_requested_.store(true, std::memory_order_release);
  loop_->Stop();
}

void Server::Impl::RequestReload() {
  reload_requested_.store(true, std::memory_order_release);
  loop_->Stop();
}

void Server::Impl::OnSignal(int signal_number, Instant) {
  if (signal_number == SIGHUP) {
    reload_requested_.store(true, std::memory_order_release);
    return;
  }
  // SIGTERM/SIGINT: the first drains, a second stops at once (docs/server.md SIGNALS).
  if (stop_signals_.fetch_add(1) == 0) {
    stop_requested_.store(true, std::memory_order_release);
  } else {
    abort_requested_.store(true, std::memory_order_release);
  }
}

tl::expected<void, std::string> Server::Impl::Reload(const ServerConfig& config) {
  auto policy = ServingPolicy::Build(config);
  if (!policy) return tl::unexpected(policy.error());
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    pending_policy_ = std::move(*policy);
    policy_pending_.store(true, std::memory_order_release);
  }
  loop_->Stop();
  return {};
}

void Server::Impl::ApplyPendingPolicy() {
  if (!policy_pending_.load(std::memory_order_acquire)) return;
  std::shared_ptr<ServingPolicy> next;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    next = std::move(pending_policy_);
    policy_pending_.store(false, std::memory_order_relaxed);
  }
  if (!next) return;
  policy_ = std::move(next);
  ++metrics_.reloads;
  if (broadcast_filter_) static_cast<void>(broadcast_filter_->Refresh());
  if (policy_->config().uploads_enabled) {
    Log(LogLevel::kInfo, "configuration reloaded; serving " + policy_->config().root);
  } else {
    Log(LogLevel::kInfo,
        "configuration reloaded; serving " + policy_->config().root + " read-only");
  }
}

void Server::Impl::DoReload(const RunOptions& options) {
  std::optional<ServerConfig> config;
  if (options.reload_config) {
    config = options.reload_config();
  } else {
    config = policy_->config();
  }
  bool ok = false;
  if (config) {
    auto reloaded = Reload(*config);
    ok = reloaded.has_value();
    if (!ok)
      Log(LogLevel::kError,
          "reload refused, keeping the running configuration: " + reloaded.error());
  }
  if (!ok) ++metrics_.reloads_refused;
  ApplyPendingPolicy();
  if (options.on_reloaded) options.on_reloaded(ok);
}

tl::expected<void, std::string> Server::Impl::Run(const RunOptions& options) {
  if (options.handle_signals) {
    static constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP};
    auto watched = loop_->WatchSignals(kSignals, this);
    if (!watched) return tl::unexpected("signals: " + watched.error().ToString());
  }
  for (;;) {
    ApplyPendingPolicy();
    Duration wait = io::EventLoop::kForever;
    if (stopping_) wait = std::max(Duration{0}, stop_deadline_ - io::Now());
    auto woke = loop_->RunOnce(wait);
    if (!admission_.empty()) StartWaiting(io::Now());  // slots freed in this wake-up
    FlushPending();  // what the wake-up's handlers and timers queued; before sockets close
    finished_.clear();
    if (!woke) return tl::unexpected("event loop: " + woke.error().ToString());
    const Instant now = io::Now();
    if (reload_requested_.exchange(false)) DoReload(options);
    if (abort_requested_.load(std::memory_order_acquire)) {
      AbortAll(now);
      break;
    }
    if (stop_requested_.load(std::memory_order_acquire) && !stopping_) {
      stopping_ = true;
      stop_deadline_ = now + policy_->config().shutdown_grace;
      Log(LogLevel::kNotice,
          "stopping: " + std::to_string(sessions_.size()) + " transfers to finish");
      if (options.on_stopping) options.on_stopping();
    }
    if (stopping_) {
      if (sessions_.empty()) break;
      if (now >= stop_deadline_) {
        AbortAll(now);
        break;
      }
    }
  }
  finished_.clear();
  return {};
}

// Server: forwards to Impl.

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

tl::expected<std::unique_ptr<Server>, std::string> Server::Create(const ServerConfig& config,
                                                                  LogSink& log) {
  auto impl = Impl::Make(config, log);
  if (!impl) return tl::unexpected(impl.error());
  if (auto bound = (*impl)->BindListeners(); !bound) return tl::unexpected(bound.error());
  (*impl)->SweepStaleUploads();
  return std::unique_ptr<Server>(new Server(std::move(*impl)));
}

tl::expected<std::unique_ptr<Server>, std::string> Server::CreateWithSockets(
    const ServerConfig& config, std::vector<int> fds, LogSink& log) {
  auto impl = Impl::Make(config, log);
  if (!impl) {
    for (int fd : fds) ::close(fd);
    return tl::unexpected(impl.error());
  }
  if (auto adopted = (*impl)->AdoptListeners(std::move(fds)); !adopted) {
    return tl::unexpected(adopted.error());
  }
  (*impl)->SweepStaleUploads();
  return std::unique_ptr<Server>(new Server(std::move(*impl)));
}

tl::expected<void, std::string> Server::Run(const RunOptions& options) {
  return impl_->Run(options);
}
void Server::RequestStop() {
  impl_->RequestStop();
}
void Server::RequestAbort() {
  impl_->RequestAbort();
}
void Server::RequestReload() {
  impl_->RequestReload();
}
tl::expected<void, std::string> Server::Reload(const ServerConfig& config) {
  return impl_->Reload(config);
}
const ServerMetrics& Server::metrics() const {
  return impl_->metrics();
}
std::vector<io::Address> Server::local_addresses() const {
  return impl_->local_addresses();
}

}  // namespace stampede::server

// The listening port of Server::Impl (server_impl.h): filtering of every datagram (PROTOCOL A1-A6,
// G61, G62), duplicate and restarted requests (E40, E41, single-port mode), admission limits, and
// the way from a request to a session: remap, path resolver or upload manager, negotiation, the
// transfer's socket.
//
// Admission limits (docs/server.md --max-sessions): past sessions_max a request is refused with
// ERROR 0 "Server busy" so the operator sees why in the client's message; past
// sessions_per_client_max it is dropped silently (PROTOCOL G59: excess from one source is dropped,
// and a real client's retransmitted request is admitted once a session ends). Then the abuse
// limits of server_abuse.cc (docs/security.md): the source's new-session bucket and
// unverified-session caps (silent drops) and the descriptor headroom (ERROR 0 "Server busy").
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "wire/escape.h"
#include "server/server_impl.h"
#include "transfer/negotiation.h"

namespace stampede::server {

using wire::EscapeBytes;
namespace {

constexpr std::size_t kSessionReceiveBufferBytes = std::size_t{256} << 10;
constexpr std::size_t kSessionSendBufferBytes = std::size_t{1} << 20;

RemapClient RemapClientOf(const io::Address& peer) {
  const io::Address a = peer.Unmapped();
  if (a.IsV4()) {
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &a.AsSockaddrIn().sin_addr, bytes.size());
    return RemapClient::FromIpv4(bytes);
  }
  std::array<std::uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), &a.AsSockaddrIn6().sin6_addr, bytes.size());
  return RemapClient::FromIpv6(bytes);
}

// The opcode of a datagram without parsing it; 0 when too short.
std::uint16_t PeekOpcode(std::span<const std::byte> payload) {
  if (payload.size() < 2) return 0;
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(payload[0]) << 8) |
                                    std::to_integer<unsigned>(payload[1]));
}

bool IsRequestOpcode(std::uint16_t opcode) {
  return opcode == static_cast<std::uint16_t>(wire::Opcode::kRrq) ||
         opcode == static_cast<std::uint16_t>(wire::Opcode::kWrq);
}

const io::PacketInfo* ArrivalOf(const io::RxDatagram& datagram) {
  return datagram.arrival.valid() ? &datagram.arrival : nullptr;
}

}  // namespace

void Server::Impl::OnListenerReadable(Listener& listener, const io::IoEvent& event) {
  const io::RxReport report = rx_.Receive(listener.socket(), event.packet_budget);
  // A Reload that returned before these datagrams were sent applies to them.
  ApplyPendingPolicy();
  SyncAbuseLimits(event.now);
  if (report.kernel_drops_total > listener.kernel_drops_seen) {
    metrics_.receive_overflows += report.kernel_drops_total - listener.kernel_drops_seen;
    listener.kernel_drops_seen = report.kernel_drops_total;
  }
  for (const io::RxDatagram& datagram : rx_.datagrams()) {
    HandleListenerDatagram(listener, datagram, event.now);
  }
  FlushPending();
}

void Server::Impl::HandleListenerDatagram(Listener& listener, const io::RxDatagram& datagram,
                                          Instant now) {
  ++metrics_.datagrams_received;
  const ServerConfig& config = policy_->config();
  const io::Address& peer = *datagram.peer;
  if (config.drop_privileged_source_ports && peer.port() < 1024) {
    ++metrics_.dropped_privileged_port;  // G61: Loop DoS from echo, chargen, DNS, TFTP ports
    return;
  }
  if (config.ignore_broadcast_requests && datagram.arrival.valid() &&
      broadcast_filter_->IsBroadcastOrMulticast(datagram.arrival.local)) {
    ++metrics_.dropped_broadcast;  // RFC 1123 §4.2.3.5, G62
    return;
  }
  // Single-port mode: everything but a request from a live session's tuple is that session's.
  if (!IsRequestOpcode(PeekOpcode(datagram.payload))) {
    Session* session = sessions_.Find(peer);
    if (session != nullptr && session->socket() == nullptr) {
      session->OnPacket(datagram.payload, now);
      Pump(*session, now);
      return;
    }
  }
  auto packet = wire::Parse(datagram.payload);
  if (!packet) {
    if (packet.error().action == wire::ParseError::Action::kDrop) {
      ++metrics_.dropped_malformed;  // A1, A2, A5 (a malformed ERROR is never answered)
      return;
    }
    ++metrics_.refused;  // A3, A6, B7-B10, B12
    ReplyError(listener.socket(), peer, ArrivalOf(datagram), packet.error().code,
               packet.error().reason, now);
    return;
  }
  if (const auto* request = std::get_if<wire::Request>(&*packet)) {
    HandleRequest(listener, datagram, *request, now);
    return;
  }
  ++metrics_.dropped_no_session;  // A4 (DATA/ACK/OACK), A5 (ERROR): never answered
}

void Server::Impl::HandleRequest(Listener& listener, const io::RxDatagram& datagram,
                                 const wire::Request& request, Instant now) {
  ++metrics_.requests;
  ++(request.opcode == wire::Opcode::kRrq ? metrics_.rrq : metrics_.wrq);
  if (stop_requested_.load(std::memory_order_acquire)) {
    ++metrics_.dropped_stopping;
    return;
  }
  const io::Address& peer = *datagram.peer;
  if (Session* existing = sessions_.Find(peer)) {
    if (std::ranges::equal(existing->request(), datagram.payload)) {
      // E40: a retransmitted request; the transfer's own timer resends the OACK or DATA 1.
      ++metrics_.duplicate_requests;
      return;
    }
    // A different request from the same address:port: the client restarted (single-port mode,
    // PROTOCOL "Single-port mode"; dnsmasq treats it the same way).
    ++metrics_.sessions_restarted;
    Finish(*existing, now, false);
  }
  if (!AdmitNewSession(listener, datagram, now)) return;
  const RequestKind kind =
      request.opcode == wire::Opcode::kRrq ? RequestKind::kGet : RequestKind::kPut;
  auto name = policy_->remap().Apply(request.filename, kind, RemapClientOf(peer));
  if (!name) {
    Refuse(listener, datagram, request, name.error(), now);
    return;
  }
  if (request.opcode == wire::Opcode::kRrq) {
    StartRead(listener, datagram, request, *name, now);
  } else {
    StartWrite(listener, datagram, request, *name, now);
  }
}

bool Server::Impl::AdmitNewSession(Listener& listener, const io::RxDatagram& datagram,
                                   Instant now) {
  const ServerConfig& config = policy_->config();
  if (sessions_.size() >= config.sessions_max) {
    if (HoldForSlot(listener, datagram, now)) return false;  // server_admission.cc
    ++metrics_.refused_busy;
    ++metrics_.refused;
    ReplyError(listener.socket(), *datagram.peer, ArrivalOf(datagram), wire::ErrorCode::kNotDefined,
               "Server busy", now);
    return false;
  }
  if (sessions_.CountForHost(*datagram.peer) >= config.sessions_per_client_max) {
    ++metrics_.refused_busy;
    return false;
  }
  return AdmitUnderAbuseLimits(listener, datagram, now);
}

void Server::Impl::Refuse(Listener& listener, const io::RxDatagram& datagram,
                          const wire::Request& request, const Refusal& refusal, Instant now) {
  ++metrics_.refused;
  if (policy_->config().verbosity > 0) {
    Log(LogLevel::kDebug, datagram.peer->ToString() +
                              (request.opcode == wire::Opcode::kRrq ? " read \"" : " write \"") +
                              EscapeBytes(request.filename) + "\" refused: ERROR " +
                              std::to_string(static_cast<unsigned>(refusal.code)) + " (" +
                              std::string(ToString(refusal.kind)) + ": " + refusal.reason + ")");
  }
  const std::string_view message = refusal.peer_message.empty()
                                       ? wire::StandardMessage(refusal.code)
                                       : std::string_view(refusal.peer_message);
  ReplyError(listener.socket(), *datagram.peer, ArrivalOf(datagram), refusal.code, message, now);
}

SessionStart Server::Impl::MakeStart(const Listener& listener, const io::RxDatagram& datagram,
                                     const wire::Request& request, TransferDirection direction,
                                     transfer::Negotiated negotiated, Instant now) const {
  SessionStart start;
  start.client = *datagram.peer;
  start.reply_from = datagram.arrival;
  start.listener = &listener.socket();
  start.request.assign(datagram.payload.begin(), datagram.payload.end());
  start.filename_escaped = EscapeBytes(request.filename);
  start.direction = direction;
  start.mode = request.mode;
  start.retries_unverified_max = OackRetriesFor(datagram, negotiated);
  start.negotiated = std::move(negotiated);
  start.policy = policy_;
  start.now = now;
  return start;
}

void Server::Impl::StartRead(Listener& listener, const io::RxDatagram& datagram,
                             const wire::Request& request, const std::string& name, Instant now) {
  const ServerConfig& config = policy_->config();
  auto file = policy_->resolver().ResolveRead(name);
  if (!file) {
    Refuse(listener, datagram, request, file.error(), now);
    return;
  }
  std::optional<std::uint64_t> size = file->size_bytes;
  // QuirkPolicy: curl 7.88 refuses an OACK with `tsize 0`.
  if (file->size_bytes == 0 && config.quirks.omit_tsize_for_empty_files) size.reset();
  auto negotiated = transfer::Negotiate(request, config.options, size);
  if (!negotiated) {
    ++metrics_.refused;
    ReplyError(listener.socket(), *datagram.peer, ArrivalOf(datagram), negotiated.error(),
               wire::StandardMessage(negotiated.error()), now);
    return;
  }
  std::optional<io::UdpSocket> socket;
  if (!OpenSessionSocket(listener, datagram, now, socket)) return;
  auto source = std::make_unique<FileBlockSource>(std::move(file->fd), file->size_bytes,
                                                    block_cache_);
  NoteAdmitted(*datagram.peer);
  Launch(std::make_unique<Session>(MakeStart(listener, datagram, request, TransferDirection::kRead,
                                             std::move(*negotiated), now),
                                   std::move(source), std::move(socket), *this),
         now);
}

void Server::Impl::StartWrite(Listener& listener, const io::RxDatagram& datagram,
                              const wire::Request& request, const std::string& name, Instant now) {
  const ServerConfig& config = policy_->config();
  const io::PacketInfo* from = ArrivalOf(datagram);
  if (!config.uploads_enabled) {
    ++metrics_.refused;
    ReplyError(listener.socket(), *datagram.peer, from, wire::ErrorCode::kAccessViolation,
               "Uploads are disabled", now);
    return;
  }
  auto target = policy_->resolver().ResolveWrite(name);
  if (!target) {
    Refuse(listener, datagram, request, target.error(), now);
    return;
  }
  auto upload = policy_->uploads().Begin(std::move(*target));
  if (!upload) {
    Refuse(listener, datagram, request, upload.error(), now);
    return;
  }
  transfer::OptionPolicy options = config.options;
  options.upload_size_max = std::min(options.upload_size_max, config.upload.size_max_bytes);
  auto negotiated = transfer::Negotiate(request, options, std::nullopt);
  tl::expected<void, transfer::StorageError> fits;
  if (negotiated && negotiated->options.tsize) {
    fits = (*upload)->CheckDeclaredSize(*negotiated->options.tsize);  // C25: before any ACK
  }
  if (!negotiated || !fits) {
    const wire::ErrorCode code =
        !negotiated ? negotiated.error() : transfer::ToWireError(fits.error());
    ++metrics_.refused;
    ReplyError(listener.socket(), *datagram.peer, from, code, wire::StandardMessage(code), now);
    return;  // the UploadFile goes away here: its temporary is removed
  }
  std::optional<io::UdpSocket> socket;
  if (!OpenSessionSocket(listener, datagram, now, socket)) return;
  NoteAdmitted(*datagram.peer);
  Launch(std::make_unique<Session>(MakeStart(listener, datagram, request, TransferDirection::kWrite,
                                             std::move(*negotiated), now),
                                   std::move(*upload), std::move(socket), *this),
         now);
}

bool Server::Impl::OpenSessionSocket(Listener& listener, const io::RxDatagram& datagram,
                                     Instant now, std::optional<io::UdpSocket>& socket) {
  const ServerConfig& config = policy_->config();
  if (config.single_port) return true;
  // Bound to the address the request arrived on, so replies leave from it (G63); a link-local
  // IPv6 address needs the arrival interface as its scope (G64).
  io::Address local = datagram.arrival.valid() ? datagram.arrival.local : listener.local();
  if (local.IsV6() && local.IsLinkLocal() && local.scope_id() == 0) {
    local = io::Address::Ipv6(local.AsSockaddrIn6().sin6_addr, 0, datagram.arrival.interface_index);
  }
  local.set_port(0);
  io::SocketOptions options;
  options.receive_buffer_bytes = kSessionReceiveBufferBytes;
  options.send_buffer_bytes = kSessionSendBufferBytes;
  options.force_buffers = false;
  options.packet_info = false;
  options.count_drops = false;
  auto opened = config.port_range.low == 0
                    ? io::UdpSocket::Open(local, options)
                    : io::UdpSocket::BindInRange(local, config.port_range.low,
                                                 config.port_range.high, port_cursor_++, options);
  if (!opened) {
    ++metrics_.session_socket_failures;
    ++metrics_.refused;
    Log(LogLevel::kWarning, "transfer socket: " + opened.error().ToString());
    ReplyError(listener.socket(), *datagram.peer, ArrivalOf(datagram), wire::ErrorCode::kNotDefined,
               "Server busy", now);
    return false;
  }
  socket = std::move(*opened);
  return true;
}

void Server::Impl::ReplyError(const io::UdpSocket& socket, const io::Address& to,
                              const io::PacketInfo* from, wire::ErrorCode code,
                              std::string_view message, Instant now) {
  if (!error_limiter_.Allow(to, now)) {
    ++metrics_.errors_rate_limited;
    return;
  }
  const std::span<std::byte> buffer = Outbox(socket);
  const std::size_t size = wire::WriteError(buffer, code, message);
  if (size == 0) return;
  tx_.Commit(size, to, from);
  ++metrics_.errors_sent;
}

}  // namespace stampede::server

// The simulation loop (simulation.h). One step = pop the earliest event, hand it to the endpoint it
// concerns, drain that endpoint's PollTransmit through a link, check invariants, re-arm its timer.
//
// Timers are lazy: each endpoint has at most one live timer event (`armed`). A deadline that moves
// later leaves the event in place (it fires early, OnTimer ignores early calls, and the timer is
// re-armed then); a deadline that moves earlier pushes a new event and the old one becomes stale
// (recognised because its time no longer equals `armed`). So thousands of endpoints whose deadline
// moves on every ACK cost one heap entry each, not one per ACK.
#include "sim/simulation.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/check.h"
#include "wire/packet.h"

namespace stampede::sim {
namespace {

constexpr std::size_t kViolationsKept = 20;

constexpr std::size_t kTraceLinesMax = 200'000;

constexpr std::uint64_t kFnvOffset = 0xCBF29CE484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001B3ULL;

std::uint64_t Fold(std::uint64_t hash, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash ^= (value >> (8 * i)) & 0xFF;
    hash *= kFnvPrime;
  }
  return hash;
}

LinkConfig DownlinkConfig(const SimConfig& c) {
  LinkConfig link;
  link.rate_bps = c.rate_bps;
  link.queue_bytes = c.queue_bytes;
  link.delay = c.delay;
  link.loss = c.loss;
  link.duplicate = c.duplicate;
  link.reorder = c.reorder;
  link.reorder_delay = c.reorder_delay;
  link.jitter = c.jitter;
  return link;
}

LinkConfig UplinkConfig(const SimConfig& c) {
  LinkConfig link = DownlinkConfig(c);
  link.rate_bps = c.uplink_rate_bps;
  link.queue_bytes = c.uplink_queue_bytes;
  link.delay = c.uplink_delay.count() >= 0 ? c.uplink_delay : c.delay;
  return link;
}

bool IsRequest(std::span<const std::byte> datagram) {
  return datagram.size() >= 2 && datagram[0] == std::byte{0} &&
         (datagram[1] == std::byte{1} || datagram[1] == std::byte{2});
}

bool IsRfcError(const transfer::TransferError& error) {
  return error.origin != transfer::TransferError::Origin::kNone &&
         static_cast<std::uint16_t>(error.code) <= 8;
}

std::string Describe(std::span<const std::byte> datagram) {
  if (datagram.empty()) return "";
  const auto parsed = wire::Parse(datagram);
  if (!parsed) return fmt::format("unparsable {} B", datagram.size());
  if (const auto* data = std::get_if<wire::Data>(&*parsed)) {
    return fmt::format("DATA {} ({} B)", data->block, data->payload.size());
  }
  if (const auto* ack = std::get_if<wire::Ack>(&*parsed)) return fmt::format("ACK {}", ack->block);
  if (const auto* error = std::get_if<wire::Error>(&*parsed)) {
    return fmt::format("ERROR {} '{}'", static_cast<unsigned>(error->code), error->message);
  }
  if (std::holds_alternative<wire::Oack>(*parsed)) return "OACK";
  return "RRQ/WRQ";
}

}  // namespace

Simulation::Simulation(const SimConfig& config)
    : config_(config),
      downlink_(DownlinkConfig(config), config.seed, 1),
      uplink_(UplinkConfig(config), config.seed, 2),
      pool_(std::max<std::size_t>(std::size_t{config.blksize} + wire::kDataHeaderBytes,
                                  wire::kRequestAcceptMaxBytes)),
      source_(config.seed, config.size_bytes),
      file_seed_(config.seed) {
  STAMPEDE_CHECK(config.clients > 0 && config.clients < UINT32_MAX / 2);
  STAMPEDE_CHECK(config.blksize >= 8 && config.windowsize >= 1);
  // The simulated server agrees to what the scenario asks for: the point is to measure the engine
  // at those settings, not the default policy's clamps.
  policy_.blksize_max = std::max(policy_.blksize_max, config.blksize);
  policy_.windowsize_max = std::max(policy_.windowsize_max, config.windowsize);
  retransmit_ = config.retransmit;
  clients_.reserve(config.clients);
  for (std::uint32_t i = 0; i < config.clients; ++i) {
    clients_.push_back(Client{std::nullopt, VerifyingSink(file_seed_, config.size_bytes)});
  }
  sessions_.resize(config.clients);
  blksize_text_ = fmt::format("{}", config.blksize);
  windowsize_text_ = fmt::format("{}", config.windowsize);
  request_options_[request_option_count_++] = {"tsize", "0"};
  if (config.blksize != 512) request_options_[request_option_count_++] = {"blksize", blksize_text_};
  if (config.windowsize != 1) {
    request_options_[request_option_count_++] = {"windowsize", windowsize_text_};
  }
  if (config.corrupt_every_nth_data != 0) corrupt_period_ = config.corrupt_every_nth_data;
  report_.seed = config.seed;
  report_.clients = config.clients;
  report_.per_client.resize(config.clients);
  report_.trace_hash = kFnvOffset;
  if (config.scheduler) {
    server::TransmitPolicy tp;
    tp.rate_cap_bps = config.server_rate_bps;
    // The server starts at its own interface's rate (the simulated downlink), as a real server
    // would at its NIC speed; queues further along are found from delay (docs/scheduler.md).
    if (config.rate_bps != 0) tp.rate_initial_bps = config.rate_bps;
    scheduler_.emplace(tp);
  }
}

SimReport Simulation::Run() {
  Rng starts(config_.seed, 3);
  for (std::uint32_t i = 0; i < config_.clients; ++i) {
    queue_.Push(kInstantZero + starts.UniformDuration(config_.start_window),
                EventKind::kClientStart, i);
  }
  const std::uint64_t max_events = EffectiveMaxEvents(config_);
  const Instant time_limit = kInstantZero + config_.time_limit;
  while (!queue_.empty()) {
    if (report_.events >= max_events) {
      report_.stopped_by_event_limit = true;
      break;
    }
    if (queue_.Top().time > time_limit) {
      report_.stopped_by_time_limit = true;
      break;
    }
    const Event event = queue_.Pop();
    STAMPEDE_CHECK(event.time >= now_);
    now_ = event.time;
    ++report_.events;
    report_.trace_hash = Fold(Fold(report_.trace_hash, static_cast<std::uint64_t>(
                                                           now_.time_since_epoch().count())),
                              (std::uint64_t{event.target} << 8) |
                                  static_cast<std::uint64_t>(event.kind));
    Dispatch(event);
    report_.datagrams_peak = std::max(report_.datagrams_peak, pool_.in_use());
  }
  Finish();
  return std::move(report_);
}

void Simulation::Dispatch(const Event& event) {
  switch (event.kind) {
    case EventKind::kClientStart:
      StartClient(event.target);
      return;
    case EventKind::kDeliver:
      Deliver(event.target);
      return;
    case EventKind::kTimer:
      FireTimer(event.target, event.time);
      return;
    case EventKind::kScheduler:
      if (event.time != scheduler_armed_) return;  // stale: re-armed earlier since
      scheduler_armed_ = kInstantNever;
      RunScheduler();
      return;
  }
}

void Simulation::StartClient(std::uint32_t client) {
  Client& c = clients_[client];
  transfer::ReceiverConfig rc;
  rc.role = transfer::Role::kClient;
  rc.mode = wire::Mode::kOctet;
  rc.request.filename = "boot/stampede.img";
  rc.request.options = std::span(request_options_.data(), request_option_count_);
  rc.retransmit = retransmit_;
  c.receiver.emplace(rc, c.sink);
  report_.per_client[client].start = now_;
  ServiceClient(client);
}

void Simulation::Deliver(std::uint32_t handle) {
  const DatagramMeta meta = pool_.Meta(handle);
  const auto bytes = pool_.Bytes(handle);
  if (meta.direction == Direction::kToServer) {
    if (IsRequest(bytes)) {
      HandleRequest(meta.client, bytes);
      pool_.Release(handle);
      return;
    }
    Session& s = sessions_[meta.client];
    if (!s.sender || s.sender->finished()) {
      ++report_.stray_packets;  // a port nobody listens on any more
      pool_.Release(handle);
      return;
    }
    DeliverToSession(meta.client, bytes);
    pool_.Release(handle);
    return;
  }
  Client& c = clients_[meta.client];
  if (!c.receiver || c.receiver->finished()) {
    ++report_.stray_packets;
    pool_.Release(handle);
    return;
  }
  c.receiver->OnPacket(bytes, now_);
  pool_.Release(handle);
  ServiceClient(meta.client);
}

// A datagram for a client's server session. Besides the Sender's own tripwire, a wire-level check
// that does not trust the engine's bookkeeping: in lock-step (windowsize 1) nothing can be due
// when an ACK repeats the previous one, so a DATA leaving in that step answers a duplicate ACK
// (RFC 1123 §4.2.3.1, PROTOCOL E37).
void Simulation::DeliverToSession(std::uint32_t client, std::span<const std::byte> datagram) {
  Session& s = sessions_[client];
  bool repeated_ack = false;
  if (datagram.size() == 4 && datagram[1] == std::byte{4}) {
    const auto block = static_cast<std::uint16_t>((std::to_integer<unsigned>(datagram[2]) << 8) |
                                                  std::to_integer<unsigned>(datagram[3]));
    repeated_ack = s.last_ack == block && s.sender->options().windowsize == 1;
    s.last_ack = block;
  }
  // With the transmit scheduler a block that was already due may be waiting for its turn and leave
  // in this step; only a session that had nothing waiting can be caught this way.
  if (s.ready) repeated_ack = false;
  s.sender->OnPacket(datagram, now_);
  const std::uint64_t data_before = s.data_emitted;
  ServiceSession(client);
  if (repeated_ack && s.data_emitted != data_before) {
    Violation(fmt::format("client {}: DATA sent in the step of a repeated ACK (t={}s)", client,
                          ToSeconds(now_.time_since_epoch())));
  }
}

// The server's port 69: parse, refuse what it must, deduplicate (E40), negotiate, start a Sender.
void Simulation::HandleRequest(std::uint32_t client, std::span<const std::byte> datagram) {
  const auto parsed = wire::Parse(datagram);
  if (!parsed) {
    if (parsed.error().action == wire::ParseError::Action::kReply) {
      SendError(client, parsed.error().code, parsed.error().reason);
    }
    return;
  }
  const auto* request = std::get_if<wire::Request>(&*parsed);
  if (request == nullptr) return;  // PROTOCOL A4: no session, no reply
  Session& s = sessions_[client];
  if (s.sender || s.waiting) {
    ++report_.duplicate_requests;  // PROTOCOL E40: the session's own timer resends the OACK
    return;
  }
  if (request->opcode != wire::Opcode::kRrq) {
    SendError(client, wire::ErrorCode::kAccessViolation, "Read-only simulated server");
    return;
  }
  if (config_.max_active != 0 && active_sessions_ >= config_.max_active) {
    // The active set is full: hold the request, unanswered, in arrival order. A PXE ROM waits
    // long for its first packet; a session started now would slow every running one instead.
    s.waiting = true;
    waiting_.push_back({client, std::vector<std::byte>(datagram.begin(), datagram.end())});
    report_.admission_queue_peak = std::max<std::uint64_t>(report_.admission_queue_peak,
                                                           waiting_.size());
    return;
  }
  StartSession(client, *request);
}

void Simulation::SendError(std::uint32_t client, wire::ErrorCode code, std::string_view message) {
  const std::uint32_t handle = pool_.Acquire();
  const std::size_t n = wire::WriteError(pool_.Buffer(handle), code, message);
  STAMPEDE_CHECK(n > 0);
  pool_.Meta(handle) = {client, static_cast<std::uint32_t>(n), Direction::kToClient};
  ++report_.packets_sent;
  ++report_.control_sent;
  Transmit(handle);
}

void Simulation::FireTimer(std::uint32_t endpoint, Instant time) {
  if (endpoint < config_.clients) {
    Client& c = clients_[endpoint];
    if (c.armed != time) return;  // stale: re-armed earlier since
    c.armed = kInstantNever;
    if (!c.receiver) return;
    if (static_cast<std::int64_t>(endpoint) == config_.trace_client) {
      Trace(endpoint, "timer client", {});
    }
    c.receiver->OnTimer(now_);
    ServiceClient(endpoint);
    return;
  }
  const std::uint32_t client = endpoint - config_.clients;
  Session& s = sessions_[client];
  if (s.armed != time) return;
  s.armed = kInstantNever;
  if (!s.sender) return;
  if (static_cast<std::int64_t>(client) == config_.trace_client) Trace(client, "timer server", {});
  s.sender->OnTimer(now_);
  ServiceSession(client);
}

template <typename Machine>
void Simulation::Drain(Machine& machine, std::uint32_t client, Direction direction) {
  for (std::uint64_t sent = 0;; ++sent) {
    if (sent == kDatagramsPerStepMax) {
      Violation(fmt::format("client {}: an endpoint emitted {} datagrams in one step at t={}s",
                            client, sent, ToSeconds(now_.time_since_epoch())));
      return;
    }
    const std::uint32_t handle = pool_.Acquire();
    const auto buffer = pool_.Buffer(handle);
    STAMPEDE_CHECK(buffer.size() >= machine.MaxDatagramBytes());
    const auto n = machine.PollTransmit(buffer, now_);
    if (!n) {
      pool_.Release(handle);
      return;
    }
    pool_.Meta(handle) = {client, static_cast<std::uint32_t>(*n), direction};
    ++report_.packets_sent;
    if (direction == Direction::kToClient && *n > wire::kDataHeaderBytes &&
        buffer[1] == std::byte{3}) {
      ++sessions_[client].data_emitted;
      if (++data_emitted_ % corrupt_period_ == 0) {
        buffer[*n - 1] ^= std::byte{0x01};  // the verifier self-test (scenario.h)
      }
    }
    Transmit(handle);
  }
}

void Simulation::ServiceClient(std::uint32_t client) {
  Client& c = clients_[client];
  Drain(*c.receiver, client, Direction::kToServer);
  CheckClient(client);
  Arm(c.armed, c.receiver->NextDeadline(), client);
}

void Simulation::ServiceSession(std::uint32_t client) {
  Session& s = sessions_[client];
  if (!scheduler_) {
    Drain(*s.sender, client, Direction::kToClient);
    CheckSession(client);
    Arm(s.armed, s.sender->NextDeadline(), config_.clients + client);
    AfterSessionStep(client);
    return;
  }
  // Scheduled: the session only says it may have something; the scheduler decides when it sends.
  // A deadline at or before now is a due datagram, which the scheduler drives, not a timer.
  ReportToScheduler(client);
  if (!s.sender->finished()) {
    scheduler_->MarkReady(s.flow);
    s.ready = true;
  }
  CheckSession(client);
  const Instant deadline = s.sender->NextDeadline();
  if (deadline > now_) Arm(s.armed, deadline, config_.clients + client);
  AfterSessionStep(client);
  RunScheduler();
}

void Simulation::Arm(Instant& armed, Instant deadline, std::uint32_t endpoint) {
  if (deadline == kInstantNever || deadline >= armed) return;  // the live event fires first
  // A deadline at or before now would be a zero-time loop; the engine should never ask for one,
  // and the smallest step forward keeps the loop moving if it does.
  const Instant at = std::max(deadline, now_ + Duration{1});
  armed = at;
  queue_.Push(at, EventKind::kTimer, endpoint);
}

void Simulation::Transmit(std::uint32_t handle) {
  const DatagramMeta meta = pool_.Meta(handle);
  Link& link = meta.direction == Direction::kToClient ? downlink_ : uplink_;
  const LinkOutcome outcome = link.Offer(meta.size_bytes, now_);
  if (static_cast<std::int64_t>(meta.client) == config_.trace_client) {
    static constexpr std::string_view kFates[] = {"sent", "QUEUE DROP", "LOST"};
    Trace(meta.client,
          fmt::format("{} {}{}", meta.direction == Direction::kToClient ? "server>" : "client>",
                      kFates[static_cast<int>(outcome.fate)],
                      outcome.copies == 2 ? " (duplicated)" : ""),
          pool_.Bytes(handle));
  }
  if (outcome.copies == 0) {
    pool_.Release(handle);
    return;
  }
  queue_.Push(outcome.arrival[0], EventKind::kDeliver, handle);
  if (outcome.copies == 2) {
    const std::uint32_t copy = pool_.Acquire();  // may grow the arena: take spans afterwards
    const auto from = pool_.Bytes(handle);
    std::copy(from.begin(), from.end(), pool_.Buffer(copy).begin());
    pool_.Meta(copy) = meta;
    queue_.Push(outcome.arrival[1], EventKind::kDeliver, copy);
  }
}

// Safety invariants of a client, after each of its steps: every byte so far is right, a complete
// status means a complete, verified, committed file; an end is complete or an RFC error.
void Simulation::CheckClient(std::uint32_t client) {
  Client& c = clients_[client];
  ClientResult& r = report_.per_client[client];
  if (!c.sink.ok() && !c.bad_bytes_reported) {
    c.bad_bytes_reported = true;
    Violation(fmt::format("client {}: wrong or misplaced byte at offset {} (t={}s)", client,
                          c.sink.first_bad_offset(), ToSeconds(now_.time_since_epoch())));
  }
  const transfer::TransferStatus status = c.receiver->status();
  if (status == transfer::TransferStatus::kComplete && r.completed_at == kInstantNever) {
    r.completed_at = now_;
    if (!c.sink.complete_and_correct()) {
      Violation(fmt::format("client {}: complete with {} of {} bytes (committed={})", client,
                            c.sink.received_bytes(), config_.size_bytes, c.sink.committed()));
    }
  }
  if (status == transfer::TransferStatus::kFailed && !IsRfcError(c.receiver->stats().error)) {
    Violation(fmt::format("client {}: failed without an RFC error", client));
  }
  if (status == transfer::TransferStatus::kCompleteUnconfirmed ||
      status == transfer::TransferStatus::kProbe) {
    Violation(fmt::format("client {}: sender-only status {} on a receiver", client,
                          transfer::StatusName(status)));
  }
}

void Simulation::CheckSession(std::uint32_t client) {
  Session& s = sessions_[client];
  const transfer::Stats& stats = s.sender->stats();
  if (stats.sends_caused_by_duplicate_ack != 0 && !s.duplicate_ack_reported) {
    s.duplicate_ack_reported = true;  // RFC 1123 §4.2.3.1, PROTOCOL E37
    Violation(fmt::format("client {}: server DATA sent because of a duplicate ACK (t={}s)",
                          client, ToSeconds(now_.time_since_epoch())));
  }
  if (stats.status == transfer::TransferStatus::kFailed && !IsRfcError(stats.error)) {
    Violation(fmt::format("client {}: server session failed without an RFC error", client));
  }
}

void Simulation::Trace(std::uint32_t client, std::string_view what,
                       std::span<const std::byte> datagram) {
  if (report_.trace.size() >= kTraceLinesMax) return;
  report_.trace.push_back(fmt::format("{:.6f} client {} {} {}", ToSeconds(now_.time_since_epoch()),
                                      client, what, Describe(datagram)));
}

void Simulation::Violation(std::string text) {
  ++report_.violation_count;
  if (report_.violations.size() < kViolationsKept) report_.violations.push_back(std::move(text));
}

}  // namespace stampede::sim

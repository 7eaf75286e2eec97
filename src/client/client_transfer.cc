// ClientTransfer (client_transfer.h): socket, TID matching, stray answers, the one retry without
// options, and the mapping of engine outcomes to client outcomes. The protocol itself (request,
// OACK checks, windows, dally) is the transfer engine's.
#include "client/client_transfer.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

#include <fmt/core.h>

#include "base/check.h"
#include "transfer/stray.h"
#include "wire/packet.h"

namespace stampede::client {
namespace {

using transfer::StorageError;
using transfer::TransferError;
using transfer::TransferStatus;

constexpr std::size_t kBufferBytes = 65536 + 4;  // any UDP payload fits whole
constexpr std::size_t kDatagramsPerWake = 64;    // bound per readiness (STYLE: bound everything)
constexpr std::size_t kBatchSlotsMax = 16;       // recvmmsg slots: a window of 16 in one call

// Client sockets need far less than a server's 4 MiB: one window in flight. A swarm of thousands
// must not pin gigabytes of socket memory.
io::SocketOptions ClientSocketOptions() {
  io::SocketOptions options;
  options.receive_buffer_bytes = 1u << 20;
  options.send_buffer_bytes = 256u << 10;
  options.force_buffers = false;
  options.packet_info = false;
  options.count_drops = false;
  return options;
}

bool SameHost(io::Address a, io::Address b) {
  a.set_port(0);
  b.set_port(0);
  return a.Unmapped() == b.Unmapped();
}

// Codes with which an option-unaware or option-refusing server answers a request with options:
// 8 (RFC 2347), 4 "illegal operation" and 0 (servers that reject unknown request fields), and
// undefined codes. 1, 2, 3, 5, 6, 7 speak about the file or the user: retrying cannot help.
bool IsOptionRefusal(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::kNotDefined:
    case wire::ErrorCode::kIllegalOperation:
    case wire::ErrorCode::kOptionRefused: return true;
    case wire::ErrorCode::kFileNotFound:
    case wire::ErrorCode::kAccessViolation:
    case wire::ErrorCode::kDiskFull:
    case wire::ErrorCode::kUnknownTransferId:
    case wire::ErrorCode::kFileExists:
    case wire::ErrorCode::kNoSuchUser: return false;
  }
  return true;
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kActive: return "active";
    case Outcome::kOk: return "ok";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kServerError: return "server error";
    case Outcome::kLocalFile: return "local file error";
    case Outcome::kIntegrity: return "integrity failure";
    case Outcome::kProtocol: return "protocol violation";
    case Outcome::kRequestTooLong: return "request too long";
    case Outcome::kNetwork: return "network error";
    case Outcome::kUnconfirmed: return "unconfirmed";
    case Outcome::kInterrupted: return "interrupted";
  }
  return "unknown";
}

tl::expected<void, StorageError> ClientTransfer::GuardedSink::WriteAt(
    std::uint64_t offset, std::span<const std::byte> bytes) {
  auto written = inner_->WriteAt(offset, bytes);
  if (!written) inner_failed = true;
  return written;
}

tl::expected<void, StorageError> ClientTransfer::GuardedSink::Commit(std::uint64_t total_bytes) {
  auto committed = inner_->Commit(total_bytes);
  if (!committed) inner_failed = true;
  return committed;
}

tl::expected<std::size_t, StorageError> ClientTransfer::GuardedSource::ReadAt(
    std::uint64_t offset, std::span<std::byte> out) {
  auto read = inner_->ReadAt(offset, out);
  if (!read) inner_failed = true;
  return read;
}

ClientTransfer::ClientTransfer(const ClientConfig& config, transfer::BlockSink& sink)
    : config_(config), buffer_(kBufferBytes), tx_buffer_(kBufferBytes) {
  STAMPEDE_CHECK(config.direction == Direction::kGet);
  sink_.emplace(sink);
}

ClientTransfer::ClientTransfer(const ClientConfig& config, transfer::BlockSource& source)
    : config_(config), buffer_(kBufferBytes), tx_buffer_(kBufferBytes) {
  STAMPEDE_CHECK(config.direction == Direction::kPut);
  source_.emplace(source);
}

ClientTransfer::~ClientTransfer() = default;

namespace {

// The options a request carries, as (name, value) pairs in the order they are sent.
std::vector<std::pair<std::string_view, std::string>> OptionPairs(const ClientConfig& config) {
  std::vector<std::pair<std::string_view, std::string>> pairs;
  const std::uint16_t blksize =
      config.blksize.value_or(config.server.IsV6() ? kBlksizeDefaultV6 : kBlksizeDefaultV4);
  pairs.emplace_back("blksize", std::to_string(blksize));
  if (config.windowsize) pairs.emplace_back("windowsize", std::to_string(*config.windowsize));
  if (config.timeout_s) pairs.emplace_back("timeout", std::to_string(*config.timeout_s));
  if (config.tsize && config.mode == wire::Mode::kOctet) {
    if (config.direction == Direction::kGet) {
      pairs.emplace_back("tsize", "0");  // RFC 2349: an RRQ asks with 0
    } else if (config.upload_size_bytes) {
      pairs.emplace_back("tsize", std::to_string(*config.upload_size_bytes));
    }
  }
  if (config.rollover) {
    pairs.emplace_back("rollover", *config.rollover == wire::Rollover::kToOne ? "1" : "0");
  }
  return pairs;
}

}  // namespace

bool RequestFits(const ClientConfig& config) {
  std::vector<wire::Option> options;
  const auto pairs = config.send_options ? OptionPairs(config)
                                         : std::vector<std::pair<std::string_view, std::string>>{};
  for (const auto& [name, value] : pairs) options.push_back(wire::Option{name, value});
  std::array<std::byte, wire::kRequestMaxBytes> buf{};
  const auto opcode = config.direction == Direction::kGet ? wire::Opcode::kRrq : wire::Opcode::kWrq;
  return wire::WriteRequest(buf, opcode, config.remote_path, config.mode, options) != 0;
}

void ClientTransfer::BuildRequestOptions(bool with_options) {
  option_values_.clear();
  options_.clear();
  options_sent_ = with_options;
  if (!with_options) return;
  auto pairs = OptionPairs(config_);
  option_values_.reserve(pairs.size());
  for (auto& [name, value] : pairs) option_values_.push_back(std::move(value));
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    options_.push_back(wire::Option{pairs[i].first, option_values_[i]});
  }
}

void ClientTransfer::StartEngine() {
  transfer::RequestSpec request;
  request.filename = config_.remote_path;
  request.options = options_;
  if (config_.direction == Direction::kGet) {
    transfer::ReceiverConfig rc;
    rc.role = transfer::Role::kClient;
    rc.mode = config_.mode;
    rc.request = request;
    rc.retransmit = config_.retransmit;
    rc.size_max_bytes = config_.size_max_bytes;
    rc.clean_dally = config_.clean_dally;
    receiver_.emplace(rc, *sink_);
  } else {
    transfer::SenderConfig sc;
    sc.role = transfer::Role::kClient;
    sc.mode = config_.mode;
    sc.request = request;
    sc.retransmit = config_.retransmit;
    sender_.emplace(sc, *source_);
  }
}

tl::expected<void, io::Error> ClientTransfer::Start(Instant now) {
  io::Address local = config_.local;
  if (local.empty())
    local = config_.server.IsV6() ? io::Address::Ipv6Any(0) : io::Address::Ipv4Any(0);
  auto opened =
      config_.local_port_first != 0
          ? io::UdpSocket::BindInRange(local, config_.local_port_first, config_.local_port_last,
                                       config_.port_start_offset, ClientSocketOptions())
          : io::UdpSocket::Open(local, ClientSocketOptions());
  if (!opened) {
    network_failure_ = opened.error().ToString();
    return tl::unexpected(opened.error());
  }
  socket_ = std::move(*opened);
  started_at_ = now;
  BuildRequestOptions(config_.send_options);
  StartEngine();
  Flush(now);
  return {};
}

bool ClientTransfer::ShouldRetryWithoutOptions(std::span<const std::byte> datagram) const {
  if (!options_sent_ || retried_ || !config_.retry_without_options) return false;
  const auto packet = wire::Parse(datagram);
  if (!packet) return false;
  const auto* error = std::get_if<wire::Error>(&*packet);
  return error != nullptr && IsOptionRefusal(error->code);
}

void ClientTransfer::HandleDatagram(std::span<const std::byte> datagram, const io::Address& from,
                                    Instant now) {
  if (observer_ != nullptr) observer_->OnDatagram(false, from, datagram);
  if (!peer_) {
    // H75: the first reply's source port is the TID, whatever it is (69 for a single-port
    // server). It must come from the host we asked.
    if (!SameHost(from, config_.server)) {
      AnswerStray(from, datagram, now);
      return;
    }
    // A repeat of the refusal from the TID that refused our options must not end the retry. A
    // single-port server answers the retry from that same address, so only ERRORs are dropped.
    if (refused_peer_ && from == *refused_peer_ && !transfer::ShouldAnswerStray(datagram)) {
      ++strays_ignored_;
      return;
    }
    if (ShouldRetryWithoutOptions(datagram)) {
      // RFC 2347: a client whose options were refused may retry without them. Same socket: the
      // old TID is remembered so its repeats cannot become the new transfer's peer.
      retried_ = true;
      refused_peer_ = from;
      receiver_.reset();
      sender_.reset();
      BuildRequestOptions(false);
      StartEngine();
      Flush(now);
      return;
    }
    peer_ = from;
  } else if (from != *peer_) {
    AnswerStray(from, datagram, now);  // H73, H74: never fatal
    return;
  }
  if (receiver_) receiver_->OnPacket(datagram, now);
  if (sender_) sender_->OnPacket(datagram, now);
  Flush(now);
}

void ClientTransfer::AnswerStray(const io::Address& from, std::span<const std::byte> datagram,
                                 Instant now) {
  ++strays_ignored_;
  if (!config_.answer_strays || !transfer::ShouldAnswerStray(datagram)) return;
  // PROTOCOL §2 item 6 (Loop DoS): never answer a privileged source port (echo, chargen, a
  // server's 69), where an ERROR could start a packet loop between two services.
  if (from.port() < 1024) return;
  if (now - stray_second_start_ >= std::chrono::seconds(1)) {
    stray_second_start_ = now;
    stray_replies_this_second_ = 0;
  }
  if (stray_replies_this_second_ >= config_.stray_replies_per_second) return;
  ++stray_replies_this_second_;
  std::array<std::byte, 64> reply{};
  const std::size_t n = transfer::WriteStrayReply(reply);
  if (n == 0) return;
  ++stray_replies_sent_;
  Send(std::span(reply).first(n), from);
}

void ClientTransfer::OnReadable(Instant now) {
  if (!socket_.is_open()) return;
  if (WantsBatch()) {
    ReceiveBatched(now);
  } else {
    ReceiveOneByOne(now);
  }
}

bool ClientTransfer::WantsBatch() {
  if (rx_batch_) return true;
  if (!receiver_ || !peer_) return false;
  const auto& options = receiver_->options();
  if (options.windowsize <= 1) return false;
  const std::size_t slots = std::min<std::size_t>(options.windowsize, kBatchSlotsMax);
  if (config_.receive_coalescing && socket_.EnableReceiveCoalescing()) {
    // Each slot must hold a whole coalesced run (up to 64 KiB), or the kernel cuts it.
    rx_batch_.emplace(slots, io::kCoalescedMessageBytes);
    return true;
  }
  // blksize + 5: a longer DATA arrives cut but still longer than blksize, so the engine counts and
  // drops it as oversize (H71). At least 1 KiB, so a server's ERROR with a long message is whole.
  rx_batch_.emplace(slots, std::max<std::size_t>(std::size_t{options.blksize} + 5, 1024));
  return true;
}

void ClientTransfer::ReceiveBatched(Instant now) {
  std::size_t handled = 0;
  while (handled < kDatagramsPerWake && !finished()) {
    const io::RxReport report = rx_batch_->Receive(socket_, kDatagramsPerWake - handled);
    for (const io::RxDatagram& d : rx_batch_->datagrams()) {
      if (finished()) return;
      HandleDatagram(d.payload, *d.peer, now);
    }
    handled += report.received;
    if (report.drained || report.received == 0) return;
  }
}

void ClientTransfer::ReceiveOneByOne(Instant now) {
  for (std::size_t i = 0; i < kDatagramsPerWake && !finished(); ++i) {
    io::Address from;
    const auto received = socket_.ReceiveFrom(buffer_, &from);
    if (!received) {
      if (received.error().errno_value == EAGAIN) return;
      continue;  // ICMP leftovers and friends: counted by nobody, retransmission recovers
    }
    const std::size_t size = std::min(*received, buffer_.size());
    const std::uint64_t sent_before = datagrams_sent_;
    HandleDatagram(std::span(buffer_).first(size), from, now);
    // Answered: in lock-step the peer's next datagram is rarely here yet, so a further read would
    // usually find the socket empty and cost a system call on top of the poll that follows.
    // Anything already queued, such as a duplicate, makes the next poll return at once.
    if (datagrams_sent_ != sent_before) return;
  }
}

void ClientTransfer::OnTimer(Instant now) {
  if (receiver_) receiver_->OnTimer(now);
  if (sender_) sender_->OnTimer(now);
  Flush(now);
}

void ClientTransfer::Flush(Instant now) {
  const io::Address to = peer_.value_or(config_.server);
  for (;;) {
    std::optional<std::size_t> n;
    if (receiver_) n = receiver_->PollTransmit(tx_buffer_, now);
    if (sender_) n = sender_->PollTransmit(tx_buffer_, now);
    if (!n) break;
    Send(std::span(tx_buffer_).first(*n), to);
  }
  if (!completed_at_ && EngineStatus() == TransferStatus::kComplete) completed_at_ = now;
}

void ClientTransfer::Send(std::span<const std::byte> bytes, const io::Address& to) {
  if (observer_ != nullptr) observer_->OnDatagram(true, to, bytes);
  ++datagrams_sent_;
  // A failed send is a lost datagram: the retransmission timer recovers (docs/io.md).
  static_cast<void>(socket_.SendTo(bytes, to));
}

Instant ClientTransfer::NextDeadline() const {
  if (finished()) return kInstantNever;
  if (receiver_) return receiver_->NextDeadline();
  if (sender_) return sender_->NextDeadline();
  return kInstantNever;
}

bool ClientTransfer::finished() const {
  if (network_failure_ || interrupted_) return true;
  if (receiver_) return receiver_->finished();
  if (sender_) return sender_->finished();
  return false;
}

bool ClientTransfer::succeeded() const {
  return !interrupted_ && !network_failure_ && EngineStatus() == TransferStatus::kComplete;
}

void ClientTransfer::Abort(std::string_view reason) {
  if (finished()) return;
  interrupted_ = true;
  if (!socket_.is_open() || EngineStatus() != TransferStatus::kActive) return;
  std::array<std::byte, 300> packet{};
  const std::size_t n = wire::WriteError(packet, wire::ErrorCode::kNotDefined, reason);
  if (n > 0) Send(std::span(packet).first(n), peer_.value_or(config_.server));
}

TransferStatus ClientTransfer::EngineStatus() const {
  if (receiver_) return receiver_->status();
  if (sender_) return sender_->status();
  return TransferStatus::kActive;
}

const transfer::Stats& ClientTransfer::EngineStats() const {
  static const transfer::Stats kEmpty;
  if (receiver_) return receiver_->stats();
  if (sender_) return sender_->stats();
  return kEmpty;
}

const transfer::TransferOptions& ClientTransfer::EngineOptions() const {
  static const transfer::TransferOptions kDefaults;
  if (receiver_) return receiver_->options();
  if (sender_) return sender_->options();
  return kDefaults;
}

Progress ClientTransfer::progress() const {
  const auto& stats = EngineStats();
  Progress p;
  p.bytes = stats.bytes_transferred;
  p.total_bytes =
      config_.direction == Direction::kGet ? EngineOptions().tsize : config_.upload_size_bytes;
  p.retransmissions = stats.data_retransmitted + stats.timeouts;
  p.timeouts = stats.timeouts;
  return p;
}

ClientResult ClientTransfer::result() const {
  ClientResult r;
  r.stats = EngineStats();
  r.options = EngineOptions();
  r.error = r.stats.error;
  r.retried_without_options = retried_;
  r.strays_ignored = strays_ignored_;
  r.stray_replies_sent = stray_replies_sent_;
  if (peer_) r.peer = *peer_;
  if (completed_at_) r.duration = *completed_at_ - started_at_;
  if (network_failure_) {
    r.outcome = Outcome::kNetwork;
    r.detail = *network_failure_;
    return r;
  }
  if (interrupted_) {
    r.outcome = Outcome::kInterrupted;
    return r;
  }
  switch (EngineStatus()) {
    case TransferStatus::kActive: r.outcome = Outcome::kActive; return r;
    case TransferStatus::kComplete:
    case TransferStatus::kProbe: r.outcome = Outcome::kOk; return r;
    case TransferStatus::kCompleteUnconfirmed:
      r.outcome = Outcome::kUnconfirmed;
      r.detail = "the final block was sent but never acknowledged";
      return r;
    case TransferStatus::kFailed: break;
  }
  switch (r.error.origin) {
    case TransferError::Origin::kPeer: r.outcome = Outcome::kServerError; return r;
    case TransferError::Origin::kTimeout:
    case TransferError::Origin::kNone: r.outcome = Outcome::kTimeout; return r;
    case TransferError::Origin::kLocal: break;
  }
  if (r.stats.control_sent == 0 && r.stats.acks_sent == 0 && r.stats.data_sent == 0) {
    r.outcome = Outcome::kRequestTooLong;
    r.detail = "the request would exceed 512 bytes (RFC 2347); nothing was sent";
  } else if (r.stats.short_of_tsize) {
    // RFC 2349: tsize is the file's size; the Receiver refuses a short octet file before commit,
    // so the target stays untouched.
    r.outcome = Outcome::kIntegrity;
    r.detail = fmt::format("received {} bytes, the server announced tsize {}",
                           r.stats.bytes_transferred, EngineOptions().tsize.value_or(0));
  } else if ((sink_ && sink_->inner_failed) || (source_ && source_->inner_failed)) {
    r.outcome = Outcome::kLocalFile;
  } else if (r.error.code == wire::ErrorCode::kDiskFull) {
    r.outcome = Outcome::kIntegrity;  // H72: past tsize or the maximum; ERROR 3 sent
  } else {
    r.outcome = Outcome::kProtocol;  // H65-H69: OACK refused with ERROR 8
  }
  return r;
}

}  // namespace stampede::client

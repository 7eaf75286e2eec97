// Session (session.h): one transfer's machine, socket and bookkeeping.
#include "server/session.h"

#include <algorithm>
#include <utility>

#include "base/check.h"

namespace stampede::server {
namespace {

transfer::RetransmitPolicy RetransmitFor(const SessionStart& start) {
  transfer::RetransmitPolicy policy = start.policy->config().retransmit;
  if (start.retries_unverified_max) {
    policy.retries_unverified_max =
        std::min(policy.retries_unverified_max, *start.retries_unverified_max);
  }
  return policy;
}

}  // namespace

Session::Session(SessionStart start, std::unique_ptr<FileBlockSource> source,
                 std::optional<io::UdpSocket> socket, SessionOwner& owner)
    : start_(std::move(start)),
      owner_(owner),
      socket_(std::move(socket)),
      source_(std::move(source)) {
  transfer::SenderConfig config;
  config.role = transfer::Role::kServer;
  config.mode = start_.mode;
  config.options = start_.negotiated.options;
  config.oack = start_.negotiated.oack.options();
  config.retransmit = RetransmitFor(start_);
  sender_.emplace(config, *source_);
}

Session::Session(SessionStart start, std::unique_ptr<UploadFile> upload,
                 std::optional<io::UdpSocket> socket, SessionOwner& owner)
    : start_(std::move(start)),
      owner_(owner),
      socket_(std::move(socket)),
      upload_(std::move(upload)) {
  transfer::ReceiverConfig config;
  config.role = transfer::Role::kServer;
  config.mode = start_.mode;
  config.options = start_.negotiated.options;
  config.oack = start_.negotiated.oack.options();
  config.retransmit = RetransmitFor(start_);
  config.size_max_bytes = start_.policy->config().upload.size_max_bytes;
  receiver_.emplace(config, *upload_);
}

Session::~Session() {
  ReleaseTransfer();
}

void Session::ReleaseTransfer() {
  if (sender_ || receiver_) released_stats_ = stats();
  // The machines go first (they point at the storage); an unfinished upload is aborted by the
  // UploadFile destructor (temporary removed, target untouched: PROTOCOL F55).
  sender_.reset();
  receiver_.reset();
  upload_.reset();
  source_.reset();
}

void Session::OnPacket(std::span<const std::byte> datagram, Instant now) {
  if (sender_) sender_->OnPacket(datagram, now);
  if (receiver_) receiver_->OnPacket(datagram, now);
}

void Session::OnTransferTimer(Instant now) {
  if (sender_) sender_->OnTimer(now);
  if (receiver_) receiver_->OnTimer(now);
}

std::optional<std::size_t> Session::PollTransmit(std::span<std::byte> buf, Instant now) {
  if (sender_) return sender_->PollTransmit(buf, now);
  return receiver_->PollTransmit(buf, now);
}

Instant Session::NextDeadline() const {
  return sender_ ? sender_->NextDeadline() : receiver_->NextDeadline();
}

bool Session::finished() const {
  return sender_ ? sender_->finished() : receiver_->finished();
}

transfer::TransferStatus Session::status() const {
  return sender_ ? sender_->status() : receiver_->status();
}

const transfer::Stats& Session::stats() const {
  return sender_ ? sender_->stats() : receiver_->stats();
}

void Session::NoteProgress(Instant now) {
  if (!ended_at_ && status() != transfer::TransferStatus::kActive) ended_at_ = now;
}

TransferSummary Session::Summarize(Instant now, bool aborted_by_shutdown) const {
  const transfer::Stats& s = stats();
  TransferSummary summary;
  summary.client = start_.client;
  summary.filename = start_.filename_escaped;
  summary.direction = start_.direction;
  summary.mode = start_.mode;
  summary.options = sender_ ? sender_->options() : receiver_->options();
  summary.oack_sent = !start_.negotiated.oack.empty();
  summary.bytes = s.bytes_transferred;
  summary.duration = ended_at_.value_or(now) - start_.now;
  // A Receiver resends its last ACK on each timeout; a Sender counts repeated DATA.
  summary.retransmits = sender_ ? s.data_retransmitted : s.timeouts;
  summary.status = s.status;
  summary.error = s.error;
  summary.aborted_by_shutdown = aborted_by_shutdown;
  return summary;
}

}  // namespace stampede::server

// FormatTransferLine (transfer_summary.h): the one log line of a finished transfer.
#include "server/transfer_summary.h"

#include <chrono>
#include <iterator>

#include <fmt/format.h>

#include "server/escape.h"

namespace stampede::server {
namespace {

std::string_view OriginName(transfer::TransferError::Origin origin) {
  switch (origin) {
    case transfer::TransferError::Origin::kNone: return "none";
    case transfer::TransferError::Origin::kPeer: return "peer";
    case transfer::TransferError::Origin::kLocal: return "local";
    case transfer::TransferError::Origin::kTimeout: return "timeout";
  }
  return "none";
}

std::string_view OutcomeName(const TransferSummary& s) {
  if (s.aborted_by_shutdown) return "aborted-shutdown";
  switch (s.status) {
    case transfer::TransferStatus::kActive: return "aborted";
    case transfer::TransferStatus::kComplete: return "complete";
    case transfer::TransferStatus::kCompleteUnconfirmed: return "complete-unconfirmed";
    case transfer::TransferStatus::kProbe: return "probe";
    case transfer::TransferStatus::kFailed: return "failed";
  }
  return "failed";
}

}  // namespace

std::string FormatTransferLine(const TransferSummary& s) {
  std::string line;
  auto out = std::back_inserter(line);
  fmt::format_to(out, "{} {} \"{}\" {}", s.client.ToString(),
                 s.direction == TransferDirection::kRead ? "read" : "write", s.filename,
                 wire::ModeName(s.mode));
  if (s.oack_sent) {
    fmt::format_to(out, " blksize={} windowsize={}", s.options.blksize, s.options.windowsize);
    if (s.options.tsize) fmt::format_to(out, " tsize={}", *s.options.tsize);
    if (s.options.fixed_timeout) {
      fmt::format_to(
          out, " timeout_ms={}",
          std::chrono::duration_cast<std::chrono::milliseconds>(*s.options.fixed_timeout).count());
    }
    if (s.options.rollover == wire::Rollover::kToOne) fmt::format_to(out, " rollover=1");
  } else {
    fmt::format_to(out, " no-options");
  }
  fmt::format_to(out, " bytes={} duration_ms={:.1f} retransmits={} outcome={}", s.bytes,
                 ToSeconds(s.duration) * 1000.0, s.retransmits, OutcomeName(s));
  if (s.status == transfer::TransferStatus::kFailed) {
    fmt::format_to(out, " code={} origin={} message=\"{}\"", static_cast<unsigned>(s.error.code),
                   OriginName(s.error.origin), EscapeBytes(s.error.message(), 128));
  }
  return line;
}

}  // namespace stampede::server

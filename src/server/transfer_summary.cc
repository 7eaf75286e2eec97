// FormatTransferLine (transfer_summary.h): the one log line of a finished transfer.
#include "server/transfer_summary.h"

#include <chrono>
#include <iterator>

#include <fmt/format.h>

#include "wire/escape.h"

namespace stampede::server {

using wire::EscapeBytes;
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
  std::string line = s.client.ToString();
  line += s.direction == TransferDirection::kRead ? " read \"" : " write \"";
  line += s.filename;
  line += "\" ";
  line += wire::ModeName(s.mode);
  if (s.oack_sent) {
    line += " blksize=" + std::to_string(s.options.blksize);
    line += " windowsize=" + std::to_string(s.options.windowsize);
    if (s.options.tsize) line += " tsize=" + std::to_string(*s.options.tsize);
    if (s.options.fixed_timeout) {
      line += " timeout_ms=" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  *s.options.fixed_timeout)
                                                  .count());
    }
    if (s.options.rollover == wire::Rollover::kToOne) line += " rollover=1";
  } else {
    line += " no-options";
  }
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.1f", ToSeconds(s.duration) * 1000.0);
  line += " bytes=" + std::to_string(s.bytes) + " duration_ms=" + duration +
          " retransmits=" + std::to_string(s.retransmits) + " outcome=";
  line += OutcomeName(s);
  if (s.status == transfer::TransferStatus::kFailed) {
    line += " code=" + std::to_string(static_cast<unsigned>(s.error.code)) + " origin=";
    line += OriginName(s.error.origin);
    line += " message=\"" + EscapeBytes(s.error.message(), 128) + "\"";
  }
  return line;
}

}  // namespace stampede::server
